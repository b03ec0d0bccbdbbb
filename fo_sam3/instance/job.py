"""Instance mode as a ``Job`` for the runner (and for ``SAM3Model``).

In place, the job patches each prompted detection: it gains ``mask`` (or
``mask_path``) and the score attribute, and keeps its id, label and every
other attribute; all of a sample's patches are one database update. Into a
new field it writes ``Detections``: copies of the source detections (new ids,
``source_attr`` = source id), or new detections for keypoint prompts.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter

import fiftyone as fo
from bson import ObjectId

from ..config import SegmentConfig
from ..engine.data import ImageBatch, LoadedImage
from ..prompts.types import ImageTask
from ..write.encode import detection_doc, detections_doc
from ..write.masks import MaskStore
from ..write.updates import Update
from .labels import place_mask
from .options import InstanceOptions
from .predictor import InstanceMask, InstancePredictor
from .prompts import InstancePrompt, box_prompts, point_prompts

logger = logging.getLogger(__name__)
CANDIDATE_ATTR = "sam_candidate"


class InstanceJob:
    """Prompts from ``box_field`` (plus linked clicks from ``point_field``) or
    from ``point_field`` alone; masks written in place or as new detections.

    Masks whose ``sam_score`` is below ``config.confidence`` (when set) are
    not written.

    Args:
        predictor: the ``InstancePredictor``.
        options: the instance options.
        box_field: the ``Detections`` field of boxes (or a ``Keypoints``
            field, for clicks only), or ``None``.
        point_field: the ``Keypoints`` field of clicks, or ``None``.
        in_place: patch the detections of ``box_field`` (else write new
            ``Detections``).
        overwrite: in place, also replace masks the detections already have.
    """

    def __init__(self, predictor: InstancePredictor, options: InstanceOptions, box_field: str | None,
                 point_field: str | None, in_place: bool = False, overwrite: bool = False):
        if not box_field and not point_field:
            raise ValueError("instance mode needs box_field and/or point_field")
        if in_place and not box_field:
            raise ValueError("in-place writes need box_field")
        self.predictor = predictor
        self.options = options
        self.box_field, self.point_field = box_field, point_field
        self.in_place, self.overwrite = in_place, overwrite
        self.fields = [f for f in (box_field, point_field) if f]
        self.counts: Counter = Counter()  # updated while making tasks (main thread)
        self.label_counts: Counter = Counter()  # updated while encoding (pool threads)
        self._lock = threading.Lock()
        self._sources: dict[str, dict] = {}  # sample id -> {detection id: Detection}

    @property
    def config(self) -> SegmentConfig:
        """The predictor's ``SegmentConfig``."""
        return self.predictor.config

    def task(self, sample) -> ImageTask[InstancePrompt]:
        """The sample's task.

        Args:
            sample: a ``fiftyone.core.sample.Sample``.

        Returns:
            an ``ImageTask`` whose prompts are ``InstancePrompt``s; raises
            ``NoPromptError`` when the sample has none.
        """
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
        """``InstancePredictor.predict`` on a decoded batch.

        Args:
            batch: the ``ImageBatch``, whose tasks' prompts are
                ``InstancePrompt``s.

        Returns:
            per item, its ``InstanceMask``s.
        """
        return self.predictor.predict(batch.pixels, batch.sizes, batch.prompts)

    def _kept(self, item: LoadedImage, found: list[InstanceMask]) -> list[InstanceMask]:
        floor = self.config.confidence
        if floor is None:
            return found
        kept = [m for m in found if m.score >= floor]
        self._count("low_score", len(found) - len(kept))
        return kept

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.label_counts[key] += n

    def encode(self, item: LoadedImage, found: list[InstanceMask], store: MaskStore) -> Update:
        """The sample's update: patches of its detections, or a new ``Detections``.

        Args:
            item: the image.
            found: its masks, as ``InstancePredictor.predict`` returns them.
            store: where masks go.

        Returns:
            the ``Update``.
        """
        found = self._kept(item, found)
        sid, opts = item.task.sample_id, self.options
        sources = {} if self.in_place else self._sources.pop(sid, {})
        out: list = [None] * len(found)
        cleanup = self.config.cleanup
        for k, cropped in store.crops([m.logits for m in found], item.height, item.width):
            m = found[k]
            prompt = item.task.prompts[m.prompt]
            placed = place_mask(prompt.rel_box, cropped, item.width, item.height, opts.tighten_boxes)
            if placed is None:
                self._count("unplaced")
                logger.warning("sample %s: no mask for %s (empty mask or box under a pixel)", sid, prompt.source_id)
                continue
            placed = store.clean(*placed, item.width, item.height, cleanup,
                                 tighten=opts.tighten_boxes or prompt.rel_box is None)
            if placed is None:
                self._count("cleaned")
                continue
            box, mask = placed
            label_id = prompt.source_id if self.in_place else ObjectId()
            stored = {"mask": None, "mask_path": None, **store.store(mask, sid, label_id)}
            if self.in_place:
                attrs = {**stored, opts.score_attr: float(m.score)}
                if opts.tighten_boxes or prompt.clipped:
                    attrs["bounding_box"] = box
                out[k] = (prompt.source_id, attrs)
            else:
                out[k] = self._copy(sources.get(prompt.source_id), prompt, m, box, label_id, stored)
        out = [o for o in out if o is not None]
        if self.in_place:
            return Update(sid, patches=dict(out), count=len(out))
        return Update(sid, value=detections_doc(out), count=len(out))

    def _copy(self, src, prompt, m: InstanceMask, box, label_id, stored: dict) -> dict:
        """A new-field detection: a copy of the source detection (new id) or a new one."""
        opts = self.options
        extra = {opts.score_attr: float(m.score), opts.source_attr: prompt.source_id}
        if prompt.multimask and opts.all_candidates:
            extra[CANDIDATE_ATTR] = int(m.candidate)
        if src is None:
            return detection_doc(box, label=prompt.label, _id=label_id, **stored, **extra)
        doc = dict(src.to_mongo())
        doc.update({"_id": label_id, "bounding_box": [float(v) for v in box]}, **extra)
        doc.update((k, v) for k, v in stored.items() if v is not None)
        for k in [k for k, v in stored.items() if v is None]:
            doc.pop(k, None)
        return doc

    def notes(self) -> list[str]:
        """Human-readable counts of what was left out, for ``RunSummary.notes``.

        Returns:
            the notes, in words.
        """
        counts = self.counts + self.label_counts
        texts = {
            "kept_masks": "detections already had a mask and were left alone (overwrite=True replaces them)",
            "degenerate_boxes": "degenerate, non-finite or outside-image boxes were skipped",
            "outside_keypoints": "keypoints had points outside [0, 1] (pixels?) and were skipped",
            "negative_keypoints": "keypoint prompts had only negative points (nothing to segment) and were skipped",
            "unlinked_keypoints": "keypoints were linked to no detection and were ignored",
            "empty_keypoints": "keypoints had no finite point and were skipped",
            "unplaced": "prompts gave no placeable mask (empty mask or box under a pixel)",
            "low_score": "masks scored below confidence (sam_score) and were not written",
            "cleaned": "masks smaller than min_area were removed entirely by clean-up and not written",
        }
        return [f"{counts[k]} {text}" for k, text in texts.items() if counts[k]]


def make_instance_job(sam3, seg_config: SegmentConfig, prompt_field: str, point_field: str | None = None,
                      **options) -> InstanceJob:
    """The job behind ``SAM3Model(mode="instance")``: new-field ``Detections``.

    Args:
        sam3: a ``Sam3Image`` built with ``instance_interactive=True``.
        seg_config: the run's settings (concept-only ones are refused).
        prompt_field: a ``Detections`` field (boxes, plus clicks linked from
            ``point_field``) or a ``Keypoints`` field (clicks only).
        point_field: the ``Keypoints`` field of linked clicks, or ``None``.
        **options: ``InstanceOptions``.

    Returns:
        the ``InstanceJob``.
    """
    opts = InstanceOptions.from_kwargs(**options)
    refused = seg_config.concept_only()
    if refused:
        raise ValueError(f"{', '.join(refused)} only apply to concept mode, not instance mode")
    predictor = InstancePredictor(sam3, seg_config, opts.all_candidates)
    return InstanceJob(predictor, opts, box_field=prompt_field, point_field=point_field)
