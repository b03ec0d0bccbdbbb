"""A queued delegated run completes, reports progress and writes what an immediate run writes."""

import numpy as np
from plugin_helpers import PLUGIN, TINY, masks_of

FEW = 2


def _key(det):
    return det.label, tuple(np.round(det.bounding_box, 6)), round(det.confidence, 6)


def test_delegated_run_matches_immediate_run(run_op, boxes_dataset):
    from fiftyone.operators.delegated import DelegatedOperationService
    from fiftyone.operators.executor import ExecutionRunState

    ds = boxes_dataset
    view = ds.limit(FEW)
    params = dict(box_field="boxes", mode="concept", confidence=0.0, batch_size=2, **TINY)

    queued = run_op("segment_boxes", ds, view=view, delegate=True, label_field="later", **params)
    assert queued.delegated
    assert not ds.has_field("later")  # queued, not run

    service = DelegatedOperationService()
    results = service.execute_queued_operations(operator=f"{PLUGIN}/segment_boxes", dataset_name=ds.name)
    assert len(results) == 1 and results[0].error is None, results[0].error
    doc = service.get(queued.result["id"])
    assert doc.run_state == ExecutionRunState.COMPLETED
    assert doc.status.progress == 1.0  # the run's progress bar reached ctx.set_progress
    assert doc.status.label.endswith(f"{FEW}/{FEW} samples")
    assert doc.result.result["done"] == FEW

    run_op("segment_boxes", ds, view=view, label_field="now", **params)
    later, now = masks_of(view, "later"), masks_of(view, "now")
    assert later and [_key(d) for d in later] == [_key(d) for d in now]
    assert all(np.array_equal(a.mask, b.mask) for a, b in zip(later, now))


def test_large_targets_default_to_delegation(plugins_dir, dataset, monkeypatch):
    """The form offers both modes; delegated is the default above a few samples."""
    import fiftyone.operators as foo
    from fiftyone.operators.executor import ExecutionContext

    from fo_sam3.operators import base

    op = foo.get_operator(f"{PLUGIN}/segment_text")
    small = ExecutionContext(request_params=dict(dataset_name=dataset.name, params={}))
    opts = op.resolve_execution_options(small)
    assert opts.allow_immediate_execution and opts.allow_delegated_execution
    assert len(dataset) <= base.DELEGATE_ABOVE and not opts.default_choice_to_delegated
    monkeypatch.setattr(base, "DELEGATE_ABOVE", 2)
    assert op.resolve_execution_options(small).default_choice_to_delegated


def test_shards_option_queues_one_operation_per_shard(run_op, dataset):
    from fiftyone.operators.delegated import DelegatedOperationService

    result = run_op("segment_text", dataset, text="cat", label_field="sharded", variant="tiny",
                    checkpoint="random", shards=2)
    assert result.result["done"] == 0 and "2 shards of 5 samples" in result.result["notes"][0]
    service = DelegatedOperationService()
    ops = service.list_operations(dataset_name=dataset.name)
    assert len(ops) == 2 and all(op.run_state == "queued" for op in ops)
    for op in ops:
        assert service.execute_operation(op).error is None
    dataset.reload()
    assert len(dataset.exists("sharded")) == len(dataset)  # disjoint slices covered every sample once
    service.delete_for_dataset(dataset._doc.id)
