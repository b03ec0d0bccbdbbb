"""Scoped workarounds for sam3 0.1.4's hard-coded CUDA and call bugs, for every mode.

Each patch is active only inside its context manager and is restored
afterwards (reference-counted, so nested uses are safe). The CUDA workarounds
apply only to a model that is not on a CUDA device: the model's device
decides (``needs_cpu_patches``), not the machine, so a CPU model on a CUDA
machine gets them too, and CUDA models run sam3's code unchanged.

Scopes, and what each one replaces:

- ``cuda_free_construction(device)`` (building any model): the position
  encoding, decoder-coordinate and RoPE caches that sam3 precomputes on CUDA.
- ``cpu_forward(device)`` (every forward, image and video):
  ``Tensor.pin_memory()``, which the geometry encoder and the tracker's
  temporal position encoding call; a no-op without an accelerator.
- ``cpu_video(device)`` (video; includes ``cpu_forward``):

  - ``Tensor.cuda()``: the tracker moves memory features, previous mask
    logits and frames with ``.cuda()``; without CUDA the tensor stays put.
  - ``Sam3ImageOnVideoMultiGPU._gather_tensor``: the detector casts the
    tracker's backbone features to bfloat16 before gathering them, relying on
    CUDA autocast downstream; without it the tracker's float32 convolutions
    reject them, so they are cast back to float32 (values stay bf16-rounded).
  - ``perflib.connected_components.connected_components``: its CPU fallback
    stacks an empty list (crash) when no object is tracked, and counts each
    component with one full-image pass; the replacement handles the empty
    batch and counts with ``bincount`` (same labels and counts).

- ``state_offload(tracker, enabled, device)`` (video): the tracker's
  ``storage_device`` is hard-coded ``"cuda"`` unless state offload is on; also
  how GPU runs keep the tracker's per-frame memory in host RAM.

On every device: ``sam3_fixes()`` repairs a sam3 0.1.4 call bug
(``track_step`` and ``gt_masks``), ``quiet_sam3_progress()`` hides sam3's
per-frame tqdm bars, and ``release_global_autocast`` undoes the bfloat16
autocast that ``Sam3TrackerPredictor.__init__`` enters globally and never
leaves (``engine.runtime.autocast`` enters it around fo_sam3's own calls).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Callable, Iterator

import numpy as np
import torch

_lock = threading.Lock()
_active: dict[str, int] = {}
_saved: dict[str, tuple[object, str, object]] = {}
_ABSENT = object()


def needs_cpu_patches(device: str | torch.device | None = None) -> bool:
    """Whether a model on ``device`` needs the workarounds for sam3's CUDA hard-codes.

    Args:
        device: the model's device (or the one it is built for); ``None``
            decides from the machine (no CUDA available).

    Returns:
        True unless ``device`` is a CUDA device.
    """
    if device is None:
        return not torch.cuda.is_available()
    return torch.device(device).type != "cuda"


@contextlib.contextmanager
def _patched(key: str, owner: object, name: str, make: Callable[[object], object]):
    """Replace ``owner.name`` by ``make(original)`` for the duration of the block."""
    with _lock:
        if _active.get(key, 0) == 0:
            own = vars(owner).get(name, _ABSENT)
            _saved[key] = (owner, name, own)
            setattr(owner, name, make(getattr(owner, name) if own is _ABSENT else own))
        _active[key] = _active.get(key, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _active[key] -= 1
            if _active[key] == 0:
                owner, name, own = _saved.pop(key)
                if own is _ABSENT:
                    delattr(owner, name)  # the inherited attribute shows again
                else:
                    setattr(owner, name, own)


@contextlib.contextmanager
def _all_patched(patches) -> Iterator[None]:
    """Every ``(key, owner, name, make)`` of ``patches`` applied (``_patched``) for the block."""
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(_patched(*patch))
        yield


def _off_cuda(device, patches: Callable[[], list]) -> contextlib.AbstractContextManager:
    """``patches()`` applied for a model off CUDA (``needs_cpu_patches``); nothing for a CUDA model."""
    return _all_patched(patches()) if needs_cpu_patches(device) else contextlib.nullcontext()


def _cpu_device(device):
    return "cpu" if str(device).startswith("cuda") else device


def _pos_enc_init(original):
    def __init__(self, *args, precompute_resolution=None, **kwargs):
        original(self, *args, precompute_resolution=None, **kwargs)
        if precompute_resolution is not None:  # sam3 precomputes on "cuda"
            for stride in (4, 8, 16, 32):
                size = (precompute_resolution // stride,) * 2
                self.forward(torch.zeros((1, 1) + size))
                self.cache[size] = self.cache[size].clone().detach()

    return __init__


def _get_coords(original):
    fn = original.__func__ if isinstance(original, staticmethod) else original
    return staticmethod(lambda H, W, device: fn(H, W, _cpu_device(device)))


def _axial_cis(original):
    def compute_axial_cis(*args, device=None, **kwargs):
        return original(*args, device=_cpu_device(device), **kwargs)

    return compute_axial_cis


def _construction_patches() -> list:
    from sam3.model.decoder import TransformerDecoder
    from sam3.model.position_encoding import PositionEmbeddingSine
    from sam3.sam import transformer as sam_transformer

    return [
        ("pos_enc", PositionEmbeddingSine, "__init__", _pos_enc_init),
        ("coords", TransformerDecoder, "_get_coords", _get_coords),
        ("rope", sam_transformer, "compute_axial_cis", _axial_cis),  # RoPEAttention: CUDA when the machine has it
    ]


def cuda_free_construction(device: str | torch.device | None = None) -> contextlib.AbstractContextManager:
    """Construct sam3 modules without CUDA (position-encoding, decoder and RoPE caches).

    Args:
        device: the device the model is built for; ``None`` decides from the machine.

    Returns:
        a context manager; a no-op for a CUDA device.
    """
    return _off_cuda(device, _construction_patches)


def _no_pin(original):
    def pin_memory(self, *args, **kwargs):
        return self  # nothing to pin without an accelerator

    return pin_memory


def _forward_patches() -> list:
    return [("pin", torch.Tensor, "pin_memory", _no_pin)]


def cpu_forward(device: str | torch.device | None = None) -> contextlib.AbstractContextManager:
    """Run sam3 forwards without CUDA (geometry encoder's ``pin_memory``).

    Args:
        device: the model's device; ``None`` decides from the machine (pass
            it: a CPU model on a CUDA machine needs the workarounds too).

    Returns:
        a context manager; a no-op for a CUDA model.
    """
    return _off_cuda(device, _forward_patches)


def move_tensor_caches(model: torch.nn.Module, device: torch.device | str) -> None:
    """Move tensors that sam3 caches outside parameters/buffers onto ``device``.

    sam3 keeps position encodings, decoder coordinates and RoPE frequencies in
    plain attributes, which ``Module.to`` does not move.

    Args:
        model: a sam3 model, already moved with ``Module.to``.
        device: where its cached tensors go.

    Returns:
        None; the tensors are replaced in place.
    """

    def move(value):
        if isinstance(value, torch.Tensor):
            return value.to(device)
        if isinstance(value, dict):  # in place: keeps the dict's identity and type
            for k, v in value.items():
                value[k] = move(v)
            return value
        if isinstance(value, tuple) and any(isinstance(v, torch.Tensor) for v in value):
            return tuple(move(v) for v in value)
        return value

    for module in model.modules():
        for name, value in list(vars(module).items()):
            if name.startswith("_"):  # parameters, buffers, submodules, hooks
                continue
            if isinstance(value, (torch.Tensor, dict, tuple)):
                moved = move(value)
                if moved is not value:
                    object.__setattr__(module, name, moved)


def import_sam3_quietly() -> None:
    """Import sam3 without its log lines in the middle of fo_sam3's progress bars.

    ``sam3.perflib.nms`` calls ``logging.debug`` at import time, which installs a
    root handler (so FiftyOne's progress lines print twice): only the handlers
    that this import added are removed. sam3's own loggers (``sam3.logger``:
    coloured INFO lines on stderr) are kept at WARNING, unless sam3's
    ``$LOG_LEVEL`` asks for another level (for debugging). Idempotent.

    Returns:
        None.
    """
    before = list(logging.root.handlers)
    import sam3.perflib.nms  # noqa: F401  (imports all of sam3)

    for handler in logging.root.handlers[:]:
        if handler not in before:
            logging.root.removeHandler(handler)
    if "LOG_LEVEL" in os.environ:
        return
    for name, log in list(logging.root.manager.loggerDict.items()):
        if name.split(".")[0] == "sam3" and isinstance(log, logging.Logger):
            if log.level < logging.WARNING:  # INFO, DEBUG or NOTSET
                log.setLevel(logging.WARNING)


def release_global_autocast(tracker) -> None:
    """Undo the ``autocast`` that ``Sam3TrackerPredictor.__init__`` enters for good.

    sam3 enters ``torch.autocast("cuda", bfloat16)`` in the constructor and
    never leaves it, which would switch the whole building thread to bfloat16.
    fo_sam3 instead enters autocast around its own calls (``engine.runtime.autocast``).

    Args:
        tracker: a freshly built ``Sam3TrackerPredictor``.

    Returns:
        None; released once per tracker.
    """
    ctx = getattr(tracker, "bf16_context", None)
    if ctx is not None and not getattr(tracker, "_fo_sam3_autocast_released", False):
        ctx.__exit__(None, None, None)
        tracker._fo_sam3_autocast_released = True


# --- video (sam3's dense tracker) ---


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


def _video_patches() -> list:
    from sam3.model.sam3_image import Sam3ImageOnVideoMultiGPU
    from sam3.perflib import connected_components as cc

    return _forward_patches() + [
        ("video_cuda", torch.Tensor, "cuda", _stay),
        ("video_cc", cc, "connected_components", _connected_components),
        ("video_gather", Sam3ImageOnVideoMultiGPU, "_gather_tensor", _float_gather),
    ]


def cpu_video(device: str | torch.device | None = None) -> contextlib.AbstractContextManager:
    """Run sam3's video model off CUDA (``cpu_forward`` plus the tracker's workarounds).

    Args:
        device: the model's device; ``None`` decides from the machine.

    Returns:
        a context manager; a no-op for a CUDA model.
    """
    return _off_cuda(device, _video_patches)


def _offloading_init(original):
    def init_state(*args, offload_state_to_cpu=False, **kwargs):
        return original(*args, offload_state_to_cpu=True, **kwargs)

    return init_state


def state_offload(tracker, enabled: bool, device=None) -> contextlib.AbstractContextManager:
    """Make every tracker state this block creates keep its memory on the CPU.

    Needed for a model off CUDA (sam3's default ``storage_device`` is
    ``"cuda"``); optional on GPU, where it bounds GPU memory at some speed cost.

    Args:
        tracker: the video model's tracker.
        enabled: offload even for a CUDA model.
        device: the model's device; ``None`` decides from the machine.

    Returns:
        a context manager; a no-op for a CUDA model unless ``enabled``.
    """
    if not (enabled or needs_cpu_patches(device)):
        return contextlib.nullcontext()
    return _patched(f"video_offload_{id(tracker)}", tracker, "init_state", _offloading_init)


def _quiet(original):
    def tqdm(*args, **kwargs):
        kwargs["disable"] = True
        return original(*args, **kwargs)

    return tqdm


@contextlib.contextmanager
def quiet_sam3_progress() -> Iterator[None]:
    """Silence the per-frame tqdm bars of sam3's video inference (fo_sam3 shows its own).

    Returns:
        a context manager.
    """
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

    Returns:
        a context manager.
    """
    from sam3.model.sam3_tracker_base import Sam3TrackerBase

    with _patched("video_track_step", Sam3TrackerBase, "track_step", _lenient_track_step):
        yield
