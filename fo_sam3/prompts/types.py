"""Prompt records: what each image asks SAM3 (picklable; they cross into workers)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

VISUAL = "visual"  # sam3's text for box-only exemplar queries


@dataclass(frozen=True)
class Query:
    """One SAM3 find query.

    ``rel_boxes`` are FiftyOne-relative ``[x, y, w, h]`` exemplars (possibly
    none); ``positive`` flags each as a positive (True) or negative exemplar.
    ``text`` is what the model reads; ``label`` is written on the results.
    ``exemplar`` names exemplar tokens encoded from other images
    (``engine.exemplars``); such a query has no boxes of its own.
    """

    text: str
    label: str
    rel_boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    positive: np.ndarray = field(default_factory=lambda: np.zeros((0,), bool))
    exemplar: str | None = None

    def __post_init__(self):
        if self.rel_boxes.shape != (len(self.positive), 4):
            raise ValueError("rel_boxes must be (N, 4) with one polarity per box")
        if self.exemplar is not None and len(self.positive):
            raise ValueError("an exemplar query carries no boxes of its own")

    @property
    def kind(self) -> str:
        if self.exemplar is not None:
            return "exemplars"
        if not len(self.positive):
            return "text"
        return "boxes" if self.text == VISUAL else "text+boxes"

    @property
    def name(self) -> str:
        """A short identifier written on each result as its ``query`` attribute."""
        return self.label if self.kind == "text" else f"{self.label} [{self.kind}]"


@dataclass(frozen=True)
class ImageTask:
    """A sample to process: its id, image path and queries."""

    sample_id: str
    filepath: str
    queries: tuple[Query, ...]
