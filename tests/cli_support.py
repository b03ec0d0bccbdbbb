"""What the CLI tests share: the tiny-model flags and the result of one ``fo-sam3`` run
(in this process, the ``cli`` fixture, or in a subprocess, ``scale_helpers.run``)."""

from __future__ import annotations

from typing import NamedTuple

# The tiny random-weight model, no progress bar (keeps captured output short).
TINY = ("--variant", "tiny", "--checkpoint", "random", "--no-progress")


class Result(NamedTuple):
    rc: int
    out: str
    err: str
