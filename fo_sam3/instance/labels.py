"""Instance masks to FiftyOne boxes + cropped masks.

Contract: a detection's ``mask`` covers exactly the pixel box FiftyOne
inscribes it in, ``convert.boxes.pixel_box(bounding_box)`` (corners floored),
as ``convert.labels.full_mask`` and ``Detection.to_segmentation`` place it.
"""

from __future__ import annotations

import numpy as np

from ..convert.boxes import pixel_box, rel_box_for_pixels
from ..convert.masks import CroppedMask, crop_to_box


def box_pixels(rel_box, width: int, height: int) -> tuple[int, int, int, int]:
    """The integer pixel box that a detection's mask covers (FiftyOne's rule).

    Args:
        rel_box: relative ``[x, y, w, h]``.
        width: image width in pixels.
        height: image height in pixels.

    Returns:
        ``(x0, y0, x1, y1)``, x1/y1 exclusive.
    """
    return pixel_box(rel_box, width, height)


def place_mask(rel_box, cropped: CroppedMask, width: int, height: int,
               tighten: bool) -> tuple[list[float], np.ndarray] | None:
    """``(bounding_box, mask)`` for one prompt, or ``None`` if nothing can be placed.

    With a box (``rel_box``, relative ``[x, y, w, h]`` inside the image) and
    ``tighten=False``, the box is kept and the mask is cut to its pixel box.
    Otherwise the box is the mask's tight box; an empty mask then keeps the
    given box, and without a box it gives ``None``. A box under one pixel
    gives ``None``.

    Args:
        rel_box: the prompt's relative ``[x, y, w, h]``, or ``None``.
        cropped: the full-resolution mask, cropped to its extent.
        width: image width in pixels.
        height: image height in pixels.
        tighten: use the mask's tight box even when there is a box.

    Returns:
        ``(bounding_box, mask)`` or ``None``.
    """
    if (tighten or rel_box is None) and cropped.mask.any():
        return rel_box_for_pixels(cropped.xyxy, width, height), cropped.mask
    if rel_box is None:
        return None
    xyxy = box_pixels(rel_box, width, height)
    if xyxy[2] <= xyxy[0] or xyxy[3] <= xyxy[1]:
        return None
    return [float(v) for v in rel_box], crop_to_box(cropped, xyxy)
