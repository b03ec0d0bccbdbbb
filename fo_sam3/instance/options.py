"""Frozen, validated options of instance mode (beyond ``SegmentConfig``)."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class InstanceOptions:
    """How instance prompts are formed and how their masks are written.

    Args:
        link_attr: a ``Keypoint`` adds its points to the detection whose
            attribute of this name has the same (non-None) value; in a
            keypoint-only run, keypoints sharing a value form one prompt.
        all_candidates: single-point prompts give 3 candidate masks; keep all
            of them (``sam_candidate`` 0..2) instead of the best-scoring one.
        tighten_boxes: set each box to the tight box of its mask (default:
            keep the box, with the mask cropped to it).
        score_attr: attribute receiving SAM's predicted IoU of the mask.
        source_attr: attribute of new-field copies holding the source label id.
    """

    link_attr: str = "index"
    all_candidates: bool = False
    tighten_boxes: bool = False
    score_attr: str = "sam_score"
    source_attr: str = "source_id"

    def __post_init__(self):
        for name in ("link_attr", "score_attr", "source_attr"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.isidentifier():
                raise ValueError(f"{name} must be an attribute name, got {value!r}")
        if self.score_attr == self.source_attr:
            raise ValueError("score_attr and source_attr must differ")

    @classmethod
    def from_kwargs(cls, **kwargs) -> "InstanceOptions":
        """Build from keyword arguments.

        Args:
            **kwargs: the options by name; unknown names raise ``TypeError``.

        Returns:
            the ``InstanceOptions``.
        """
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - names)
        if unknown:
            raise TypeError(f"unexpected arguments for instance mode: {', '.join(unknown)}")
        return cls(**kwargs)
