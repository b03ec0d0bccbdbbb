"""``refine``: fix existing masks with more clicks, in place.

Each detection with linked clicks (a ``Keypoint`` whose ``link_attr``, by
default ``index``, equals the detection's) is segmented again from its box,
its clicks and its current mask (as SAM's mask prompt, see
``instance.mask_input``). The new mask replaces the old one; the detection
keeps its id, label and other attributes and gains ``refined=True``.
Detections without clicks are not touched.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import fiftyone as fo

from ..config import SegmentConfig
from ..engine.data import LoadedImage
from ..engine.runner import run
from ..engine.summary import RunSummary
from ..errors import NoPromptError
from ..model.cache import get_model
from ..prompts.spec import check_field
from ..prompts.types import ImageTask
from ..write.masks import MaskStore
from ..write.updates import Update
from .job import InstanceJob
from .options import InstanceOptions
from .predictor import InstanceMask, InstancePredictor
from .prompts import InstancePrompt, box_prompts

REFINED_ATTR = "refined"


def refine_prompts(sample, field: str, point_field: str, options: InstanceOptions,
                   counts: Counter) -> list[InstancePrompt]:
    """One prompt per detection of ``sample[field]`` with linked clicks, carrying its current mask.

    Args:
        sample: a ``fiftyone.core.sample.Sample``.
        field: its ``Detections`` field.
        point_field: its ``Keypoints`` field of clicks.
        options: how clicks link to detections (``link_attr``).
        counts: tallies of what was skipped (updated).

    Returns:
        the ``InstancePrompt``s; raises ``NoPromptError`` when no detection
        has clicks.
    """
    prompts = box_prompts(sample, field, point_field, options, False, counts)
    dets = {d.id: d for d in sample[field].detections}
    out = []
    for p in prompts:
        if not len(p.points):
            counts["unclicked"] += 1
            continue
        det = dets[p.source_id]
        mask = det.get_mask() if det.has_mask else None
        box = tuple(float(v) for v in det.bounding_box)
        out.append(dataclasses.replace(p, mask=mask, mask_box=box if mask is not None else None))
    if not out:
        raise NoPromptError(f"sample {sample.id}: no detection of '{field}' has linked clicks in '{point_field}'")
    return out


class RefineJob(InstanceJob):
    """``InstanceJob`` in place, prompting only clicked detections, with their masks.

    Args:
        predictor: the ``InstancePredictor``.
        options: the instance options.
        field: the ``Detections`` field to refine.
        point_field: the ``Keypoints`` field of clicks.
    """

    def __init__(self, predictor: InstancePredictor, options: InstanceOptions, field: str, point_field: str):
        super().__init__(predictor, options, field, point_field, in_place=True, overwrite=True)

    def task(self, sample) -> ImageTask[InstancePrompt]:
        """The sample's task: one prompt per clicked detection.

        Args:
            sample: a ``fiftyone.core.sample.Sample``.

        Returns:
            the ``ImageTask``.
        """
        prompts = refine_prompts(sample, self.box_field, self.point_field, self.options, self.counts)
        return ImageTask(sample.id, sample.filepath, tuple(prompts))

    def encode(self, item: LoadedImage, found: list[InstanceMask], store: MaskStore) -> Update:
        """``InstanceJob.encode``, each patch also marked ``refined=True``.

        Args:
            item, found, store: as for ``InstanceJob.encode``.

        Returns:
            the ``Update`` (patches only: refine writes in place).
        """
        update = super().encode(item, found, store)
        for attrs in update.patches.values():
            attrs[REFINED_ATTR] = True
        return update

    def notes(self) -> list[str]:
        """``InstanceJob.notes`` plus the detections left without clicks.

        Returns:
            the notes, in words.
        """
        n = self.counts["unclicked"]
        left = [f"{n} detections had no linked clicks and were left as they were"] if n else []
        return super().notes() + left


def refine(
    samples,
    label_field: str,
    point_field: str,
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
    _before_write=None,
    **kwargs,
) -> RunSummary:
    """Refine the masks of ``label_field`` with the clicks of ``point_field``, in place.

    Args:
        samples: the image collection.
        label_field: a ``Detections`` field (masks to refine).
        point_field: a ``Keypoints`` field of clicks (``sam_labels``: 1
            positive, 0 negative), linked to detections by ``link_attr``.
        model / checkpoint / variant / device: the SAM3 model (see ``segment``).
        **kwargs: ``SegmentConfig`` settings (``batch_size``, ``confidence``:
            masks whose ``sam_score`` is below it are not written,
            ``output_dir``, ...) and ``link_attr``, ``tighten_boxes`` (default
            True: the box follows the refined mask), ``score_attr``.

    Returns:
        the ``RunSummary``; ``detections`` counts the refined masks.
    """
    config, rest = SegmentConfig.from_kwargs(**kwargs)
    for name in ("all_candidates", "source_attr"):
        if name in rest:
            raise TypeError(f"refine does not take {name} (it writes in place, one mask per detection)")
    opts = InstanceOptions.from_kwargs(**{"tighten_boxes": True, **rest})
    refused = config.concept_only() + [n for n in ("overwrite", "skip_existing") if getattr(config, n)]
    if refused:
        raise ValueError(f"refine does not take {', '.join(refused)} (it always writes in place)")
    check_field(samples, label_field, (fo.Detections,))
    check_field(samples, point_field, (fo.Keypoints,))
    sam3 = get_model(model, checkpoint, variant, device, instance_interactive=True)
    job = RefineJob(InstancePredictor(sam3, config), opts, label_field, point_field)
    summary = run(samples, label_field, job, config, before_write=_before_write)
    summary.notes += job.notes()
    return summary
