"""Writing instance masks: in place (ids/attributes untouched) or into a new field."""

from __future__ import annotations

import os

import numpy as np
import pytest
from fiftyone import ViewField as F

import fo_sam3
from fo_sam3.errors import FieldExistsError
from fo_sam3.instance.labels import box_pixels

from inst_helpers import RUN

ADDED = {"mask", "sam_score"}


def _attr(label, name):
    return label.get_field(name) if label.has_field(name) else None


def _dicts(ds, field="gt"):
    return {d.id: d.to_dict() for s in ds for d in s[field].detections}


def test_in_place_adds_only_mask_and_score(inst_ds, tiny_inst_model):
    before = _dicts(inst_ds)
    summary = fo_sam3.segment(inst_ds, None, box_field="gt", model=tiny_inst_model, **RUN)
    assert (summary.done, summary.detections) == (2, 4)
    after = _dicts(inst_ds)
    assert after.keys() == before.keys()  # same ids, nothing added or removed
    for lid, new in after.items():
        assert ADDED <= new.keys() and not ADDED & before[lid].keys()
        assert {k: v for k, v in new.items() if k not in ADDED} == before[lid]
    for sample in inst_ds:
        for det in sample.gt.detections:
            x0, y0, x1, y1 = box_pixels(det.bounding_box, sample.metadata.width, sample.metadata.height)
            assert det.mask.shape == (y1 - y0, x1 - x0)
            assert 0.0 < det.sam_score < 1.0
    cat = inst_ds.first().gt.detections[0]
    assert (cat.label, cat.note, cat.confidence, cat.index) == ("cat", "keep", 0.9, 1)


def test_existing_masks_are_kept_unless_overwrite(inst_ds, tiny_inst_model):
    view = inst_ds.limit(1)
    sample = view.first()
    own = np.ones((3, 4), dtype=bool)
    sample.gt.detections[1].mask = own
    sample.save()
    summary = fo_sam3.segment(view, "gt", box_field="gt", model=tiny_inst_model, **RUN)
    assert summary.detections == 1
    assert summary.notes == ["1 detections already had a mask and were left alone (overwrite=True replaces them)"]
    dog = view.first().gt.detections[1]
    assert np.array_equal(dog.mask, own) and _attr(dog, "sam_score") is None

    fo_sam3.segment(view, "gt", box_field="gt", model=tiny_inst_model, overwrite=True, **RUN)
    dog = view.first().gt.detections[1]
    assert dog.mask.shape != own.shape and _attr(dog, "sam_score") is not None


def test_in_place_on_a_filtered_view_leaves_other_labels_alone(inst_ds, tiny_inst_model):
    view = inst_ds.filter_labels("gt", F("label") == "cat")
    fo_sam3.segment(view, "gt", box_field="gt", model=tiny_inst_model, **RUN)
    for sample in inst_ds:
        cat, dog = sample.gt.detections
        assert cat.mask is not None and cat.sam_score is not None
        assert dog.mask is None and _attr(dog, "sam_score") is None and dog.label == "dog"


def test_new_field_copies_keep_the_source_id(inst_ds, tiny_inst_model):
    before = _dicts(inst_ds)
    fo_sam3.segment(inst_ds, "masks", box_field="gt", model=tiny_inst_model, **RUN)
    assert _dicts(inst_ds) == before  # the source field is untouched
    for sample in inst_ds:
        sources = {d.id: d for d in sample.gt.detections}
        copies = sample.masks.detections
        assert sorted(d.source_id for d in copies) == sorted(sources)
        for det in copies:
            src = sources[det.source_id]
            assert det.id != src.id
            copied = (det.label, det.bounding_box, _attr(det, "note"), det.confidence)
            assert copied == (src.label, src.bounding_box, _attr(src, "note"), src.confidence)
            assert det.mask is not None and det.sam_score is not None
    with pytest.raises(FieldExistsError):
        fo_sam3.segment(inst_ds, "masks", box_field="gt", model=tiny_inst_model, **RUN)
    again = fo_sam3.segment(inst_ds, "masks", box_field="gt", model=tiny_inst_model, skip_existing=True, **RUN)
    assert (again.done, again.skipped) == (0, 2)


def test_in_place_output_dir_writes_mask_files(inst_ds, tiny_inst_model, tmp_path):
    view = inst_ds.limit(1)
    fo_sam3.segment(view, "gt", box_field="gt", model=tiny_inst_model, output_dir=str(tmp_path), **RUN)
    for sample in view:
        for det in sample.gt.detections:
            assert det.mask is None and os.path.isfile(det.mask_path)
            assert det.mask_path == os.path.join(str(tmp_path), sample.id, f"{det.id}.png")
            x0, y0, x1, y1 = box_pixels(det.bounding_box, sample.metadata.width, sample.metadata.height)
            assert det.get_mask().shape == (y1 - y0, x1 - x0)


def test_apply_model_writes_linked_copies(inst_ds, tiny_inst_model):
    model = fo_sam3.load_model(mode="instance", model=tiny_inst_model)
    inst_ds.apply_model(model, "am", prompt_field="gt")
    for sample in inst_ds:
        assert sorted(d.source_id for d in sample.am.detections) == sorted(d.id for d in sample.gt.detections)
        assert all(d.mask is not None and d.sam_score is not None for d in sample.am.detections)
    view = inst_ds.limit(1)
    view.apply_model(model, "am_clicks", prompt_field="kp")
    clicks = view.first().am_clicks.detections
    assert sorted(d.source_id for d in clicks) == sorted(k.id for k in view.first().kp.keypoints)


def test_apply_model_with_load_time_point_field(inst_ds, tiny_inst_model):
    model = fo_sam3.load_model(mode="instance", model=tiny_inst_model, point_field="kp")
    view = inst_ds.limit(1)
    view.apply_model(model, "am_linked", prompt_field="gt")
    fo_sam3.segment(view, "seg_linked", mode="instance", box_field="gt", point_field="kp",
                    model=tiny_inst_model, num_workers=0)
    sample = view.first()
    got = {d.source_id: d.sam_score for d in sample.am_linked.detections}
    ref = {d.source_id: d.sam_score for d in sample.seg_linked.detections}
    assert got.keys() == ref.keys() and len(got) > 0
    assert all(abs(got[k] - ref[k]) < 1e-4 for k in got)
