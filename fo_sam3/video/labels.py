"""Tracked objects to FiftyOne ``Detection``s (relative boxes, cropped masks)."""

from __future__ import annotations

import fiftyone as fo
import numpy as np

from ..convert.masks import CroppedMask, mask_to_xyxy, upsample_mask
from .instance import FrameObject


def _cropped_from_full(mask: np.ndarray) -> CroppedMask:
    box = mask_to_xyxy(mask)
    if box is None:
        return CroppedMask(0, 0, np.zeros((0, 0), dtype=bool))
    x0, y0, x1, y1 = box
    return CroppedMask(x0, y0, np.ascontiguousarray(mask[y0:y1, x0:x1]))


def to_detection(obj: FrameObject, width: int, height: int, label: str) -> fo.Detection | None:
    """A ``Detection`` for ``obj`` on a ``width x height`` frame, or ``None`` if its mask is empty.

    The box is the mask's tight box in relative ``[x, y, w, h]``; ``mask`` is
    the bool mask cropped to that box; ``index`` is the track id.
    """
    if obj.logits is not None:
        cropped = upsample_mask(obj.logits, height, width)  # sam3's bilinear > 0, cropped
    else:
        cropped = _cropped_from_full(np.asarray(obj.mask, dtype=bool))
    if cropped.mask.size == 0:
        return None
    x0, y0, x1, y1 = cropped.xyxy
    box = [x0 / width, y0 / height, (x1 - x0) / width, (y1 - y0) / height]
    return fo.Detection(
        label=label,
        bounding_box=box,
        mask=cropped.mask,
        confidence=obj.score,
        index=obj.obj_id,
    )
