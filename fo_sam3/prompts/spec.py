"""``PromptSpec``: which sample fields (or fixed texts) become SAM3 queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import fiftyone as fo

from ..errors import NoPromptError, PromptError
from .boxes import box_queries
from .fields import frame_field
from .text import TEXT_FIELD_TYPES, clean_texts, text_queries, texts_from_value, warn_long_texts
from .types import VISUAL, ImageTask, Query


@dataclass(frozen=True)
class PromptSpec:
    """Concept prompts for each sample.

    Exactly one of ``text`` (fixed list), ``text_field`` and ``box_field`` is
    the main source; ``text`` may be combined with ``box_field`` only when
    ``text_and_boxes=True`` (then each box label is also sent as text).
    ``exemplar_queries`` (from ``concept.exemplars``: boxes of other images)
    are asked of every sample, alone or with any of the above.
    A string ``text`` is one query (``"red, car"`` too); commas split only in
    the CLI and forms. Text beyond SAM3's context is warned about once per
    spec (one spec per run). ``counts`` tallies skipped boxes (``degenerate_boxes``).
    """

    text: tuple[str, ...] | None = None
    text_field: str | None = None
    box_field: str | None = None
    text_hint: bool = True
    text_and_boxes: bool = False
    exemplar_queries: tuple[Query, ...] = ()
    counts: Counter = field(default_factory=Counter, init=False, repr=False, compare=False)
    _checked: set = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self):
        if isinstance(self.text, str):
            object.__setattr__(self, "text", (self.text,))
        elif self.text is not None:
            object.__setattr__(self, "text", tuple(self.text))
        sources = [s for s in (self.text, self.text_field, self.box_field) if s is not None]
        if not sources and not self.exemplar_queries:
            raise PromptError("give text=[...], text_field=..., box_field=... or exemplars=...")
        if self.text is not None and self.text_field is not None:
            raise PromptError("give either text or text_field, not both")
        if self.text is not None:
            object.__setattr__(self, "text", tuple(clean_texts(self.text, "text")))
            warn_long_texts(self.text, "", self._checked)

    @property
    def fields(self) -> list[str]:
        """The sample fields the prompts are read from."""
        return [f for f in (self.text_field, self.box_field) if f]

    def validate(self, samples) -> None:
        """Check that the prompt fields exist with usable types.

        Args:
            samples: the collection to label.

        Returns:
            None.

        Raises:
            PromptError: naming the field.
        """
        if self.text_field:
            check_field(samples, self.text_field, TEXT_FIELD_TYPES + (str, list))
        if self.box_field:
            check_field(samples, self.box_field, (fo.Detections,))

    def queries(self, sample) -> tuple[Query, ...]:
        """The queries for one sample.

        Args:
            sample: the sample.

        Returns:
            a tuple of ``Query``.

        Raises:
            NoPromptError: the sample has nothing to prompt with.
            PromptError: naming the sample, when a prompt is unusable.
        """
        where = f"sample {sample.id}"
        out: list[Query] = []
        if self.box_field:
            out += box_queries(sample[self.box_field], self.box_field, self.text_hint, where, self.counts)
        out += self.exemplar_queries
        texts: list[str] = []
        if self.text is not None:
            texts = list(self.text)
        elif self.text_field:
            texts = texts_from_value(sample[self.text_field], self.text_field)
            texts = clean_texts(texts, f"{where}, field '{self.text_field}'") if texts else []
        boxed = [q.label for q in out]
        if self.text_and_boxes:
            texts += boxed
        else:  # never a text-only and a text+box query for one label, unless asked
            texts = [t for t in texts if t not in boxed]
        out += text_queries(dict.fromkeys(texts))
        warn_long_texts([q.text for q in out if q.text != VISUAL], where, self._checked)
        if not out:
            src = self.box_field or self.text_field or "text"
            raise NoPromptError(f"{where}: no prompt in field '{src}'")
        return tuple(out)

    def task(self, sample) -> ImageTask:
        """The sample as a pipeline task (see ``queries``).

        Args:
            sample: the sample.

        Returns:
            an ``ImageTask``.
        """
        return ImageTask(sample.id, sample.filepath, self.queries(sample))


def check_field(samples, field: str, types: tuple) -> None:
    """Raise ``PromptError`` if sample field ``field`` is missing or holds none of ``types``.

    Args:
        samples: the collection.
        field: a sample-level field name.
        types: accepted label classes; ``str`` / ``list`` admit string and
            list fields.

    Returns:
        None.
    """
    schema = samples.get_field_schema(flat=True)
    if field not in schema:
        raise PromptError(f"field '{field}' does not exist on '{samples._dataset.name}'")
    ftype = schema[field]
    doc_type = getattr(ftype, "document_type", None)
    if doc_type is not None and doc_type in types:
        return
    if str in types and isinstance(ftype, fo.StringField):
        return
    if list in types and isinstance(ftype, fo.ListField):
        return
    names = ", ".join(t.__name__ for t in types)
    raise PromptError(f"field '{field}' is {type(ftype).__name__}{f'({doc_type.__name__})' if doc_type else ''}; expected {names}")


def check_frame_field(samples, field: str, types: tuple, role: str = "frame", error=PromptError) -> None:
    """Raise ``error`` if frame field ``field`` is missing or holds none of ``types``.

    Args:
        samples: a video collection.
        field: the frame field, with or without ``frames.``, named as the
            message should name it.
        types: accepted label classes.
        role: what the field is for, said in the message (``"box"``, ...).
        error: the exception class (video raises ``VideoFieldError``).

    Returns:
        None.
    """
    name = frame_field(field)
    ftype = (samples.get_frame_field_schema(flat=True) or {}).get(name)
    if ftype is None:
        raise error(f"{role} field '{field}' does not exist on '{samples._dataset.name}'")
    doc_type = getattr(ftype, "document_type", None)
    if doc_type not in types:
        got = doc_type.__name__ if doc_type else type(ftype).__name__
        raise error(f"{role} field '{field}' must hold {' or '.join(t.__name__ for t in types)}, not {got}")
