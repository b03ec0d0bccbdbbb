"""Find and load SAM3 checkpoints (never executing pickled code)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

ENV_VAR = "FO_SAM3_CHECKPOINT"
HUB_REPO = "facebook/sam3"
CKPT_NAME = "sam3.pt"
RANDOM = "random"


class CheckpointNotFoundError(FileNotFoundError):
    """No checkpoint was found; the message lists every place that was tried."""


@dataclass(frozen=True)
class Resolved:
    path: Path | None  # None means random weights on purpose
    source: str  # "explicit", "env", "zoo", "hub" or "random"


def zoo_candidates() -> list[Path]:
    """Checkpoint files that FiftyOne's model zoo dir may hold."""
    try:
        import fiftyone as fo

        zoo = Path(fo.config.model_zoo_dir)
    except Exception:  # fiftyone unconfigured: nothing to look at
        return []
    return [zoo / CKPT_NAME, zoo / "fo-sam3" / CKPT_NAME,  # fo-sam3: the zoo source's folder
            zoo / "fo-sam3-image" / CKPT_NAME, zoo / "sam3" / CKPT_NAME]


def _hub_download(token: str | None = None) -> Path:
    from huggingface_hub import hf_hub_download

    return Path(hf_hub_download(repo_id=HUB_REPO, filename=CKPT_NAME, token=token))


def resolve_checkpoint(
    checkpoint: str | os.PathLike | None = None, hub: bool = True, token: str | None = None
) -> Resolved:
    """Resolve a checkpoint in order: explicit path, $FO_SAM3_CHECKPOINT, zoo dir, hub.

    ``checkpoint="random"`` means random weights on purpose. The hub token is
    ``token`` or ``$HF_TOKEN``; it is never logged. Raises
    ``CheckpointNotFoundError`` naming everything tried when nothing is found.
    """
    if checkpoint is not None and str(checkpoint) == RANDOM:
        return Resolved(None, RANDOM)
    tried = []
    if checkpoint is not None:
        path = Path(checkpoint).expanduser()
        if path.is_file():
            return Resolved(path, "explicit")
        raise CheckpointNotFoundError(f"checkpoint file {path} does not exist")
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if path.is_file():
            return Resolved(path, "env")
        tried.append(f"${ENV_VAR}={path} (no such file)")
    else:
        tried.append(f"${ENV_VAR} (not set)")
    for path in zoo_candidates():
        if path.is_file():
            return Resolved(path, "zoo")
        tried.append(f"{path} (no such file)")
    if hub and os.environ.get("HF_HUB_OFFLINE", "0") in ("0", "", "false"):
        try:
            return Resolved(_hub_download(token or os.environ.get("HF_TOKEN")), "hub")
        except Exception as e:  # offline, gated without a token, ...
            tried.append(f"hub {HUB_REPO}/{CKPT_NAME} ({type(e).__name__}: {_first_line(e)})")
    else:
        tried.append(f"hub {HUB_REPO} (offline)")
    raise CheckpointNotFoundError(
        "No SAM3 checkpoint found. Tried: "
        + "; ".join(tried)
        + f". Request access to the gated repo {HUB_REPO} and log in (HF_TOKEN), "
        f"or download {CKPT_NAME} and set {ENV_VAR}=/path/to/{CKPT_NAME}. "
        "Use checkpoint='random' for random weights."
    )


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else ""


def load_state(path: Path) -> dict[str, torch.Tensor]:
    """Load a checkpoint's state dict with ``weights_only=True`` (no pickled code)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("model"), dict):
        state = state["model"]
    return state


def image_model_state(state: dict, with_tracker: bool) -> dict:
    """Map a sam3.pt state dict (``detector.*``, ``tracker.*``) onto ``Sam3Image``."""
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
    """Write ``model`` (a ``Sam3Image``) in sam3.pt's key layout."""
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
