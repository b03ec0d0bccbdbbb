"""``RunSummary``: what a labeling or tracking run did (one type for every mode)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass
class RunSummary:
    """Samples done, skipped and failed; labels (and, for videos, frames) written; wall time.

    Args:
        field: the output field.
        done: samples labeled.
        skipped: samples skipped (no prompt, or already labeled).
        failed: samples that failed.
        detections: labels written.
        seconds: wall time.
        failures: ``(sample_id, filepath, reason)`` per failed sample.
        notes: what was left out or changed, in words.
        frames: frames written (``None`` for image runs).
    """

    field: str = ""
    done: int = 0
    skipped: int = 0
    failed: int = 0
    detections: int = 0
    seconds: float = 0.0
    failures: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    frames: int | None = None

    @property
    def images_per_second(self) -> float:
        """Samples done per second."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def frames_per_second(self) -> float:
        """Frames written per second (0 for image runs)."""
        return (self.frames or 0) / self.seconds if self.seconds > 0 else 0.0

    @property
    def reasons(self) -> dict[str, str]:
        """``{sample_id: reason}`` of the failed samples."""
        return {sid: reason for sid, _, reason in self.failures}

    def as_dict(self) -> dict:
        """The summary as JSON-ready data.

        Returns:
            a dict (``frames`` keys only for video runs).
        """
        out = {
            "field": self.field,
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "detections": self.detections,
            "seconds": round(self.seconds, 3),
            "images_per_second": round(self.images_per_second, 3),
            "failures": [list(f) for f in self.failures],
            "notes": list(self.notes),
        }
        if self.frames is not None:
            out.update(frames=self.frames, frames_per_second=round(self.frames_per_second, 3))
        return out

    def __str__(self) -> str:
        if self.frames is None:
            text = (f"{self.field}: {self.done} samples done, {self.skipped} skipped, {self.failed} failed; "
                    f"{self.detections} labels written in {self.seconds:.1f}s ({self.images_per_second:.2f} img/s)")
        else:
            text = (f"{self.field}: {self.done} videos done, {self.skipped} skipped, {self.failed} failed; "
                    f"{self.frames} frames, {self.detections} labels written in {self.seconds:.1f}s "
                    f"({self.frames_per_second:.2f} frames/s)")
        for sid, path, reason in self.failures[:10]:
            text += f"\n  failed {sid} ({path}): {reason}"
        if len(self.failures) > 10:
            text += f"\n  ... and {len(self.failures) - 10} more failures"
        return text
