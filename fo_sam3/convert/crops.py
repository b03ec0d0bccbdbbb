"""``crop_masks``: many low-resolution masks of one image to tight full-resolution crops, batched.

The reference is ``masks.upsample_mask`` (one mask, bilinear upsampling then a
threshold); ``crop_masks`` gives the same pixels on the logits' device, copying
whole low-res cells where the threshold cannot fall and blending only the
pixels of boundary cells. A group of similar-sized instances costs a fixed
number of tensor operations, none per instance: few kernel launches on a GPU,
few hand-overs of Python's GIL between the output stage's threads on a CPU.
"""

from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import torch

from .masks import CroppedMask, to_host
from .upsampling import Windows, axis, blend_tables

# Output pixels of one group's buffer, and of boundary blends at once.
PIXEL_BUDGET = 1 << 23
_EMPTY = np.zeros((0, 0), dtype=bool)
_GROUP_COST = 400_000  # a group's fixed work, in padded output pixels (for ``_groups``)
_WASTE = 4.0  # no group's padded extents cover more than this times its pixels
_DENSE_PIXELS = 1 << 15  # on a CPU, groups of up to this many padded pixels blend every pixel


def crop_masks(
    logits: torch.Tensor | Sequence[torch.Tensor], height: int, width: int, threshold: float = 0.0,
    budget: int = PIXEL_BUDGET, dense_pixels: int | None = None,
) -> Iterator[tuple[int, CroppedMask]]:
    """Upsample, threshold and crop many low-resolution masks of one image, batched.

    The work runs on the logits' device (the model's device), a group of
    similar-sized instances at a time, only inside each instance's extent
    (the output pixels whose taps can be positive). Each output pixel blends
    the four taps of one low-res cell: pixels of cells whose taps all lie
    clearly on one side of the threshold are copied from the cell, and only
    pixels of boundary cells are blended, with the float operations of
    ``upsample_mask``, so the pixels equal ``upsample_mask``'s. A group's
    crops share one boolean buffer, the only array that reaches the host (as
    packed bits from a GPU), where each is cut to its tight box.

    Args:
        logits: (K, h, w) low-resolution mask logits, or K (h, w) maps.
        height: original image height H.
        width: original image width W.
        threshold: logit threshold (``> threshold`` is inside).
        budget: output pixels computed at once (a single larger instance is
            computed alone); bounds device memory.
        dense_pixels: groups of up to this many padded output pixels blend
            every pixel, larger ones only boundary cells (the same pixels
            either way); ``None``: 32768 on a CPU, ``budget`` elsewhere.

    Returns:
        an iterator of ``(k, CroppedMask)``, every k in ``range(K)`` once,
        largest crops first; empty masks have a (0, 0) crop at (0, 0).
    """
    maps = [m if m.dtype == torch.float32 else m.float() for m in logits]
    if not maps:
        return
    h_in, w_in = maps[0].shape
    rows, cols = axis(height, h_in), axis(width, w_in)
    row_max = torch.stack([m.amax(dim=1) for m in maps]).cpu().numpy()
    for k in np.flatnonzero(np.isnan(row_max).any(axis=1)).tolist():
        inf = float("inf")  # a NaN tap makes a blend NaN, as -inf does: never inside
        maps[k] = maps[k].nan_to_num(nan=-inf, posinf=inf, neginf=-inf)
        row_max[k] = maps[k].amax(dim=1).cpu().numpy()
    hit, top, bottom = _first_last(row_max > threshold)
    no_hit = maps[0].new_full((w_in,), -float("inf"))
    col_max = torch.stack([m[a:b].amax(dim=0) if h else no_hit  # over the rows that can hit
                           for m, h, a, b in zip(maps, hit.tolist(), top.tolist(), bottom.tolist())])
    has_r, r0, r1 = _first_last(rows.touches(row_max > threshold))
    has_c, c0, c1 = _first_last(cols.touches(col_max.cpu().numpy() > threshold))
    has, hs, ws = has_r & has_c, r1 - r0, c1 - c0
    for k in np.flatnonzero(~has).tolist():
        yield k, CroppedMask(0, 0, _EMPTY)
    live = sorted(np.flatnonzero(has).tolist(), key=lambda k: -int(hs[k]) * int(ws[k]))
    if dense_pixels is None:
        dense_pixels = _DENSE_PIXELS if maps[0].device.type == "cpu" else budget
    for group in _groups(live, hs, ws, budget):
        g = np.asarray(group)
        ys, xs = rows.windows(r0[g], hs[g]), cols.windows(c0[g], ws[g])
        yield from _crop_group(maps, g, ys, xs, threshold, budget, dense_pixels)


