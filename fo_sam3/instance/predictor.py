"""Batched SAM1-style instance prediction (sam3's ``predict_inst``) for many images.

The backbone runs once per batch of images; then each image's prompts go
through the prompt encoder and mask decoder, many prompts per call. The
results equal a per-image ``Sam3Processor.set_image`` + ``predict_inst`` loop,
but masks stay at low resolution until they are written (cropped).

Coordinates: an ``InstancePrompt``'s box is FiftyOne-relative ``[x, y, w, h]``
and its clicks relative ``(x, y)``, in [0, 1] of the original (upright)
image; the predictor takes each image's original ``(height, width)`` to turn
them into pixels, as ``predict_inst`` receives them. Pixels are the image
stretched to the model's square input (``engine.data.image_pixels``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..config import SegmentConfig
from ..convert.boxes import rel_xywh_to_xyxy
from ..engine.runtime import autocast, forward_backbone, model_device
from ..model.compat import cpu_forward
from ..model.sam3_private import fill_holes, prompt_boxes, prompt_points
from ..prompts.points import rel_points_to_pixels
from .mask_input import mask_logits
from .prompts import InstancePrompt

BOX_CORNER_LABELS = (2, 3)  # SAM's labels for a box's top-left / bottom-right corners


MAX_PROMPTS_PER_CALL = 64  # boxes of one image decoded together (max_queries=None)


@dataclass
class InstanceMask:
    """The mask for one prompt of an image.

    Args:
        prompt: the index of the prompt among the image's prompts.
        candidate: which of the 3 candidates of an ambiguous (single-click)
            prompt, else 0.
        score: SAM's predicted IoU.
        logits: the (h, w) low-resolution logit map over the whole
            (stretched) image, after sam3's small-hole filling; upsample it
            to the original image with ``convert.masks.upsample_mask``.
    """

    prompt: int
    candidate: int
    score: float
    logits: torch.Tensor


class InstancePredictor:
    """SamPredictor-style ``predict_inst`` for many images and ``InstancePrompt``s.

    ``encode`` prepares the decoder features of a batch; ``predict`` then
    decodes every prompt of every image. It needs no dataset or pipeline:
    the runner's ``InstanceJob`` is one caller among others.

    Args:
        model: a ``Sam3Image`` built with ``instance_interactive=True``.
        config: ``max_queries`` (prompts per decoder call) is read; defaults
            if ``None``.
        all_candidates: return all 3 candidates of single-click prompts
            (else the best one).
    """

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
        """The model's device."""
        return model_device(self.model)

    @torch.inference_mode()
    def encode(self, pixels: torch.Tensor) -> dict:
        """Decoder features of a batch of images, as ``Sam3Processor.set_image`` prepares them.

        Args:
            pixels: uint8 (B, 3, R, R) images at the model's resolution.

        Returns:
            ``{"image_embed": (B, C, h, w), "high_res_feats": [...]}``.
        """
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
    def predict(self, pixels: torch.Tensor, sizes: Sequence[tuple[int, int]],
                prompts: Sequence[Sequence[InstancePrompt]], feats: dict | None = None) -> list[list[InstanceMask]]:
        """One mask per prompt (3 for single clicks with ``all_candidates``), per image.

        Args:
            pixels: uint8 (B, 3, R, R) model input, as for
                ``ConceptPredictor.predict``.
            sizes: the original ``(height, width)`` of each image.
            prompts: per image, its ``InstancePrompt``s: boxes
                FiftyOne-relative ``[x, y, w, h]``, clicks relative
                ``(x, y)``, in [0, 1] of the original image; a prompt's
                ``mask`` is inscribed in its ``mask_box``.
            feats: ``encode(pixels)``, if already computed.

        Returns:
            per image, its ``InstanceMask``s ordered by prompt (then
            candidate).
        """
        if not len(sizes):
            return []
        if feats is None:
            feats = self.encode(pixels)
        with cpu_forward(self.device), autocast(self.device):
            return [self._predict_image(feats, i, size, ps) for i, (size, ps) in enumerate(zip(sizes, prompts))]

    def _predict_image(self, feats: dict, i: int, size: tuple[int, int],
                       prompts: Sequence[InstancePrompt]) -> list[InstanceMask]:
        groups: dict[tuple, list[int]] = defaultdict(list)
        for k, prompt in enumerate(prompts):  # equal shapes batch without padding tokens
            groups[(*prompt.signature, prompt.mask is not None)].append(k)
        step = self.config.max_queries or MAX_PROMPTS_PER_CALL
        found: list[InstanceMask] = []
        for ks in groups.values():
            multimask = prompts[ks[0]].multimask
            for s in range(0, len(ks), step):
                chunk = ks[s : s + step]
                chosen = [prompts[k] for k in chunk]
                coords, labels = self._inputs(chosen, *size)
                logits, scores = self._decode(feats, i, coords, labels, multimask, self._masks(chosen, *size))
                found += self._select(chunk, logits, scores, multimask)
        found.sort(key=lambda m: (m.prompt, m.candidate))
        return found

    def _inputs(self, prompts: list[InstancePrompt], height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Box corners then clicks, in model input pixels, as sam3's ``_prep_prompts`` makes them."""
        dev = self.device
        coords, labels = [], []
        for prompt in prompts:
            parts, labs = [], []
            if prompt.rel_box is not None:
                box = rel_xywh_to_xyxy(prompt.rel_boxes, width, height)
                box = torch.as_tensor(box, dtype=torch.float, device=dev)
                parts.append(prompt_boxes(self.inst, box, height, width))
                labs.append(torch.tensor([BOX_CORNER_LABELS], dtype=torch.int, device=dev))
            if len(prompt.points):
                pts = rel_points_to_pixels(prompt.points, width, height)
                pts = torch.as_tensor(pts, dtype=torch.float, device=dev)
                parts.append(prompt_points(self.inst, pts, height, width)[None])
                labs.append(torch.as_tensor(prompt.point_labels, dtype=torch.int, device=dev)[None])
            coords.append(torch.cat(parts, dim=1))
            labels.append(torch.cat(labs, dim=1))
        return torch.cat(coords), torch.cat(labels)

    def _masks(self, prompts: list[InstancePrompt], height: int, width: int) -> torch.Tensor | None:
        """(B, 1, h, w) mask prompts when the chunk's prompts carry masks (``instance.refine``)."""
        if prompts[0].mask is None:
            return None
        size = tuple(self.tracker.sam_prompt_encoder.mask_input_size)
        maps = [mask_logits(p.mask, p.mask_box, width, height, size) for p in prompts]
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
        low = fill_holes(self.inst, low)  # sam3's small-hole filling, at low resolution
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
