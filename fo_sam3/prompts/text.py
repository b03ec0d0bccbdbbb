"""Text rules, for images and video.

A library string is one query and a list is never split; only the CLI and
App forms split on commas (``split_prompt_text``). Text is sent whole: SAM3's
tokenizer keeps the first ``context_length()`` tokens (start and end
included) and drops the rest, so ``warn_long_texts`` says when that happens.
"""

from __future__ import annotations

import inspect
import logging
from functools import lru_cache
from typing import Any, Iterable

import fiftyone as fo

from ..errors import PromptError
from .types import Query

logger = logging.getLogger(__name__)
TEXT_FIELD_TYPES = (fo.Classification, fo.Classifications, fo.Detections)


def split_prompt_text(text: str) -> list[str]:
    """The one comma rule: ``"person, red car"`` -> ``["person", "red car"]``.

    Used by the CLI, the App forms and the zoo form only; the library never
    splits a string.

    Args:
        text: comma-separated prompts.

    Returns:
        the stripped prompts, empties dropped.
    """
    return [t.strip() for t in text.split(",") if t.strip()]


def clean_texts(texts: Iterable[Any], where: str) -> list[str]:
    """Collapse whitespace, drop empties, de-duplicate (keeping order).

    Args:
        texts: the prompts.
        where: names the source in errors.

    Returns:
        the cleaned prompts.

    Raises:
        PromptError: a prompt is not a string, or nothing is left.
    """
    out: list[str] = []
    for t in texts:
        if not isinstance(t, str):
            raise PromptError(f"{where}: text prompts must be strings, got {type(t).__name__}")
        t = " ".join(t.split())
        if t and t not in out:
            out.append(t)
    if not out:
        raise PromptError(f"{where}: no non-empty text prompt")
    return out


@lru_cache(maxsize=1)
def context_length() -> int:
    """Tokens SAM3's text encoder reads: ``VETextEncoder``'s default, which the builders keep.

    Returns:
        the context length (32), start and end tokens included.
    """
    from sam3.model.text_encoder_ve import VETextEncoder

    return inspect.signature(VETextEncoder).parameters["context_length"].default


@lru_cache(maxsize=1)
def _tokenizer():
    from sam3.model.tokenizer_ve import SimpleTokenizer

    from ..model.vocab import find_vocab

    try:
        return SimpleTokenizer(bpe_path=str(find_vocab(download=False)))
    except FileNotFoundError:
        return None


def token_count(text: str) -> int | None:
    """Tokens sam3's tokenizer makes of ``text``.

    Args:
        text: a prompt.

    Returns:
        the count with start and end tokens; ``None`` without sam3's vocabulary.
    """
    tok = _tokenizer()
    return None if tok is None else len(tok.encode(text)) + 2


def warn_long_texts(texts: Iterable[str], where: str, seen: set) -> None:
    """Warn once per text that SAM3 reads only its start.

    Args:
        texts: the prompts.
        where: prefixes the warning (the sample), or ``""``.
        seen: texts already checked (updated).

    Returns:
        None.
    """
    for t in texts:
        if t in seen:
            continue
        seen.add(t)
        n, limit = token_count(t), context_length()
        if n is not None and n > limit:
            logger.warning("%stext prompt %r is %d tokens long; SAM3 reads only the first %d and ignores the rest",
                           f"{where}: " if where else "", t if len(t) <= 80 else t[:77] + "...", n - 2, limit - 2)


def texts_from_value(value: Any, field: str) -> list[str]:
    """Text prompts held by one sample's field value (a string is one prompt).

    Args:
        value: the field's value.
        field: its name, for the error message.

    Returns:
        the prompts (maybe empty).

    Raises:
        PromptError: the value is of an unsupported type.
    """
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
    """One text-only query per prompt.

    Args:
        texts: cleaned prompts.

    Returns:
        the ``Query``s, labeled with their text.
    """
    return [Query(text=t, label=t) for t in texts]