def _crop_group(maps, group: np.ndarray, ys: Windows, xs: Windows, threshold: float, budget: int,
                dense_pixels: int) -> Iterator[tuple[int, CroppedMask]]:
    """Crop one group of instances into one (n, H, W) boolean buffer (extents padded to the
    largest), the only array that reaches the host, where each crop is cut to its tight box.

    Groups of up to ``dense_pixels`` padded pixels blend all their pixels
    (``_blend_all``: few operations, the choice where pixels are cheap and
    operations are not, as on a GPU); the others blend only the pixels of
    boundary cells (``_blend_sparse``, whose blends are chunked by ``budget``).
    """
    n = len(group)
    corners = zip(group.tolist(), ys.at.tolist(), xs.at.tolist())
    win = torch.stack([maps[k][a : a + ys.size, b : b + xs.size] for k, a, b in corners])
    if n * ys.index.shape[1] * xs.index.shape[1] <= dense_pixels:
        buf = _blend_all(torch.nn.functional.pad(win, (0, 1, 0, 1), mode="replicate"), ys, xs, threshold)
        hits = (_any(buf, 2), _any(buf, 1))
    else:
        buf, hits = _blend_sparse(win, ys, xs, threshold, budget)
    (has_y, y0, y1), (has_x, x0, x1) = (_first_last(h.view(n, -1).cpu().numpy()) for h in hits)
    host = to_host(buf)
    for g, k in enumerate(group.tolist()):
        if not (has_y[g] and has_x[g]):
            yield k, CroppedMask(0, 0, _EMPTY)
            continue
        crop = host[g, y0[g] : y1[g], x0[g] : x1[g]].copy()  # its own memory, not a view that keeps the buffer
        yield k, CroppedMask(int(xs.start[g] + x0[g]), int(ys.start[g] + y0[g]), crop)


def _blend_all(win: torch.Tensor, ys: Windows, xs: Windows, threshold: float) -> torch.Tensor:
    """(n, H, W) bool: every pixel of the group's extents blended as ``upsample_mask`` blends
    it (rows, then columns) from the (n, hl + 1, wl + 1) windows with their +1 lines; pixels
    past an instance's extent are False. A fixed handful of operations."""
    n, _, wl1 = win.shape
    (ry, wy, in_y), (cx, wx, in_x) = (w.dense_taps(win.device) for w in (ys, xs))
    height, width = ry.shape[1], cx.shape[1]
    w = wy[:, :, None]
    top, bottom = (win.gather(1, (ry + d)[:, :, None].expand(n, height, wl1)) for d in (0, 1))
    rows = top * (1 - w) + bottom * w  # (n, H, wl + 1)
    v = wx[:, None, :]
    left, right = (rows.gather(2, (cx + d)[:, None, :].expand(n, height, width)) for d in (0, 1))
    return ((left * (1 - v) + right * v) > threshold) & in_y[:, :, None] & in_x[:, None, :]


