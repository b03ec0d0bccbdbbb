"""Writer-only benchmark: low-resolution mask logits in, ``Detections`` in a dataset out.

No model runs: synthetic 288x288 logit maps (SAM3's mask resolution) of
blobs covering 0.1%-10% of the image go through

- ``new``: today's output stage, as ``fo_sam3.engine.runner.run`` drives it
  (``ConceptJob.encode`` = ``instance_docs`` + ``Update`` on an ``OutputStage``:
  batched ``crop_masks``, encoding on a thread pool, raw bulk writes);
- ``old``: the output path before issue 11 (commit 99a26e9), re-implemented
  here: ``upsample_mask`` per instance, ``fo.Detection(mask=...)``,
  ``fo.Detections`` and ``dataset.set_values(..., validate=False)`` every 64
  samples, all on one writer thread;

into real FiftyOne datasets (one fresh dataset per timed run, so both write
into documents of the same size), and prints JSON: masks/s of each path and
their ratio (best runs, medians, and the median of each repeat's back-to-back
ratio, the figure least moved by a shared machine's drifts). Both paths must write the same masks: every stored mask is
compared, and a few samples' masks are also rendered at full size with
FiftyOne (``Detection.to_segmentation``) and compared pixel for pixel.

Run ``python benchmarks/writer_benchmark.py --help`` (or ``fo-sam3 bench
--writer-only --help``) for the options.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import os
import platform
import pstats
import sys
import time
import types
from dataclasses import replace

os.environ.setdefault("FIFTYONE_DATABASE_VALIDATION", "false")
os.environ.setdefault("FIFTYONE_DO_NOT_TRACK", "true")

import numpy as np
import torch

LOW_RES = 288  # SAM3's image-model mask logits are 288 x 288
SIZES = ((640, 480), (1280, 720), (1920, 1080), (1024, 768))
PROMPTS = ("person", "car", "cup", "dog")
OLD_WRITE_BATCH = 64  # the old BulkWriter's batch (SegmentConfig.write_batch)


# -- synthetic model output ----------------------------------------------------------------
def synth_logits(k: int, rng: np.random.Generator, res: int = LOW_RES,
                 min_frac: float = 0.001, max_frac: float = 0.1) -> torch.Tensor:
    """(k, res, res) float32 logits of noisy elliptical blobs, areas log-uniform in [min_frac, max_frac].

    Logits fall from about +10 inside to -10 and below outside, with a smooth
    random wobble of the boundary, like SAM3's low-resolution mask logits.
    """
    frac = np.exp(rng.uniform(math.log(min_frac), math.log(max_frac), k))
    aspect = np.exp(rng.uniform(math.log(0.5), math.log(2.0), k))
    area = frac * res * res
    ax = np.sqrt(area / math.pi * aspect)  # semi-axes in low-res pixels
    ay = np.sqrt(area / math.pi / aspect)
    cx = rng.uniform(np.minimum(ax, res / 2), np.maximum(res - ax, res / 2))
    cy = rng.uniform(np.minimum(ay, res / 2), np.maximum(res - ay, res / 2))
    t = lambda a: torch.as_tensor(a, dtype=torch.float32)[:, None, None]  # noqa: E731
    grid = torch.arange(res, dtype=torch.float32) + 0.5
    r = torch.sqrt(((grid[None, None, :] - t(cx)) / t(ax)) ** 2 + ((grid[None, :, None] - t(cy)) / t(ay)) ** 2)
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    wobble = torch.nn.functional.interpolate(torch.randn(k, 1, 12, 12, generator=gen), size=(res, res),
                                             mode="bicubic", align_corners=False)[:, 0]
    return (10.0 * (1.0 - r - 0.15 * wobble)).clamp(min=-30.0).contiguous()


def synth_image(i: int, k: int, width: int, height: int, seed: int, device: str = "cpu"):
    """One image's model output: a ``LoadedImage`` and its ``Instance``s (as ``ConceptPredictor`` returns them)."""
    from fo_sam3.concept.predictor import Instance
    from fo_sam3.engine.data import LoadedImage
    from fo_sam3.prompts import ImageTask, text_queries

    rng = np.random.default_rng(seed + i)
    logits = synth_logits(k, rng).to(device)  # on the model's device, as the predictor returns them
    task = ImageTask(sample_id="", filepath=f"/writer-bench/img{i:05d}.jpg", prompts=tuple(text_queries(PROMPTS)))
    item = LoadedImage(task, height, width, torch.empty(0, dtype=torch.uint8))
    found = []
    for j in range(k):
        pos = torch.nonzero(logits[j] > 0)
        if len(pos):
            (y0, x0), (y1, x1) = pos.min(0).values.tolist(), (pos.max(0).values + 1).tolist()
        else:
            x0 = y0 = x1 = y1 = 0
        box = np.array([x0 * width / LOW_RES, y0 * height / LOW_RES, x1 * width / LOW_RES, y1 * height / LOW_RES])
        found.append(Instance(int(rng.integers(len(PROMPTS))), float(rng.uniform(0.3, 1.0)), box, logits[j]))
    found.sort(key=lambda f: -f.score)  # as ConceptPredictor returns them
    return item, found


