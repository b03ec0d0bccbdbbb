"""``track``: prompt SAM3 on video frames, track through the video, write a frame field."""

from __future__ import annotations

import logging
import time

import fiftyone as fo
import fiftyone.core.utils as fou
from fiftyone import ViewField as F

from ..engine.summary import RunSummary
from ..errors import is_fatal
from ..write.encode import detections_doc
from ..write.masks import MaskStore
from ..write.stage import Failed, OutputStage
from ..write.updates import Update
from .builder import check_video_model, load_video_model
from .config import TrackConfig
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
    output_dir: str | None = None,
    **options,
) -> RunSummary:
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
    ``index`` = track id. Masks are written through the same output stage as
    images.

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
        output_dir: write masks as PNG files here (``mask_path``).
        **options: further ``TrackConfig`` fields (``memory_window``,
            ``detection_threshold``, ``new_track_threshold``, ``label``, ...).

    Returns:
        a ``RunSummary`` (with ``frames``).
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
    if model is not None:
        check_video_model(model)
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
    if cfg.text is not None:
        from ..prompts.text import warn_long_texts

        warn_long_texts([cfg.text], "", set())
    # ids first: tracking one video can outlast a database cursor's timeout
    todo = [i for i in samples.values("id") if i not in skip_ids]
    if model is None and todo:
        model = load_video_model(variant, checkpoint, device)
    summary = RunSummary(field=f"frames.{label_field}", skipped=len(skip_ids), frames=0)
    _run(samples, label_field, todo, model, cfg, summary, declare=not exists, output_dir=output_dir)
    summary.seconds = time.monotonic() - start
    return summary


def _run(samples, field: str, todo: list[str], model, cfg: TrackConfig, summary: RunSummary,
         declare: bool, output_dir: str | None) -> None:
    """Track each video and write it through the output stage (one sample at a time)."""
    dataset = samples._dataset
    store = MaskStore(output_dir=output_dir)

    def done(update: Update) -> None:
        summary.done += 1
        summary.frames += len(update.frames)
        summary.detections += update.count

    def fail(f) -> None:
        summary.failed += 1
        summary.failures.append((f.sample_id, f.filepath, f.reason))

    def hook(ops) -> None:
        nonlocal declare
        if declare:
            dataset.add_frame_field(field, fo.EmbeddedDocumentField, embedded_doc_type=fo.Detections)
            declare = False

    stage = OutputStage(samples, field, lambda u: u, done, fail, workers=1, write_batch=1, write_bytes=1,
                        mask_dir=output_dir, frames=True, on_note=summary.notes.append, before_write=hook)
    ok = False
    try:
        with fou.ProgressBar(total=len(todo), progress=cfg.progress) as bar:
            for sample_id in todo:
                sample = samples[sample_id]
                try:
                    prompts = _sample_prompts(sample, cfg)
                    _, results = track_video(model, sample.filepath, cfg, prompts, progress=cfg.progress,
                                             store=store, sample_id=sample.id)
                except Exception as e:
                    if is_fatal(e):
                        raise
                    err = VideoSampleError(sample.id, sample.filepath, field, f"{type(e).__name__}: {e}")
                    if not cfg.skip_failures:
                        raise err from e
                    logger.warning("skipping %s", err)
                    fail(Failed(sample.id, sample.filepath, err.reason))
                    bar.update()
                    continue
                frames = {fn: detections_doc(docs) for fn, docs in results.items()}
                stage.submit(sample.id, sample.filepath, Update(
                    sample.id, frames=frames, clear_other_frames=cfg.overwrite,
                    count=sum(len(d) for d in results.values())))
                bar.update()
        ok = True
    finally:
        stage.close(abort=not ok)
