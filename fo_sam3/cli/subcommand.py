"""What every subcommand shares: its parser and handler, ``--json``, and its printed result."""

from __future__ import annotations

import json


def add_command(sub, name: str, parents: list, handler, help: str, description: str | None = None):
    """Adds subcommand ``name``, run by ``handler(args)``.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        name: the subcommand's name
        parents: parent parsers whose flags it takes
        handler: a function of the parsed flags that returns the exit code
        help: its line in ``fo-sam3 --help``
        description: (None) its paragraph in ``fo-sam3 NAME --help``

    Returns:
        the subcommand's ``argparse.ArgumentParser``
    """
    parser = sub.add_parser(name, parents=parents, help=help, description=description)
    parser.set_defaults(handler=handler)
    return parser


def add_json_flag(group, what: str) -> None:
    """Adds ``--json``: print ``what`` as JSON instead of text (see ``print_result``).

    Args:
        group: a parser or argument group
        what: what is printed, e.g. ``"summary"``
    """
    group.add_argument("--json", action="store_true", help=f"print the {what} as JSON")


def print_result(args, data, text: str) -> None:
    """Prints a command's result: ``data`` as JSON with ``--json``, else ``text``.

    Args:
        args: the parsed flags (with ``json``)
        data: the JSON-serializable result (non-serializable values print as strings)
        text: the result for people
    """
    print(json.dumps(data, indent=2, default=str) if args.json else text, flush=True)
