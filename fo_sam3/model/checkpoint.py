"""Find and load SAM3 checkpoints (never executing pickled code)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ..errors import FoSam3Error
from .hub import CKPT_NAME, HUB_REPO, HUB_TIMEOUT_S, cached, from_hub  # noqa: F401 (re-exported)

ENV_VAR = "FO_SAM3_CHECKPOINT"
RANDOM = "random"
FIX = (
    "Fix: pass checkpoint='/path/to/sam3.pt', set FO_SAM3_CHECKPOINT=/path/to/sam3.pt, "
    "or use checkpoint='random' for a trial (random weights, meaningless masks). "
    f"sam3.pt is gated: request access at https://huggingface.co/{HUB_REPO}, then `hf auth login`."
)


class CheckpointError(FoSam3Error):
    """A checkpoint is missing or unusable (a setup problem, not a failed run)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No checkpoint was found; the message lists every place that was tried."""


class CorruptCheckpointError(CheckpointError, ValueError):
    """The checkpoint file exists but is not a readable SAM3 checkpoint."""


@dataclass(frozen=True)
class Resolved:
    path: Path | None  # None means random weights on purpose
    source: str  # "explicit", "env", "zoo", "hub" or "random"


def zoo_candidates() -> list[Path]:
    """Checkpoint files that FiftyOne's model zoo dir may hold.

    Returns:
        the candidate paths, existing or not (none when FiftyOne is unconfigured).
    """
    try:
        import fiftyone as fo

        zoo = Path(fo.config.model_zoo_dir)
    except Exception:  # fiftyone unconfigured: nothing to look at
        return []
    return [zoo / CKPT_NAME, zoo / "fo-sam3" / CKPT_NAME,  # fo-sam3: the zoo source's folder
            zoo / "fo-sam3-image" / CKPT_NAME, zoo / "sam3" / CKPT_NAME]


def resolve_checkpoint(
    checkpoint: str | os.PathLike | None = None, hub: bool = True, token: str | None = None
) -> Resolved:
    """Resolve a checkpoint in order: explicit path, $FO_SAM3_CHECKPOINT, zoo dir, hub.

    ``checkpoint="random"`` means random weights on purpose. The hub is tried
    only with a token (``token``, ``$HF_TOKEN`` or ``hf auth login``) after a
    quick check that it answers (``HUB_TIMEOUT_S``); a copy in the Hugging
    Face cache is used even offline or with ``hub=False``. The token is never logged. Raises
    ``CheckpointNotFoundError`` (what was searched; how to fix it).

    Args:
        checkpoint: a file path, ``"random"``, or ``None`` to search.
        hub: try downloading from the Hugging Face hub as a last resort.
        token: a Hugging Face token (default: the configured one).

    Returns:
        a ``Resolved``: the path (``None`` for random weights) and its source.
    """
    if checkpoint is not None and str(checkpoint) == RANDOM:
        return Resolved(None, RANDOM)
    if checkpoint is not None:
        path = Path(checkpoint).expanduser()
        if path.is_file():
            return Resolved(path, "explicit")
        raise CheckpointNotFoundError(
            f"checkpoint file {path} does not exist (checkpoint='random' gives random weights)"
        )
    tried = []
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if path.is_file():
            return Resolved(path, "env")
        tried.append(f"${ENV_VAR}={path} (no such file)")
    else:
        tried.append(f"${ENV_VAR} (not set)")
    candidates = zoo_candidates()
    for path in candidates:
        if path.is_file():
            return Resolved(path, "zoo")
    if candidates:
        root = candidates[0].parent
        tried.append(f"the zoo dir {root} ({', '.join(str(p.relative_to(root)) for p in candidates)})")
    if cached() is not None:
        return Resolved(cached(), "hub")
    if hub:
        path, why = from_hub(token)
        if path is not None:
            return Resolved(path, "hub")
        tried.append(f"the Hugging Face hub {HUB_REPO} ({why})")
    raise CheckpointNotFoundError(f"No SAM3 checkpoint found. Searched: {'; '.join(tried)}.\n{FIX}")


def read_state(path, mmap: bool = False) -> dict[str, torch.Tensor]:
    """A checkpoint file's state dict, loaded with ``weights_only=True`` (no
    pickled code). Raises ``CorruptCheckpointError`` if it is not one.

    Args:
        path: the checkpoint file.
        mmap: memory-map the tensors (falls back to a plain load for
            non-zip files).

    Returns:
        the state dict on the CPU (a top-level ``"model"`` dict unwrapped).
    """
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
        except RuntimeError:
            if not mmap:
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)  # not a zip file: no mmap
    except (OSError, MemoryError):
        raise
    except Exception as e:  # truncated, not a torch file, pickled code
        # torch's own text suggests weights_only=False: not repeated
        what = ("holds pickled code, which weights_only loading refuses to run" if "Unsupported global" in str(e)
                else f"is corrupt or not a PyTorch checkpoint ({type(e).__name__})")
        raise CorruptCheckpointError(
            f"checkpoint {path} {what}; download sam3.pt again or pass another file"
        ) from e
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    if not isinstance(state, dict) or not state or not any(isinstance(v, torch.Tensor) for v in state.values()):
        raise CorruptCheckpointError(f"checkpoint {path} holds no state dict of tensors: is it sam3.pt?")
    return state


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """Load a checkpoint's state dict with ``weights_only=True`` (no pickled code).

    Args:
        path: the checkpoint file.

    Returns:
        the state dict (see ``read_state``).
    """
    return read_state(path)


def image_model_state(state: dict, with_tracker: bool) -> dict:
    """Map a sam3.pt state dict (``detector.*``, ``tracker.*``) onto ``Sam3Image``.

    Args:
        state: a sam3.pt state dict.
        with_tracker: also map ``tracker.*`` onto the interactive predictor
            (for instance mode).

    Returns:
        the ``Sam3Image`` state dict (other keys dropped).
    """
    out = {k[len("detector."):]: v for k, v in state.items() if k.startswith("detector.")}
    if with_tracker:
        out.update(
            {
                "inst_interactive_predictor.model." + k[len("tracker."):]: v
                for k, v in state.items()
                if k.startswith("tracker.")
            }
        )
    return out


def save_checkpoint(model: torch.nn.Module, path: str | os.PathLike) -> Path:
    """Write ``model`` (a ``Sam3Image``) in sam3.pt's key layout.

    Args:
        model: the model to save.
        path: the file to write (parent directories are created).

    Returns:
        the written path.
    """
    state = {}
    for k, v in model.state_dict().items():
        prefix = "inst_interactive_predictor.model."
        if k.startswith(prefix):
            state["tracker." + k[len(prefix):]] = v
        else:
            state["detector." + k] = v
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": state}, path)
    return path
