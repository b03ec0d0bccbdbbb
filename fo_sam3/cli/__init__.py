"""``fo-sam3``: label, instances, track, demo, doctor and bench from a shell.

Exit codes: 0 ok; 1 some samples failed (or the run stopped on an error);
2 usage error (bad flags, missing dataset/field, no checkpoint). Errors are
one line on stderr; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import traceback
import warnings

from . import commands, curation, tools
from .common import USAGE_ERROR, base_parser, collection_parser, model_parser, run_parser
from .messages import cli_message

PROG = "fo-sam3"


def build_parser() -> argparse.ArgumentParser:
    """The ``fo-sam3`` parser, with every subcommand (``bench`` is listed only).

    Returns:
        an ``argparse.ArgumentParser``
    """
    parser = argparse.ArgumentParser(
        prog=PROG, description="SAM3 segmentation for FiftyOne datasets. "
        "Exit codes: 0 ok, 1 some samples failed, 2 usage error.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    base = base_parser()
    labeling = [base, collection_parser(), model_parser()]
    cleanup = curation.cleanup_parser()
    commands.add_label(sub, labeling + [run_parser(), cleanup, curation.output_parser()])
    commands.add_instances(sub, labeling + [run_parser(), cleanup, curation.output_parser(concept=False)])
    commands.add_refine(sub, labeling + [run_parser(), cleanup])
    commands.add_track(sub, labeling + [run_parser(batching=False), cleanup])
    curation.add_evaluate(sub, [base, collection_parser()])
    curation.add_export(sub, [base, collection_parser()])
    tools.add_demo(sub, [base])
    tools.add_doctor(sub, [base])
    tools.add_bench(sub, [base])
    from . import scale  # worker, shards

    scale.add_worker(sub, [base])
    scale.add_shards(sub, [base])
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def _not_fiftyone(record: logging.LogRecord) -> bool:
    return not record.name.startswith(("fiftyone", "eta"))  # they have their own handlers


# Third-party warnings every run would print (shown with --debug): (category, message start).
KNOWN_WARNINGS = (
    (FutureWarning, "`torch.jit.script` is deprecated"),
    (UserWarning, "CUDA is not available"),
)


def _own_database() -> bool:
    """True when FiftyOne runs its embedded MongoDB (no database_uri in env or config)."""
    if os.environ.get("FIFTYONE_DATABASE_URI"):
        return False
    path = os.environ.get("FIFTYONE_CONFIG_PATH") or os.path.expanduser("~/.fiftyone/config.json")
    try:
        with open(path) as f:
            return not json.load(f).get("database_uri")
    except (OSError, ValueError, AttributeError):  # no (readable) config file
        return True


def _configure_output(debug: bool) -> None:
    """One root log handler for fo_sam3's warnings (FiftyOne's loggers have their
    own). Without ``--debug``, hide known third-party noise: import warnings and
    FiftyOne's MongoDB version banner (for its embedded database only)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_not_fiftyone)
    if not any(getattr(h, "fo_sam3_cli", False) for h in logging.root.handlers):
        handler.fo_sam3_cli = True
        logging.root.addHandler(handler)
    if debug:
        logging.getLogger("fo_sam3").setLevel(logging.DEBUG)
        return
    handler.setLevel(logging.WARNING)
    for category, message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=re.escape(message), category=category)
    # data-loader workers are fresh interpreters: they read the filters from the environment
    options = [o for o in os.environ.get("PYTHONWARNINGS", "").split(",") if o]
    options += [o for o in (f"ignore:{m}:{c.__name__}" for c, m in KNOWN_WARNINGS) if o not in options]
    os.environ["PYTHONWARNINGS"] = ",".join(options)
    if _own_database():
        os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
        if "fiftyone" in sys.modules:  # already configured: set it there too
            sys.modules["fiftyone"].config.database_validation = False


def _error(message: str) -> None:
    print(f"{PROG}: error: {' '.join(cli_message(message).split())}", file=sys.stderr, flush=True)


def _usage_errors() -> tuple:
    """Errors that mean a wrong request (exit 2) rather than a failed run."""
    from ..errors import FoSam3Error  # checkpoint and device errors are FoSam3Errors too

    return (FoSam3Error,)


def _guarded(run, debug: bool) -> int:
    """Run ``run()``; map errors to one stderr line and an exit code."""
    try:
        return int(run() or 0)
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as e:
        if debug:
            traceback.print_exc()
        if isinstance(e, _usage_errors()):
            _error(str(e))
            return USAGE_ERROR
        _error(f"{type(e).__name__}: {e}" + ("" if debug else " (run with --debug for the traceback)"))
        return 1


def main(argv=None) -> int:
    """The ``fo-sam3`` console script.

    Args:
        argv: (None) the arguments, without the program name (default: ``sys.argv[1:]``)

    Returns:
        the exit code: 0 ok, 1 some samples failed, 2 usage error
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    _configure_output(debug)
    if argv and argv[0] == "bench":  # its own parser owns every flag after it
        try:
            return _guarded(lambda: tools.run_bench([a for a in argv[1:] if a != "--debug"]), debug)
        except SystemExit as e:  # bench's argparse: --help (0) or a usage error (2)
            return e.code if isinstance(e.code, int) else USAGE_ERROR
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help/--version (0) or a usage error (2)
        return e.code if isinstance(e.code, int) else USAGE_ERROR
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE_ERROR
    return _guarded(lambda: args.handler(args), debug)


__all__ = ["main", "build_parser"]
