"""Text (concept) tracking with sam3's detector + tracker video model.

Drives ``Sam3VideoInferenceWithInstanceInteractivity`` as sam3's video
predictor does (``add_prompt`` then ``propagate_in_video`` forward and/or
backward), with an inference state built on a lazy ``FrameSource`` instead of
sam3's loaders, which hold every frame as a float tensor.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from ..model.sam3_private import init_frame_inputs
from .instance import FrameObject
from .memory import trim_concept_state


def init_concept_state(model, frames) -> dict:
    """The state ``model.init_state`` builds, on lazily decoded frames.

    Args:
        model: a ``build_sam3_video`` model.
        frames: the video's ``FrameSource``.

    Returns:
        sam3's inference-state dict.
    """
    state = {
        "image_size": model.image_size,
        "num_frames": len(frames),
        "orig_height": frames.height,
        "orig_width": frames.width,
        "constants": {},
    }
    init_frame_inputs(model, state, frames)
    state.update(
        tracker_inference_states=[],
        tracker_metadata={},
        feature_cache={},
        cached_frame_outputs={},
        action_history=[],
        is_image_only=False,
    )
    return state


@contextlib.contextmanager
def thresholds(model, detection: float | None, new_track: float | None):
    """Temporarily set sam3's detection and new-track score thresholds.

    Args:
        model: a ``build_sam3_video`` model.
        detection: ``score_threshold_detection`` (``None``: keep the model's).
        new_track: ``new_det_thresh`` (``None``: keep the model's).

    Returns:
        a context manager that restores both.
    """
    saved = model.score_threshold_detection, model.new_det_thresh
    if detection is not None:
        model.score_threshold_detection = detection
    if new_track is not None:
        model.new_det_thresh = new_track
    try:
        yield
    finally:
        model.score_threshold_detection, model.new_det_thresh = saved


def _objects(out: dict) -> list[FrameObject]:
    return [
        FrameObject(int(obj_id), float(prob), mask=mask)
        for obj_id, prob, mask in zip(out["out_obj_ids"], out["out_probs"], out["out_binary_masks"])
    ]


def track_concept(
    model,
    frames,
    text: str,
    frame_idx: int,
    direction: str = "both",
    memory_window: int | None = 64,
) -> Iterator[tuple[int, list[FrameObject]]]:
    """Yield ``(frame_idx, objects)`` with full-resolution bool masks (0-based frames).

    The prompt frame comes from the forward pass (or from ``add_prompt`` when
    only tracking backward); sam3's backward pass starts one frame earlier.

    Args:
        model: a ``build_sam3_video`` model (inside ``session.running``).
        frames: the video's ``FrameSource``.
        text: the concept.
        frame_idx: the 0-based prompt frame.
        direction: one of ``config.DIRECTIONS``.
        memory_window: see ``video.memory``.

    Returns:
        an iterator of ``(frame_idx, [FrameObject, ...])``.
    """
    if not 0 <= frame_idx < len(frames):
        raise ValueError(f"prompt frame {frame_idx + 1} is outside the video's {len(frames)} frames")
    state = init_concept_state(model, frames)
    _, out = model.add_prompt(state, frame_idx=frame_idx, text_str=text)
    anchors = (frame_idx,)
    if direction == "backward":
        yield frame_idx, _objects(out)
    runs = []
    if direction in ("both", "forward"):
        runs.append(False)
    if direction in ("both", "backward") and frame_idx > 0:
        runs.append(True)
    for reverse in runs:
        # A second pass must be a full propagation: with an action history
        # ending at the first/last frame sam3 would only fetch cached outputs.
        state["action_history"].clear()
        for f, out in model.propagate_in_video(state, start_frame_idx=frame_idx, reverse=reverse):
            yield f, _objects(out)
            trim_concept_state(model, state, f, anchors, memory_window)
