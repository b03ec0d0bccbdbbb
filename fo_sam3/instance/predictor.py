"""Batched SAM1-style instance prediction (sam3's ``predict_inst``) for many images.

The backbone runs once per batch of images; then each image's prompts go
through the prompt encoder and mask decoder, many prompts per call. The
results equal a per-image ``Sam3Processor.set_image`` + ``predict_inst`` loop,
but masks stay at low resolution until they are written (cropped).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import torch

from ..config import SegmentConfig
from ..engine.runtime import autocast, forward_backbone, model_device
from ..engine.data import ImageBatch, LoadedImage
from ..model.compat import cpu_forward
from ..prompts.points import rel_points_to_pixels
from .mask_input import mask_logits

BOX_CORNER_LABELS = (2, 3)  # SAM's labels for a box's top-left / bottom-right corners


MAX_PROMPTS_PER_CALL = 64  # boxes of one image decoded together (max_queries=None)


@dataclass
class InstanceMask:
    """The mask for prompt ``prompt`` of an image.

    ``score`` is SAM's predicted IoU; ``candidate`` indexes the 3 candidates
    of an ambiguous (single-click) prompt, else 0. ``logits`` is the (h, w)
    low-resolution logit map after sam3's small-hole filling; upsample it to
    the original image with ``convert.masks.upsample_mask``.
    """

    prompt: int
    candidate: int
    score: float
    logits: torch.Tensor


class InstancePredictor:
    """``predict_inst`` for an ``ImageBatch`` whose queries are ``InstancePrompt``s."""

    def __init__(self, model, config: SegmentConfig | None = None, all_candidates: bool = False):
        inst = getattr(model, "inst_interactive_predictor", None)
        if inst is None:
            raise ValueError("instance mode needs a model built with instance_interactive=True")
        self.model = model
        self.inst = inst
        self.tracker = inst.model
        self.config = config or SegmentConfig()
        self.all_candidates = all_candidates

    @property
    def device(self) -> torch.device:
        return model_device(self.model)

    @torch.inference_mode()
    def encode(self, pixels: torch.Tensor) -> dict:
        """Decoder features for uint8 (B, 3, R, R) pixels, as ``predict_inst`` prepares them."""
        out = forward_backbone(self.model, pixels)
        with cpu_forward(self.device), autocast(self.device):
            sam2 = out["sam2_backbone_out"]
            fpn = list(sam2["backbone_fpn"])
            decoder = self.tracker.sam_mask_decoder
            fpn[0] = decoder.conv_s0(fpn[0])  # as Sam3Processor.set_image does
            fpn[1] = decoder.conv_s1(fpn[1])
            fpn = fpn[-self.tracker.num_feature_levels :]
            no_mem = self.tracker.no_mem_embed.reshape(1, -1, 1, 1)
            return {"image_embed": fpn[-1] + no_mem, "high_res_feats": fpn[:-1]}

    @torch.inference_mode()
    def predict(self, batch: ImageBatch, feats: dict | None = None) -> list[list[InstanceMask]]:
        """Masks per image, ordered by prompt (then candidate)."""
        if not batch.items:
            return []
        if feats is None:
            feats = self.encode(batch.pixels)
        with cpu_forward(self.device), autocast(self.device):
            return [self._predict_image(feats, i, item) for i, item in enumerate(batch.items)]

    def _predict_image(self, feats: dict, i: int, item: LoadedImage) -> list[InstanceMask]:
        prompts = item.task.queries
        groups: dict[tuple, list[int]] = defaultdict(list)
        for k, prompt in enumerate(prompts):  # equal shapes batch without padding tokens
            groups[(*prompt.signature, prompt.mask is not None)].append(k)
        step = self.config.max_queries or MAX_PROMPTS_PER_CALL
        found: list[InstanceMask] = []
        for ks in groups.values():
            multimask = prompts[ks[0]].multimask
            for s in range(0, len(ks), step):
                chunk = ks[s : s + step]
                coords, labels = self._inputs(item, chunk)
                logits, scores = self._decode(feats, i, coords, labels, multimask, self._masks(item, chunk))
                found += self._select(chunk, logits, scores, multimask)
        found.sort(key=lambda m: (m.prompt, m.candidate))
        return found

    def _inputs(self, item: LoadedImage, chunk: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Box corners then clicks, in model input pixels, as sam3's ``_prep_prompts`` makes them."""
        dev, tf, hw = self.device, self.inst._transforms, (item.height, item.width)
        coords, labels = [], []
        for k in chunk:
            prompt = item.task.queries[k]
            parts, labs = [], []
            if prompt.rel_box is not None:
                box = torch.as_tensor(item.boxes_xyxy[k], dtype=torch.float, device=dev)
                parts.append(tf.transform_boxes(box, normalize=True, orig_hw=hw))
                labs.append(torch.tensor([BOX_CORNER_LABELS], dtype=torch.int, device=dev))
            if len(prompt.points):
                pts = rel_points_to_pixels(prompt.points, item.width, item.height)
                pts = torch.as_tensor(pts, dtype=torch.float, device=dev)
                parts.append(tf.transform_coords(pts, normalize=True, orig_hw=hw)[None])
                labs.append(torch.as_tensor(prompt.point_labels, dtype=torch.int, device=dev)[None])
            coords.append(torch.cat(parts, dim=1))
            labels.append(torch.cat(labs, dim=1))
        return torch.cat(coords), torch.cat(labels)

    def _masks(self, item: LoadedImage, chunk: list[int]) -> torch.Tensor | None:
        """(B, 1, h, w) mask prompts when the chunk's prompts carry masks (``instance.refine``)."""
        prompts = [item.task.queries[k] for k in chunk]
        if prompts[0].mask is None:
            return None
        size = tuple(self.tracker.sam_prompt_encoder.mask_input_size)
        maps = [mask_logits(p.mask, p.mask_box, item.width, item.height, size) for p in prompts]
        return torch.from_numpy(np.stack(maps)[:, None]).to(self.device)

    def _decode(self, feats, i, coords, labels, multimask, masks=None) -> tuple[torch.Tensor, torch.Tensor]:
        """Prompt encoder + mask decoder for one image (sam3's ``_predict`` minus upsampling)."""
        t = self.tracker
        sparse, dense = t.sam_prompt_encoder(points=(coords, labels), boxes=None, masks=masks)
        low, iou, _, _ = t.sam_mask_decoder(
            image_embeddings=feats["image_embed"][i : i + 1],
            image_pe=t.sam_prompt_encoder.get_dense_pe(),
            sparse_prompt_embeddings=sparse,
            dense_prompt_embeddings=dense,
            multimask_output=multimask,
            repeat_image=coords.shape[0] > 1,
            high_res_features=[f[i : i + 1] for f in feats["high_res_feats"]],
        )
        # sam3's small-hole filling, at low resolution (same-size bilinear is the identity).
        low = self.inst._transforms.postprocess_masks(low, low.shape[-2:])
        return low, iou.float()

    def _select(self, chunk, logits, scores, multimask) -> list[InstanceMask]:
        """Best candidate per prompt (or all three when asked)."""
        host = scores.cpu()
        out = []
        for j, k in enumerate(chunk):
            if multimask and not self.all_candidates:
                cands = [int(host[j].argmax())]
            else:
                cands = range(host.shape[1])
            out += [InstanceMask(k, c, float(host[j, c]), logits[j, c]) for c in cands]
        return out
