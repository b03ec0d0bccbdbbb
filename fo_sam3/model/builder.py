"""``build_sam3``: a sam3 ``Sam3Image`` from sam3's own classes, on any device."""

from __future__ import annotations

import contextlib
import os
from typing import Callable

import torch

from . import arch, tracker_arch
from .checkpoint import CheckpointError, image_model_state, load_state, resolve_checkpoint
from .device import resolve_device
from .compat import (
    cuda_free_construction,
    import_sam3_quietly,
    move_tensor_caches,
    release_global_autocast,
)
from .vocab import find_vocab

import_sam3_quietly()  # sam3 logs at WARNING, no root handler of its own

SAM2_NECK = "backbone.vision_backbone.sam2_convs."  # only with the instance head
SHOWN_KEYS = 3  # keys an error message names per kind of mismatch


class CheckpointMismatchError(CheckpointError, ValueError):
    """A checkpoint's keys or shapes do not match the architecture being built."""


def default_device() -> torch.device:
    """The device models go to when none is given.

    Returns:
        CUDA when available, else the CPU
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def init_empty_parameters(model: torch.nn.Module, seed: int | None = None) -> None:
    """Initialise parameters that sam3 allocates with ``torch.empty``.

    Follows open_clip's init for the text transformer; any other non-finite
    parameter gets a small normal init. Needed whenever no checkpoint is loaded.

    Args:
        model: a sam3 model just built, without weights
        seed: (None) seeds the init, so two builds are identical
    """
    from sam3.model.text_encoder_ve import TextTransformer

    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, TextTransformer):
                _normal_(module.positional_embedding, 0.01, gen)
                if isinstance(module.text_projection, torch.nn.Parameter):
                    _normal_(module.text_projection, module.width**-0.5, gen)
    _init_nonfinite(model, seed)


def _init_nonfinite(model: torch.nn.Module, seed: int | None) -> None:
    gen = torch.Generator().manual_seed(seed + 1) if seed is not None else None
    with torch.no_grad():
        for p in model.parameters():
            if not torch.isfinite(p).all():
                _normal_(p, 0.02, gen)


def _normal_(p: torch.Tensor, std: float, gen) -> None:
    p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float32) * std)


def _build_graph(cfg: arch.ArchConfig, bpe_path: str, instance_interactive: bool):
    from sam3.model.sam1_task_predictor import SAM3InteractiveImagePredictor
    from sam3.model.sam3_image import Sam3Image
    from sam3.model.vl_combiner import SAM3VLBackbone

    backbone = SAM3VLBackbone(
        visual=arch.vision_backbone(cfg, instance_interactive),
        text=arch.text_encoder(cfg, bpe_path),
        scalp=1,
    )
    inst = None
    if instance_interactive:
        tracker = tracker_arch.tracker(cfg)
        release_global_autocast(tracker)  # sam3 leaves bf16 autocast on for the thread
        inst = SAM3InteractiveImagePredictor(tracker)
    return Sam3Image(
        backbone=backbone,
        transformer=arch.grounding_transformer(cfg),
        input_geometry_encoder=arch.geometry_encoder(cfg),
        segmentation_head=arch.segmentation_head(cfg),
        num_feature_levels=1,
        o2m_mask_predict=True,
        dot_prod_scoring=arch.dot_product_scoring(cfg),
        use_instance_query=False,
        multimask_output=True,
        inst_interactive_predictor=inst,
        matcher=None,
    )


def assemble(
    variant: str,
    checkpoint,
    device,
    seed: int | None,
    bpe_path,
    make_graph: Callable[[arch.ArchConfig, str], torch.nn.Module],
    map_state: Callable[[dict], dict] = lambda state: state,
) -> torch.nn.Module:
    """Builds ``make_graph(cfg, bpe_path)`` for ``variant``, loads or initialises
    its weights, and places it on ``device`` in eval mode (image and video alike).

    Args:
        variant: ``"full"`` or ``"tiny"`` (a key of ``arch.VARIANTS``)
        checkpoint: a path, ``"random"``, or ``None`` (see ``build_sam3``)
        device: the device, or ``None`` for ``default_device()``
        seed: seeds the construction and the random init, or ``None``
        bpe_path: sam3's BPE vocabulary (found or fetched when ``None``)
        make_graph: builds the model from an ``ArchConfig`` and the vocabulary path
        map_state: (identity) maps a sam3.pt state dict onto the model's keys

    Returns:
        the model, with ``fo_sam3_variant`` and ``fo_sam3_checkpoint`` set

    Raises:
        CheckpointMismatchError: the checkpoint's keys or shapes do not match
    """
    if variant not in arch.VARIANTS:
        raise ValueError(f"variant must be one of {sorted(arch.VARIANTS)}, got {variant!r}")
    cfg = arch.VARIANTS[variant]
    if checkpoint is None and variant == "tiny":
        checkpoint = "random"
    resolved = resolve_checkpoint(checkpoint)
    device = resolve_device(device) if device is not None else default_device()
    bpe = str(bpe_path) if bpe_path else str(find_vocab())
    fork = torch.random.fork_rng(devices=[]) if seed is not None else contextlib.nullcontext()
    with fork, cuda_free_construction(device):
        if seed is not None:
            torch.manual_seed(seed)
        model = make_graph(cfg, bpe)
    if resolved.path is None:
        init_empty_parameters(model, seed)
    else:
        load_strict(model, map_state(load_state(resolved.path)), f"checkpoint {resolved.path}")
    model = model.to(device).eval()
    move_tensor_caches(model, device)
    model.fo_sam3_variant = variant
    model.fo_sam3_checkpoint = resolved
    return model


def load_strict(model: torch.nn.Module, state: dict, source: str) -> None:
    """Load ``state`` into ``model``, which must match it key for key and shape for shape.

    Args:
        model: the model to load into.
        state: a state dict already mapped onto ``model``'s key layout.
        source: what ``state`` came from, for the error message.

    Raises:
        CheckpointMismatchError: naming the first few missing, unexpected and
            differently shaped keys (a partly loaded model would still run,
            with random weights where keys drifted).
    """
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and tuple(state[k].shape) != tuple(v.shape)
    ]
    problems = [
        f"{len(keys)} {what} ({', '.join(keys[:SHOWN_KEYS])}{', ...' if len(keys) > SHOWN_KEYS else ''})"
        for what, keys in (("missing keys", missing), ("unexpected keys", unexpected),
                           ("keys of another shape (checkpoint vs model)", shapes))
        if keys
    ]
    if problems:
        raise CheckpointMismatchError(
            f"{source} does not fit the {type(model).__name__} being built: " + "; ".join(problems)
            + ". Is it a sam3.pt of this variant (a model saved without instance_interactive"
            " lacks the tracker)?"
        )
    model.load_state_dict(state, strict=True)


def image_state(state: dict, instance_interactive: bool) -> dict:
    """A sam3.pt state dict mapped onto ``Sam3Image``, as sam3's own loader sees it.

    Without the instance head, the checkpoint's SAM2 neck has no place in the
    model (sam3's loader drops it too, loading with ``strict=False``).

    Args:
        state: a sam3.pt state dict
        instance_interactive: whether the model has the instance head

    Returns:
        the state dict, with ``Sam3Image``'s keys
    """
    out = image_model_state(state, instance_interactive)
    if not instance_interactive:
        out = {k: v for k, v in out.items() if not k.startswith(SAM2_NECK)}
    return out


def build_sam3(
    variant: str = "full",
    checkpoint: str | os.PathLike | None = None,
    device: str | torch.device | None = None,
    seed: int | None = None,
    instance_interactive: bool = False,
    bpe_path: str | os.PathLike | None = None,
):
    """Build a sam3 ``Sam3Image`` in eval mode.

    Args:
        variant: ``"full"`` (the released architecture) or ``"tiny"`` (same
            graph, small widths; random weights for tests and CPU demos).
        checkpoint: a path, ``"random"`` for random weights, or ``None`` to
            resolve ``$FO_SAM3_CHECKPOINT``, the zoo dir, then the gated hub.
            ``"tiny"`` defaults to ``"random"``.
        device: defaults to CUDA when available, else CPU.
        seed: seeds the random init, so two builds are identical.
        instance_interactive: add the SAM1-style ``predict_inst`` head.
        bpe_path: sam3's BPE vocabulary (found or fetched when ``None``).

    Returns:
        a ``sam3.model.sam3_image.Sam3Image`` on ``device``.

    Raises:
        CheckpointMismatchError: the checkpoint's keys or shapes do not match.
    """
    return assemble(
        variant, checkpoint, device, seed, bpe_path,
        make_graph=lambda cfg, bpe: _build_graph(cfg, bpe, instance_interactive),
        map_state=lambda state: image_state(state, instance_interactive),
    )
