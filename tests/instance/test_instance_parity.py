"""Instance masks and scores equal sam3's own ``predict_inst`` (seeded tiny model)."""

from __future__ import annotations

import numpy as np
import pytest

import fo_sam3
from fo_sam3.convert.labels import full_mask
from fo_sam3.instance.labels import box_pixels

from inst_helpers import RUN, mask_iou


def _size(sample):
    return sample.metadata.width, sample.metadata.height


def _box_region(rel_box, width, height) -> np.ndarray:
    x0, y0, x1, y1 = box_pixels(rel_box, width, height)
    region = np.zeros((height, width), dtype=bool)
    region[y0:y1, x0:x1] = True
    return region


def test_reference_masks_are_informative(reference):
    # Guards the parity tests below against trivially empty or full masks.
    for masks, _ in reference.values():
        assert 0.01 < masks.mean() < 0.99


def test_boxes_with_linked_clicks_match_predict_inst(inst_ds, tiny_inst_model, reference):
    summary = fo_sam3.segment(inst_ds, "masks", box_field="gt", point_field="kp", model=tiny_inst_model,
                              tighten_boxes=True, **RUN)
    assert (summary.done, summary.failed, summary.detections) == (2, 0, 4)
    for sample in inst_ds:
        width, height = _size(sample)
        for det in sample.masks.detections:
            ref_masks, ref_scores = reference[det.source_id]
            assert mask_iou(full_mask(det, width, height), ref_masks[0]) >= 0.99
            assert det.sam_score == pytest.approx(float(ref_scores[0]), abs=1e-4)


def test_in_place_masks_are_predict_inst_masks_cut_to_the_box(inst_ds, tiny_inst_model, reference):
    fo_sam3.segment(inst_ds, "gt", box_field="gt", point_field="kp", model=tiny_inst_model, **RUN)
    for sample in inst_ds:
        width, height = _size(sample)
        for det in sample.gt.detections:
            ref_masks, ref_scores = reference[det.id]
            x0, y0, x1, y1 = box_pixels(det.bounding_box, width, height)
            assert det.mask.shape == (y1 - y0, x1 - x0)
            expected = ref_masks[0] & _box_region(det.bounding_box, width, height)
            assert mask_iou(full_mask(det, width, height), expected) >= 0.99
            assert det.sam_score == pytest.approx(float(ref_scores[0]), abs=1e-4)


def test_single_click_keeps_the_best_of_three_candidates(inst_ds, tiny_inst_model, reference):
    summary = fo_sam3.segment(inst_ds, "clicks", point_field="kp", model=tiny_inst_model, **RUN)
    assert summary.detections == 4
    for sample in inst_ds:
        width, height = _size(sample)
        for det in sample.clicks.detections:
            ref_masks, ref_scores = reference[det.source_id]
            best = int(np.argmax(ref_scores))
            assert len(ref_scores) == (3 if det.label == "click" else 1)
            assert mask_iou(full_mask(det, width, height), ref_masks[best]) >= 0.99
            assert det.sam_score == pytest.approx(float(ref_scores[best]), abs=1e-4)
            assert not det.has_field("sam_candidate")


def test_all_candidates_keeps_each_candidate_as_a_detection(inst_ds, tiny_inst_model, reference):
    fo_sam3.segment(inst_ds, "clicks", point_field="kp", model=tiny_inst_model, all_candidates=True, **RUN)
    for sample in inst_ds:
        width, height = _size(sample)
        clicks = [d for d in sample.clicks.detections if d.label == "click"]
        assert sorted(d.sam_candidate for d in clicks) == [0, 1, 2]
        for det in clicks:
            ref_masks, ref_scores = reference[det.source_id]
            assert mask_iou(full_mask(det, width, height), ref_masks[det.sam_candidate]) >= 0.99
            assert det.sam_score == pytest.approx(float(ref_scores[det.sam_candidate]), abs=1e-4)
