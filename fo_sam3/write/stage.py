"""The output stage every mode writes through: crop, encode, optional PNG, bulk write.

``submit`` hands one sample's model output to a thread pool, where the job
turns it into an ``Update`` (masks cropped on the model's device, encoded in
parallel: zlib and PNG release the GIL). A writer thread takes the results in
order and writes them in bulk, one complete update per sample, flushing by
sample count and by encoded bytes. A failure of one sample (a mask that cannot
be encoded, an unwritable ``output_dir``, a document over MongoDB's limit) is
recorded against that sample; a failure of the database stops the run. No
thread waits on a queue without a way out.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

import bson

from .encode import mask_file, write_png
from .updates import Update, frame_ops, sample_op

logger = logging.getLogger(__name__)
DOC_LIMIT = 16 * 1024 * 1024 - 64 * 1024  # MongoDB's document limit, less a margin
_STOP = object()
_POLL = 0.2  # seconds between checks for a stopped partner thread


@dataclass
class Failed:
    """A sample the stage could not label, and why."""

    sample_id: str
    filepath: str
    reason: str


def _one_torch_thread() -> None:
    """Pool threads crop one mask group each: no intra-op team per thread on top of the model's."""
    import torch

    torch.set_num_threads(1)


def _too_large(reason: str) -> bool:
    text = reason.lower()
    return "bsonobj size" in text or "too large" in text or "larger than" in text


def default_mask_dir(dataset, field: str) -> str:
    """Where masks of documents over the size limit go when no ``output_dir`` is given.

    Args:
        dataset: the dataset written to.
        field: the label field.

    Returns:
        ``<default_dataset_dir>/fo_sam3_masks/<dataset name>/<field>``.
    """
    import fiftyone as fo

    return os.path.join(fo.config.default_dataset_dir, "fo_sam3_masks", dataset.name, field)


def encoded_size(update: Update) -> int:
    """BSON bytes of the update's payload.

    Args:
        update: a sample's ``Update`` (its ``value``, ``patches`` or ``frames``).

    Returns:
        the payload's encoded size in bytes.
    """
    payload = update.value or update.patches or {str(k): v for k, v in (update.frames or {}).items()}
    return len(bson.encode({"v": payload}))


def move_masks_to_files(update: Update, folder: str) -> None:
    """Replace each encoded ``mask`` of ``update`` by a PNG in ``folder`` (``mask_path``).

    Args:
        update: the sample's ``Update``, changed in place.
        folder: the mask folder (PNGs go to ``<folder>/<sample_id>/<label_id>.png``).
    """
    from fiftyone.core.utils import deserialize_numpy_array

    for doc in update.label_docs():
        if doc.get("mask") is None:
            continue
        path = write_png(deserialize_numpy_array(bytes(doc["mask"])), mask_file(folder, update.sample_id, doc["_id"]))
        target = update.patches[str(doc["_id"])] if update.patches is not None else doc
        target["mask"], target["mask_path"] = None, path
        if update.patches is None:
            del doc["mask"]


