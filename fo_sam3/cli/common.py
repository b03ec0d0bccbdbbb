"""Flags shared by the labeling subcommands, and turning them into library calls."""

from __future__ import annotations

import argparse

from ..config import DEFAULT_BATCH_SIZE, DEFAULT_CONFIDENCE, VARIANTS
from ..errors import FoSam3Error
from .curation import confidence_arg
from .messages import cli_message
from .subcommand import add_json_flag, print_result

USAGE_ERROR = 2
SAMPLES_FAILED = 1


class UsageError(FoSam3Error):
    """A command-line mistake (exit code 2)."""


def base_parser() -> argparse.ArgumentParser:
    """Parent parser of the flags every subcommand takes (``--debug``).

    Returns:
        an ``argparse.ArgumentParser`` without ``--help``
    """
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    return p


def collection_parser() -> argparse.ArgumentParser:
    """Parent parser of which samples to process: ``DATASET``, ``--view``, ``--tags``, ``--limit``.

    Returns:
        an ``argparse.ArgumentParser`` without ``--help``
    """
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("dataset", metavar="DATASET", help="name of a FiftyOne dataset")
    g = p.add_argument_group("samples")
    g.add_argument("--view", help="a saved view of DATASET to process")
    g.add_argument("--tags", nargs="+", metavar="TAG", help="only samples with any of these tags")
    g.add_argument("--limit", type=int, metavar="N", help="at most N samples")
    return p


def model_parser() -> argparse.ArgumentParser:
    """Parent parser of the model flags: ``--checkpoint``, ``--variant``, ``--device``.

    Returns:
        an ``argparse.ArgumentParser`` without ``--help``
    """
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("model")
    g.add_argument("--checkpoint", help="path to sam3.pt, or 'random' for random weights "
                                        "(default: $FO_SAM3_CHECKPOINT, the zoo dir, then the hub)")
    g.add_argument("--variant", choices=VARIANTS, help="architecture (default full; tiny is "
                                                              "a small random-weight model for tests)")
    g.add_argument("--device", help="cuda, cuda:1, cpu, ... (default: CUDA when available)")
    return p


def run_parser(batching: bool = True) -> argparse.ArgumentParser:
    """Parent parser of the output and run flags.

    Args:
        batching: (True) add the image-batch flags (False for video)

    Returns:
        an ``argparse.ArgumentParser`` without ``--help``
    """
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("run")
    if batching:
        g.add_argument("--batch-size", type=int, help=f"images per forward pass (default {DEFAULT_BATCH_SIZE})")
        g.add_argument("--output-dir", help="write masks as PNG files here (sets mask_path)")
        g.add_argument("--workers", type=int, help="image-decoding worker processes (default 2)")
    g.add_argument("--confidence", type=confidence_arg if batching else float,
                   help=f"minimum score to keep a mask (default {DEFAULT_CONFIDENCE}); label: per prompt, "
                   "e.g. 'person=0.3,default=0.5'; instances: SAM's predicted IoU")
    write = g.add_mutually_exclusive_group()
    write.add_argument("--overwrite", action="store_true", help="replace an existing output field")
    write.add_argument("--skip-existing", action="store_true",
                       help="only process samples whose output field is empty")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_json_flag(g, "summary")
    g.add_argument("--delegate", action="store_true",
                   help="queue a delegated operation instead of running now")
    from .scale import add_shards_flag  # --shards N (implies --delegate)

    add_shards_flag(g)
    g.add_argument("--app", action="store_true", help="open the FiftyOne App on the result")
    return p


def load_samples(args):
    """The dataset, narrowed by ``--view``, ``--tags`` and ``--limit``.

    Args:
        args: the parsed flags (see ``collection_parser``)

    Returns:
        a ``fiftyone.core.collections.SampleCollection``

    Raises:
        UsageError: no such dataset or saved view, or a bad ``--limit``
    """
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
    """``checkpoint``/``variant``/``device``; a missing file or device is an error now.

    Args:
        args: the parsed flags (see ``model_parser``)

    Returns:
        a dict of the model keyword arguments given
    """
    from ..model.checkpoint import RANDOM, resolve_checkpoint
    from ..model.device import resolve_device

    if args.device is not None:
        resolve_device(args.device)
    if args.checkpoint not in (None, RANDOM):
        resolve_checkpoint(args.checkpoint)
    return {k: getattr(args, k) for k in ("checkpoint", "variant", "device") if getattr(args, k) is not None}


def uses_random_weights(args) -> bool:
    """Whether the run uses random weights.

    Args:
        args: the parsed flags

    Returns:
        True for ``--checkpoint random``, or ``--variant tiny`` without a
        checkpoint (random by default)
    """
    return args.checkpoint == "random" or (args.checkpoint is None and getattr(args, "variant", None) == "tiny")


def random_weights_note(args) -> str:
    """The note a run on random weights ends with.

    Args:
        args: the parsed flags

    Returns:
        the note
    """
    note = "random weights: masks and scores are meaningless (give --checkpoint PATH for real labels)"
    if getattr(args, "confidence", None) is None and getattr(args, "command", "") != "instances":
        note += "; they score below the default confidence, so try --confidence 0 to see masks written"
    return note


def run_kwargs(args, **extra) -> dict:
    """``SegmentConfig`` keyword arguments from the flags given, plus ``extra``
    (``None`` values dropped); validated here, so bad values are usage errors.

    Args:
        args: the parsed flags (see ``run_parser``)
        **extra: further settings

    Returns:
        a dict

    Raises:
        UsageError: a value ``SegmentConfig`` rejects
    """
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
    """Prints the summary (or JSON) and opens the App if asked.

    Args:
        args: the parsed flags
        summary: a ``RunSummary`` (images or video)
        samples: the samples processed

    Returns:
        1 if any sample failed, else 0
    """
    data = summary.as_dict()
    data["notes"] = [cli_message(n) for n in getattr(summary, "notes", [])]
    if uses_random_weights(args):
        data["notes"].append(random_weights_note(args))
    text = "\n".join([str(summary)] + [f"  note: {n}" for n in data["notes"]])
    print_result(args, data, text)
    if args.app:
        import fiftyone as fo

        fo.launch_app(samples).wait()
    return SAMPLES_FAILED if data["failed"] else 0
