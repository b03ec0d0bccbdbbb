"""The labeling subcommands: thin shells over ``fo_sam3.segment`` and ``fo_sam3.track``."""

from __future__ import annotations

from ..config import DIRECTIONS
from . import delegate
from .common import UsageError, finish, load_samples, model_kwargs, run_kwargs
from .curation import curation_kwargs
from .subcommand import add_command

DEFAULT_FIELD = "sam3"
FIELD_HELP = f"output Detections field (default {DEFAULT_FIELD})"


def split_text(text: str | None) -> list[str] | None:
    """``"person, car"`` -> ``["person", "car"]`` (empty items dropped).

    Args:
        text: the ``--text`` value, or None

    Returns:
        the list of queries, or None without ``--text``

    Raises:
        UsageError: ``text`` has no non-empty query
    """
    if text is None:
        return None
    from ..prompts.text import split_prompt_text

    items = split_prompt_text(text)
    if not items:
        raise UsageError("--text has no non-empty query")
    return items


def _prompt_group(p, **flags):
    """Adds the "prompts" argument group, with one ``--flag`` per keyword (the value is its help).

    Args:
        p: a subcommand's parser
        **flags: flag names (``box_field`` for ``--box-field``) and their help

    Returns:
        the group, for prompt flags of other kinds
    """
    g = p.add_argument_group("prompts")
    for name, text in flags.items():
        g.add_argument("--" + name.replace("_", "-"), help=text)
    return g


def _field_flag(p, help: str = FIELD_HELP) -> None:
    """Adds ``--field``, the Detections field a command writes (default ``DEFAULT_FIELD``)."""
    p.add_argument("--field", default=DEFAULT_FIELD, help=help)


def _settings(args, **extra) -> tuple[dict, dict, dict]:
    """Reads the curation and run flags of a labeling command.

    Args:
        args: the parsed flags
        **extra: further ``SegmentConfig`` settings (``None`` values dropped)

    Returns:
        ``(clean-up settings, output arguments, run keyword arguments)``: the
        first is part of the last; the last two go to ``fo_sam3.segment``
    """
    config, outputs = curation_kwargs(args)
    return config, outputs, run_kwargs(args, **extra, **config)


def _queue(args, samples, queue, blocked: str = "") -> int:
    """``--delegate``: queues the run as a delegated operation.

    Args:
        args: the parsed flags
        samples: the samples to process
        queue: a function of ``args`` and ``samples`` that queues the operation
        blocked: ("") the flags given that cannot be delegated yet (a usage error)

    Returns:
        the exit code
    """
    if blocked:
        raise UsageError(f"{blocked} cannot be delegated yet")
    return queue(args, samples)


def add_label(sub, parents):
    """Adds ``label``: concept mode (text, exemplar boxes or views), or ``--mode everything``.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: the flags it shares: ``--debug``, samples, model, run, clean-up and outputs
    """
    p = add_command(
        sub, "label", parents, _run_label, help="concept mode: every instance of text or exemplar-box queries",
        description="Find every instance of each text query (--text, --text-field) or of each "
        "label's exemplar boxes (--box-field; boxes with sam_label=0 are negative exemplars).",
    )
    _label_prompts(p)
    p.add_argument("--mode", choices=("concept", "everything"), default="concept",
                   help="everything: segment every object from a grid of clicks (no prompts)")
    p.add_argument("--points-per-side", type=int, help="--mode everything: grid points per side (default 32)")
    p.add_argument("--max-masks", type=int, help="--mode everything: at most this many masks per image")
    _field_flag(p)
    p.add_argument("--nms-iou", type=float, help="class-wise NMS at this mask IoU (default off)")
    p.add_argument("--topk", type=int, metavar="K", help="keep at most K masks per query and image")


