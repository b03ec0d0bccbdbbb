"""One run per shard at a time: an atomic claim document with a heartbeat.

FiftyOne's launcher already claims a queued operation atomically. This guard
covers what it cannot see: a shard queued twice (``fiftyone delegated
rerun``), or an operation re-queued while its first worker still runs. Claims
live in the ``fo_sam3_shard_claims`` collection, one document per shard; all
times are the database server's (``$$NOW``), so worker clocks do not matter.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from .split import JOB, SHARD, SHARDS

COLLECTION = "fo_sam3_shard_claims"
LEASE_S = 60.0  # a claim whose heartbeat is older than this is free ($FO_SAM3_CLAIM_LEASE_S)
logger = logging.getLogger(__name__)


def claims_collection():
    """The claims collection in FiftyOne's database.

    Returns:
        the pymongo ``Collection`` ``COLLECTION``
    """
    import fiftyone.core.odm.database as fod

    return fod.get_db_conn()[COLLECTION]


def shard_key(job: str, shard) -> str:
    """The claim document id of one shard of a job.

    Args:
        job: the job id
        shard: the shard's index

    Returns:
        ``"<job>/<shard>"``
    """
    return f"{job}/{shard}"


def lease_seconds() -> float:
    """``$FO_SAM3_CLAIM_LEASE_S`` or ``LEASE_S``.

    Returns:
        the lease in seconds
    """
    return float(os.environ.get("FO_SAM3_CLAIM_LEASE_S") or LEASE_S)


class ShardClaim:
    """A claim on one shard, kept alive by a heartbeat thread while held.

    Args:
        key: the shard (``shard_key(job, shard)``)
        op_id: the delegated operation running it
        lease_s: a holder silent for this long loses the claim (default ``lease_seconds()``)
    """

    def __init__(self, key: str, op_id: str = "", lease_s: float | None = None):
        self.key, self.op_id, self.lease_s = key, op_id, float(lease_s or lease_seconds())
        self.token = uuid.uuid4().hex
        self.held = False
        self.lost = False  # set if another run took the claim over while held
        self.holder: dict | None = None  # the other holder, when not held
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def try_acquire(self) -> bool:
        """Take the claim if it is free or its holder is silent; atomic.

        Returns:
            whether the claim is now held (if not, ``holder`` is the holder's
            document)
        """
        from pymongo.errors import DuplicateKeyError

        db = claims_collection()
        cutoff = db.database.command("hello")["localTime"] - timedelta(seconds=self.lease_s)  # server clock
        update = [{"$set": {"token": self.token, "op_id": self.op_id, "host": socket.gethostname(),
                            "pid": os.getpid(), "heartbeat": "$$NOW", "claimed_at": "$$NOW"}}]
        try:  # free, silent, or absent (then inserted); a live holder makes the insert collide
            db.find_one_and_update(
                {"_id": self.key, "$or": [{"token": None}, {"heartbeat": {"$lt": cutoff}}]}, update, upsert=True)
        except DuplicateKeyError:  # held by a live run
            self.holder = db.find_one({"_id": self.key})
            return False
        self.held, self.holder = True, None
        return True

    def acquire(self, wait_same_op: bool = True) -> bool:
        """Take the claim and start the heartbeat.

        Args:
            wait_same_op: if the holder is this same operation (re-queued while
                its first run still lives), wait for that run to end

        Returns:
            whether the claim is held
        """
        while not self.try_acquire():
            if self.holder is None:  # released between our two reads: try again
                continue
            if not (wait_same_op and self.op_id and self.holder.get("op_id") == self.op_id):
                return False
            time.sleep(self.lease_s / 4)
        self._thread = threading.Thread(target=self._beat, name=f"claim {self.key}", daemon=True)
        self._thread.start()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(self.lease_s / 4):
            try:
                done = claims_collection().update_one(
                    {"_id": self.key, "token": self.token}, [{"$set": {"heartbeat": "$$NOW"}}])
            except Exception as e:  # a network blip: try again next beat
                logger.warning("shard %s: heartbeat failed: %s", self.key, e)
                continue
            if not done.matched_count:
                self.lost = True
                logger.warning("shard %s: claim taken over by another run", self.key)
                return

    def release(self) -> None:
        """Stop the heartbeat and free the claim (if still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.held:
            claims_collection().update_one(
                {"_id": self.key, "token": self.token},
                [{"$set": {"token": None, "released_at": "$$NOW"}}])
            self.held = False

    def reason(self) -> str:
        """Why the claim is not held (names the holder).

        Returns:
            a sentence naming the holder's operation, host and pid
        """
        h = self.holder or {}
        return (f"shard {self.key} is being run by operation {h.get('op_id') or '?'} "
                f"({h.get('host', '?')}, pid {h.get('pid', '?')}); not run twice")

    def not_run(self) -> dict:
        """An operator result for a run that left the shard to its holder.

        Returns:
            a summary dict of zero counts, with ``reason()`` as its note
        """
        return dict(done=0, skipped=0, failed=0, detections=0, notes=[self.reason()])


class _Unsharded:
    held = True
    lost = False


@contextmanager
def claim(ctx, lease_s: float | None = None):
    """Hold the claim on ``ctx``'s shard while the body runs.

    Args:
        ctx: the operator's ``ExecutionContext``; runs that are not delegated
            shards (no ``fo_sam3_job`` param) always hold
        lease_s: see ``ShardClaim``

    Returns:
        a context manager yielding an object with ``held`` (run the shard
        only if true) and, for shards, ``not_run()``
    """
    params = ctx.params or {}
    if not (params.get(JOB) and ctx.delegated):
        yield _Unsharded()
        return
    op_id = str(ctx.request_params.get("run_doc") or getattr(ctx, "_delegated_operation_id", None) or "")
    shard = ShardClaim(shard_key(params[JOB], params.get(SHARD)), op_id=op_id, lease_s=lease_s)
    shard.acquire()
    try:
        yield shard
    finally:
        shard.release()


__all__ = ["claim", "ShardClaim", "shard_key", "COLLECTION", "LEASE_S", "JOB", "SHARD", "SHARDS"]
