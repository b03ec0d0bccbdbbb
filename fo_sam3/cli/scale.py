"""``fo-sam3 worker``, ``fo-sam3 shards`` and the ``--shards N`` flag (thin shells over ``fo_sam3.scale``)."""

from __future__ import annotations

import argparse

from .common import UsageError
from .subcommand import add_command, add_json_flag, print_result

PLUGIN = "@fo-sam3/sam3"


class ShardsAction(argparse.Action):
    """``--shards N``: a positive count; implies ``--delegate``."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values < 1:
            parser.error("--shards must be a positive integer")
        namespace.shards = values
        namespace.delegate = True


def add_shards_flag(group) -> None:
    """Adds ``--shards N`` (see ``ShardsAction``).

    Args:
        group: a parser or argument group
    """
    group.add_argument("--shards", type=int, metavar="N", action=ShardsAction,
                       help="queue N delegated operations over disjoint slices of the samples, each with "
                       "--skip-existing (implies --delegate); run them with `fo-sam3 worker`")


def add_worker(sub, parents):
    """Adds ``worker``: launchers of queued operations, one per device.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: ``--debug`` (``base_parser``)
    """
    p = add_command(
        sub, "worker", parents, _run_worker,
        help="run queued operations: one `fiftyone delegated launch` per device",
        description="Start one `fiftyone delegated launch --monitor` process per device, each seeing only its "
        "device (CUDA_VISIBLE_DEVICES), restart launchers that die, and re-queue stale shards. Workers on "
        "other machines join by pointing FIFTYONE_DATABASE_URI at the same MongoDB. Stop with Ctrl-C.",
    )
    p.add_argument("--devices", default="all",
                   help="comma-separated: cuda:0,cuda:1 or cpu,cpu (default all: every GPU, else one cpu)")
    p.add_argument("--threads", type=int, help="CPU threads per worker (default: for cpu workers, "
                   "the cores divided among them)")
    p.add_argument("--heartbeat", type=int, default=30, metavar="S",
                   help="seconds between liveness pings of a running operation (default 30; 0: none, "
                   "operations run inside the launcher)")
    p.add_argument("--requeue-stale-after", type=float, default=600, metavar="S",
                   help="re-queue shards silent this long, checked every minute (default 600; 0: never)")
    p.add_argument("--log-dir", help="write each worker's output to worker-<i>.log here")


def _devices(text: str) -> list[str]:
    from ..scale.workers import parse_devices

    if text == "all":
        import torch

        return [f"cuda:{i}" for i in range(torch.cuda.device_count())] or ["cpu"]
    try:
        return parse_devices(text)
    except ValueError as e:
        raise UsageError(f"--devices: {e}") from e


def _run_worker(args) -> int:
    """Runs ``worker``: one launcher per device until Ctrl-C (``fo_sam3.scale.Workers``)."""
    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be a positive integer")
    if args.heartbeat < 0 or args.requeue_stale_after < 0:
        raise UsageError("--heartbeat and --requeue-stale-after must be >= 0")
    devices = _devices(args.devices)
    import fiftyone as fo
    import fiftyone.operators as foo

    from ..scale.workers import Workers

    if not foo.operator_exists(f"{PLUGIN}/segment_text"):
        print(f"warning: the {PLUGIN} plugin is not installed here; its operations would fail "
              "(see the README, App operators)", flush=True)
    db = fo.config.database_uri or "FiftyOne's own database on this machine (set FIFTYONE_DATABASE_URI to share one)"
    workers = Workers(devices, threads=args.threads, heartbeat=args.heartbeat, log_dir=args.log_dir).start()
    print(f"database: {db}", flush=True)
    for i in range(len(devices)):
        print(f"started {workers.describe(i)}", flush=True)
    print("stop with Ctrl-C", flush=True)
    check = min(60.0, max(1.0, args.requeue_stale_after / 4))
    return workers.run(requeue_stale_after=args.requeue_stale_after or None, check_s=check,
                       say=lambda m: print(m, flush=True))


def add_shards(sub, parents):
    """Adds ``shards``, the status of sharded jobs.

    Args:
        sub: the ``add_subparsers()`` object of the ``fo-sam3`` parser
        parents: ``--debug``
    """
    p = add_command(
        sub, "shards", parents, _run_shards,
        help="status of sharded jobs (--shards); re-queue stale or failed shards",
        description="Summarize each job queued with --shards: shards completed, running, queued, failed "
        "(with reasons), and samples done. Exit code 1 if a shard failed.",
    )
    p.add_argument("--job", help="only this job id")
    p.add_argument("--dataset", help="only jobs on this dataset")
    p.add_argument("--stale-after", type=float, default=600, metavar="S",
                   help="a running shard silent this long is stale (default 600)")
    p.add_argument("--requeue-stale", action="store_true", help="put stale shards back in the queue")
    p.add_argument("--requeue-failed", action="store_true", help="put failed shards back in the queue")
    add_json_flag(p, "jobs")


def _run_shards(args) -> int:
    """Runs ``shards``: re-queues what is asked, then prints every job's status."""
    if args.stale_after <= 0:
        raise UsageError("--stale-after must be positive")
    from ..scale.status import FAILED, job_status, requeue_failed, requeue_stale

    moved = []
    if args.requeue_stale:
        moved += requeue_stale(args.job, stale_after=args.stale_after)
    if args.requeue_failed:
        moved += requeue_failed(args.job)
    jobs = job_status(args.job, dataset=args.dataset, stale_after=args.stale_after)
    lines = [f"re-queued shard {s.shard}/{s.shards} (operation {s.op_id}, was {s.state})" for s in moved]
    lines += [_job_text(j) for j in jobs] if jobs else ["no sharded jobs found"]
    print_result(args, dict(requeued=[s.op_id for s in moved], jobs=[j.as_dict() for j in jobs]), "\n".join(lines))
    return 1 if any(s.state == FAILED for j in jobs for s in j.shards) else 0


def _job_text(job) -> str:
    c = job.counts()
    lines = [
        f"job {job.job}  dataset '{job.dataset}'  {job.operator} -> {job.field}",
        f"  {len(job.shards)} shards: {c['completed']} completed, {c['running']} running ({c['stale']} stale), "
        f"{c['queued']} queued, {c['failed']} failed; samples: {c['samples_done']} done, "
        f"{c['samples_skipped']} skipped, {c['samples_failed']} failed",
    ]
    for s in job.shards:
        lines.append(f"  shard {s.shard}/{s.shards}  {s.state:<9}  {_shard_detail(s)}  (operation {s.op_id})")
    return "\n".join(lines)


def _shard_detail(s) -> str:
    if s.result is not None:
        r = s.result
        text = f"{r.get('done', 0)} done, {r.get('skipped', 0)} skipped, {r.get('failed', 0)} failed"
        failures = [f"{f[0]}: {f[-1]}" for f in r.get("failures") or []][:3]
        return "; ".join([text] + failures + list(r.get("notes") or [])[:2])
    if s.error:
        return s.error
    if s.idle_s is not None:
        return f"{s.progress or 'starting'}, silent {s.idle_s:.0f} s" + (" (stale)" if s.stale else "")
    return s.progress or ""
