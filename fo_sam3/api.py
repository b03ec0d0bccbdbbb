"""Public entry points: ``segment`` runs a whole labeling job on a collection."""

from __future__ import annotations

import fiftyone as fo
from fiftyone import ViewField as F

from .concept.exemplars import DEFAULT_MAX_EXEMPLARS, ExemplarPredictor, ExemplarSource, encode_exemplars
from .concept.job import ConceptJob
from .concept.predictor import ConceptPredictor
from .config import MODES, SegmentConfig
from .engine.runner import run
from .engine.summary import RunSummary
from .errors import FoSam3Error
from .model.cache import get_model
from .prompts.spec import PromptSpec, check_field
from .prompts.text import clean_texts
from .write import prepare_output_field
from .write.formats import check_outputs, parse_outputs, write_outputs


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
    exemplars=None,
    exemplar_field: str | None = None,
    label: str | None = None,
    max_exemplars: int | None = None,
    output="detections",
    tolerance: float | None = None,
    _before_write=None,
    **kwargs,
) -> RunSummary:
    """Segment ``samples`` with SAM3 and write masks into ``label_field``.

    Concept mode (default) finds every instance of each text query
    (``text=[...]`` or ``text_field``) or of each label's exemplar boxes
    (``box_field``; ``sam_label=0`` marks negatives). Instance mode
    (``mode="instance"``) gives each existing detection/keypoint its own mask.

    Exemplars from other images (new; quality with the real weights is yet
    to be measured): ``exemplars`` is a collection of reference images whose
    ``exemplar_field`` boxes (``sam_label=0``: negative) are encoded once and
    searched for in every sample, one query per box label, or one query
    ``label`` from all boxes; at most ``max_exemplars`` boxes per query
    (default 16); the label is also sent as text unless ``text_hint=False``.
    They combine with ``text``/``text_field``/``box_field``.

    ``mode="everything"`` segments every object from a grid of clicks into
    ``label`` (default ``"object"``) detections; options ``points_per_side``,
    ``stability_thresh``, ``stability_offset``, ``max_masks``; ``confidence``
    is the minimum predicted IoU (0.88) and ``nms_iou`` the mask NMS IoU (0.7)
    (see ``instance.everything``).

    ``model`` may be any sam3 ``Sam3Image`` (e.g. from ``build_sam3`` or your
    fine-tune); otherwise one is built from ``checkpoint``/``variant``.
    Remaining keyword arguments configure the run (see ``SegmentConfig``):
    ``batch_size``, ``confidence``, ``overwrite``, ``skip_existing``,
    ``output_dir``, ``nms_iou``, ``box_source``, ...

    ``output`` names what to write (one or a list): ``"detections"``
    (``label_field``, always written), ``"segmentation"`` (a semantic
    ``Segmentation`` in ``<label_field>_seg``), ``"polylines"`` (``Polylines``
    in ``<label_field>_polylines``, traced at ``tolerance`` pixels, default
    2) and ``"rle"`` (each detection's COCO RLE in its ``rle`` attribute);
    see ``fo_sam3.write.formats``.

    Args:
        samples: an image ``Dataset`` or view.
        label_field: the ``Detections`` field to write (instance mode: ``None``
            or ``box_field`` writes the masks into the box field's detections).
        text: one text query or a list of them (concept mode).
        text_field: a per-sample field holding the text queries.
        box_field: a ``Detections`` field of prompt boxes (concept mode:
            exemplars per label; instance mode: one mask per box).
        point_field: a ``Keypoints`` field of clicks (instance mode only).
        mode: ``"concept"``, ``"instance"`` or ``"everything"``.
        model / checkpoint / variant / device: a sam3 ``Sam3Image``, or how
            to build one (see ``model.cache.get_model``).
        text_hint: also send each box or exemplar label as text.
        text_and_boxes: allow ``text`` with ``box_field`` (each box label is
            then also asked as a text-only query).
        exemplars: a collection of reference images (concept mode).
        exemplar_field: the ``Detections`` field of exemplar boxes on
            ``exemplars``.
        label: the one exemplar query's label, or the label of
            ``mode="everything"`` masks.
        max_exemplars: the most exemplar boxes per query (default 16).
        output: one output name or a list of them (see above).
        tolerance: the polyline tracing tolerance, in pixels (default 2).
        **kwargs: ``SegmentConfig`` settings, and the options of
            ``mode="instance"``/``"everything"``.

    Returns:
        a ``RunSummary`` (samples done/skipped/failed, labels written).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if samples.media_type != "image":
        raise FoSam3Error(
            f"segment needs an image collection; '{samples._dataset.name}' holds "
            f"{samples.media_type} samples (use fo_sam3.track for videos)"
        )
    config, rest = SegmentConfig.from_kwargs(**kwargs)
    outputs, tolerance = parse_outputs(output, tolerance)
    target = box_field if mode == "instance" and label_field in (None, box_field) else label_field
    todo = _todo(samples, target, outputs, config)
    if exemplars is None and (exemplar_field is not None or max_exemplars is not None):
        raise ValueError("exemplar_field and max_exemplars need exemplars=<reference view>")
    if exemplars is not None and mode != "concept":
        raise ValueError("exemplars are concept-mode prompts (mode='concept')")
    if label is not None and exemplars is None and mode != "everything":
        raise ValueError("label names the exemplar query (exemplars=...) or the masks of mode='everything'")
    if mode == "everything":
        from .instance.everything import segment_everything

        given = [n for n, v in (("text", text), ("text_field", text_field), ("box_field", box_field),
                                ("point_field", point_field)) if v is not None]
        if given:
            raise ValueError(f"mode='everything' takes no prompts; got {', '.join(given)}")
        extra = {} if label is None else {"label": label}
        summary = segment_everything(samples, label_field, model=model, checkpoint=checkpoint, variant=variant,
                                     device=device, config=config, _before_write=_before_write, **extra, **rest)
        return _derive(summary, todo, target, outputs, tolerance, config)
    if mode == "instance":
        from .instance.api import segment_instances

        summary = segment_instances(
            samples, label_field, box_field=box_field, point_field=point_field, model=model,
            checkpoint=checkpoint, variant=variant, device=device, config=config,
            _before_write=_before_write, **rest,
        )
        return _derive(summary, todo, target, outputs, tolerance, config)
    if rest:
        raise TypeError(f"unexpected arguments: {', '.join(sorted(rest))}")
    if point_field is not None:
        raise ValueError("point prompts are used in instance mode (mode='instance')")
    _check_prompt_keys(config, text, text_field, box_field, exemplars)
    args = dict(text=text, text_field=text_field, box_field=box_field, text_hint=text_hint,
                text_and_boxes=text_and_boxes)
    source = None
    if exemplars is None or any(v is not None for v in (text, text_field, box_field)):
        PromptSpec(**args).validate(samples)  # bad prompts fail before the model loads
    if exemplars is not None:
        if not exemplar_field:
            raise ValueError("give exemplar_field: the Detections field of exemplar boxes on the reference samples")
        if exemplars.media_type != "image":
            raise FoSam3Error("exemplars must be an image collection")
        check_field(exemplars, exemplar_field, (fo.Detections,))
        cap = DEFAULT_MAX_EXEMPLARS if max_exemplars is None else max_exemplars
        source = ExemplarSource(exemplars, exemplar_field, label, text_hint, cap)
    view, declare = prepare_output_field(samples, label_field, config.overwrite, config.skip_existing)
    already_done = len(samples) - len(view)
    sam3 = get_model(model, checkpoint, variant, device)  # before anything is written
    if source is None:
        predictor, notes = ConceptPredictor(sam3, config), []
    else:
        bank = encode_exemplars(sam3, source)  # once per run, before any target image
        predictor, notes = ExemplarPredictor(sam3, bank, config), bank.notes
        args["exemplar_queries"] = bank.queries
    job = ConceptJob(predictor, PromptSpec(**args))
    summary = run(view, label_field, job, config, declare=declare, before_write=_before_write)
    summary.skipped += already_done
    summary.notes += notes
    return _derive(summary, todo, label_field, outputs, tolerance, config)


def _check_prompt_keys(config, text, text_field, box_field, exemplars) -> None:
    """Refuse ``confidence``/``classes`` keys that name none of the ``text`` prompts (when those are all)."""
    if text is None or text_field or box_field or exemplars is not None:
        return
    unknown = config.prompt_keys() - set(clean_texts([text] if isinstance(text, str) else text, "text"))
    if unknown:
        raise ValueError(f"confidence/classes name prompts that are not in text: {', '.join(sorted(unknown))}")


def _todo(samples, field, outputs, config):
    """The samples whose derived outputs a run will write (``None``: no derived output).

    Derived fields are checked here, before anything is written.
    """
    if outputs == ("detections",) or not field:
        return None  # (no field: the mode refuses the call itself)
    check_outputs(samples, field, outputs, config.overwrite, config.skip_existing)
    if config.skip_existing and samples._dataset.has_field(field):
        return samples.select(samples.match(F(field) == None).values("id"))  # noqa: E711
    return samples


def _derive(summary: RunSummary, todo, field, outputs, tolerance, config) -> RunSummary:
    """Write the derived outputs of the samples the run labeled (a post-pass)."""
    if todo is not None and summary.done:
        progress = None if config.progress is True else config.progress
        summary.notes += write_outputs(todo, field, outputs, tolerance, config.output_dir, progress=progress)
    return summary


def refine(samples, label_field: str, point_field: str, **kwargs) -> RunSummary:
    """Refine the masks of ``label_field`` with the clicks of ``point_field``, in place.

    Each detection with linked clicks (a ``Keypoint`` whose ``index`` equals
    the detection's; ``sam_labels`` 1 positive, 0 negative) is segmented
    again from its box, clicks and current mask, and gains ``refined=True``;
    other detections are untouched. See ``instance.refine.refine`` for the
    keyword arguments (model, ``SegmentConfig`` settings, ``link_attr``, ...).

    Args:
        samples: an image ``Dataset`` or view.
        label_field: the ``Detections`` field whose masks are refined.
        point_field: the ``Keypoints`` field of clicks.
        **kwargs: see ``instance.refine.refine``.

    Returns:
        the ``RunSummary``.
    """
    from .instance.refine import refine as _refine

    if samples.media_type != "image":
        raise FoSam3Error(f"refine needs an image collection; '{samples._dataset.name}' holds "
                          f"{samples.media_type} samples")
    return _refine(samples, label_field, point_field, **kwargs)
