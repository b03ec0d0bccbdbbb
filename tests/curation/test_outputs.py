"""output=: segmentation, polylines and RLE round trips through FiftyOne's own converters."""

from __future__ import annotations

import numpy as np
import pytest
from curation_helpers import CONCEPT, RUN, full
from pycocotools import mask as mask_utils

from fo_sam3.errors import FieldExistsError
from fo_sam3.write.formats import DEFAULT_TOLERANCE, parse_outputs, write_outputs


@pytest.mark.parametrize("field", ["sam3", "inst"])
def test_segmentation_is_the_union_of_the_rendered_masks(curated, field):
    targets = curated.mask_targets[f"{field}_seg"]
    assert sorted(targets.values()) == sorted(curated.distinct(f"{field}.detections.label"))
    by_label = {v: k for k, v in targets.items()}
    for sample in curated:
        seg = sample[f"{field}_seg"].get_mask()
        dets = sample[field].detections
        union = np.zeros(seg.shape, bool)
        top = np.zeros(seg.shape, np.int64)
        for det in sorted(dets, key=lambda d: d.confidence or 0.0):  # highest confidence drawn last
            m = full(det, sample)
            union |= m
            top[m] = by_label[det.label]
        np.testing.assert_array_equal(seg > 0, union)
        np.testing.assert_array_equal(seg, top)


def test_polylines_rasterise_back_to_the_masks(curated):
    n = 0
    for sample in curated:
        size = (sample.metadata.width, sample.metadata.height)
        polys = sample.sam3_polylines.polylines
        assert len(polys) == len(sample.sam3.detections)
        for det, poly in zip(sample.sam3.detections, polys):
            assert poly.label == det.label and poly.filled and "rle" not in poly
            mask, back = full(det, sample), poly.to_segmentation(frame_size=size, target=1).mask > 0
            assert (mask & back).sum() / (mask | back).sum() >= 0.95
            n += 1
    assert n == 18 and DEFAULT_TOLERANCE == 2


@pytest.mark.parametrize("field", ["sam3", "inst"])
def test_rle_decodes_to_exactly_the_mask(curated, field):
    n = 0
    for sample in curated:
        for det in sample[field].detections:
            assert det.rle["size"] == [sample.metadata.height, sample.metadata.width]
            np.testing.assert_array_equal(mask_utils.decode(det.rle).astype(bool), full(det, sample))
            n += 1
    assert n == curated.count(f"{field}.detections") > 0


def test_segmentation_masks_as_png_files(curated, tmp_path):
    ds = curated.select_fields("sam3").clone()
    try:
        notes = write_outputs(ds, "sam3", ("detections", "segmentation"), output_dir=str(tmp_path))
        assert notes == ["wrote sam3_seg (Segmentation)"]
        for sample, ref in zip(ds, curated):
            assert sample.sam3_seg.mask is None and sample.sam3_seg.mask_path.startswith(str(tmp_path))
            np.testing.assert_array_equal(sample.sam3_seg.get_mask(), ref.sam3_seg.get_mask())
    finally:
        ds.delete()


def test_output_names_and_tolerance_are_checked():
    assert parse_outputs("segmentation") == (("detections", "segmentation"), 2)
    assert parse_outputs(["rle", "polylines"], 1.5) == (("detections", "polylines", "rle"), 1.5)
    for bad in ("mask", ["detections", "png"], []):
        with pytest.raises(ValueError, match="output must be"):
            parse_outputs(bad)
    with pytest.raises(ValueError, match="polylines"):
        parse_outputs("segmentation", tolerance=1)
    with pytest.raises(ValueError, match="tolerance"):
        parse_outputs("polylines", tolerance=-1)


def test_existing_derived_field_is_refused_before_the_run(curated, tiny_model):
    import fiftyone as fo

    import fo_sam3

    curated.add_sample_field("sam3_new_seg", fo.EmbeddedDocumentField, embedded_doc_type=fo.Segmentation)
    try:
        with pytest.raises(FieldExistsError, match="sam3_new_seg"):
            fo_sam3.segment(curated.limit(1), "sam3_new", model=tiny_model, output="segmentation", **CONCEPT, **RUN)
        assert not curated.has_field("sam3_new")
    finally:
        curated.delete_sample_field("sam3_new_seg")
