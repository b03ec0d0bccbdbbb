"""Usage errors of the curation tools, and the field checks that raise them."""

from __future__ import annotations

import fiftyone as fo

from ..errors import FoSam3Error
from ..write.formats import has_mask


class CurationError(FoSam3Error, ValueError):
    """A curation request that cannot be served (missing field, no masks, bad option)."""


def check_detections(samples, field: str, masks: bool = False) -> None:
    """Raise ``CurationError`` unless ``field`` is a ``Detections`` field (with masks, if asked).

    Args:
        samples: the collection.
        field: the field name.
        masks: also require at least one detection with a mask.
    """
    schema = samples.get_field_schema(flat=True)
    name = samples._dataset.name
    if field not in schema:
        raise CurationError(f"field '{field}' does not exist on '{name}'")
    if getattr(schema[field], "document_type", None) is not fo.Detections:
        raise CurationError(f"field '{field}' on '{name}' is not a Detections field")
    if masks and not samples.filter_labels(field, has_mask()).count(f"{field}.detections"):
        raise CurationError(f"field '{field}' on '{name}' has no masks")