def _blend_sparse(win: torch.Tensor, ys: Windows, xs: Windows, threshold: float, budget: int):
    """The group's (n, H, W) bool buffer and its (rows, columns) hit flags, blending only the
    pixels of boundary cells.

    Output pixel (y, x) blends the four low-res taps of cell (i0[y], i0[x]).
    A cell whose taps all lie clearly above the threshold gives only inside
    pixels, one whose taps all lie clearly below it only outside pixels, so
    those pixels are copied from their cell. Pixels of the remaining
    (boundary) cells are blended with the same float operations as
    ``upsample_mask``.
    """
    dev = win.device
    low, high = win.aminmax()
    # The taps of (n, hl, wl) cells: each window's last line repeated, as a map's last line is
    # (a window's last line is the map's, or only the +1 taps of its extent's last line).
    win = torch.nn.functional.pad(win, (0, 1, 0, 1), mode="replicate")
    # Far above a blend's float rounding, also for subnormal taps; infinite taps blend every cell.
    margin = 1e-5 * (max(abs(float(low)), abs(float(high))) + abs(threshold)) + 1e-30
    used = torch.as_tensor(ys.used[:, :, None] & xs.used[:, None, :], device=dev)
    inside = _cell_all(win > threshold + margin) & used
    boundary = ~(inside | _cell_all(win < threshold - margin)) & used
    row_index, col_index = (torch.as_tensor(w.spread_index(), device=dev) for w in (ys, xs))
    buf = _spread(inside, row_index, torch.as_tensor(xs.index, device=dev))
    # Output rows and columns with inside pixels: those of lines with inside cells, then the blends'.
    hits = (_spread_lines(_any(inside, 2), row_index), _spread_lines(_any(inside, 1), col_index.view(-1)))
    cells = torch.nonzero(boundary, as_tuple=True)
    if cells[0].numel():
        _blend_boundary(buf, hits, cells, win, ys, xs, threshold, budget)
    return buf, hits


def _cell_all(x: torch.Tensor) -> torch.Tensor:
    """(n, h, w) cells of (n, h + 1, w + 1) taps: all four taps (i or i+1, j or j+1) true."""
    return x[:, :-1, :-1] & x[:, 1:, :-1] & x[:, :-1, 1:] & x[:, 1:, 1:]


def _spread(cells: torch.Tensor, row_index: torch.Tensor, col_index: torch.Tensor) -> torch.Tensor:
    """(n, H, W) bool: each output pixel takes its cell's value from ``cells`` (n, hl, wl).

    ``col_index`` (n, W) holds each output column's window column, ``row_index``
    (n * H,) each output row's row of the (n * (hl + 1), W) column-spread cells
    (``Windows.spread_index``); both point past an instance's extent at a line
    of zeros. A gather along the columns at low-res height, then whole rows copied.
    """
    n, hl, _ = cells.shape
    padded = torch.nn.functional.pad(cells, (0, 1, 0, 1)).view(torch.uint8)  # a zero line and column
    spread_cols = padded.gather(2, col_index[:, None, :].expand(n, hl + 1, col_index.shape[1]))
    spread_rows = spread_cols.view(n * (hl + 1), -1).index_select(0, row_index)
    return spread_rows.view(n, -1, col_index.shape[1]).view(torch.bool)


