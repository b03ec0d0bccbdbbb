"""Point rules for ``Keypoint`` clicks (FiftyOne's SAM convention), for images and video.

Coordinates are FiftyOne-relative ``(x, y)`` in [0, 1]; they become pixels
(``x * width``, ``y * height``) once the image size is known. NaN (or
``None``) points are FiftyOne's "not visible" and are dropped. A keypoint
with any point outside [0, 1] (pixels, most likely) is not usable.

Polarity (``sam_labels`` per point on a ``Keypoint``, ``sam_label`` on a
``Detection``) has one rule, ``polarity``: 1/``True`` is positive, 0/``False``
negative, missing means positive; anything else (2, "neg", NaN) is an error
naming the sample and label, never a guess.
"""

from __future__ import annotations

import fiftyone as fo
import numpy as np

from ..errors import PromptError

POINT_POLARITY_ATTR = "sam_labels"
EPS = 1e-6  # rounding slack at the image edges
OUTSIDE = "has points outside [0, 1] (coordinates are relative to the image, not pixels)"
NO_POINT = "has no finite point"
ONLY_NEGATIVE = "has no positive point: nothing to segment"


def polarity(value) -> int | None:
    """The one polarity rule of points and boxes, images and video.

    Args:
        value: a ``sam_labels`` item or a ``sam_label``.

    Returns:
        1 (positive) or 0 (negative) for 1/0/True/False (Python or numpy);
        ``None`` for anything else (2, "neg", NaN).
    """
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and value in (0, 1):
        return int(value)
    return None


def _xy(p) -> tuple[float, float]:
    if p is None:
        return np.nan, np.nan
    xy = np.asarray(p, dtype=np.float64).reshape(-1)
    if xy.shape != (2,):
        raise ValueError
    return float(xy[0]), float(xy[1])


def keypoint_points(kp: fo.Keypoint, field: str, where: str = "", dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """A ``Keypoint``'s clicks and their polarity, NaN (not visible) points dropped.

    Args:
        kp: the ``Keypoint``.
        field: its field, for messages.
        where: the sample (or frame), for messages.
        dtype: the points' dtype.

    Returns:
        ``(points, labels)``: relative (N, 2) ``dtype`` and (N,) int64 in {0, 1}.

    Raises:
        PromptError: naming ``where``, the keypoint and ``field``, when a point
            is not an ``(x, y)`` pair or ``sam_labels`` breaks the polarity rule.
    """
    name = f"{where}: keypoint {kp.id} in field '{field}'"
    try:
        pts = np.array([_xy(p) for p in kp.points or []], dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        raise PromptError(f"{name}: points must be (x, y) pairs, got {kp.points}") from None
    values = kp.get_field(POINT_POLARITY_ATTR) if kp.has_field(POINT_POLARITY_ATTR) else None
    if values is None:
        labels = [1] * len(pts)
    else:
        values = list(np.asarray(values, dtype=object).reshape(-1))
        if len(values) != len(pts):
            raise PromptError(f"{name} has {len(pts)} points but {len(values)} '{POINT_POLARITY_ATTR}'")
        labels = [polarity(v) for v in values]
        if None in labels:
            raise PromptError(
                f"{name}: '{POINT_POLARITY_ATTR}' must be 1 (positive) or 0 (negative), got {values}"
            )
    keep = np.isfinite(pts).all(axis=1)
    pts = pts[keep]
    pts = np.where((pts >= -EPS) & (pts <= 1 + EPS), pts.clip(0, 1), pts)  # rounding slack only
    return pts.astype(dtype), np.asarray(labels, dtype=np.int64)[keep]


def points_outside(points: np.ndarray) -> bool:
    """Whether any relative point lies outside [0, 1] (e.g. given in pixels).

    Args:
        points: (N, 2) relative ``(x, y)``.

    Returns:
        True when the keypoint is not usable.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return bool(((pts < 0) | (pts > 1)).any())


def click_problem(labels: np.ndarray) -> str | None:
    """Why clicks without a box cannot be a prompt.

    Args:
        labels: the clicks' polarity (1/0).

    Returns:
        ``NO_POINT``, ``ONLY_NEGATIVE``, or ``None`` when they can.
    """
    labels = np.asarray(labels).reshape(-1)
    if not len(labels):
        return NO_POINT
    if not labels.any():
        return ONLY_NEGATIVE
    return None


def rel_points_to_pixels(points: np.ndarray, width: int, height: int) -> np.ndarray:
    """Relative (N, 2) ``(x, y)`` to absolute pixels of the original image.

    Args:
        points: relative points.
        width / height: the image size in pixels.

    Returns:
        an (N, 2) float64 array.
    """
    return np.asarray(points, dtype=np.float64).reshape(-1, 2) * np.array([width, height], dtype=np.float64)
