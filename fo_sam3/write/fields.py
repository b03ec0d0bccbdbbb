"""Output-field checks: nothing is overwritten unless asked."""

from __future__ import annotations

import fiftyone as fo
from fiftyone import ViewField as F

from ..errors import FieldExistsError


def prepare_output_field(samples, field: str, overwrite: bool, skip_existing: bool, label_type=fo.Detections):
    """Return the samples to process, and declare ``field`` on the dataset.

    - field absent: every sample; the field is created.
    - field present: ``overwrite`` processes every sample (replacing values),
      ``skip_existing`` only samples where it is empty; otherwise raise.
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
            return samples.match(F(field) == None)  # noqa: E711
        if not overwrite:
            raise FieldExistsError(
                f"output field '{field}' already exists on '{dataset.name}'; pass overwrite=True "
                "to replace it or skip_existing=True to label only samples where it is empty"
            )
        return samples
    try:
        dataset.add_sample_field(field, fo.EmbeddedDocumentField, embedded_doc_type=label_type)
    except ValueError:
        dataset.reload()  # another process may have added it just now
        if dataset.get_field(field) is None:
            raise
    return samples
