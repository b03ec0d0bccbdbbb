"""Segment everything: a grid of single clicks, filtered and de-duplicated (SAM's automatic masks).

Each grid point is a one-click instance prompt giving 3 candidate masks,
decoded many points per call on the image's shared backbone features. A
candidate is kept when its predicted IoU is at least ``confidence`` and its
stability score (the IoU of its masks cut at logit ``+offset`` and
``-offset``) at least ``stability_thresh``; then mask NMS (``nms_iou``) and
``max_masks`` (highest predicted IoU first). Scores and NMS use the
low-resolution masks. Unlike SAM's generator there are no crop layers and no
small-region clean-up.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import torch
from bson import ObjectId

from ..config import SegmentConfig
from ..engine.data import ImageBatch, LoadedImage
from ..engine.postprocess import classwise_nms
from ..engine.runner import run
from ..engine.summary import RunSummary
from ..model.cache import get_model
from ..prompts.points import rel_points_to_pixels
from ..prompts.types import ImageTask
from ..write import prepare_output_field
from ..write.encode import detection_doc, detections_doc
from ..write.masks import MaskStore
from ..write.updates import Update
from .labels import place_mask
from .predictor import MAX_PROMPTS_PER_CALL, InstanceMask, InstancePredictor

DEFAULT_IOU = 0.88  # SAM's pred_iou_thresh
DEFAULT_NMS = 0.7  # SAM's box_nms_thresh (here on masks)


@dataclass(frozen=True)
class EverythingOptions:
    """The grid and filters of ``mode="everything"`` (beyond ``SegmentConfig``).

    Attributes:
        points_per_side: the grid has this many points per side, at the
            centres of equal cells (SAM's ``build_point_grid``).
        stability_thresh: minimum stability score.
        stability_offset: logit offset of the stability score.
        max_masks: keep at most this many masks per image (``None``: all).
        label: the label of every mask.
        score_attr: attribute receiving SAM's predicted IoU.
    """

    points_per_side: int = 32
    stability_thresh: float = 0.95
    stability_offset: float = 1.0
    max_masks: int | None = None
    label: str = "object"
    score_attr: str = "sam_score"

    def __post_init__(self):
        for name in ("points_per_side", "max_masks"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if not 0.0 <= self.stability_thresh <= 1.0:
            raise ValueError(f"stability_thresh must be in [0, 1], got {self.stability_thresh}")
        if not self.stability_offset > 0:
            raise ValueError(f"stability_offset must be > 0, got {self.stability_offset}")
        if not isinstance(self.score_attr, str) or not self.score_attr.isidentifier():
            raise ValueError(f"score_attr must be an attribute name, got {self.score_attr!r}")

    @classmethod
    def from_kwargs(cls, **kwargs) -> "EverythingOptions":
        """Build from keyword arguments; unknown names raise ``TypeError``."""
        unknown = sorted(set(kwargs) - {f.name for f in fields(cls)})
        if unknown:
            raise TypeError(f"unexpected arguments for mode='everything': {', '.join(unknown)}")
        return cls(**kwargs)


def point_grid(n: int) -> np.ndarray:
    """(n * n, 2) relative ``(x, y)`` cell centres, row by row."""
    c = (np.arange(n) + 0.5) / n
    xs, ys = np.meshgrid(c, c)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def stability(logits: torch.Tensor, offset: float) -> torch.Tensor:
    """IoU of each (h, w) logit map cut at ``+offset`` and at ``-offset`` (0 for empty masks)."""
    inter = (logits > offset).flatten(1).sum(1).float()
    union = (logits > -offset).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union))


@dataclass
class GridMask(InstanceMask):
    """An ``InstanceMask`` of grid point ``prompt`` with its stability score."""

    stability: float = 0.0


class EverythingPredictor(InstancePredictor):
    """Grid prompts through ``InstancePredictor``'s decoder; filters and NMS per image."""

    def __init__(self, model, config: SegmentConfig, options: EverythingOptions):
        super().__init__(model, config, all_candidates=True)
        self.options = options
        self.iou = DEFAULT_IOU if config.confidence is None else config.confidence
        self.nms = DEFAULT_NMS if config.nms_iou is None else config.nms_iou

    def _predict_image(self, feats: dict, i: int, item: LoadedImage) -> list[GridMask]:
        opts, dev = self.options, self.device
        pts = rel_points_to_pixels(point_grid(opts.points_per_side), item.width, item.height)
        pts = torch.as_tensor(pts, dtype=torch.float, device=dev)
        coords = self.inst._transforms.transform_coords(pts, normalize=True, orig_hw=(item.height, item.width))
        coords = coords[:, None]  # one click per prompt
        labels = torch.ones((len(coords), 1), dtype=torch.int, device=dev)
        step = self.config.max_queries or MAX_PROMPTS_PER_CALL
        keep_l, keep_s, keep_t, keep_id = [], [], [], []
        for s in range(0, len(coords), step):
            logits, scores = self._decode(feats, i, coords[s : s + step], labels[s : s + step], True)
            logits, scores = logits.flatten(0, 1), scores.flatten()  # (b * 3, h, w), (b * 3)
            stab = stability(logits, opts.stability_offset)
            ok = (scores >= self.iou) & (stab >= opts.stability_thresh)
            keep_l.append(logits[ok])
            keep_s.append(scores[ok])
            keep_t.append(stab[ok])
            keep_id.append(torch.nonzero(ok).flatten() + 3 * s)
        logits, scores, stab, ids = (torch.cat(x) for x in (keep_l, keep_s, keep_t, keep_id))
        order = classwise_nms(scores, torch.zeros_like(ids), self.nms, masks=logits > 0)
        order = order[: opts.max_masks]
        host_s, host_t, host_id = scores.cpu(), stab.cpu(), ids.cpu()
        return [GridMask(int(host_id[k]) // 3, int(host_id[k]) % 3, float(host_s[k]), logits[k],
                         float(host_t[k])) for k in order.tolist()]


class EverythingJob:
    """``mode="everything"`` as a ``Job``: new ``Detections`` labeled ``options.label``."""

    def __init__(self, predictor: EverythingPredictor):
        self.predictor = predictor
        self.options = predictor.options
        self.fields: list[str] = []  # reads no sample field

    def task(self, sample) -> ImageTask:
        return ImageTask(sample.id, sample.filepath, ())

    def predict(self, batch: ImageBatch) -> list[list[GridMask]]:
        return self.predictor.predict(batch)

    def encode(self, item: LoadedImage, found: list[GridMask], store: MaskStore) -> Update:
        sid, docs, cleanup = item.task.sample_id, [None] * len(found), self.predictor.config.cleanup
        logits = torch.stack([m.logits for m in found]) if found else torch.zeros((0, 1, 1))
        for k, cropped in store.crops(logits, item.height, item.width):
            placed = place_mask(None, cropped, item.width, item.height, True)
            if placed is not None:  # None: empty at full resolution
                placed = store.clean(*placed, item.width, item.height, cleanup, tighten=True)
            if placed is None:
                continue
            m, _id = found[k], ObjectId()
            attrs = {self.options.score_attr: m.score, "stability_score": m.stability}
            docs[k] = detection_doc(placed[0], label=self.options.label, _id=_id,
                                    **store.store(placed[1], sid, _id), **attrs)
        docs = [d for d in docs if d is not None]  # best first
        return Update(sid, value=detections_doc(docs), count=len(docs))


def segment_everything(samples, label_field: str, model=None, checkpoint=None, variant: str | None = None,
                       device=None, config: SegmentConfig | None = None, _before_write=None,
                       **options) -> RunSummary:
    """Segment every object of ``samples`` into the new ``Detections`` field ``label_field``.

    Args:
        samples: the image collection.
        label_field: the output field (``overwrite`` / ``skip_existing`` apply).
        model / checkpoint / variant / device: the SAM3 model (see ``segment``).
        config: run settings; ``confidence`` is the minimum predicted IoU
            (default 0.88), ``nms_iou`` the mask NMS threshold (default 0.7),
            ``max_queries`` the grid points per decoder call.
        **options: ``EverythingOptions`` (``points_per_side``,
            ``stability_thresh``, ``stability_offset``, ``max_masks``,
            ``label``, ``score_attr``).

    Returns:
        the ``RunSummary``.
    """
    config = config or SegmentConfig()
    opts = EverythingOptions.from_kwargs(**options)
    refused = [n for n in config.concept_only() if n != "nms_iou"]
    if refused:
        raise ValueError(f"{', '.join(refused)} do not apply to mode='everything'")
    view, declare = prepare_output_field(samples, label_field, config.overwrite, config.skip_existing)
    already_done = len(samples) - len(view)
    sam3 = get_model(model, checkpoint, variant, device, instance_interactive=True)
    job = EverythingJob(EverythingPredictor(sam3, config, opts))
    summary = run(view, label_field, job, config, declare=declare, before_write=_before_write)
    summary.skipped += already_done
    return summary
