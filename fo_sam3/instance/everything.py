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

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from bson import ObjectId

from ..concept.postprocess import classwise_nms
from ..config import SegmentConfig
from ..engine.data import ImageBatch, LoadedImage
from ..engine.runner import run
from ..engine.summary import RunSummary
from ..model.cache import get_model
from ..model.sam3_private import prompt_points
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

    Args:
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
        """Build from keyword arguments.

        Args:
            **kwargs: the options by name; unknown names raise ``TypeError``.

        Returns:
            the ``EverythingOptions``.
        """
        unknown = sorted(set(kwargs) - {f.name for f in fields(cls)})
        if unknown:
            raise TypeError(f"unexpected arguments for mode='everything': {', '.join(unknown)}")
        return cls(**kwargs)


def point_grid(n: int) -> np.ndarray:
    """The click grid of ``mode="everything"``.

    Args:
        n: points per side.

    Returns:
        (n * n, 2) relative ``(x, y)`` cell centres, row by row.
    """
    c = (np.arange(n) + 0.5) / n
    xs, ys = np.meshgrid(c, c)
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def stability(logits: torch.Tensor, offset: float) -> torch.Tensor:
    """SAM's stability score.

    Args:
        logits: (K, h, w) mask logits.
        offset: the logit offset.

    Returns:
        (K,) IoU of each map cut at ``+offset`` and at ``-offset`` (0 for
        empty masks).
    """
    inter = (logits > offset).flatten(1).sum(1).float()
    union = (logits > -offset).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp(min=1), torch.zeros_like(union))


@dataclass
class GridMask(InstanceMask):
    """An ``InstanceMask`` of grid point ``prompt`` with its stability score.

    Args:
        prompt: the grid point's index (row by row).
        candidate: which of its 3 candidates.
        score: SAM's predicted IoU.
        logits: the (h, w) low-resolution logit map.
        stability: the stability score.
    """

    stability: float = 0.0


class EverythingPredictor(InstancePredictor):
    """Grid prompts through ``InstancePredictor``'s decoder; filters and NMS per image.

    Args:
        model: a ``Sam3Image`` built with ``instance_interactive=True``.
        config: ``confidence`` (minimum predicted IoU), ``nms_iou`` and
            ``max_queries`` (grid points per decoder call) are read.
        options: the grid and filters.
    """

    def __init__(self, model, config: SegmentConfig, options: EverythingOptions):
        super().__init__(model, config, all_candidates=True)
        self.options = options
        self.iou = DEFAULT_IOU if config.confidence is None else config.confidence
        self.nms = DEFAULT_NMS if config.nms_iou is None else config.nms_iou

    def predict(self, pixels: torch.Tensor, sizes: Sequence[tuple[int, int]], prompts=None,
                feats: dict | None = None) -> list[list[GridMask]]:
        """Every object of each image, from the grid of clicks.

        Args:
            pixels: uint8 (B, 3, R, R), as for ``InstancePredictor.predict``.
            sizes: per image, its original ``(height, width)`` in pixels.
            prompts: unused (the grid is the prompts); ``None`` or empty per
                image.
            feats: ``encode(pixels)``, if already computed.

        Returns:
            per image, its ``GridMask``s, highest predicted IoU first;
            ``GridMask.prompt`` indexes the grid points row by row.
        """
        return super().predict(pixels, sizes, prompts or [()] * len(sizes), feats)

    def _predict_image(self, feats: dict, i: int, size: tuple[int, int], prompts=()) -> list[GridMask]:
        opts, dev = self.options, self.device
        height, width = size
        pts = rel_points_to_pixels(point_grid(opts.points_per_side), width, height)
        pts = torch.as_tensor(pts, dtype=torch.float, device=dev)
        coords = prompt_points(self.inst, pts, height, width)[:, None]  # one click per prompt
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
    """``mode="everything"`` as a ``Job``: new ``Detections`` labeled ``options.label``.

    Args:
        predictor: the ``EverythingPredictor``.
    """

    def __init__(self, predictor: EverythingPredictor):
        self.predictor = predictor
        self.options = predictor.options
        self.fields: list[str] = []  # reads no sample field

    def task(self, sample) -> ImageTask:
        """The sample's task (no prompts: the grid is the prompt).

        Args:
            sample: a ``fiftyone.core.sample.Sample``.

        Returns:
            the ``ImageTask``.
        """
        return ImageTask(sample.id, sample.filepath, ())

    def predict(self, batch: ImageBatch) -> list[list[GridMask]]:
        """The grid's masks on each image of a decoded batch.

        Args:
            batch: the ``ImageBatch`` (its tasks have no prompts).

        Returns:
            per item, its ``GridMask``s (``EverythingPredictor.predict``),
            highest predicted IoU first.
        """
        return self.predictor.predict(batch.pixels, batch.sizes)

    def encode(self, item: LoadedImage, found: list[GridMask], store: MaskStore) -> Update:
        """The sample's new ``Detections``, best first.

        Args:
            item: the image.
            found: its ``GridMask``s, as ``predict`` returns them.
            store: where masks go (``MaskStore``).

        Returns:
            an ``Update`` that sets the field to the new ``Detections``.
        """
        sid, docs, cleanup = item.task.sample_id, [None] * len(found), self.predictor.config.cleanup
        for k, cropped in store.crops([m.logits for m in found], item.height, item.width):
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
