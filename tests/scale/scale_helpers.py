"""Helpers for the scale-out tests: subprocess runs against a standalone mongod, read back with pymongo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cli_support import Result

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent


def run(env: dict, *argv, timeout: float = 180) -> Result:
    """Run a command (``fo-sam3 ...`` or a script) to the end; return rc, stdout, stderr."""
    p = subprocess.run([str(a) for a in argv], env=env, capture_output=True, text=True, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr)


def fo_sam3(env: dict, *args, timeout: float = 180) -> Result:
    return run(env, BIN / "fo-sam3", *args, timeout=timeout)


def script(env: dict, name: str, *args, timeout: float = 180) -> Result:
    return run(env, sys.executable, HERE / name, *args, timeout=timeout)


def spawn(env: dict, argv, log: Path) -> subprocess.Popen:
    """Start a long-running process in its own session, output to ``log``."""
    out = open(log, "ab")
    return subprocess.Popen([str(a) for a in argv], env=env, stdout=out, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_for(predicate, timeout: float, what: str, every: float = 0.5):
    """Poll ``predicate()`` until it returns a truthy value; fail after ``timeout`` s."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def queued_job(out: str) -> str:
    """The job id from ``fo-sam3 ... --shards N`` output."""
    for line in out.splitlines():
        if line.startswith("Queued job "):
            return line.split()[2].rstrip(":")
    raise AssertionError(out)


class Db:
    """pymongo view of FiftyOne's database (no FiftyOne in the test process)."""

    def __init__(self, uri: str, name: str = "fiftyone"):
        import pymongo

        self.client = pymongo.MongoClient(uri)
        self.db = self.client[name]

    def samples(self, dataset: str):
        doc = self.db.datasets.find_one({"name": dataset})
        return self.db[doc["sample_collection_name"]]

    def job_ops(self, job: str) -> list[dict]:
        """The job's delegated operations, in shard order."""
        ops = list(self.db.delegated_ops.find({"context.request_params.params.fo_sam3_job": job}))
        return sorted(ops, key=lambda d: d["context"]["request_params"]["params"]["fo_sam3_shard"])

    def lock_writes(self) -> None:
        """Hold every client's writes (``fsyncLock``) until ``unlock_writes``; reads go on."""
        self.client.admin.command("fsync", lock=True)

    def unlock_writes(self) -> None:
        self.client.admin.command("fsyncUnlock")

    def held_writes(self) -> list[dict]:
        """The operations that wait for ``unlock_writes`` (``client``: "host:port", ``command``)."""
        return list(self.client.admin.aggregate([{"$currentOp": {"allUsers": True}},
                                                 {"$match": {"waitingForLock": True}}]))


def env_for(uri: str, plugins: Path, **extra) -> dict:
    """Environment of every subprocess: the shared database, this plugin, one CPU thread, no GPU."""
    env = dict(os.environ, FIFTYONE_DATABASE_URI=uri, FIFTYONE_PLUGINS_DIR=str(plugins),
               FIFTYONE_DATABASE_VALIDATION="false", FIFTYONE_DO_NOT_TRACK="true", HF_HUB_OFFLINE="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="", PYTHONUNBUFFERED="1",
               FO_SAM3_CLAIM_LEASE_S="6")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def as_json(result: Result) -> dict:
    assert result.rc in (0, 1), result.err
    return json.loads(result.out)
