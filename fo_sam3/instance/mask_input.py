"""A stored binary mask as SAM's low-resolution mask prompt (``mask_input``).

SAM's prompt encoder reads mask logits at 4x the image-embedding size (288 x
288 for SAM3's 1008 px input), over the whole (stretched) image. A previous
prediction would give real logits; we only have the binary mask, so each
low-res cell gets the fraction ``p`` of its area that the mask covers (area
downsampling) and the logit ``(2p - 1) * MASK_LOGIT``: +10 inside, -10
outside, the scale sam3 itself uses to turn binary masks into logits
(``Sam3TrackerBase._use_mask_as_output``: ``20 * m - 10``).
"""

from __future__ import annotations

import numpy as np

from ..convert.boxes import pixel_box

MASK_LOGIT = 10.0


def _coverage(n_out: int, size: int, lo: float, hi: float, n_in: int) -> np.ndarray:
    """(n_out, n_in): the share of output cell u (of ``size / n_out`` pixels) covered by
    input cell j, the input cells splitting ``[lo, hi)`` evenly."""
    out_e = np.linspace(0.0, size, n_out + 1)
    in_e = np.linspace(lo, hi, n_in + 1)
    overlap = np.minimum(out_e[1:, None], in_e[None, 1:]) - np.maximum(out_e[:-1, None], in_e[None, :-1])
    return overlap.clip(0) * (n_out / size)


def mask_logits(mask: np.ndarray, rel_box, width: int, height: int, size: tuple[int, int]) -> np.ndarray:
    """SAM's ``mask_input`` for a FiftyOne detection mask.

    Args:
        mask: the detection's (h, w) mask, inscribed in FiftyOne's pixel box
            of ``rel_box`` (``convert.boxes.pixel_box``), stretched if its
            size differs, as FiftyOne renders it.
        rel_box: the detection's relative ``[x, y, w, h]``.
        width: image width in pixels.
        height: image height in pixels.
        size: the prompt encoder's ``mask_input_size`` (rows, columns).

    Returns:
        float32 (rows, columns) logits.
    """
    x0, y0, x1, y1 = pixel_box(rel_box, width, height)
    m = np.asarray(mask, dtype=bool)
    rows = _coverage(size[0], height, y0, y1, m.shape[0])
    cols = _coverage(size[1], width, x0, x1, m.shape[1])
    share = rows @ m.astype(np.float64) @ cols.T
    return ((2.0 * share - 1.0) * MASK_LOGIT).astype(np.float32)
