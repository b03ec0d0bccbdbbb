"""Constants shared by the CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "@fo-sam3/sam3"
# The tiny random-weight model, no progress bar (keeps captured output short).
TINY = ("--variant", "tiny", "--checkpoint", "random", "--no-progress")


@dataclass
class Result:
    rc: int
    out: str
    err: str
