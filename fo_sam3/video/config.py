"""Frozen, validated configuration of a video tracking run (its summary is ``engine.summary.RunSummary``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import DEFAULT_CONFIDENCE, DIRECTIONS
from ..prompts.fields import frame_field


@dataclass(frozen=True)
class TrackConfig:
    """What to track and how.

    Args:
        text: concept prompt; every instance on ``prompt_frames[0]`` (and new
            ones later) is tracked. Exclusive with ``box_field``/``point_field``.
        box_field / point_field: frame-level ``Detections`` / ``Keypoints``
            fields (``"gt"`` or ``"frames.gt"``) whose labels on
            ``prompt_frames`` each become one tracked object (``index`` keeps
            identity; ``sam_labels`` gives point polarity, 1 positive / 0
            negative, as for images).
        prompt_frames: 1-based frame numbers holding the prompts (one int or
            several); ``None`` (box/point only) means every frame with prompt
            labels.
        direction: ``"both"``, ``"forward"`` or ``"backward"`` from the prompts.
        confidence: write a tracked object on a frame only if its score is at
            least this (text: sam3's detection score of the track; box/point:
            sigmoid of the tracker's per-frame object score).
        detection_threshold / new_track_threshold: text mode only; sam3's
            ``score_threshold_detection`` / ``new_det_thresh`` (``None``: keep
            the model's, 0.5 / 0.7 for the released model).
        memory_window: frames of tracker memory kept around the current and
            prompt frames (see ``fo_sam3.video.memory``); ``None`` keeps all.
        offload_state_to_cpu: keep the tracker's per-frame memory in host RAM
            (always on without CUDA).
        frame_cache_dir: where decoded frames are memory-mapped (temp dir).
        label: label for box/point tracks whose prompt has none.
        min_area / fill_holes / largest_component: mask clean-up (see
            ``fo_sam3.convert.cleanup``), off by default.
        overwrite / skip_existing / skip_failures / progress: see ``track``.
    """

    text: str | None = None
    box_field: str | None = None
    point_field: str | None = None
    prompt_frames: tuple[int, ...] | int | None = (1,)
    direction: str = "both"
    confidence: float = DEFAULT_CONFIDENCE
    detection_threshold: float | None = None
    new_track_threshold: float | None = None
    memory_window: int | None = 64
    offload_state_to_cpu: bool = True
    frame_cache_dir: str | None = None
    label: str = "object"
    overwrite: bool = False
    skip_existing: bool = False
    skip_failures: bool = True
    progress: bool = True
    min_area: float | None = None
    fill_holes: bool | int = False
    largest_component: bool = False

    def __post_init__(self):
        object.__setattr__(self, "box_field", frame_field(self.box_field))
        object.__setattr__(self, "point_field", frame_field(self.point_field))
        if isinstance(self.prompt_frames, int):
            object.__setattr__(self, "prompt_frames", (self.prompt_frames,))
        has_instance = bool(self.box_field or self.point_field)
        if self.text is not None and not str(self.text).strip():
            raise ValueError("text must be a non-empty string")
        if (self.text is not None) == has_instance:
            raise ValueError("give exactly one kind of prompt: text=..., or box_field=/point_field=")
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {DIRECTIONS}, got {self.direction!r}")
        if self.prompt_frames is not None:
            frames = tuple(self.prompt_frames)
            if not frames or any(int(f) != f or f < 1 for f in frames):
                raise ValueError(f"prompt frames are 1-based frame numbers, got {self.prompt_frames!r}")
            object.__setattr__(self, "prompt_frames", tuple(sorted(set(int(f) for f in frames))))
        if self.text is not None and (self.prompt_frames is None or len(self.prompt_frames) != 1):
            raise ValueError("a text prompt needs exactly one prompt_frame")
        for name in ("confidence", "detection_threshold", "new_track_threshold"):
            v = getattr(self, name)
            if v is not None and not 0.0 <= v <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v}")
        if self.memory_window is not None and self.memory_window < 16:
            raise ValueError("memory_window must be >= 16 frames (or None to keep all)")
        if self.overwrite and self.skip_existing:
            raise ValueError("overwrite and skip_existing are mutually exclusive")
        from ..convert.cleanup import check_cleanup

        check_cleanup(self.min_area, self.fill_holes, self.largest_component)

    @property
    def cleanup(self) -> Cleanup | None:
        """The mask clean-up to apply (``None``: off), as for images."""
        from ..convert.cleanup import cleanup_of

        return cleanup_of(self.min_area, self.fill_holes, self.largest_component)
