"""Many workers, one MongoDB: worker processes on a standalone mongod, one killed mid-shard."""

import os
import re
import signal
import subprocess
import sys
from collections import Counter

import psutil

from fo_sam3.scale.workers import kill_tree
from cli_support import TINY
from scale_helpers import BIN, HERE, as_json, fo_sam3, queued_job, spawn, wait_for

# FiftyOne's launcher logs this line once per operation it claims
CLAIMED = re.compile(r"^Running operation ([0-9a-f]{24}) \([^)]*\)$", re.M)
LABEL = ("--text", "cat", "--confidence", "0.3", "--batch-size", "1", "--workers", "0")


def _running(db, job: str) -> str | None:
    """The id of the job's operation that a launcher has marked running, if any."""
    return next((str(d["_id"]) for d in db.job_ops(job) if d["run_state"] == "running"), None)


def _op_process(root: int) -> psutil.Process | None:
    """The process running an operation under ``root`` (a --monitor child of its launcher), if any."""
    for proc in psutil.Process(root).children(recursive=True):
        try:
            if "spawn_main" in " ".join(proc.cmdline()):
                return proc
        except psutil.NoSuchProcess:
            pass
    return None


def _op_waits_on_a_write(db, root: int) -> bool:
    """Whether the operation's own process (under ``root``) has a write held by ``db.lock_writes``."""
    proc = _op_process(root)
    try:
        ports = {f"127.0.0.1:{c.laddr.port}" for c in proc.net_connections("tcp")} if proc else set()
    except psutil.NoSuchProcess:
        return False
    return any(op.get("client") in ports for op in db.held_writes())


def _claims(*logs) -> Counter:
    return Counter(op for log in logs if log.exists() for op in CLAIMED.findall(log.read_text()))


