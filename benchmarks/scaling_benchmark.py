"""Scale-out benchmark: images/s of one sharded job with 1 worker, then with 2 (or more).

For each worker count W it labels a fresh field of one dataset (``--images``
real photos, the scikit-image ones repeated) as a job of ``W x
--shards-per-worker`` delegated operations (``fo_sam3.scale.queue_shards``,
the same as ``fo-sam3 label --shards``), run by W ``fiftyone delegated launch``
workers (``fo_sam3.scale.Workers``, the same as ``fo-sam3 worker --devices
cpu,cpu``), each pinned to one torch thread. Everything shares a standalone
``mongod`` (FiftyOne's binary) in a temp dir. The time of a run is from the
first shard's start to the last shard's end, as FiftyOne records them, so
worker start-up is left out but each operation's own start (a child process,
imports, the model) is in. It prints JSON: the best images/s per worker count
over ``--repeat`` runs and its speed-up over the first count, every run, and
the machine's load average (the machine may be shared: see ``--quiet-load``).

    .venv/bin/python benchmarks/scaling_benchmark.py                  # tiny model, 1 vs 2 CPU workers
    .venv/bin/python benchmarks/scaling_benchmark.py --workers 1,2,4 --devices cuda --variant full --checkpoint PATH
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--images", type=int, default=64, help="samples in the dataset (default 64)")
    p.add_argument("--workers", default="1,2", help="worker counts to time, comma-separated (default 1,2)")
    p.add_argument("--devices", default="cpu", help="cpu (default) or cuda: worker i gets cuda:i")
    p.add_argument("--threads", type=int, default=1, help="torch threads per worker (default 1)")
    p.add_argument("--shards-per-worker", type=int, default=1, help="shards queued per worker (default 1)")
    p.add_argument("--heartbeat", type=int, default=30,
                   help="fo-sam3 worker --heartbeat (default 30: --monitor mode; 0: runs in the launcher)")
    p.add_argument("--variant", default="tiny", choices=("tiny", "full"))
    p.add_argument("--checkpoint", default="random")
    p.add_argument("--text", default="cat", help="text prompts, comma-separated (default cat)")
    p.add_argument("--confidence", type=float, default=0.3, help="(default 0.3: random weights keep some masks)")
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--repeat", type=int, default=1,
                   help="time each worker count this often, alternating the order (default 1); the best counts")
    p.add_argument("--quiet-load", type=float, default=0.0, metavar="L",
                   help="before each run wait (up to 10 min) for the 1-minute load average to drop below L "
                   "(default 0: do not wait)")
    p.add_argument("--out", help="also write the JSON here")
    return p.parse_args(argv)


def setup_env(tmp: Path, uri: str) -> dict:
    """This process and the workers: the local database, this plugin, no GPU unless asked."""
    plugins = tmp / "plugins"
    plugins.mkdir()
    os.symlink(REPO, plugins / "fo-sam3")
    env = dict(FIFTYONE_DATABASE_URI=uri, FIFTYONE_PLUGINS_DIR=str(plugins), FIFTYONE_DATABASE_VALIDATION="false",
               FIFTYONE_DO_NOT_TRACK="true", HF_HUB_OFFLINE="1")
    os.environ.update(env)  # before fiftyone is imported here
    return env


def make_dataset(tmp: Path, images: int):
    import fiftyone as fo
    import skimage.data
    from PIL import Image

    photos = {"astronaut": skimage.data.astronaut(), "chelsea": skimage.data.chelsea(),
              "coffee": skimage.data.coffee(), "rocket": skimage.data.rocket(),
              "motorcycle": skimage.data.stereo_motorcycle()[0]}
    paths = []
    for name, array in photos.items():
        paths.append(str(tmp / f"{name}.jpg"))
        Image.fromarray(array).convert("RGB").save(paths[-1], quality=95)
    ds = fo.Dataset("scaling-benchmark", overwrite=True)
    ds.add_samples([fo.Sample(filepath=paths[i % len(paths)]) for i in range(images)])
    ds.compute_metadata()
    return ds


def wait_quiet(limit: float, max_wait: float = 600.0) -> None:
    """Wait until the 1-minute load average is below ``limit`` (the machine may be shared)."""
    deadline = time.time() + max_wait
    while limit and os.getloadavg()[0] >= limit and time.time() < deadline:
        time.sleep(5.0)


def time_job(ds, workers: int, args, log_dir: Path, run: int = 0) -> dict:
    """Queue a job over ``workers`` workers, run it, return its timing from FiftyOne's records."""
    from bson import ObjectId
    from fiftyone.operators.delegated import DelegatedOperationService

    from fo_sam3.scale import Workers, queue_shards

    field = f"bench_w{workers}_r{run}"
    params = dict(label_field=field, prompt_source="text", text=args.text, variant=args.variant,
                  checkpoint=args.checkpoint, confidence=args.confidence, batch_size=args.batch_size, num_workers=0)
    devices = ["cpu"] * workers if args.devices == "cpu" else [f"cuda:{i}" for i in range(workers)]
    load = os.getloadavg()[0]
    pool = Workers(devices, threads=args.threads, heartbeat=args.heartbeat, log_dir=log_dir / field).start()
    time.sleep(2.0)
    job = queue_shards(ds, "segment_text", params, shards=workers * args.shards_per_worker)
    service = DelegatedOperationService()
    try:
        while True:
            docs = [service.get(ObjectId(i)) for i in job.op_ids]
            if all(d.run_state in ("completed", "failed") for d in docs):
                break
            time.sleep(1.0)
    finally:
        pool.stop()
    errors = [d.result.error for d in docs if d.run_state == "failed"]
    if errors:
        raise RuntimeError(f"{len(errors)} shards failed: {errors[0]}")
    start = min(d.started_at for d in docs)
    seconds = (max(d.completed_at for d in docs) - start).total_seconds()
    results = [d.result.result for d in docs]
    done = sum(r["done"] for r in results)
    return dict(workers=workers, shards=len(docs), images=done, seconds=round(seconds, 2),
                images_per_s=round(done / seconds, 3), detections=sum(r["detections"] for r in results),
                shard_images_per_s=[r["images_per_second"] for r in results],
                # the shards' own rates added up: labeling alone, without each operation's start
                # (valid with one shard per worker, all running at once)
                aggregate_shard_images_per_s=round(sum(r["images_per_second"] for r in results), 3),
                loadavg_1min_before=round(load, 2), loadavg_1min_after=round(os.getloadavg()[0], 2))


def main(argv=None) -> int:
    args = parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    from fo_sam3.scale.local_db import LocalMongo

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with LocalMongo(tmp / "db") as db:
            setup_env(tmp, db.uri)
            ds = make_dataset(tmp, args.images)
            load_before = os.getloadavg()
            runs = []
            for r in range(args.repeat):
                for w in counts if r % 2 == 0 else counts[::-1]:
                    wait_quiet(args.quiet_load)
                    runs.append(time_job(ds, w, args, tmp / "logs", run=r))
            load_after = os.getloadavg()
    summary = {}
    for key in ("images_per_s", "aggregate_shard_images_per_s"):
        best = {w: max(run[key] for run in runs if run["workers"] == w) for w in counts}
        summary[key] = {f"{w}_workers": dict(best=best[w], speedup_vs_first=round(best[w] / best[counts[0]], 3))
                        for w in counts}
    out = dict(summary=summary, runs=runs, settings=vars(args),
               machine=dict(cpus=os.cpu_count(), python=platform.python_version(),
                            loadavg_before=[round(x, 2) for x in load_before],
                            loadavg_after=[round(x, 2) for x in load_after]))
    text = json.dumps(out, indent=2)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
