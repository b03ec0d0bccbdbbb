"""``evaluate`` and ``export`` (shells over ``fo_sam3.curation``), and the curation
flags of the labeling commands (clean-up, per-prompt thresholds, outputs).

Exit codes: 0 ok; 2 usage error (unknown dataset or field, a field without
masks, bad option).
"""

from __future__ import annotations

import argparse
import contextlib
import logging

from .subcommand import add_command, add_json_flag, print_result


def cleanup_parser() -> argparse.ArgumentParser:
    """Parent parser: ``--min-area``, ``--fill-holes [N]``, ``--largest-component`` (every mode).

    Returns:
        an ``argparse.ArgumentParser`` without ``--help``
    """
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("mask clean-up")
    g.add_argument("--min-area", type=float, metavar="A",
                   help="drop mask pieces under A pixels (below 1: a fraction of the box)")
    g.add_argument("--fill-holes", type=int, nargs="?", const=True, metavar="N",
                   help="fill holes in masks (only holes up to N pixels, if given)")
    g.add_argument("--largest-component", action="store_true", help="keep only the largest piece of each mask")
    return p


def output_parser(concept: bool = True) -> argparse.ArgumentParser:
    """Parent parser: ``--output``, ``--tolerance``; with ``concept``, ``--classes`` and ``--nms-across-prompts``.

    Args:
        concept: (True) add the concept-mode flags

    Returns:
        an ``argparse.ArgumentParser`` without ``--help``
    """
    from ..config import OUTPUTS

    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("outputs")
    g.add_argument("--output", nargs="+", choices=OUTPUTS, metavar="KIND",
                   help=f"what to write, one or more of {', '.join(OUTPUTS)} (detections always; "
                   "segmentation: FIELD_seg, polylines: FIELD_polylines, rle: an rle attribute)")
    g.add_argument("--tolerance", type=float, help="polyline tolerance in pixels (default 2)")
    if concept:
        g.add_argument("--classes", type=mapping_arg, metavar="PROMPT=LABEL,...",
                       help="labels written for prompts, e.g. 'red car=car,blue car=car'")
        g.add_argument("--nms-across-prompts", action="store_true",
                       help="with --nms-iou: suppress overlaps across prompts too")
    return p


def confidence_arg(text: str):
    """``--confidence``: ``0.4``, or per prompt ``person=0.3,default=0.5``.

    Args:
        text: the flag's value

    Returns:
        a float, or a dict mapping prompts (and ``default``) to floats
    """
    if "=" not in text:
        return float(text)
    return {k: float(v) for k, v in mapping_arg(text).items()}


def mapping_arg(text: str) -> dict[str, str]:
    """``"a=b, c d=e"`` -> ``{"a": "b", "c d": "e"}`` (whitespace collapsed).

    Args:
        text: the flag's value

    Returns:
        a dict

    Raises:
        argparse.ArgumentTypeError: an item is not ``KEY=VALUE``
    """
    out = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key, value = " ".join(key.split()), value.strip()
        if not sep or not key or not value:
            raise argparse.ArgumentTypeError(f"expected KEY=VALUE items separated by commas, got {item!r}")
        out[key] = value
    return out


def curation_kwargs(args) -> tuple[dict, dict]:
    """``(SegmentConfig settings, segment output arguments)`` from the flags given.

    Pass the first to ``run_kwargs`` (which validates it), the second to
    ``fo_sam3.segment``.

    Args:
        args: the parsed flags (those a command lacks count as not given)

    Returns:
        the tuple of two dicts

    Raises:
        UsageError: bad outputs (exit 2)
    """
    from ..write.formats import parse_outputs
    from .common import UsageError

    config = {"min_area": getattr(args, "min_area", None), "fill_holes": getattr(args, "fill_holes", None),
              "largest_component": getattr(args, "largest_component", False) or None,
              "classes": getattr(args, "classes", None),
              "nms_across_prompts": getattr(args, "nms_across_prompts", False) or None}
    output = {"output": getattr(args, "output", None), "tolerance": getattr(args, "tolerance", None)}
    output = {k: v for k, v in output.items() if v is not None}
    try:
        parse_outputs(output.get("output", "detections"), output.get("tolerance"))
    except ValueError as e:
        raise UsageError(str(e)) from e
    return {k: v for k, v in config.items() if v is not None}, output