def _label_prompts(p) -> None:
    """``label``'s prompts: text, exemplar boxes on each sample, or exemplars from a saved view."""
    g = _prompt_group(p, text="comma-separated text queries, e.g. 'person,car'",
                      text_field="a string, list, Classification(s) or Detections field of text queries",
                      box_field="a Detections field of exemplar boxes, one query per label")
    g.add_argument("--text-and-boxes", action="store_true",
                   help="with --text and --box-field: also send each box label as text")
    g.add_argument("--no-text-hint", action="store_true",
                   help="box queries without their label as text (visual exemplars only)")
    g.add_argument("--exemplars-view", metavar="VIEW",
                   help="a saved view of DATASET whose --exemplar-field boxes are exemplars for every sample (new)")
    g.add_argument("--exemplar-field", help="the Detections field of exemplar boxes on --exemplars-view")
    g.add_argument("--exemplar-label", help="one query with this label from all exemplar boxes "
                   "(default: one per box label)")
    g.add_argument("--max-exemplars", type=int, help="exemplar boxes per query over all reference images (default 16)")


def _exemplar_view(args, samples):
    if bool(args.exemplars_view) != bool(args.exemplar_field):
        raise UsageError("--exemplars-view and --exemplar-field go together")
    if not args.exemplars_view:
        return None
    dataset = samples._dataset
    if not dataset.has_saved_view(args.exemplars_view):
        raise UsageError(f"dataset '{args.dataset}' has no saved view '{args.exemplars_view}'")
    return dataset.load_saved_view(args.exemplars_view)


def _run_label(args) -> int:
    """Runs ``label``: ``fo_sam3.segment`` in concept or everything mode, or queues it."""
    prompted = args.text or args.text_field or args.box_field or args.exemplars_view
    if args.mode == "everything" and prompted:
        raise UsageError("--mode everything takes no prompts")
    if args.mode == "concept" and not prompted:
        raise UsageError("give --text, --text-field, --box-field or --exemplars-view")
    samples = load_samples(args)
    refs = _exemplar_view(args, samples)
    config, outputs, kwargs = _settings(args, nms_iou=args.nms_iou, topk_per_query=args.topk)
    if args.delegate:
        blocked = refs is not None or args.mode == "everything" or config or outputs
        return _queue(args, samples, delegate.queue_label,
                      "--exemplars-view, --mode everything, clean-up, --classes and --output" if blocked else "")
    import fo_sam3

    if args.mode == "everything":
        extra = {k: v for k, v in (("points_per_side", args.points_per_side), ("max_masks", args.max_masks)) if v}
        summary = fo_sam3.segment(samples, args.field, mode="everything", **extra, **outputs,
                                  **model_kwargs(args), **kwargs)
        return finish(args, summary, samples)
    exemplar = {}
    if refs is not None:
        exemplar = dict(exemplars=refs, exemplar_field=args.exemplar_field, label=args.exemplar_label)
        if args.max_exemplars:
            exemplar["max_exemplars"] = args.max_exemplars
    summary = fo_sam3.segment(
        samples, args.field, text=split_text(args.text), text_field=args.text_field, box_field=args.box_field,
        text_hint=not args.no_text_hint, text_and_boxes=args.text_and_boxes,
        **exemplar, **outputs, **model_kwargs(args), **kwargs,
    )
    return finish(args, summary, samples)


def add_refine(sub, parents):
    """Adds ``refine``: more clicks on existing masks.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: ``--debug``, samples, model, run and clean-up flags
    """
    p = add_command(sub, "refine", parents, _run_refine, help="fix masks with more clicks, in place",
                    description="Re-segment each detection of --field that has linked clicks (a Keypoint of "
                    "--point-field with the same index) from its box, clicks and current mask.")
    _field_flag(p, f"the Detections field to refine (default {DEFAULT_FIELD})")
    p.add_argument("--point-field", required=True, help="Keypoints with sam_labels (1 positive, 0 negative)")
    p.add_argument("--link-attr", default="index", help="attribute linking a Keypoint to its Detection (default index)")
    p.add_argument("--keep-boxes", action="store_true", help="keep each box (default: the box follows the refined mask)")


