"""The runtime every mode shares: the model's device, autocast, the backbone forward.

sam3's CPU workarounds (``model.compat``) are switched by the model's device,
not by the machine, here and in video.
"""

from __future__ import annotations

import contextlib

import torch

from ..model.compat import cpu_forward


def model_device(model) -> torch.device:
    """The device that holds a model's parameters.

    Args:
        model: a ``torch.nn.Module``.

    Returns:
        its ``torch.device``.
    """
    return next(model.parameters()).device


def autocast(device) -> contextlib.AbstractContextManager:
    """The autocast sam3 runs under on ``device``.

    Args:
        device: the model's device.

    Returns:
        bf16 autocast on CUDA; a null context (full fp32) elsewhere.
    """
    if torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def normalize(pixels: torch.Tensor) -> torch.Tensor:
    """SAM3's input normalisation: [0, 1], then mean and std 0.5.

    Args:
        pixels: uint8 (B, 3, R, R) images.

    Returns:
        float (B, 3, R, R) in [-1, 1].
    """
    return (pixels.float() / 255.0 - 0.5) / 0.5


@torch.inference_mode()
def forward_backbone(model, pixels: torch.Tensor) -> dict:
    """sam3 backbone features for uint8 (B, 3, R, R) pixels (once per image).

    Args:
        model: a ``Sam3Image``.
        pixels: uint8 images at the model's resolution, on any device.

    Returns:
        sam3's ``backbone_out`` dict.
    """
    device = model_device(model)
    with cpu_forward(device), autocast(device):
        return model.backbone.forward_image(normalize(pixels.to(device, non_blocking=True)))
