"""Check a requested device before any work starts (a setup error, not a failed run)."""

from __future__ import annotations

import torch

from ..errors import FoSam3Error


class DeviceError(FoSam3Error, ValueError):
    """The requested device does not exist or is not usable on this machine."""


def resolve_device(device=None) -> torch.device:
    """``device`` as a ``torch.device`` (``None``: CUDA when available, else CPU).

    Raises ``DeviceError`` with a plain sentence when it is malformed or absent.

    Args:
        device: ``None``, a device string (``"cpu"``, ``"cuda:1"``, ``"mps"``)
            or a ``torch.device``.

    Returns:
        the checked ``torch.device``.
    """
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise DeviceError(f"unknown device '{device}': use device='cpu', 'cuda' or 'cuda:N'") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            build = f"a CUDA {torch.version.cuda} build" if torch.version.cuda else "a CPU-only build"
            raise DeviceError(f"device '{device}' is not available: no CUDA GPU is usable here (torch "
                              f"{torch.__version__}, {build}); use device='cpu' or leave device unset")
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise DeviceError(f"device '{device}' does not exist: this machine has {count} CUDA "
                              f"device(s), cuda:0 to cuda:{count - 1}")
    elif dev.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device '{device}' is not available here; use device='cpu' or leave device unset")
    return dev
