"""``export``: a ``Detections`` field with masks to COCO, YOLO segmentation or CVAT, with FiftyOne's exporters."""

from __future__ import annotations

import json
import os
import shutil

import fiftyone as fo
from fiftyone import ViewField as F

from ..write.formats import DEFAULT_TOLERANCE, RLE_ATTR, has_mask, polylines, write_outputs
from .errors import CurationError, check_detections

from ..config import EXPORT_FORMATS as FORMATS


def export(samples, field: str, export_dir: str, format: str = "coco", rle: bool = False,
           tolerance: float | None = None, export_media=True, overwrite: bool = False,
           progress=None) -> dict:
    """Export the detections of ``field``, masks included.

    - ``"coco"``: ``COCODetectionDataset`` (``labels.json`` + ``data/``); masks
      are polygons, or exact COCO RLE with ``rle=True`` (from each
      detection's ``rle`` attribute, which is added where missing, as
      ``segment(output="rle")`` does; ``area`` is then the mask's area).
    - ``"yolo-seg"``: ``YOLOv5Dataset`` with ``use_masks=True`` (one polygon
      row per mask piece).
    - ``"cvat"``: ``CVATImageDataset``; masks become polygons
      (``Detection.to_polyline``), detections without a mask stay boxes.

    Args:
        samples: a dataset or view.
        field: a ``Detections`` field with masks.
        export_dir: the output directory.
        format: one of ``FORMATS``.
        rle: COCO only: write masks as RLE instead of polygons.
        tolerance: polygon tolerance in pixels (default: exact contours for
            COCO, 2 for YOLO and CVAT); not with ``rle``.
        export_media: FiftyOne's ``export_media`` (``True`` copies the images,
            ``False`` writes labels only, ``"symlink"``, ...).
        overwrite: delete ``export_dir`` first.
        progress: FiftyOne's ``progress`` argument.

    Returns:
        ``{"format", "export_dir", "samples", "labels", "masks"}``.
    """
    if format not in FORMATS:
        raise CurationError(f"format must be one of {FORMATS}, got {format!r}")
    if rle and format != "coco":
        raise CurationError("rle applies to format='coco' only")
    if tolerance is not None and (rle or isinstance(tolerance, bool) or not isinstance(tolerance, (int, float))
                                  or tolerance < 0):
        raise CurationError(f"tolerance must be a number of pixels >= 0 (and not with rle), got {tolerance!r}")
    check_detections(samples, field, masks=True)
    if overwrite and os.path.isdir(export_dir):
        shutil.rmtree(export_dir)
    view = samples.exists(field)
    if format == "coco":
        _coco(view, field, export_dir, rle, tolerance, export_media, progress)
    elif format == "yolo-seg":
        view.export(export_dir=export_dir, dataset_type=fo.types.YOLOv5Dataset, label_field=field,
                    export_media=export_media, use_masks=True,
                    tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance, progress=progress)
    else:
        _cvat(view, field, export_dir, DEFAULT_TOLERANCE if tolerance is None else tolerance,
              export_media, progress)
    return {"format": format, "export_dir": export_dir, "samples": len(view),
            "labels": view.count(f"{field}.detections"),
            "masks": view.filter_labels(field, has_mask()).count(f"{field}.detections")}


def _coco(view, field, export_dir, rle, tolerance, export_media, progress) -> None:
    if rle:
        missing = view.filter_labels(field, has_mask() & (F(RLE_ATTR) == None))  # noqa: E711
        if missing.count(f"{field}.detections"):
            write_outputs(missing, field, ("detections", RLE_ATTR), progress=progress)
    labels_path = os.path.join(export_dir, "labels.json")
    view.export(export_dir=export_dir, dataset_type=fo.types.COCODetectionDataset, label_field=field,
                labels_path=labels_path, export_media=export_media, tolerance=tolerance, progress=progress)
    _rle_segmentations(labels_path, rle)


def _rle_segmentations(labels_path: str, rle: bool) -> None:
    """Move each annotation's exported ``rle`` attribute into its ``segmentation`` (or drop it)."""
    from pycocotools import mask as mask_utils

    with open(labels_path) as f:
        data = json.load(f)
    changed = False
    for ann in data.get("annotations", []):
        value = ann.pop(RLE_ATTR, None)
        changed |= value is not None
        if rle and value is not None:
            ann["segmentation"] = value
            ann["area"] = float(mask_utils.area({"size": value["size"], "counts": value["counts"].encode()}))
    if changed:
        tmp = f"{labels_path}.tmp"
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.replace(tmp, labels_path)


def _cvat(view, field, export_dir, tolerance, export_media, progress) -> None:
    import fiftyone.utils.cvat as fouc

    exporter = fouc.CVATImageDatasetExporter(export_dir=export_dir, export_media=export_media)
    with exporter:
        exporter.log_collection(view)
        for sample in view.select_fields(field).iter_samples(progress=progress):
            dets = sample[field].detections
            boxes = [d for d in dets if not d.has_mask]
            labels = {"detections": fo.Detections(detections=boxes),
                      "polylines": polylines([d for d in dets if d.has_mask], tolerance)}
            exporter.export_sample(sample.filepath, labels, metadata=sample.metadata)
