"""The benchmark entry points run: ``fo-sam3 bench`` (tiny model, 1 image) and the writer-only benchmark."""

from __future__ import annotations

import importlib.util
import json

import pytest

from fo_sam3 import bench


def _report(capsys, argv) -> dict:
    assert bench.main(argv) == 0
    return json.loads(capsys.readouterr().out)  # stdout holds the JSON only


def test_writer_only_benchmark_writes_the_same_masks_both_ways(capsys):
    report = _report(capsys, ["--writer-only", "--images", "3", "--instances", "5", "--width", "320",
                              "--height", "240", "--warmup", "1", "--render", "1"])
    assert report["benchmark"] == "writer_only"
    assert report["check"]["equal"] and report["check"]["masks_compared"] == 15
    assert report["check"]["masks_rendered_and_compared"] == 5
    for path in ("old", "new"):
        assert report["results"][path]["masks"] == 15 and report["results"][path]["masks_per_s"] > 0
    assert report["new_vs_old"] > 0


def test_bench_times_fixed_detection_counts_and_fiftyones_builtin(tiny_inst_model):
    args = bench.parse(["--images", "1", "--batch-size", "1", "--warmup-images", "1",
                        "--prompts", "person,cat", "--detections-per-image", "0,3",
                        "--skip", "processor,instance,fo_sam3"])
    report = bench.run(args, model=tiny_inst_model)
    results = report["results"]
    assert set(results) == {"fo_sam3_forward_only", bench.e2e_key(0), bench.e2e_key(3), "fiftyone_builtin"}
    assert results[bench.e2e_key(0)]["detections"] == 0
    three = results[bench.e2e_key(3)]
    assert three["detections"] == 3 and three["topk_per_query"] == 2 and three["topk_per_image"] == 3
    assert "error" not in results["fiftyone_builtin"], results["fiftyone_builtin"]
    assert all(r["img_per_s"] > 0 for r in results.values())
    assert f"{bench.e2e_key(3)}_vs_forward_only" in report["ratios"]


def test_shared_model_reaches_fiftyone_from_a_second_copy_of_bench(monkeypatch):
    """A copy of ``fo_sam3.bench`` loaded from its file (as ``__main__`` would be) hands the
    model to the module FiftyOne imports, ``ENTRYPOINT_MODULE``."""
    import sys

    import eta.core.utils as etau

    spec = importlib.util.spec_from_file_location("__main_copy__", bench.__file__)
    as_main = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "__main_copy__", as_main)
    spec.loader.exec_module(as_main)
    model = object()
    try:
        as_main.share_model(model)
        assert etau.get_function(f"{bench.ENTRYPOINT_MODULE}.shared_model")() is model
    finally:
        bench.builtin._SHARED = None
    with pytest.raises(RuntimeError, match="no model to share"):
        bench.shared_model()


def test_methods_are_timed_round_robin_fastest_run_reported_failures_kept_apart():
    import time

    import torch

    order, cleanups = [], []

    def run(name, delay):
        def go():
            order.append(name)
            time.sleep(delay * order.count(name))  # later runs are slower
        return go

    def broken():
        order.append("broken")
        raise ValueError("boom")

    methods = {
        "a": bench.Timed(4, run("a", 0.01), after=lambda: cleanups.append("a"), extras=lambda: {"detections": 7}),
        "b": bench.Timed(2, run("b", 0.001)),
        "broken": bench.Timed(1, broken, after=lambda: cleanups.append("broken")),
    }
    results = bench.time_methods(methods, torch.device("cpu"), repeat=3)
    assert order == ["a", "b", "broken", "a", "b", "a", "b"]  # round robin; a failure is not retried
    assert cleanups == ["a", "broken", "a", "a"]
    a = results["a"]
    assert len(a["img_per_s_runs"]) == 3 and a["img_per_s"] == max(a["img_per_s_runs"]) and a["detections"] == 7
    assert a["images"] == 4 and a["seconds"] < 0.02
    assert results["broken"] == {"error": "ValueError: boom"}


def test_every_option_has_help():
    writer = bench.load_writer_benchmark()
    for parser in (bench.build_parser(), writer.build_parser()):
        for action in parser._actions:
            assert action.help, f"{parser.prog}: {action.option_strings} has no help"


def test_bad_detection_counts_are_usage_errors():
    with pytest.raises(SystemExit):
        bench.parse(["--detections-per-image", "10,-1"])
    with pytest.raises(SystemExit):
        bench.parse(["--skip", "nothing"])
