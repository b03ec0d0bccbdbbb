"""Frozen, validated run configuration, and the defaults and choices that the
library, the CLI, the App forms and the zoo model all read from here.

Import-light (no torch, FiftyOne or sam3): the CLI reads it for ``--help``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

VARIANTS = ("full", "tiny")  # model architectures (the keys of ``fo_sam3.model.arch.VARIANTS``)
MODES = ("concept", "instance", "everything")  # what ``segment(mode=)`` runs
PROMPT_MODES = ("concept", "instance")  # the modes a prompt field drives (App forms, ``apply_model``)
DIRECTIONS = ("both", "forward", "backward")  # video: which way tracking goes from the prompt frames
DEFAULT_CONFIDENCE = 0.5
DEFAULT_BATCH_SIZE = 4
OUTPUTS = ("detections", "segmentation", "polylines", "rle")  # what segment(output=) writes
EXPORT_FORMATS = ("coco", "yolo-seg", "cvat")  # what fo_sam3.curation.export writes
DEFAULT_KEY = "default"  # the key of ``confidence`` dicts that covers every other prompt
BOX_SOURCES = ("mask", "model")
NMS_KINDS = ("mask", "box")


@dataclass(frozen=True)
class SegmentConfig:
    """How a labeling run batches, filters and writes.

    Args:
        batch_size: images per forward pass (the backbone runs once per image).
        max_queries: queries per forward pass; memory grows per query. ``None``
            picks 32 on CUDA and 1 on a CPU, where bigger query batches run slower.
        confidence: concept mode keeps instances whose sigmoid(logit) *
            sigmoid(presence) is above this (``None``: 0.5), or a dict per
            prompt, e.g. ``{"person": 0.3, "default": 0.5}`` (``"default"``,
            else 0.5, covers the other prompts); instance mode keeps masks
            whose ``sam_score`` (SAM's predicted IoU) is at least this (a
            number; ``None``: every mask).
        classes: concept mode: ``{prompt: label}`` written instead of the
            prompt, e.g. ``{"red car": "car", "blue car": "car"}``; NMS then
            treats the mapped labels as one class.
        topk_per_query / topk_per_image: optional caps, highest scores first.
        nms_iou: class-wise NMS IoU threshold (``None`` disables), on ``nms_on``.
        nms_across_prompts: NMS over all prompts at once (e.g. "car" and
            "vehicle" finding the same objects); needs ``nms_iou``.
        min_area / fill_holes / largest_component: mask clean-up in every
            mode (see ``fo_sam3.convert.cleanup.clean_mask``): drop pieces
            under ``min_area`` pixels (a fraction of the mask's box if < 1),
            fill holes up to ``fill_holes`` pixels (``True``: any), keep the
            largest piece. A mask cleaned away entirely is not written.
        mask_threshold: probability at which upsampled masks are cut.
        box_source: ``"mask"`` (tight box of the mask) or ``"model"`` (SAM3's box).
        output_dir: write masks as PNGs here and set ``mask_path``.
        overwrite / skip_existing: what to do when the output field exists.
        skip_failures: record failed samples and continue (else raise).
        num_workers: DataLoader workers decoding images.
        write_batch: samples per bulk database write (at most).
        write_bytes: encoded bytes per bulk database write (at most, roughly);
            bounds the host memory that waits for a write.
        encode_workers: threads that crop and encode masks (``None``: one per core).
        progress: show a progress bar (bool), or a FiftyOne progress callback
            (see ``fiftyone.core.utils.report_progress``).
    """

    batch_size: int = DEFAULT_BATCH_SIZE
    max_queries: int | None = None
    confidence: float | dict | None = None
    classes: dict | None = None
    topk_per_query: int | None = None
    topk_per_image: int | None = None
    nms_iou: float | None = None
    nms_on: str = "mask"
    nms_across_prompts: bool = False
    min_area: float | None = None
    fill_holes: bool | int = False
    largest_component: bool = False
    mask_threshold: float = 0.5
    box_source: str = "mask"
    output_dir: str | None = None
    overwrite: bool = False
    skip_existing: bool = False
    skip_failures: bool = True
    num_workers: int = 2
    write_batch: int = 64
    write_bytes: int = 256 * 1024 * 1024
    encode_workers: int | None = None
    progress: object = True
    text_cache_size: int = 1024

    def __post_init__(self):
        _positive(self, "batch_size", "write_batch", "write_bytes", "text_cache_size")
        for name in ("max_queries", "topk_per_query", "topk_per_image", "encode_workers"):
            if getattr(self, name) is not None:
                _positive(self, name)
        _check_confidence(self)
        _check_classes(self.classes)
        if self.classes is not None:
            object.__setattr__(self, "classes", dict(self.classes))
        if not isinstance(self.nms_across_prompts, bool):
            raise ValueError(f"nms_across_prompts must be True or False, got {self.nms_across_prompts!r}")
        if self.nms_across_prompts and self.nms_iou is None:
            raise ValueError("nms_across_prompts needs nms_iou (the IoU at which masks suppress each other)")
        from .convert.cleanup import check_cleanup

        check_cleanup(self.min_area, self.fill_holes, self.largest_component)
        if not 0.0 < self.mask_threshold < 1.0:
            raise ValueError(f"mask_threshold must be in (0, 1), got {self.mask_threshold}")
        if self.nms_iou is not None and not 0.0 < self.nms_iou <= 1.0:
            raise ValueError(f"nms_iou must be in (0, 1], got {self.nms_iou}")
        if self.nms_on not in NMS_KINDS:
            raise ValueError(f"nms_on must be one of {NMS_KINDS}, got {self.nms_on!r}")
        if self.box_source not in BOX_SOURCES:
            raise ValueError(f"box_source must be one of {BOX_SOURCES}, got {self.box_source!r}")
        if self.num_workers < 0:
            raise ValueError("num_workers must be >= 0")
        if self.overwrite and self.skip_existing:
            raise ValueError("overwrite and skip_existing exclude each other")

    @property
    def concept_confidence(self) -> float:
        """The concept-mode score threshold of prompts without their own (``confidence`` or 0.5)."""
        if isinstance(self.confidence, dict):
            return self.confidence.get(DEFAULT_KEY, DEFAULT_CONFIDENCE)
        return DEFAULT_CONFIDENCE if self.confidence is None else self.confidence

    def threshold_for(self, prompt: str) -> float:
        """The concept-mode score threshold of one prompt.

        Args:
            prompt: the query's label.

        Returns:
            its own threshold, else ``concept_confidence``.
        """
        if isinstance(self.confidence, dict) and prompt in self.confidence and prompt != DEFAULT_KEY:
            return self.confidence[prompt]
        return self.concept_confidence

    def label_for(self, prompt: str) -> str:
        """The label written for a prompt.

        Args:
            prompt: the query's label.

        Returns:
            its ``classes`` mapping, else the prompt.
        """
        return self.classes.get(prompt, prompt) if self.classes else prompt

    def prompt_keys(self) -> set[str]:
        """Prompts named in ``confidence`` and ``classes`` (to check against known prompts).

        Returns:
            a set of prompts.
        """
        keys = set(self.classes or ())
        if isinstance(self.confidence, dict):
            keys |= set(self.confidence) - {DEFAULT_KEY}
        return keys

    @property
    def cleanup(self) -> Cleanup | None:
        """The mask clean-up to apply, or ``None`` when every option is off."""
        from .convert.cleanup import cleanup_of

        return cleanup_of(self.min_area, self.fill_holes, self.largest_component)

    def encode_threads(self) -> int:
        """Threads that crop and encode masks.

        Returns:
            ``encode_workers``, or one per core.
        """
        return self.encode_workers or os.cpu_count() or 1

    def concept_only(self) -> list[str]:
        """Settings given that only concept mode uses (instance mode refuses them).

        Returns:
            their names.
        """
        given = []
        for name in ("topk_per_query", "topk_per_image", "nms_iou", "classes"):
            if getattr(self, name) is not None:
                given.append(name)
        given += [n for n, v in (("nms_on", "mask"), ("box_source", "mask")) if getattr(self, n) != v]
        if self.nms_across_prompts:
            given.append("nms_across_prompts")
        if isinstance(self.confidence, dict):
            given.append("confidence per prompt (a dict)")
        return given

    def queries_per_pass(self, device) -> int:
        """Queries per forward pass.

        Args:
            device: the model's device.

        Returns:
            ``max_queries``, or the device's default (32 on CUDA, 1 elsewhere).
        """
        if self.max_queries is not None:
            return self.max_queries
        return 32 if str(device).startswith("cuda") else 1

    @classmethod
    def from_kwargs(cls, **kwargs) -> tuple["SegmentConfig", dict]:
        """Split keyword arguments into a config and the rest.

        Args:
            **kwargs: a call's keyword arguments.

        Returns:
            ``(SegmentConfig of those it names, the others)``.
        """
        names = {f.name for f in fields(cls)}
        mine = {k: v for k, v in kwargs.items() if k in names}
        rest = {k: v for k, v in kwargs.items() if k not in names}
        return cls(**mine), rest


def _check_confidence(cfg) -> None:
    conf = cfg.confidence
    if conf is None:
        return
    if not isinstance(conf, dict):
        if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0.0 <= conf <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {conf!r}")
        return
    if not conf:
        raise ValueError(f"confidence dict is empty (give {{prompt: threshold}} and optionally "
                         f"'{DEFAULT_KEY}' for the other prompts)")
    for key, value in conf.items():
        if not isinstance(key, str) or not key.strip():
            raise ValueError(f"confidence keys must be prompt texts or '{DEFAULT_KEY}', got {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"confidence for {key!r} must be in [0, 1], got {value!r}")
    object.__setattr__(cfg, "confidence", {k: float(v) for k, v in conf.items()})


def _check_classes(classes) -> None:
    if classes is None:
        return
    if not isinstance(classes, dict) or not classes:
        raise ValueError(f"classes must be a non-empty dict {{prompt: label}}, got {classes!r}")
    for key, value in classes.items():
        if not isinstance(key, str) or not key.strip() or not isinstance(value, str) or not value.strip():
            raise ValueError(f"classes maps prompt texts to non-empty labels, got {key!r}: {value!r}")


def _positive(cfg, *names):
    for name in names:
        value = getattr(cfg, name)
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