class OutputStage:
    """Encodes on a pool, writes from one thread; see the module docstring.

    Args:
        samples: the collection written to (its dataset's collections).
        field: the label field (a frame field for videos).
        encode: ``encode(payload) -> Update``, run on the pool; raising marks
            the sample failed with the exception's type and message.
        on_done: ``on_done(update)`` after a sample is written (writer thread).
        on_fail: ``on_fail(Failed)`` for a sample that could not be labeled.
        workers: encoding threads.
        write_batch / write_bytes: flush after this many samples / bytes.
        mask_dir: where masks of oversized documents go (``None``: fail them).
        before_write: called with each batch of ops before it is written
            (a test hook).
    """

    def __init__(self, samples, field: str, encode: Callable[[Any], Update], on_done, on_fail,
                 workers: int, write_batch: int, write_bytes: int, mask_dir: str | None,
                 frames: bool = False, on_note: Callable[[str], None] | None = None, before_write=None):
        dataset = samples._dataset
        self.dataset, self.field, self.frames = dataset, field, frames
        self.coll = dataset._frame_collection if frames else dataset._sample_collection
        self.encode, self.on_done, self.on_fail, self.on_note = encode, on_done, on_fail, on_note
        self.write_batch, self.write_bytes, self.mask_dir = write_batch, write_bytes, mask_dir
        self.before_write = before_write
        self.pool = ThreadPoolExecutor(max(1, workers), thread_name_prefix="fo_sam3-encode",
                                       initializer=_one_torch_thread)
        self.pending: queue.Queue = queue.Queue(maxsize=max(2, 2 * workers))
        self.error: BaseException | None = None
        self.stopping = threading.Event()
        self.noted: set[str] = set()
        self.thread = threading.Thread(target=self._drain, name="fo_sam3-writer", daemon=True)
        self.thread.start()

    # -- producer side (the model's thread) ----------------------------------------------
    def submit(self, sample_id: str, filepath: str, payload) -> None:
        """Queue one sample; blocks while the pool is busy (bounded memory).

        Args:
            sample_id: the sample's id.
            filepath: its media path (for failure reports).
            payload: the model output, passed to ``encode`` on the pool.
        """
        self.check()
        fut = self.pool.submit(self.encode, payload)
        self._put((sample_id, filepath, fut))

    def _put(self, entry) -> None:
        while True:
            self.check()
            try:
                self.pending.put(entry, timeout=_POLL)
                return
            except queue.Full:
                continue

    def check(self) -> None:
        """Raise the writer's error, if any."""
        if self.error is not None:
            raise self.error
        if not self.thread.is_alive() and not self.stopping.is_set():
            raise RuntimeError("the output writer stopped unexpectedly")

    def close(self, abort: bool = False, tick: Callable[[], None] | None = None) -> None:
        """Write everything queued (or drop it, with ``abort``), then stop; re-raises the writer's error.

        ``tick`` is called while waiting (to move a progress bar).

        Args:
            abort: drop what is queued and stop at once (the writer's error
                is then not raised).
            tick: called about every 0.2 s while waiting, or ``None``.
        """
        try:
            if not abort:
                self._put(_STOP)
        finally:
            if abort or self.error is not None:
                self.stopping.set()
            while self.thread.is_alive():
                self.thread.join(_POLL)
                if tick is not None:
                    tick()
            self.pool.shutdown(wait=True, cancel_futures=True)
        if self.error is not None and not abort:
            raise self.error

    # -- writer thread -------------------------------------------------------------------
    def _drain(self) -> None:
        batch: list[Update] = []
        size = 0
        try:
            while not self.stopping.is_set():
                try:
                    entry = self.pending.get(timeout=_POLL)
                except queue.Empty:
                    continue
                if entry is _STOP:
                    break
                update = self._result(*entry)
                if update is not None:
                    update.filepath = entry[1]
                if update is None:
                    continue
                batch.append(update)
                size += update.size
                if len(batch) >= self.write_batch or size >= self.write_bytes:
                    self._write(batch)
                    batch, size = [], 0
            if batch and not self.stopping.is_set():
                self._write(batch)
        except BaseException as e:  # surfaced to the producer by check()/close()
            self.error = e
            self.stopping.set()

    def _result(self, sample_id: str, filepath: str, fut: Future) -> Update | None:
        while not self.stopping.is_set():
            try:
                update = fut.result(timeout=_POLL)
                break
            except TimeoutError:
                continue
            except Exception as e:
                from ..errors import is_fatal

                if is_fatal(e):
                    raise
                self.on_fail(Failed(sample_id, filepath, f"{type(e).__name__}: {e}"))
                return None
        else:
            return None
        for note in update.notes:
            self._note(note)
        update.size = encoded_size(update)
        if not self.frames and update.size > DOC_LIMIT:
            return self._oversized(update, filepath)
        return update

    def _oversized(self, update: Update, filepath: str) -> Update | None:
        reason = "labels exceed MongoDB's 16 MB document limit; use output_dir"
        if self.mask_dir is None or not any(d.get("mask") is not None for d in update.label_docs()):
            self.on_fail(Failed(update.sample_id, filepath, reason))
            return None
        try:
            move_masks_to_files(update, self.mask_dir)
        except OSError as e:
            self.on_fail(Failed(update.sample_id, filepath, f"{reason} ({e})"))
            return None
        self._note(f"masks of samples over MongoDB's 16 MB document limit were written as PNG files "
                   f"under {self.mask_dir} (mask_path)")
        return update

    def _note(self, text: str) -> None:
        if text not in self.noted and self.on_note is not None:
            self.noted.add(text)
            self.on_note(text)

    def _ops(self, update: Update) -> list:
        if self.frames:
            return frame_ops(update, self.field, self.dataset._doc.id)
        return [sample_op(update, self.field)]

    def _write(self, batch: list[Update], retry: bool = True) -> None:
        from pymongo.errors import BulkWriteError, DocumentTooLarge, InvalidDocument

        ops, owner = [], []
        for update in batch:
            for op in self._ops(update):
                ops.append(op)
                owner.append(update)
        if self.before_write is not None:
            self.before_write(ops)
        failed: dict[str, str] = {}
        try:
            if ops:
                self.coll.bulk_write(ops, ordered=False)
        except BulkWriteError as e:
            for err in e.details.get("writeErrors", []):
                failed.setdefault(owner[err["index"]].sample_id, err.get("errmsg", "write failed")[:300])
        except (DocumentTooLarge, InvalidDocument):
            failed = self._write_each(ops, owner)
        self._reload([u.sample_id for u in batch])
        again = []
        for update in batch:
            reason = failed.get(update.sample_id)
            if reason is None:
                self.on_done(update)
            elif retry and _too_large(reason) and not self.frames:
                moved = self._oversized(update, update.filepath)  # the whole document is over the limit
                if moved is not None:
                    again.append(moved)
            else:
                self.on_fail(Failed(update.sample_id, update.filepath, reason))
        if again:
            self._write(again, retry=False)

    def _write_each(self, ops, owner) -> dict[str, str]:
        """Retry op by op, so a failure lands on its own sample."""
        from pymongo.errors import PyMongoError

        failed = {}
        for op, update in zip(ops, owner):
            if update.sample_id in failed:
                continue
            try:
                self.coll.bulk_write([op], ordered=True)
            except (PyMongoError, ValueError) as e:
                from ..errors import is_fatal

                if is_fatal(e):
                    raise
                failed[update.sample_id] = f"{type(e).__name__}: {str(e)[:300]}"
        return failed

    def _reload(self, sample_ids: list[str]) -> None:
        """Refresh in-memory samples (FiftyOne singletons) that were written."""
        if self.frames:
            from fiftyone.core.frame import Frame

            Frame._reload_docs(self.dataset._frame_collection_name, sample_ids=sample_ids)
        else:
            from fiftyone.core.sample import Sample

            Sample._reload_docs(self.dataset._sample_collection_name, sample_ids=sample_ids)