def make_inputs(args) -> list:
    """``args.images`` (item, found) pairs; ``args.distinct`` distinct logit sets, cycled (bounded memory)."""
    sizes = [(args.width, args.height)] if args.width and args.height else list(SIZES)
    distinct = [synth_image(i, args.instances, *sizes[i % len(sizes)], args.seed, args.device)
                for i in range(min(args.distinct, args.images))]
    out = []
    for i in range(args.images):
        item, found = distinct[i % len(distinct)]
        out.append((replace(item, task=replace(item.task, filepath=f"/writer-bench/img{i:05d}.jpg")), found))
    return out


def new_dataset(inputs, field: str):
    """A fresh non-persistent dataset with one sample per input and ``field`` declared, and the
    inputs bound to its sample ids."""
    import fiftyone as fo

    from fo_sam3.write import declare_field

    ds = fo.Dataset()
    ids = ds.add_samples([fo.Sample(filepath=item.task.filepath) for item, _ in inputs], progress=False)
    declare_field(ds, field)
    bound = [(replace(item, task=replace(item.task, sample_id=sid)), found) for (item, found), sid in zip(inputs, ids)]
    return ds, bound


# -- the old path (99a26e9), re-implemented ------------------------------------------------
def old_label(item, found, threshold: float, box_source: str):
    """99a26e9's ``instances_to_detections``: one ``upsample_mask`` and one ``fo.Detection`` per instance."""
    import fiftyone as fo

    from fo_sam3.convert.labels import box_and_mask
    from fo_sam3.convert.masks import upsample_mask

    dets = []
    for inst in found:
        query = item.task.prompts[inst.query]
        cropped = upsample_mask(inst.logits, item.height, item.width, threshold)
        box, mask = box_and_mask(cropped, inst.box_xyxy, item.width, item.height, box_source)
        dets.append(fo.Detection(bounding_box=box, mask=mask, label=query.label, confidence=inst.score,
                                 query=query.name))
    return fo.Detections(detections=dets)