def _spread_lines(lines: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """(n * extent,) int32 flags of output indices from (n, size) window-line flags (``index`` as in
    ``_spread``, flattened); int32 has atomic maxima on every device (``scatter_reduce_``)."""
    return torch.nn.functional.pad(lines, (0, 1)).view(-1).index_select(0, index).to(torch.int32)


def _blend_boundary(buf, hits, cells, win, ys: Windows, xs: Windows, threshold: float, budget: int) -> None:
    """Write the pixels of boundary ``cells`` ((k, i, j) of the (n, hl, wl) cells) into the group's
    (n, H, W) buffer, exactly, and flag the rows and columns they hit in ``hits`` ((n * H,),
    (n * W,) int32).

    Each output row of a cell blends the cell's two tap rows, then each pixel
    blends that row's two column values: the operations of ``upsample_mask``.
    """
    dev, (n, height, width), (_, hl1, wl1) = buf.device, buf.shape, win.shape
    ty, tx = blend_tables(ys.axis, dev), blend_tables(xs.axis, dev)
    k, i, j = cells
    # Per instance: window origins, k * H - extent start, - extent start, k * W - extent start.
    meta = np.stack([ys.at, xs.at, np.arange(n) * height - ys.start, -xs.start, np.arange(n) * width - xs.start])
    m = torch.as_tensor(meta, device=dev).index_select(1, k)
    # Per cell: its first tap in the padded windows, its map lines, its instance's offsets.
    info = torch.stack([(k * hl1 + i) * wl1 + j, m[0] + i, m[1] + j, m[2], m[3], m[4]])
    _blend(buf, hits, info, win, ty.main, tx.main, threshold, budget)
    wide = [t.wide.index_select(0, info[a]) for t, a in ((ty, 1), (tx, 2)) if t.wide is not None]
    if wide:  # cells of lines with more outputs than ``main`` holds (at a map's edge): all of them
        picked = torch.nonzero(wide[0] if len(wide) == 1 else wide[0] | wide[1]).view(-1)
        if picked.numel():
            _blend(buf, hits, info.index_select(1, picked), win, ty.full, tx.full, threshold, budget)


def _blend(buf, hits, info, win, rows, cols, threshold: float, budget: int) -> None:
    """``_blend_boundary`` of the cells in ``info`` with the given ``BlendTables`` rows and columns.

    Cells run along the last dimension, so every operation is a long vector.
    """
    (y_out, wy, wy1), (x_out, wx, wx1), width = rows, cols, buf.shape[2]
    taps = torch.tensor([0, win.shape[2], 1, win.shape[2] + 1], device=buf.device)[:, None]  # (i|i+1, j|j+1)
    flat, out = win.view(-1), buf.view(-1)
    step = max(1, budget // (16 * y_out.shape[0] * x_out.shape[0]))
    for s in range(0, info.shape[1], step):
        tap, line_y, line_x, off_y, off_x, off_col = info[:, s : s + step].unbind(0)
        a, b, c, d = flat.take(tap + taps).unbind(0)
        w, w1 = wy.index_select(1, line_y), wy1.index_select(1, line_y)  # (bh, cells)
        left, right = (a * w1 + b * w)[:, None], (c * w1 + d * w)[:, None]
        v, v1 = wx.index_select(1, line_x), wx1.index_select(1, line_x)  # (bw, cells)
        hit = (left * v1 + right * v) > threshold  # (bh, bw, cells)
        row, x = y_out.index_select(1, line_y) + off_y, x_out.index_select(1, line_x)  # k * H + y; x
        out.scatter_(0, ((row * width)[:, None] + (x + off_x)).view(-1), hit.view(-1))  # repeats: one value
        hits[0].scatter_reduce_(0, row.view(-1), _any(hit, 1).view(-1).int(), "amax")
        hits[1].scatter_reduce_(0, (x + off_col).view(-1), _any(hit, 0).view(-1).int(), "amax")


def _any(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``x.any(dim)`` of a non-empty bool tensor, as a byte maximum (many times faster on a CPU)."""
    return x.view(torch.uint8).amax(dim=dim).bool()


def _first_last(hits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row of a (K, N) host array of flags: any, first set index, last set index + 1."""
    return hits.any(axis=1), hits.argmax(axis=1), hits.shape[1] - hits[:, ::-1].argmax(axis=1)


def _groups(order: list[int], hs: np.ndarray, ws: np.ndarray, budget: int,
            group_cost: int = _GROUP_COST) -> list[list[int]]:
    """Split ``order`` (instances, largest first) into consecutive groups at the least cost.

    A group's extents are padded to its largest height and width (its buffer
    and low-res windows are); its cost is those padded pixels plus
    ``group_cost`` for its fixed work. Each group's padded pixels fit
    ``budget`` (a single larger instance is a group alone). Groups padded to
    more than ``_WASTE`` times their pixels are not considered.
    """
    h, w = [int(hs[k]) for k in order], [int(ws[k]) for k in order]
    best, cut = [0] + [float("inf")] * len(order), [0] * (len(order) + 1)
    for end in range(1, len(order) + 1):
        gh = gw = real = 0
        for start in range(end - 1, -1, -1):
            gh, gw = (gh if gh > h[start] else h[start]), (gw if gw > w[start] else w[start])
            real += h[start] * w[start]
            padded = (end - start) * gh * gw
            if start < end - 1 and (padded > budget or padded > _WASTE * real):
                break  # longer groups are not considered
            if best[start] + group_cost + padded < best[end]:
                best[end], cut[end] = best[start] + group_cost + padded, start
    groups, end = [], len(order)
    while end:
        groups.append(order[cut[end] : end])
        end = cut[end]
    return groups[::-1]
