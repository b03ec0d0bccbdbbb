"""Operator parameters (``ctx.params``) to library keyword arguments.

Defaults live here, so the App form, programmatic ``execute_operator`` calls
and delegated runs all agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import DEFAULT_BATCH_SIZE, DEFAULT_CONFIDENCE, OUTPUTS, VARIANTS
from ..model.checkpoint import RANDOM


def path_param(value) -> str | None:
    """A path from a string or a ``FileExplorerView`` value (``{"absolute_path": ...}``).

    Args:
        value: the parameter's value.

    Returns:
        the stripped path, or ``None`` when empty.
    """
    if isinstance(value, dict):
        value = value.get("absolute_path")
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def text_param(value) -> list[str] | None:
    """Text prompts from a list (never split) or a comma-separated form string.

    Args:
        value: the ``text`` parameter.

    Returns:
        the non-empty prompts, or ``None``.
    """
    if value is None:
        return None
    from ..prompts.text import split_prompt_text

    items = split_prompt_text(value) if isinstance(value, str) else list(value)
    items = [t.strip() for t in items if isinstance(t, str) and t.strip()]
    return items or None


def str_param(params: dict, name: str) -> str | None:
    """A string parameter, stripped.

    Args:
        params: ``ctx.params``.
        name: the parameter.

    Returns:
        the value, or ``None`` when missing or empty.
    """
    value = params.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


@dataclass(frozen=True)
class RunParams:
    """What every operator run shares: model choice, output field and run settings.

    ``num_workers`` is 0 for immediate runs (no worker processes inside the
    App server) and the library default when delegated. Defaults and choices
    are ``fo_sam3.config``'s.

    Args:
        label_field: the output field.
        variant: one of ``config.VARIANTS``.
        checkpoint: a sam3.pt path, ``"random"`` or ``None``.
        confidence: the score threshold.
        batch_size: images per forward pass.
        output_dir: write masks as PNGs here.
        overwrite / skip_existing: what to do with an existing output field.
        num_workers: image-decoding processes (``None``: the library's).
        min_area / fill_holes / largest_component: mask clean-up.
        outputs: extra output formats (``config.OUTPUTS[1:]``).
    """

    label_field: str
    variant: str = "full"
    checkpoint: str | None = None
    confidence: float | None = DEFAULT_CONFIDENCE
    batch_size: int = DEFAULT_BATCH_SIZE
    output_dir: str | None = None
    overwrite: bool = False
    skip_existing: bool = False
    num_workers: int | None = None
    min_area: float | None = None
    fill_holes: bool = False
    largest_component: bool = False
    outputs: tuple[str, ...] = ()

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {self.variant!r}")
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")

    @classmethod
    def from_params(cls, params: dict, delegated: bool) -> "RunParams":
        """The run settings of an operator call.

        Args:
            params: ``ctx.params``.
            delegated: the run is delegated (``ctx.delegated``).

        Returns:
            a ``RunParams``.
        """
        storage = params.get("mask_storage") or "document"
        variant = params.get("variant") or "full"
        checkpoint = str_param(params, "checkpoint")
        if checkpoint is None and variant == "tiny":
            checkpoint = RANDOM  # what "tiny" means without a checkpoint; seeded, so runs agree
        workers = params.get("num_workers")
        if workers is None and not delegated:
            workers = 0
        return cls(
            label_field=str_param(params, "label_field") or "",
            variant=variant,
            checkpoint=checkpoint,
            confidence=float(_or(params.get("confidence"), DEFAULT_CONFIDENCE)),
            batch_size=int(_or(params.get("batch_size"), DEFAULT_BATCH_SIZE)),
            output_dir=path_param(params.get("output_dir")) if storage == "files" else None,
            overwrite=bool(params.get("overwrite", False)),
            skip_existing=bool(params.get("skip_existing", False)),
            num_workers=workers,
            min_area=params.get("min_area") or None,
            fill_holes=bool(params.get("fill_holes", False)),
            largest_component=bool(params.get("largest_component", False)),
            outputs=tuple(k for k in OUTPUTS[1:] if params.get(f"output_{k}")),
        )

    def cleanup_kwargs(self) -> dict:
        """Mask clean-up settings that are on (every mode, video too).

        Returns:
            keyword arguments for ``segment`` / ``track``.
        """
        out = {"min_area": self.min_area, "fill_holes": self.fill_holes or None,
               "largest_component": self.largest_component or None}
        return {k: v for k, v in out.items() if v is not None}

    def model_kwargs(self) -> dict:
        """The model choice.

        Returns:
            ``checkpoint`` and ``variant`` keyword arguments.
        """
        return {"checkpoint": self.checkpoint, "variant": self.variant}

    def segment_kwargs(self) -> dict:
        """Keyword arguments for ``fo_sam3.segment`` (besides prompts and progress).

        Returns:
            a dict.
        """
        out = dict(
            self.model_kwargs(),
            confidence=self.confidence,
            batch_size=self.batch_size,
            output_dir=self.output_dir,
            overwrite=self.overwrite,
            skip_existing=self.skip_existing,
        )
        if self.num_workers is not None:
            out["num_workers"] = self.num_workers
        out.update(self.cleanup_kwargs())
        if self.outputs:
            out["output"] = ["detections", *self.outputs]
        return out


def _or(value, default):
    return default if value is None else value
