"""Where the shards of a job stand, and putting stale or failed shards back in the queue.

A running shard is *stale* when nothing has shown it alive for ``stale_after``
seconds: not FiftyOne's ``updated_at`` (set when it starts, and pinged by a
``--monitor`` launcher such as ``fo-sam3 worker``'s), not its progress
(``status.updated_at``), not our claim heartbeat. Ages use the database
server's clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from .claims import claims_collection, shard_key
from .split import JOB, SHARD, SHARDS

STALE_AFTER_S = 600.0
PARAMS = "context.request_params.params"
RUNNING, QUEUED, FAILED, COMPLETED = "running", "queued", "failed", "completed"


@dataclass
class ShardStatus:
    """One shard's operation: ``state`` is FiftyOne's run state."""

    shard: int
    shards: int
    op_id: str
    state: str
    label: str
    progress: str | None = None  # the operation's progress label
    idle_s: float | None = None  # seconds since the last sign of life (running shards)
    stale: bool = False
    result: dict | None = None  # the run summary of a completed shard
    error: str | None = None  # why a failed shard failed


@dataclass
class JobStatus:
    """All shards of one job."""

    job: str
    dataset: str
    operator: str
    field: str
    shards: list[ShardStatus] = field(default_factory=list)

    def counts(self) -> dict:
        """Shards per run state, plus samples done/skipped/failed over completed shards.

        Returns:
            a dict: ``completed``, ``running``, ``queued``, ``failed`` (and any
            other state), ``stale``, ``samples_done``, ``samples_skipped`` and
            ``samples_failed``
        """
        out = {s: 0 for s in (COMPLETED, RUNNING, QUEUED, FAILED)}
        for s in self.shards:
            out[s.state] = out.get(s.state, 0) + 1
        out["stale"] = sum(s.stale for s in self.shards)
        for key in ("done", "skipped", "failed"):
            out[f"samples_{key}"] = sum(int((s.result or {}).get(key) or 0) for s in self.shards)
        return out

    def as_dict(self) -> dict:
        """Plain data, for JSON output.

        Returns:
            the job's fields, its shards as dicts, and ``counts``
        """
        return dict(asdict(self), counts=self.counts())


def _ops():
    import fiftyone.core.odm.database as fod
    from fiftyone.factory.repos.delegated_operation import MongoDelegatedOperationRepo

    return fod.get_db_conn()[MongoDelegatedOperationRepo.COLLECTION_NAME]


def server_now() -> datetime:
    """The database server's time (naive UTC, like FiftyOne's timestamps).

    Returns:
        the server's current ``datetime``
    """
    import fiftyone.core.odm.database as fod

    return _naive(fod.get_db_conn().command("hello")["localTime"])


def _naive(t):
    if t is None or t.tzinfo is None:
        return t
    return t.astimezone(timezone.utc).replace(tzinfo=None)


def _error(result: dict | None) -> str | None:
    result = result or {}
    if result.get("error_message"):
        return result["error_message"]
    lines = (result.get("error") or "").strip().splitlines()  # a traceback: its last line
    return lines[-1] if lines else None


def job_status(job: str | None = None, dataset: str | None = None,
               stale_after: float = STALE_AFTER_S) -> list[JobStatus]:
    """The jobs queued by ``queue_shards``, oldest first.

    Args:
        job: only this job id
        dataset: only jobs on this dataset
        stale_after: seconds without a sign of life that make a running shard stale

    Returns:
        a list of ``JobStatus``
    """
    query = {f"{PARAMS}.{JOB}": job or {"$exists": True}}
    if dataset:
        query["context.request_params.dataset_name"] = dataset
    fields = ("label", "operator", "run_state", "status", "updated_at", "started_at", "result",
              "queued_at", f"{PARAMS}.{JOB}", f"{PARAMS}.{SHARD}", f"{PARAMS}.{SHARDS}",
              f"{PARAMS}.label_field", "context.request_params.dataset_name")
    docs = list(_ops().find(query, {f: 1 for f in fields}).sort("queued_at", 1))
    beats = {c["_id"]: c for c in claims_collection().find(
        {"_id": {"$in": [shard_key(_params(d)[JOB], _params(d).get(SHARD)) for d in docs]}})}
    now = server_now()
    jobs: dict[str, JobStatus] = {}
    for d in docs:
        p = _params(d)
        js = jobs.setdefault(p[JOB], JobStatus(
            p[JOB], d["context"]["request_params"].get("dataset_name", "?"), d["operator"], p.get("label_field", "")))
        js.shards.append(_shard(d, p, beats.get(shard_key(p[JOB], p.get(SHARD))), now, stale_after))
    for js in jobs.values():
        js.shards.sort(key=lambda s: s.shard)
    return list(jobs.values())


def _params(doc) -> dict:
    return doc["context"]["request_params"]["params"]


def _shard(doc, p, beat, now, stale_after) -> ShardStatus:
    status = doc.get("status") or {}
    s = ShardStatus(int(p.get(SHARD) or 1), int(p.get(SHARDS) or 1), str(doc["_id"]), doc.get("run_state"),
                    doc.get("label", ""), progress=status.get("label"))
    result = doc.get("result") or {}
    if s.state == COMPLETED:
        s.result = result.get("result")
    elif s.state == FAILED:
        s.error = _error(result)
    elif s.state == RUNNING:
        seen = [doc.get("updated_at"), doc.get("started_at"), status.get("updated_at")]
        if beat and beat.get("op_id") == s.op_id and beat.get("token"):
            seen.append(beat.get("heartbeat"))
        last = max((_naive(t) for t in seen if t is not None), default=None)
        s.idle_s = round((now - last).total_seconds(), 1) if last else None
        s.stale = s.idle_s is not None and s.idle_s > stale_after
    return s


def requeue_stale(job: str | None = None, stale_after: float = STALE_AFTER_S) -> list[ShardStatus]:
    """Put running shards that show no sign of life back in the queue.

    A worker then runs them again; with ``skip_existing`` only their unlabeled
    samples are done. The switch is atomic and only happens if the operation
    is still running and still silent, so it never takes a shard from a live run.

    Args:
        job: only this job's shards (default: every job)
        stale_after: seconds without a sign of life

    Returns:
        the shards re-queued
    """
    done = []
    for js in job_status(job, stale_after=stale_after):
        for s in js.shards:
            if s.stale and _requeue_if_silent(s.op_id, stale_after):
                done.append(s)
    return done


def _requeue_if_silent(op_id: str, stale_after: float) -> bool:
    from bson import ObjectId

    cutoff = {"$subtract": ["$$NOW", int(stale_after * 1000)]}
    silent = {"$and": [{"$lt": [{"$ifNull": [f"${k}", datetime(1970, 1, 1)]}, cutoff]}
                       for k in ("updated_at", "started_at", "status.updated_at")]}
    # the fields FiftyOne's set_queued() writes, guarded by the run state and silence
    doc = _ops().find_one_and_update(
        {"_id": ObjectId(op_id), "run_state": RUNNING, "$expr": silent},
        [{"$set": {"run_state": QUEUED, "queued_at": "$$NOW", "updated_at": "$$NOW"}}])
    return doc is not None


def requeue_failed(job: str | None = None) -> list[ShardStatus]:
    """Put failed shards back in the queue (after fixing what made them fail).

    Args:
        job: only this job's shards (default: every job)

    Returns:
        the shards re-queued
    """
    from bson import ObjectId
    from fiftyone.operators.delegated import DelegatedOperationService

    service = DelegatedOperationService()
    out = []
    for js in job_status(job):
        for s in js.shards:
            if s.state == FAILED and service.set_queued(ObjectId(s.op_id), required_state=FAILED):
                out.append(s)
    return out


__all__ = ["job_status", "requeue_stale", "requeue_failed", "JobStatus", "ShardStatus", "STALE_AFTER_S"]
