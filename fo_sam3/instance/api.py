"""``segment_instances``: a mask for every existing detection and keypoint click."""

from __future__ import annotations

import fiftyone as fo

from ..config import SegmentConfig
from ..engine.runner import run
from ..engine.summary import RunSummary
from ..errors import PromptError
from ..model.cache import get_model
from ..prompts.spec import check_field
from ..write import prepare_output_field
from .job import InstanceJob
from .options import InstanceOptions
from .predictor import InstancePredictor


def segment_instances(
    samples,
    label_field: str | None = None,
    box_field: str | None = None,
    point_field: str | None = None,
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
    config: SegmentConfig | None = None,
    _before_write=None,
    **options,
) -> RunSummary:
    """Segment each detection of ``box_field`` (and/or each keypoint of ``point_field``).

    Boxes are relative ``[x, y, w, h]`` (clipped to the image; degenerate ones
    are skipped with a warning); keypoints are relative ``(x, y)`` with
    ``sam_labels`` polarity (1 positive, 0 negative). A keypoint whose
    ``link_attr`` (default ``index``) equals a detection's adds its clicks to
    that box; in a keypoint-only run each keypoint (group) is one prompt.

    ``label_field`` equal to ``box_field`` (or ``None``) writes in place: each
    detection keeps its id, label and attributes and gains ``mask`` (cropped
    to its box) and ``score_attr``; detections that already have a mask are
    left alone unless ``overwrite=True``. Any other ``label_field`` receives
    copies with masks whose ``source_attr`` holds the source label id.

    Args:
        samples: the image collection.
        label_field: the output field (``None`` or ``box_field``: in place).
        box_field: a ``Detections`` field of boxes.
        point_field: a ``Keypoints`` field of clicks.
        model / checkpoint / variant / device: the SAM3 model (see ``segment``).
        config: batches and writes the run (``batch_size`` images share one
            backbone pass; ``max_queries`` prompts per decoder call;
            ``confidence`` drops masks whose ``sam_score`` is below it;
            ``output_dir`` writes PNGs). Concept-only settings (``topk_*``,
            ``nms_*``, ``box_source``) are refused.
        **options: ``InstanceOptions`` (``link_attr``, ``all_candidates``,
            ``tighten_boxes``, ``score_attr``, ``source_attr``).

    Returns:
        the ``RunSummary``.
    """
    config = config or SegmentConfig()
    opts = InstanceOptions.from_kwargs(**options)
    refused = config.concept_only()
    if refused:
        raise ValueError(f"{', '.join(refused)} only apply to concept mode, not instance mode")
    if not box_field and not point_field:
        raise PromptError("instance mode needs box_field=... (Detections) and/or point_field=... (Keypoints)")
    if box_field:
        check_field(samples, box_field, (fo.Detections,))
    if point_field:
        check_field(samples, point_field, (fo.Keypoints,))
    in_place = bool(box_field) and label_field in (None, box_field)
    if not in_place and (not label_field or label_field == point_field):
        raise ValueError("give label_field: a new Detections field (or box_field itself, to write in place)")
    view, declare, already_done = samples, None, 0
    if not in_place:
        view, declare = prepare_output_field(samples, label_field, config.overwrite, config.skip_existing)
        already_done = len(samples) - len(view)  # before the run fills the field
    sam3 = get_model(model, checkpoint, variant, device, instance_interactive=True)  # before any write
    predictor = InstancePredictor(sam3, config, opts.all_candidates)
    job = InstanceJob(predictor, opts, box_field, point_field, in_place=in_place, overwrite=config.overwrite)
    summary = run(view, box_field if in_place else label_field, job, config, declare=declare,
                  before_write=_before_write)
    summary.skipped += already_done
    summary.notes += job.notes()
    return summary
