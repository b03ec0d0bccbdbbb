"""Workers: one ``fiftyone delegated launch`` process per device.

Each launcher sees one device (``CUDA_VISIBLE_DEVICES``; none for ``cpu``),
and with a heartbeat it runs in FiftyOne's ``--monitor`` mode: every operation
runs in a child process and the launcher pings the operation's ``updated_at``
every ``heartbeat`` seconds, which is what tells a live shard from a stale
one. Launchers find the database the usual way (``FIFTYONE_DATABASE_URI`` or
FiftyOne's config), so workers on many machines share one queue.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HEARTBEAT_S = 30
MIN_UPTIME_S = 60  # a launcher that dies sooner is not restarted: something is wrong
_DEVICE = re.compile(r"^(cpu|cuda(:\d+)?)$")


def parse_devices(text: str) -> list[str]:
    """``"cuda:0,cuda:1"`` -> ``["cuda:0", "cuda:1"]``; ``cpu`` may repeat.

    Args:
        text: comma-separated devices (case and spaces ignored)

    Returns:
        the devices, lower-cased, one per launcher

    Raises:
        ValueError: an empty list or a device other than ``cpu``, ``cuda``, ``cuda:N``
    """
    devices = [d.strip().lower() for d in text.split(",") if d.strip()]
    bad = [d for d in devices if not _DEVICE.match(d)]
    if not devices or bad:
        raise ValueError(f"devices are cpu, cuda or cuda:N, comma-separated; got {text!r}")
    return devices


def device_env(device: str, threads: int | None = None) -> dict[str, str]:
    """Environment that pins a launcher to ``device`` (and ``threads`` CPU threads).

    Args:
        device: ``cpu``, ``cuda`` (GPU 0) or ``cuda:N``
        threads: ``OMP_NUM_THREADS``/``MKL_NUM_THREADS``, or ``None`` to
            leave them unset

    Returns:
        the variables to add to the launcher's environment
    """
    env = {"CUDA_VISIBLE_DEVICES": "" if device == "cpu" else (device.partition(":")[2] or "0")}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return env


def launcher_command(heartbeat: int | None = HEARTBEAT_S) -> list[str]:
    """``fiftyone delegated launch`` of this Python (``--monitor`` with a heartbeat).

    Args:
        heartbeat: seconds between pings of a running operation; 0 or
            ``None`` for no ``--monitor``

    Returns:
        the command's argv
    """
    exe = Path(sys.executable).with_name("fiftyone")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-c", "from fiftyone.core.cli import main; main()"]
    cmd += ["delegated", "launch"]
    if heartbeat:
        cmd += ["--monitor", "--monitor-interval", str(int(heartbeat))]
    return cmd


class Workers:
    """Launcher processes, one per device.

    Args:
        devices: e.g. ``["cuda:0", "cuda:1"]`` or ``["cpu", "cpu"]``
        threads: CPU threads per launcher (default: for ``cpu`` devices, the
            cores divided among them; otherwise torch's default)
        heartbeat: seconds between pings of a running operation; 0 runs
            operations in the launcher itself, without pings
        log_dir: write each launcher's output to ``worker-<i>.log`` here
            (default: this process's stdout/stderr)
        env: extra environment for the launchers
    """

    def __init__(self, devices, threads=None, heartbeat=HEARTBEAT_S, log_dir=None, env=None):
        self.devices = list(devices)
        cpus = sum(d == "cpu" for d in self.devices)
        self.threads = [threads or (max(1, (os.cpu_count() or 1) // cpus) if d == "cpu" else None)
                        for d in self.devices]
        self.heartbeat = heartbeat
        self.log_dir = Path(log_dir) if log_dir else None
        self.env = dict(env or {})
        self.procs: list[subprocess.Popen | None] = [None] * len(self.devices)
        self.started = [0.0] * len(self.devices)

    def start(self) -> "Workers":
        """Start every launcher.

        Returns:
            this ``Workers``
        """
        for i in range(len(self.devices)):
            self.start_one(i)
        return self

    def start_one(self, i: int) -> subprocess.Popen:
        """(Re)start launcher ``i`` in its own process group.

        Args:
            i: the launcher's index in ``devices``

        Returns:
            its process
        """
        env = {**os.environ, **self.env, **device_env(self.devices[i], self.threads[i]), "PYTHONUNBUFFERED": "1"}
        out = None
        if self.log_dir:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"worker-{i}.log", "ab")
        self.procs[i] = subprocess.Popen(launcher_command(self.heartbeat), env=env, stdout=out,
                                         stderr=subprocess.STDOUT if out else None, start_new_session=True,
                                         preexec_fn=_default_sigint)
        self.started[i] = time.time()
        return self.procs[i]

    def describe(self, i: int) -> str:
        """Name launcher ``i`` for log lines.

        Args:
            i: the launcher's index (it must have been started)

        Returns:
            e.g. ``"worker 0 (cuda:0, pid 123)"``
        """
        threads = f", {self.threads[i]} threads" if self.threads[i] else ""
        return f"worker {i} ({self.devices[i]}{threads}, pid {self.procs[i].pid})"

    def stop(self, timeout: float = 30.0) -> None:
        """Ctrl-C every launcher (a running operation's child is stopped too); kill stragglers.

        Args:
            timeout: seconds to wait, for all launchers together, before
                killing the ones still alive (with their descendants)
        """
        live = [p for p in self.procs if p is not None and p.poll() is None]
        for p in live:
            _signal_group(p, signal.SIGINT)
        deadline = time.time() + timeout
        for p in live:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                kill_tree(p.pid)
                p.wait()

    def run(self, requeue_stale_after: float | None = None, check_s: float = 30.0, say=print) -> int:
        """Supervise until interrupted: restart launchers that die (unless at once),
        and re-queue stale shards every ``check_s`` seconds if ``requeue_stale_after``.

        Args:
            requeue_stale_after: seconds of silence that make a running shard
                stale (see ``status.requeue_stale``); ``None`` or 0: never
                re-queue
            check_s: seconds between checks for stale shards
            say: prints the status lines

        Returns:
            0 when stopped by Ctrl-C or SIGTERM, 1 when a launcher died at once
        """
        stop = []
        old = signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        next_check = time.time() + check_s
        try:
            while not stop:
                for i, p in enumerate(self.procs):
                    if p.poll() is None:
                        continue
                    say(f"{self.describe(i)} exited with code {p.returncode}")
                    if time.time() - self.started[i] < MIN_UPTIME_S:
                        say("it died right after starting; stopping all workers")
                        return 1
                    self.start_one(i)
                    say(f"restarted as {self.describe(i)}")
                if requeue_stale_after and time.time() >= next_check:
                    next_check = time.time() + check_s
                    _requeue(requeue_stale_after, say)
                time.sleep(1.0)
            return 0
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, old)
            say("stopping workers (a shard they were running is re-queued once stale)")
            self.stop()


def _requeue(stale_after: float, say) -> None:
    from .status import requeue_stale

    try:
        for s in requeue_stale(stale_after=stale_after):
            say(f"re-queued stale shard {s.shard}/{s.shards} (operation {s.op_id}, silent {s.idle_s:.0f} s)")
    except Exception as e:  # e.g. the database is briefly unreachable
        say(f"could not check for stale shards: {type(e).__name__}: {e}")


def kill_tree(pid: int) -> None:
    """SIGKILL a process and all its descendants (a monitored operation runs in its own session).

    Args:
        pid: the root process (already gone: nothing happens)
    """
    import psutil

    try:
        root = psutil.Process(pid)
        procs = root.children(recursive=True) + [root]
    except psutil.NoSuchProcess:
        return
    for p in procs:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass


def _default_sigint() -> None:
    """In the launcher: Ctrl-C stops it cleanly, even if this process was started with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _signal_group(proc: subprocess.Popen, sig) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


__all__ = ["Workers", "parse_devices", "device_env", "launcher_command", "kill_tree", "HEARTBEAT_S"]
