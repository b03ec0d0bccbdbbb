"""Output-field checks: nothing is overwritten unless asked."""

from __future__ import annotations

import fiftyone as fo
from fiftyone import ViewField as F

from ..errors import FieldExistsError


def prepare_output_field(samples, field: str, overwrite: bool, skip_existing: bool, label_type=fo.Detections):
    """Check ``field`` and choose the samples to process; nothing is changed yet.

    - field absent: every sample; ``declare`` adds the field (call it just
      before the first write, so a run that writes nothing leaves no field).
    - field present: ``overwrite`` processes every sample (replacing values),
      ``skip_existing`` only samples where it is empty; otherwise raise.

    Returns:
        ``(samples to process, declare)``; ``declare`` is ``None`` when the
        field exists.
    """
    dataset = samples._dataset
    schema = dataset.get_field_schema(flat=True)
    if not field or field.startswith("_") or "." in field:
        raise FieldExistsError(f"invalid output field name '{field}' (use a top-level field name)")
    if field in schema:
        doc_type = getattr(schema[field], "document_type", None)
        if doc_type is not label_type:
            raise FieldExistsError(
                f"output field '{field}' exists on '{dataset.name}' as "
                f"{doc_type.__name__ if doc_type else type(schema[field]).__name__}, not {label_type.__name__}"
            )
        if skip_existing:
            return samples.match(F(field) == None), None  # noqa: E711
        if not overwrite:
            raise FieldExistsError(
                f"output field '{field}' already exists on '{dataset.name}'; pass overwrite=True "
                "to replace it or skip_existing=True to label only samples where it is empty"
            )
        return samples, None
    return samples, lambda: declare_field(dataset, field, label_type)


def declare_field(dataset, field: str, label_type=fo.Detections) -> None:
    """Add the label field ``field`` to ``dataset`` (tolerates a concurrent add)."""
    if dataset.get_field(field) is not None:
        return
    try:
        dataset.add_sample_field(field, fo.EmbeddedDocumentField, embedded_doc_type=label_type)
    except ValueError:
        dataset.reload()  # another process may have added it just now
        if dataset.get_field(field) is None:
            raise
