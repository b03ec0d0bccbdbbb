"""The concept-mode methods compared: sam3's Processor loop, fo_sam3's predictor
alone and ``fo_sam3.segment`` end to end; and the helpers every method shares.

Each ``bench_*`` function warms its method up and returns it as a ``Timed``.
"""

from __future__ import annotations

import contextlib
import math
from typing import Callable

from .inputs import drop_field
from .timing import Timed

WARMUP_FIELD = "bench_warmup"


@contextlib.contextmanager
def sam3_scope(device):
    """The scope sam3's own loops run in here: CPU-safe forward passes and autocast.

    Args:
        device: the model's torch device

    Yields:
        nothing; the ``with`` block runs in the scope
    """
    from fo_sam3.engine.runtime import autocast
    from fo_sam3.model import cpu_forward

    with cpu_forward(device), autocast(device):
        yield


def warm_up(apply: Callable, dataset, warmup: int) -> None:
    """Runs ``apply(samples, field)`` once on the first ``warmup`` samples, into a
    scratch field deleted afterwards.

    Args:
        apply: writes labels of the given samples into the given field
        dataset: the benchmark's dataset
        warmup: the number of samples (0: no warm-up)
    """
    if warmup:
        apply(dataset.limit(warmup), WARMUP_FIELD)
        dataset.delete_sample_field(WARMUP_FIELD)


def timed_segment(dataset, field: str, workers: int, warmup: int, extras: Callable[[object], dict],
                  **kwargs) -> Timed:
    """``fo_sam3.segment`` end to end, warmed up with the same settings.

    Each run writes ``field`` afresh and deletes it after (untimed), so every
    run writes into documents of the same size.

    Args:
        dataset: the benchmark's dataset
        field: the label field each timed run writes
        workers: image-decoding workers of the timed runs (the warm-up uses none)
        warmup: the number of samples of the warm-up run
        extras: the result's counts, from the last run's ``RunSummary``
        **kwargs: further ``fo_sam3.segment`` arguments

    Returns:
        a ``Timed``
    """
    import fo_sam3

    warm_up(lambda samples, f: fo_sam3.segment(samples, f, num_workers=0, **kwargs), dataset, warmup)
    summaries = []
    return Timed(len(dataset),
                 lambda: summaries.append(fo_sam3.segment(dataset, field, num_workers=workers, **kwargs)),
                 after=lambda: drop_field(dataset, field), extras=lambda: extras(summaries[-1]))


def bench_processor(model, paths, prompts, device, warmup: int = 1) -> Timed:
    """sam3's documented loop: ``set_image``, then ``set_text_prompt`` per prompt.

    Args:
        model: a sam3 ``Sam3Image``
        paths: the image paths
        prompts: the text prompts
        device: the model's torch device
        warmup: (1) the number of images of the warm-up run

    Returns:
        a ``Timed``
    """
    from PIL import Image
    from sam3.model.sam3_image_processor import Sam3Processor

    proc = Sam3Processor(model, device=str(device), confidence_threshold=0.5)

    def loop(images):
        with sam3_scope(device):
            for p in images:
                state = proc.set_image(Image.open(p).convert("RGB"))
                for text in prompts:
                    proc.set_text_prompt(text, state)

    loop(paths[:warmup])
    return Timed(len(paths), lambda: loop(paths))


def bench_forward_only(model, paths, prompts, batch_size, device, warmup: int = 1) -> Timed:
    """fo_sam3's predictor alone, on images decoded beforehand (no masks, no writes).

    Args:
        model: a sam3 ``Sam3Image``
        paths: the image paths
        prompts: the text prompts
        batch_size: images per forward pass
        device: the model's torch device
        warmup: (1) the number of images of the warm-up batch (at most ``batch_size``)

    Returns:
        a ``Timed``
    """
    import torch

    from fo_sam3.concept.predictor import ConceptPredictor
    from fo_sam3.config import SegmentConfig
    from fo_sam3.engine.data import read_image
    from fo_sam3.prompts import text_queries

    pred = ConceptPredictor(model, SegmentConfig(batch_size=batch_size, confidence=0.5))
    queries = text_queries(prompts)
    pixels, sizes = zip(*(read_image(p) for p in paths))
    spans = [(s, min(s + batch_size, len(paths))) for s in range(0, len(paths), batch_size)]
    batches = [(torch.stack(pixels[a:b]), sizes[a:b], [queries] * (b - a)) for a, b in spans]
    if warmup:  # and the text cache
        n = min(warmup, batch_size)
        pred.predict(torch.stack(pixels[:n]), sizes[:n], [queries] * n)

    def run():
        for b in batches:
            pred.predict(*b)

    return Timed(len(paths), run)


def segment_settings(detections: int | None, n_prompts: int) -> dict:
    """``segment`` settings: the default filter, or ``detections`` per image whatever the weights.

    ``detections=N > 0``: keep every score above 0 (``confidence=0``), the top
    ``ceil(N / prompts)`` per prompt and the top N per image; a prompt yields
    fewer only where its scores underflow to exactly 0 (random weights can).
    ``0``: keep none (no score is above 1).

    Args:
        detections: detections per image, or None for the default confidence
        n_prompts: the number of text prompts

    Returns:
        a dict of ``fo_sam3.segment`` keyword arguments
    """
    if detections is None:
        return {"confidence": 0.5}
    if detections == 0:
        return {"confidence": 1.0}
    return {"confidence": 0.0, "topk_per_query": math.ceil(detections / n_prompts), "topk_per_image": detections}


def bench_fo_sam3(model, dataset, prompts, batch_size, workers, detections: int | None = None,
                  warmup: int = 1) -> Timed:
    """``fo_sam3.segment`` end to end (decode, model, masks, writes) from text prompts.

    Args:
        model: a sam3 ``Sam3Image``
        dataset: the benchmark's dataset
        prompts: the text prompts
        batch_size: images per forward pass
        workers: image-decoding workers
        detections: (None) detections per image (see ``segment_settings``)
        warmup: (1) the number of samples of the warm-up run

    Returns:
        a ``Timed`` whose result adds the settings and the detection counts
    """
    settings = segment_settings(detections, len(prompts))

    def extras(summary) -> dict:
        out = dict(settings, detections=summary.detections,
                   detections_per_image=round(summary.detections / max(1, summary.done), 2))
        if summary.failed:
            out["failed"] = summary.failed
        return out

    return timed_segment(dataset, "bench_fo_sam3", workers, warmup, extras, text=prompts, model=model,
                         batch_size=batch_size, progress=False, **settings)
