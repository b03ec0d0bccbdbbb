"""Mask converters: low-resolution logits to cropped full-resolution masks.

SAM3 predicts mask logits at a low resolution (288x288 for the image model).
``crop_masks`` (batched, on the logits' device) and ``upsample_mask`` (one
mask, the reference) reproduce ``F.interpolate(bilinear, align_corners=False)
> threshold`` at the original image size, but only on the rows and columns
that can be positive, and in bounded chunks, so no K x H x W float is ever
allocated. Both give the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import torch

# Rows of the output computed at once: bounds the float temporaries.
_ROW_CHUNK = 512
# Output pixels computed at once by ``crop_masks`` (each float temporary is 4 bytes per pixel).
PIXEL_BUDGET = 1 << 23
_EMPTY = np.zeros((0, 0), dtype=bool)


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
        full = np.zeros((height, width), dtype=bool)
        x0, y0, x1, y1 = self.xyxy
        full[y0:y1, x0:x1] = self.mask
        return full


def _source_index(out_size: int, in_size: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PyTorch's bilinear (align_corners=False) source indices and weights."""
    scale = in_size / out_size
    src = ((torch.arange(out_size, device=device, dtype=torch.float32) + 0.5) * scale - 0.5).clamp(min=0)
    i0 = src.floor().long().clamp(max=in_size - 1)
    i1 = (i0 + 1).clamp(max=in_size - 1)
    return i0, i1, src - i0


def _support(axis_hits: torch.Tensor, i0: torch.Tensor, i1: torch.Tensor) -> torch.Tensor:
    """Output positions whose two source taps touch a positive low-res line."""
    return axis_hits[i0] | axis_hits[i1]


