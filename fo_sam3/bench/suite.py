"""``run``: every method not skipped, on the same photos and model."""

from __future__ import annotations

import tempfile

import torch

from fo_sam3.prompts.text import split_prompt_text
from .builtin import bench_builtin
from .inputs import add_boxes, photos
from .instance import bench_instance_fo_sam3, bench_instance_loop
from .methods import bench_fo_sam3, bench_forward_only, bench_processor
from .report import e2e_key, machine, ratios
from .timing import Timed, error_text, time_methods


def run(args, model=None) -> dict:
    """Runs every method not skipped, on the same photos and model.

    Every method is built and warmed up first, then all are timed round robin.

    Args:
        args: the parsed options (see ``fo_sam3.bench.parse``)
        model: (None) a ``Sam3Image`` built with ``instance_interactive=True``,
            instead of the one built from ``--variant``/``--checkpoint``

    Returns:
        the report, a dict
    """
    import fiftyone as fo

    from fo_sam3.model import build_sam3

    prompts = split_prompt_text(args.prompts)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    warm = args.batch_size if args.warmup_images is None else args.warmup_images
    if model is None:
        model = build_sam3(args.variant, checkpoint=args.checkpoint, device=device, seed=0, instance_interactive=True)
    else:
        device = next(model.parameters()).device
    with tempfile.TemporaryDirectory() as folder:
        paths = photos(args.images, folder)
        dataset = fo.Dataset()
        dataset.add_samples([fo.Sample(filepath=p) for p in paths], progress=False)
        dataset.compute_metadata(progress=False)
        try:
            methods, errors = _methods(args, model, dataset, paths, prompts, device, warm)
            results = time_methods(methods, device, args.repeat)
            results.update(errors)
        finally:
            dataset.delete()
    return {"machine": machine(), "variant": args.variant, "device": str(device), "images": args.images,
            "prompts": prompts, "batch_size": args.batch_size, "num_workers": args.num_workers,
            "warmup_images": warm, "repeat": args.repeat, "results": results, "ratios": ratios(results)}


def _methods(args, model, dataset, paths, prompts, device, warm) -> tuple[dict[str, Timed], dict[str, dict]]:
    """The warmed-up methods by result name, and the errors of those that failed to start."""
    skip, batch, workers = args.skip, args.batch_size, args.num_workers
    methods: dict[str, Timed] = {}
    errors: dict[str, dict] = {}
    if "processor" not in skip:
        methods["sam3_processor_loop"] = bench_processor(model, paths, prompts, device, warm)
    if "forward" not in skip:
        methods["fo_sam3_forward_only"] = bench_forward_only(model, paths, prompts, batch, device, warm)
    if "fo_sam3" not in skip:
        methods["fo_sam3"] = bench_fo_sam3(model, dataset, prompts, batch, workers, warmup=warm)
    for n in args.detections_per_image:
        methods[e2e_key(n)] = bench_fo_sam3(model, dataset, prompts, batch, workers, detections=n, warmup=warm)
    if "builtin" not in skip:
        try:
            methods["fiftyone_builtin"] = bench_builtin(model, dataset, prompts, batch, workers, device, warm)
        except Exception as e:  # reported, not hidden
            errors["fiftyone_builtin"] = {"error": error_text(e)}
    if "instance" not in skip:
        boxes = add_boxes(dataset)
        methods["instance_predict_inst_loop"] = bench_instance_loop(model, paths, boxes, device, warm)
        methods["instance_fo_sam3"] = bench_instance_fo_sam3(model, dataset, batch, workers, warm)
    return methods, errors
