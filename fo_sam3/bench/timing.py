"""Timing the compared methods: each warmed up alone, then all timed round robin."""

from __future__ import annotations

import contextlib
import resource
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch


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


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


@contextlib.contextmanager
def measure(device, out: dict, n: int):
    """Time the ``with`` block over ``n`` images into ``out``.

    Args:
        device: the torch device the block runs on (CUDA is synchronized
            before and after, and its peak memory recorded)
        out: receives ``images``, ``seconds``, ``img_per_s``, ``peak_rss_mb``
            and, on CUDA, ``peak_gpu_mb``
        n: the number of images the block processes

    Yields:
        nothing; ``out`` is filled when the block ends
    """
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


def time_methods(methods: dict[str, Timed], device, repeat: int = 1) -> dict[str, dict]:
    """Times every method ``repeat`` times, round robin, so that a slow spell of
    a shared machine hits them all alike.

    A method whose run raises is reported as ``{"error": ...}`` and not run again.

    Args:
        methods: a dict mapping result names to warmed-up methods
        device: the torch device the methods run on
        repeat: (1) timed runs per method

    Returns:
        a dict mapping each name to its fastest run (with every run's img/s in
        ``img_per_s_runs`` when ``repeat > 1``) and its extras, or to its error
    """
    runs: dict[str, list[dict]] = {name: [] for name in methods}
    errors: dict[str, str] = {}
    for _ in range(max(1, repeat)):
        for name, method in methods.items():
            if name in errors:
                continue
            one: dict = {}
            try:
                with measure(device, one, method.images):
                    method.run()
            except Exception as e:  # reported, not hidden
                errors[name] = error_text(e)
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


def error_text(e: BaseException) -> str:
    """A failed method's error, as reported: ``"Type: message"``, at most 300 characters.

    Args:
        e: the exception

    Returns:
        the text
    """
    return f"{type(e).__name__}: {e}"[:300]