def mask_to_xyxy(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """Tight exclusive XYXY box of a boolean mask, or ``None`` when it is empty."""
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
    """
    logits = logits.float()
    in_h, in_w = logits.shape
    yi0, yi1, ly = _source_index(height, in_h, logits.device)
    xi0, xi1, lx = _source_index(width, in_w, logits.device)
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
    """The part of ``cropped`` inside the integer box ``xyxy`` (zeros elsewhere)."""
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
    """Round a float XYXY box outward to whole pixels inside the image."""
    x0, y0, x1, y1 = (float(v) for v in xyxy)
    ix0 = int(np.clip(np.floor(x0), 0, width))
    iy0 = int(np.clip(np.floor(y0), 0, height))
    ix1 = int(np.clip(np.ceil(x1), ix0, width))
    iy1 = int(np.clip(np.ceil(y1), iy0, height))
    return ix0, iy0, ix1, iy1


def _first_last(hits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per row of a (K, N) bool: any, first True index, last True index + 1."""
    n = hits.shape[1]
    any_ = hits.any(dim=1)
    first = hits.float().argmax(dim=1)
    last = n - hits.flip(1).float().argmax(dim=1)
    return any_, first, last


def _groups(order: list[int], hs: np.ndarray, ws: np.ndarray, budget: int, waste: float) -> Iterator[list[int]]:
    """Consecutive instances (largest first) whose padded crops fit ``budget`` pixels together,
    padded to at most ``waste`` times their own pixels (padding is computed for nothing)."""
    group: list[int] = []
    gh = gw = real = 0
    for k in order:
        area = int(hs[k]) * int(ws[k])
        h, w = max(gh, int(hs[k])), max(gw, int(ws[k]))
        padded = (len(group) + 1) * h * w
        if group and (padded > budget or padded > waste * (real + area)):
            yield group
            group, h, w, real = [], int(hs[k]), int(ws[k]), 0
        group.append(k)
        gh, gw, real = h, w, real + area
    if group:
        yield group


def to_host(out: torch.Tensor, packed: bool | None = None) -> np.ndarray:
    """A bool (n, H, W) device tensor to host bool, moved as packed bits (default: off a CPU)."""
    if packed is None:
        packed = out.device.type != "cpu"
    if not packed:
        return out.numpy()
    n, h, w = out.shape
    pad = (-w) % 8
    if pad:
        out = torch.nn.functional.pad(out, (0, pad))
    bits = out.view(n, h, -1, 8).to(torch.uint8)
    packed = torch.zeros(bits.shape[:-1], dtype=torch.uint8, device=out.device)
    for b in range(8):
        packed |= bits[..., b] << (7 - b)
    return np.unpackbits(packed.cpu().numpy(), axis=-1)[..., :w].astype(bool)


def crop_masks(
    logits: torch.Tensor, height: int, width: int, threshold: float = 0.0, budget: int = PIXEL_BUDGET
) -> Iterator[tuple[int, CroppedMask]]:
    """Upsample, threshold and crop many low-resolution masks of one image, batched.

    The work runs on ``logits.device`` (the model's device): instances are
    grouped by size, each group is upsampled only inside its instances'
    extents (padded to the group's largest), thresholded and reduced to tight
    boxes there; only the boolean crops (as packed bits from a GPU) reach the
    host. Pixels equal ``upsample_mask`` for each instance.

    Args:
        logits: (K, h, w) low-resolution mask logits.
        height: original image height H.
        width: original image width W.
        threshold: logit threshold (``> threshold`` is inside).
        budget: output pixels computed at once; bounds device memory.

    Returns:
        an iterator of ``(k, CroppedMask)``, every k in ``range(K)`` once,
        largest crops first; empty masks have a (0, 0) crop at (0, 0).
    """
    if logits.shape[0] == 0:
        return
    logits = logits.float()
    in_h, in_w = logits.shape[-2:]
    yi0, yi1, ly = _source_index(height, in_h, logits.device)
    xi0, xi1, lx = _source_index(width, in_w, logits.device)
    pos = logits > threshold
    row_hit, col_hit = pos.any(dim=2), pos.any(dim=1)
    has_r, r0, r1 = _first_last(row_hit[:, yi0] | row_hit[:, yi1])
    has_c, c0, c1 = _first_last(col_hit[:, xi0] | col_hit[:, xi1])
    has = (has_r & has_c).cpu().numpy()
    r0, r1, c0, c1 = (t.cpu().numpy() for t in (r0, r1, c0, c1))
    hs, ws = r1 - r0, c1 - c0
    live = [k for k in range(len(has)) if has[k]]
    for k in range(len(has)):
        if not has[k]:
            yield k, CroppedMask(0, 0, _EMPTY)
    live.sort(key=lambda k: -int(hs[k]) * int(ws[k]))
    waste = 1.3 if logits.device.type == "cpu" else 4.0  # a GPU prefers fewer, larger groups
    for group in _groups(live, hs, ws, budget, waste):
        yield from _crop_group(logits, group, (r0, c0, hs, ws), (yi0, yi1, ly, xi0, xi1, lx), threshold, budget)


def _crop_group(logits, group, extents, taps, threshold, budget) -> Iterator[tuple[int, CroppedMask]]:
    r0, c0, hs, ws = extents
    yi0, yi1, ly, xi0, xi1, lx = taps
    dev = logits.device
    n, gh, gw = len(group), int(hs[group].max()), int(ws[group].max())
    idx = torch.as_tensor(group, device=dev)
    ar_h, ar_w = torch.arange(gh, device=dev), torch.arange(gw, device=dev)
    rows = (torch.as_tensor(r0[group], device=dev)[:, None] + ar_h).clamp(max=len(yi0) - 1)
    cols = (torch.as_tensor(c0[group], device=dev)[:, None] + ar_w).clamp(max=len(xi0) - 1)
    row_ok = ar_h < torch.as_tensor(hs[group], device=dev)[:, None]
    col_ok = ar_w < torch.as_tensor(ws[group], device=dev)[:, None]
    src = logits[idx]  # (n, h, w)
    in_w = src.shape[-1]
    cx0, cx1, clx = xi0[cols][:, None, :], xi1[cols][:, None, :], lx[cols][:, None, :]
    out = torch.empty((n, gh, gw), dtype=torch.bool, device=dev)
    step = max(1, budget // max(1, n * gw))
    for s in range(0, gh, step):
        e = min(s + step, gh)
        r = rows[:, s:e]
        w = ly[r][:, :, None]
        a = torch.gather(src, 1, yi0[r][:, :, None].expand(-1, -1, in_w))
        b = torch.gather(src, 1, yi1[r][:, :, None].expand(-1, -1, in_w))
        blend_rows = a * (1 - w) + b * w  # same operations as ``upsample_mask``
        sel = (n, e - s, gw)
        left = torch.gather(blend_rows, 2, cx0.expand(sel))
        right = torch.gather(blend_rows, 2, cx1.expand(sel))
        out[:, s:e] = (left * (1 - clx) + right * clx) > threshold
    out &= row_ok[:, :, None] & col_ok[:, None, :]
    has_y, y0, y1 = _first_last(out.any(dim=2))
    has_x, x0, x1 = _first_last(out.any(dim=1))
    has, y0, y1, x0, x1 = ((has_y & has_x).cpu().numpy(), *(t.cpu().numpy() for t in (y0, y1, x0, x1)))
    host = to_host(out)
    for j, k in enumerate(group):
        if not has[j]:
            yield k, CroppedMask(0, 0, _EMPTY)
            continue
        crop = np.ascontiguousarray(host[j, y0[j] : y1[j], x0[j] : x1[j]])
        yield k, CroppedMask(int(c0[k] + x0[j]), int(r0[k] + y0[j]), crop)
