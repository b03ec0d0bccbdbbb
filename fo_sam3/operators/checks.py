"""Input checks for the operator forms: each returns an error message or ``None``.

They never write to the database (forms are re-resolved on every keystroke).
"""

from __future__ import annotations

from pathlib import Path

import fiftyone as fo

from ..errors import PromptError
from ..model.checkpoint import RANDOM
from ..prompts import check_field, check_frame_field, clean_texts, frame_field
from ..write.fields import output_field_problem

APP_REMEDY = "tick 'overwrite' to replace it or 'skip existing' to label only empty samples"
_BUILTIN = {"id", "filepath", "media_type", "tags", "metadata", "created_at", "last_modified_at",
            "frame_number"}  # never offered as prompt fields


def schema_of(samples, frames: bool = False) -> dict:
    """Flat sample (or frame) schema of ``samples``.

    Args:
        samples: the collection.
        frames: the frame schema instead.

    Returns:
        ``{name: field}``.
    """
    if frames:
        return samples.get_frame_field_schema(flat=True) or {}
    return samples.get_field_schema(flat=True)


def fields_of_type(samples, doc_types: tuple, frames: bool = False) -> list[str]:
    """Names of the user fields holding one of ``doc_types`` (frame fields without ``frames.``).

    Args:
        samples: the collection.
        doc_types: label classes; ``str``/``list`` admit string and string-list fields.
        frames: list frame fields instead.

    Returns:
        the sorted field names.
    """
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
    """Missing or wrongly typed prompt field, by the library's rules (``prompts.spec``).

    Args:
        samples: the collection.
        field: the chosen field.
        doc_types: accepted label classes.
        frames: ``field`` is a frame field (with or without ``frames.``).

    Returns:
        the error message, or ``None``.
    """
    if not field:
        return "choose a prompt field"
    try:
        if frames:
            check_frame_field(samples, field, doc_types)
        else:
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
    """The output field is unusable, by the library's rules (``write.fields``).

    Args:
        samples: the collection.
        field: the chosen output field (a frame field with or without ``frames.``).
        overwrite: the form's overwrite box.
        skip_existing: the form's skip-existing box.
        prompt_fields: the form's prompt fields, which the output may not be.
        frames: ``field`` is a frame field.
        label_type: the label class the operator writes.

    Returns:
        the error message, or ``None``.
    """
    if not field or not field.strip():
        return "choose an output field"
    if overwrite and skip_existing:
        return "choose either overwrite or skip existing, not both"
    name = frame_field(field) if frames else field  # named as the App's field pickers name it
    return output_field_problem(samples, name, overwrite, skip_existing, label_type, frames, prompt_fields,
                                remedy=APP_REMEDY)


def text_error(text) -> str | None:
    """No usable text prompt (after stripping and de-duplication).

    Args:
        text: the prompts, a list of strings.

    Returns:
        the error message, or ``None``.
    """
    if not text:
        return "enter at least one text prompt"
    try:
        clean_texts(text, "text")
    except PromptError as e:
        return str(e)
    return None


def checkpoint_error(checkpoint: str | None) -> str | None:
    """An explicit checkpoint that is not a file (``random`` and empty are fine).

    Args:
        checkpoint: the form's checkpoint path.

    Returns:
        the error message, or ``None``.
    """
    if not checkpoint or checkpoint == RANDOM:
        return None
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        return f"checkpoint file {path} does not exist"
    return None


def media_error(samples, media_type: str) -> str | None:
    """The dataset's media is not ``media_type``.

    Args:
        samples: the collection.
        media_type: ``"image"`` or ``"video"``.

    Returns:
        the error message, or ``None``.
    """
    dataset = samples._dataset
    if dataset.media_type != media_type:
        return (f"'{dataset.name}' holds {dataset.media_type} samples; this operator needs {media_type}s: "
                f"open a {media_type} dataset")
    return None
