"""Stale and failed shards go back to the queue; the claim guard lets one run hold a shard."""

import threading
import time
import uuid

from bson import ObjectId

from fo_sam3.scale.claims import ShardClaim, claim, claims_collection


def _job(dataset, shards=2):
    from fo_sam3.scale import queue_shards

    params = dict(label_field="s", text="cat", variant="tiny", checkpoint="random", confidence=0.3,
                  batch_size=1, num_workers=0)
    return queue_shards(dataset, "segment_text", params, shards=shards)


def _state(job, stale_after=600):
    from fo_sam3.scale import job_status

    (status,) = job_status(job.job, stale_after=stale_after)
    return status


def test_requeue_stale_then_failed_then_finish(plugins_dir, dataset, capsys):
    from fiftyone.operators.delegated import DelegatedOperationService
    from fiftyone.operators.executor import ExecutionResult

    from fo_sam3.scale import requeue_failed, requeue_stale

    job = _job(dataset)
    service = DelegatedOperationService()
    one, two = (ObjectId(i) for i in job.op_ids)
    assert service.set_running(one, required_state="queued")  # a worker claims shard 1 ... and dies
    assert not _state(job).shards[0].stale
    assert requeue_stale(job.job, stale_after=30) == []  # a live shard is left alone
    time.sleep(1.5)
    stale = _state(job, stale_after=1)
    assert stale.shards[0].stale and stale.counts()["stale"] == 1
    (moved,) = requeue_stale(job.job, stale_after=1)
    assert moved.shard == 1 and _state(job).shards[0].state == "queued"

    service.set_running(two, required_state="queued")
    service.set_failed(two, result=ExecutionResult(error="Traceback ...\nRuntimeError: CUDA error: boom"))
    failed = _state(job).shards[1]
    assert failed.state == "failed" and failed.error == "RuntimeError: CUDA error: boom"
    from fo_sam3.cli import main

    capsys.readouterr()
    assert main(["shards", "--job", job.job]) == 1  # a failed shard: exit code 1, with its reason
    assert "shard 2/2  failed     RuntimeError: CUDA error: boom" in capsys.readouterr().out
    assert [s.shard for s in requeue_failed(job.job)] == [2]

    results = service.execute_queued_operations(dataset_name=dataset.name)
    assert len(results) == 2 and all(r.error is None for r in results)
    counts = _state(job).counts()
    assert (counts["completed"], counts["samples_done"]) == (2, len(dataset))
    service.delete_for_dataset(dataset._doc.id)


def test_claim_is_exclusive_under_a_race():
    key, wins = f"test-{uuid.uuid4().hex}/1", []
    barrier = threading.Barrier(8)

    def contend(i):
        c = ShardClaim(key, op_id=f"op{i}", lease_s=30)
        barrier.wait()
        if c.try_acquire():
            wins.append(c)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    other = ShardClaim(key, op_id="late", lease_s=30)
    assert not other.acquire() and "being run by operation op" in other.reason()
    assert other.not_run()["done"] == 0
    wins[0].release()
    assert other.acquire()
    other.release()


def test_claim_heartbeat_lease_and_same_operation_wait():
    key = f"test-{uuid.uuid4().hex}/2"
    alive = ShardClaim(key, op_id="a", lease_s=1.0)
    assert alive.acquire()  # heartbeats every 0.25 s
    time.sleep(1.5)
    assert not ShardClaim(key, op_id="b", lease_s=1.0).acquire()  # still alive: not taken
    alive.release()

    silent = ShardClaim(key, op_id="a", lease_s=1.0)
    assert silent.try_acquire()  # held, but no heartbeat: as if its worker died
    rerun = ShardClaim(key, op_id="a", lease_s=1.0)  # the same operation, re-queued
    start = time.time()
    assert rerun.acquire()  # waits for the silent holder's lease to run out
    assert time.time() - start >= 0.5 and silent.try_acquire() is False
    rerun.release()


def test_claim_context_from_an_execution_context():
    from fiftyone.operators.executor import ExecutionContext

    job = uuid.uuid4().hex[:8]
    plain = ExecutionContext(request_params=dict(params={"label_field": "s"}, delegated=True))
    with claim(plain) as held:
        assert held.held  # not a shard: no claim needed
    op_id = ObjectId()
    ctx = ExecutionContext(request_params=dict(params={"fo_sam3_job": job, "fo_sam3_shard": 3},
                                               delegated=True, run_doc=op_id))
    with claim(ctx) as shard:
        assert shard.held
        doc = claims_collection().find_one({"_id": f"{job}/3"})
        assert doc["op_id"] == str(op_id) and doc["token"] == shard.token
        with claim(ExecutionContext(request_params=dict(params=ctx.params, delegated=True,
                                                        run_doc=ObjectId()))) as second:
            assert not second.held  # another operation on the same shard exits without work
    assert claims_collection().find_one({"_id": f"{job}/3"})["token"] is None


def test_a_second_operation_on_a_held_shard_exits_without_work(plugins_dir, dataset):
    from fiftyone.operators.delegated import DelegatedOperationService

    job = _job(dataset, shards=1)
    service = DelegatedOperationService()
    first = ObjectId(job.op_ids[0])
    copy = service.rerun_operation(first)  # `fiftyone delegated rerun`: the same shard, another operation
    holder = ShardClaim(f"{job.job}/1", op_id=str(first))
    assert holder.acquire()  # the first operation is running on some worker
    try:
        result = service.execute_operation(service.get(copy.id))
        assert result.error is None and result.result["done"] == 0
        assert "not run twice" in result.result["notes"][0] and not dataset.has_field("s")
    finally:
        holder.release()
    result = service.execute_operation(service.get(first))
    assert result.error is None and result.result["done"] == len(dataset)
    service.delete_for_dataset(dataset._doc.id)
