"""Mask converters: low-resolution logits to cropped full-resolution masks.

SAM3 predicts mask logits at a low resolution (288x288 for the image model).
``upsample_mask`` (one mask, the reference) and ``crops.crop_masks`` (batched,
on the logits' device) reproduce ``F.interpolate(bilinear,
align_corners=False) > threshold`` at the original image size, but only on the
rows and columns that can be positive, and in bounded chunks, so no K x H x W
float is ever allocated. Both give the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .upsampling import source_index

# Rows of the output computed at once: bounds the float temporaries.
_ROW_CHUNK = 512


@dataclass(frozen=True)
class CroppedMask:
    """A boolean mask ``mask`` whose top-left pixel is at (x0, y0) of the image."""

    x0: int
    y0: int
    mask: np.ndarray  # (h, w) bool

    @property
    def xyxy(self) -> tuple[int, int, int, int]:
        h, w = self.mask.shape
        return self.x0, self.y0, self.x0 + w, self.y0 + h

    def to_full(self, height: int, width: int) -> np.ndarray:
        """The mask placed in an image of this size.

        Args:
            height: image height in pixels.
            width: image width in pixels.

        Returns:
            a (height, width) bool array.
        """
        full = np.zeros((height, width), dtype=bool)
        x0, y0, x1, y1 = self.xyxy
        full[y0:y1, x0:x1] = self.mask
        return full


def _support(axis_hits: torch.Tensor, i0: torch.Tensor, i1: torch.Tensor) -> torch.Tensor:
    """Output positions whose two source taps touch a positive low-res line."""
    return axis_hits[i0] | axis_hits[i1]


def mask_to_xyxy(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Tight exclusive XYXY box of a boolean mask, or ``None`` when it is empty.

    Args:
        mask: a 2D bool array.

    Returns:
        ``(x0, y0, x1, y1)`` in pixels (x1, y1 exclusive), or ``None``.
    """
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def upsample_mask(logits: torch.Tensor, height: int, width: int, threshold: float = 0.0) -> CroppedMask:
    """Threshold a bilinearly upsampled ``(h, w)`` logit map, cropped to its extent.

    Equals ``F.interpolate(logits[None, None], (height, width), mode="bilinear",
    align_corners=False)[0, 0] > threshold`` (up to float rounding), cropped to
    the tight box of the positive pixels. Peak extra memory is one row chunk.

    Args:
        logits: (h, w) low-resolution mask logits.
        height: original image height H.
        width: original image width W.
        threshold: logit threshold (``> threshold`` is inside).

    Returns:
        a ``CroppedMask`` (a (0, 0) crop at (0, 0) when empty).
    """
    logits = logits.float()
    in_h, in_w = logits.shape
    yi0, yi1, ly = source_index(height, in_h, logits.device)
    xi0, xi1, lx = source_index(width, in_w, logits.device)
    pos = logits > threshold
    # A bilinear blend exceeds the threshold only if one of its taps does.
    rows = torch.nonzero(_support(pos.any(dim=1), yi0, yi1)).flatten()
    cols = torch.nonzero(_support(pos.any(dim=0), xi0, xi1)).flatten()
    if rows.numel() == 0 or cols.numel() == 0:
        return CroppedMask(0, 0, np.zeros((0, 0), dtype=bool))
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    c0, c1 = int(cols[0]), int(cols[-1]) + 1
    cx0, cx1, clx = xi0[c0:c1], xi1[c0:c1], lx[c0:c1]
    out = torch.empty((r1 - r0, c1 - c0), dtype=torch.bool, device=logits.device)
    for s in range(r0, r1, _ROW_CHUNK):
        e = min(s + _ROW_CHUNK, r1)
        w = ly[s:e, None]
        rows_blend = logits[yi0[s:e]] * (1 - w) + logits[yi1[s:e]] * w
        blend = rows_blend[:, cx0] * (1 - clx) + rows_blend[:, cx1] * clx
        out[s - r0 : e - r0] = blend > threshold
    full = out.cpu().numpy()
    box = mask_to_xyxy(full)
    if box is None:
        return CroppedMask(0, 0, np.zeros((0, 0), dtype=bool))
    x0, y0, x1, y1 = box
    return CroppedMask(c0 + x0, r0 + y0, full[y0:y1, x0:x1].copy())


def crop_to_box(cropped: CroppedMask, xyxy: tuple[int, int, int, int]) -> np.ndarray:
    """The part of ``cropped`` inside the integer box ``xyxy`` (zeros elsewhere).

    Args:
        cropped: a mask placed in the image.
        xyxy: ``(x0, y0, x1, y1)`` integer pixel box (x1, y1 exclusive).

    Returns:
        a (y1 - y0, x1 - x0) bool array.
    """
    x0, y0, x1, y1 = xyxy
    out = np.zeros((max(y1 - y0, 0), max(x1 - x0, 0)), dtype=bool)
    if cropped.mask.size == 0 or out.size == 0:
        return out
    mx0, my0, mx1, my1 = cropped.xyxy
    ix0, iy0, ix1, iy1 = max(x0, mx0), max(y0, my0), min(x1, mx1), min(y1, my1)
    if ix0 < ix1 and iy0 < iy1:
        out[iy0 - y0 : iy1 - y0, ix0 - x0 : ix1 - x0] = cropped.mask[iy0 - my0 : iy1 - my0, ix0 - mx0 : ix1 - mx0]
    return out


def round_box(xyxy, width: int, height: int) -> tuple[int, int, int, int]:
    """Round a float XYXY box outward to whole pixels inside the image.

    Args:
        xyxy: absolute ``(x0, y0, x1, y1)`` in pixels.
        width: image width.
        height: image height.

    Returns:
        the integer ``(x0, y0, x1, y1)``, clipped to the image.
    """
    x0, y0, x1, y1 = (float(v) for v in xyxy)
    ix0 = int(np.clip(np.floor(x0), 0, width))
    iy0 = int(np.clip(np.floor(y0), 0, height))
    ix1 = int(np.clip(np.ceil(x1), ix0, width))
    iy1 = int(np.clip(np.ceil(y1), iy0, height))
    return ix0, iy0, ix1, iy1


def to_host(out: torch.Tensor, packed: bool | None = None) -> np.ndarray:
    """A bool device tensor to a host bool array, moved as packed bits (default: off a CPU).

    Args:
        out: a bool tensor of any shape.
        packed: move 8 pixels per byte; ``None``: when ``out`` is not on a CPU.

    Returns:
        a numpy bool array of ``out``'s shape (a view of ``out`` on a CPU).
    """
    if packed is None:
        packed = out.device.type != "cpu"
    if not packed:
        return out.numpy()
    flat = out.reshape(-1)
    pad = (-flat.numel()) % 8
    if pad:
        flat = torch.nn.functional.pad(flat, (0, pad))
    bits = flat.view(-1, 8).to(torch.uint8)
    packed = torch.zeros(bits.shape[0], dtype=torch.uint8, device=out.device)
    for b in range(8):
        packed |= bits[:, b] << (7 - b)
    return np.unpackbits(packed.cpu().numpy())[: out.numel()].astype(bool).reshape(out.shape)
