"""The pipelined run loop shared by every mode.

Decoding happens in DataLoader workers, the model runs in this thread, and
label conversion plus database writes run in a writer thread, so the three
overlap. Host memory is bounded: samples are read in chunks, queues are short.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any, Protocol

import torch
from torch.utils.data import DataLoader

from ..config import SegmentConfig
from ..errors import FoSam3Error, NoPromptError, SampleError
from ..prompts.types import ImageTask
from ..write import BulkWriter, move_mask_to_file
from .data import ImageBatch, LoadedImage, TaskDataset, collate
from .summary import RunSummary

logger = logging.getLogger(__name__)
CHUNK = 256  # samples read from the database at a time


class Job(Protocol):
    """What a mode supplies to ``run``."""

    fields: list[str]  # sample fields the job reads
    keep_image: bool
    # optional: ``writer``, a class like ``BulkWriter`` (samples, field, batch_size) with add/flush

    def task(self, sample) -> ImageTask: ...

    def predict(self, batch: ImageBatch) -> list[Any]: ...

    def label(self, item: LoadedImage, result: Any) -> tuple[Any, int]: ...


def _is_oom(e: BaseException) -> bool:
    text = str(e).lower()
    return isinstance(e, torch.OutOfMemoryError) or "out of memory" in text or "can't allocate memory" in text


class _Writer(threading.Thread):
    def __init__(self, job: Job, samples, field: str, config: SegmentConfig, summary: RunSummary):
        super().__init__(daemon=True)
        self.job, self.config, self.summary = job, config, summary
        writer_cls = getattr(job, "writer", BulkWriter)  # a job may write its own way (in place)
        self.bulk = writer_cls(samples, field, config.write_batch)
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (entry := self.queue.get()) is not None:
                for item, result in entry:
                    self._write(item, result)
            self.bulk.flush()
        except BaseException as e:  # surfaced in the main thread
            self.error = e
            while self.queue.get() is not None:  # unblock the producer
                pass

    def _write(self, item: LoadedImage, result) -> None:
        task = item.task
        try:
            value, count = self.job.label(item, result)
            if self.config.output_dir and value is not None:
                for det in getattr(value, "detections", []):
                    move_mask_to_file(det, self.config.output_dir, task.sample_id)
        except FoSam3Error as e:
            _fail(self.summary, self.config, task, str(e))
            return
        self.bulk.add(task.sample_id, value)
        self.summary.done += 1
        self.summary.detections += count


_fail_lock = threading.Lock()  # failures come from the main and the writer thread


def _fail(summary: RunSummary, config: SegmentConfig, task: ImageTask | None, reason: str, sample=None) -> None:
    sid = task.sample_id if task else sample.id
    path = task.filepath if task else sample.filepath
    if not config.skip_failures:
        raise SampleError(sid, path, reason)
    logger.warning("skipping sample %s (%s): %s", sid, path, reason)
    with _fail_lock:
        summary.failed += 1
        summary.failures.append((sid, path, reason))


class _Predictor:
    """Calls ``job.predict``, splitting batches that run out of GPU memory.

    Returns ``(item, result)`` pairs, and ``(item, reason)`` for images that
    do not fit even alone (failed with a reason, never skipped silently).
    """

    def __init__(self, job: Job, summary: RunSummary):
        self.job, self.summary = job, summary
        self.warned = False
        self.max_batch: int | None = None

    def __call__(self, batch: ImageBatch) -> tuple[list[tuple[LoadedImage, Any]], list[tuple[LoadedImage, str]]]:
        try:
            return list(zip(batch.items, self.job.predict(batch))), []
        except Exception as e:
            if not _is_oom(e):
                raise
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if len(batch.items) <= 1:
                return [], [(batch.items[0], f"out of memory even alone: {str(e).splitlines()[0][:200]}")]
        half = len(batch.items) // 2
        self.max_batch = half
        if not self.warned:
            note = f"out of memory at batch size {len(batch.items)}; retrying with batch size {half}"
            logger.warning(note)
            self.summary.notes.append(note)
            self.warned = True
        ok1, failed1 = self(ImageBatch(batch.items[:half], []))
        ok2, failed2 = self(ImageBatch(batch.items[half:], []))
        return ok1 + ok2, failed1 + failed2


def run(samples, field: str, job: Job, config: SegmentConfig) -> RunSummary:
    """Run ``job`` over ``samples`` and write its labels into ``field``."""
    summary = RunSummary(field=field)
    start = time.perf_counter()
    ids = samples.values("id")
    writer = _Writer(job, samples, field, config, summary)
    writer.start()
    predictor = _Predictor(job, summary)
    from fiftyone.core.utils import ProgressBar

    try:
        with ProgressBar(total=len(ids), progress=config.progress) as pbar:
            for s in range(0, len(ids), CHUNK):
                chunk = samples.select(ids[s : s + CHUNK], ordered=True)
                if job.fields:
                    chunk = chunk.select_fields(job.fields)
                tasks = []
                for sample in chunk.iter_samples():
                    try:
                        tasks.append(job.task(sample))
                    except NoPromptError as e:
                        logger.info("skipping sample %s: %s", sample.id, e)
                        summary.skipped += 1
                        pbar.update()
                    except FoSam3Error as e:
                        _fail(summary, config, None, str(e), sample)
                        pbar.update()
                batch_size = min(config.batch_size, predictor.max_batch or config.batch_size)
                loader = DataLoader(
                    TaskDataset(tasks, keep_image=job.keep_image),
                    batch_size=batch_size,
                    num_workers=min(config.num_workers, len(tasks)),
                    collate_fn=collate,
                    pin_memory=torch.cuda.is_available(),
                )
                for batch in loader:
                    for failure in batch.failures:
                        _fail(summary, config, failure.task, failure.reason)
                    if batch.items:
                        results, too_big = predictor(batch)
                        for item, reason in too_big:
                            _fail(summary, config, item.task, reason)
                        writer.queue.put(results)
                    if writer.error is not None:
                        raise writer.error
                    pbar.update(len(batch.items) + len(batch.failures))
    finally:
        writer.queue.put(None)
        writer.join()
    if writer.error is not None:
        raise writer.error
    summary.seconds = time.perf_counter() - start
    return summary
