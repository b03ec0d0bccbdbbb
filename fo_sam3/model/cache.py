"""One loaded model per configuration per process, image and video alike (operators reuse it)."""

from __future__ import annotations

import threading
from typing import Callable

import torch

from .builder import build_sam3
from .device import resolve_device

_models: dict[tuple, torch.nn.Module] = {}
_lock = threading.Lock()


def _cached(kind: str, build: Callable, variant, checkpoint, device, **options) -> torch.nn.Module:
    """``build(variant, checkpoint=..., device=..., seed=..., **options)``, built once per key.

    Random weights are seeded (seed 0) so repeated loads agree.
    """
    resolve_device(device)  # a missing GPU is a setup error, said before any work
    variant = variant or "full"
    key = (kind, variant, str(checkpoint), str(device), *sorted(options.items()))
    random = checkpoint == "random" or (variant == "tiny" and checkpoint is None)
    with _lock:
        if key not in _models:
            _models[key] = build(variant, checkpoint=checkpoint, device=device,
                                 seed=0 if random else None, **options)
        return _models[key]


def get_model(
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
    instance_interactive: bool = False,
):
    """Return ``model`` if given, else a cached ``build_sam3(...)`` result.

    Args:
        model: a sam3 image model to use as is, or ``None``.
        checkpoint: a sam3.pt path, ``"random"``, or ``None`` to resolve one.
        variant: ``"full"`` (default) or ``"tiny"`` (the small random model).
        device: defaults to CUDA when available, else CPU.
        instance_interactive: the model needs sam3's instance (SAM) head.

    Returns:
        a ``Sam3Image``, the same object for the same arguments.

    Raises:
        ValueError: ``model`` lacks the instance head that was asked for.
    """
    if model is not None:
        if instance_interactive and getattr(model, "inst_interactive_predictor", None) is None:
            raise ValueError("instance mode needs a model built with instance_interactive=True")
        return model
    return _cached("image", build_sam3, variant, checkpoint, device, instance_interactive=instance_interactive)


def get_video_model(model=None, checkpoint=None, variant: str | None = None, device=None):
    """Return ``model`` if given (checked), else a cached ``build_sam3_video(...)`` result.

    Args:
        model: a sam3 video model to use as is, or ``None``.
        checkpoint: a sam3.pt path, ``"random"``, or ``None`` to resolve one.
        variant: ``"full"`` (default) or ``"tiny"`` (the small random model).
        device: defaults to CUDA when available, else CPU.

    Returns:
        a ``Sam3VideoInferenceWithInstanceInteractivity``, the same object for
        the same arguments.

    Raises:
        NotAVideoModelError: ``model`` is not sam3's video model.
    """
    from ..video.builder import build_sam3_video, check_video_model

    if model is not None:
        check_video_model(model)
        return model
    return _cached("video", build_sam3_video, variant, checkpoint, device)
