"""The pipelined run loop shared by every image mode.

Decoding happens in DataLoader workers, the model runs in this thread, and
the output stage (``write.stage``) crops, encodes and writes on its own
threads, so the three overlap. Host memory is bounded: samples are read in
chunks, queues are short, and write batches flush by bytes as well as count.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Protocol

import torch
from torch.utils.data import DataLoader

from ..config import SegmentConfig
from ..errors import FoSam3Error, NoPromptError, SampleError, is_fatal, is_oom
from ..prompts.types import ImageTask
from ..write.masks import MaskStore
from ..write.stage import OutputStage, default_mask_dir
from ..write.updates import Update
from .data import ImageBatch, LoadedImage, TaskDataset, collate
from .summary import RunSummary

logger = logging.getLogger(__name__)
CHUNK = 256  # samples read from the database at a time


class Job(Protocol):
    """What a mode supplies to ``run``: prompts per sample, a predictor call
    per batch and a database update per image.

    Attributes:
        fields: the sample fields the job reads.
    """

    fields: list[str]

    def task(self, sample) -> ImageTask:
        """The sample's task.

        Args:
            sample: a ``fiftyone.core.sample.Sample`` (only ``fields`` loaded).

        Returns:
            the ``ImageTask``; raises ``NoPromptError`` to skip the sample.
        """
        ...

    def predict(self, batch: ImageBatch) -> list[Any]:
        """The model's results for a decoded batch (typically the mode's
        predictor on ``batch.pixels``, ``batch.sizes`` and ``batch.prompts``).

        Args:
            batch: the ``ImageBatch``.

        Returns:
            one result per item.
        """
        ...

    def encode(self, item: LoadedImage, result: Any, store: MaskStore) -> Update:
        """One image's database update (runs on the output stage's threads).

        Args:
            item: the image.
            result: its result from ``predict``.
            store: where masks go.

        Returns:
            the ``Update``.
        """
        ...


class _Ledger:
    """The run's summary, updated from several threads, and the samples finished so far."""

    def __init__(self, summary: RunSummary, config: SegmentConfig):
        self.summary, self.config = summary, config
        self.lock = threading.Lock()
        self.finished = 0  # written or failed, for the progress bar

    def done(self, update: Update) -> None:
        with self.lock:
            self.summary.done += 1
            self.summary.detections += update.count
            self.finished += 1

    def fail(self, sample_id: str, filepath: str, reason: str, counted: bool = True) -> None:
        if not self.config.skip_failures:
            raise SampleError(sample_id, filepath, reason)
        logger.warning("skipping sample %s (%s): %s", sample_id, filepath, reason)
        with self.lock:
            self.summary.failed += 1
            self.summary.failures.append((sample_id, filepath, reason))
            self.finished += counted

    def note(self, text: str) -> None:
        with self.lock:
            if text not in self.summary.notes:
                self.summary.notes.append(text)

    def take(self, seen: int) -> int:
        with self.lock:
            return self.finished - seen


def _reason(e: BaseException) -> str:
    return str(e) if isinstance(e, FoSam3Error) else f"{type(e).__name__}: {e}"


class _Predictor:
    """Calls ``job.predict``, splitting batches that fail.

    Out of GPU memory: retried at half the batch size (and later batches
    stay smaller). Any other error: halved until the failing image is alone,
    which then fails with its reason. Errors that are not a sample's fault
    (``is_fatal``) stop the run.
    """

    def __init__(self, job: Job, ledger: _Ledger):
        self.job, self.ledger = job, ledger
        self.max_batch: int | None = None

    def __call__(self, batch: ImageBatch) -> tuple[list[tuple[LoadedImage, Any]], list[tuple[LoadedImage, str]]]:
        try:
            return list(zip(batch.items, self.job.predict(batch))), []
        except Exception as e:
            if is_fatal(e):
                raise
            oom = is_oom(e)
            if oom and torch.cuda.is_available():
                torch.cuda.empty_cache()
            if len(batch.items) <= 1:
                first = str(e).splitlines()[0][:200] if str(e) else ""
                reason = f"out of memory even alone: {first}" if oom else _reason(e)
                return [], [(batch.items[0], reason)]
        half = len(batch.items) // 2
        if oom:
            self.max_batch = half
            self.ledger.note(f"out of memory at batch size {len(batch.items)}; retrying with batch size {half}")
        ok1, failed1 = self(ImageBatch(batch.items[:half], []))
        ok2, failed2 = self(ImageBatch(batch.items[half:], []))
        return ok1 + ok2, failed1 + failed2


