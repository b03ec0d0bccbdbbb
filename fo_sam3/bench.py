"""Throughput benchmark: sam3's Processor loop, FiftyOne's built-in SAM3, fo_sam3.

Same images, prompts and weights for every method; each method is warmed up
on its own before it is timed. Prints JSON (images/s, ratios, peak memory).
Tiny model on a CPU, full model on a GPU by default. ``--detections-per-image``
adds fo_sam3 end to end at a fixed number of detections per image (whatever
the weights); ``--writer-only`` runs the model-free output-stage benchmark
(``benchmarks/writer_benchmark.py``) instead.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import math
import os
import platform
import resource
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

DEFAULT_PROMPTS = "person,cat,cup"
BOXES_PER_IMAGE = 5


def _photos(n: int, folder: str) -> list[str]:
    import skimage.data
    from PIL import Image

    arrays = [skimage.data.astronaut(), skimage.data.chelsea(), skimage.data.coffee(),
              skimage.data.rocket(), skimage.data.stereo_motorcycle()[0]]
    paths = []
    for i in range(n):
        path = os.path.join(folder, f"img{i:04d}.jpg")
        Image.fromarray(arrays[i % len(arrays)]).save(path, quality=95)
        paths.append(path)
    return paths


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


@contextlib.contextmanager
def _measure(device, out: dict, n: int):
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _sync(device)
    start = time.perf_counter()
    yield
    _sync(device)
    secs = time.perf_counter() - start
    out.update(images=n, seconds=round(secs, 3), img_per_s=round(n / secs, 3))
    if device.type == "cuda":
        out["peak_gpu_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@dataclass
class Timed:
    """A method ready to be timed (already warmed up).

    ``run`` processes ``images`` images once; ``after`` (untimed) restores the
    dataset after each run; ``extras`` adds counts to the method's result.
    """

    images: int
    run: Callable[[], Any]
    after: Callable[[], Any] | None = None
    extras: Callable[[], dict] = dict


def time_methods(methods: dict[str, Timed], device, repeat: int = 1) -> dict[str, dict]:
    """Time every method ``repeat`` times, round robin (so a slow spell of a shared machine
    hits them all alike); each result is the method's fastest run, with every run's img/s.

    A method whose run raises is reported as ``{"error": ...}`` and not run again.
    """
    runs: dict[str, list[dict]] = {name: [] for name in methods}
    errors: dict[str, str] = {}
    for _ in range(max(1, repeat)):
        for name, method in methods.items():
            if name in errors:
                continue
            one: dict = {}
            try:
                with _measure(device, one, method.images):
                    method.run()
            except Exception as e:  # reported, not hidden
                errors[name] = f"{type(e).__name__}: {e}"[:300]
            finally:
                if method.after is not None:
                    method.after()
            if name not in errors:
                runs[name].append(one)
    results = {}
    for name, method in methods.items():
        if name in errors:
            results[name] = {"error": errors[name]}
            continue
        best = dict(max(runs[name], key=lambda r: r["img_per_s"]))
        if len(runs[name]) > 1:
            best["img_per_s_runs"] = [r["img_per_s"] for r in runs[name]]
        results[name] = {**best, **method.extras()}
    return results


def _autocast(device):
    from fo_sam3.engine.runtime import autocast

    return autocast(device)


def bench_processor(model, paths, prompts, device, warmup: int = 1) -> Timed:
    """sam3's documented loop: ``set_image``, then ``set_text_prompt`` per prompt."""
    from PIL import Image
    from sam3.model.sam3_image_processor import Sam3Processor

    from fo_sam3.model import cpu_forward

    proc = Sam3Processor(model, device=str(device), confidence_threshold=0.5)

    def loop(images):
        with cpu_forward(device), _autocast(device):
            for p in images:
                state = proc.set_image(Image.open(p).convert("RGB"))
                for text in prompts:
                    proc.set_text_prompt(text, state)

    loop(paths[:warmup])
    return Timed(len(paths), lambda: loop(paths))


