"""The remote zoo model source (``manifest.json`` + root ``__init__.py``).

FiftyOne imports the source's ``__init__.py`` from a file path, so that file
only forwards to the functions here: everything that runs (and everything a
DataLoader worker must unpickle) lives in this installed package.

Models: ``fo-sam3-image`` (concept or instance mode, a ``fiftyone`` image
model for ``apply_model``) and ``fo-sam3-video`` (a ``SAM3VideoTracker``
whose ``track`` runs ``fo_sam3.track`` with the zoo checkpoint). Both read
sam3.pt; ``checkpoint="random"`` (or a path) skips the zoo's file.

From a local clone (FiftyOne registers only URLs): ``fo_sam3.zoo.register_local()``.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

from .model import arch
from .model.checkpoint import (ENV_VAR, RANDOM, CheckpointNotFoundError, CorruptCheckpointError, read_state,
                               resolve_checkpoint)

logger = logging.getLogger(__name__)

# The manifest's "name" is "fo-sam3": FiftyOne keeps the source (and these files)
# in <model_zoo_dir>/fo-sam3/ and imports it as module "fo-sam3" (never "fo_sam3").
IMAGE = "fo-sam3-image"
VIDEO = "fo-sam3-video"
FILENAMES = {IMAGE: "sam3.pt", VIDEO: "sam3-video.pt"}  # one file each: no re-download
_WIDTH_KEY = "detector.backbone.vision_backbone.trunk.patch_embed.proj.weight"


SOURCE_FILES = ("manifest.json", "__init__.py")


def register_local(repo=None) -> Path:
    """Register a clone of this repository as the zoo source ``fo-sam3``.

    ``foz.register_zoo_model_source`` takes only URLs. This copies the clone's
    ``manifest.json`` and ``__init__.py`` into ``<model_zoo_dir>/fo-sam3/``,
    where FiftyOne keeps sources (a checkpoint already there is kept). ``repo``
    defaults to the clone this package runs from. Returns that folder; delete
    it to unregister.

    Args:
        repo: the clone's root (holding ``manifest.json`` and ``__init__.py``).

    Returns:
        the source folder ``<model_zoo_dir>/fo-sam3``.

    Raises:
        FileNotFoundError: ``repo`` lacks the source files.
    """
    import fiftyone as fo
    import fiftyone.zoo.models as fozm

    root = Path(repo) if repo is not None else Path(__file__).resolve().parents[1]
    missing = [name for name in SOURCE_FILES if not (root / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{root} is not a clone of fo-sam3 (no {', '.join(missing)}); "
                                "pass repo='/path/to/your/clone'")
    target = Path(fo.config.model_zoo_dir) / "fo-sam3"
    target.mkdir(parents=True, exist_ok=True)
    for name in SOURCE_FILES:
        shutil.copyfile(root / name, target / name)
    getattr(fozm, "_invalidate_zoo_models_manifest", lambda: None)()  # FiftyOne may memoize it
    return target


def _load_zoo_model_checkpoint():
    """``checkpoint=`` as given to ``foz.load_zoo_model``, when this download runs inside it.

    FiftyOne downloads before it hands keyword arguments to ``load_model``;
    without this, ``checkpoint="random"`` would first need a real file.
    """
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "load_zoo_model" and frame.f_globals.get("__name__", "").startswith("fiftyone"):
            kwargs = frame.f_locals.get("kwargs")
            return kwargs.get("checkpoint") if isinstance(kwargs, dict) else None
        frame = frame.f_back
    return None


def _check_name(model_name: str) -> str:
    base = model_name.split("@")[0]
    if base not in FILENAMES:
        raise ValueError(f"unknown model '{model_name}'; this source has {sorted(FILENAMES)}")
    return base


def zoo_path(model_name: str) -> Path:
    """Where the zoo keeps ``model_name``'s checkpoint (the source must be registered).

    Args:
        model_name: ``"fo-sam3-image"`` or ``"fo-sam3-video"``.

    Returns:
        the checkpoint's path under FiftyOne's ``model_zoo_dir``.
    """
    import fiftyone as fo
    import fiftyone.zoo as foz

    return Path(foz.get_zoo_model(model_name).get_path_in_dir(fo.config.model_zoo_dir))


def download_model(model_name: str, model_path=None, checkpoint=None) -> Path:
    """Put a sam3.pt checkpoint at ``model_path`` (linked if possible, else copied).

    Looks, in order, at ``checkpoint``, ``$FO_SAM3_CHECKPOINT``, checkpoints
    already in the zoo dir (the video model reuses the image model's file) and
    the gated Hugging Face hub (when online). Raises ``CheckpointNotFoundError``
    saying how to provide one otherwise. ``model_path`` defaults to the zoo's.

    Args:
        model_name: the zoo model (``@`` version tags are ignored).
        model_path: the destination file (FiftyOne's download hook passes it).
        checkpoint: a sam3.pt file to use (``"random"`` is refused here).

    Returns:
        the path of the checkpoint in place (``model_path``).
    """
    name = _check_name(model_name)
    target = Path(model_path) if model_path is not None else zoo_path(name)
    if checkpoint is None and model_path is not None and _load_zoo_model_checkpoint():
        logger.info("'%s': load_zoo_model(checkpoint=...) given: nothing to download", name)
        return target
    sibling = target.with_name(FILENAMES[IMAGE])
    if name == VIDEO and checkpoint is None and not os.environ.get(ENV_VAR) and sibling.is_file():
        source = sibling
    else:
        try:
            source = resolve_checkpoint(checkpoint).path
        except CheckpointNotFoundError as e:
            raise CheckpointNotFoundError(f"Cannot download '{name}': {e}") from None
    if source is None:
        raise ValueError("the zoo needs a checkpoint file, not checkpoint='random' "
                         "(pass that to foz.load_zoo_model instead)")
    source = Path(source).expanduser().resolve()
    if target.exists() and target.resolve() == source:
        return target
    _link_or_copy(source, target)
    logger.info("'%s': %s -> %s", name, source, target)
    return target


def _link_or_copy(source: Path, target: Path) -> None:
    """Hard link, else symlink, else copy; atomic (a reader never sees half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(source, tmp)
    except OSError:
        try:
            os.symlink(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
    os.replace(tmp, target)


def detect_variant(path) -> str:
    """``"full"`` or ``"tiny"``, from the ViT width stored in a sam3.pt checkpoint.

    Args:
        path: the checkpoint file (memory-mapped, not read in full).

    Returns:
        the variant's name in ``arch.VARIANTS``.

    Raises:
        CorruptCheckpointError: no such weight, or a width of no variant.
    """
    state = read_state(path, mmap=True)
    weight = state.get(_WIDTH_KEY)
    if weight is None:
        raise CorruptCheckpointError(f"{path} is not a sam3.pt checkpoint (no '{_WIDTH_KEY}')")
    for variant, cfg in arch.VARIANTS.items():
        if weight.shape[0] == cfg.vit_dim:
            return variant
    raise CorruptCheckpointError(f"{path}: ViT width {weight.shape[0]} matches no variant "
                                 f"of {sorted(arch.VARIANTS)}")


def load_model(model_name: str, model_path, **kwargs):
    """The zoo model: keyword arguments go to ``fo_sam3.load_model`` (image) or
    ``SAM3VideoTracker`` (video). ``checkpoint=`` overrides the zoo file;
    ``variant`` defaults to the one the checkpoint holds.

    Args:
        model_name: ``"fo-sam3-image"`` or ``"fo-sam3-video"``.
        model_path: the zoo's checkpoint file.
        **kwargs: the model's keyword arguments (empty values are dropped;
            image ``text`` may be comma-separated).

    Returns:
        a ``SAM3Model`` (image) or a ``SAM3VideoTracker`` (video).
    """
    name = _check_name(model_name)
    checkpoint = str(kwargs.pop("checkpoint", None) or model_path)
    if checkpoint != RANDOM and not Path(checkpoint).is_file():
        raise CheckpointNotFoundError(
            f"'{name}' has no checkpoint at {checkpoint}; set ${ENV_VAR}=/path/to/sam3.pt and run "
            f"foz.download_zoo_model('{name}'), or pass checkpoint='random' for random weights"
        )
    kwargs = _clean(kwargs, split_text=name == IMAGE)
    if not kwargs.get("variant"):
        kwargs["variant"] = "tiny" if checkpoint == RANDOM else detect_variant(checkpoint)
    if name == VIDEO:
        return SAM3VideoTracker(checkpoint=checkpoint, **kwargs)
    from .fo_model import load_model as load_image_model

    return load_image_model(checkpoint=checkpoint, **kwargs)


def _clean(kwargs: dict, split_text: bool) -> dict:
    """App-form values as keyword arguments: empty means unset; image text may be
    comma-separated (the video model tracks one text concept)."""
    out = {k: v for k, v in kwargs.items() if v not in (None, "")}
    if split_text and isinstance(out.get("text"), str):
        from .prompts.text import split_prompt_text

        out["text"] = split_prompt_text(out["text"])
    return out


def resolve_input(model_name: str, ctx):
    """The App form for the zoo's "apply model" operator (see ``operators.zoo_form``).

    Args:
        model_name: the zoo model.
        ctx: the operator's execution context.

    Returns:
        the form's ``types.Property``.
    """
    from .operators.zoo_form import zoo_model_form

    return zoo_model_form(_check_name(model_name), ctx)


def parse_parameters(model_name: str, ctx, params: dict) -> None:
    """Turn the form's values into ``load_model`` keyword arguments, in place.

    Args:
        model_name: the zoo model (image text is split at commas).
        ctx: the operator's execution context (unused).
        params: the form's values; empty ones are removed.
    """
    cleaned = _clean(params, split_text=_check_name(model_name) == IMAGE)
    params.clear()
    params.update(cleaned)


class SAM3VideoTracker:
    """``fo-sam3-video``: tracks objects through videos with the zoo checkpoint.

    Video tracking writes frame labels across whole videos, so it is not a
    per-sample ``apply_model`` model: call ``tracker.track(samples, label_field,
    text="person")`` (keyword arguments of ``fo_sam3.track``; those given to
    ``load_zoo_model`` are defaults) or use the ``@fo-sam3/sam3/track_video``
    operator.
    """

    media_type = "video"

    def __init__(self, checkpoint=None, variant=None, device=None, **defaults):
        self.checkpoint = checkpoint
        self.variant = variant
        self.device = device
        self.defaults = defaults

    def track(self, samples, label_field: str, **kwargs):
        """Run ``fo_sam3.track`` with this model's checkpoint, variant and device.

        Args:
            samples: a video ``Dataset`` or view.
            label_field: the output frame field.
            **kwargs: ``fo_sam3.track`` arguments, over the load-time defaults.

        Returns:
            the ``RunSummary``.
        """
        from . import track

        merged = {**self.defaults, **kwargs}
        return track(samples, label_field, checkpoint=self.checkpoint, variant=self.variant,
                     device=self.device, **merged)
