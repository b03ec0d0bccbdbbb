"""Mask clean-up: exact results on synthetic masks; on real photos masks stay inside their boxes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from curation_helpers import full

from fo_sam3.config import SegmentConfig
from fo_sam3.convert.boxes import pixel_box, rel_box_for_pixels
from fo_sam3.convert.cleanup import Cleanup, clean_mask, clean_placed
from fo_sam3.convert.masks import mask_to_xyxy
from fo_sam3.write.masks import ArrayMaskStore, MaskStore


def blob_hole_speckle():
    """A 7x7 blob with a 2x2 hole at (4, 4), and a 1-pixel speckle at (10, 12)."""
    m = np.zeros((12, 14), bool)
    m[2:9, 2:9] = True
    m[4:6, 4:6] = False
    m[10, 12] = True
    blob = np.zeros_like(m)
    blob[2:9, 2:9] = True
    return m, blob


def test_speckle_and_hole_give_exactly_the_blob():
    m, blob = blob_hole_speckle()
    np.testing.assert_array_equal(clean_mask(m, min_area=5, fill_holes=True), blob)
    np.testing.assert_array_equal(clean_mask(m, min_area=5, fill_holes=True, largest_component=True), blob)
    assert m.sum() == 49 - 4 + 1  # the input is untouched


def test_each_option_alone():
    m, blob = blob_hole_speckle()
    np.testing.assert_array_equal(clean_mask(m), m)
    np.testing.assert_array_equal(clean_mask(m, fill_holes=3), m)  # the hole has 4 pixels
    np.testing.assert_array_equal(clean_mask(m, fill_holes=4), blob | m)
    np.testing.assert_array_equal(clean_mask(m, largest_component=True), m & blob)
    np.testing.assert_array_equal(clean_mask(m, min_area=2), m & blob)
    # below 1: a fraction of the mask's box (12 x 14 = 168 pixels): 0.02 -> 3.36 pixels
    np.testing.assert_array_equal(clean_mask(m, min_area=0.02), m & blob)
    np.testing.assert_array_equal(clean_mask(m, min_area=0.25), m & blob)  # 42 pixels: the 45-pixel blob stays
    assert not clean_mask(m, min_area=0.3).any()
    assert not clean_mask(m, min_area=100).any()


def test_background_open_to_the_border_is_not_a_hole():
    m = np.zeros((9, 9), bool)
    m[1:8, 1:8] = True
    m[3:6, 3:8] = False  # a notch open to the right edge of the extent
    np.testing.assert_array_equal(clean_mask(m[1:8, 1:8], fill_holes=True), m[1:8, 1:8])


def test_clean_placed_keeps_or_tightens_the_box():
    m, blob = blob_hole_speckle()
    box = rel_box_for_pixels((10, 20, 24, 32), 40, 30)  # m's pixel box in a 40 x 30 image
    cleanup = Cleanup(min_area=5, fill_holes=True)
    kept_box, kept = clean_placed(box, m, 40, 30, cleanup, tighten=False)
    assert kept_box == box
    np.testing.assert_array_equal(kept, blob)
    tight_box, tight = clean_placed(box, m, 40, 30, cleanup, tighten=True)
    assert pixel_box(tight_box, 40, 30) == (12, 22, 19, 29) and tight.shape == (7, 7) and tight.all()
    assert clean_placed(box, m, 40, 30, Cleanup(min_area=1000), tighten=True) is None
    assert clean_placed(box, m, 40, 30, Cleanup(), tighten=True)[1] is m
    assert MaskStore().clean(box, m, 40, 30, None, tighten=True)[1] is m


@pytest.mark.parametrize("kwargs", [dict(min_area=0), dict(min_area=-1), dict(min_area=True),
                                    dict(fill_holes=-1), dict(fill_holes="yes"), dict(largest_component=1)])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        SegmentConfig(**kwargs)


def test_config_cleanup_is_none_when_off():
    assert SegmentConfig().cleanup is None
    assert SegmentConfig(fill_holes=10).cleanup == Cleanup(fill_holes=10)


def test_video_frames_are_cleaned():
    from fo_sam3.video.instance import FrameObject
    from fo_sam3.video.labels import frame_docs

    m, blob = blob_hole_speckle()
    obj = FrameObject(obj_id=3, score=0.9, mask=m)
    docs = frame_docs([obj], 14, 12, ["thing"], ArrayMaskStore(), cleanup=Cleanup(min_area=5, fill_holes=True))
    doc = docs[3]
    assert pixel_box(doc["bounding_box"], 14, 12) == (2, 2, 9, 9)
    np.testing.assert_array_equal(doc["mask"], blob[2:9, 2:9])
    assert frame_docs([obj], 14, 12, ["thing"], ArrayMaskStore(), cleanup=Cleanup(min_area=1000)) == {}


def _pieces(mask) -> int:
    return cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1


def test_instance_cleanup_stays_inside_the_prompt_box(curated):
    """Cleaned instance masks: one piece, no holes, exactly the prompt box's pixels, inside the raw mask's box.

    (Prompt boxes are kept: ``tighten_boxes=False``.)"""
    cleaned = raw = 0
    for sample in curated:
        w, h = sample.metadata.width, sample.metadata.height
        raws = {d.source_id: d for d in sample.inst_raw.detections}
        for det in sample.inst.detections:
            src = next(g for g in sample.gt.detections if g.id == det.source_id)
            x0, y0, x1, y1 = pixel_box(src.bounding_box, w, h)
            assert det.bounding_box == src.bounding_box and det.mask.shape == (y1 - y0, x1 - x0)
            assert _pieces(det.mask) == 1
            np.testing.assert_array_equal(clean_mask(det.mask, fill_holes=True), det.mask)
            assert not (full(det, sample) & ~full_box(raws[det.source_id], w, h)).any()
            cleaned += int(det.mask.sum())
            raw += int(raws[det.source_id].mask.sum())
    assert 0 < cleaned < raw  # the random model's speckle is gone


def full_box(det, w, h):
    out = np.zeros((h, w), bool)
    x0, y0, x1, y1 = pixel_box(det.bounding_box, w, h)
    out[y0:y1, x0:x1] = True
    return out


def test_concept_cleanup_keeps_boxes_tight(curated):
    """Concept boxes are re-tightened after clean-up: the mask fills its pixel box edge to edge."""
    n = 0
    for sample in curated:
        w, h = sample.metadata.width, sample.metadata.height
        for det in sample.sam3.detections:
            x0, y0, x1, y1 = pixel_box(det.bounding_box, w, h)
            assert det.mask.shape == (y1 - y0, x1 - x0)
            assert mask_to_xyxy(det.mask) == (0, 0, x1 - x0, y1 - y0)
            np.testing.assert_array_equal(clean_mask(det.mask, min_area=0.01, fill_holes=True), det.mask)
            n += 1
    assert n == 18


def test_masks_removed_entirely_are_counted(curated, tiny_inst_model):
    import fo_sam3
    from curation_helpers import RUN

    view = curated.limit(1)
    summary = fo_sam3.segment(view, "inst_gone", mode="instance", box_field="gt", model=tiny_inst_model,
                              min_area=0.99, **RUN)
    assert summary.detections == 0
    assert any("removed entirely by clean-up" in n for n in summary.notes)
    curated.delete_sample_field("inst_gone")


def test_apply_model_cleans_too(curated, tiny_model):
    import fo_sam3

    view = curated.limit(1)
    model = fo_sam3.load_model(model=tiny_model, text=["cat"], confidence=0.0, topk_per_query=2,
                               largest_component=True, fill_holes=True)
    view.apply_model(model, "applied")
    try:
        dets = view.first().applied.detections
        assert len(dets) == 2 and all(_pieces(d.mask) == 1 for d in dets)
        assert all(mask_to_xyxy(d.mask) == (0, 0, d.mask.shape[1], d.mask.shape[0]) for d in dets)
    finally:
        curated.delete_sample_field("applied")
