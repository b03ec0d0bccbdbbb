"""``demo``, ``doctor`` and ``bench``: shells over ``fo_sam3.demo``, ``.doctor`` and ``.bench``."""

from __future__ import annotations


def add_demo(sub, parents):
    from ..demo import DEMO_NAME

    p = sub.add_parser(
        "demo", parents=parents, help="label six real photos end to end (random weights without a checkpoint)",
        description="Build a small persistent dataset of real photos, auto-label it from text, then mask "
        "its hand-drawn boxes in instance mode. Without a checkpoint it runs the tiny model on random "
        "weights (and says so).",
    )
    p.add_argument("--name", default=DEMO_NAME, help=f"dataset name (default {DEMO_NAME}; replaced if it exists)")
    p.add_argument("--dir", help="where to write the photos (default: FiftyOne's dataset dir)")
    p.add_argument("--checkpoint", help="path to sam3.pt, or 'random' (default: found as `doctor` shows)")
    p.add_argument("--variant", choices=("full", "tiny"),
                   help="default: full with a checkpoint, tiny on random weights")
    p.add_argument("--device", help="default: CUDA when available")
    p.add_argument("--batch-size", type=int, default=2, help="images per forward pass (default 2)")
    p.add_argument("--output-dir", help="write masks as PNG files here (sets mask_path)")
    p.add_argument("--json", action="store_true", help="print the summaries as JSON")
    p.add_argument("--app", action="store_true", help="open the FiftyOne App on the dataset at the end")
    p.set_defaults(handler=run_demo)


def run_demo(args) -> int:
    from ..demo import run_demo as demo

    _, summaries, _ = demo(
        name=args.name, folder=args.dir, checkpoint=args.checkpoint, variant=args.variant,
        device=args.device, batch_size=args.batch_size, output_dir=args.output_dir, app=args.app,
        echo=lambda line: None if args.json else print(line, flush=True), progress=not args.json,
    )
    if args.json:
        import json

        print(json.dumps([s.as_dict() for s in summaries], indent=2))
    return 1 if any(s.failed for s in summaries) else 0


def add_doctor(sub, parents):
    p = sub.add_parser("doctor", parents=parents, help="check torch/CUDA, sam3, FiftyOne's database, "
                                                       "the tokenizer vocab, ffmpeg and the checkpoint")
    p.set_defaults(handler=run_doctor)


def run_doctor(args) -> int:
    from ..doctor import main

    return main([])


def add_bench(sub, parents):
    """Listed for --help only: ``main`` hands ``bench``'s arguments to ``fo_sam3.bench.main``."""
    sub.add_parser("bench", add_help=False, help="benchmark throughput (options: fo-sam3 bench --help)")


def run_bench(argv: list[str]) -> int:
    from .. import bench

    return int(bench.main(list(argv)) or 0)

