"""``track``: prompt SAM3 on video frames, track through the video, write a frame field."""

from __future__ import annotations

import logging
import time

import fiftyone as fo
import fiftyone.core.utils as fou

from ..engine.summary import RunSummary
from ..errors import VideoFieldError, VideoPromptError, VideoSampleError, is_fatal
from ..model.cache import get_video_model
from ..prompts.fields import FRAMES, frame_field
from ..prompts.spec import check_frame_field
from ..prompts.text import warn_long_texts
from ..write.encode import detections_doc
from ..write.fields import prepare_output_field
from ..write.masks import MaskStore
from ..write.stage import Failed, OutputStage
from ..write.updates import Update
from .builder import check_video_model
from .config import TrackConfig
from .prompts import collect_prompts
from .session import track_video

logger = logging.getLogger(__name__)


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
    model=None,
    checkpoint=None,
    variant: str | None = None,
    device=None,
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
    images, and the output field is checked by the same rules
    (``write.fields``).

    Args:
        samples: a video ``Dataset`` or view.
        label_field: output frame field (``"name"`` or ``"frames.name"``).
        text: one text concept.
        box_field / point_field: frame-level prompt fields (``"gt"`` or
            ``"frames.gt"``).
        prompt_frame: the 1-based frame number(s) holding the prompts.
        model / checkpoint / variant / device: a ``build_sam3_video`` model,
            or how to build one (default ``variant="full"``; see
            ``model.cache.get_video_model``).
        output_dir: write masks as PNG files here (``mask_path``).
        **options: ``TrackConfig`` settings: ``direction`` (``"both"``,
            ``"forward"``, ``"backward"``), ``confidence`` (minimum track
            score written, 0.5), ``overwrite`` (replace an existing
            ``label_field``), ``skip_existing`` (only samples whose
            ``label_field`` is empty; otherwise an existing field is an
            error), ``skip_failures`` (record a failing sample in the summary
            and continue, instead of raising; default True), ``progress``,
            ``memory_window``, ``detection_threshold``,
            ``new_track_threshold``, ``label``, mask clean-up, ...

    Returns:
        a ``RunSummary`` (with ``frames``).

    Raises:
        VideoFieldError: ``samples`` is not a video collection, or a prompt or
            the output field is unusable.
        NotAVideoModelError: ``model`` is not sam3's video model.
    """
    start = time.monotonic()
    cfg = TrackConfig(text=text, box_field=box_field, point_field=point_field, prompt_frames=prompt_frame, **options)
    if samples.media_type != "video":
        raise VideoFieldError(
            f"track needs a video collection; {samples.name!r} holds {samples.media_type!r}"
        )
    if model is not None:
        check_video_model(model)
    for role, name, types in (("box", cfg.box_field, (fo.Detections,)), ("point", cfg.point_field, (fo.Keypoints,))):
        if name:
            check_frame_field(samples, FRAMES + name, types, role, error=VideoFieldError)
    field = frame_field(label_field)
    view, declare = prepare_output_field(
        samples, FRAMES + field, cfg.overwrite, cfg.skip_existing, frames=True,
        prompt_fields=(cfg.box_field, cfg.point_field), error=VideoFieldError,
    )
    if cfg.text is not None:
        warn_long_texts([cfg.text], "", set())
    # ids first: tracking one video can outlast a database cursor's timeout
    todo = view.values("id")
    if todo:
        model = get_video_model(model, checkpoint, variant, device)
    summary = RunSummary(field=FRAMES + field, skipped=len(samples) - len(todo), frames=0)
    _run(samples, field, todo, model, cfg, summary, declare, output_dir=output_dir)
    summary.seconds = time.monotonic() - start
    return summary


def _run(samples, field: str, todo: list[str], model, cfg: TrackConfig, summary: RunSummary,
         declare, output_dir: str | None) -> None:
    """Track each video and write it through the output stage (one sample at a time)."""
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
        if declare is not None:  # before the first write: a run that writes nothing adds no field
            declare()
            declare = None

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
