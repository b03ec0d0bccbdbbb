"""Prompt collection from frame-level labels, and run configuration validation."""

from __future__ import annotations

import fiftyone as fo
import pytest
from video_clips import add_boxes

from fo_sam3.video import TrackConfig, VideoPromptError, collect_prompts


@pytest.fixture
def prompted(make_video_dataset, shapes_mp4):
    ds = make_video_dataset(shapes_mp4)
    sample = ds.first()
    add_boxes(sample, 1, "gt", [[0.1, 0.2, 0.3, 0.4], [0.5, 0.5, 0.2, 0.2]], ["car", "dog"], [4, None])
    add_boxes(sample, 3, "gt", [[0.2, 0.2, 0.3, 0.4]], ["car"], [4])
    sample.frames[1]["kp"] = fo.Keypoints(
        keypoints=[
            fo.Keypoint(label="car", points=[(0.2, 0.3), (0.9, 0.9)], sam_labels=[1, 0], index=4),
            fo.Keypoint(label="cat", points=[(0.7, 0.1), (float("nan"), float("nan"))]),
        ]
    )
    sample.save()
    return sample


def test_each_label_is_one_object_and_index_keeps_identity(prompted):
    prompts = collect_prompts(prompted, (1, 3), box_field="gt", point_field="kp")
    by_key = {(p.frame_idx, p.obj_id): p for p in prompts}
    # frame 1: the box and the keypoint with index 4 prompt one object
    car = by_key[(0, 4)]
    assert car.label == "car"
    assert car.box == pytest.approx((0.1, 0.2, 0.4, 0.6))
    assert car.points == ((0.2, 0.3), (0.9, 0.9)) and car.point_labels == (1, 0)
    # unindexed labels get fresh ids above every index (4)
    assert {p.obj_id for p in prompts if p.frame_idx == 0} == {4, 5, 6}
    dog = next(p for p in prompts if p.label == "dog")
    assert dog.box == pytest.approx((0.5, 0.5, 0.7, 0.7)) and dog.points == ()
    cat = next(p for p in prompts if p.label == "cat")
    assert cat.points == ((0.7, 0.1),) and cat.point_labels == (1,)  # NaN point dropped
    # frame 3 (index 2) continues track 4
    assert by_key[(2, 4)].box == pytest.approx((0.2, 0.2, 0.5, 0.6))
    assert len(prompts) == 4


def test_prompt_frames_select_frames(prompted):
    assert {p.frame_idx for p in collect_prompts(prompted, (3,), box_field="gt")} == {2}
    assert {p.frame_idx for p in collect_prompts(prompted, None, box_field="gt")} == {0, 2}
    assert collect_prompts(prompted, (2, 5), box_field="gt") == []
    # asking does not create frames
    assert 2 not in prompted.frames and 5 not in prompted.frames


def test_malformed_prompts_are_named(prompted):
    add_boxes(prompted, 2, "gt", [[0.1, 0.1, 0.2, 0.2], [0.3, 0.3, 0.2, 0.2]], indexes=[1, 1])
    with pytest.raises(VideoPromptError, match="index 1 on frame 2"):
        collect_prompts(prompted, (2,), box_field="gt")
    prompted.frames[2]["kp"] = fo.Keypoints(keypoints=[fo.Keypoint(points=[(0.5, 0.5)], sam_labels=[0])])
    prompted.save()
    with pytest.raises(VideoPromptError, match="'kp' on frame 2.*no positive point"):
        collect_prompts(prompted, (2,), point_field="kp")


def _clicks(sample, frame_number, *keypoints):
    sample.frames[frame_number]["kp"] = fo.Keypoints(keypoints=list(keypoints))
    sample.save()
    return keypoints[0]


def test_video_prompts_follow_the_image_rules(prompted):
    kp = _clicks(prompted, 2, fo.Keypoint(points=[(64, 48)]))  # pixels
    with pytest.raises(VideoPromptError, match=f"'kp' on frame 2: keypoint {kp.id} has points outside"):
        collect_prompts(prompted, (2,), point_field="kp")
    kp = _clicks(prompted, 2, fo.Keypoint(points=[(0.5, 0.5)], sam_labels=[2]))  # was positive
    with pytest.raises(VideoPromptError, match=f"frame 2: keypoint {kp.id} in field 'kp': 'sam_labels' must be 1"):
        collect_prompts(prompted, (2,), point_field="kp")
    add_boxes(prompted, 2, "gt", [[0.1, 0.1, float("inf"), 0.2]])
    with pytest.raises(VideoPromptError, match="'gt' on frame 2.*non-finite"):
        collect_prompts(prompted, (2,), box_field="gt")
    # negative clicks with a box of the same index refine it, as in images
    add_boxes(prompted, 4, "gt", [[0.1, 0.1, 0.3, 0.3]], indexes=[9])
    _clicks(prompted, 4, fo.Keypoint(points=[(0.2, 0.2)], sam_labels=[0], index=9))
    (p,) = collect_prompts(prompted, (4,), box_field="gt", point_field="kp")
    assert p.box == pytest.approx((0.1, 0.1, 0.4, 0.4)) and p.point_labels == (0,)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "exactly one kind of prompt"),
        (dict(text="cat", box_field="gt"), "exactly one kind of prompt"),
        (dict(text="  "), "non-empty"),
        (dict(box_field="gt", direction="sideways"), "direction"),
        (dict(box_field="gt", prompt_frames=(0,)), "1-based"),
        (dict(text="cat", prompt_frames=(1, 2)), "exactly one prompt_frame"),
        (dict(box_field="gt", confidence=1.5), "confidence"),
        (dict(box_field="gt", memory_window=4), "memory_window"),
        (dict(box_field="gt", overwrite=True, skip_existing=True), "mutually exclusive"),
    ],
)
def test_config_is_validated(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrackConfig(**kwargs)


def test_config_is_frozen_and_normalised():
    cfg = TrackConfig(box_field="gt", prompt_frames=[4, 2, 4])
    assert cfg.prompt_frames == (2, 4)
    with pytest.raises(AttributeError):
        cfg.direction = "forward"
