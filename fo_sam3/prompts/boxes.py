"""Box rules (``clip_rel_box``, for images and video) and concept-mode exemplar queries.

Boxes are grouped into one query per label. A detection's ``sam_label``
attribute gives its polarity under the one rule of ``points.polarity``:
0/False is a negative exemplar, 1/True or missing a positive one.
"""

from __future__ import annotations

import logging
from collections import Counter

import fiftyone as fo
import numpy as np

from ..errors import PromptError
from .points import polarity
from .types import VISUAL, Query

logger = logging.getLogger(__name__)
POLARITY_ATTR = "sam_label"


def is_positive(det: fo.Detection, field: str = "", where: str = "") -> bool:
    """The detection's polarity (its ``sam_label``, under ``points.polarity``'s rule).

    Args:
        det: a prompt ``Detection``.
        field: its field, for the error message.
        where: the sample, for the error message.

    Returns:
        True for a positive box (``sam_label`` 1/True or missing).

    Raises:
        PromptError: naming the detection when ``sam_label`` is not 0/1/True/False.
    """
    value = det.get_field(POLARITY_ATTR) if det.has_field(POLARITY_ATTR) else None
    if value is None:
        return True
    sign = polarity(value)
    if sign is None:
        raise PromptError(
            f"{where}: detection {det.id} in field '{field}': '{POLARITY_ATTR}' must be "
            f"1 (positive) or 0 (negative), got {value!r}"
        )
    return bool(sign)


def clip_rel_box(box) -> np.ndarray | None:
    """A relative ``[x, y, w, h]`` clipped to the image (the one box rule of images and video).

    Args:
        box: a FiftyOne ``bounding_box``.

    Returns:
        a float64 ``[x, y, w, h]`` (the input exactly when inside the image),
        or ``None`` when missing, not 4 numbers, non-finite (an infinite
        width too) or empty after clipping.
    """
    try:
        b = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if b.shape != (4,) or not np.isfinite(b).all():
        return None
    x0, y0 = b[:2].clip(0, 1)
    x1, y1 = (b[:2] + b[2:]).clip(0, 1)
    if x1 <= x0 or y1 <= y0:
        return None
    if b[0] >= 0 and b[1] >= 0 and b[0] + b[2] <= 1 and b[1] + b[3] <= 1:
        return b
    return np.array([x0, y0, x1 - x0, y1 - y0])


def box_queries(
    detections: fo.Detections | None,
    field: str,
    text_hint: bool = True,
    where: str = "",
    counts: Counter | None = None,
) -> list[Query]:
    """One exemplar query per label; unusable boxes are dropped with a warning.

    Args:
        detections: the sample's prompt boxes, or ``None``.
        field: their field, for messages.
        text_hint: send each label as text with its boxes.
        where: the sample, for messages.
        counts: tallies dropped boxes as ``degenerate_boxes``.

    Returns:
        the ``Query``s.

    Raises:
        PromptError: a label has only negative boxes and no text hint.
    """
    groups: dict[str, tuple[list, list]] = {}
    for det in (detections.detections if detections is not None else []):
        box = clip_rel_box(det.bounding_box)
        if box is None:
            if counts is not None:
                counts["degenerate_boxes"] += 1
            logger.warning("%s: skipping detection %s in '%s': degenerate, non-finite or outside-image box %s",
                           where, det.id, field, det.bounding_box)
            continue
        label = det.label or VISUAL
        boxes, signs = groups.setdefault(label, ([], []))
        boxes.append(box)
        signs.append(is_positive(det, field, where))
    queries = []
    for label, (boxes, signs) in groups.items():
        if not any(signs) and not text_hint:
            raise PromptError(
                f"{where}: label '{label}' in field '{field}' has only negative boxes; "
                "negative exemplars need a text hint (keep text_hint=True)"
            )
        queries.append(
            Query(
                text=label if text_hint else VISUAL,
                label=label,
                rel_boxes=np.stack(boxes).astype(np.float32),
                positive=np.array(signs, dtype=bool),
            )
        )
    return queries
