"""Concept mode as a ``Job`` for the runner: queries in, ``Detections`` out."""

from __future__ import annotations

import fiftyone as fo

from ..config import SegmentConfig
from ..convert.labels import detection_from_mask, prob_to_logit
from ..convert.masks import upsample_mask
from ..prompts.spec import PromptSpec
from ..write import move_mask_to_file
from .concept import ConceptPredictor, Instance
from .data import ImageBatch, LoadedImage


def instances_to_detections(item: LoadedImage, found: list[Instance], config: SegmentConfig) -> fo.Detections:
    """Upsample each instance's mask (cropped) and build its ``Detection``.

    With ``config.output_dir`` each mask goes to its PNG as soon as it exists,
    so at most one full-resolution crop is held at a time.
    """
    threshold = prob_to_logit(config.mask_threshold)
    dets = []
    for inst in found:
        query = item.task.queries[inst.query]
        cropped = upsample_mask(inst.logits, item.height, item.width, threshold)
        dets.append(
            detection_from_mask(
                cropped,
                inst.box_xyxy,
                item.width,
                item.height,
                config.box_source,
                label=query.label,
                confidence=inst.score,
                query=query.name,
            )
        )
        if config.output_dir:
            move_mask_to_file(dets[-1], config.output_dir, item.task.sample_id)
    return fo.Detections(detections=dets)


class ConceptJob:
    keep_image = False

    def __init__(self, predictor: ConceptPredictor, spec: PromptSpec):
        self.predictor = predictor
        self.spec = spec
        self.fields = spec.fields

    def task(self, sample):
        return self.spec.task(sample)

    def predict(self, batch: ImageBatch) -> list[list[Instance]]:
        return self.predictor.predict(batch)

    def label(self, item: LoadedImage, found: list[Instance]):
        dets = instances_to_detections(item, found, self.predictor.config)
        return dets, len(dets.detections)
