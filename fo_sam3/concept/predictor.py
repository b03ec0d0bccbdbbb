"""Batched concept segmentation: the backbone once per image, many queries per pass.

Coordinates: a query's exemplar boxes are FiftyOne-relative ``[x, y, w, h]``
of the original (upright) image (``Query.rel_boxes``); the predictor takes
each image's original ``(height, width)`` and returns boxes in absolute
pixels of the original image. Pixels are the image stretched to the model's
square input (``engine.data.image_pixels``), whatever its aspect ratio.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..config import SegmentConfig
from ..convert.boxes import rel_xywh_to_xyxy, xyxy_to_norm_cxcywh
from ..engine.runtime import autocast, forward_backbone, model_device
from ..model.compat import cpu_forward
from ..prompts.types import Query
from .postprocess import classwise_nms, joint_scores, keep_per_query
from .text_cache import TextCache


@dataclass
class Instance:
    """One found object: query index, score, SAM3's box and its low-res mask logits.

    Args:
        query: the index of its query among the image's queries.
        score: SAM3's joint score (detection x presence).
        box_xyxy: (4,) SAM3's box in absolute pixels of the original image.
        logits: the (h, w) low-resolution mask logit map over the whole
            (stretched) image; upsample it with ``convert.masks``.
    """

    query: int
    score: float
    box_xyxy: np.ndarray
    logits: torch.Tensor


def sam3_boxes(rel_boxes, height: int, width: int) -> np.ndarray:
    """Exemplar boxes as SAM3 reads them.

    Args:
        rel_boxes: (N, 4) FiftyOne-relative ``[x, y, w, h]`` boxes.
        height: the original image height in pixels.
        width: the original image width in pixels.

    Returns:
        (N, 4) normalised centre-size boxes ``(cx, cy, w, h)``.
    """
    return xyxy_to_norm_cxcywh(rel_xywh_to_xyxy(rel_boxes, width, height), width, height)


def _box_to_xyxy(cxcywh: torch.Tensor, width: int, height: int) -> np.ndarray:
    cx, cy, w, h = cxcywh.float().unbind(-1)
    xyxy = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)
    return (xyxy * xyxy.new_tensor([width, height, width, height])).cpu().numpy()


class ConceptPredictor:
    """SamPredictor-style front end to ``Sam3Image`` for many images and queries.

    ``encode`` runs the image backbone once for a batch; ``predict`` then runs
    every query of every image, ``config.max_queries`` at a time, and returns
    the kept ``Instance``s per image. It needs no dataset or pipeline: the
    runner's ``ConceptJob`` is one caller among others.

    Args:
        model: a ``Sam3Image``.
        config: the score threshold, top-k, NMS and class settings
            (``SegmentConfig``; defaults if ``None``).
    """

    def __init__(self, model, config: SegmentConfig | None = None):
        self.model = model
        self.config = config or SegmentConfig()
        self.text_cache = TextCache(model, self.config.text_cache_size)

    @property
    def device(self) -> torch.device:
        """The model's device."""
        return model_device(self.model)

    def encode(self, pixels: torch.Tensor) -> dict:
        """Backbone features of a batch of images.

        Args:
            pixels: uint8 (B, 3, R, R) images at the model's resolution.

        Returns:
            sam3's ``backbone_out`` dict.
        """
        return forward_backbone(self.model, pixels)

    @torch.inference_mode()
    def predict(self, pixels: torch.Tensor, sizes: Sequence[tuple[int, int]],
                queries: Sequence[Sequence[Query]], backbone_out: dict | None = None) -> list[list[Instance]]:
        """Every instance of every query, per image.

        Args:
            pixels: uint8 (B, 3, R, R): each image stretched to the model's
                square input (``engine.data.image_pixels``), on any device.
            sizes: per image, its original ``(height, width)`` in pixels.
            queries: per image, its ``Query`` list; exemplar boxes are
                FiftyOne-relative ``[x, y, w, h]`` in [0, 1] of the original
                image.
            backbone_out: ``encode(pixels)``, if already computed.

        Returns:
            per image, the kept ``Instance``s, best first; ``Instance.query``
            indexes that image's queries and ``box_xyxy`` is in absolute
            pixels of the original image.
        """
        if not len(sizes):
            return []
        if backbone_out is None:
            backbone_out = self.encode(pixels)
        flat = [(i, q) for i, qs in enumerate(queries) for q in range(len(qs))]
        results: list[list[Instance]] = [[] for _ in sizes]
        step = self.config.queries_per_pass(self.device)
        with cpu_forward(self.device), autocast(self.device):
            for s in range(0, len(flat), step):
                chunk = flat[s : s + step]
                out = self._forward(backbone_out, sizes, queries, chunk)
                self._collect(out, sizes, queries, chunk, results)
        return [self._per_image(queries[i], r) for i, r in enumerate(results)]

    def _forward(self, backbone_out: dict, sizes, queries, chunk) -> dict:
        from sam3.model.data_misc import FindStage
        from sam3.model.geometry_encoders import Prompt

        dev = self.device
        asked = [queries[i][q] for i, q in chunk]
        texts = [query.text for query in asked]
        unique = list(dict.fromkeys(texts))
        backbone_out = {**backbone_out, **self.text_cache.features(unique, dev)}
        boxes = [sam3_boxes(query.rel_boxes, *sizes[i]) for (i, _), query in zip(chunk, asked)]
        n = max((len(b) for b in boxes), default=0)
        box_t = torch.zeros((n, len(chunk), 4), dtype=torch.float32)
        label_t = torch.zeros((n, len(chunk)), dtype=torch.long)
        pad = torch.ones((len(chunk), n), dtype=torch.bool)
        for j, (b, query) in enumerate(zip(boxes, asked)):
            box_t[: len(b), j] = torch.from_numpy(np.asarray(b, dtype=np.float32))
            label_t[: len(b), j] = torch.from_numpy(query.positive.astype(np.int64))
            pad[j, : len(b)] = False
        box_t, label_t, pad = box_t.to(dev), label_t.to(dev), pad.to(dev)
        find = FindStage(
            img_ids=torch.tensor([i for i, _ in chunk], device=dev, dtype=torch.long),
            text_ids=torch.tensor([unique.index(t) for t in texts], device=dev, dtype=torch.long),
            input_boxes=box_t,
            input_boxes_mask=pad,
            input_boxes_label=label_t,
            input_points=None,
            input_points_mask=None,
        )
        prompt = Prompt(box_embeddings=box_t, box_mask=pad, box_labels=label_t)
        if any(q.exemplar is not None for q in asked):  # tokens from other images: concept.exemplars
            return self.ground(backbone_out, find, prompt, asked)
        return self.model.forward_grounding(
            backbone_out=backbone_out, find_input=find, find_target=None, geometric_prompt=prompt
        )

    def _collect(self, out: dict, sizes, queries, chunk, results) -> None:
        cfg = self.config
        scores = joint_scores(out["pred_logits"], out["presence_logit_dec"])
        threshold = cfg.concept_confidence
        if isinstance(cfg.confidence, dict):  # one threshold per query (its prompt's)
            per_query = [cfg.threshold_for(queries[i][q].label) for i, q in chunk]
            threshold = torch.tensor(per_query, device=scores.device, dtype=scores.dtype)[:, None]
        keep = keep_per_query(scores, threshold, cfg.topk_per_query)
        qs, ns = torch.nonzero(keep, as_tuple=True)
        if qs.numel() == 0:
            return
        kept_scores = scores[qs, ns].cpu().tolist()
        kept_boxes = out["pred_boxes"][qs, ns].float()
        kept_masks = out["pred_masks"][qs, ns].float()
        for k, (qi, sc) in enumerate(zip(qs.tolist(), kept_scores)):
            img, q = chunk[qi]
            height, width = sizes[img]
            box = _box_to_xyxy(kept_boxes[k], width, height)
            results[img].append(Instance(q, sc, box, kept_masks[k]))

    def _per_image(self, queries: Sequence[Query], found: list[Instance]) -> list[Instance]:
        """NMS (per label, or across prompts), best first, ``topk_per_image``."""
        cfg = self.config
        if cfg.nms_iou is not None and len(found) > 1:
            labels = [cfg.label_for(queries[f.query].label) for f in found]
            if cfg.nms_across_prompts:
                labels = [""] * len(found)
            ids = {lab: i for i, lab in enumerate(dict.fromkeys(labels))}
            groups = torch.tensor([ids[lab] for lab in labels])
            scores = torch.tensor([f.score for f in found])
            if cfg.nms_on == "box":
                boxes = torch.from_numpy(np.stack([f.box_xyxy for f in found]))
                keep = classwise_nms(scores, groups, cfg.nms_iou, boxes=boxes)
            else:
                masks = torch.stack([f.logits.cpu() > 0 for f in found])
                keep = classwise_nms(scores, groups, cfg.nms_iou, masks=masks)
            found = [found[i] for i in keep.tolist()]
        found.sort(key=lambda f: -f.score)
        if cfg.topk_per_image is not None:
            found = found[: cfg.topk_per_image]
        return found
