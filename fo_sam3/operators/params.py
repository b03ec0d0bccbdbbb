"""Operator parameters (``ctx.params``) to library keyword arguments.

Defaults live here, so the App form, programmatic ``execute_operator`` calls
and delegated runs all agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import DEFAULT_CONFIDENCE, OUTPUTS, SegmentConfig

VARIANTS = ("full", "tiny")
RANDOM = "random"  # = fo_sam3.model.checkpoint.RANDOM (not imported: that imports torch)
STORAGE = ("document", "files")
DEFAULT_BATCH_SIZE = SegmentConfig.batch_size


def path_param(value) -> str | None:
    """A path from a string or a ``FileExplorerView`` value (``{"absolute_path": ...}``)."""
    if isinstance(value, dict):
        value = value.get("absolute_path")
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def text_param(value) -> list[str] | None:
    """Text prompts from a list (never split) or a comma-separated form string."""
    if value is None:
        return None
    from ..prompts.text import split_prompt_text

    items = split_prompt_text(value) if isinstance(value, str) else list(value)
    items = [t.strip() for t in items if isinstance(t, str) and t.strip()]
    return items or None


def str_param(params: dict, name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


@dataclass(frozen=True)
class RunParams:
    """What every operator run shares: model choice, output field and run settings.

    ``num_workers`` is 0 for immediate runs (no worker processes inside the
    App server) and the library default when delegated.
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
        """Mask clean-up settings that are on (every mode, video too)."""
        out = {"min_area": self.min_area, "fill_holes": self.fill_holes or None,
               "largest_component": self.largest_component or None}
        return {k: v for k, v in out.items() if v is not None}

    def model_kwargs(self) -> dict:
        return {"checkpoint": self.checkpoint, "variant": self.variant}

    def segment_kwargs(self) -> dict:
        """Keyword arguments for ``fo_sam3.segment`` (besides prompts and progress)."""
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
