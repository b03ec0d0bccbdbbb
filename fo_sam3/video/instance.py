"""Box/point tracking with sam3's SAM2-style tracker (``model.tracker``).

Objects are grouped by the set of frames they are prompted on, and each group
gets its own tracker state (as sam3's video model batches objects by the frame
they appear on). In one shared state, an object not prompted on another
object's prompt frame would be stored there as an empty conditioning mask,
i.e. "absent". The groups advance in lockstep, one frame at a time, sharing
that frame's backbone features, so the backbone runs once per frame.

Each state's "video" size is the tracker's low-res mask size (288 x 288 at
1008), so sam3 never materialises float masks at video resolution;
``labels.to_detection`` turns the low-res logits into cropped full-resolution
masks exactly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from .memory import trim_state
from .prompts import ObjectPrompt


@dataclass(frozen=True)
class FrameObject:
    """One tracked object on one frame.

    Exactly one of ``logits`` (low-res ``(h, w)`` mask logits covering the
    whole frame, positive inside) and ``mask`` (full-resolution ``(H, W)``
    bool) is set.
    """

    obj_id: int
    score: float
    logits: torch.Tensor | None = None
    mask: np.ndarray | None = None


@dataclass(frozen=True)
class Group:
    """A tracker state for the objects prompted on exactly ``prompt_frames`` (0-based)."""

    state: dict
    prompt_frames: tuple[int, ...]


def schedule(direction: str, groups: Sequence[Group]) -> list[tuple[bool, list[int], list[range]]]:
    """Propagation passes: ``(reverse, frame order, per-group active frames)``.

    ``both``: each group runs forward from its first prompt frame to the end,
    and backward from it to frame 0; ``forward``: only the former;
    ``backward``: from its last prompt frame down to 0. A frame is produced by
    one pass per group, except a group's start frame, which both passes
    return unchanged.

    Args:
        direction: one of ``config.DIRECTIONS``.
        groups: the tracker states (all of the same video).

    Returns:
        the passes, in order.
    """
    num = groups[0].state["num_frames"]
    firsts = [g.prompt_frames[0] for g in groups]
    lasts = [g.prompt_frames[-1] for g in groups]
    out = []
    if direction in ("both", "forward"):
        out.append((False, list(range(min(firsts), num)), [range(f, num) for f in firsts]))
    if direction == "both":
        out.append((True, list(range(max(firsts), -1, -1)), [range(0, f + 1) for f in firsts]))
    if direction == "backward":
        out.append((True, list(range(max(lasts), -1, -1)), [range(0, f + 1) for f in lasts]))
    return out


def _add_prompt(tracker, state, p: ObjectPrompt) -> None:
    points = labels = box = None
    if p.points:
        points = torch.tensor(p.points, dtype=torch.float32).reshape(-1, 2)
        labels = torch.tensor(p.point_labels, dtype=torch.int32)
    if p.box is not None:
        box = torch.tensor([p.box], dtype=torch.float32)
    tracker.add_new_points_or_box(
        state, frame_idx=p.frame_idx, obj_id=p.obj_id, points=points, labels=labels, box=box
    )


class InstanceSession:
    """Tracker states for ``prompts`` on ``frames``, ready to propagate.

    Must be used inside ``session.running(model, cfg)`` (CPU workarounds,
    the tracker's borrowed backbone, autocast).
    """

    def __init__(self, model, frames, prompts: Sequence[ObjectPrompt], offload_state_to_cpu: bool = True):
        if not prompts:
            raise ValueError("no prompts to track")
        self.tracker = model.tracker
        self.frames = frames
        self._cache: dict = {}
        frames_of = defaultdict(set)
        for p in prompts:
            frames_of[p.obj_id].add(p.frame_idx)
        members = defaultdict(list)
        for p in prompts:
            members[tuple(sorted(frames_of[p.obj_id]))].append(p)
        size = self.tracker.low_res_mask_size
        self.groups = []
        for key in sorted(members):
            state = self.tracker.init_state(
                video_height=size,
                video_width=size,
                num_frames=len(frames),
                offload_state_to_cpu=offload_state_to_cpu,
            )
            state["images"] = frames
            self.groups.append(Group(state, key))
        for f in sorted({p.frame_idx for p in prompts}):
            for group in self.groups:
                for p in members[group.prompt_frames]:
                    if p.frame_idx == f:
                        self._feed(group.state, f)
                        _add_prompt(self.tracker, group.state, p)
        for group in self.groups:
            self.tracker.propagate_in_video_preflight(group.state, run_mem_encoder=True)

    def _feed(self, state: dict, f: int) -> None:
        """Give ``state`` this frame's backbone features (computed once per frame)."""
        if f not in self._cache:
            image = self.frames[f].to(self.tracker.device).float().unsqueeze(0)
            self._cache = {f: (image, self.tracker.forward_image(image))}
        state["cached_features"] = self._cache

    def _step(self, state: dict, f: int, reverse: bool) -> list[FrameObject]:
        self._feed(state, f)
        stream = self.tracker.propagate_in_video(
            state, start_frame_idx=f, max_frame_num_to_track=0, reverse=reverse, tqdm_disable=True
        )
        ((_, obj_ids, _, masks, scores),) = list(stream)
        probs = torch.sigmoid(scores.float().flatten()).tolist()
        return [
            FrameObject(int(obj_id), float(prob), logits=masks[i, 0])
            for i, (obj_id, prob) in enumerate(zip(obj_ids, probs))
        ]

    def propagate(self, direction: str = "both", memory_window: int | None = 64):
        """Yield ``(frame_idx, objects)`` (0-based) for every frame a pass reaches.

        Args:
            direction: one of ``config.DIRECTIONS``.
            memory_window: see ``video.memory``.

        Returns:
            an iterator of ``(frame_idx, [FrameObject, ...])``.
        """
        for reverse, order, active in schedule(direction, self.groups):
            for f in order:
                running = [g for g, frames in zip(self.groups, active) if f in frames]
                if running:
                    yield f, [obj for g in running for obj in self._step(g.state, f, reverse)]
                for group in self.groups:
                    trim_state(self.tracker, group.state, f, group.prompt_frames, memory_window)
        self._cache = {}


def track_instances(
    model,
    frames,
    prompts: Sequence[ObjectPrompt],
    direction: str = "both",
    memory_window: int | None = 64,
    offload_state_to_cpu: bool = True,
) -> Iterator[tuple[int, list[FrameObject]]]:
    """Yield ``(frame_idx, objects)`` for every propagated frame (0-based).

    Args:
        model: a ``build_sam3_video`` model (inside ``session.running``).
        frames: an indexable of model inputs (``FrameSource``).
        prompts: the objects' prompts, relative to the frame.
        direction: one of ``config.DIRECTIONS``.
        memory_window: see ``video.memory``.
        offload_state_to_cpu: keep the tracker's memory in host RAM.

    Returns:
        an iterator of ``(frame_idx, [FrameObject, ...])``.
    """
    session = InstanceSession(model, frames, prompts, offload_state_to_cpu)
    yield from session.propagate(direction, memory_window)
