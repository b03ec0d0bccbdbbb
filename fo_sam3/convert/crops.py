"""``crop_masks``: many low-resolution masks of one image to tight full-resolution crops, batched.

The reference is ``masks.upsample_mask`` (one mask, bilinear upsampling then a
threshold); ``crop_masks`` gives the same pixels on the logits' device, copying
whole low-res cells where the threshold cannot fall and blending only the
pixels of boundary cells.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from .masks import CroppedMask, _source_index, to_host

# Output pixels of one group (a boolean buffer), and of boundary blends at once.
PIXEL_BUDGET = 1 << 23
_EMPTY = np.zeros((0, 0), dtype=bool)
_WASTE = 4.0  # a group's padded extents (its low-res windows) cover at most this times its pixels


def crop_masks(
    logits: torch.Tensor | Sequence[torch.Tensor], height: int, width: int, threshold: float = 0.0,
    budget: int = PIXEL_BUDGET,
) -> Iterator[tuple[int, CroppedMask]]:
    """Upsample, threshold and crop many low-resolution masks of one image, batched.

    The work runs on the logits' device (the model's device), a group of
    similar-sized instances at a time, only inside each instance's extent
    (the output pixels whose taps can be positive). Each output pixel blends
    the four taps of one low-res cell: pixels of cells whose taps all lie
    clearly on one side of the threshold are copied from the cell, and only
    pixels of boundary cells are blended, with the float operations of
    ``upsample_mask``, so the pixels equal ``upsample_mask``'s. The crops of
    a group share one flat boolean buffer, the only array that reaches the
    host (as packed bits from a GPU), where each is cut to its tight box.

    Args:
        logits: (K, h, w) low-resolution mask logits, or K (h, w) maps
            (not stacked: no copy).
        height: original image height H.
        width: original image width W.
        threshold: logit threshold (``> threshold`` is inside).
        budget: output pixels computed at once (a single larger instance is
            computed alone); bounds device memory.

    Returns:
        an iterator of ``(k, CroppedMask)``, every k in ``range(K)`` once,
        largest crops first; empty masks have a (0, 0) crop at (0, 0).
    """
    maps = [m.float() for m in logits]
    if not maps:
        return
    dev = maps[0].device
    rows, cols = _Axis.of(height, maps[0].shape[0], dev), _Axis.of(width, maps[0].shape[1], dev)
    row_max = torch.stack([m.amax(dim=1) for m in maps])
    for k in torch.nonzero(row_max.isnan().any(dim=1)).flatten().tolist():
        inf = float("inf")  # a NaN tap makes a blend NaN, as -inf does: never inside
        maps[k] = maps[k].nan_to_num(nan=-inf, posinf=inf, neginf=-inf)
        row_max[k] = maps[k].amax(dim=1)
    row_hit = row_max > threshold
    hit, top, bottom = (t.tolist() for t in _first_last(row_hit))
    col_max = torch.stack([m[a:b].amax(dim=0) if h else m[0].new_full(m[0].shape, -float("inf"))
                           for m, h, a, b in zip(maps, hit, top, bottom)])  # over the rows that can hit
    has_r, r0, r1 = _first_last(rows.touches(row_hit))
    has_c, c0, c1 = _first_last(cols.touches(col_max > threshold))
    has = (has_r & has_c).cpu().numpy()
    r0, r1, c0, c1 = (t.cpu().numpy() for t in (r0, r1, c0, c1))
    hs, ws = r1 - r0, c1 - c0
    for k in np.flatnonzero(~has).tolist():
        yield k, CroppedMask(0, 0, _EMPTY)
    live = sorted(np.flatnonzero(has).tolist(), key=lambda k: -int(hs[k]) * int(ws[k]))
    for group in _groups(live, hs, ws, budget, _WASTE):
        g = np.asarray(group)
        yield from _crop_group(maps, group, rows.windows(r0[g], hs[g]), cols.windows(c0[g], ws[g]),
                               threshold, budget)


@dataclass(frozen=True)
class _Axis:
    """One image axis of a bilinear upsampling: each output index's first tap ``i0`` (the second
    is ``i0 + 1``, clamped) and weight, on the device, and ``i0`` on the host."""

    i0: torch.Tensor
    weight: torch.Tensor
    host: np.ndarray
    n_in: int

    @classmethod
    def of(cls, out_size: int, in_size: int, device) -> "_Axis":
        i0, _, weight = _source_index(out_size, in_size, device)
        return cls(i0, weight, i0.cpu().numpy(), in_size)

    def touches(self, hit: torch.Tensor) -> torch.Tensor:
        """(K, out) bool: output indices with a tap on a line where ``hit`` (K, in) is true."""
        either = hit | torch.cat([hit[:, 1:], hit[:, -1:]], dim=1)  # line i or i + 1 (clamped)
        return either.index_select(1, self.i0)

    def windows(self, start: np.ndarray, count: np.ndarray) -> "_Windows":
        """The low-res windows of extents ``[start, start + count)`` (one per instance)."""
        first, last = self.host[start], self.host[start + count - 1]
        size = min(int((last - first).max()) + 2, self.n_in)  # lines used, + one for the +1 taps
        at = np.minimum(first, self.n_in - size)  # kept inside the map
        index = self.host[np.minimum(start[:, None] + np.arange(int(count.max())), len(self.host) - 1)] - at[:, None]
        lines = at[:, None] + np.arange(size)
        ends = np.searchsorted(self.host, np.stack([lines, lines + 1]))  # outputs tapping each line
        lo = np.clip(ends[0] - start[:, None], 0, count[:, None])
        n = np.clip(ends[1] - start[:, None], 0, count[:, None]) - lo
        return _Windows(self, start, count, at, size, index, lo, n)


@dataclass(frozen=True)
class _Windows:
    """Per instance of a group, along one axis: its extent ``[start, start + count)`` of output
    indices, its window of ``size`` low-res lines from ``at``,
    each output index's window line, and each window line's outputs ``[lo, lo + n)``."""

    axis: _Axis
    start: np.ndarray
    count: np.ndarray
    at: np.ndarray
    size: int
    index: np.ndarray  # (n, max count)
    lo: np.ndarray  # (n, size)
    n: np.ndarray  # (n, size)

    def hits(self, lines: torch.Tensor) -> torch.Tensor:
        """(n, max count) 0/1: each extent index whose window line is true in ``lines`` (n, size).

        int32, which has atomic maxima on every device (``scatter_reduce_``).
        """
        at = torch.as_tensor(self.index, device=lines.device).clamp(0, self.size - 1)
        count = torch.as_tensor(self.count, device=lines.device)
        inside = torch.arange(at.shape[1], device=lines.device) < count[:, None]
        return (lines.gather(1, at) & inside).to(torch.int32)

    def used_mask(self, device) -> torch.Tensor:
        """(n, size) bool: window lines that some output index of the extent taps first."""
        return torch.as_tensor(self.n > 0, device=device)


def _cell_all(x: torch.Tensor) -> torch.Tensor:
    """Per low-res cell (i, j) of (n, h, w) bool: its four taps (i or i+1, j or j+1) all true."""
    x = x & torch.cat([x[:, 1:], x[:, -1:]], dim=1)
    return x & torch.cat([x[:, :, 1:], x[:, :, -1:]], dim=2)


def _crop_group(maps, group, ys: _Windows, xs: _Windows, threshold, budget) -> Iterator[tuple[int, CroppedMask]]:
    """Crop one group of instances: per-cell states spread to pixels, exact blends at boundaries.

    Output pixel (y, x) blends the four low-res taps of cell (i0[y], i0[x]).
    A cell whose taps all lie clearly above the threshold gives only inside
    pixels, one whose taps all lie clearly below it only outside pixels, so
    those pixels are copied from their cell. Pixels of the remaining
    (boundary) cells are blended with the same float operations as
    ``upsample_mask``. All crops share one flat buffer: the only array that
    reaches the host.
    """
    dev = maps[0].device
    corners = zip(group, ys.at.tolist(), xs.at.tolist())
    win = torch.stack([maps[k][a : a + ys.size, b : b + xs.size] for k, a, b in corners])
    # Far above a blend's float rounding, also for subnormal taps.
    margin = 1e-5 * (float(win.abs().max()) + abs(threshold)) + 1e-30
    used = ys.used_mask(dev)[:, :, None] & xs.used_mask(dev)[:, None, :]
    inside = _cell_all(win > threshold + margin) & used
    boundary = ~(inside | _cell_all(win < threshold - margin)) & used
    sizes = ys.count * xs.count
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    buf = torch.empty(int(offsets[-1]), dtype=torch.bool, device=dev)
    ry, cx = torch.as_tensor(ys.index, device=dev), torch.as_tensor(xs.index, device=dev)
    flips = inside.transpose(1, 2).contiguous().unbind(0)  # (wl, hl) each: selecting rows is a fast copy
    heights, widths = ys.count.tolist(), xs.count.tolist()
    crops = buf.split(sizes.tolist())
    for flip, y_at, x_at, out, h, w in zip(flips, ry.unbind(0), cx.unbind(0), crops, heights, widths):
        spread = flip.index_select(0, x_at[:w]).t().contiguous()  # columns (transposed), then rows
        torch.index_select(spread, 0, y_at[:h], out=out.view(h, w))
    hits = ys.hits(_any(inside, 2)), xs.hits(_any(inside, 1))  # (n, extent) lines with inside pixels
    _blend_boundary(buf, hits, torch.nonzero(boundary, as_tuple=True), win, ys, xs, offsets, threshold, budget)
    # Tight boxes: has_y, y0, y1, has_x, x0, x1 per instance.
    box = torch.stack([t for h in hits for t in _first_last(h > 0)]).cpu().numpy()
    host = to_host(buf)
    for g, k in enumerate(group):
        has_y, y0, y1, has_x, x0, x1 = box[:, g].tolist()
        if not (has_y and has_x):
            yield k, CroppedMask(0, 0, _EMPTY)
            continue
        block = host[offsets[g] : offsets[g + 1]].reshape(heights[g], widths[g])
        crop = block[y0:y1, x0:x1].copy()  # its own memory, not a view that keeps the buffer
        yield k, CroppedMask(int(xs.start[g]) + x0, int(ys.start[g]) + y0, crop)


def _blend_boundary(buf, hits, cells, win, ys: _Windows, xs: _Windows, offsets, threshold, budget) -> None:
    """Write the pixels of boundary ``cells`` (k, i, j) into the flat crop buffer ``buf``, exactly,
    and mark the rows and columns with inside pixels in ``hits`` ((n, rows), (n, columns)).

    Each output row of a cell blends the cell's two tap rows, then each pixel
    blends that row's two column values: the operations of ``upsample_mask``.
    """
    k, i, j = cells
    if k.numel() == 0:
        return
    dev, (_, hl, wl) = win.device, win.shape
    on = lambda a: torch.as_tensor(np.ascontiguousarray(a), device=dev).reshape(-1)  # noqa: E731
    y_lo, y_n, x_lo, x_n = on(ys.lo), on(ys.n), on(xs.lo), on(xs.n)
    r0, c0, width, start = on(ys.start), on(xs.start), on(xs.count), on(offsets[:-1])
    bh, bw = int(ys.n.max()), int(xs.n.max())
    dy, dx = torch.arange(bh, device=dev), torch.arange(bw, device=dev)
    flat, pick = win.reshape(-1), lambda t, at: t.index_select(0, at)  # noqa: E731
    step = max(1, budget // (16 * bh * bw))
    for s in range(0, k.numel(), step):
        kk, ii, jj = k[s : s + step], i[s : s + step], j[s : s + step]
        i1, j1 = (ii + 1).clamp(max=hl - 1), (jj + 1).clamp(max=wl - 1)  # as the taps clamp at the map's end
        a, b, c, d = (pick(flat, (kk * hl + r) * wl + q)[:, None] for r, q in ((ii, jj), (i1, jj), (ii, j1), (i1, j1)))
        at_y, at_x = kk * hl + ii, kk * wl + jj
        # A cell's rows and columns in the crop; a cell smaller than (bh, bw) repeats its last
        # row/column, so those pixels are written twice with the same value.
        yy = pick(y_lo, at_y)[:, None] + torch.minimum(dy, pick(y_n, at_y)[:, None] - 1)
        xx = pick(x_lo, at_x)[:, None] + torch.minimum(dx, pick(x_n, at_x)[:, None] - 1)
        w = ys.axis.weight[pick(r0, kk)[:, None] + yy]
        v = xs.axis.weight[pick(c0, kk)[:, None] + xx][:, None, :]
        left, right = (a * (1 - w) + b * w)[:, :, None], (c * (1 - w) + d * w)[:, :, None]
        hit = (left * (1 - v) + right * v) > threshold
        at = (pick(start, kk)[:, None] + yy * pick(width, kk)[:, None])[:, :, None] + xx[:, None, :]
        buf.index_put_((at.reshape(-1),), hit.reshape(-1))
        for line, idx, any_ in ((hits[0], yy, _any(hit, 2)), (hits[1], xx, _any(hit, 1))):
            at = (kk * line.shape[1])[:, None] + idx
            line.view(-1).scatter_reduce_(0, at.reshape(-1), any_.reshape(-1).to(torch.int32), "amax")


def _any(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``x.any(dim)`` of a non-empty bool tensor, as a byte maximum (many times faster on a CPU)."""
    return x.view(torch.uint8).amax(dim=dim).bool()


def _first_last(hits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per row of a (K, N) bool: any, first True index, last True index + 1."""
    n = hits.shape[1]
    any_ = _any(hits, 1)
    first = hits.float().argmax(dim=1)
    last = n - hits.flip(1).float().argmax(dim=1)
    return any_, first, last


def _groups(order: list[int], hs: np.ndarray, ws: np.ndarray, budget: int, waste: float) -> Iterator[list[int]]:
    """Consecutive instances (largest first) whose crops fit ``budget`` pixels together and whose
    extents, padded to the group's largest (as their low-res windows are), cover at most
    ``waste`` times their own pixels."""
    group: list[int] = []
    gh = gw = real = 0
    for k in order:
        h, w = int(hs[k]), int(ws[k])
        area, gh2, gw2 = h * w, max(gh, h), max(gw, w)
        if group and (real + area > budget or (len(group) + 1) * gh2 * gw2 > waste * (real + area)):
            yield group
            group, gh2, gw2, real = [], h, w, 0
        group.append(k)
        gh, gw, real = gh2, gw2, real + area
    if group:
        yield group
