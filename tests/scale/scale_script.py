"""Subprocess side of the scale-out tests (run as a script; FiftyOne reads FIFTYONE_DATABASE_URI)."""

import sys
import time


def make(photo_dir: str, *specs: str) -> None:
    """Persistent datasets ``name:count``, each cycling through the photos in ``photo_dir``."""
    from pathlib import Path

    import fiftyone as fo

    paths = sorted(str(p) for p in Path(photo_dir).glob("*.jpg"))
    for spec in specs:
        name, count = spec.split(":")
        ds = fo.Dataset(name, persistent=True, overwrite=True)
        ds.add_samples([fo.Sample(filepath=paths[i % len(paths)]) for i in range(int(count))])
        ds.compute_metadata()


def race(sync_dir: str, rounds: str) -> None:
    """Once the test creates ``sync_dir/go``, run the body of ``fiftyone delegated launch``'s
    loop (``execute_queued_operations(limit=1, log=True)``) until the queue is empty.

    FiftyOne logs ``Running operation <id>`` for each operation this process claimed.
    """
    import os
    from pathlib import Path

    from fiftyone.operators.delegated import DelegatedOperationService

    service = DelegatedOperationService()
    service.list_operations(run_state="queued")  # connected and warm
    sync = Path(sync_dir)
    (sync / f"ready-{os.getpid()}").touch()
    while not (sync / "go").exists():
        time.sleep(0.001)
    for _ in range(int(rounds)):
        service.execute_queued_operations(limit=1, log=True)
        if not service.list_operations(run_state="queued"):
            return
        time.sleep(0.5)


if __name__ == "__main__":
    {"make": make, "race": race}[sys.argv[1]](*sys.argv[2:])