def bench_forward_only(model, paths, prompts, batch_size, device, warmup: int = 1) -> Timed:
    """fo_sam3's predictor alone, on images decoded beforehand (no masks, no writes)."""
    from fo_sam3.config import SegmentConfig
    from fo_sam3.engine.concept import ConceptPredictor
    from fo_sam3.engine.data import ImageBatch, prepare
    from fo_sam3.prompts import ImageTask, text_queries

    pred = ConceptPredictor(model, SegmentConfig(batch_size=batch_size, confidence=0.5))
    queries = tuple(text_queries(prompts))
    items = [prepare(ImageTask(str(i), p, queries)) for i, p in enumerate(paths)]
    batches = [ImageBatch(items[s : s + batch_size], []) for s in range(0, len(items), batch_size)]
    if warmup:  # and the text cache
        pred.predict(ImageBatch(items[: min(warmup, batch_size)], []))

    def run():
        for b in batches:
            pred.predict(b)

    return Timed(len(paths), run)


def _segment_settings(detections: int | None, n_prompts: int) -> dict:
    """``segment`` settings: the default filter, or ``detections`` per image whatever the weights.

    ``detections=N > 0``: keep every score above 0 (``confidence=0``), the top
    ``ceil(N / prompts)`` per prompt and the top N per image; a prompt yields
    fewer only where its scores underflow to exactly 0 (random weights can).
    ``0``: keep none (no score is above 1).
    """
    if detections is None:
        return {"confidence": 0.5}
    if detections == 0:
        return {"confidence": 1.0}
    return {"confidence": 0.0, "topk_per_query": math.ceil(detections / n_prompts), "topk_per_image": detections}


def bench_fo_sam3(model, dataset, prompts, batch_size, workers, detections: int | None = None,
                  warmup: int = 1) -> Timed:
    """``fo_sam3.segment`` end to end (decode, model, masks, writes), warmed up with the same settings.

    Each run writes a fresh field, deleted after it (untimed), so every run
    writes into documents of the same size.
    """
    import fo_sam3

    settings = _segment_settings(detections, len(prompts))
    common = dict(text=prompts, model=model, batch_size=batch_size, progress=False, **settings)
    if warmup:
        fo_sam3.segment(dataset.limit(warmup), "bench_warmup", num_workers=0, **common)
        dataset.delete_sample_field("bench_warmup")
    summaries = []

    def extras():
        summary = summaries[-1]
        out = dict(settings, detections=summary.detections,
                   detections_per_image=round(summary.detections / max(1, summary.done), 2))
        if summary.failed:
            out["failed"] = summary.failed
        return out

    return Timed(len(dataset),
                 lambda: summaries.append(fo_sam3.segment(dataset, "bench_fo_sam3", num_workers=workers, **common)),
                 after=lambda: _drop_field(dataset, "bench_fo_sam3"), extras=extras)


def _drop_field(dataset, field: str) -> None:
    if dataset.has_sample_field(field):
        dataset.delete_sample_field(field)


def bench_builtin(model, dataset, prompts, batch_size, workers, device, warmup: int = 1) -> Timed:
    """FiftyOne's ``segment-anything-3-image-torch`` model class, on the same weights."""
    import fiftyone.utils.sam3 as fosam3

    from fo_sam3.model import cpu_forward
    from fo_sam3.model.vocab import find_vocab

    share_model(model)
    config = fosam3.SegmentAnything3ImageModelConfig({
        "entrypoint_fcn": f"{ENTRYPOINT_MODULE}.shared_model",
        "entrypoint_args": {"bpe_path": str(find_vocab()), "checkpoint_path": "unused"},
        "confidence_thresh": 0.5,
        "classes": list(prompts),
        "operation_mode": "concept",
        "device": str(device),
    })
    builtin = fosam3.SegmentAnything3ImageModel(config)

    def apply(samples, field, **kwargs):
        with cpu_forward(device):
            samples.apply_model(builtin, field, batch_size=batch_size, progress=False, **kwargs)

    if warmup:
        apply(dataset.limit(warmup), "bench_warmup")
        dataset.delete_sample_field("bench_warmup")
    return Timed(len(dataset), lambda: apply(dataset, "bench_builtin", num_workers=workers),
                 after=lambda: _drop_field(dataset, "bench_builtin"))


