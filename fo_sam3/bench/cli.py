"""Throughput benchmark: sam3's Processor loop, FiftyOne's built-in SAM3, fo_sam3.

Same images, prompts and weights for every method; each method is warmed up
on its own before it is timed. Prints JSON (images/s, ratios, peak memory).
Tiny model on a CPU, full model on a GPU by default. ``--detections-per-image``
adds fo_sam3 end to end at a fixed number of detections per image (whatever
the weights); ``--writer-only`` runs the model-free output-stage benchmark
(``benchmarks/writer_benchmark.py``) instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from .report import emit_json, json_only_stdout
from .suite import run

DEFAULT_PROMPTS = "person,cat,cup"
METHODS = ("processor", "forward", "fo_sam3", "builtin", "instance")
WRITER_BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "writer_benchmark.py"


def _counts(text: str) -> list[int]:
    try:
        counts = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if any(n < 0 for n in counts):
        raise argparse.ArgumentTypeError("detections per image must be >= 0")
    return counts


def _methods(text: str) -> set[str]:
    names = {v.strip() for v in text.split(",") if v.strip()}
    unknown = names - set(METHODS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    """The benchmark's option parser (defaults depend on whether CUDA is available).

    Returns:
        an ``argparse.ArgumentParser``
    """
    cuda = torch.cuda.is_available()
    ap = argparse.ArgumentParser(prog="fo-sam3 bench", description=__doc__)
    ap.add_argument("--writer-only", action="store_true",
                    help="run the model-free writer benchmark (benchmarks/writer_benchmark.py: synthetic "
                         "mask logits through the old and today's output path, masks/s); every other option "
                         "goes to it (see fo-sam3 bench --writer-only --help)")
    ap.add_argument("--variant", default="full" if cuda else "tiny", choices=["full", "tiny"],
                    help="model size (default: full on CUDA, tiny otherwise)")
    ap.add_argument("--checkpoint", default="random",
                    help="checkpoint path, or 'random' (default) for seeded random weights")
    ap.add_argument("--images", type=int, default=64 if cuda else 8,
                    help="images timed per method (scikit-image photos, cycled; default 64 on CUDA, 8 otherwise)")
    ap.add_argument("--prompts", default=DEFAULT_PROMPTS,
                    help=f"comma-separated text prompts (default {DEFAULT_PROMPTS})")
    ap.add_argument("--batch-size", type=int, default=16 if cuda else 4,
                    help="images per forward pass (default 16 on CUDA, 4 otherwise)")
    ap.add_argument("--num-workers", type=int, default=4 if cuda else 1,
                    help="DataLoader workers decoding images (default 4 on CUDA, 1 otherwise)")
    ap.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    ap.add_argument("--warmup-images", type=int, default=None,
                    help="images each method processes once, untimed, before it is timed (default: --batch-size)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs per method, round robin over the methods after all are warmed up; the "
                         "fastest is reported, with every run's img/s in img_per_s_runs (default 1)")
    ap.add_argument("--detections-per-image", type=_counts, default=[], metavar="N[,N...]",
                    help="also time fo_sam3 end to end at exactly N detections per image whatever the weights "
                         "(confidence=0, topk_per_query=ceil(N/prompts), topk_per_image=N; 0 keeps none), "
                         "e.g. 0,30,100")
    ap.add_argument("--skip", type=_methods, default=set(),
                    help=f"comma list of methods not to run: {','.join(METHODS)} (fo_sam3 is end to end at "
                         "the default confidence; forward is fo_sam3's predictor alone)")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    return ap


def parse(argv) -> argparse.Namespace:
    """Parses and checks the benchmark's options; a bad value exits with a usage error.

    Args:
        argv: the command-line arguments, without the program name

    Returns:
        an ``argparse.Namespace``
    """
    ap = build_parser()
    args = ap.parse_args(argv)
    for name in ("images", "batch_size", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.num_workers < 0 or (args.warmup_images is not None and args.warmup_images < 0):
        ap.error("--num-workers and --warmup-images must be >= 0")
    return args


def load_writer_benchmark():
    """Loads ``benchmarks/writer_benchmark.py`` of this source tree as a module.

    Returns:
        the module

    Raises:
        SystemExit: outside a source tree (no ``benchmarks/`` folder)
    """
    import importlib.util

    if not WRITER_BENCHMARK.is_file():
        raise SystemExit(f"--writer-only needs fo_sam3's source tree (benchmarks/writer_benchmark.py); "
                         f"{WRITER_BENCHMARK} does not exist")
    spec = importlib.util.spec_from_file_location("fo_sam3_writer_benchmark", WRITER_BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> int:
    """``python -m fo_sam3.bench`` and ``fo-sam3 bench``: prints the JSON report.

    Args:
        argv: (None) the command-line arguments, without the program name
            (default: ``sys.argv[1:]``); ``--writer-only`` hands all others to
            the writer benchmark

    Returns:
        the exit code
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--writer-only" in argv:
        return load_writer_benchmark().main([a for a in argv if a != "--writer-only"])
    args = parse(argv)
    with json_only_stdout():
        report = run(args)
    return emit_json(report, args.out)
