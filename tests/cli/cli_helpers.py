"""Constants shared by the CLI tests."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "@fo-sam3/sam3"