def _run_refine(args) -> int:
    """Runs ``refine``: ``fo_sam3.refine``, in place."""
    if args.overwrite or args.skip_existing:
        raise UsageError("refine always writes in place; --overwrite/--skip-existing do not apply")
    samples = load_samples(args)
    _, _, kwargs = _settings(args)
    import fo_sam3

    summary = fo_sam3.refine(samples, args.field, args.point_field, link_attr=args.link_attr,
                             tighten_boxes=not args.keep_boxes, **model_kwargs(args), **kwargs)
    return finish(args, summary, samples)


def add_instances(sub, parents):
    """Adds ``instances``, instance mode: one mask per box or Keypoint.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: as for ``label``, with the outputs of instance mode
    """
    p = add_command(
        sub, "instances", parents, _run_instances,
        help="instance mode: one mask per existing box or keypoints label",
        description="Give each detection of --box-field and/or each Keypoint of --point-field its own "
        "mask (points: the sam_labels attribute holds 1 positive / 0 negative per point).",
    )
    _prompt_group(p, box_field="a Detections field: one mask per box",
                  point_field="a Keypoints field: one mask per Keypoint")
    _field_flag(p)


def _run_instances(args) -> int:
    """Runs ``instances``: ``fo_sam3.segment(mode="instance")``, or queues it."""
    if not (args.box_field or args.point_field):
        raise UsageError("give --box-field and/or --point-field")
    samples = load_samples(args)
    config, outputs, kwargs = _settings(args)
    if args.delegate:
        return _queue(args, samples, delegate.queue_instances, "clean-up and --output" if config or outputs else "")
    import fo_sam3

    summary = fo_sam3.segment(
        samples, args.field, mode="instance", box_field=args.box_field, point_field=args.point_field,
        **outputs, **model_kwargs(args), **kwargs,
    )
    return finish(args, summary, samples)


def add_track(sub, parents):
    """Adds ``track``: prompt one frame of each video and track the objects through it.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: as for ``refine``, with run flags for video (no image batches)
    """
    p = add_command(
        sub, "track", parents, _run_track, help="video: track text queries, boxes or points through each video",
        description="Prompt one frame of each video (--frame) with text, boxes or points and track "
        "the objects through the video into a frame-level Detections field.",
    )
    g = _prompt_group(p, text="one text concept; every instance of it is tracked",
                      box_field="a frame-level Detections field holding the prompt boxes",
                      point_field="a frame-level Keypoints field holding the prompt points")
    g.add_argument("--frame", type=int, default=1, help="frame number (1-based) holding the prompts (default 1)")
    g.add_argument("--direction", choices=DIRECTIONS, default="both",
                   help="which way to propagate from --frame (default both)")
    _field_flag(p, f"output frame-level Detections field (default frames.{DEFAULT_FIELD})")


def _run_track(args) -> int:
    """Runs ``track``: ``fo_sam3.track``, or queues it."""
    if not (args.text or args.box_field or args.point_field):
        raise UsageError("give --text, --box-field or --point-field")
    if args.text is not None and (not args.text.strip() or "," in args.text):
        raise UsageError("track takes one non-empty text concept per run (no commas)")
    if args.frame < 1:
        raise UsageError("--frame is a 1-based frame number")
    samples = load_samples(args)
    config, _, kwargs = _settings(args)
    if args.delegate:
        return _queue(args, samples, delegate.queue_track, "clean-up" if config else "")
    import fo_sam3

    summary = fo_sam3.track(
        samples, args.field, text=args.text.strip() if args.text else None, box_field=args.box_field,
        point_field=args.point_field, prompt_frame=args.frame, direction=args.direction,
        **model_kwargs(args), **kwargs,
    )
    return finish(args, summary, samples)
