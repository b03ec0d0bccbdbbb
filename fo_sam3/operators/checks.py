"""Input checks for the operator forms: each returns an error message or ``None``.

They never write to the database (forms are re-resolved on every keystroke).
"""

from __future__ import annotations

from pathlib import Path

import fiftyone as fo

from ..errors import PromptError
from ..model.checkpoint import RANDOM
from ..prompts import check_field, clean_texts

FRAMES = "frames."
_BUILTIN = {"id", "filepath", "media_type", "tags", "metadata", "created_at", "last_modified_at",
            "frame_number"}  # never offered as prompt fields


def schema_of(samples, frames: bool = False) -> dict:
    """Flat sample (or frame) schema of ``samples``."""
    if frames:
        return samples.get_frame_field_schema(flat=True) or {}
    return samples.get_field_schema(flat=True)


def fields_of_type(samples, doc_types: tuple, frames: bool = False) -> list[str]:
    """Names of the user fields holding one of ``doc_types`` (frame fields without
    ``frames.``); ``str``/``list`` in ``doc_types`` admit string and string-list fields."""
    out = []
    for name, ftype in schema_of(samples, frames).items():
        if name.startswith("_") or name in _BUILTIN:
            continue
        if getattr(ftype, "document_type", None) in doc_types:
            out.append(name)
        elif "." not in name and _is_text(ftype, doc_types):
            out.append(name)
    return sorted(out)


def _is_text(ftype, doc_types: tuple) -> bool:
    if str in doc_types and isinstance(ftype, fo.StringField):
        return True
    return list in doc_types and isinstance(ftype, fo.ListField) and isinstance(ftype.field, fo.StringField)


def prompt_field_error(samples, field: str | None, doc_types: tuple, frames: bool = False) -> str | None:
    """Missing or wrongly typed prompt field (``frames=True``: a frame field)."""
    if not field:
        return "choose a prompt field"
    if frames:
        schema = schema_of(samples, frames=True)
        name = field[len(FRAMES):] if field.startswith(FRAMES) else field
        if name not in schema:
            return f"frame field '{name}' does not exist on '{samples._dataset.name}'"
        doc = getattr(schema[name], "document_type", None)
        if doc not in doc_types:
            got = doc.__name__ if doc else type(schema[name]).__name__
            return f"frame field '{name}' is {got}; expected {_names(doc_types)}"
        return None
    try:
        check_field(samples, field, doc_types)
    except PromptError as e:
        return str(e)
    return None


def output_field_error(
    samples,
    field: str | None,
    overwrite: bool,
    skip_existing: bool,
    prompt_fields=(),
    frames: bool = False,
    label_type=fo.Detections,
) -> str | None:
    """The output field is unusable: empty, a prompt field, of another type, or
    existing without ``overwrite``/``skip_existing``."""
    if not field or not field.strip():
        return "choose an output field"
    name = field[len(FRAMES):] if frames and field.startswith(FRAMES) else field
    if name in {f for f in prompt_fields if f}:
        return f"output field '{name}' is also a prompt field; choose another name"
    if overwrite and skip_existing:
        return "choose either overwrite or skip existing, not both"
    schema = schema_of(samples, frames)
    if name not in schema:
        if "." in name and name.split(".")[0] in schema:
            return f"invalid output field name '{name}'"
        return None
    doc = getattr(schema[name], "document_type", None)
    if doc is not label_type:
        got = doc.__name__ if doc else type(schema[name]).__name__
        return f"output field '{name}' exists as {got}, not {label_type.__name__}"
    if not (overwrite or skip_existing):
        return (
            f"output field '{name}' already exists on '{samples._dataset.name}'; "
            "tick 'overwrite' to replace it or 'skip existing' to label only empty samples"
        )
    return None


def text_error(text) -> str | None:
    """No usable text prompt (after stripping and de-duplication)."""
    if not text:
        return "enter at least one text prompt"
    try:
        clean_texts(text, "text")
    except PromptError as e:
        return str(e)
    return None


def checkpoint_error(checkpoint: str | None) -> str | None:
    """An explicit checkpoint that is not a file (``random`` and empty are fine)."""
    if not checkpoint or checkpoint == RANDOM:
        return None
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        return f"checkpoint file {path} does not exist"
    return None


def media_error(samples, media_type: str) -> str | None:
    """The dataset's media is not ``media_type``."""
    dataset = samples._dataset
    if dataset.media_type != media_type:
        return (f"'{dataset.name}' holds {dataset.media_type} samples; this operator needs {media_type}s: "
                f"open a {media_type} dataset")
    return None


def _names(types: tuple) -> str:
    return ", ".join(t.__name__ for t in types)
