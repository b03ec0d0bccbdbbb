"""Public entry points: ``segment`` runs a whole labeling job on a collection."""

from __future__ import annotations

from .config import SegmentConfig
from .engine.concept import ConceptPredictor
from .engine.concept_job import ConceptJob
from .engine.runner import run
from .engine.summary import RunSummary
from .errors import FoSam3Error
from .model.cache import get_model
from .prompts.spec import PromptSpec
from .write import prepare_output_field

MODES = ("concept", "instance")


def segment(
    samples,
    label_field: str,
    text=None,
    text_field: str | None = None,
    box_field: str | None = None,
    point_field: str | None = None,
    mode: str = "concept",
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
    text_hint: bool = True,
    text_and_boxes: bool = False,
    _before_write=None,
    **kwargs,
) -> RunSummary:
    """Segment ``samples`` with SAM3 and write masks into ``label_field``.

    Concept mode (default) finds every instance of each text query
    (``text=[...]`` or ``text_field``) or of each label's exemplar boxes
    (``box_field``; ``sam_label=0`` marks negatives). Instance mode
    (``mode="instance"``) gives each existing detection/keypoint its own mask.

    ``model`` may be any sam3 ``Sam3Image`` (e.g. from ``build_sam3`` or your
    fine-tune); otherwise one is built from ``checkpoint``/``variant``.
    Remaining keyword arguments configure the run (see ``SegmentConfig``):
    ``batch_size``, ``confidence``, ``overwrite``, ``skip_existing``,
    ``output_dir``, ``nms_iou``, ``box_source``, ...

    Returns a ``RunSummary`` (samples done/skipped/failed, labels written).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if samples.media_type != "image":
        raise FoSam3Error(
            f"segment needs an image collection; '{samples._dataset.name}' holds "
            f"{samples.media_type} samples (use fo_sam3.track for videos)"
        )
    config, rest = SegmentConfig.from_kwargs(**kwargs)
    if mode == "instance":
        from .instance.api import segment_instances

        return segment_instances(
            samples, label_field, box_field=box_field, point_field=point_field, model=model,
            checkpoint=checkpoint, variant=variant, device=device, config=config,
            _before_write=_before_write, **rest,
        )
    if rest:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(rest))}")
    if point_field is not None:
        raise ValueError("point prompts are used in instance mode (mode='instance')")
    spec = PromptSpec(text=text, text_field=text_field, box_field=box_field,
                      text_hint=text_hint, text_and_boxes=text_and_boxes)
    spec.validate(samples)
    view, declare = prepare_output_field(samples, label_field, config.overwrite, config.skip_existing)
    already_done = len(samples) - len(view)
    sam3 = get_model(model, checkpoint, variant, device)  # before anything is written
    job = ConceptJob(ConceptPredictor(sam3, config), spec)
    summary = run(view, label_field, job, config, declare=declare, before_write=_before_write)
    summary.skipped += already_done
    return summary
