"""``--delegate`` queues the matching operator; the queued run then writes the labels."""

import re

from bson import ObjectId

from cli_helpers import PLUGIN
from cli_support import TINY


def _queued_id(out: str) -> ObjectId:
    match = re.search(r"Queued delegated operation ([0-9a-f]{24}) ", out)
    assert match, out
    return ObjectId(match.group(1))


def test_label_delegate_queues_then_runs(cli, plugins_dir, dataset):
    from fiftyone.operators.delegated import DelegatedOperationService
    from fiftyone.operators.executor import ExecutionRunState

    dataset.limit(2).tag_samples("later")
    r = cli("label", dataset.name, "--text", "cat, person", "--tags", "later", "--field", "queued",
            "--confidence", "0", "--delegate", *TINY)
    assert r.rc == 0, r.err
    op_id = _queued_id(r.out)
    assert f"({PLUGIN}/segment_text) on 2 samples" in r.out
    assert "fiftyone delegated launch" in r.out
    assert not dataset.has_field("queued")  # queued, not run

    service = DelegatedOperationService()
    doc = service.get(op_id)
    assert doc.operator == f"{PLUGIN}/segment_text"
    assert doc.run_state == ExecutionRunState.QUEUED
    params = doc.context.request_params["params"]
    assert (params["text"], params["label_field"], params["variant"]) == ("cat, person", "queued", "tiny")

    results = service.execute_queued_operations(operator=f"{PLUGIN}/segment_text", dataset_name=dataset.name)
    assert len(results) == 1 and results[0].error is None, results[0].error
    assert service.get(op_id).run_state == ExecutionRunState.COMPLETED
    assert dataset.match_tags("later").count("queued") == 2  # only the tagged samples
    assert dataset.match_tags("later", bool=False).count("queued") == 0
    service.delete_for_dataset(dataset._doc.id)


def test_instances_and_track_pick_their_operators(cli, plugins_dir, gt_dataset, video_dataset):
    from fiftyone.operators.delegated import DelegatedOperationService

    service = DelegatedOperationService()
    r = cli("instances", gt_dataset.name, "--box-field", "gt", "--delegate", *TINY)
    assert r.rc == 0, r.err
    doc = service.get(_queued_id(r.out))
    assert doc.operator == f"{PLUGIN}/segment_boxes"
    assert doc.context.request_params["params"]["mode"] == "instance"

    r = cli("instances", gt_dataset.name, "--point-field", "kp", "--delegate", *TINY)
    assert r.rc == 0, r.err
    assert service.get(_queued_id(r.out)).operator == f"{PLUGIN}/segment_points"

    r = cli("track", video_dataset.name, "--box-field", "prompt", "--frame", "1", "--delegate", *TINY)
    assert r.rc == 0, r.err
    doc = service.get(_queued_id(r.out))
    assert doc.operator == f"{PLUGIN}/track_video"
    params = doc.context.request_params["params"]
    assert (params["box_field"], params["prompt_frame"], params["prompt_source"]) == ("prompt", 1, "labels")
    for ds in (gt_dataset, video_dataset):
        service.delete_for_dataset(ds._doc.id)


def test_delegate_rejects_what_the_operators_cannot_do(cli, plugins_dir, gt_dataset):
    r = cli("label", gt_dataset.name, "--text", "cat", "--device", "cpu", "--delegate", *TINY)
    assert r.rc == 2 and "--device cannot be combined with --delegate" in r.err
    r = cli("instances", gt_dataset.name, "--box-field", "gt", "--point-field", "kp", "--delegate", *TINY)
    assert r.rc == 2 and "either --box-field or --point-field" in r.err
    r = cli("label", gt_dataset.name, "--text-field", "kp", "--delegate", *TINY)
    assert r.rc == 2 and f"{PLUGIN}/segment_text" in r.err and "kp" in r.err  # the operator's form check
