"""Scoped workarounds that let sam3 0.1.4's video code run without CUDA.

Like ``fo_sam3.model.compat``, every CUDA workaround is active only inside
``cpu_video(device)``, only for a model that is not on CUDA (its device
decides, not the machine's), and is restored afterwards (reference-counted).
What each one replaces:

- ``Tensor.cuda()``: the tracker moves memory features, previous mask logits
  and frames with ``.cuda()``; without CUDA the tensor stays where it is.
- ``Tensor.pin_memory()``: the tracker's temporal position encoding and the
  geometry encoder pin host memory; without an accelerator it is a no-op.
- ``Sam3ImageOnVideoMultiGPU._gather_tensor``: the detector casts the
  tracker's backbone features to bfloat16 before gathering them, relying on
  CUDA autocast downstream; without it the tracker's float32 convolutions
  reject them, so they are cast back to float32 (values stay bf16-rounded).
- ``perflib.connected_components.connected_components``: its CPU fallback
  stacks an empty list (crash) when no object is tracked, and counts each
  component with one full-image pass; the replacement handles the empty batch
  and counts with ``bincount`` (same labels and counts).

The tracker's ``storage_device`` (hard-coded ``"cuda"`` unless state offload is
on) is handled per model by ``state_offload()``, which is also how GPU runs
keep the tracker's per-frame memory in host RAM.

On every device (scoped the same way): ``sam3_fixes()`` repairs a sam3 0.1.4
call bug (``track_step`` and ``gt_masks``), ``quiet_sam3_progress()`` hides
sam3's per-frame tqdm bars, and ``autocast()`` replaces the bfloat16 autocast
that ``Sam3TrackerPredictor.__init__`` enters globally and never leaves
(``release_global_autocast``).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import numpy as np
import torch

from ..model.compat import _needs_patch, _patched, cpu_forward


def _stay(original):
    def cuda(self, *args, **kwargs):
        return self  # no CUDA device: keep the tensor where it is

    return cuda


def _components_cpu(values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """skimage labels and per-pixel component sizes of one (H, W) mask."""
    from skimage.measure import label

    labels = label(values.cpu().numpy())
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0  # background has no component size
    return torch.from_numpy(labels), torch.from_numpy(sizes[labels])


def _connected_components(original):
    def connected_components(input_tensor: torch.Tensor):
        if input_tensor.is_cuda:
            return original(input_tensor)
        x = input_tensor.unsqueeze(1) if input_tensor.dim() == 3 else input_tensor
        if x.shape[0] == 0:
            empty = torch.zeros(x.shape, dtype=torch.int64, device=x.device)
            return empty, empty.clone()
        pairs = [_components_cpu(m[0]) for m in x]
        labels = torch.stack([p[0] for p in pairs])[:, None].to(x.device)
        counts = torch.stack([p[1] for p in pairs])[:, None].to(x.device)
        return labels, counts

    return connected_components


def _float_gather(original):
    def _gather_tensor(self, x):
        return original(self, x.float() if x.dtype == torch.bfloat16 else x)

    return _gather_tensor


@contextlib.contextmanager
def cpu_video(device: str | torch.device | None = None) -> Iterator[None]:
    """Run sam3's video model on CPU (no-op for a CUDA model).

    Args:
        device: the model's device; ``None`` decides from the machine.
    """
    if not _needs_patch(device):
        yield
        return
    from sam3.model.sam3_image import Sam3ImageOnVideoMultiGPU
    from sam3.perflib import connected_components as cc

    with contextlib.ExitStack() as stack:
        stack.enter_context(cpu_forward(device))
        stack.enter_context(_patched("video_cuda", torch.Tensor, "cuda", _stay))
        stack.enter_context(
            _patched("video_cc", cc, "connected_components", _connected_components)
        )
        stack.enter_context(
            _patched("video_gather", Sam3ImageOnVideoMultiGPU, "_gather_tensor", _float_gather)
        )
        yield


def _offloading_init(original):
    def init_state(*args, offload_state_to_cpu=False, **kwargs):
        return original(*args, offload_state_to_cpu=True, **kwargs)

    return init_state


@contextlib.contextmanager
def state_offload(tracker, enabled: bool, device: str | torch.device | None = None) -> Iterator[None]:
    """Make every tracker state this block creates keep its memory on the CPU.

    Needed for a model off CUDA (sam3's default ``storage_device`` is
    ``"cuda"``); optional on GPU, where it bounds GPU memory at some speed cost.

    Args:
        tracker: the video model's tracker.
        enabled: offload even for a CUDA model.
        device: the model's device; ``None`` decides from the machine.
    """
    if not (enabled or _needs_patch(device)):
        yield
        return
    key = f"video_offload_{id(tracker)}"
    with _patched(key, tracker, "init_state", _offloading_init):
        yield


@contextlib.contextmanager
def tracker_backbone(model) -> Iterator[None]:
    """Lend the detector's backbone to the tracker (sam3's SAM2-style video task).

    The tracker is built without a backbone; for point/box tracking it encodes
    frames itself. The attribute is restored so ``state_dict`` keys do not change.
    """
    tracker = model.tracker
    previous = tracker.backbone
    tracker.backbone = model.detector.backbone
    try:
        yield
    finally:
        tracker.backbone = previous


def _quiet(original):
    def tqdm(*args, **kwargs):
        kwargs["disable"] = True
        return original(*args, **kwargs)

    return tqdm


@contextlib.contextmanager
def quiet_sam3_progress() -> Iterator[None]:
    """Silence the per-frame tqdm bars of sam3's video inference (fo_sam3 shows its own)."""
    from sam3.model import sam3_video_inference as vi

    with _patched("video_tqdm", vi, "tqdm", _quiet):
        yield


def _lenient_track_step(original):
    def track_step(self, *args, gt_masks=None, frames_to_add_correction_pt=None, **kwargs):
        # sam3 0.1.4's _get_empty_mask_ptr passes these two (as None / []), but
        # track_step no longer accepts them; both are no-ops at these values.
        if gt_masks is not None or frames_to_add_correction_pt:
            raise TypeError("track_step does not support gt_masks or correction points")
        return original(self, *args, **kwargs)

    return track_step


@contextlib.contextmanager
def sam3_fixes() -> Iterator[None]:
    """Fix sam3 0.1.4 bugs on every device (scoped like the CPU workarounds).

    ``Sam3TrackerPredictor._get_empty_mask_ptr`` calls ``track_step`` with
    arguments it does not accept; it runs whenever a prompt frame does not
    prompt every object (e.g. box prompts for different objects on different
    frames), so it is needed on GPU too.
    """
    from sam3.model.sam3_tracker_base import Sam3TrackerBase

    with _patched("video_track_step", Sam3TrackerBase, "track_step", _lenient_track_step):
        yield