def _tasks(job: Job, chunk, ledger: _Ledger, summary: RunSummary) -> list[ImageTask]:
    tasks = []
    for sample in chunk.iter_samples():
        try:
            tasks.append(job.task(sample))
        except NoPromptError as e:
            logger.info("skipping sample %s: %s", sample.id, e)
            with ledger.lock:
                summary.skipped += 1
                ledger.finished += 1
        except Exception as e:
            if is_fatal(e):
                raise
            ledger.fail(sample.id, sample.filepath, _reason(e))
    return tasks


def run(samples, field: str, job: Job, config: SegmentConfig, declare=None, before_write=None) -> RunSummary:
    """Run ``job`` over ``samples`` and write its labels into ``field``.

    Args:
        samples: the image collection to label.
        field: the output field.
        job: the mode (see ``Job``).
        config: the run's settings.
        declare: called once before the first write (declares a new field),
            so a run that writes nothing leaves the dataset as it was.
        before_write: test hook, called with each batch of database ops.

    Returns:
        the ``RunSummary``.
    """
    summary = RunSummary(field=field)
    ledger = _Ledger(summary, config)
    start = time.perf_counter()
    ids = samples.values("id")
    if not ids:
        logger.warning("no samples to process for field '%s'", field)
        ledger.note("no samples to process (the target view is empty, or every sample is already labeled)")
    store = MaskStore(config.mask_threshold, config.output_dir)
    hook = _first_write(declare, before_write)
    stage = OutputStage(
        samples, field, lambda payload: job.encode(*payload, store), ledger.done,
        lambda f: ledger.fail(f.sample_id, f.filepath, f.reason), workers=config.encode_threads(),
        write_batch=config.write_batch, write_bytes=config.write_bytes,
        mask_dir=config.output_dir or default_mask_dir(samples._dataset, field),
        on_note=ledger.note, before_write=hook,
    )
    predictor = _Predictor(job, ledger)
    from fiftyone.core.utils import ProgressBar

    shown = 0
    ok = False
    with ProgressBar(total=len(ids), progress=config.progress) as pbar:
        def tick():
            nonlocal shown
            n = ledger.take(shown)
            if n:
                pbar.update(n)
                shown += n

        try:
            for s in range(0, len(ids), CHUNK):
                chunk = samples.select(ids[s : s + CHUNK], ordered=True)
                if job.fields:
                    chunk = chunk.select_fields(job.fields)
                tasks = _tasks(job, chunk, ledger, summary)
                loader = DataLoader(
                    TaskDataset(tasks),
                    batch_size=min(config.batch_size, predictor.max_batch or config.batch_size),
                    num_workers=min(config.num_workers, len(tasks)),
                    collate_fn=collate,
                    pin_memory=torch.cuda.is_available(),
                )
                for batch in loader:
                    for failure in batch.failures:
                        ledger.fail(failure.task.sample_id, failure.task.filepath, failure.reason)
                    if batch.items:
                        results, failed = predictor(batch)
                        for item, reason in failed:
                            ledger.fail(item.task.sample_id, item.task.filepath, reason)
                        for item, result in results:
                            stage.submit(item.task.sample_id, item.task.filepath, (item, result))
                            tick()
                    tick()
            ok = True
        finally:
            stage.close(abort=not ok, tick=tick)
        tick()
    summary.seconds = time.perf_counter() - start
    return summary


def _first_write(declare, before_write):
    """One hook for the stage: declare the field before the first write, then the test hook."""
    state = {"declared": declare is None}

    def hook(ops):
        if not state["declared"]:
            declare()
            state["declared"] = True
        if before_write is not None:
            before_write(ops)

    return hook

