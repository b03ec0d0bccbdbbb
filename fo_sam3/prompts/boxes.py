"""Box exemplar queries from a ``Detections`` field.

Boxes are grouped into one query per label. A detection whose ``sam_label``
attribute is 0/False is a negative exemplar; every other box is positive.
"""

from __future__ import annotations

import logging

import fiftyone as fo
import numpy as np

from ..errors import PromptError
from .types import VISUAL, Query

logger = logging.getLogger(__name__)
POLARITY_ATTR = "sam_label"


def is_positive(det: fo.Detection) -> bool:
    value = det.get_field(POLARITY_ATTR) if det.has_field(POLARITY_ATTR) else None
    return not (value is not None and value in (0, False, "0", "false", "False", "negative"))


def clip_rel_box(box) -> np.ndarray | None:
    """Clip a relative ``[x, y, w, h]`` to the image; ``None`` if nothing is left."""
    b = np.asarray(box, dtype=np.float64)
    if b.shape != (4,) or not np.isfinite(b).all():
        return None
    x0, y0 = np.clip(b[:2], 0, 1)
    x1, y1 = np.clip(b[:2] + b[2:], 0, 1)
    if x1 <= x0 or y1 <= y0:
        return None
    return np.array([x0, y0, x1 - x0, y1 - y0], dtype=np.float32)


def box_queries(
    detections: fo.Detections | None,
    field: str,
    text_hint: bool = True,
    where: str = "",
) -> list[Query]:
    """One exemplar query per label; unusable boxes are dropped with a warning."""
    groups: dict[str, tuple[list, list]] = {}
    for det in (detections.detections if detections is not None else []):
        box = clip_rel_box(det.bounding_box) if det.bounding_box is not None else None
        if box is None:
            logger.warning("%s: skipping empty or invalid box %s in field '%s'", where, det.id, field)
            continue
        label = det.label or VISUAL
        boxes, polarity = groups.setdefault(label, ([], []))
        boxes.append(box)
        polarity.append(is_positive(det))
    queries = []
    for label, (boxes, polarity) in groups.items():
        if not any(polarity) and not text_hint:
            raise PromptError(
                f"{where}: label '{label}' in field '{field}' has only negative boxes; "
                "negative exemplars need a text hint (keep text_hint=True)"
            )
        queries.append(
            Query(
                text=label if text_hint else VISUAL,
                label=label,
                rel_boxes=np.stack(boxes).astype(np.float32),
                positive=np.array(polarity, dtype=bool),
            )
        )
    return queries
