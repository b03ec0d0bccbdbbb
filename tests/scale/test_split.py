"""Shards are disjoint, stable slices by sample id, and survive a delegated operation's round trip."""

import random

import pytest
from bson import ObjectId

from fo_sam3.scale.split import shard_bounds, shard_filter, shard_views


def _members(ids, bounds):
    return [[i for i in ids if (lo is None or i >= lo) and (hi is None or i < hi)] for lo, hi in bounds]


def test_bounds_partition_ids_evenly_and_stably():
    ids = [str(ObjectId()) for _ in range(10)]
    shuffled = random.Random(0).sample(ids, len(ids))
    bounds = shard_bounds(ids, 3)
    assert bounds == shard_bounds(shuffled, 3)  # re-queuing gives the same slices
    parts = _members(ids, bounds)
    assert sorted(len(p) for p in parts) == [3, 3, 4]
    assert sorted(sum(parts, [])) == sorted(ids)  # each id in exactly one shard
    assert bounds[0][0] is None and bounds[-1][1] is None  # open ends: later samples land somewhere
    assert shard_bounds(ids[:2], 5) == shard_bounds(ids[:2], 2)  # at most one shard per sample
    assert shard_bounds([], 4) == [(None, None)] and shard_filter(None, None) is None
    with pytest.raises(ValueError):
        shard_bounds(ids, 0)


def test_shard_views_cover_the_view_and_rebuild_from_their_serialization(dataset):
    import fiftyone as fo

    target = dataset.limit(4)
    views = shard_views(target, 3)
    got = [v.values("id") for v in views]
    assert sorted(sum(got, [])) == sorted(target.values("id")) and all(got)
    for view, ids in zip(views, got):  # as a delegated operation stores and re-creates it
        rebuilt = fo.DatasetView._build(dataset, view._serialize())
        assert rebuilt.values("id") == ids
    assert [v.values("id") for v in shard_views(target, 3)] == got
    new = fo.Sample(filepath=dataset.first().filepath)
    dataset.add_sample(new)
    assert new.id in shard_views(dataset, 3)[-1].values("id")  # the last shard is open-ended
