"""Vectorised box converters.

Conventions (all ``float`` arrays of shape ``(N, 4)``):

- ``rel_xywh``: FiftyOne's ``bounding_box``: top-left x, y, width, height in [0, 1].
- ``xyxy``: absolute pixels of the original image, x0, y0, x1, y1 (x1/y1 exclusive
  edges, so a box covering pixel columns 0..9 is ``[0, ., 10, .]``).
- ``norm_cxcywh``: SAM3's input box: centre x, centre y, width, height, each
  divided by the image width/height.
"""

from __future__ import annotations

import numpy as np


def _as_boxes(boxes) -> np.ndarray:
    arr = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return arr


def rel_xywh_to_xyxy(boxes, width: int, height: int) -> np.ndarray:
    """FiftyOne relative ``[x, y, w, h]`` to absolute-pixel XYXY.

    Args:
        boxes: (N, 4) (or one) relative ``[x, y, w, h]`` boxes, in [0, 1].
        width: image width in pixels.
        height: image height in pixels.

    Returns:
        (N, 4) float XYXY boxes in pixels (x1/y1 exclusive).
    """
    b = _as_boxes(boxes)
    scale = np.array([width, height, width, height], dtype=np.float64)
    xyxy = np.concatenate([b[:, :2], b[:, :2] + b[:, 2:]], axis=1)
    return xyxy * scale


def xyxy_to_norm_cxcywh(boxes, width: int, height: int) -> np.ndarray:
    """Absolute-pixel XYXY to SAM3's normalised centre-size boxes.

    Args:
        boxes: (N, 4) (or one) pixel XYXY boxes.
        width: image width, the x divisor.
        height: image height, the y divisor.

    Returns:
        (N, 4) ``[cx, cy, w, h]`` boxes, divided by the image size.
    """
    b = _as_boxes(boxes)
    cx = (b[:, 0] + b[:, 2]) / (2 * width)
    cy = (b[:, 1] + b[:, 3]) / (2 * height)
    w = (b[:, 2] - b[:, 0]) / width
    h = (b[:, 3] - b[:, 1]) / height
    return np.stack([cx, cy, w, h], axis=1)


def pixel_box(rel_box, width: int, height: int) -> tuple[int, int, int, int]:
    """The integer XYXY pixel box FiftyOne inscribes a ``Detection``'s mask in.

    FiftyOne (``eta.core.image.render_instance_mask``, used by
    ``to_segmentation``, evaluation and exporters) floors both corners:
    ``int(W * x), int(H * y), int(W * (x + w)), int(H * (y + h))``.

    Args:
        rel_box: a relative ``[x, y, w, h]`` box.
        width: image width W in pixels.
        height: image height H in pixels.

    Returns:
        ``(x0, y0, x1, y1)`` in pixels, x1/y1 exclusive.
    """
    x, y, w, h = (float(v) for v in rel_box)
    fw, fh = float(width), float(height)
    return int(fw * x), int(fh * y), int(fw * (x + w)), int(fh * (y + h))


def _edge(p: int, size: int) -> float:
    """The relative coordinate closest to ``p / size`` that FiftyOne floors to ``p``."""
    v = p / size
    while int(float(size) * v) < p:
        v = float(np.nextafter(v, np.inf))
    return v


def _extent(start: float, p: int, size: int) -> float:
    """A relative extent from ``start`` whose far edge FiftyOne floors to ``p``."""
    e = p / size - start
    while int(float(size) * (start + e)) < p:
        e = float(np.nextafter(e, np.inf))
    while e > 0 and int(float(size) * (start + e)) > p:
        e = float(np.nextafter(e, -np.inf))
    return e


def rel_box_for_pixels(xyxy, width: int, height: int) -> list[float]:
    """Relative ``[x, y, w, h]`` whose ``pixel_box`` is exactly the integer box ``xyxy``.

    Args:
        xyxy: integer pixel box ``(x0, y0, x1, y1)``, x1/y1 exclusive, inside
            the image.
        width: image width in pixels.
        height: image height in pixels.

    Returns:
        the relative box, equal to ``xyxy / (W, H)`` up to a few ulps.
    """
    x0, y0, x1, y1 = (int(v) for v in xyxy)
    x, y = _edge(x0, width), _edge(y0, height)
    return [x, y, _extent(x, x1, width), _extent(y, y1, height)]
