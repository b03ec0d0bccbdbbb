"""SAM3 results to FiftyOne labels.

Contract: a ``Detection``'s ``mask`` covers exactly the pixel box that
FiftyOne inscribes it in (``convert.boxes.pixel_box``: both corners floored),
so ``to_segmentation``, evaluation and exporters read the intended pixels.
"""

from __future__ import annotations

import math

import fiftyone as fo
import numpy as np

from .boxes import pixel_box, rel_box_for_pixels
from .masks import CroppedMask, crop_to_box, round_box


def prob_to_logit(p: float) -> float:
    """The logit of a probability.

    Args:
        p: a probability strictly between 0 and 1.

    Returns:
        ``log(p / (1 - p))``.
    """
    return math.log(p / (1 - p))


def box_and_mask(cropped: CroppedMask, model_xyxy, width: int, height: int,
                 box_source: str = "mask") -> tuple[list[float], np.ndarray]:
    """A relative ``bounding_box`` and the mask cropped to it.

    With ``box_source="mask"`` the box is the mask's tight box, so the
    full-image mask rebuilt from (bounding_box, mask) is exactly the model's
    mask. With ``"model"`` (or an empty mask) the box is SAM3's predicted box
    (absolute XYXY ``model_xyxy``) rounded outward to whole pixels, and the
    mask is cut to it.

    Args:
        cropped: the model's mask, cropped to its tight box.
        model_xyxy: SAM3's predicted box, absolute-pixel XYXY.
        width: image width in pixels.
        height: image height in pixels.
        box_source: ``"mask"`` or ``"model"``.

    Returns:
        ``(bounding_box, mask)``: a relative ``[x, y, w, h]`` and the boolean
        mask of exactly that box's ``pixel_box`` size.
    """
    if box_source == "mask" and cropped.mask.size:  # a tight crop: not empty means a pixel
        return rel_box_for_pixels(cropped.xyxy, width, height), cropped.mask
    xyxy = round_box(model_xyxy, width, height)
    return rel_box_for_pixels(xyxy, width, height), crop_to_box(cropped, xyxy)


def full_mask(det: fo.Detection, width: int, height: int) -> np.ndarray:
    """The full-image boolean mask of a detection, placed as FiftyOne places it.

    The stored mask must already have its box's pixel size (as fo_sam3 writes
    them); FiftyOne would resize any other size.

    Args:
        det: the detection (its mask in memory or at ``mask_path``).
        width / height: the image size in pixels.

    Returns:
        an (H, W) boolean array (all False without a mask).

    Raises:
        ValueError: the mask does not have its box's pixel size.
    """
    x0, y0, x1, y1 = pixel_box(det.bounding_box, width, height)
    mask = det.get_mask()
    out = np.zeros((height, width), dtype=bool)
    if mask is None or mask.size == 0:
        return out
    if mask.shape[:2] != (y1 - y0, x1 - x0):
        raise ValueError(f"mask of shape {mask.shape} does not fit its {x1 - x0}x{y1 - y0} pixel box")
    out[y0:y1, x0:x1] = mask.astype(bool)
    return out
