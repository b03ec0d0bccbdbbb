"""Queue one labeling job as N delegated operations (shards), and follow them.

Each shard is an ordinary fo_sam3 operator run, queued with FiftyOne's
delegated operations, on one slice of the target view (``split``) and with
``skip_existing=True``. Its params carry the job id and shard number, and its
label says ``job <id> shard k/N``, so ``fiftyone delegated list`` shows it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from .split import JOB, SHARD, SHARDS, shard_views

PLUGIN = "@fo-sam3/sam3"


@dataclass
class QueuedJob:
    """What ``queue_shards`` queued: the job id and one operation per shard."""

    job: str
    operator: str
    dataset: str
    op_ids: list[str] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)  # samples per shard when queued


def new_job_id() -> str:
    """A fresh random job id.

    Returns:
        8 hex digits
    """
    return uuid.uuid4().hex[:8]


def queue_shards(samples, operator: str, params: dict, shards: int, job: str | None = None) -> QueuedJob:
    """Queue ``operator`` as ``shards`` delegated operations over disjoint slices of ``samples``.

    Args:
        samples: the target dataset or view
        operator: an operator name of this plugin (``"segment_text"``) or a full URI
        params: the operator's params, as the App form would send them
        shards: number of slices (at most one per sample)
        job: a job id (default: a new random one)

    Returns:
        a ``QueuedJob``

    Raises:
        ValueError: the operator is not installed, or ``shards < 1``
        fiftyone.operators.executor.ExecutionError: the operator's form rejects ``params``
    """
    import fiftyone.operators as foo
    from fiftyone.operators.delegated import DelegatedOperationService

    uri = operator if operator.startswith("@") else f"{PLUGIN}/{operator}"
    if not foo.operator_exists(uri):
        raise ValueError(f"operator {uri} is not installed (see `fiftyone operators list`)")
    views = shard_views(samples, shards)
    out = QueuedJob(job or new_job_id(), uri, samples._dataset.name)
    service = DelegatedOperationService()
    base = dict(params, view_target="CURRENT_VIEW", skip_existing=True, overwrite=False)
    for k, view in enumerate(views, 1):
        shard_params = {**base, JOB: out.job, SHARD: k, SHARDS: len(views)}
        result = foo.execute_operator(uri, ctx=dict(dataset=samples._dataset, view=view, params=shard_params,
                                                    request_delegation=True))
        if not result.delegated:
            raise RuntimeError(f"{uri} ran immediately instead of being queued")
        op_id = result.result["id"]  # an ObjectId
        service.set_label(op_id, f"{result.result.get('label') or uri} [job {out.job} shard {k}/{len(views)}]")
        out.op_ids.append(str(op_id))
        out.sizes.append(len(view))
    return out


__all__ = ["queue_shards", "QueuedJob", "new_job_id", "PLUGIN"]
