"""Keep sam3's per-frame tracker memory bounded on long videos.

sam3 keeps every tracked frame's output for the whole session: per object, a
``mem_dim x 72 x 72`` bfloat16 memory feature (663 KB for the full model,
166 KB tiny) and a 288 x 288 float32 low-res mask (332 KB), plus a small
object pointer. The tracker only ever attends to the last 6 non-conditioning
frames (spatial memory), object pointers of the last 15, and the 4
conditioning frames closest to the current one. ``trim_state`` drops outputs
of frames more than ``window`` frames away from both the current frame and the
prompt frames, so memory stays ``O(window)`` frames per object (about
``window x 1 MB`` per object for the full model) instead of ``O(video)``.

With ``window >= 16`` results are unchanged for plain tracking. With sam3's
temporal disambiguation (memory selection, on in the video model), frames
older than ``window`` can no longer be selected as memory; ``window=None``
keeps everything, as sam3 does.
"""

from __future__ import annotations

from typing import Iterable

MIN_WINDOW = 16


def _far(frame: int, current: int, anchors: Iterable[int], window: int) -> bool:
    return abs(frame - current) > window and all(abs(frame - a) > window for a in anchors)


def _kept_cond_frames(cond: list[int], current: int, keep: int) -> set[int]:
    """Cond frames sam3 may still select at ``current``: the closest on each side and ``keep`` nearest."""
    kept = set(sorted(cond, key=lambda t: (abs(t - current), t))[:keep])
    before = [t for t in cond if t < current]
    after = [t for t in cond if t >= current]
    if before:
        kept.add(max(before))
    if after:
        kept.add(min(after))
    return kept


def trim_state(tracker, state: dict, current: int, anchors: Iterable[int], window: int | None) -> int:
    """Drop frame outputs of one tracker state that sam3 will not attend to again.

    Conditioning frames added by sam3 itself (e.g. detector reconditioning) are
    first downgraded with sam3's own ``clear_all_points_in_frame``; user prompt
    frames (``anchors``) and the conditioning frames closest to ``current`` are
    kept.

    Args:
        tracker: the video model's tracker.
        state: one tracker inference state.
        current: the frame just tracked (0-based).
        anchors: the prompt frames (0-based), always kept.
        window: frames kept around ``current`` and the anchors (at least
            ``MIN_WINDOW``); ``None`` keeps everything.

    Returns:
        the number of frame outputs dropped.
    """
    if window is None:
        return 0
    window = max(int(window), MIN_WINDOW)
    anchors = tuple(anchors)
    outputs = state["output_dict"]
    cond = list(outputs["cond_frame_outputs"])
    kept = _kept_cond_frames(cond, current, tracker.max_cond_frames_in_attn)
    for frame in cond:
        if frame not in kept and _far(frame, current, anchors, window):
            for obj_id in list(state["obj_ids"]):
                tracker.clear_all_points_in_frame(state, frame, obj_id, need_output=False)
    dropped = 0
    for frame in list(outputs["non_cond_frame_outputs"]):
        if _far(frame, current, anchors, window):
            del outputs["non_cond_frame_outputs"][frame]
            dropped += 1
            for per_obj in state["output_dict_per_obj"].values():
                per_obj["non_cond_frame_outputs"].pop(frame, None)
    return dropped


def trim_concept_state(
    model, inference_state: dict, current: int, anchors: Iterable[int], window: int | None
) -> int:
    """``trim_state`` on every tracker state of a text (concept) session, and
    drop sam3's cached video-resolution output masks of ``current``.

    Args:
        model: a ``build_sam3_video`` model.
        inference_state: the concept session's state.
        current: the frame just tracked (0-based).
        anchors: the prompt frames (0-based), always kept.
        window: see ``trim_state``.

    Returns:
        the number of frame outputs dropped.
    """
    inference_state["cached_frame_outputs"].pop(current, None)
    return sum(
        trim_state(model.tracker, s, current, anchors, window)
        for s in inference_state["tracker_inference_states"]
    )
