"""Disjoint, stable slices of a view by sample id.

Shard ``k`` of ``n`` holds the samples whose id lies in ``[lo_k, lo_{k+1})``
of the sorted ids, with open ends for the first and last shard, so the shards
partition every sample of the view, even ones added later. Each slice is a
``match`` on ``_id`` with plain JSON values (``$toObjectId`` of a hex string),
which a delegated operation stores and re-creates as it is.
"""

from __future__ import annotations

# ctx.params keys that mark a delegated run as one shard of a job
JOB = "fo_sam3_job"
SHARD = "fo_sam3_shard"  # 1-based
SHARDS = "fo_sam3_shards"


def shard_bounds(ids, shards: int) -> list[tuple[str | None, str | None]]:
    """Split sample ids into ``shards`` contiguous ranges of equal size (+-1).

    Args:
        ids: sample ids (hex strings), in any order
        shards: number of ranges; at most ``len(ids)`` are made

    Returns:
        ``[(lo, hi), ...]``: each range holds ids ``lo <= id < hi``; ``None``
        is an open end (the first ``lo`` and the last ``hi``)
    """
    if shards < 1:
        raise ValueError(f"shards must be >= 1, got {shards}")
    ids = sorted(str(i).lower() for i in ids)  # hex order is ObjectId order
    n = min(shards, len(ids)) or 1
    cuts = [ids[k * len(ids) // n] for k in range(1, n)]
    return list(zip([None] + cuts, cuts + [None]))


def shard_filter(lo: str | None, hi: str | None) -> dict | None:
    """The ``match`` filter of a range, or ``None`` for the whole view.

    Args:
        lo: lowest id in the range (``None``: no lower bound)
        hi: first id after the range (``None``: no upper bound)

    Returns:
        a MongoDB query dict (``{"$expr": ...}``) or ``None``
    """
    terms = []
    if lo is not None:
        terms.append({"$gte": ["$_id", {"$toObjectId": lo}]})
    if hi is not None:
        terms.append({"$lt": ["$_id", {"$toObjectId": hi}]})
    if not terms:
        return None
    return {"$expr": terms[0] if len(terms) == 1 else {"$and": terms}}


def shard_views(samples, shards: int) -> list:
    """``samples`` split into at most ``shards`` disjoint views (see ``shard_bounds``).

    Args:
        samples: a FiftyOne dataset or view
        shards: number of slices wanted

    Returns:
        a list of views; re-splitting the same samples gives the same slices
    """
    views = []
    for lo, hi in shard_bounds(samples.values("id"), shards):
        flt = shard_filter(lo, hi)
        views.append(samples.view() if flt is None else samples.match(flt))
    return views