ENTRYPOINT_MODULE = "fo_sam3.bench"
_SHARED = None


def share_model(model) -> None:
    """Make ``shared_model`` return ``model``.

    FiftyOne imports the entry point by name, so the model goes to that
    module, which is not this one when this file runs as ``python -m
    fo_sam3.bench`` (then this module is ``__main__``).
    """
    importlib.import_module(ENTRYPOINT_MODULE)._SHARED = model


def shared_model(**_kwargs):
    """Entry point that hands FiftyOne's built-in wrapper the benchmark's model."""
    if _SHARED is None:
        raise RuntimeError("no model to share: bench_builtin sets it before FiftyOne loads this entry point")
    return _SHARED


def bench_instance_loop(model, paths, boxes, device, warmup: int = 1) -> Timed:
    """A per-image ``set_image`` + ``predict_inst`` loop over each image's boxes."""
    from PIL import Image
    from sam3.model.sam3_image_processor import Sam3Processor

    from fo_sam3.model import cpu_forward

    proc = Sam3Processor(model, device=str(device))

    def loop(images, image_boxes):
        with cpu_forward(device), _autocast(device):
            for p, b in zip(images, image_boxes):
                image = Image.open(p).convert("RGB")
                state = proc.set_image(image)
                model.predict_inst(state, box=b, multimask_output=False)

    loop(paths[:warmup], boxes[:warmup])
    return Timed(len(paths), lambda: loop(paths, boxes))


def bench_instance_fo_sam3(model, dataset, batch_size, workers, warmup: int = 1) -> Timed:
    """``fo_sam3.segment(mode="instance")`` on the ``gt5`` boxes, end to end."""
    import fo_sam3

    common = dict(mode="instance", box_field="gt5", model=model, batch_size=batch_size, progress=False)
    if warmup:
        fo_sam3.segment(dataset.limit(warmup), "bench_warmup", num_workers=0, **common)
        dataset.delete_sample_field("bench_warmup")
    summaries = []
    return Timed(len(dataset),
                 lambda: summaries.append(fo_sam3.segment(dataset, "bench_inst", num_workers=workers, **common)),
                 after=lambda: _drop_field(dataset, "bench_inst"),
                 extras=lambda: {"detections": summaries[-1].detections})


def _add_boxes(dataset):
    import fiftyone as fo

    rng = np.random.default_rng(0)
    pixel_boxes = []
    for sample in dataset.iter_samples(autosave=True):
        rel = []
        for _ in range(BOXES_PER_IMAGE):
            x, y = rng.uniform(0, 0.6, 2)
            w, h = rng.uniform(0.1, 0.4, 2)
            rel.append([x, y, w, h])
        sample["gt5"] = fo.Detections(detections=[fo.Detection(label="obj", bounding_box=b) for b in rel])
        W, H = sample.metadata.width, sample.metadata.height
        pixel_boxes.append(np.array([[x * W, y * H, (x + w) * W, (y + h) * H] for x, y, w, h in rel]))
    return pixel_boxes


@contextlib.contextmanager
def json_only_stdout():
    """Send everything but the report to stderr (FiftyOne logs and prints to stdout)."""
    import logging

    import fiftyone  # noqa: F401  (its log handlers exist from here on)

    loggers = [logging.root] + [v for v in logging.root.manager.loggerDict.values() if isinstance(v, logging.Logger)]
    moved = [h for lg in loggers for h in lg.handlers
             if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) is sys.stdout]
    for h in moved:
        h.setStream(sys.stderr)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        for h in moved:
            h.setStream(sys.stdout)


