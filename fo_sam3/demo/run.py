"""The demo: real photos -> text auto-labeling -> instance masks for boxes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..model.checkpoint import RANDOM, CheckpointNotFoundError, resolve_checkpoint
from .photos import TEXT_PROMPTS, build_dataset

DEMO_NAME = "fo-sam3-demo"
WEIGHTS_HELP = (
    "To use the real weights: request access to the gated Hugging Face repo "
    "facebook/sam3, then either log in (`hf auth login` or HF_TOKEN) so they download "
    "on first use, or download sam3.pt and set FO_SAM3_CHECKPOINT=/path/to/sam3.pt."
)


@dataclass(frozen=True)
class ModelChoice:
    """Which model a demo/notebook run uses, and why (``note`` says it plainly)."""

    variant: str
    checkpoint: str  # a file path, or "random"
    device: str | None
    random: bool
    note: str


def has_hub_token() -> bool:
    try:
        from huggingface_hub import get_token

        return bool(get_token())
    except Exception:  # huggingface_hub missing or unconfigured
        return False


def choose_model(checkpoint=None, variant=None, device=None) -> ModelChoice:
    """The full model when a checkpoint is found, else the tiny random-weight model.

    ``checkpoint="random"`` forces random weights (``variant`` then defaults
    to ``"tiny"``). The Hugging Face hub is tried only when a token is set.
    """
    if checkpoint is not None and str(checkpoint) != RANDOM:
        path = resolve_checkpoint(checkpoint).path  # raises if the file is missing
        return ModelChoice(variant or "full", str(path), device, False, f"Using SAM3 weights from {path}.")
    if checkpoint is None:
        try:
            found = resolve_checkpoint(None, hub=has_hub_token())
            return ModelChoice(variant or "full", str(found.path), device, False,
                               f"Using SAM3 weights from {found.path} ({found.source}).")
        except CheckpointNotFoundError:
            why = "No SAM3 checkpoint was found (see `fo-sam3 doctor`).\n" + WEIGHTS_HELP + "\n"
    else:
        why = ""
    variant = variant or "tiny"
    return ModelChoice(
        variant, RANDOM, device, True,
        why + f"Running the same pipeline on RANDOM weights ({variant} model), so you can see it "
        "work: the masks and scores it writes are meaningless.",
    )


def run_demo(name: str = DEMO_NAME, folder: str | None = None, checkpoint=None, variant=None,
             device=None, batch_size: int = 2, output_dir: str | None = None, app: bool = False,
             echo=print):
    """Build dataset ``name`` of six photos, label it from text, then mask its boxes.

    Returns ``(dataset, [text_summary, instance_summary], choice)``.
    """
    import fiftyone as fo

    import fo_sam3

    choice = choose_model(checkpoint, variant, device)
    echo(choice.note)
    folder = folder or os.path.join(fo.config.default_dataset_dir, name)
    dataset = build_dataset(name, Path(folder), persistent=True, boxes_field="boxes")
    echo(f"Dataset '{name}': {len(dataset)} photos in {folder}, hand-drawn boxes in field 'boxes'.")
    common = dict(checkpoint=choice.checkpoint, variant=choice.variant, device=choice.device,
                  batch_size=batch_size, output_dir=output_dir)
    # Random weights score every candidate alike: keep the top 2 per prompt so masks appear.
    text_opts = dict(confidence=0.0, topk_per_query=2) if choice.random else {}
    echo(f"1/2 Text auto-labeling {', '.join(TEXT_PROMPTS)} -> field 'sam3_text'")
    text = fo_sam3.segment(dataset, "sam3_text", text=list(TEXT_PROMPTS), **common, **text_opts)
    echo(str(text))
    echo("2/2 Instance mode: one mask per box of 'boxes' -> field 'sam3_boxes'")
    boxes = fo_sam3.segment(dataset, "sam3_boxes", mode="instance", box_field="boxes", **common)
    echo(str(boxes))
    if choice.random:
        echo("Reminder: these masks come from random weights and are meaningless.\n" + WEIGHTS_HELP)
    if app:
        session = fo.launch_app(dataset)
        session.wait()
    else:
        echo(f"Open it in the App: fiftyone app launch {name}   (or: fo-sam3 demo --app)")
    return dataset, [text, boxes], choice
