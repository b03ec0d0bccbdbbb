"""Track one video file: the FiftyOne-dataset-agnostic core of ``track``."""

from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import torch
from tqdm.auto import tqdm

from ..engine.runtime import autocast, model_device
from ..errors import VideoPromptError
from ..model.compat import cpu_video, quiet_sam3_progress, sam3_fixes, state_offload
from ..write.masks import ArrayMaskStore, MaskStore, doc_to_detection
from .builder import check_video_model
from .concept import thresholds, track_concept
from .config import TrackConfig
from .frames import FrameSource
from .instance import track_instances
from .labels import frame_docs
from .prompts import ObjectPrompt


@contextlib.contextmanager
def tracker_backbone(model) -> Iterator[None]:
    """Lend the detector's backbone to the tracker (sam3's SAM2-style video task).

    The tracker is built without a backbone; for point/box tracking it encodes
    frames itself. The attribute is restored so ``state_dict`` keys do not change.

    Args:
        model: a ``build_sam3_video`` model.

    Returns:
        a context manager.
    """
    tracker = model.tracker
    previous = tracker.backbone
    tracker.backbone = model.detector.backbone
    try:
        yield
    finally:
        tracker.backbone = previous


@contextlib.contextmanager
def running(model, cfg: TrackConfig) -> Iterator[None]:
    """Everything sam3's video model needs around a run (all scoped).

    The shared runtime (``engine.runtime.autocast``) and sam3 workarounds
    (``model.compat``), decided by the model's device, plus what tracking
    adds: text thresholds, or the tracker's borrowed backbone.

    Args:
        model: a ``build_sam3_video`` model.
        cfg: the run's configuration.

    Returns:
        a context manager.
    """
    device = model_device(model)
    with contextlib.ExitStack() as stack:
        stack.enter_context(torch.inference_mode())
        stack.enter_context(cpu_video(device))
        stack.enter_context(sam3_fixes())
        stack.enter_context(autocast(device))
        stack.enter_context(state_offload(model.tracker, cfg.offload_state_to_cpu, device))
        stack.enter_context(quiet_sam3_progress())
        if cfg.text is not None:
            stack.enter_context(thresholds(model, cfg.detection_threshold, cfg.new_track_threshold))
        else:
            stack.enter_context(tracker_backbone(model))
        yield


def _check_prompt_frames(prompts: Sequence[ObjectPrompt], num_frames: int) -> None:
    outside = sorted({p.frame_idx + 1 for p in prompts if p.frame_idx >= num_frames})
    if outside:
        raise VideoPromptError(f"prompt frame(s) {outside} are beyond the video's {num_frames} frames")


def _labels_by_id(prompts: Sequence[ObjectPrompt], default: str) -> dict[int, str]:
    labels: dict[int, str] = {}
    for p in prompts:
        if p.label and p.obj_id not in labels:
            labels[p.obj_id] = p.label
    return {p.obj_id: labels.get(p.obj_id, default) for p in prompts}


def track_video(
    model,
    filepath: str,
    cfg: TrackConfig,
    prompts: Sequence[ObjectPrompt] = (),
    progress: bool = False,
    store: MaskStore | None = None,
    sample_id: str = "",
) -> tuple[int, dict[int, list]]:
    """Track objects through one video file.

    Args:
        model: a ``build_sam3_video`` model.
        filepath: the video.
        cfg: what to track (``cfg.text``), or how (``prompts`` for box/point runs).
        prompts: box/point prompts (0-based frames, relative coordinates).
        progress: show a bar of the frames tracked.
        store: how masks are cropped and encoded (``MaskStore``); by default
            they stay arrays and ``fo.Detection`` objects are returned.
        sample_id: names the mask files when ``store`` writes PNGs.

    Returns:
        ``(num_frames, detections)`` where ``detections`` maps each processed
        1-based frame number to its detections (``fo.Detection``s, or their
        database documents when ``store`` is given; one per track id, sorted by
        ``index``). Frames a pass did not reach are absent.
    """
    check_video_model(model)
    if cfg.text is None and not prompts:
        raise VideoPromptError("no box/point prompts were given")
    as_labels = store is None
    store = store or ArrayMaskStore()
    frames = FrameSource(filepath, size=model.image_size, cache_dir=cfg.frame_cache_dir)
    with frames:
        if cfg.text is None:
            _check_prompt_frames(prompts, len(frames))
            labels = _labels_by_id(prompts, cfg.label)
        first = cfg.prompt_frames[0] if cfg.prompt_frames else 1
        bar = tqdm(total=len(frames), desc="frames", unit="frame", leave=False, disable=not progress)
        merged: dict[int, dict[int, dict]] = {}
        with running(model, cfg), bar:
            if cfg.text is not None:
                stream = track_concept(
                    model, frames, cfg.text, first - 1, cfg.direction, cfg.memory_window
                )
            else:
                stream = track_instances(
                    model, frames, prompts, cfg.direction, cfg.memory_window, cfg.offload_state_to_cpu
                )
            for frame_idx, objects in stream:
                kept = [o for o in objects if o.score >= cfg.confidence]
                names = [cfg.text if cfg.text is not None else labels.get(o.obj_id, cfg.label) for o in kept]
                docs = frame_docs(kept, frames.width, frames.height, names, store, sample_id, cleanup=cfg.cleanup)
                merged.setdefault(frame_idx + 1, {}).update(docs)  # a later pass replaces, never duplicates
                bar.update(len(merged) - bar.n)
            bar.total = bar.n  # the passes reached every frame they will: the bar ends full
            bar.refresh()
        num_frames = len(frames)
    out = {fn: [d[k] for k in sorted(d)] for fn, d in sorted(merged.items())}
    if as_labels:
        out = {fn: [doc_to_detection(d) for d in docs] for fn, docs in out.items()}
    return num_frames, out