def add_evaluate(sub, parents):
    """Adds ``evaluate``: mask AP, precision and recall per class.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: ``--debug`` and the samples' flags (``collection_parser``)
    """
    p = add_command(
        sub, "evaluate", parents, _run_evaluate,
        help="COCO-style mask AP, precision and recall per class, as a table",
        description="Evaluate one or more prediction fields against a ground-truth field with FiftyOne's "
        "evaluate_detections (use_masks=True, COCO mAP). Prints one table per prediction field: "
        "class, AP (IoU 0.50:0.95), precision, recall, support; then mAP. Give two SAM3 fields to "
        "--pred-field to compare runs, or a SAM3 field as --gt-field to measure agreement.",
    )
    p.add_argument("--pred-field", nargs="+", required=True, metavar="FIELD",
                   help="Detections field(s) to evaluate (several: one table each)")
    p.add_argument("--gt-field", required=True, metavar="FIELD", help="ground-truth Detections field")
    p.add_argument("--boxes", action="store_true", help="match on box IoU instead of mask IoU")
    p.add_argument("--iou", type=float, default=0.5, help="IoU for precision and recall (default 0.5)")
    p.add_argument("--eval-key", help="store the evaluation on the dataset under this key")
    p.add_argument("--plot", metavar="PNG", help="save the precision-recall curves to this PNG file")
    add_json_flag(p, "metrics")


def _run_evaluate(args) -> int:
    """Prints the evaluation table (or JSON)."""
    from ..curation import evaluate

    report = _quietly(args, lambda samples, progress: evaluate(
        samples, args.pred_field, args.gt_field, use_masks=not args.boxes, iou=args.iou, eval_key=args.eval_key,
        plot=args.plot, progress=progress))
    text = report.table() + (f"\nPR curves: {args.plot}" if args.plot else "")
    print_result(args, {**report.as_dict(), "plot": args.plot}, text)
    return 0


def add_export(sub, parents):
    """Adds ``export``: a Detections field and its masks, in COCO, YOLO-seg or CVAT format.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: the same as ``evaluate``'s
    """
    from ..config import EXPORT_FORMATS as FORMATS

    p = add_command(
        sub, "export", parents, _run_export,
        help="export a Detections field with its masks (COCO, YOLO-seg, CVAT)",
        description="Export with FiftyOne's exporters, masks included: coco (polygons, or exact RLE with "
        "--rle), yolo-seg (YOLOv5 polygons), cvat (CVAT image XML polygons).",
    )
    p.add_argument("--field", required=True, help="the Detections field to export")
    p.add_argument("--format", choices=FORMATS, default="coco", help="default coco")
    p.add_argument("--export-dir", required=True, metavar="DIR", help="output directory")
    p.add_argument("--rle", action="store_true", help="coco: masks as COCO RLE (exact) instead of polygons")
    p.add_argument("--tolerance", type=float, help="polygon tolerance in pixels (default: exact for coco, 2 else)")
    p.add_argument("--no-media", action="store_true", help="write labels only, do not copy the images")
    p.add_argument("--overwrite", action="store_true", help="delete DIR first")
    add_json_flag(p, "result")


def _run_export(args) -> int:
    """Exports and prints one summary line (or JSON)."""
    from ..curation import export

    out = _quietly(args, lambda samples, progress: export(
        samples, args.field, args.export_dir, format=args.format, rle=args.rle, tolerance=args.tolerance,
        export_media=not args.no_media, overwrite=args.overwrite, progress=progress))
    print_result(args, out, f"exported {out['labels']} labels ({out['masks']} masks) of {out['samples']} samples "
                 f"as {out['format']} to {out['export_dir']}")
    return 0


def _quietly(args, compute):
    """Runs ``compute(samples, progress)`` on the command's samples; with
    ``--json``, without FiftyOne's info lines and progress bars on stdout."""
    from .common import load_samples

    samples = load_samples(args)
    with _quiet(args.json):
        return compute(samples, progress=False if args.json else None)


@contextlib.contextmanager
def _quiet(on: bool):
    """Silence FiftyOne's info lines (they would interleave with JSON on stdout)."""
    logger = logging.getLogger("fiftyone")
    old = logger.level
    if on:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(old)
