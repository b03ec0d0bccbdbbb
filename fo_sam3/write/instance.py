"""In-place label updates: set attributes of existing labels, by label id."""

from __future__ import annotations

from collections import defaultdict


class LabelUpdateWriter:
    """Collects ``{label_id: {attr: value}}`` per sample and writes them in bulk.

    Only the named attributes of the named labels change; every other label
    and attribute is left as it is in the database (also when ``samples`` is
    a view that filters the field). ``field`` is a ``Detections`` field.
    One ``set_label_values`` call per attribute per batch.
    """

    def __init__(self, samples, field: str, batch_size: int = 64):
        self.dataset = samples._dataset
        self.root = f"{field}.detections"
        self.batch_size = batch_size
        self._pending: dict[str, list[dict]] = defaultdict(list)
        self._samples = 0
        self.written = 0

    def add(self, sample_id: str, updates: dict[str, dict]) -> None:
        for label_id, attrs in updates.items():
            for attr, value in attrs.items():
                self._pending[attr].append({"sample_id": sample_id, "label_id": label_id, "value": value})
        self._samples += 1
        if self._samples >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        for attr, values in self._pending.items():
            self.dataset.set_label_values(f"{self.root}.{attr}", values, validate=False)
        self.written += self._samples
        self._pending = defaultdict(list)
        self._samples = 0
