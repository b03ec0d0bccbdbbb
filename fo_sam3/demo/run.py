"""The demo: real photos -> text auto-labeling -> instance masks for boxes."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from . import DEMO_NAME
from .photos import TEXT_PROMPTS, build_dataset

RANDOM = "random"
RANDOM_NOTE = "random weights: masks and scores are meaningless (this demo keeps the top 2 per prompt)"
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
    """Whether a Hugging Face token is configured (login or ``HF_TOKEN``).

    Returns:
        True when ``huggingface_hub`` finds a token; False otherwise, also
        when it is missing or fails.
    """
    try:
        from huggingface_hub import get_token

        return bool(get_token())
    except Exception:  # huggingface_hub missing or unconfigured
        return False


def choose_model(checkpoint=None, variant=None, device=None) -> ModelChoice:
    """The full model when a checkpoint is found, else the tiny random-weight model.

    ``checkpoint="random"`` forces random weights (``variant`` then defaults
    to ``"tiny"``). The Hugging Face hub is tried only when a token is set.

    Args:
        checkpoint: a checkpoint path, ``"random"``, or ``None`` to search.
        variant: the model variant (default ``"full"``, or ``"tiny"`` for
            random weights).
        device: the torch device, passed on as is.

    Returns:
        the ``ModelChoice``.

    Raises:
        CheckpointNotFoundError: a given ``checkpoint`` file is missing.
    """
    from ..model.checkpoint import CheckpointNotFoundError, resolve_checkpoint

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
             echo=print, progress: bool = True):
    """Build dataset ``name`` of six photos, label it from text, then mask its boxes.

    ``progress=False`` also hides FiftyOne's info lines (stdout stays free for JSON).

    Args:
        name: the dataset name (replaced if it exists).
        folder: where the photos are written (default: under FiftyOne's
            ``default_dataset_dir``).
        checkpoint / variant / device: see ``choose_model``.
        batch_size: images per forward pass.
        output_dir: write masks as PNG files here (default: in the database).
        app: launch the App on the dataset and wait for it to close.
        echo: prints the progress lines.
        progress: show progress bars.

    Returns:
        ``(dataset, [text_summary, instance_summary], choice)``.
    """
    import logging

    import fiftyone as fo

    import fo_sam3

    choice = choose_model(checkpoint, variant, device)
    echo(choice.note)
    folder = folder or os.path.join(fo.config.default_dataset_dir, name)
    fo_logger = logging.getLogger("fiftyone")
    level = fo_logger.level
    if not progress:
        fo_logger.setLevel(logging.WARNING)  # "Computing metadata..."
    try:
        dataset = build_dataset(name, Path(folder), persistent=True, boxes_field="boxes")
    finally:
        fo_logger.setLevel(level)
    echo(f"Dataset '{name}': {len(dataset)} photos in {folder}, hand-drawn boxes in field 'boxes'.")
    common = dict(checkpoint=choice.checkpoint, variant=choice.variant, device=choice.device,
                  batch_size=batch_size, output_dir=output_dir, progress=progress)
    # Random weights score every candidate alike: keep the top 2 per prompt so masks appear.
    text_opts = dict(confidence=0.0, topk_per_query=2) if choice.random else {}
    echo(f"1/2 Text auto-labeling {', '.join(TEXT_PROMPTS)} -> field 'sam3_text'")
    text = fo_sam3.segment(dataset, "sam3_text", text=list(TEXT_PROMPTS), **common, **text_opts)
    if choice.random:
        text.notes.append(RANDOM_NOTE)
    echo(_with_notes(text))
    echo("2/2 Instance mode: one mask per box of 'boxes' -> field 'sam3_boxes'")
    boxes = fo_sam3.segment(dataset, "sam3_boxes", mode="instance", box_field="boxes", **common)
    if choice.random:
        boxes.notes.append(RANDOM_NOTE.split(" (")[0])
    echo(_with_notes(boxes))
    if choice.random:
        echo("Reminder: these masks come from random weights and are meaningless.\n" + WEIGHTS_HELP)
    if app:
        session = fo.launch_app(dataset)
        session.wait()
    else:
        echo("\n".join(next_steps(name, choice)))
    return dataset, [text, boxes], choice


def _with_notes(summary) -> str:
    return "\n".join([str(summary)] + [f"  note: {n}" for n in summary.notes])


def command(name: str) -> str:
    """``name`` as typed in this shell: bare when PATH finds this environment's
    copy, else its path in this environment's bin dir (relative when under cwd).

    Args:
        name: an executable of this environment (``"fo-sam3"``, ``"python"``).

    Returns:
        the shell-ready command.
    """
    path = Path(sys.executable).parent / name
    if shutil.which(name) == str(path):
        return name
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return shlex.quote(str(path))


def _repo() -> Path | None:
    """The clone this package runs from (a plugin needs its fiftyone.yml), if any."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "fiftyone.yml").is_file() else None


def next_steps(name: str = DEMO_NAME, choice: ModelChoice | None = None) -> list[str]:
    """The commands to run next, each working as printed (no activated venv needed).

    Args:
        name: the demo dataset's name.
        choice: the demo's model (random weights add the matching flags).

    Returns:
        the lines to print, a heading first.
    """
    model = ""
    if choice is not None and choice.random:
        model = f" --checkpoint random --variant {choice.variant} --confidence 0 --topk 2"
    lines = ["Next, from this directory:",
             f"  {command('fiftyone')} app launch {name}          # open it in the App",
             f"  {command('fo-sam3')} label {name} --text person,cat --field mine --overwrite{model}",
             f"  {command('fo-sam3')} doctor"]
    repo = _repo()
    if repo is not None:
        here = '"$PWD"' if repo == Path.cwd().resolve() else shlex.quote(str(repo))
        py = command("python")
        lines.append(f"  ln -s {here} \"$({py} -c 'import fiftyone as fo; print(fo.config.plugins_dir)')/fo-sam3\""
                     "   # App operators")
    activate = Path(sys.executable).parent / "activate"
    if command("fo-sam3") != "fo-sam3" and activate.is_file():
        lines.append(f"Or activate the environment first (source {command('activate')}) and drop the paths.")
    return lines