def test_two_workers_polling_at_once_never_run_one_operation_twice(shared, datasets, tmp_path):
    env, db = shared
    race4 = datasets[1]
    r = fo_sam3(env, "label", race4, *LABEL, "--field", "s", "--shards", "4", *TINY)
    assert r.rc == 0, r.err
    ops = {str(d["_id"]) for d in db.job_ops(queued_job(r.out))}
    procs = [subprocess.Popen([sys.executable, HERE / "scale_script.py", "race", tmp_path, "60"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    wait_for(lambda: len(list(tmp_path.glob("ready-*"))) == 2, 120, "both pollers to connect")
    (tmp_path / "go").touch()  # both poll the queue from this instant on, like two launchers
    outs = [p.communicate(timeout=240)[0] for p in procs]
    ran = [Counter(CLAIMED.findall(out)) for out in outs]
    assert set(ran[0]) | set(ran[1]) == ops and not set(ran[0]) & set(ran[1]), ran
    assert set((ran[0] + ran[1]).values()) == {1}  # each operation claimed once
    assert {d["run_state"] for d in db.job_ops(queued_job(r.out))} == {"completed"}
    assert db.samples(race4).count_documents({"s": {"$ne": None}}) == 4


def test_kill_a_worker_mid_shard_then_requeue_labels_every_sample_once(shared, datasets, tmp_path):
    env, db = shared
    name = datasets[0]
    r = fo_sam3(env, "label", name, *LABEL, "--field", "sam3", "--shards", "3", *TINY)
    assert r.rc == 0, r.err
    job = queued_job(r.out)
    docs = db.job_ops(job)
    ops = [str(d["_id"]) for d in docs]
    assert all(d["label"].endswith(f"[job {job} shard {k}/3]") for k, d in enumerate(docs, 1))
    samples = db.samples(name)
    ids = sorted(d["_id"] for d in samples.find({}, {"_id": 1}))
    slices = [ids[0:20], ids[20:40], ids[40:60]]  # sorted-id ranges, as queued

    def labeled(part):
        return samples.count_documents({"_id": {"$in": part}, "sam3": {"$ne": None}})

    worker = [BIN / "fo-sam3", "worker", "--threads", "1", "--heartbeat", "1"]
    solo = spawn(env, worker + ["--devices", "cpu", "--requeue-stale-after", "0", "--log-dir", tmp_path / "solo"],
                 tmp_path / "solo.out")
    pair = None
    try:
        victim = wait_for(lambda: _running(db, job), 120, "the first worker to claim a shard", every=0.05)
        # No write from here on (reads go on): the shard's run cannot write a sample, nor finish, however
        # fast the machine. The run itself says when it is under way: the first write of its process waits.
        # Only this worker's processes write meanwhile; they are killed before writes resume.
        db.lock_writes()
        try:
            k = ops.index(victim)
            try:
                wait_for(lambda: _op_waits_on_a_write(db, solo.pid), 300, "the shard's run to write", every=0.2)
            except AssertionError as e:
                raise AssertionError(f"{e}; writes waiting: {[op.get('command') for op in db.held_writes()]}") from None
            assert db.job_ops(job)[k]["run_state"] == "running"
            kill_tree(solo.pid)  # supervisor, launcher and the operation's process: SIGKILL
            solo.wait()
        finally:
            db.unlock_writes()
        before = labeled(slices[k])  # none: the run was killed before it could write
        assert before < 20, before
        pair = spawn(env, worker + ["--devices", "cpu,cpu", "--requeue-stale-after", "8",
                                    "--log-dir", tmp_path / "pair"], tmp_path / "pair.out")
        pids = wait_for(lambda: re.findall(r"pid (\d+)\)", (tmp_path / "pair.out").read_text()), 30, "pair pids")
        for pid in pids:  # one launcher per device, pinned to it
            environ = psutil.Process(int(pid)).environ()
            assert (environ["CUDA_VISIBLE_DEVICES"], environ["OMP_NUM_THREADS"]) == ("", "1")
        try:
            wait_for(lambda: {d["run_state"] for d in db.job_ops(job)} == {"completed"}, 300, "every shard to complete")
        except AssertionError as e:
            states = [(d["run_state"], (d.get("result") or {}).get("error")) for d in db.job_ops(job)]
            raise AssertionError(f"{e}: {states}\n{(tmp_path / 'pair.out').read_text()[-3000:]}") from None
        os.kill(pair.pid, signal.SIGINT)  # Ctrl-C: the supervisor stops its launchers
        assert pair.wait(timeout=60) == 0
    finally:
        for proc in (solo, pair):
            if proc is not None and proc.poll() is None:
                kill_tree(proc.pid)

    pair_out = (tmp_path / "pair.out").read_text()
    assert f"re-queued stale shard {k + 1}/3" in pair_out, pair_out
    results = [d["result"]["result"] for d in db.job_ops(job)]
    for i, res in enumerate(results):  # the re-run did only the unlabeled rest
        assert (res["done"], res["skipped"], res["failed"]) == ((20 - before, before, 0) if i == k else (20, 0, 0))
    claims = _claims(tmp_path / "solo" / "worker-0.log", *(tmp_path / "pair").glob("*.log"))
    assert claims == Counter({op: 2 if op == victim else 1 for op in ops})

    per_photo, det_ids = {}, []
    for doc in samples.find({}, {"filepath": 1, "sam3": 1}):
        dets = doc["sam3"]["detections"]  # every sample labeled
        labels = tuple((d["label"], tuple(d["bounding_box"])) for d in dets)
        per_photo.setdefault(doc["filepath"], set()).add(labels)
        det_ids += [d["_id"] for d in dets]
    # the 12 copies of each photo got the same labels: none doubled, none missing
    assert len(per_photo) == 5 and all(len(v) == 1 for v in per_photo.values())
    assert sum(len(next(iter(v))) for v in per_photo.values()) > 0
    assert len(det_ids) == len(set(det_ids))

    summary = as_json(fo_sam3(env, "shards", "--job", job, "--json"))
    counts = summary["jobs"][0]["counts"]
    assert (counts["completed"], counts["samples_done"], counts["samples_skipped"]) == (3, 60 - before, before)
