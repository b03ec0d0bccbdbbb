"""Output-field checks for every mode and the App forms: nothing is overwritten unless asked."""

from __future__ import annotations

import fiftyone as fo
from fiftyone import ViewField as F

from ..errors import FieldExistsError
from ..prompts.fields import frame_field

LIBRARY_REMEDY = "pass overwrite=True to replace it or skip_existing=True to label only samples where it is empty"


def _schema(dataset, frames: bool) -> dict:
    if frames:
        return dataset.get_frame_field_schema(flat=True) or {}
    return dataset.get_field_schema(flat=True)


def output_field_problem(
    samples,
    field: str,
    overwrite: bool,
    skip_existing: bool,
    label_type=fo.Detections,
    frames: bool = False,
    prompt_fields=(),
    remedy: str = LIBRARY_REMEDY,
) -> str | None:
    """Why ``field`` cannot receive a run's labels (``None``: it can). Reads only.

    Args:
        samples: the collection to label.
        field: the output field, named as the message should name it (a frame
            field with or without ``frames.``).
        overwrite: the run replaces an existing field's values.
        skip_existing: the run labels only samples where the field is empty.
        label_type: the label class the run writes.
        frames: ``field`` is a frame-level field.
        prompt_fields: the run's prompt fields (at the level of ``field``),
            which the output may not be.
        remedy: how to accept an existing field, said when neither
            ``overwrite`` nor ``skip_existing`` is given.

    Returns:
        a message naming the field, or ``None``.
    """
    name = frame_field(field) if frames else field
    if not name or name.startswith("_") or "." in name:
        return f"invalid output field name '{field}' (use a top-level field name)"
    if name in {frame_field(f) if frames else f for f in prompt_fields if f}:
        return f"output field '{field}' is also a prompt field; choose another name"
    dataset = samples._dataset
    schema = _schema(dataset, frames)
    if name not in schema:
        return None
    doc_type = getattr(schema[name], "document_type", None)
    if doc_type is not label_type:
        got = doc_type.__name__ if doc_type else type(schema[name]).__name__
        return f"output field '{field}' exists as {got}, not {label_type.__name__}"
    if not (overwrite or skip_existing):
        return f"output field '{field}' already exists on '{dataset.name}'; {remedy}"
    return None


def prepare_output_field(samples, field: str, overwrite: bool, skip_existing: bool, label_type=fo.Detections,
                         error: type[Exception] = FieldExistsError, **rules):
    """Check ``field`` and choose the samples to process; nothing is changed yet.

    - field absent: every sample; ``declare`` adds the field (call it just
      before the first write, so a run that writes nothing leaves no field).
    - field present: ``overwrite`` processes every sample (replacing values),
      ``skip_existing`` only samples where it is empty (a video: on every
      frame); otherwise raise.

    Args:
        samples: the collection to label.
        field: the output field (see ``output_field_problem``).
        overwrite: replace an existing field's values.
        skip_existing: label only samples where the field is empty.
        label_type: the label class the run writes.
        error: the exception class raised (video raises ``VideoFieldError``).
        **rules: ``frames`` (a frame-level field) and ``prompt_fields`` (which
            the output may not be), as ``output_field_problem`` takes them.

    Returns:
        ``(samples to process, declare)``; ``declare`` is ``None`` when the
        field exists.

    Raises:
        FieldExistsError: (or ``error``) with ``output_field_problem``'s message.
    """
    problem = output_field_problem(samples, field, overwrite, skip_existing, label_type, **rules)
    if problem is not None:
        raise error(problem)
    frames = rules.get("frames", False)
    name = frame_field(field) if frames else field
    dataset = samples._dataset
    if name not in _schema(dataset, frames):
        return samples, lambda: declare_field(dataset, name, label_type, frames)
    if skip_existing:
        if frames:
            return samples.match(F("frames").filter(F(name) != None).length() == 0), None  # noqa: E711
        return samples.match(F(name) == None), None  # noqa: E711
    return samples, None


def declare_field(dataset, field: str, label_type=fo.Detections, frames: bool = False) -> None:
    """Add the label field ``field`` to ``dataset`` (tolerates a concurrent add).

    Args:
        dataset: the dataset.
        field: a top-level field name (a frame field without ``frames.``).
        label_type: the label class the field holds.
        frames: add a frame-level field.

    Returns:
        None.
    """
    exists = dataset.has_frame_field if frames else dataset.has_field
    if exists(field):
        return
    add = dataset.add_frame_field if frames else dataset.add_sample_field
    try:
        add(field, fo.EmbeddedDocumentField, embedded_doc_type=label_type)
    except ValueError:
        dataset.reload()  # another process may have added it just now
        if not exists(field):
            raise
