"""``track``: prompt SAM3 on video frames, track through the video, write a frame field."""

from __future__ import annotations

import logging
import time

import fiftyone as fo
import fiftyone.core.utils as fou
from fiftyone import ViewField as F

from .builder import load_video_model
from .config import TrackConfig, TrackSummary
from .errors import VideoFieldError, VideoPromptError, VideoSampleError
from .prompts import collect_prompts
from .session import track_video

logger = logging.getLogger(__name__)


def _frame_field(name: str | None) -> str | None:
    if name is None:
        return None
    return name[len("frames."):] if name.startswith("frames.") else name


def _check_frame_field(samples, name: str, label_type, role: str, required: bool = True) -> bool:
    """Whether frame field ``name`` exists; raises if it has the wrong type."""
    field = samples.get_frame_field_schema().get(name)
    if field is None:
        if required:
            raise VideoFieldError(f"{role} field 'frames.{name}' does not exist on {samples.name!r}")
        return False
    doc = getattr(field, "document_type", None)
    if not (isinstance(doc, type) and issubclass(doc, label_type)):
        raise VideoFieldError(
            f"{role} field 'frames.{name}' must hold {label_type.__name__}, not {type(field).__name__}"
            + (f"({doc.__name__})" if isinstance(doc, type) else "")
        )
    return True


def _prompt_frames(prompt_frame):
    if prompt_frame is None:
        return None
    if isinstance(prompt_frame, int):
        return (prompt_frame,)
    return tuple(prompt_frame)


def _ids_with_labels(samples, field: str) -> set[str]:
    has = samples.match(F("frames").filter(F(field) != None).length() > 0)  # noqa: E711
    return set(has.values("id"))


def _write(sample, field: str, results: dict, overwrite: bool) -> tuple[int, int]:
    for fn, dets in results.items():
        sample.frames[fn][field] = fo.Detections(detections=dets)
    if overwrite:  # frames no pass reached must not keep stale labels
        for fn in list(sample.frames.keys()):
            frame = sample.frames[fn]
            if fn not in results and frame.has_field(field) and frame[field] is not None:
                frame[field] = None
    sample.save()
    return len(results), sum(len(d) for d in results.values())


def _sample_prompts(sample, cfg: TrackConfig):
    if cfg.text is not None:
        fn = cfg.prompt_frames[0]
        if sample.metadata is not None and sample.metadata.total_frame_count:
            if fn > sample.metadata.total_frame_count:
                raise VideoPromptError(
                    f"prompt frame {fn} is beyond the video's {sample.metadata.total_frame_count} frames"
                )
        return ()
    prompts = collect_prompts(sample, cfg.prompt_frames, cfg.box_field, cfg.point_field)
    if not prompts:
        fields = " or ".join(repr(f) for f in (cfg.box_field, cfg.point_field) if f)
        where = "any frame" if cfg.prompt_frames is None else f"frame(s) {list(cfg.prompt_frames)}"
        raise VideoPromptError(f"no prompt labels in {fields} on {where}")
    return prompts


def track(
    samples,
    label_field: str,
    text: str | None = None,
    box_field: str | None = None,
    point_field: str | None = None,
    prompt_frame=1,
    direction: str = "both",
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
    confidence: float = 0.5,
    overwrite: bool = False,
    skip_existing: bool = False,
    skip_failures: bool = True,
    progress: bool = True,
    **options,
) -> TrackSummary:
    """Track objects through the videos of ``samples`` and write ``frames.<label_field>``.

    Prompts are either ``text`` on frame ``prompt_frame`` (every instance of the
    concept is tracked, and new ones as they appear), or the labels of the
    frame-level ``Detections`` field ``box_field`` and/or ``Keypoints`` field
    ``point_field`` on ``prompt_frame`` (an int, a list of ints, or ``None`` for
    every frame with labels; 1-based). Each label becomes one track whose id is
    its ``index`` when set.

    Every frame reached by propagation (all frames for ``direction="both"``)
    gets a ``Detections`` (possibly empty) with one ``Detection`` per visible
    track: relative box, mask cropped to the box, ``confidence``, and
    ``index`` = track id.

    Args:
        samples: a video ``Dataset`` or view.
        label_field: output frame field (``"name"`` or ``"frames.name"``).
        model / checkpoint / variant / device: a ``build_sam3_video`` model,
            or how to build one (default ``variant="full"``).
        confidence: minimum track score written (see ``TrackConfig``).
        overwrite: replace an existing ``label_field``; otherwise an existing
            field is an error unless ``skip_existing``.
        skip_existing: only process samples whose ``label_field`` is empty.
        skip_failures: record a failing sample (missing prompts, unreadable
            video, ...) in the summary and continue, instead of raising.
        progress: show progress bars.
        **options: further ``TrackConfig`` fields (``memory_window``,
            ``detection_threshold``, ``new_track_threshold``, ``label``, ...).

    Returns:
        a ``TrackSummary``.
    """
    start = time.monotonic()
    cfg = TrackConfig(
        text=text,
        box_field=_frame_field(box_field),
        point_field=_frame_field(point_field),
        prompt_frames=_prompt_frames(prompt_frame),
        direction=direction,
        confidence=confidence,
        overwrite=overwrite,
        skip_existing=skip_existing,
        skip_failures=skip_failures,
        progress=progress,
        **options,
    )
    label_field = _frame_field(label_field)
    if samples.media_type != "video":
        raise VideoFieldError(
            f"track needs a video collection; {samples.name!r} holds {samples.media_type!r}"
        )
    if label_field in (cfg.box_field, cfg.point_field):
        raise VideoFieldError(f"label_field 'frames.{label_field}' is also a prompt field")
    if cfg.box_field:
        _check_frame_field(samples, cfg.box_field, fo.Detections, "box")
    if cfg.point_field:
        _check_frame_field(samples, cfg.point_field, fo.Keypoints, "point")
    exists = _check_frame_field(samples, label_field, fo.Detections, "label", required=False)
    skip_ids: set[str] = set()
    if exists and skip_existing:
        skip_ids = _ids_with_labels(samples, label_field)
    elif exists and not overwrite:
        raise VideoFieldError(
            f"frame field 'frames.{label_field}' already exists; pass overwrite=True or skip_existing=True"
        )
    # ids first: tracking one video can outlast a database cursor's timeout
    todo = [i for i in samples.values("id") if i not in skip_ids]
    if model is None and todo:
        model = load_video_model(variant, checkpoint, device)

    done = frames_written = dets_written = 0
    failures: dict[str, str] = {}
    with fou.ProgressBar(total=len(todo), progress=progress) as bar:
        for sample_id in todo:
            sample = samples[sample_id]
            try:
                prompts = _sample_prompts(sample, cfg)
                _, results = track_video(model, sample.filepath, cfg, prompts, progress=progress)
                nf, nd = _write(sample, label_field, results, overwrite)
                done, frames_written, dets_written = done + 1, frames_written + nf, dets_written + nd
            except Exception as e:
                err = VideoSampleError(sample.id, sample.filepath, label_field, f"{type(e).__name__}: {e}")
                if not skip_failures:
                    raise err from e
                logger.warning("skipping %s", err)
                failures[sample.id] = err.reason
            bar.update()
    return TrackSummary(
        label_field=label_field.removeprefix("frames."),
        samples_done=done,
        samples_skipped=len(skip_ids),
        samples_failed=len(failures),
        frames_written=frames_written,
        detections_written=dets_written,
        seconds=time.monotonic() - start,
        failures=failures,
    )
