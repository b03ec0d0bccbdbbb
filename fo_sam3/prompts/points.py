"""Point prompts from ``Keypoint`` labels (FiftyOne's SAM convention).

Coordinates stay FiftyOne-relative ``(x, y)`` in [0, 1] here; they become
pixels (``x * width``, ``y * height``) once the image size is known. The
``sam_labels`` attribute gives each point's polarity (1 positive, 0
negative); without it every point is positive. NaN points are dropped.
"""

from __future__ import annotations

import fiftyone as fo
import numpy as np

from ..errors import PromptError

POINT_POLARITY_ATTR = "sam_labels"


def keypoint_points(kp: fo.Keypoint, field: str, where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """``(points, labels)``: relative (N, 2) float32 and (N,) int64 in {0, 1}, NaNs dropped."""
    pts = np.asarray(kp.points if kp.points is not None else [], dtype=np.float64).reshape(-1, 2)
    polarity = kp.get_field(POINT_POLARITY_ATTR) if kp.has_field(POINT_POLARITY_ATTR) else None
    if polarity is None:
        labels = np.ones(len(pts), dtype=np.int64)
    else:
        labels = np.asarray(polarity).reshape(-1)
        if len(labels) != len(pts):
            raise PromptError(
                f"{where}: keypoint {kp.id} in field '{field}' has {len(pts)} points but "
                f"{len(labels)} '{POINT_POLARITY_ATTR}'"
            )
        if not np.isin(labels, (0, 1)).all():
            raise PromptError(
                f"{where}: keypoint {kp.id} in field '{field}': '{POINT_POLARITY_ATTR}' must be "
                f"1 (positive) or 0 (negative), got {labels.tolist()}"
            )
        labels = labels.astype(np.int64)
    keep = np.isfinite(pts).all(axis=1)
    return pts[keep].astype(np.float32), labels[keep]


def rel_points_to_pixels(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Relative (N, 2) ``(x, y)`` to absolute pixels of the original image."""
    return np.asarray(points, dtype=np.float64).reshape(-1, 2) * np.array([width, height], dtype=np.float64)
