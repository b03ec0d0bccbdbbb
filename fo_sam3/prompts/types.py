"""Prompt records: what each image asks SAM3 (picklable; they cross into workers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

VISUAL = "visual"  # sam3's text for box-only exemplar queries


@dataclass(frozen=True)
class Query:
    """One SAM3 find query (concept mode).

    Args:
        text: what the model reads.
        label: what is written on the results.
        rel_boxes: (N, 4) FiftyOne-relative ``[x, y, w, h]`` exemplar boxes
            in [0, 1] of the original (upright) image; possibly none.
        positive: (N,) bool: each box is a positive (True) or negative
            exemplar.
        exemplar: the key of exemplar tokens encoded from other images
            (``concept.exemplars``); such a query has no boxes of its own.
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
        """``"text"``, ``"boxes"``, ``"text+boxes"`` or ``"exemplars"``."""
        if self.exemplar is not None:
            return "exemplars"
        if not len(self.positive):
            return "text"
        return "boxes" if self.text == VISUAL else "text+boxes"

    @property
    def name(self) -> str:
        """A short identifier written on each result as its ``query`` attribute."""
        return self.label if self.kind == "text" else f"{self.label} [{self.kind}]"


P = TypeVar("P")


@dataclass(frozen=True)
class ImageTask(Generic[P]):
    """A sample to process: its id, its image and its mode's prompts.

    Args:
        sample_id: the sample's id.
        filepath: the image's path.
        prompts: the mode's prompt records: ``Query`` in concept mode
            (``ImageTask[Query]``), ``instance.prompts.InstancePrompt`` in
            instance mode; none for ``mode="everything"``.
    """

    sample_id: str
    filepath: str
    prompts: tuple[P, ...] = ()
