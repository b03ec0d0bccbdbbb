"""One loaded model per configuration per process (operators reuse it)."""

from __future__ import annotations

import threading

import torch

from .builder import build_sam3
from .device import resolve_device

_models: dict[tuple, torch.nn.Module] = {}
_lock = threading.Lock()


def get_model(
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
    instance_interactive: bool = False,
):
    """Return ``model`` if given, else a cached ``build_sam3(...)`` result.

    ``variant`` defaults to ``"full"``; ``"tiny"`` is the small random model.
    Random weights are seeded (seed 0) so repeated loads agree.
    """
    if model is not None:
        if instance_interactive and getattr(model, "inst_interactive_predictor", None) is None:
            raise ValueError("instance mode needs a model built with instance_interactive=True")
        return model
    resolve_device(device)  # a missing GPU is a setup error, said before any work
    key = (variant or "full", str(checkpoint), str(device), instance_interactive)
    with _lock:
        if key not in _models:
            _models[key] = build_sam3(
                variant or "full",
                checkpoint=checkpoint,
                device=device,
                seed=0 if checkpoint == "random" or (variant == "tiny" and checkpoint is None) else None,
                instance_interactive=instance_interactive,
            )
        return _models[key]
