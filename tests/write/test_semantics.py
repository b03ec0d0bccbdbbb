"""overwrite / skip_existing / output_dir semantics on a real dataset."""

import os

import fiftyone as fo
import numpy as np
import pytest
from PIL import Image

import fo_sam3
from fo_sam3.convert.labels import full_mask
from fo_sam3.errors import FieldExistsError

ARGS = dict(text=["person"], confidence=0.15, num_workers=0)


def test_existing_field_is_never_overwritten_by_default(dataset, tiny_model):
    view = dataset.limit(2)
    fo_sam3.segment(view, "sam3", model=tiny_model, **ARGS)
    before = [s.sam3.detections[0].id for s in view]
    with pytest.raises(FieldExistsError, match="'sam3'"):
        fo_sam3.segment(view, "sam3", model=tiny_model, **ARGS)
    assert [s.sam3.detections[0].id for s in view] == before
    fo_sam3.segment(view, "sam3", model=tiny_model, overwrite=True, **ARGS)
    assert [s.sam3.detections[0].id for s in view] != before


def test_skip_existing_labels_only_empty_samples(dataset, tiny_model):
    first = dataset.limit(1)
    fo_sam3.segment(first, "sam3", model=tiny_model, **ARGS)
    kept = first.first().sam3.detections[0].id
    summary = fo_sam3.segment(dataset.limit(3), "sam3", model=tiny_model, skip_existing=True, **ARGS)
    assert summary.done == 2 and summary.skipped == 1
    assert first.first().sam3.detections[0].id == kept
    assert all(s.sam3 is not None for s in dataset.limit(3))


def test_wrong_type_output_field_is_refused(dataset, tiny_model):
    dataset.add_sample_field("sam3", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    with pytest.raises(FieldExistsError, match="Classification"):
        fo_sam3.segment(dataset, "sam3", model=tiny_model, overwrite=True, **ARGS)


def test_output_dir_writes_mask_path_pngs(dataset, tiny_model, tmp_path):
    view = dataset.limit(2)
    summary = fo_sam3.segment(view, "sam3", model=tiny_model, output_dir=str(tmp_path), **ARGS)
    assert summary.detections > 0
    for sample in view:
        w, h = sample.metadata.width, sample.metadata.height
        for det in sample.sam3.detections:
            assert det.mask is None and os.path.isfile(det.mask_path)
            assert det.mask_path.startswith(str(tmp_path))
            png = np.asarray(Image.open(det.mask_path)) > 0
            assert png.shape == det.get_mask().shape
            assert full_mask(det, w, h).sum() == png.sum()


def test_apply_model_with_text_and_prompt_field(dataset, tiny_model):
    model = fo_sam3.load_model(text=["person", "cat"], model=tiny_model, confidence=0.15)
    view = dataset.limit(2)
    view.apply_model(model, label_field="applied")
    ref_summary = fo_sam3.segment(view, "segmented", text=["person", "cat"], model=tiny_model, confidence=0.15, num_workers=0)
    assert ref_summary.detections == view.count("applied.detections") > 0
    sample = view.first()
    sample["gt"] = fo.Detections(detections=[fo.Detection(label="person", bounding_box=[0.2, 0.1, 0.5, 0.8])])
    sample.save()
    view.apply_model(model, label_field="boxed", prompt_field="gt")
    assert set(view.distinct("boxed.detections.query")) == {"person [text+boxes]"}
    assert view.last().boxed is None or len(view.last().boxed.detections) == 0


def test_video_collections_are_refused_with_a_pointer_to_track(tmp_path, tiny_model):
    from fo_sam3.errors import FoSam3Error

    ds = fo.Dataset()
    try:
        ds.add_sample(fo.Sample(filepath=str(tmp_path / "clip.mp4")))
        with pytest.raises(FoSam3Error, match="track"):
            fo_sam3.segment(ds, "sam3", model=tiny_model, **ARGS)
    finally:
        ds.delete()
