"""Scale out: one labeling job as many delegated operations, run by many workers.

- ``queue_shards``: queue N operations over disjoint, stable slices of a view;
- ``Workers``: one ``fiftyone delegated launch`` process per GPU (or CPU);
- ``claim``: one run per shard at a time (for the operators' ``execute``);
- ``job_status``, ``requeue_stale``, ``requeue_failed``: follow and recover jobs.

Names are imported on first use (this package is light to import).
"""

from __future__ import annotations

from ..lazy import lazy_getattr
_LAZY = {
    "queue_shards": ".jobs", "QueuedJob": ".jobs",
    "shard_bounds": ".split", "shard_filter": ".split", "shard_views": ".split",
    "claim": ".claims", "ShardClaim": ".claims",
    "job_status": ".status", "requeue_stale": ".status", "requeue_failed": ".status",
    "JobStatus": ".status", "ShardStatus": ".status",
    "Workers": ".workers", "parse_devices": ".workers",
    "LocalMongo": ".local_db",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = sorted(_LAZY)
