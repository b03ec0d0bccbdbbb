"""Text prompts from a fixed list or from a sample field."""

from __future__ import annotations

from typing import Any, Iterable

import fiftyone as fo

from ..errors import PromptError
from .types import Query

TEXT_FIELD_TYPES = (fo.Classification, fo.Classifications, fo.Detections)
MAX_TEXT_CHARS = 200  # longer prompts are truncated by the tokenizer anyway


def clean_texts(texts: Iterable[Any], where: str) -> list[str]:
    """Strip, drop empties, de-duplicate (keeping order); error if nothing is left."""
    out: list[str] = []
    for t in texts:
        if not isinstance(t, str):
            raise PromptError(f"{where}: text prompts must be strings, got {type(t).__name__}")
        t = " ".join(t.split())[:MAX_TEXT_CHARS]
        if t and t not in out:
            out.append(t)
    if not out:
        raise PromptError(f"{where}: no non-empty text prompt")
    return out


def texts_from_value(value: Any, field: str) -> list[str]:
    """Text prompts held by one sample's field value."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, fo.Classification):
        return [value.label] if value.label else []
    if isinstance(value, fo.Classifications):
        return [c.label for c in value.classifications if c.label]
    if isinstance(value, fo.Detections):
        return [d.label for d in value.detections if d.label]
    raise PromptError(
        f"field '{field}' holds {type(value).__name__}; text prompts come from a string, "
        "a list of strings, Classification, Classifications or Detections"
    )


def text_queries(texts: Iterable[str]) -> list[Query]:
    return [Query(text=t, label=t) for t in texts]