def machine() -> dict:
    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
            "load_average": [round(v, 2) for v in os.getloadavg()]}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


METHODS = ("processor", "forward", "fo_sam3", "builtin", "instance")


def _counts(text: str) -> list[int]:
    try:
        counts = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None
    if any(n < 0 for n in counts):
        raise argparse.ArgumentTypeError("detections per image must be >= 0")
    return counts


def _methods(text: str) -> set[str]:
    names = {v.strip() for v in text.split(",") if v.strip()}
    unknown = names - set(METHODS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown method(s) {', '.join(sorted(unknown))}; choose from {', '.join(METHODS)}")
    return names


def build_parser() -> argparse.ArgumentParser:
    cuda = torch.cuda.is_available()
    ap = argparse.ArgumentParser(prog="fo-sam3 bench", description=__doc__)
    ap.add_argument("--writer-only", action="store_true",
                    help="run the model-free writer benchmark (benchmarks/writer_benchmark.py: synthetic "
                         "mask logits through the old and today's output path, masks/s); every other option "
                         "goes to it (see fo-sam3 bench --writer-only --help)")
    ap.add_argument("--variant", default="full" if cuda else "tiny", choices=["full", "tiny"],
                    help="model size (default: full on CUDA, tiny otherwise)")
    ap.add_argument("--checkpoint", default="random",
                    help="checkpoint path, or 'random' (default) for seeded random weights")
    ap.add_argument("--images", type=int, default=64 if cuda else 8,
                    help="images timed per method (scikit-image photos, cycled; default 64 on CUDA, 8 otherwise)")
    ap.add_argument("--prompts", default=DEFAULT_PROMPTS,
                    help=f"comma-separated text prompts (default {DEFAULT_PROMPTS})")
    ap.add_argument("--batch-size", type=int, default=16 if cuda else 4,
                    help="images per forward pass (default 16 on CUDA, 4 otherwise)")
    ap.add_argument("--num-workers", type=int, default=4 if cuda else 1,
                    help="DataLoader workers decoding images (default 4 on CUDA, 1 otherwise)")
    ap.add_argument("--device", default=None, help="torch device (default: cuda if available, else cpu)")
    ap.add_argument("--warmup-images", type=int, default=None,
                    help="images each method processes once, untimed, before it is timed (default: --batch-size)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="timed runs per method, round robin over the methods after all are warmed up; the "
                         "fastest is reported, with every run's img/s in img_per_s_runs (default 1)")
    ap.add_argument("--detections-per-image", type=_counts, default=[], metavar="N[,N...]",
                    help="also time fo_sam3 end to end at exactly N detections per image whatever the weights "
                         "(confidence=0, topk_per_query=ceil(N/prompts), topk_per_image=N; 0 keeps none), "
                         "e.g. 0,30,100")
    ap.add_argument("--skip", type=_methods, default=set(),
                    help=f"comma list of methods not to run: {','.join(METHODS)} (fo_sam3 is end to end at "
                         "the default confidence; forward is fo_sam3's predictor alone)")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    return ap


def parse(argv):
    ap = build_parser()
    args = ap.parse_args(argv)
    for name in ("images", "batch_size", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.num_workers < 0 or (args.warmup_images is not None and args.warmup_images < 0):
        ap.error("--num-workers and --warmup-images must be >= 0")
    return args


def _writer_benchmark():
    """``benchmarks/writer_benchmark.py`` of this source tree, as a module."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "writer_benchmark.py"
    if not path.is_file():
        raise SystemExit(f"--writer-only needs fo_sam3's source tree (benchmarks/writer_benchmark.py); "
                         f"{path} does not exist")
    spec = importlib.util.spec_from_file_location("fo_sam3_writer_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def e2e_key(detections: int) -> str:
    return f"fo_sam3_{detections}_dets_per_image"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--writer-only" in argv:
        return _writer_benchmark().main([a for a in argv if a != "--writer-only"])
    args = parse(argv)
    with json_only_stdout():
        report = run(args)
    return emit_json(report, args.out)


def emit_json(report: dict, out: str | None) -> int:
    """Print ``report`` as JSON (and write it to ``out``); returns exit code 0."""
    text = json.dumps(report, indent=2)
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    return 0


def run(args, model=None) -> dict:
    """Every method not skipped, on the same photos and model; the report as a dict.

    ``model`` (a ``Sam3Image`` built with ``instance_interactive=True``) replaces
    the one built from ``--variant``/``--checkpoint``.
    """
    import fiftyone as fo

    from fo_sam3.model import build_sam3

    skip = args.skip
    prompts = [p.strip() for p in args.prompts.split(",") if p.strip()]
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    warm = args.batch_size if args.warmup_images is None else args.warmup_images
    if model is None:
        model = build_sam3(args.variant, checkpoint=args.checkpoint, device=device, seed=0, instance_interactive=True)
    else:
        device = next(model.parameters()).device
    methods: dict[str, Timed] = {}
    errors: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        paths = _photos(args.images, folder)
        dataset = fo.Dataset()
        dataset.add_samples([fo.Sample(filepath=p) for p in paths], progress=False)
        dataset.compute_metadata(progress=False)
        try:  # every method is built and warmed up first, then all are timed round robin
            if "processor" not in skip:
                methods["sam3_processor_loop"] = bench_processor(model, paths, prompts, device, warm)
            if "forward" not in skip:
                methods["fo_sam3_forward_only"] = bench_forward_only(model, paths, prompts, args.batch_size,
                                                                     device, warm)
            if "fo_sam3" not in skip:
                methods["fo_sam3"] = bench_fo_sam3(model, dataset, prompts, args.batch_size, args.num_workers,
                                                   warmup=warm)
            for n in args.detections_per_image:
                methods[e2e_key(n)] = bench_fo_sam3(model, dataset, prompts, args.batch_size, args.num_workers,
                                                    detections=n, warmup=warm)
            if "builtin" not in skip:
                try:
                    methods["fiftyone_builtin"] = bench_builtin(model, dataset, prompts, args.batch_size,
                                                                args.num_workers, device, warm)
                except Exception as e:  # reported, not hidden
                    errors["fiftyone_builtin"] = {"error": f"{type(e).__name__}: {e}"[:300]}
            if "instance" not in skip:
                boxes = _add_boxes(dataset)
                methods["instance_predict_inst_loop"] = bench_instance_loop(model, paths, boxes, device, warm)
                methods["instance_fo_sam3"] = bench_instance_fo_sam3(model, dataset, args.batch_size,
                                                                     args.num_workers, warm)
            results = time_methods(methods, device, args.repeat)
            results.update(errors)
        finally:
            dataset.delete()
    return {"machine": machine(), "variant": args.variant, "device": str(device), "images": args.images,
            "prompts": prompts, "batch_size": args.batch_size, "num_workers": args.num_workers,
            "warmup_images": warm, "repeat": args.repeat, "results": results, "ratios": _ratios(results)}


def _ratios(r: dict) -> dict:
    def rate(name):
        return r.get(name, {}).get("img_per_s")

    out = {}
    pairs = {
        "fo_sam3_vs_processor": ("fo_sam3", "sam3_processor_loop"),
        "fo_sam3_vs_builtin": ("fo_sam3", "fiftyone_builtin"),
        "fo_sam3_e2e_vs_forward_only": ("fo_sam3", "fo_sam3_forward_only"),
        "instance_fo_sam3_vs_loop": ("instance_fo_sam3", "instance_predict_inst_loop"),
    }
    for name in r:
        if name.startswith("fo_sam3_") and name.endswith("_dets_per_image"):
            pairs[f"{name}_vs_forward_only"] = (name, "fo_sam3_forward_only")
    for key, (a, b) in pairs.items():
        if rate(a) and rate(b):
            out[key] = round(rate(a) / rate(b), 3)
    return out


if __name__ == "__main__":
    sys.exit(main())
