"""Curation tools over FiftyOne: evaluate masks against ground truth, export with masks.

- ``evaluate(samples, pred_field, gt_field)``: COCO-style evaluation
  (``evaluate_detections(use_masks=True)``) as a per-class table of AP,
  precision and recall, with mAP, for one or several prediction fields;
  ``EvalReport.plot(path)`` saves the precision-recall curves as a PNG.
- ``export(samples, field, export_dir, format=...)``: COCO, YOLO
  segmentation or CVAT, masks included, with FiftyOne's exporters.
"""

from .errors import CurationError
from .evaluate import ClassMetrics, EvalReport, RunMetrics, evaluate
from .export import FORMATS, export

__all__ = ["evaluate", "export", "EvalReport", "RunMetrics", "ClassMetrics", "CurationError", "FORMATS"]
