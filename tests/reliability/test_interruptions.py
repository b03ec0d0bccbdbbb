"""SIGKILL mid-run then resume, and two processes on disjoint shards of one field."""

import os
import queue
import signal
import subprocess
import sys
import threading
import uuid

import fiftyone as fo
import pytest
from fiftyone import ViewField as F

WORKER = os.path.join(os.path.dirname(__file__), "label_worker.py")
PER_SAMPLE = 4  # 2 prompts x top-2, confidence 0
HOLD_AFTER = 3  # the worker stops writing after this many samples and says so


@pytest.fixture
def persistent(photo_paths):
    ds = fo.Dataset(f"fo-sam3-kill-{uuid.uuid4().hex[:8]}", persistent=True)
    ds.add_samples([fo.Sample(filepath=photo_paths[i % len(photo_paths)], tags=["a" if i % 2 else "b"])
                    for i in range(12)])
    yield ds
    ds.delete()


def _spawn(*args):
    return subprocess.Popen([sys.executable, WORKER, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def _wait_for_line(proc, prefix: str, timeout: float = 300) -> str:
    """The first line of ``proc``'s output that starts with ``prefix``; fails with the output so far
    if ``proc`` ends first or nothing comes within ``timeout`` s."""
    lines: queue.Queue = queue.Queue()
    seen: list[str] = []

    def read():
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no '{prefix}' line within {timeout} s:\n{''.join(seen)}") from None
        assert line is not None, f"the worker ended (rc {proc.wait()}) before '{prefix}':\n{''.join(seen)}"
        seen.append(line)
        if line.startswith(prefix):
            return line.strip()


def _labeled(ds):
    ds.reload()
    return ds.match(F("sam3") != None)  # noqa: E711


def test_sigkill_then_skip_existing_labels_each_sample_once(persistent):
    proc = _spawn(persistent.name, "sam3", "--hold-after", str(HOLD_AFTER))
    # the worker says when it has written HOLD_AFTER samples, then writes nothing more: no race
    assert _wait_for_line(proc, "WRITTEN") == f"WRITTEN {HOLD_AFTER}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {s.id: [d.id for d in s.sam3.detections] for s in _labeled(persistent)}
    assert 3 <= len(before) < len(persistent) and len(before) == HOLD_AFTER
    assert all(len(ids) == PER_SAMPLE for ids in before.values())  # no half-written sample

    rerun = _spawn(persistent.name, "sam3")
    out, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, out
    assert f"SUMMARY {len(persistent) - len(before)} {len(before)} 0" in out
    for sample in persistent.iter_samples():
        assert len(sample.sam3.detections) == PER_SAMPLE
        if sample.id in before:
            assert [d.id for d in sample.sam3.detections] == before[sample.id]


def test_two_processes_on_disjoint_shards(persistent):
    procs = [_spawn(persistent.name, "sam3", tag) for tag in ("a", "b")]
    for proc in procs:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out
        assert "SUMMARY 6 0 0" in out
    persistent.reload()
    assert len(_labeled(persistent)) == len(persistent)
    assert all(len(s.sam3.detections) == PER_SAMPLE for s in persistent)
