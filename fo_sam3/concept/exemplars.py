"""Exemplars from other images: "label the dataset like these boxes".

SAM3's geometry encoder turns exemplar boxes into prompt tokens by pooling
(and attending to) the features of the image the boxes are drawn on. Here the
boxes of a few reference images are encoded once, on their own images, and
the tokens are reused as ``visual_prompt_embed`` for every target image
(``model.sam3_private.ground_with_tokens``). The target image's own geometry tokens (just
the CLS token: an exemplar query has no boxes there) are masked out, so a
query sees exactly the tokens an in-image box query on the reference sees.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from ..engine.data import prepare
from ..engine.runtime import autocast, forward_backbone, model_device
from ..errors import PromptError
from ..model.compat import cpu_forward
from ..model.sam3_private import ground_with_tokens, image_features
from ..prompts.boxes import box_queries
from ..prompts.types import VISUAL, ImageTask, Query
from .predictor import ConceptPredictor, sam3_boxes

logger = logging.getLogger(__name__)
DEFAULT_MAX_EXEMPLARS = 16


@dataclass(frozen=True)
class ExemplarSource:
    """Where exemplars come from and how they are combined.

    Args:
        samples: the reference images (any image collection).
        field: their ``Detections`` field of exemplar boxes (``sam_label=0``:
            negative exemplar).
        label: one query with this label from every box; ``None``: one query
            per box label.
        text_hint: also send the label as text (else SAM3's ``"visual"``).
        max_exemplars: boxes per query over all reference images, in view
            order; later boxes are left out (and counted).
    """

    samples: object
    field: str
    label: str | None = None
    text_hint: bool = True
    max_exemplars: int = DEFAULT_MAX_EXEMPLARS

    def __post_init__(self):
        if not isinstance(self.max_exemplars, int) or self.max_exemplars < 1:
            raise ValueError(f"max_exemplars must be a positive integer, got {self.max_exemplars!r}")
        if self.label is not None and (not isinstance(self.label, str) or not self.label.strip()):
            raise ValueError(f"label must be a non-empty string, got {self.label!r}")


class ExemplarBank:
    """Encoded exemplar tokens per query key, on the model's device (computed once per run).

    Args:
        tokens: ``{key: (T, d) tensor}``: each reference image contributes its
            boxes' tokens plus its CLS token.
        queries: one ``Query`` per key, to append to every target image.
        notes: what was left out, for ``RunSummary.notes``.
    """

    def __init__(self, tokens: dict[str, torch.Tensor], queries: tuple[Query, ...], notes: list[str]):
        self.tokens, self.queries, self.notes = tokens, queries, notes

    def batch(self, queries: list[Query], device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The bank's tokens for one pass of queries.

        Args:
            queries: the pass's B queries (at least one an exemplar query).
            device: the model's device.

        Returns:
            ``(visual_prompt_embed, mask, hide)``: (T, B, d) tokens, their
            (B, T) padding mask, and (B,) bool: which columns are exemplar
            queries.
        """
        own = [self.tokens[q.exemplar] if q.exemplar is not None else None for q in queries]
        ref = next(t for t in own if t is not None)
        n = max(len(t) for t in own if t is not None)
        embed = ref.new_zeros((n, len(queries), ref.shape[-1]))
        pad = torch.ones((len(queries), n), dtype=torch.bool, device=ref.device)
        for j, t in enumerate(own):
            if t is not None:
                embed[: len(t), j] = t
                pad[j, : len(t)] = False
        hide = torch.tensor([t is not None for t in own], device=device)
        return embed.to(device), pad.to(device), hide


class ExemplarPredictor(ConceptPredictor):
    """A ``ConceptPredictor`` whose queries may use an ``ExemplarBank``'s tokens.

    Args:
        model: a ``Sam3Image``.
        bank: the encoded exemplars (``encode_exemplars``).
        config: as for ``ConceptPredictor``.
    """

    def __init__(self, model, bank: ExemplarBank, config=None):
        super().__init__(model, config)
        self.exemplars = bank

    def ground(self, backbone_out: dict, find, prompt, queries: list[Query]) -> dict:
        """``forward_grounding`` with the bank's tokens appended for exemplar queries.

        Args:
            backbone_out: backbone and text features of the target images.
            find: the pass's ``FindStage``.
            prompt: the pass's geometry ``Prompt``.
            queries: the pass's queries.

        Returns:
            the output dict of ``forward_grounding``.
        """
        visual, pad, hide = self.exemplars.batch(queries, self.device)
        return ground_with_tokens(self.model, backbone_out, find, prompt, visual, pad, hide)


def _reference_queries(sample, source: ExemplarSource, counts: Counter) -> list[Query]:
    """The reference sample's box queries (one per label, or one for ``source.label``)."""
    where = f"reference sample {sample.id}"
    queries = box_queries(sample[source.field], source.field, True, where, counts)
    if source.label is None or not queries:
        return queries
    boxes = np.concatenate([q.rel_boxes for q in queries])
    signs = np.concatenate([q.positive for q in queries])
    return [Query(text=source.label, label=source.label, rel_boxes=boxes, positive=signs)]


def _capped(queries: list[Query], left: dict, counts: Counter, cap: int) -> list[Query]:
    """Each query cut to the boxes its label has left under ``cap``."""
    out = []
    for q in queries:
        keep = min(len(q.positive), left.setdefault(q.label, cap))
        counts["capped_exemplars"] += len(q.positive) - keep
        if keep:
            left[q.label] -= keep
            out.append(Query(q.text, q.label, q.rel_boxes[:keep], q.positive[:keep]))
    return out


@torch.inference_mode()
def encode_geometry(model, pixels: torch.Tensor, boxes_cxcywh: list, positive: list) -> list[torch.Tensor]:
    """The geometry encoder's tokens for one image and several box sets.

    Args:
        model: the ``Sam3Image``.
        pixels: uint8 (3, R, R) image.
        boxes_cxcywh: per box set, (N, 4) normalized centre-size boxes.
        positive: per box set, (N,) bool polarity.

    Returns:
        per box set, its valid (N + 1, d) tokens (boxes then CLS), as a query
        of ``ConceptPredictor`` on this image would see them.
    """
    from sam3.model.geometry_encoders import Prompt

    dev = model_device(model)
    n, b = max(len(x) for x in boxes_cxcywh), len(boxes_cxcywh)
    box_t = torch.zeros((n, b, 4), dtype=torch.float32)
    label_t = torch.zeros((n, b), dtype=torch.long)
    pad = torch.ones((b, n), dtype=torch.bool)
    for j, (bx, lab) in enumerate(zip(boxes_cxcywh, positive)):
        box_t[: len(bx), j] = torch.as_tensor(bx, dtype=torch.float32)
        label_t[: len(bx), j] = torch.as_tensor(lab, dtype=torch.long)
        pad[j, : len(bx)] = False
    box_t, label_t, pad = box_t.to(dev), label_t.to(dev), pad.to(dev)
    backbone_out = forward_backbone(model, pixels[None])
    with cpu_forward(dev), autocast(dev):
        ids = torch.zeros(b, dtype=torch.long, device=dev)
        feats, pos, sizes = image_features(model, backbone_out, ids)
        prompt = Prompt(box_embeddings=box_t, box_mask=pad, box_labels=label_t)
        tokens, mask = model.geometry_encoder(geo_prompt=prompt, img_feats=feats, img_sizes=sizes,
                                              img_pos_embeds=pos)
    return [tokens[~mask[j], j] for j in range(b)]


def encode_exemplars(model, source: ExemplarSource) -> ExemplarBank:
    """Encode the exemplar boxes of ``source.samples`` once, image by image.

    Args:
        model: the ``Sam3Image``.
        source: the reference images, their field and how to combine them.

    Returns:
        the ``ExemplarBank``; raises ``PromptError`` when a reference image
        cannot be read or no usable box is found, or a label has only
        negative boxes and no text hint.
    """
    counts: Counter = Counter()
    left: dict[str, int] = {}
    parts: dict[str, list[torch.Tensor]] = {}
    signs: dict[str, bool] = {}
    for sample in source.samples.select_fields(source.field).iter_samples():
        queries = _capped(_reference_queries(sample, source, counts), left, counts, source.max_exemplars)
        if not queries:
            continue
        try:
            item = prepare(ImageTask(sample.id, sample.filepath, tuple(queries)))
        except Exception as e:
            raise PromptError(f"reference sample {sample.id} ({sample.filepath}): could not read image: {e}") from e
        boxes = [sam3_boxes(q.rel_boxes, item.height, item.width) for q in queries]
        tokens = encode_geometry(model, item.pixels, boxes, [q.positive for q in queries])
        for q, t in zip(queries, tokens):
            parts.setdefault(q.label, []).append(t)
            signs[q.label] = signs.get(q.label, False) or bool(q.positive.any())
    if not parts:
        raise PromptError(f"no usable exemplar box in field '{source.field}' of the reference samples")
    for label, positive in signs.items():
        if not positive and not source.text_hint:
            raise PromptError(f"exemplar label '{label}' has only negative boxes; negative exemplars need "
                              "a text hint (keep text_hint=True)")
    tokens = {label: torch.cat(ts) for label, ts in parts.items()}
    queries = tuple(Query(text=label if source.text_hint and label != VISUAL else VISUAL, label=label,
                          exemplar=label) for label in tokens)
    notes = []
    if counts["capped_exemplars"]:
        notes.append(f"{counts['capped_exemplars']} exemplar boxes beyond max_exemplars="
                     f"{source.max_exemplars} per label were left out")
    if counts["degenerate_boxes"]:
        notes.append(f"{counts['degenerate_boxes']} degenerate exemplar boxes were skipped")
    for note in notes:
        logger.warning(note)
    return ExemplarBank(tokens, queries, notes)
