"""Batched concept segmentation: the backbone once per image, many queries per pass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..config import SegmentConfig
from ..model.compat import cpu_forward
from .runtime import autocast, forward_backbone, model_device
from .data import ImageBatch
from .postprocess import classwise_nms, joint_scores, keep_per_query
from .text_cache import TextCache


@dataclass
class Instance:
    """One found object: query index, score, SAM3's box and its low-res mask logits.

    ``box_xyxy`` is in absolute pixels of the original image; ``logits`` is
    the (h, w) low-resolution mask logit map (upsample with ``convert.masks``).
    """

    query: int
    score: float
    box_xyxy: np.ndarray
    logits: torch.Tensor


def _box_to_xyxy(cxcywh: torch.Tensor, width: int, height: int) -> np.ndarray:
    cx, cy, w, h = cxcywh.float().unbind(-1)
    xyxy = torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)
    return (xyxy * xyxy.new_tensor([width, height, width, height])).cpu().numpy()


class ConceptPredictor:
    """SamPredictor-style front end to ``Sam3Image`` for many images and queries.

    ``encode`` runs the image backbone once for a batch; ``predict`` then runs
    every query of every image, ``config.max_queries`` at a time, and returns
    the kept ``Instance``s per image.
    """

    def __init__(self, model, config: SegmentConfig | None = None):
        self.model = model
        self.config = config or SegmentConfig()
        self.text_cache = TextCache(model, self.config.text_cache_size)

    @property
    def device(self) -> torch.device:
        return model_device(self.model)

    def encode(self, pixels: torch.Tensor) -> dict:
        """Backbone features for uint8 (B, 3, R, R) pixels."""
        return forward_backbone(self.model, pixels)

    @torch.inference_mode()
    def predict(self, batch: ImageBatch, backbone_out: dict | None = None) -> list[list[Instance]]:
        items = batch.items
        if not items:
            return []
        if backbone_out is None:
            backbone_out = self.encode(batch.pixels)
        flat = [(i, q) for i, it in enumerate(items) for q in range(len(it.task.queries))]
        results: list[list[Instance]] = [[] for _ in items]
        step = self.config.queries_per_pass(self.device)
        with cpu_forward(self.device), autocast(self.device):
            for s in range(0, len(flat), step):
                chunk = flat[s : s + step]
                out = self._forward(backbone_out, items, chunk)
                self._collect(out, items, chunk, results)
        return [self._per_image(items[i], r) for i, r in enumerate(results)]

    def _forward(self, backbone_out: dict, items, chunk) -> dict:
        from sam3.model.data_misc import FindStage
        from sam3.model.geometry_encoders import Prompt

        dev = self.device
        texts = [items[i].task.queries[q].text for i, q in chunk]
        unique = list(dict.fromkeys(texts))
        backbone_out = {**backbone_out, **self.text_cache.features(unique, dev)}
        boxes = [items[i].boxes_cxcywh[q] for i, q in chunk]
        labels = [items[i].task.queries[q].positive for i, q in chunk]
        n = max((len(b) for b in boxes), default=0)
        box_t = torch.zeros((n, len(chunk), 4), dtype=torch.float32)
        label_t = torch.zeros((n, len(chunk)), dtype=torch.long)
        pad = torch.ones((len(chunk), n), dtype=torch.bool)
        for j, (b, lab) in enumerate(zip(boxes, labels)):
            box_t[: len(b), j] = torch.from_numpy(np.asarray(b, dtype=np.float32))
            label_t[: len(b), j] = torch.from_numpy(lab.astype(np.int64))
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
        queries = [items[i].task.queries[q] for i, q in chunk]
        if any(q.exemplar is not None for q in queries):  # tokens from other images: engine.exemplars
            return self.ground(backbone_out, find, prompt, queries)
        return self.model.forward_grounding(
            backbone_out=backbone_out, find_input=find, find_target=None, geometric_prompt=prompt
        )

    def _collect(self, out: dict, items, chunk, results) -> None:
        cfg = self.config
        scores = joint_scores(out["pred_logits"], out["presence_logit_dec"])
        threshold = cfg.concept_confidence
        if isinstance(cfg.confidence, dict):  # one threshold per query (its prompt's)
            per_query = [cfg.threshold_for(items[i].task.queries[q].label) for i, q in chunk]
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
            it = items[img]
            box = _box_to_xyxy(kept_boxes[k], it.width, it.height)
            results[img].append(Instance(q, sc, box, kept_masks[k]))

    def _per_image(self, item, found: list[Instance]) -> list[Instance]:
        cfg = self.config
        if cfg.nms_iou is not None and len(found) > 1:
            labels = [cfg.label_for(item.task.queries[f.query].label) for f in found]
            if cfg.nms_across_prompts:
                labels = [""] * len(found)
            ids = {lab: i for i, lab in enumerate(dict.fromkeys(labels))}
            groups = torch.tensor([ids[lab] for lab in labels])
            scores = torch.tensor([f.score for f in found])
            if cfg.nms_on == "box":
                keep = classwise_nms(scores, groups, cfg.nms_iou, boxes=torch.from_numpy(np.stack([f.box_xyxy for f in found])))
            else:
                masks = torch.stack([f.logits.cpu() > 0 for f in found])
                keep = classwise_nms(scores, groups, cfg.nms_iou, masks=masks)
            found = [found[i] for i in keep.tolist()]
        found.sort(key=lambda f: -f.score)
        if cfg.topk_per_image is not None:
            found = found[: cfg.topk_per_image]
        return found
