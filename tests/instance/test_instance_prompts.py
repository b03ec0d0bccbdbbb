"""Instance prompts from Detections and Keypoints (no model needed)."""

from __future__ import annotations

from collections import Counter

import fiftyone as fo
import numpy as np
import pytest

import fo_sam3
from fo_sam3.errors import NoPromptError, PromptError
from fo_sam3.instance import InstanceOptions
from fo_sam3.instance.prompts import box_prompts, point_prompts
from fo_sam3.prompts import clip_rel_box, keypoint_points, rel_points_to_pixels

NAN = float("nan")
OPTS = InstanceOptions()


def test_keypoint_points_drop_nans_and_keep_polarity():
    kp = fo.Keypoint(points=[[0.1, 0.2], [NAN, NAN], [0.5, 0.6]], sam_labels=[1, 1, 0])
    pts, labels = keypoint_points(kp, "kp")
    assert pts.ravel().tolist() == pytest.approx([0.1, 0.2, 0.5, 0.6])
    assert labels.tolist() == [1, 0]
    _, default = keypoint_points(fo.Keypoint(points=[[0.1, 0.2], [0.3, 0.4]]), "kp")
    assert default.tolist() == [1, 1]
    assert rel_points_to_pixels(pts, 200, 100).ravel().tolist() == pytest.approx([20, 20, 100, 60])


@pytest.mark.parametrize("labels, message", [([1], "2 points but 1"), ([1, 2], "must be 1")])
def test_bad_point_polarity_names_the_keypoint(labels, message):
    kp = fo.Keypoint(points=[[0.1, 0.2], [0.3, 0.4]], sam_labels=labels)
    with pytest.raises(PromptError, match=message) as err:
        keypoint_points(kp, "clicks", "sample abc")
    assert kp.id in str(err.value) and "clicks" in str(err.value) and "sample abc" in str(err.value)


def test_clip_box():
    assert clip_rel_box([0.1, 0.2, 0.3, 0.4]).tolist() == [0.1, 0.2, 0.3, 0.4]  # exact when inside
    assert clip_rel_box([-0.1, 0.5, 0.5, 0.7]).tolist() == pytest.approx([0.0, 0.5, 0.4, 0.5])
    for bad in ([0.2, 0.2, 0.0, 0.3], [1.1, 0.0, 0.2, 0.2], [NAN, 0, 1, 1], None, [0.1, 0.2]):
        assert clip_rel_box(bad) is None


def _sample(dets, kps=None):
    return fo.Sample(filepath="/nonexistent.jpg", gt=fo.Detections(detections=dets), kp=kps)


def test_box_prompts_link_clicks_by_attribute():
    a = fo.Detection(label="a", bounding_box=[0.1, 0.1, 0.2, 0.2], index=7, track="t1")
    b = fo.Detection(label="b", bounding_box=[0.5, 0.5, 0.2, 0.2])
    kps = fo.Keypoints(keypoints=[
        fo.Keypoint(points=[[0.15, 0.15]], index=7, track="t9"),
        fo.Keypoint(points=[[0.2, 0.2]], sam_labels=[0], index=7),
        fo.Keypoint(points=[[0.9, 0.9]], index=3, track="t1"),
    ])
    counts = Counter()
    pa, pb = box_prompts(_sample([a, b], kps), "gt", "kp", OPTS, False, counts)
    assert (pa.source_id, pa.label, pb.source_id) == (a.id, "a", b.id)
    assert pa.points.ravel().tolist() == pytest.approx([0.15, 0.15, 0.2, 0.2])
    assert pa.point_labels.tolist() == [1, 0]
    assert len(pb.points) == 0 and pb.signature == (True, 0) and not pb.multimask
    assert counts["unlinked_keypoints"] == 1  # index 3 matches no detection

    by_track = InstanceOptions(link_attr="track")
    pa, _ = box_prompts(_sample([a, b], kps), "gt", "kp", by_track, False, Counter())
    assert pa.points.ravel().tolist() == pytest.approx([0.9, 0.9])


def test_box_prompts_skip_masked_and_degenerate_boxes():
    masked = fo.Detection(bounding_box=[0.1, 0.1, 0.2, 0.2], mask=np.ones((2, 2), bool))
    flat = fo.Detection(bounding_box=[0.1, 0.1, 0.0, 0.2])
    edge = fo.Detection(bounding_box=[0.9, 0.9, 0.3, 0.3])
    counts = Counter()
    (p,) = box_prompts(_sample([masked, flat, edge]), "gt", None, OPTS, True, counts)
    assert p.source_id == edge.id and p.clipped and p.rel_box.tolist() == pytest.approx([0.9, 0.9, 0.1, 0.1])
    assert (counts["kept_masks"], counts["degenerate_boxes"]) == (1, 1)
    assert len(box_prompts(_sample([masked]), "gt", None, OPTS, False, Counter())) == 1
    for sample in (_sample([]), fo.Sample(filepath="/x.jpg", gt=None), _sample([flat])):
        with pytest.raises(NoPromptError):
            box_prompts(sample, "gt", None, OPTS, True, Counter())


def test_point_prompts_group_by_link_and_flag_single_clicks():
    kps = fo.Keypoints(keypoints=[
        fo.Keypoint(label="x", points=[[0.1, 0.1]], index=1),
        fo.Keypoint(label="x", points=[[0.2, 0.2]], sam_labels=[0], index=1),
        fo.Keypoint(label="y", points=[[0.5, 0.5]]),
        fo.Keypoint(label="z", points=[[NAN, NAN]]),
    ])
    counts = Counter()
    group, single = point_prompts(fo.Sample(filepath="/x.jpg", kp=kps), "kp", OPTS, counts)
    assert group.source_id == kps.keypoints[0].id and group.point_labels.tolist() == [1, 0]
    assert not group.multimask and single.multimask and single.rel_box is None
    assert counts["empty_keypoints"] == 1


def test_segment_argument_errors(inst_base, tiny_inst_model):
    run = dict(mode="instance", model=tiny_inst_model, progress=False)
    with pytest.raises(TypeError, match="no_such_option"):
        fo_sam3.segment(inst_base, "gt", box_field="gt", no_such_option=1, **run)
    with pytest.raises(PromptError, match="box_field"):
        fo_sam3.segment(inst_base, "out", **run)
    with pytest.raises(PromptError, match="'kp'"):
        fo_sam3.segment(inst_base, "out", box_field="kp", **run)
    with pytest.raises(ValueError, match="label_field"):
        fo_sam3.segment(inst_base, None, point_field="kp", **run)
    with pytest.raises(ValueError, match="score_attr"):
        InstanceOptions(score_attr="source_id")
