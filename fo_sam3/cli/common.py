"""Flags shared by the labeling subcommands, and turning them into library calls."""

from __future__ import annotations

import argparse
import json

from ..errors import FoSam3Error
from .curation import confidence_arg
from .messages import cli_message

USAGE_ERROR = 2
SAMPLES_FAILED = 1


class UsageError(FoSam3Error):
    """A command-line mistake (exit code 2)."""


def base_parser() -> argparse.ArgumentParser:
    """Flags every subcommand takes."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    return p


def collection_parser() -> argparse.ArgumentParser:
    """Which samples to process."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("dataset", metavar="DATASET", help="name of a FiftyOne dataset")
    g = p.add_argument_group("samples")
    g.add_argument("--view", help="a saved view of DATASET to process")
    g.add_argument("--tags", nargs="+", metavar="TAG", help="only samples with any of these tags")
    g.add_argument("--limit", type=int, metavar="N", help="at most N samples")
    return p


def model_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("model")
    g.add_argument("--checkpoint", help="path to sam3.pt, or 'random' for random weights "
                                        "(default: $FO_SAM3_CHECKPOINT, the zoo dir, then the hub)")
    g.add_argument("--variant", choices=("full", "tiny"), help="architecture (default full; tiny is "
                                                              "a small random-weight model for tests)")
    g.add_argument("--device", help="cuda, cuda:1, cpu, ... (default: CUDA when available)")
    return p


def run_parser(batching: bool = True) -> argparse.ArgumentParser:
    """Output and run flags; ``batching=False`` leaves out image-batch flags (video)."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("run")
    if batching:
        g.add_argument("--batch-size", type=int, help="images per forward pass (default 4)")
        g.add_argument("--output-dir", help="write masks as PNG files here (sets mask_path)")
        g.add_argument("--workers", type=int, help="image-decoding worker processes (default 2)")
    g.add_argument("--confidence", type=confidence_arg if batching else float,
                   help="minimum score to keep a mask (default 0.5); label: per prompt, "
                   "e.g. 'person=0.3,default=0.5'; instances: SAM's predicted IoU")
    write = g.add_mutually_exclusive_group()
    write.add_argument("--overwrite", action="store_true", help="replace an existing output field")
    write.add_argument("--skip-existing", action="store_true",
                       help="only process samples whose output field is empty")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--json", action="store_true", help="print the summary as JSON")
    g.add_argument("--delegate", action="store_true",
                   help="queue a delegated operation instead of running now")
    from .scale import add_shards_flag  # --shards N (implies --delegate)

    add_shards_flag(g)
    g.add_argument("--app", action="store_true", help="open the FiftyOne App on the result")
    return p


def load_samples(args):
    """The dataset, narrowed by ``--view``, ``--tags`` and ``--limit``."""
    import fiftyone as fo

    if not fo.dataset_exists(args.dataset):
        raise UsageError(f"dataset '{args.dataset}' does not exist (see `fiftyone datasets list`)")
    dataset = fo.load_dataset(args.dataset)
    samples = dataset
    if args.view:
        if not dataset.has_saved_view(args.view):
            names = ", ".join(dataset.list_saved_views()) or "none"
            raise UsageError(f"dataset '{args.dataset}' has no saved view '{args.view}' (saved views: {names})")
        samples = dataset.load_saved_view(args.view)
    if args.tags:
        samples = samples.match_tags(args.tags)
    if args.limit is not None:
        if args.limit < 1:
            raise UsageError("--limit must be a positive integer")
        samples = samples.limit(args.limit)
    return samples


def model_kwargs(args) -> dict:
    """``checkpoint``/``variant``/``device``; a missing file or device is an error now."""
    from ..model.checkpoint import RANDOM, resolve_checkpoint
    from ..model.device import resolve_device

    if args.device is not None:
        resolve_device(args.device)
    if args.checkpoint not in (None, RANDOM):
        resolve_checkpoint(args.checkpoint)
    return {k: getattr(args, k) for k in ("checkpoint", "variant", "device") if getattr(args, k) is not None}


def uses_random_weights(args) -> bool:
    """``--checkpoint random``, or ``--variant tiny`` without a checkpoint (random by default)."""
    return args.checkpoint == "random" or (args.checkpoint is None and getattr(args, "variant", None) == "tiny")


def random_weights_note(args) -> str:
    note = "random weights: masks and scores are meaningless (give --checkpoint PATH for real labels)"
    if getattr(args, "confidence", None) is None and getattr(args, "command", "") != "instances":
        note += "; they score below the default confidence, so try --confidence 0 to see masks written"
    return note


def run_kwargs(args, **extra) -> dict:
    """``SegmentConfig`` keyword arguments from the flags given, plus ``extra``
    (``None`` values dropped); validated here, so bad values are usage errors."""
    from ..config import SegmentConfig

    names = {"batch_size": "batch_size", "output_dir": "output_dir", "workers": "num_workers",
             "confidence": "confidence"}
    kwargs = {dest: getattr(args, flag) for flag, dest in names.items() if getattr(args, flag, None) is not None}
    if args.overwrite:
        kwargs["overwrite"] = True
    if args.skip_existing:
        kwargs["skip_existing"] = True
    if args.no_progress:
        kwargs["progress"] = False
    kwargs.update({k: v for k, v in extra.items() if v is not None})
    try:
        SegmentConfig(**kwargs)
    except ValueError as e:
        raise UsageError(str(e)) from e
    return kwargs


def finish(args, summary, samples) -> int:
    """Print the summary, open the App if asked; 1 if any sample failed, else 0.

    ``summary`` is a ``RunSummary`` (images or video).
    """
    data = summary.as_dict()
    data["notes"] = [cli_message(n) for n in getattr(summary, "notes", [])]
    if uses_random_weights(args):
        data["notes"].append(random_weights_note(args))
    text = "\n".join([str(summary)] + [f"  note: {n}" for n in data["notes"]])
    print(json.dumps(data, indent=2) if args.json else text, flush=True)
    if args.app:
        import fiftyone as fo

        fo.launch_app(samples).wait()
    return SAMPLES_FAILED if data["failed"] else 0
