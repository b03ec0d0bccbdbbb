"""Instance masks to FiftyOne boxes + cropped masks.

Contract: a detection's ``mask`` covers the pixel box
``round(x * W), round(y * H), round((x + w) * W), round((y + h) * H)`` of its
relative ``bounding_box`` (as ``convert.labels.full_mask`` rebuilds it).
"""

from __future__ import annotations

import numpy as np

from ..convert.boxes import xyxy_to_rel_xywh
from ..convert.masks import CroppedMask, crop_to_box


def box_pixels(rel_box, width: int, height: int) -> tuple[int, int, int, int]:
    """The integer pixel box that a mask of the relative ``[x, y, w, h]`` covers."""
    x, y, w, h = (float(v) for v in rel_box)
    return round(x * width), round(y * height), round((x + w) * width), round((y + h) * height)


def place_mask(rel_box, cropped: CroppedMask, width: int, height: int, tighten: bool):
    """``(bounding_box, mask)`` for one prompt, or ``None`` if nothing can be placed.

    With a box (``rel_box``, relative ``[x, y, w, h]`` inside the image) and
    ``tighten=False``, the box is kept and the mask is cut to it. Otherwise
    the box is the mask's tight box; an empty mask then keeps the given box,
    and without a box it gives ``None``. A box under one pixel gives ``None``.
    """
    if (tighten or rel_box is None) and cropped.mask.any():
        rel = xyxy_to_rel_xywh(np.asarray(cropped.xyxy, dtype=np.float64), width, height)[0]
        return [float(v) for v in rel], cropped.mask
    if rel_box is None:
        return None
    xyxy = box_pixels(rel_box, width, height)
    if xyxy[2] <= xyxy[0] or xyxy[3] <= xyxy[1]:
        return None
    return [float(v) for v in rel_box], crop_to_box(cropped, xyxy)
