"""export: COCO (RLE re-imports with the same pixels), YOLO segmentation and CVAT polygons."""

from __future__ import annotations

import json

import numpy as np
import pytest
from curation_helpers import full

from fo_sam3.curation import CurationError, export


def _reimport(path, dataset_type, **kwargs):
    import fiftyone as fo

    return fo.Dataset.from_dir(dataset_dir=str(path), dataset_type=dataset_type, **kwargs)


def test_coco_rle_reimports_with_the_same_pixels(curated, tmp_path):
    import fiftyone as fo

    out = export(curated, "inst", str(tmp_path / "coco"), format="coco", rle=True, progress=False)
    n = curated.count("inst.detections")
    assert out == {"format": "coco", "export_dir": str(tmp_path / "coco"), "samples": 3, "labels": n, "masks": n}
    coco = json.loads((tmp_path / "coco" / "labels.json").read_text())
    assert all(isinstance(a["segmentation"], dict) and "rle" not in a for a in coco["annotations"])
    back = _reimport(tmp_path / "coco", fo.types.COCODetectionDataset, label_types="segmentations",
                     label_field="inst")
    try:
        back.compute_metadata()
        assert back.count("inst.detections") == n
        ours = {s.filepath.rsplit("/", 1)[-1]: s for s in curated}
        for sample in back:
            ref = ours[sample.filepath.rsplit("/", 1)[-1]]
            assert len(sample.inst.detections) == len(ref.inst.detections)
            for got, want in zip(sample.inst.detections, ref.inst.detections):
                assert got.label == want.label
                np.testing.assert_array_equal(full(got, sample), full(want, ref))
    finally:
        back.delete()


def test_coco_polygons_by_default(curated, tmp_path):
    export(curated, "sam3", str(tmp_path), export_media=False, progress=False)
    coco = json.loads((tmp_path / "labels.json").read_text())
    assert len(coco["annotations"]) == 18
    assert all(isinstance(a["segmentation"], list) and "rle" not in a for a in coco["annotations"])


def test_yolo_segmentation(curated, tmp_path):
    import fiftyone as fo

    export(curated, "inst", str(tmp_path), format="yolo-seg", progress=False)
    rows = [line.split() for p in (tmp_path / "labels" / "val").glob("*.txt") for line in p.read_text().splitlines()]
    assert len(rows) >= curated.count("inst.detections")
    assert all(len(r) >= 7 and len(r) % 2 == 1 for r in rows)  # class, then at least 3 (x, y) points
    back = _reimport(tmp_path, fo.types.YOLOv5Dataset, label_type="polylines", split="val")
    try:
        assert set(back.distinct("ground_truth.polylines.label")) == set(curated.distinct("inst.detections.label"))
    finally:
        back.delete()


def test_cvat_polygons(curated, tmp_path):
    import fiftyone as fo

    export(curated, "sam3", str(tmp_path), format="cvat", progress=False)
    back = _reimport(tmp_path, fo.types.CVATImageDataset)
    try:
        assert back.count("polylines.polylines") >= curated.count("sam3.detections")
        assert set(back.distinct("polylines.polylines.label")) == set(curated.distinct("sam3.detections.label"))
    finally:
        back.delete()


def test_bad_requests(curated, tmp_path):
    with pytest.raises(CurationError, match="format"):
        export(curated, "sam3", str(tmp_path), format="voc")
    with pytest.raises(CurationError, match="coco"):
        export(curated, "sam3", str(tmp_path), format="cvat", rle=True)
    with pytest.raises(CurationError, match="has no masks"):
        export(curated, "gt", str(tmp_path))
    with pytest.raises(CurationError, match="tolerance"):
        export(curated, "sam3", str(tmp_path), rle=True, tolerance=1)


def test_dbg(curated, tmp_path):
    import fiftyone as fo
    from fo_sam3.convert.boxes import pixel_box
    export(curated, "inst", "/tmp/cur/dbgcoco", format="coco", rle=True, progress=False, overwrite=True)
    back = _reimport("/tmp/cur/dbgcoco", fo.types.COCODetectionDataset, label_types="segmentations", label_field="inst")
    back.compute_metadata()
    ours = {s.filepath.rsplit("/", 1)[-1]: s for s in curated}
    for sample in back:
        ref = ours[sample.filepath.rsplit("/", 1)[-1]]
        W,H=sample.metadata.width, sample.metadata.height
        for got, want in zip(sample.inst.detections, ref.inst.detections):
            print(W,H,got.bounding_box, want.bounding_box, pixel_box(got.bounding_box,W,H), pixel_box(want.bounding_box,W,H), got.mask.shape, want.mask.shape)
    back.delete()
