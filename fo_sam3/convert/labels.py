"""SAM3 results to FiftyOne labels."""

from __future__ import annotations

import math

import fiftyone as fo
import numpy as np

from .boxes import xyxy_to_rel_xywh
from .masks import CroppedMask, crop_to_box, round_box


def prob_to_logit(p: float) -> float:
    return math.log(p / (1 - p))


def detection_from_mask(
    cropped: CroppedMask,
    model_xyxy,
    width: int,
    height: int,
    box_source: str = "mask",
    **fields,
) -> fo.Detection:
    """A ``Detection`` whose ``mask`` is cropped to its ``bounding_box``.

    With ``box_source="mask"`` the box is the mask's tight box, so the
    full-image mask rebuilt from (bounding_box, mask) is exactly the model's
    mask. With ``"model"`` (or an empty mask) the box is SAM3's predicted box
    rounded outward to whole pixels, and the mask is cut to it.
    """
    if box_source == "mask" and cropped.mask.size and cropped.mask.any():
        xyxy = cropped.xyxy
        mask = cropped.mask
    else:
        xyxy = round_box(model_xyxy, width, height)
        mask = crop_to_box(cropped, xyxy)
    rel = xyxy_to_rel_xywh(np.asarray(xyxy, dtype=np.float64), width, height)[0]
    return fo.Detection(bounding_box=[float(v) for v in rel], mask=mask, **fields)


def full_mask(det: fo.Detection, width: int, height: int) -> np.ndarray:
    """Rebuild the full-image boolean mask from a detection's box and cropped mask."""
    x, y, w, h = det.bounding_box
    x0, y0 = int(round(x * width)), int(round(y * height))
    x1, y1 = int(round((x + w) * width)), int(round((y + h) * height))
    mask = det.mask if det.mask is not None else det.get_mask()
    out = np.zeros((height, width), dtype=bool)
    if mask is None or mask.size == 0:
        return out
    out[y0:y1, x0:x1] = mask[: y1 - y0, : x1 - x0].astype(bool)
    return out
