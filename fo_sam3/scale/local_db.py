"""A throwaway MongoDB for trials, tests and benchmarks of several workers.

It runs the ``mongod`` that FiftyOne ships, on a free localhost port, with its
data in a directory of your choice. Point every process at it with
``FIFTYONE_DATABASE_URI=<uri>``. For real jobs use a managed MongoDB instead.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import time
from pathlib import Path


def fiftyone_mongod() -> Path:
    """The ``mongod`` binary inside the installed ``fiftyone`` package (not imported).

    Returns:
        its path.

    Raises:
        FileNotFoundError: when the package has no ``mongod``.
    """
    spec = importlib.util.find_spec("fiftyone")
    path = Path(spec.origin).parent / "db" / "bin" / "mongod"
    if not path.is_file():
        raise FileNotFoundError(f"FiftyOne's mongod is not at {path}")
    return path


def free_port() -> int:
    """A TCP port on localhost that is free now.

    Returns:
        the port number
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, grace: float = 20.0) -> None:
    """Terminate a process if it still runs, and kill it when it outlives ``grace``.

    Args:
        proc: the process.
        grace: seconds it may take to exit after ``terminate``.
    """
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_ready(proc: subprocess.Popen, ready, timeout: float, what: str, every: float = 0.1) -> None:
    """Wait until a starting server answers.

    Args:
        proc: the server's process
        ready: ``ready() -> bool``, true once the server answers
        timeout: seconds to wait at most
        what: the server, as named in the errors
        every: seconds between tries

    Raises:
        RuntimeError: ``proc`` exited first
        TimeoutError: ``ready()`` stayed false for ``timeout`` seconds
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if ready():
            return
        time.sleep(every)
    raise TimeoutError(f"{what} did not answer within {timeout:g} s")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class LocalMongo:
    """A ``mongod`` child process; use as a context manager or call ``stop()``.

    Args:
        dbpath: directory for its data files (created if missing)
        port: TCP port (default: a free one)
    """

    def __init__(self, dbpath, port: int | None = None):
        self.dbpath = Path(dbpath)
        self.port = port or free_port()
        self.uri = f"mongodb://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "LocalMongo":
        """Start ``mongod`` and wait until it accepts connections.

        Args:
            timeout: seconds to wait for it.

        Returns:
            this ``LocalMongo``.
        """
        self.dbpath.mkdir(parents=True, exist_ok=True)
        log = open(self.dbpath / "mongod.log", "ab")
        self.proc = subprocess.Popen(
            [str(fiftyone_mongod()), "--dbpath", str(self.dbpath), "--port", str(self.port),
             "--bind_ip", "127.0.0.1", "--nounixsocket"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        try:
            wait_ready(self.proc, lambda: _listening(self.port), timeout,
                       f"mongod on port {self.port} (log: {self.dbpath}/mongod.log)")
        except TimeoutError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Terminate ``mongod`` (killed after 20 s)."""
        if self.proc is not None:
            stop_process(self.proc)

    def __enter__(self) -> "LocalMongo":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
