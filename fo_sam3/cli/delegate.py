"""``--delegate``: queue the matching ``@fo-sam3/sam3`` operator as a delegated operation.

The operation is validated now (the operator's own form checks) and runs
later in ``fiftyone delegated launch`` (or an orchestrator) on the same
samples (``--view``/``--tags``/``--limit``), with the parameters the App form
would send. ``--shards N`` queues N operations over disjoint slices instead
(``fo_sam3.scale.queue_shards``).
"""

from __future__ import annotations

from .common import UsageError

PLUGIN = "@fo-sam3/sam3"
UNSUPPORTED = {  # flag -> attribute; the operators have no input for these
    "--device": "device", "--nms-iou": "nms_iou", "--no-text-hint": "no_text_hint",
    "--text-and-boxes": "text_and_boxes", "--app": "app", "--topk": "topk",
}


def _common(args) -> dict:
    """Output, run and model parameters shared by every operator."""
    for flag, attr in UNSUPPORTED.items():
        if getattr(args, attr, None) not in (None, False):
            raise UsageError(f"{flag} cannot be combined with --delegate")
    params = dict(view_target="CURRENT_VIEW", label_field=args.field, overwrite=args.overwrite,
                  skip_existing=args.skip_existing, variant=args.variant or "full")
    if args.checkpoint:
        params["checkpoint"] = args.checkpoint
    if args.confidence is not None:
        params["confidence"] = args.confidence
    if getattr(args, "batch_size", None) is not None:
        params["batch_size"] = args.batch_size
    if getattr(args, "output_dir", None):
        params.update(mask_storage="files", output_dir=args.output_dir)
    if getattr(args, "workers", None) is not None:
        params["num_workers"] = args.workers  # decode processes of the delegated run
    return params


def queue_label(args, samples) -> int:
    """Queues ``label`` as ``segment_text`` or ``segment_boxes`` (concept mode).

    Args:
        args: the ``label`` flags: text prompts (``--text``, ``--text-field``) or ``--box-field``
        samples: the images to label

    Returns:
        0 once queued
    """
    if args.box_field and (args.text or args.text_field):
        raise UsageError("with --delegate, give either text prompts or --box-field, not both")
    if args.box_field:
        return queue("segment_boxes", samples, _common(args), _shards(args), box_field=args.box_field,
                     mode="concept")
    if args.text_field:
        return queue("segment_text", samples, _common(args), _shards(args), prompt_source="field",
                     text_field=args.text_field)
    return queue("segment_text", samples, _common(args), _shards(args), prompt_source="text", text=args.text)


def queue_instances(args, samples) -> int:
    """Queues ``instances`` as ``segment_boxes`` (instance mode) or ``segment_points``.

    Args:
        args: the ``instances`` flags, with ``--box-field`` or ``--point-field``
        samples: the images whose boxes or keypoints get masks

    Returns:
        0 once queued
    """
    if args.box_field and args.point_field:
        raise UsageError("with --delegate, give either --box-field or --point-field, not both")
    if args.box_field:
        return queue("segment_boxes", samples, _common(args), _shards(args), box_field=args.box_field,
                     mode="instance")
    return queue("segment_points", samples, _common(args), _shards(args), point_field=args.point_field)


def queue_track(args, samples) -> int:
    """Queues ``track`` as ``track_video``, prompted by text or by label fields.

    Args:
        args: the ``track`` flags (prompts, ``--frame``, ``--direction``)
        samples: the videos to track objects through

    Returns:
        0 once queued
    """
    params = _common(args)
    params.update(prompt_frame=args.frame, direction=args.direction)
    if args.text:
        return queue("track_video", samples, params, _shards(args), prompt_source="text", text=args.text)
    prompts = {k: v for k, v in (("box_field", args.box_field), ("point_field", args.point_field)) if v}
    return queue("track_video", samples, params, _shards(args), prompt_source="labels", **prompts)


def _shards(args) -> int | None:
    return getattr(args, "shards", None)


def queue(name: str, samples, params: dict, shards: int | None = None, **prompts) -> int:
    """Queues ``PLUGIN/name`` on ``samples`` (as ``shards`` slices if given); prints how to run it.

    Args:
        name: the operator's name in the plugin
        samples: the samples to process
        params: the operator's parameters, as its form would send them
        shards: (None) the number of delegated operations over disjoint slices
        **prompts: the prompt parameters

    Returns:
        the exit code, 0

    Raises:
        UsageError: the operator is not installed, or its form rejects the parameters
    """
    import fiftyone.operators as foo
    from fiftyone.operators.executor import ExecutionError

    uri = f"{PLUGIN}/{name}"
    if not foo.operator_exists(uri):
        raise UsageError(
            f"operator {uri} is not installed: link or copy this plugin into FiftyOne's plugins dir "
            "(fo.config.plugins_dir, or set FIFTYONE_PLUGINS_DIR) and check `fiftyone operators list`"
        )
    if shards and params.get("overwrite"):
        raise UsageError("--shards runs every shard with --skip-existing; it cannot be combined with --overwrite")
    try:
        if shards:
            return _queue_shards(uri, samples, {**params, **prompts}, shards)
        ctx = dict(dataset=samples._dataset, view=samples.view(), params={**params, **prompts},
                   request_delegation=True)
        result = foo.execute_operator(uri, ctx=ctx)
    except ExecutionError as e:  # the operator's form rejected the parameters
        if str(e).startswith("Validation error"):
            raise UsageError(f"{uri}: {e}") from e
        raise
    if not result.delegated:
        raise RuntimeError(f"{uri} ran immediately instead of being queued")
    op_id = str(result.result["id"])
    print(f"Queued delegated operation {op_id} ({uri}) on {len(samples)} samples of "
          f"'{samples._dataset.name}'.")
    print("Run queued operations with:  fiftyone delegated launch")
    print(f"Check on it with:            fiftyone delegated info {op_id}")
    return 0


def _queue_shards(uri: str, samples, params: dict, shards: int) -> int:
    from ..scale.jobs import queue_shards

    job = queue_shards(samples, uri, params, shards)
    n = len(job.op_ids)
    print(f"Queued job {job.job}: {n} delegated operations ({uri}) over {sum(job.sizes)} samples of "
          f"'{job.dataset}', each with --skip-existing:")
    for k, (op_id, size) in enumerate(zip(job.op_ids, job.sizes), 1):
        print(f"  shard {k}/{n}: operation {op_id}, {size} samples")
    if n < shards:
        print(f"  ({n} shards, not {shards}: one sample at least per shard)")
    print("Run them with:    fo-sam3 worker --devices cuda:0,cuda:1   (or: fiftyone delegated launch)")
    print(f"Follow them with: fo-sam3 shards --job {job.job}")
    return 0
