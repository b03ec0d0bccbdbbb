"""Helpers for the prompting tests (exemplars, refine, everything)."""

from __future__ import annotations

import numpy as np

from fo_sam3.convert.labels import full_mask

RUN = dict(num_workers=0, progress=False)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum() / union)


def by_label(sample, field: str) -> dict:
    """``{label: detections sorted by confidence}``."""
    out: dict = {}
    for d in sample[field].detections if sample[field] is not None else []:
        out.setdefault(d.label, []).append(d)
    return {k: sorted(v, key=lambda d: -d.confidence) for k, v in out.items()}


def assert_same_dets(got, want, width: int, height: int, atol: float = 1e-4) -> None:
    """Equal counts, confidences within ``atol`` and full masks with IoU >= 0.99."""
    assert len(got) == len(want) > 0
    np.testing.assert_allclose([d.confidence for d in got], [d.confidence for d in want], atol=atol)
    for g, w in zip(got, want):
        assert iou(full_mask(g, width, height), full_mask(w, width, height)) >= 0.99
