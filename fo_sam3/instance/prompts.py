"""Instance prompts: one per detection (its box plus linked clicks) or per keypoint group.

Everything here is FiftyOne-relative; pixels come later, when the image size
is known. The records are picklable: they cross into DataLoader workers.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..errors import NoPromptError
from ..prompts.boxes import clip_rel_box
from ..prompts.points import OUTSIDE, click_problem, keypoint_points, points_outside
from .options import InstanceOptions

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class InstancePrompt:
    """One object to segment; coordinates are relative to the original image, in [0, 1].

    Args:
        source_id: the id of the detection (or first keypoint) that the
            prompt came from.
        label: its label.
        rel_box: the detection's FiftyOne-relative ``[x, y, w, h]`` clipped
            to the image, or ``None``.
        clipped: whether clipping changed it.
        points: (N, 2) relative ``(x, y)`` clicks.
        point_labels: (N,) 1 (positive) or 0 (negative) per click.
        mask: the detection's current mask, given to SAM as a mask prompt
            (``instance.refine``), or ``None``.
        mask_box: the relative ``[x, y, w, h]`` (unclipped) box that ``mask``
            is inscribed in.
    """

    source_id: str
    label: str | None
    rel_box: np.ndarray | None = None
    clipped: bool = False
    points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    point_labels: np.ndarray = field(default_factory=lambda: np.zeros((0,), np.int64))
    mask: np.ndarray | None = None
    mask_box: tuple[float, float, float, float] | None = None

    @property
    def rel_boxes(self) -> np.ndarray:
        """(1, 4) or (0, 4) relative ``[x, y, w, h]`` boxes."""
        return np.zeros((0, 4), np.float32) if self.rel_box is None else self.rel_box[None]

    @property
    def multimask(self) -> bool:
        """A single click is ambiguous: ask for 3 candidate masks."""
        return self.rel_box is None and len(self.points) == 1

    @property
    def signature(self) -> tuple[bool, int]:
        """Prompts with equal signatures can share one decoder call without padding."""
        return self.rel_box is not None, len(self.points)


def _attr(label, name: str):
    return label.get_field(name) if label.has_field(name) else None


def _grouped_points(keypoints, options: InstanceOptions, field_name: str, where: str, counts: Counter) -> dict:
    """``{key: (first keypoint, points, labels)}``; key is the link value (or the keypoint id).

    A keypoint with points outside [0, 1] is skipped with a warning (``outside_keypoints``).
    """
    groups: dict = {}
    for kp in keypoints.keypoints if keypoints is not None else []:
        pts, labels = keypoint_points(kp, field_name, where)
        if points_outside(pts):
            counts["outside_keypoints"] += 1
            logger.warning("%s: skipping keypoint %s in '%s': it %s: %s",
                           where, kp.id, field_name, OUTSIDE, kp.points)
            continue
        link = _attr(kp, options.link_attr)
        key = ("link", link) if link is not None else ("id", kp.id)
        first, p, lab = groups.get(key, (kp, [], []))
        groups[key] = (first, p + [pts], lab + [labels])
    return {k: (kp, np.concatenate(p), np.concatenate(lab)) for k, (kp, p, lab) in groups.items()}


def box_prompts(sample, box_field: str, point_field: str | None, options: InstanceOptions,
                skip_masked: bool, counts: Counter) -> list[InstancePrompt]:
    """One prompt per usable detection of ``sample[box_field]``, with its linked clicks.

    Detections that already have a mask are left out when ``skip_masked``.
    Degenerate, non-finite or outside-image boxes (and clicks outside the
    image) are skipped with a warning naming the sample and the label.

    Args:
        sample: a ``fiftyone.core.sample.Sample``.
        box_field: its ``Detections`` field.
        point_field: its ``Keypoints`` field of linked clicks, or ``None``.
        options: how clicks link to detections (``link_attr``).
        skip_masked: leave out detections that already have a mask.
        counts: tallies of what was skipped (updated).

    Returns:
        the ``InstancePrompt``s; raises ``NoPromptError`` when none is left.
    """
    where = f"sample {sample.id}"
    dets = sample[box_field]
    if dets is None or not dets.detections:
        raise NoPromptError(f"{where}: no detections in field '{box_field}'")
    links = {}
    if point_field:
        links = _grouped_points(sample[point_field], options, point_field, where, counts)
    by_link = {("link", v): d for d in dets.detections if (v := _attr(d, options.link_attr)) is not None}
    for key, (kp, _, _) in links.items():
        if key not in by_link:
            counts["unlinked_keypoints"] += 1
            logger.warning("%s: keypoint %s in '%s' is linked to no detection of '%s'; ignored",
                           where, kp.id, point_field, box_field)
    prompts = []
    for det in dets.detections:
        if skip_masked and det.has_mask:
            counts["kept_masks"] += 1
            continue
        box = clip_rel_box(det.bounding_box)
        if box is None:
            counts["degenerate_boxes"] += 1
            logger.warning("%s: skipping detection %s in '%s': degenerate, non-finite or outside-image box %s",
                           where, det.id, box_field, det.bounding_box)
            continue
        link = _attr(det, options.link_attr)
        group = links.get(("link", link)) if link is not None else None
        extra = {} if group is None else {"points": group[1], "point_labels": group[2]}
        clipped = not np.array_equal(box, det.bounding_box)
        prompts.append(InstancePrompt(det.id, det.label, box, clipped, **extra))
    if not prompts:
        raise NoPromptError(f"{where}: no detection in '{box_field}' left to segment")
    return prompts


def point_prompts(sample, point_field: str, options: InstanceOptions, counts: Counter) -> list[InstancePrompt]:
    """One prompt per keypoint (keypoints sharing a ``link_attr`` value form one prompt).

    Clicks with no finite point (``empty_keypoints``), outside the image
    (``outside_keypoints``) or only negative (``negative_keypoints``: nothing
    to segment) are skipped with a warning naming the sample and the keypoint.

    Args:
        sample: a ``fiftyone.core.sample.Sample``.
        point_field: its ``Keypoints`` field.
        options: keypoints sharing a ``link_attr`` value form one prompt.
        counts: counts skipped keypoints (``empty_keypoints``,
            ``outside_keypoints``, ``negative_keypoints``).

    Returns:
        one ``InstancePrompt`` per keypoint (group); raises
        ``NoPromptError`` when none is left.
    """
    where = f"sample {sample.id}"
    kps = sample[point_field]
    if kps is None or not kps.keypoints:
        raise NoPromptError(f"{where}: no keypoints in field '{point_field}'")
    prompts = []
    for kp, pts, labels in _grouped_points(kps, options, point_field, where, counts).values():
        problem = click_problem(labels)
        if problem is not None:
            counts["empty_keypoints" if not len(pts) else "negative_keypoints"] += 1
            logger.warning("%s: keypoint %s in '%s' %s; skipped", where, kp.id, point_field, problem)
            continue
        prompts.append(InstancePrompt(kp.id, kp.label, points=pts, point_labels=labels))
    if not prompts:
        raise NoPromptError(f"{where}: no usable point in '{point_field}'")
    return prompts

