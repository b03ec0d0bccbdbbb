"""Frozen, validated run configuration."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

DEFAULT_CONFIDENCE = 0.5
BOX_SOURCES = ("mask", "model")
NMS_KINDS = ("mask", "box")


@dataclass(frozen=True)
class SegmentConfig:
    """How a labeling run batches, filters and writes.

    Attributes:
        batch_size: images per forward pass (the backbone runs once per image).
        max_queries: queries per forward pass; memory grows per query. ``None``
            picks 32 on CUDA and 1 on a CPU, where bigger query batches run slower.
        confidence: concept mode keeps instances whose sigmoid(logit) *
            sigmoid(presence) is above this (``None``: 0.5); instance mode keeps
            masks whose ``sam_score`` (SAM's predicted IoU) is at least this
            (``None``: every mask).
        topk_per_query / topk_per_image: optional caps, highest scores first.
        nms_iou: class-wise NMS IoU threshold (``None`` disables), on ``nms_on``.
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

    batch_size: int = 4
    max_queries: int | None = None
    confidence: float | None = None
    topk_per_query: int | None = None
    topk_per_image: int | None = None
    nms_iou: float | None = None
    nms_on: str = "mask"
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
        if self.confidence is not None and not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")
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
        """The concept-mode score threshold (``confidence`` or 0.5)."""
        return DEFAULT_CONFIDENCE if self.confidence is None else self.confidence

    def encode_threads(self) -> int:
        """Threads that crop and encode masks: ``encode_workers`` or one per core."""
        return self.encode_workers or os.cpu_count() or 1

    def concept_only(self) -> list[str]:
        """Settings given that only concept mode uses (instance mode refuses them)."""
        given = []
        for name in ("topk_per_query", "topk_per_image", "nms_iou"):
            if getattr(self, name) is not None:
                given.append(name)
        given += [n for n, v in (("nms_on", "mask"), ("box_source", "mask")) if getattr(self, n) != v]
        return given

    def queries_per_pass(self, device) -> int:
        """``max_queries``, or the device's default when it is ``None``."""
        if self.max_queries is not None:
            return self.max_queries
        return 32 if str(device).startswith("cuda") else 1

    @classmethod
    def from_kwargs(cls, **kwargs) -> tuple["SegmentConfig", dict]:
        """Split ``kwargs`` into a config and the rest."""
        names = {f.name for f in fields(cls)}
        mine = {k: v for k, v in kwargs.items() if k in names}
        rest = {k: v for k, v in kwargs.items() if k not in names}
        return cls(**mine), rest

    def with_(self, **changes) -> "SegmentConfig":
        return replace(self, **changes)


def _positive(cfg, *names):
    for name in names:
        value = getattr(cfg, name)
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
