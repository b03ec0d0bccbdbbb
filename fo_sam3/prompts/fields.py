"""Field-name rules: FiftyOne's ``frames.`` prefix of frame-level fields.

Video fields may be named either way (``"gt"`` or ``"frames.gt"``); the
library, the CLI and the App forms all strip the prefix here.
"""

from __future__ import annotations

FRAMES = "frames."


def frame_field(name: str | None) -> str | None:
    """The frame-level field ``name`` without FiftyOne's ``frames.`` prefix.

    Args:
        name: ``"gt"``, ``"frames.gt"`` or ``None``.

    Returns:
        ``"gt"`` for both spellings; ``None`` for ``None``.
    """
    if name is None:
        return None
    return name[len(FRAMES):] if name.startswith(FRAMES) else name
