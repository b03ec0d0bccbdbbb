"""Mask clean-up: fill holes, drop small pieces, keep the largest piece.

Runs with OpenCV's connected components on one cropped mask at a time, so
the extra memory is one ``int32`` label image the size of that crop.
Foreground pieces are 8-connected; holes are 4-connected background regions
that do not touch the crop's border (the usual pairing).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import pixel_box, rel_box_for_pixels
from .masks import mask_to_xyxy

_L, _T, _W, _H, _AREA = (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                         cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA)


@dataclass(frozen=True)
class Cleanup:
    """Clean-up settings (all off by default); see ``clean_mask``.

    Attributes:
        min_area: drop 8-connected pieces smaller than this many pixels, or,
            when below 1, than this fraction of the box (the mask's area).
        fill_holes: fill holes of at most this many pixels; ``True`` fills
            holes of any size.
        largest_component: keep only the largest piece.
    """

    min_area: float | None = None
    fill_holes: bool | int = False
    largest_component: bool = False

    def __post_init__(self):
        check_cleanup(self.min_area, self.fill_holes, self.largest_component)

    @property
    def active(self) -> bool:
        return bool(self.min_area or self.fill_holes or self.largest_component)


def check_cleanup(min_area, fill_holes, largest_component) -> None:
    """Raise ``ValueError`` for unusable clean-up settings.

    Args:
        min_area: ``None``, or a positive finite number (pixels, or below 1 a
            fraction of the box).
        fill_holes: a bool, or a non-negative maximum hole size in pixels.
        largest_component: a bool.
    """
    if min_area is not None and (isinstance(min_area, bool) or not isinstance(min_area, (int, float))
                                 or not min_area > 0 or not np.isfinite(min_area)):
        raise ValueError(f"min_area must be a positive number (pixels, or a fraction of the box below 1), "
                         f"got {min_area!r}")
    if not isinstance(fill_holes, (bool, np.bool_, int, np.integer)) or fill_holes < 0:
        raise ValueError(f"fill_holes must be True/False or a maximum hole size in pixels, got {fill_holes!r}")
    if not isinstance(largest_component, (bool, np.bool_)):
        raise ValueError(f"largest_component must be True or False, got {largest_component!r}")


def clean_mask(mask: np.ndarray, min_area: float | None = None, fill_holes: bool | int = False,
               largest_component: bool = False) -> np.ndarray:
    """A cleaned copy of a boolean mask (same shape; filled holes lie inside it).

    Holes are filled first, then pieces under ``min_area`` are dropped, then
    only the largest piece is kept (ties: the first in row-major order).

    Args:
        mask: a 2D boolean mask, as stored on a label (its shape is the
            label's box in pixels).
        min_area: pixels (>= 1), or a fraction (< 1) of ``mask``'s area
            (height x width: the box); pieces smaller than this are dropped.
        fill_holes: fill holes up to this many pixels (``True``: any size).
        largest_component: keep only the largest 8-connected piece.

    Returns:
        a new boolean array of the same shape (possibly all False).
    """
    check_cleanup(min_area, fill_holes, largest_component)
    out = np.array(mask, dtype=bool, copy=True)
    if out.size == 0 or not out.any():
        return out
    if fill_holes:
        _fill_holes(out, None if isinstance(fill_holes, (bool, np.bool_)) else int(fill_holes))
    if min_area or largest_component:
        threshold = 0
        if min_area:
            threshold = min_area if min_area >= 1 else min_area * out.size
        _keep_pieces(out, threshold, largest_component)
    return out


def _fill_holes(mask: np.ndarray, max_area: int | None) -> None:
    """Fill, in place, background regions that do not touch the border (up to ``max_area`` pixels)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((~mask).view(np.uint8), connectivity=4)
    if n <= 1:
        return
    h, w = mask.shape
    s = stats
    inner = (s[:, _L] > 0) & (s[:, _T] > 0) & (s[:, _L] + s[:, _W] < w) & (s[:, _T] + s[:, _H] < h)
    inner[0] = False  # label 0: the mask's own pixels
    if max_area is not None:
        inner &= s[:, _AREA] <= max_area
    if inner.any():
        mask |= inner[labels]


def _keep_pieces(mask: np.ndarray, min_pixels: float, largest: bool) -> None:
    """Keep, in place, the 8-connected pieces of at least ``min_pixels`` (only the largest, if asked)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.view(np.uint8), connectivity=8)
    areas = stats[:, _AREA].astype(np.float64)
    keep = areas >= min_pixels
    keep[0] = False  # background
    if largest and n > 1:
        best = 1 + int(np.argmax(areas[1:]))
        keep &= np.arange(n) == best
    mask[...] = keep[labels]


def clean_placed(box, mask: np.ndarray, width: int, height: int, cleanup: Cleanup,
                 tighten: bool) -> tuple[list[float], np.ndarray] | None:
    """A placed label's ``(bounding_box, mask)`` after clean-up; the mask never leaves its box.

    Args:
        box: relative ``[x, y, w, h]`` whose pixel box (``pixel_box``) is
            ``mask``'s shape.
        mask: the label's boolean mask.
        width: image width.
        height: image height.
        cleanup: the settings.
        tighten: shrink the box to the cleaned mask's tight box (exact under
            FiftyOne's floor rule); otherwise keep the box.

    Returns:
        ``(box, mask)`` (unchanged when nothing is active or the mask is
        empty), or ``None`` when clean-up removed every pixel.
    """
    if not cleanup.active or mask.size == 0 or not mask.any():
        return box, mask
    out = clean_mask(mask, cleanup.min_area, cleanup.fill_holes, cleanup.largest_component)
    tight = mask_to_xyxy(out)
    if tight is None:
        return None
    if not tighten:
        return box, out
    x0, y0 = pixel_box(box, width, height)[:2]
    bx0, by0, bx1, by1 = tight
    xyxy = (x0 + bx0, y0 + by0, x0 + bx1, y0 + by1)
    return rel_box_for_pixels(xyxy, width, height), np.ascontiguousarray(out[by0:by1, bx0:bx1])


def cleanup_of(min_area, fill_holes, largest_component) -> Cleanup | None:
    """The ``Cleanup`` for these settings, or ``None`` when every option is off.

    Args:
        min_area / fill_holes / largest_component: the ``Cleanup`` settings.

    Returns:
        a ``Cleanup``, or ``None``.
    """
    c = Cleanup(min_area, fill_holes, largest_component)
    return c if c.active else None
