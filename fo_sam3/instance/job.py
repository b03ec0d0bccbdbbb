"""Instance mode as a ``Job`` for the runner (and for ``SAM3Model``).

In place, the job returns ``{label_id: {attr: value}}`` updates (written by
``LabelUpdateWriter``): each detection gains ``mask`` and the score
attribute, and keeps its id, label and every other attribute. Into a new
field it returns ``Detections``: copies of the source detections (new ids,
``source_attr`` = source id), or new detections for keypoint prompts.
"""

from __future__ import annotations

import logging
from collections import Counter

import fiftyone as fo

from ..config import SegmentConfig
from ..convert.labels import prob_to_logit
from ..convert.masks import upsample_mask
from ..engine.data import ImageBatch, LoadedImage
from ..prompts.types import ImageTask
from ..write import BulkWriter, move_mask_to_file
from ..write.instance import LabelUpdateWriter
from .labels import place_mask
from .options import InstanceOptions
from .predictor import InstanceMask, InstancePredictor
from .prompts import box_prompts, point_prompts

logger = logging.getLogger(__name__)
CANDIDATE_ATTR = "sam_candidate"


class InstanceJob:
    """Prompts from ``box_field`` (plus linked clicks from ``point_field``) or
    from ``point_field`` alone; masks written in place or as new detections.

    ``output_dir`` (in place only) writes masks as PNGs and sets ``mask_path``.
    """

    keep_image = False

    def __init__(self, predictor: InstancePredictor, options: InstanceOptions, box_field: str | None,
                 point_field: str | None, in_place: bool = False, overwrite: bool = False,
                 output_dir: str | None = None):
        if not box_field and not point_field:
            raise ValueError("instance mode needs box_field and/or point_field")
        if in_place and not box_field:
            raise ValueError("in-place writes need box_field")
        self.predictor = predictor
        self.options = options
        self.box_field, self.point_field = box_field, point_field
        self.in_place, self.overwrite, self.output_dir = in_place, overwrite, output_dir
        self.fields = [f for f in (box_field, point_field) if f]
        self.writer = LabelUpdateWriter if in_place else BulkWriter
        self.counts: Counter = Counter()  # updated while making tasks (main thread)
        self.label_counts: Counter = Counter()  # updated while labeling (writer thread)
        self._sources: dict[str, dict] = {}  # sample id -> {detection id: Detection}

    @property
    def config(self) -> SegmentConfig:
        return self.predictor.config

    def task(self, sample) -> ImageTask:
        box_field = self.box_field
        if box_field and isinstance(sample[box_field], fo.Keypoints) and not self.point_field:
            # apply_model(prompt_field=<Keypoints field>): clicks only
            prompts = point_prompts(sample, box_field, self.options, self.counts)
        elif box_field:
            skip_masked = self.in_place and not self.overwrite
            prompts = box_prompts(sample, box_field, self.point_field, self.options, skip_masked, self.counts)
            if not self.in_place:
                self._sources[sample.id] = {d.id: d for d in sample[box_field].detections}
        else:
            prompts = point_prompts(sample, self.point_field, self.options, self.counts)
        return ImageTask(sample.id, sample.filepath, tuple(prompts))

    def predict(self, batch: ImageBatch) -> list[list[InstanceMask]]:
        return self.predictor.predict(batch)

    def label(self, item: LoadedImage, found: list[InstanceMask]):
        threshold = prob_to_logit(self.config.mask_threshold)
        placed = []
        for m in found:
            prompt = item.task.queries[m.prompt]
            cropped = upsample_mask(m.logits, item.height, item.width, threshold)
            box_mask = place_mask(prompt.rel_box, cropped, item.width, item.height, self.options.tighten_boxes)
            if box_mask is None:
                self.label_counts["unplaced"] += 1
                logger.warning("sample %s: no mask for %s (empty mask or box under a pixel)",
                               item.task.sample_id, prompt.source_id)
                continue
            placed.append((prompt, m, *box_mask))
        if self.in_place:
            updates = self._updates(item, placed)
            return updates, len(updates)
        dets = self._copies(item, placed)
        return dets, len(dets.detections)

    def _updates(self, item: LoadedImage, placed) -> dict[str, dict]:
        opts, updates = self.options, {}
        for prompt, m, box, mask in placed:
            attrs = {"mask": mask, opts.score_attr: m.score}
            if self.overwrite:
                attrs["mask_path"] = None
            if self.output_dir:
                det = fo.Detection(id=prompt.source_id, mask=mask)
                move_mask_to_file(det, self.output_dir, item.task.sample_id)
                attrs.update(mask=None, mask_path=det.mask_path)
            if opts.tighten_boxes or prompt.clipped:
                attrs["bounding_box"] = box
            updates[prompt.source_id] = attrs
        return updates

    def _copies(self, item: LoadedImage, placed) -> fo.Detections:
        opts = self.options
        sources = self._sources.pop(item.task.sample_id, {})
        dets = []
        for prompt, m, box, mask in placed:
            src = sources.get(prompt.source_id)
            det = src.copy() if src is not None else fo.Detection(label=prompt.label)  # copy: new id
            det.bounding_box, det.mask, det.mask_path = box, mask, None
            det[opts.score_attr] = m.score
            det[opts.source_attr] = prompt.source_id
            if prompt.multimask and opts.all_candidates:
                det[CANDIDATE_ATTR] = m.candidate
            dets.append(det)
        return fo.Detections(detections=dets)

    def notes(self) -> list[str]:
        """Human-readable counts of what was left out, for ``RunSummary.notes``."""
        counts = self.counts + self.label_counts
        texts = {
            "kept_masks": "detections already had a mask and were left alone (overwrite=True replaces them)",
            "degenerate_boxes": "degenerate or outside-image boxes were skipped",
            "unlinked_keypoints": "keypoints were linked to no detection and were ignored",
            "empty_keypoints": "keypoints had no finite point and were skipped",
            "unplaced": "prompts gave no placeable mask (empty mask or box under a pixel)",
        }
        return [f"{counts[k]} {text}" for k, text in texts.items() if counts[k]]


def make_instance_job(sam3, seg_config: SegmentConfig, prompt_field: str, point_field: str | None = None,
                      **options) -> InstanceJob:
    """The job behind ``SAM3Model(mode="instance")``: new-field ``Detections``.

    ``prompt_field`` is a ``Detections`` field (boxes, plus clicks linked from
    ``point_field``) or a ``Keypoints`` field (clicks only).
    """
    opts = InstanceOptions.from_kwargs(**options)
    predictor = InstancePredictor(sam3, seg_config, opts.all_candidates)
    return InstanceJob(predictor, opts, box_field=prompt_field, point_field=point_field)