class OldBulkWriter:
    """99a26e9's ``write.writer.BulkWriter``: ``set_values`` of ``{sample_id: value}`` per batch."""

    def __init__(self, samples, field: str, batch_size: int = OLD_WRITE_BATCH):
        self.dataset, self.field, self.batch_size = samples._dataset, field, batch_size
        self._pending: dict[str, object] = {}
        self.written = 0

    def add(self, sample_id: str, value) -> None:
        self._pending[sample_id] = value
        if len(self._pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        self.dataset.set_values(self.field, self._pending, key_field="id", validate=False)
        self.written += len(self._pending)
        self._pending = {}


def run_old(dataset, inputs, field: str = "sam3", mask_threshold: float = 0.5, box_source: str = "mask") -> int:
    """The old writer thread's loop (label, then add to the bulk writer), in this thread. Returns labels written."""
    from fo_sam3.convert.labels import prob_to_logit

    threshold = prob_to_logit(mask_threshold)
    bulk = OldBulkWriter(dataset, field)
    count = 0
    for item, found in inputs:
        dets = old_label(item, found, threshold, box_source)
        bulk.add(item.task.sample_id, dets)
        count += len(dets.detections)
    bulk.flush()
    return count


# -- today's path --------------------------------------------------------------------------
def concept_job(box_source: str = "mask"):
    """A ``ConceptJob`` whose ``encode`` is the one ``runner.run`` calls (no model needed)."""
    from fo_sam3.config import SegmentConfig
    from fo_sam3.concept.job import ConceptJob

    predictor = types.SimpleNamespace(config=SegmentConfig(box_source=box_source))
    return ConceptJob(predictor, types.SimpleNamespace(fields=[]))


def run_new(dataset, inputs, field: str = "sam3", workers: int = 2, mask_threshold: float = 0.5,
            box_source: str = "mask") -> int:
    """``runner.run``'s output side: submit each image's instances to an ``OutputStage``. Returns labels written."""
    from fo_sam3.config import SegmentConfig
    from fo_sam3.write.masks import MaskStore
    from fo_sam3.write.stage import OutputStage

    cfg = SegmentConfig(mask_threshold=mask_threshold, box_source=box_source)
    job, store = concept_job(box_source), MaskStore(cfg.mask_threshold, None)
    written, failed = [0], []
    stage = OutputStage(dataset, field, lambda payload: job.encode(*payload, store),
                        lambda u: written.__setitem__(0, written[0] + u.count), failed.append,
                        workers=workers, write_batch=cfg.write_batch, write_bytes=cfg.write_bytes, mask_dir=None)
    ok = False
    try:
        for item, found in inputs:
            stage.submit(item.task.sample_id, item.task.filepath, (item, found))
        ok = True
    finally:
        stage.close(abort=not ok)
    if failed:
        raise RuntimeError(f"{len(failed)} samples failed, first: {failed[0].reason}")
    return written[0]


def run_new_serial(dataset, inputs, field: str = "sam3", mask_threshold: float = 0.5, box_source: str = "mask") -> int:
    """The same work as ``run_new`` in this thread only (encode, then the stage's batched write), for profiling."""
    from fo_sam3.config import SegmentConfig
    from fo_sam3.write.masks import MaskStore
    from fo_sam3.write.stage import OutputStage, encoded_size

    cfg = SegmentConfig(mask_threshold=mask_threshold, box_source=box_source)
    job, store = concept_job(box_source), MaskStore(cfg.mask_threshold, None)
    written = [0]
    stage = OutputStage(dataset, field, None, lambda u: written.__setitem__(0, written[0] + u.count),
                        lambda f: None, workers=1, write_batch=cfg.write_batch, write_bytes=cfg.write_bytes,
                        mask_dir=None)
    try:
        batch = []
        for item, found in inputs:
            update = job.encode(item, found, store)
            encoded_size(update)  # the writer thread sizes every update twice (limit check, flush budget)
            encoded_size(update)
            batch.append(update)
            if len(batch) >= cfg.write_batch:
                stage._write(batch)
                batch = []
        if batch:
            stage._write(batch)
    finally:
        stage.close()
    return written[0]


# -- checks --------------------------------------------------------------------------------
def compare(old_ds, new_ds, field: str, inputs, render: int) -> dict:
    """Every stored mask equal (shape and pixels), boxes within 1e-9, same labels; ``render`` samples
    also rendered at full size by FiftyOne and compared pixel for pixel."""
    old_by_path = dict(zip(*old_ds.values(["filepath", field])))
    new_by_path = dict(zip(*new_ds.values(["filepath", field])))
    sizes = {item.task.filepath: (item.width, item.height) for item, _ in inputs}
    paths = [item.task.filepath for item, _ in inputs]
    picks = set(paths[:: max(1, len(paths) // max(1, render))][:render]) if render else set()
    masks = rendered = 0
    box_diff = 0.0
    for path in paths:
        a, b = old_by_path[path].detections, new_by_path[path].detections
        assert len(a) == len(b), f"{path}: {len(a)} old vs {len(b)} new detections"
        for da, db in zip(a, b):
            assert (da.label, da.confidence, da.query) == (db.label, db.confidence, db.query), path
            box_diff = max(box_diff, float(np.abs(np.subtract(da.bounding_box, db.bounding_box)).max()))
            assert box_diff < 1e-9, f"{path}: boxes differ by {box_diff}"
            assert da.mask.shape == db.mask.shape and np.array_equal(da.mask, db.mask), f"{path}: masks differ"
            masks += 1
            if path in picks:
                seg_a = da.to_segmentation(frame_size=sizes[path], target=1).mask
                seg_b = db.to_segmentation(frame_size=sizes[path], target=1).mask
                assert np.array_equal(seg_a, seg_b), f"{path}: rendered masks differ"
                rendered += 1
    return {"equal": True, "masks_compared": masks, "masks_rendered_and_compared": rendered,
            "max_box_difference": box_diff}


def _profile(fn, top: int) -> dict:
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    fn()
    prof.disable()
    secs = time.perf_counter() - start
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    rows = [line for line in text.getvalue().splitlines() if line.strip()]
    start_at = next((i for i, line in enumerate(rows) if line.lstrip().startswith("ncalls")), 0)
    return {"seconds": round(secs, 3), "by_self_time": rows[start_at:]}


# -- main ----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="writer_benchmark", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=128, help="images written per timed run (default 128)")
    ap.add_argument("--instances", type=int, default=40, help="instances (masks) per image (default 40)")
    ap.add_argument("--width", type=int, default=None,
                    help="image width; with --height, every image has this size (default: cycle 640x480, "
                         "1280x720, 1920x1080, 1024x768)")
    ap.add_argument("--height", type=int, default=None, help="image height (see --width)")
    ap.add_argument("--workers", type=int, default=None,
                    help="encoding threads of the new path's OutputStage (default: one per core, as "
                         "SegmentConfig.encode_workers=None)")
    ap.add_argument("--distinct", type=int, default=8,
                    help="distinct images of synthetic logits, cycled over --images (bounds memory; default 8)")
    ap.add_argument("--repeat", type=int, default=5,
                    help="timed runs of each path, old and new back to back, alternating which goes first; "
                         "the best, the medians and the median of the paired ratios are reported (default 5)")
    ap.add_argument("--warmup", type=int, default=2, help="images each path writes once before timing (default 2)")
    ap.add_argument("--box-source", default="mask", choices=["mask", "model"], help="SegmentConfig.box_source")
    ap.add_argument("--render", type=int, default=3,
                    help="samples whose masks are also rendered full size by FiftyOne and compared (default 3)")
    ap.add_argument("--skip-old", action="store_true", help="time the new path only (no equality check)")
    ap.add_argument("--profile", action="store_true",
                    help="also run each path once in one thread under cProfile and report where time goes")
    ap.add_argument("--profile-top", type=int, default=25, help="functions listed per profile (default 25)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the synthetic logits")
    ap.add_argument("--device", default="cpu",
                    help="where the logits live, as a model on that device leaves them (e.g. cuda): "
                         "both paths crop there (default cpu)")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads for the run (default: torch's own, usually one per core)")
    ap.add_argument("--out", default=None, help="also write the JSON here")
    return ap


def parse(argv):
    ap = build_parser()
    args = ap.parse_args(argv)
    if (args.width is None) != (args.height is None):
        ap.error("give --width and --height together")
    for name in ("images", "instances", "distinct", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be at least 1")
    return args


def _rate(n_masks: int, n_images: int, secs: float, cpu: float) -> dict:
    """Wall-clock rates, and this process's CPU seconds (all its threads; not MongoDB's)."""
    return {"seconds": round(secs, 3), "masks": n_masks, "masks_per_s": round(n_masks / secs, 1),
            "img_per_s": round(n_images / secs, 2), "cpu_seconds": round(cpu, 3),
            "masks_per_cpu_s": round(n_masks / max(cpu, 1e-9), 1)}


def main(argv=None) -> int:
    from fo_sam3.bench import json_only_stdout

    args = parse(argv)
    threads = torch.get_num_threads()
    try:
        if args.torch_threads:
            torch.set_num_threads(args.torch_threads)
        with json_only_stdout():
            report = run(args)
    finally:
        torch.set_num_threads(threads)
    from fo_sam3.bench import emit_json

    return emit_json(report, args.out)


def run(args) -> dict:
    """Warm-up, timed runs, equality check and optional profiles; the report as a dict."""
    import fiftyone as fo  # noqa: F401  (starts the database before any timing)

    workers = args.workers or os.cpu_count() or 1
    load_before = [round(v, 2) for v in os.getloadavg()]
    field = "sam3"
    inputs = make_inputs(args)
    warm = inputs[: args.warmup]
    area = float(np.mean([(f.logits > 0).float().mean().item() for _, found in inputs[: args.distinct] for f in found]))
    datasets = []

    def fresh(subset):
        ds, bound = new_dataset(subset, field)
        datasets.append(ds)
        return ds, bound

    runs: dict[str, list[dict]] = {"old": [], "new": []}
    checks = None
    profiles = {}
    try:
        if warm:  # imports, first allocations, thread start-up: not timed
            if not args.skip_old:
                run_old(*fresh(warm), box_source=args.box_source, field=field)
            run_new(*fresh(warm), field=field, workers=workers, box_source=args.box_source)
        for r in range(args.repeat):
            kept = {}
            for path in (("new",) if args.skip_old else ("old", "new") if r % 2 == 0 else ("new", "old")):
                ds, bound = fresh(inputs)
                start, cpu = time.perf_counter(), time.process_time()
                if path == "old":
                    n = run_old(ds, bound, field=field, box_source=args.box_source)
                else:
                    n = run_new(ds, bound, field=field, workers=workers, box_source=args.box_source)
                runs[path].append(_rate(n, len(inputs), time.perf_counter() - start, time.process_time() - cpu))
                kept[path] = ds
            if checks is None and "old" in kept:
                checks = compare(kept["old"], kept["new"], field, inputs, args.render)
            for ds in kept.values():
                ds.delete()
                datasets.remove(ds)
        if args.profile:
            prof_in = inputs[: max(1, min(len(inputs), 16))]
            if not args.skip_old:
                ds, bound = fresh(prof_in)
                profiles["old"] = _profile(lambda: run_old(ds, bound, field=field, box_source=args.box_source),
                                           args.profile_top)
            ds, bound = fresh(prof_in)
            profiles["new_one_thread"] = _profile(
                lambda: run_new_serial(ds, bound, field=field, box_source=args.box_source), args.profile_top)
            profiles["images"] = len(prof_in)
    finally:
        for ds in datasets:
            ds.delete()

    best = {k: max(v, key=lambda x: x["masks_per_s"]) for k, v in runs.items() if v}
    median = {k: float(np.median([x["masks_per_s"] for x in v])) for k, v in runs.items() if v}
    report = {
        "benchmark": "writer_only",
        "machine": {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
                    "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
                    "load_average_before_after": [load_before, [round(v, 2) for v in os.getloadavg()]]},
        "images": args.images,
        "instances_per_image": args.instances,
        "sizes": [[args.width, args.height]] if args.width else [list(s) for s in SIZES],
        "low_res": LOW_RES,
        "mean_mask_area_fraction": round(area, 4),
        "workers": workers,
        "device": args.device,
        "box_source": args.box_source,
        "results": best,  # the best timed run of each path
        "runs": runs,
        "median_masks_per_s": median,
        "new_vs_old": round(best["new"]["masks_per_s"] / best["old"]["masks_per_s"], 2) if "old" in best else None,
        "new_vs_old_median": round(median["new"] / median["old"], 2) if "old" in median else None,
        # Each repeat times old and new back to back: the median of their ratios cancels the
        # machine's slow drifts (a shared VM's speed can change by a quarter within a minute).
        "new_vs_old_paired_median": round(float(np.median(
            [n["masks_per_s"] / o["masks_per_s"] for o, n in zip(runs["old"], runs["new"])])), 2) if runs["old"] else None,
        "check": checks,
    }
    if profiles:
        report["profile"] = profiles
    return report


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
