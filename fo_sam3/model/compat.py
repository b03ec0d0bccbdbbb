"""Scoped workarounds for sam3 0.1.4's hard-coded CUDA.

Each patch is active only inside its context manager, only for a model that
is not on a CUDA device (decided by the model's device, not by the machine:
a CPU model on a CUDA machine needs them too), and is restored afterwards
(reference-counted, so nested uses are safe). CUDA models run sam3's code
unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Callable, Iterator

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


_needs_patch = needs_cpu_patches


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


@contextlib.contextmanager
def cuda_free_construction(device: str | torch.device | None = None) -> Iterator[None]:
    """Construct sam3 modules without CUDA (position-encoding, decoder and RoPE caches).

    Args:
        device: the device the model is built for; ``None`` decides from the machine.
    """
    if not _needs_patch(device):
        yield
        return
    from sam3.model.decoder import TransformerDecoder
    from sam3.model.position_encoding import PositionEmbeddingSine
    from sam3.sam import transformer as sam_transformer

    with contextlib.ExitStack() as stack:
        stack.enter_context(
            _patched("pos_enc", PositionEmbeddingSine, "__init__", _pos_enc_init)
        )
        stack.enter_context(
            _patched("coords", TransformerDecoder, "_get_coords", _get_coords)
        )
        stack.enter_context(  # RoPEAttention puts freqs on CUDA when the machine has it
            _patched("rope", sam_transformer, "compute_axial_cis", _axial_cis)
        )
        yield


def _no_pin(original):
    def pin_memory(self, *args, **kwargs):
        return self  # nothing to pin without an accelerator

    return pin_memory


@contextlib.contextmanager
def cpu_forward(device: str | torch.device | None = None) -> Iterator[None]:
    """Run sam3 forwards without CUDA (geometry encoder's ``pin_memory``).

    Args:
        device: the model's device; ``None`` decides from the machine (pass
            it: a CPU model on a CUDA machine needs the workarounds too).
    """
    if not _needs_patch(device):
        yield
        return
    with _patched("pin", torch.Tensor, "pin_memory", _no_pin):
        yield


def move_tensor_caches(model: torch.nn.Module, device: torch.device | str) -> None:
    """Move tensors that sam3 caches outside parameters/buffers onto ``device``.

    sam3 keeps position encodings, decoder coordinates and RoPE frequencies in
    plain attributes, which ``Module.to`` does not move.
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
    fo_sam3 instead enters autocast around its own video calls (``autocast()``).
    """
    ctx = getattr(tracker, "bf16_context", None)
    if ctx is not None and not getattr(tracker, "_fo_sam3_autocast_released", False):
        ctx.__exit__(None, None, None)
        tracker._fo_sam3_autocast_released = True
