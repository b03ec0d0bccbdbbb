"""Instance prompts for video tracking, read from frame-level FiftyOne labels.

Coordinates stay FiftyOne-relative (``[0, 1]`` of the frame's width/height);
frame numbers are converted from FiftyOne's 1-based numbers to sam3's 0-based
indices here, and nowhere else. Boxes, points and polarity follow the
image rules of ``fo_sam3.prompts``; a label they reject fails the video with
a ``VideoPromptError`` naming the field, frame and label.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PromptError, VideoPromptError
from ..prompts.boxes import clip_rel_box
from ..prompts.points import NO_POINT, ONLY_NEGATIVE, OUTSIDE, click_problem, keypoint_points, points_outside


@dataclass(frozen=True)
class ObjectPrompt:
    """One object's prompt on one frame.

    Attributes:
        frame_idx: 0-based frame index (FiftyOne frame number - 1).
        obj_id: the track id; a label's ``index`` where set.
        label: the label to write for this track (``None``: use the default).
        box: relative ``(x0, y0, x1, y1)`` in ``[0, 1]``, or ``None``.
        points: relative ``(x, y)`` pairs.
        point_labels: one per point: 1 positive, 0 negative.
    """

    frame_idx: int
    obj_id: int
    label: str | None = None
    box: tuple[float, float, float, float] | None = None
    points: tuple[tuple[float, float], ...] = ()
    point_labels: tuple[int, ...] = ()


def _box(det, where: str) -> tuple[float, float, float, float]:
    box = clip_rel_box(det.bounding_box)
    if box is None:
        raise VideoPromptError(
            f"{where}: detection {det.id} has a missing, non-finite or empty box {det.bounding_box}"
        )
    x, y, w, h = (float(v) for v in box)
    return x, y, x + w, y + h


def _points(kp, field: str, fn: int, where: str) -> tuple[tuple[tuple[float, float], ...], tuple[int, ...]]:
    try:
        pts, labels = keypoint_points(kp, field, f"frame {fn}", dtype=np.float64)
    except PromptError as e:
        raise VideoPromptError(str(e)) from None
    if not len(pts):
        raise VideoPromptError(f"{where}: keypoint {kp.id} {NO_POINT}")
    if points_outside(pts):
        raise VideoPromptError(f"{where}: keypoint {kp.id} {OUTSIDE}: {kp.points}")
    return tuple((float(x), float(y)) for x, y in pts), tuple(int(v) for v in labels)


def _index(label) -> int | None:
    idx = getattr(label, "index", None)
    return None if idx is None else int(idx)


def collect_prompts(sample, frame_numbers, box_field=None, point_field=None) -> list[ObjectPrompt]:
    """Object prompts on ``frame_numbers`` (1-based) of one video sample.

    Each ``Detection`` of ``box_field`` and each ``Keypoint`` of ``point_field``
    becomes one object; a detection and a keypoint with the same ``index`` on
    the same frame prompt one object (box plus points). Labels without
    ``index`` get fresh ids above every index used in the sample's prompts.
    ``frame_numbers=None`` means every frame that has prompt labels. An
    object with clicks but no box needs a positive click.

    Args:
        sample: a video sample.
        frame_numbers: 1-based frame numbers, or ``None``.
        box_field: a frame-level ``Detections`` field (without ``frames.``).
        point_field: a frame-level ``Keypoints`` field (without ``frames.``).

    Returns:
        the ``ObjectPrompt``s, sorted by frame and id.

    Raises:
        VideoPromptError: a label breaks the image prompt rules, two boxes
            share an index on a frame, or an object has only negative clicks.
    """
    raw = []  # (frame_idx, index, label, box, points, point_labels, source)
    numbers = sorted(sample.frames.keys()) if frame_numbers is None else frame_numbers
    for fn in numbers:
        if fn not in sample.frames:
            continue
        frame = sample.frames[fn]
        where = f"field {{}} on frame {fn}"
        if box_field:
            dets = frame[box_field]
            for det in getattr(dets, "detections", None) or []:
                box = _box(det, where.format(repr(box_field)))
                raw.append((fn - 1, _index(det), det.label, box, (), (), ""))
        if point_field:
            kps = frame[point_field]
            for kp in getattr(kps, "keypoints", None) or []:
                source = f"{where.format(repr(point_field))}: keypoint {kp.id}"
                pts, labs = _points(kp, point_field, fn, where.format(repr(point_field)))
                raw.append((fn - 1, _index(kp), kp.label, None, pts, labs, source))
    return _assign_ids(raw)


def _assign_ids(raw) -> list[ObjectPrompt]:
    used = [r[1] for r in raw if r[1] is not None]
    next_id = max(used, default=-1) + 1
    merged: dict[tuple[int, int], ObjectPrompt] = {}
    sources: dict[tuple[int, int], list[str]] = {}
    for frame_idx, index, label, box, pts, labs, source in raw:
        if index is None:
            index, next_id = next_id, next_id + 1
        key = (frame_idx, index)
        sources.setdefault(key, []).append(source)
        prev = merged.get(key)
        if prev is None:
            merged[key] = ObjectPrompt(frame_idx, index, label, box, pts, labs)
            continue
        if box is not None and prev.box is not None:
            raise VideoPromptError(
                f"two boxes with index {index} on frame {frame_idx + 1}; indexes must be unique per frame"
            )
        merged[key] = ObjectPrompt(
            frame_idx,
            index,
            prev.label or label,
            prev.box or box,
            prev.points + pts,
            prev.point_labels + labs,
        )
    for key, p in merged.items():
        if p.box is None and click_problem(p.point_labels) == ONLY_NEGATIVE:
            raise VideoPromptError(f"{'; '.join(filter(None, sources[key]))} {ONLY_NEGATIVE}")
    return sorted(merged.values(), key=lambda p: (p.frame_idx, p.obj_id))
