"""``demo``, ``doctor`` and ``bench``: shells over ``fo_sam3.demo``, ``.doctor`` and ``.bench``."""

from __future__ import annotations

from ..config import VARIANTS
from .subcommand import add_command, add_json_flag, print_result


def add_demo(sub, parents):
    """Adds ``demo``, which labels six real photos end to end.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: ``--debug`` only (``demo`` has model flags of its own)
    """
    from ..demo import DEMO_NAME

    p = add_command(
        sub, "demo", parents, _run_demo,
        help="label six real photos end to end (random weights without a checkpoint)",
        description="Build a small persistent dataset of real photos, auto-label it from text, then mask "
        "its hand-drawn boxes in instance mode. Without a checkpoint it runs the tiny model on random "
        "weights (and says so).",
    )
    p.add_argument("--name", default=DEMO_NAME, help=f"dataset name (default {DEMO_NAME}; replaced if it exists)")
    p.add_argument("--dir", help="where to write the photos (default: FiftyOne's dataset dir)")
    p.add_argument("--checkpoint", help="path to sam3.pt, or 'random' (default: found as `doctor` shows)")
    p.add_argument("--variant", choices=VARIANTS,
                   help="default: full with a checkpoint, tiny on random weights")
    p.add_argument("--device", help="default: CUDA when available")
    p.add_argument("--batch-size", type=int, default=2, help="images per forward pass (default 2)")
    p.add_argument("--output-dir", help="write masks as PNG files here (sets mask_path)")
    add_json_flag(p, "summaries")
    p.add_argument("--app", action="store_true", help="open the FiftyOne App on the dataset at the end")


def _run_demo(args) -> int:
    """Runs ``demo``: ``fo_sam3.demo.run_demo``, printing its progress lines (or JSON at the end)."""
    from ..demo import run_demo as demo

    _, summaries, _ = demo(
        name=args.name, folder=args.dir, checkpoint=args.checkpoint, variant=args.variant,
        device=args.device, batch_size=args.batch_size, output_dir=args.output_dir, app=args.app,
        echo=lambda line: None if args.json else print(line, flush=True), progress=not args.json,
    )
    if args.json:  # the text went out line by line (echo)
        print_result(args, [s.as_dict() for s in summaries], "")
    return 1 if any(s.failed for s in summaries) else 0


def add_doctor(sub, parents):
    """Adds ``doctor``: checks of the installation.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: ``--debug``
    """
    add_command(sub, "doctor", parents, _run_doctor, help="check torch/CUDA, sam3, FiftyOne's database, "
                "the tokenizer vocab, ffmpeg and the checkpoint")


def _run_doctor(args) -> int:
    """Runs ``doctor``: ``fo_sam3.doctor.main``."""
    from ..doctor import main

    return main([])


def add_bench(sub, parents):
    """Lists ``bench`` for ``--help`` only: ``main`` hands its arguments to ``fo_sam3.bench.main``.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: unused (``bench`` parses its own flags)
    """
    sub.add_parser("bench", add_help=False, help="benchmark throughput (options: fo-sam3 bench --help)")


def run_bench(argv: list[str]) -> int:
    """Runs ``fo_sam3.bench.main`` on ``bench``'s arguments.

    Args:
        argv: the arguments after ``bench``

    Returns:
        the exit code
    """
    from .. import bench

    return int(bench.main(list(argv)) or 0)

