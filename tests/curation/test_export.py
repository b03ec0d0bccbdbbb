"""export: COCO (RLE re-imports with the same pixels), YOLO segmentation and CVAT polygons."""

from __future__ import annotations

import json

import numpy as np
import pytest
from curation_helpers import RUN, full

from fo_sam3.curation import CurationError, export


def _reimport(path, dataset_type, **kwargs):
    import fiftyone as fo

    return fo.Dataset.from_dir(dataset_dir=str(path), dataset_type=dataset_type, **kwargs)


def test_coco_rle_reimports_with_the_same_pixels(curated, tiny_inst_model, tmp_path):
    """Exact for pixel-aligned boxes (fo_sam3's tight boxes; FiftyOne's COCO importer rounds other boxes)."""
    import fiftyone as fo

    import fo_sam3

    fo_sam3.segment(curated, "tight", mode="instance", box_field="gt", model=tiny_inst_model, tighten_boxes=True,
                    largest_component=True, **RUN)
    try:
        out = export(curated, "tight", str(tmp_path / "coco"), format="coco", rle=True, progress=False)
        n = curated.count("tight.detections")
        assert out == {"format": "coco", "export_dir": str(tmp_path / "coco"), "samples": 3, "labels": n, "masks": n}
        coco = json.loads((tmp_path / "coco" / "labels.json").read_text())
        assert all(isinstance(a["segmentation"], dict) and "rle" not in a for a in coco["annotations"])
        back = _reimport(tmp_path / "coco", fo.types.COCODetectionDataset, label_types="segmentations",
                         label_field="tight")
        try:
            back.compute_metadata()
            assert back.count("tight.detections") == n
            ours = {s.filepath.rsplit("/", 1)[-1]: s for s in curated}
            for sample in back:
                ref = ours[sample.filepath.rsplit("/", 1)[-1]]
                assert len(sample.tight.detections) == len(ref.tight.detections)
                for got, want in zip(sample.tight.detections, ref.tight.detections):
                    assert got.label == want.label
                    np.testing.assert_array_equal(full(got, sample), full(want, ref))
        finally:
            back.delete()
    finally:
        curated.delete_sample_field("tight")


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
    assert all(len(r) >= 5 and len(r) % 2 == 1 for r in rows)  # class, then (x, y) points
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

