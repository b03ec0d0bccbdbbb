"""``--shards N`` queues N labeled delegated operations; ``fo-sam3 shards`` sums them up."""

import json

import pytest

from cli_support import TINY


def test_label_shards_queue_run_and_summarize(cli, plugins_dir, dataset):
    from fiftyone.operators.delegated import DelegatedOperationService

    rc, out, err = cli("label", dataset.name, "--text", "cat", "--field", "s", "--confidence", "0.3",
                       "--batch-size", "1", "--workers", "0", "--shards", "3", *TINY)
    assert rc == 0, err
    job = out.split()[2].rstrip(":")
    assert "3 delegated operations" in out and f"fo-sam3 shards --job {job}" in out
    service = DelegatedOperationService()
    ops = service.list_operations(dataset_name=dataset.name)
    assert sorted(op.label.rsplit(" ", 1)[-1] for op in ops) == ["1/3]", "2/3]", "3/3]"]
    assert all(f"[job {job} shard" in op.label for op in ops)
    params = [op.context.request_params["params"] for op in ops]
    assert all(p["skip_existing"] and p["num_workers"] == 0 and p["fo_sam3_job"] == job for p in params)
    assert not dataset.has_field("s")  # queued, not run

    rc, out, _ = cli("shards", "--job", job, "--json")
    assert rc == 0 and json.loads(out)["jobs"][0]["counts"]["queued"] == 3

    results = service.execute_queued_operations(dataset_name=dataset.name)
    assert len(results) == 3 and all(r.error is None for r in results), [r.error for r in results]
    assert dataset.exists("s").count() == len(dataset)  # every sample, once
    rc, out, _ = cli("shards", "--job", job, "--json")
    counts = json.loads(out)["jobs"][0]["counts"]
    assert rc == 0 and (counts["completed"], counts["samples_done"], counts["samples_skipped"]) == (3, 5, 0)
    rc, out, _ = cli("shards", "--job", job)
    assert "3 shards: 3 completed" in out and "shard 2/3  completed" in out
    service.delete_for_dataset(dataset._doc.id)


def test_shards_flag_errors(cli, plugins_dir, dataset):
    rc, _, err = cli("label", dataset.name, "--text", "cat", "--shards", "0", *TINY)
    assert rc == 2 and "--shards must be a positive integer" in err
    rc, _, err = cli("label", dataset.name, "--text", "cat", "--shards", "2", "--overwrite", *TINY)
    assert rc == 2 and "cannot be combined with --overwrite" in err
    rc, _, err = cli("worker", "--devices", "gpu0")
    assert rc == 2 and "--devices" in err
    rc, out, _ = cli("shards", "--job", "nosuchjob")
    assert rc == 0 and "no sharded jobs found" in out


def test_worker_devices_pin_one_launcher_each():
    from fo_sam3.scale.workers import Workers, device_env, launcher_command, parse_devices

    assert parse_devices("cuda:0, cuda:1") == ["cuda:0", "cuda:1"] and parse_devices("cpu,cpu") == ["cpu", "cpu"]
    with pytest.raises(ValueError):
        parse_devices("gpu0")
    assert device_env("cuda:1") == {"CUDA_VISIBLE_DEVICES": "1"}
    assert device_env("cpu", threads=1) == {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    assert launcher_command(30)[-5:] == ["delegated", "launch", "--monitor", "--monitor-interval", "30"]
    assert launcher_command(0)[-2:] == ["delegated", "launch"]
    import os

    assert Workers(["cpu", "cpu"]).threads == [max(1, os.cpu_count() // 2)] * 2  # cores split among cpu workers
    assert Workers(["cuda:0"]).threads == [None]
