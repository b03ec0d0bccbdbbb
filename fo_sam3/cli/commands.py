"""The labeling subcommands: thin shells over ``fo_sam3.segment`` and ``fo_sam3.track``."""

from __future__ import annotations

from . import delegate
from .common import UsageError, finish, load_samples, model_kwargs, run_kwargs
from .curation import curation_kwargs

DEFAULT_FIELD = "sam3"


def split_text(text: str | None) -> list[str] | None:
    """``"person, car"`` -> ``["person", "car"]`` (empty items dropped)."""
    if text is None:
        return None
    from ..prompts.text import split_prompt_text

    items = split_prompt_text(text)
    if not items:
        raise UsageError("--text has no non-empty query")
    return items


def add_label(sub, parents):
    p = sub.add_parser(
        "label", parents=parents, help="concept mode: every instance of text or exemplar-box queries",
        description="Find every instance of each text query (--text, --text-field) or of each "
        "label's exemplar boxes (--box-field; boxes with sam_label=0 are negative exemplars).",
    )
    g = p.add_argument_group("prompts")
    g.add_argument("--text", help="comma-separated text queries, e.g. 'person,car'")
    g.add_argument("--text-field", help="a string, list, Classification(s) or Detections field of text queries")
    g.add_argument("--box-field", help="a Detections field of exemplar boxes, one query per label")
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
    p.add_argument("--mode", choices=("concept", "everything"), default="concept",
                   help="everything: segment every object from a grid of clicks (no prompts)")
    p.add_argument("--points-per-side", type=int, help="--mode everything: grid points per side (default 32)")
    p.add_argument("--max-masks", type=int, help="--mode everything: at most this many masks per image")
    p.add_argument("--field", default=DEFAULT_FIELD, help=f"output Detections field (default {DEFAULT_FIELD})")
    p.add_argument("--nms-iou", type=float, help="class-wise NMS at this mask IoU (default off)")
    p.add_argument("--topk", type=int, metavar="K", help="keep at most K masks per query and image")
    p.set_defaults(handler=run_label)


def _exemplar_view(args, samples):
    if bool(args.exemplars_view) != bool(args.exemplar_field):
        raise UsageError("--exemplars-view and --exemplar-field go together")
    if not args.exemplars_view:
        return None
    dataset = samples._dataset
    if not dataset.has_saved_view(args.exemplars_view):
        raise UsageError(f"dataset '{args.dataset}' has no saved view '{args.exemplars_view}'")
    return dataset.load_saved_view(args.exemplars_view)


def run_label(args) -> int:
    prompted = args.text or args.text_field or args.box_field or args.exemplars_view
    if args.mode == "everything" and prompted:
        raise UsageError("--mode everything takes no prompts")
    if args.mode == "concept" and not prompted:
        raise UsageError("give --text, --text-field, --box-field or --exemplars-view")
    samples = load_samples(args)
    refs = _exemplar_view(args, samples)
    config, outputs = curation_kwargs(args)
    kwargs = run_kwargs(args, nms_iou=args.nms_iou, topk_per_query=args.topk, **config)
    if args.delegate:
        if refs is not None or args.mode == "everything" or config or outputs:
            raise UsageError("--exemplars-view, --mode everything, clean-up, --classes and --output "
                             "cannot be delegated yet")
        return delegate.queue_label(args, samples)
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
    p = sub.add_parser("refine", parents=parents, help="fix masks with more clicks, in place",
                       description="Re-segment each detection of --field that has linked clicks (a Keypoint of "
                       "--point-field with the same index) from its box, clicks and current mask.")
    p.add_argument("--field", default=DEFAULT_FIELD, help=f"the Detections field to refine (default {DEFAULT_FIELD})")
    p.add_argument("--point-field", required=True, help="Keypoints with sam_labels (1 positive, 0 negative)")
    p.add_argument("--link-attr", default="index", help="attribute linking a Keypoint to its Detection (default index)")
    p.add_argument("--keep-boxes", action="store_true", help="keep each box (default: the box follows the refined mask)")
    p.set_defaults(handler=run_refine)


