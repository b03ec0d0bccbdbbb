"""Batched writes of label values to samples."""

from __future__ import annotations


class BulkWriter:
    """Collects ``{sample_id: value}`` and writes them with one bulk update per batch.

    Each sample's update is a single-document write, so an interrupted run
    leaves every sample either fully written or untouched.
    """

    def __init__(self, samples, field: str, batch_size: int = 64):
        self.dataset = samples._dataset
        self.field = field
        self.batch_size = batch_size
        self._pending: dict[str, object] = {}
        self.written = 0

    def add(self, sample_id: str, value) -> None:
        self._pending[sample_id] = value
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.dataset.set_values(self.field, self._pending, key_field="id", validate=False)
        self.written += len(self._pending)
        self._pending = {}
