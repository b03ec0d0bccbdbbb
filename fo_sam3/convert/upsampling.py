"""Bilinear upsampling geometry for ``crops.crop_masks``: which low-res lines each output
row or column blends, per image axis (cached by size), and per instance (its window)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch



def source_index(out_size: int, in_size: int, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """PyTorch's bilinear (``align_corners=False``) taps and weights along one axis.

    Args:
        out_size: output pixels along the axis.
        in_size: low-res lines along the axis.
        device: where the tensors go.

    Returns:
        ``(i0, i1, weight)``: each output index's two low-res lines (int64,
        ``i1 = i0 + 1`` clamped) and the weight of ``i1`` (float32).
    """
    scale = in_size / out_size
    src = ((torch.arange(out_size, device=device, dtype=torch.float32) + 0.5) * scale - 0.5).clamp(min=0)
    i0 = src.floor().long().clamp(max=in_size - 1)
    i1 = (i0 + 1).clamp(max=in_size - 1)
    return i0, i1, src - i0


@dataclass(frozen=True, eq=False)
class Axis:
    """One image axis of a bilinear upsampling (``align_corners=False``), on the host.

    Output index ``o`` blends low-res lines ``i0[o]`` and ``i0[o] + 1`` (clamped)
    with ``weight[o]`` on the second; low-res line ``L`` is the first tap of
    outputs ``[first[L], first[L + 1])``.
    """

    i0: np.ndarray
    weight: np.ndarray
    first: np.ndarray
    n_in: int

    def touches(self, hit: np.ndarray) -> np.ndarray:
        """Output indices with a tap on a hit line.

        Args:
            hit: (K, in) bool, per map the low-res lines with a logit above the threshold.

        Returns:
            (K, out) bool.
        """
        either = hit | np.concatenate([hit[:, 1:], hit[:, -1:]], axis=1)  # line i or i + 1 (clamped)
        return either[:, self.i0]

    def windows(self, start: np.ndarray, count: np.ndarray) -> "Windows":
        """The low-res windows of output extents, one per instance.

        Args:
            start: (n,) first output index of each extent.
            count: (n,) output indices in each extent (at least 1).

        Returns:
            the ``Windows``: a common number of lines, each holding both taps
            of every output of its extent.
        """
        first, last = self.i0[start], self.i0[start + count - 1]
        size = min(int((last - first).max()) + 2, self.n_in)  # lines used, + one for the +1 taps
        at = np.minimum(first, self.n_in - size)  # kept inside the map
        extent = np.arange(int(count.max()))
        out = np.minimum(start[:, None] + extent, len(self.i0) - 1)
        index = np.where(extent < count[:, None], self.i0[out] - at[:, None], size)
        lines = at[:, None] + np.arange(size)
        # An extent holds all or none of a line's outputs (they share their taps).
        used = (lines >= first[:, None]) & (lines <= last[:, None]) & (self.first[lines + 1] > self.first[lines])
        return Windows(self, start, count, at, size, index, used)


@dataclass(frozen=True)
class Windows:
    """Per instance of a group, along one axis: its extent ``[start, start + count)`` of output
    indices, its window of ``size`` low-res lines from ``at``, each output index's window line
    (``size`` past the extent), and which window lines some output of the extent taps first."""

    axis: Axis
    start: np.ndarray
    count: np.ndarray
    at: np.ndarray
    size: int
    index: np.ndarray  # (n, max count)
    used: np.ndarray  # (n, size) bool

    def dense_taps(self, device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each output index's first-tap window line, weight, and whether it lies in its extent.

        Args:
            device: where the tensors go.

        Returns:
            ``(line, weight, inside)``, each (n, max count): int64 lines (clamped
            into the window past the extent, where ``inside`` is False), float32
            weights of the +1 taps, bool.
        """
        outputs = np.minimum(self.start[:, None] + np.arange(self.index.shape[1]), len(self.axis.i0) - 1)
        return (torch.as_tensor(np.minimum(self.index, self.size - 1), device=device),
                torch.as_tensor(self.axis.weight[outputs], device=device),
                torch.as_tensor(self.index < self.size, device=device))

    def spread_index(self) -> np.ndarray:
        """Each output index's row in a stack of windows padded with a zero line.

        Returns:
            (n * max count,) rows of a (n * (size + 1), ...) stack.
        """
        return (self.index + (self.size + 1) * np.arange(len(self.index))[:, None]).reshape(-1)


@functools.lru_cache(maxsize=64)
def axis(out_size: int, in_size: int) -> Axis:
    """The ``Axis`` of upsampling ``in_size`` low-res lines to ``out_size`` (cached).

    Args:
        out_size: output pixels along the axis.
        in_size: low-res lines along the axis.

    Returns:
        the ``Axis``.
    """
    i0, _, weight = source_index(out_size, in_size, "cpu")
    i0 = i0.numpy()
    return Axis(i0, weight.numpy(), np.searchsorted(i0, np.arange(in_size + 1)), in_size)


@dataclass(frozen=True)
class BlendTables:
    """Per low-res line (columns): its outputs' indices, weights and ``1 - weights`` (rows), on a
    device. ``main`` holds as many outputs per line as most lines have (a line with fewer repeats
    its last: a pixel written twice, with one value); ``full`` as many as the line with the most
    (at a map's edge, where the taps clamp), needed only for the lines flagged ``wide``."""

    main: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    full: tuple[torch.Tensor, torch.Tensor, torch.Tensor]
    wide: torch.Tensor | None  # (in_size,) bool, or None when no line needs ``full``


@functools.lru_cache(maxsize=64)
def blend_tables(ax: Axis, device: torch.device) -> BlendTables:
    """The ``BlendTables`` of an axis on a device (cached).

    Args:
        ax: the axis.
        device: where the tables go.

    Returns:
        the tables.
    """
    count = np.diff(ax.first)
    most = int(np.max(count[1:], initial=0)) if len(count) > 1 else int(count[0])
    most = max(most, 1)

    def tables(bound: int):
        index = ax.first[:-1] + np.minimum(np.arange(bound)[:, None], np.maximum(count - 1, 0))
        index = np.minimum(index, len(ax.i0) - 1)
        weight = torch.as_tensor(ax.weight[index], device=device)
        return torch.as_tensor(index, device=device), weight, 1 - weight

    wide = count > most
    full = tables(int(count.max())) if wide.any() else tables(most)
    return BlendTables(tables(most), full, torch.as_tensor(wide, device=device) if wide.any() else None)
