"""Instance prompts for video tracking, read from frame-level FiftyOne labels.

Coordinates stay FiftyOne-relative (``[0, 1]`` of the frame's width/height);
frame numbers are converted from FiftyOne's 1-based numbers to sam3's 0-based
indices here, and nowhere else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import VideoPromptError


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


def _clip01(v: float) -> float:
    return min(max(float(v), 0.0), 1.0)


def _box(det, where: str) -> tuple[float, float, float, float]:
    bb = det.bounding_box
    if bb is None or len(bb) != 4 or not all(math.isfinite(float(v)) for v in bb):
        raise VideoPromptError(f"{where}: detection {det.id} has no valid bounding_box")
    x, y, w, h = (float(v) for v in bb)
    box = (_clip01(x), _clip01(y), _clip01(x + w), _clip01(y + h))
    if box[2] <= box[0] or box[3] <= box[1]:
        raise VideoPromptError(f"{where}: detection {det.id} has an empty box {bb}")
    return box


def _points(kp, where: str) -> tuple[tuple[tuple[float, float], ...], tuple[int, ...]]:
    pts = list(kp.points or [])
    polarity = kp.get_field("sam_labels") if kp.has_field("sam_labels") else None
    if polarity is None:
        polarity = [1] * len(pts)
    if len(polarity) != len(pts):
        raise VideoPromptError(
            f"{where}: keypoint {kp.id} has {len(pts)} points but {len(polarity)} sam_labels"
        )
    keep = [
        ((_clip01(p[0]), _clip01(p[1])), 1 if int(lab) else 0)
        for p, lab in zip(pts, polarity)
        if p is not None and len(p) == 2 and all(math.isfinite(float(c)) for c in p)
    ]
    if not keep:
        raise VideoPromptError(f"{where}: keypoint {kp.id} has no usable points")
    if not any(lab for _, lab in keep):
        raise VideoPromptError(f"{where}: keypoint {kp.id} has no positive point")
    return tuple(p for p, _ in keep), tuple(lab for _, lab in keep)


def _index(label) -> int | None:
    idx = getattr(label, "index", None)
    return None if idx is None else int(idx)


def collect_prompts(sample, frame_numbers, box_field=None, point_field=None) -> list[ObjectPrompt]:
    """Object prompts on ``frame_numbers`` (1-based) of one video sample.

    Each ``Detection`` of ``box_field`` and each ``Keypoint`` of ``point_field``
    becomes one object; a detection and a keypoint with the same ``index`` on
    the same frame prompt one object (box plus points). Labels without
    ``index`` get fresh ids above every index used in the sample's prompts.
    ``frame_numbers=None`` means every frame that has prompt labels.
    """
    raw = []  # (frame_idx, index, label, box, points, point_labels)
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
                raw.append((fn - 1, _index(det), det.label, box, (), ()))
        if point_field:
            kps = frame[point_field]
            for kp in getattr(kps, "keypoints", None) or []:
                pts, labs = _points(kp, where.format(repr(point_field)))
                raw.append((fn - 1, _index(kp), kp.label, None, pts, labs))
    return _assign_ids(raw)


def _assign_ids(raw) -> list[ObjectPrompt]:
    used = [r[1] for r in raw if r[1] is not None]
    next_id = max(used, default=-1) + 1
    merged: dict[tuple[int, int], ObjectPrompt] = {}
    for frame_idx, index, label, box, pts, labs in raw:
        if index is None:
            index, next_id = next_id, next_id + 1
        key = (frame_idx, index)
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
    return sorted(merged.values(), key=lambda p: (p.frame_idx, p.obj_id))