def run_refine(args) -> int:
    if args.overwrite or args.skip_existing:
        raise UsageError("refine always writes in place; --overwrite/--skip-existing do not apply")
    samples = load_samples(args)
    config, _ = curation_kwargs(args)
    kwargs = run_kwargs(args, **config)
    import fo_sam3

    summary = fo_sam3.refine(samples, args.field, args.point_field, link_attr=args.link_attr,
                             tighten_boxes=not args.keep_boxes, **model_kwargs(args), **kwargs)
    return finish(args, summary, samples)


def add_instances(sub, parents):
    p = sub.add_parser(
        "instances", parents=parents, help="instance mode: one mask per existing box or keypoints label",
        description="Give each detection of --box-field and/or each Keypoint of --point-field its own "
        "mask (points: the sam_labels attribute holds 1 positive / 0 negative per point).",
    )
    g = p.add_argument_group("prompts")
    g.add_argument("--box-field", help="a Detections field: one mask per box")
    g.add_argument("--point-field", help="a Keypoints field: one mask per Keypoint")
    p.add_argument("--field", default=DEFAULT_FIELD, help=f"output Detections field (default {DEFAULT_FIELD})")
    p.set_defaults(handler=run_instances)


def run_instances(args) -> int:
    if not (args.box_field or args.point_field):
        raise UsageError("give --box-field and/or --point-field")
    samples = load_samples(args)
    config, outputs = curation_kwargs(args)
    kwargs = run_kwargs(args, **config)
    if args.delegate:
        if config or outputs:
            raise UsageError("clean-up and --output cannot be delegated yet")
        return delegate.queue_instances(args, samples)
    import fo_sam3

    summary = fo_sam3.segment(
        samples, args.field, mode="instance", box_field=args.box_field, point_field=args.point_field,
        **outputs, **model_kwargs(args), **kwargs,
    )
    return finish(args, summary, samples)


def add_track(sub, parents):
    p = sub.add_parser(
        "track", parents=parents, help="video: track text queries, boxes or points through each video",
        description="Prompt one frame of each video (--frame) with text, boxes or points and track "
        "the objects through the video into a frame-level Detections field.",
    )
    g = p.add_argument_group("prompts")
    g.add_argument("--text", help="one text concept; every instance of it is tracked")
    g.add_argument("--box-field", help="a frame-level Detections field holding the prompt boxes")
    g.add_argument("--point-field", help="a frame-level Keypoints field holding the prompt points")
    g.add_argument("--frame", type=int, default=1, help="frame number (1-based) holding the prompts (default 1)")
    g.add_argument("--direction", choices=("forward", "backward", "both"), default="both",
                   help="which way to propagate from --frame (default both)")
    p.add_argument("--field", default=DEFAULT_FIELD,
                   help=f"output frame-level Detections field (default frames.{DEFAULT_FIELD})")
    p.set_defaults(handler=run_track)


def run_track(args) -> int:
    if not (args.text or args.box_field or args.point_field):
        raise UsageError("give --text, --box-field or --point-field")
    if args.text is not None and (not args.text.strip() or "," in args.text):
        raise UsageError("track takes one non-empty text concept per run (no commas)")
    if args.frame < 1:
        raise UsageError("--frame is a 1-based frame number")
    samples = load_samples(args)
    config, _ = curation_kwargs(args)
    kwargs = run_kwargs(args, **config)
    if args.delegate:
        if config:
            raise UsageError("clean-up cannot be delegated yet")
        return delegate.queue_track(args, samples)
    import fo_sam3

    summary = fo_sam3.track(
        samples, args.field, text=args.text.strip() if args.text else None, box_field=args.box_field,
        point_field=args.point_field, prompt_frame=args.frame, direction=args.direction,
        **model_kwargs(args), **kwargs,
    )
    return finish(args, summary, samples)
