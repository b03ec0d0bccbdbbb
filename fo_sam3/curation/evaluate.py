"""``evaluate``: FiftyOne's COCO-style detection evaluation as a per-class table and PR curves."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import CurationError, check_detections

HEADER = f"{'class':<24} {'AP':>6} {'precision':>9} {'recall':>6} {'support':>7}"


@dataclass
class ClassMetrics:
    """One class of one run: COCO AP (``None`` without ground truth), and precision,
    recall and ground-truth count at the matching IoU."""

    label: str
    ap: float | None
    precision: float
    recall: float
    support: int


@dataclass
class RunMetrics:
    """One prediction field against the ground truth.

    ``results`` is FiftyOne's ``COCODetectionResults`` (for its other reports
    and plots).
    """

    pred_field: str
    gt_field: str
    mAP: float | None
    classes: list[ClassMetrics]
    results: object = field(default=None, repr=False, compare=False)

    def table(self, kind: str = "mask", iou: float = 0.5) -> str:
        """The run as a fixed-width text table, one row per class, then mAP.

        Args:
            kind: ``"mask"`` or ``"box"``, named in the title.
            iou: the IoU of the precision/recall columns, named in the title.

        Returns:
            the table, lines joined by newlines.
        """
        lines = [f"{self.pred_field} vs {self.gt_field} ({kind} IoU; AP over IoU 0.50:0.95, "
                 f"precision/recall at IoU {iou:.2f})", HEADER]
        for c in self.classes:
            lines.append(f"{c.label[:24]:<24} {_num(c.ap):>6} {c.precision:>9.3f} {c.recall:>6.3f} {c.support:>7d}")
        lines.append(f"{'mAP':<24} {_num(self.mAP):>6}")
        return "\n".join(lines)


@dataclass
class EvalReport:
    """What ``evaluate`` returns: one ``RunMetrics`` per prediction field."""

    runs: list[RunMetrics]
    use_masks: bool = True
    iou: float = 0.5

    def __getitem__(self, pred_field: str) -> RunMetrics:
        for run in self.runs:
            if run.pred_field == pred_field:
                return run
        raise KeyError(pred_field)

    @property
    def mAP(self) -> float | None:
        """The mAP of the first (or only) run."""
        return self.runs[0].mAP

    def table(self) -> str:
        """Every run's table, separated by blank lines.

        Returns:
            the text of ``RunMetrics.table`` of each run.
        """
        kind = "mask" if self.use_masks else "box"
        return "\n\n".join(r.table(kind, self.iou) for r in self.runs)

    def __str__(self) -> str:
        return self.table()

    def as_dict(self) -> dict:
        """Plain data (JSON-ready).

        Returns:
            a dict with ``use_masks``, ``iou`` and ``runs`` (each with its
            fields, ``mAP`` and per-class metrics; no ``results``).
        """
        return {"use_masks": self.use_masks, "iou": self.iou, "runs": [
            {"pred_field": r.pred_field, "gt_field": r.gt_field, "mAP": r.mAP,
             "classes": [vars(c) for c in r.classes]} for r in self.runs]}

    def plot(self, path: str, dpi: int = 100) -> str:
        """Save the precision-recall curves (one panel per run) as a PNG at ``path``; return it.

        Args:
            path: the PNG file to write.
            dpi: its resolution.

        Returns:
            ``path``.
        """
        from .plot import save_pr_curves

        return save_pr_curves(self.runs, path, dpi)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def evaluate(samples, pred_field, gt_field: str, use_masks: bool = True, iou: float = 0.5,
             eval_key: str | None = None, plot: str | None = None, progress=None) -> EvalReport:
    """COCO-style evaluation of one or several prediction fields against ``gt_field``.

    Wraps ``samples.evaluate_detections(..., use_masks=True, compute_mAP=True)``.
    To compare two SAM3 runs, pass both as ``pred_field`` (each against the
    ground truth), or one run as ``gt_field`` (agreement of the other with it).

    Args:
        samples: a dataset or view.
        pred_field: a ``Detections`` field, or a list of them.
        gt_field: the ground-truth ``Detections`` field.
        use_masks: match on mask IoU (else box IoU).
        iou: the IoU at which precision and recall are counted.
        eval_key: store the evaluation on the dataset under this key (with
            several prediction fields: ``<eval_key>_<pred_field>``); ``None``
            stores nothing.
        plot: also save the PR curves as a PNG here (see ``EvalReport.plot``).
        progress: FiftyOne's ``progress`` argument.

    Returns:
        an ``EvalReport`` (``print(report)`` shows the table).
    """
    preds = [pred_field] if isinstance(pred_field, str) else list(pred_field)
    if not preds or len(set(preds)) != len(preds):
        raise CurationError(f"give one or more distinct prediction fields, got {pred_field!r}")
    if gt_field in preds:
        raise CurationError(f"'{gt_field}' is both a prediction and the ground-truth field")
    if not 0.0 < iou < 1.0:
        raise CurationError(f"iou must be in (0, 1), got {iou}")
    for f in preds + [gt_field]:
        check_detections(samples, f, masks=use_masks)
    runs = []
    for pred in preds:
        key = eval_key if eval_key is None or len(preds) == 1 else f"{eval_key}_{pred}"
        results = samples.evaluate_detections(pred, gt_field=gt_field, eval_key=key, use_masks=use_masks,
                                              iou=iou, compute_mAP=True, progress=progress)
        runs.append(_metrics(pred, gt_field, results))
    report = EvalReport(runs, use_masks, iou)
    if plot:
        report.plot(plot)
    return report


def _metrics(pred: str, gt: str, results) -> RunMetrics:
    table = results.report()
    rows = []
    for label in sorted(str(c) for c in results.classes):
        ap = results.mAP([label])
        r = table.get(label, {})
        rows.append(ClassMetrics(label, None if ap < 0 else float(ap), float(r.get("precision", 0.0)),
                                 float(r.get("recall", 0.0)), int(r.get("support", 0))))
    m = results.mAP()
    return RunMetrics(pred, gt, None if m < 0 else float(m), rows, results)


def class_curves(results) -> tuple[np.ndarray, list[tuple[str, float, np.ndarray]]]:
    """``(recall, [(class, AP, precision)])`` for classes with ground truth, averaged over IoUs.

    Args:
        results: FiftyOne's ``COCODetectionResults`` (computed with mAP).

    Returns:
        the recall thresholds, and per class its label, AP and precision at
        those recalls (mean over the IoU thresholds), by decreasing AP.
    """
    curves = []
    for i, label in enumerate(results.classes):
        ap = results.mAP([label])
        if ap >= 0:
            curves.append((str(label), float(ap), np.mean(results.precision[:, i], axis=0)))
    return np.asarray(results.recall), sorted(curves, key=lambda c: -c[1])
