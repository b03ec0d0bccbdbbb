"""The JSON report: result names, ratios between methods, the machine, and
stdout kept for the JSON alone."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys

import torch

# ratio name -> (numerator, denominator) result names
RATIOS = {
    "fo_sam3_vs_processor": ("fo_sam3", "sam3_processor_loop"),
    "fo_sam3_vs_builtin": ("fo_sam3", "fiftyone_builtin"),
    "fo_sam3_e2e_vs_forward_only": ("fo_sam3", "fo_sam3_forward_only"),
    "instance_fo_sam3_vs_loop": ("instance_fo_sam3", "instance_predict_inst_loop"),
}


def e2e_key(detections: int) -> str:
    """The result name of ``fo_sam3`` end to end at a fixed number of detections.

    Args:
        detections: detections per image

    Returns:
        the name
    """
    return f"fo_sam3_{detections}_dets_per_image"


def ratios(results: dict) -> dict:
    """img/s ratios of the methods compared, where both ran.

    Args:
        results: the results of ``time_methods``

    Returns:
        a dict mapping ratio names to ratios
    """
    def rate(name):
        return results.get(name, {}).get("img_per_s")

    pairs = dict(RATIOS)
    for name in results:
        if name.startswith("fo_sam3_") and name.endswith("_dets_per_image"):
            pairs[f"{name}_vs_forward_only"] = (name, "fo_sam3_forward_only")
    return {key: round(rate(a) / rate(b), 3) for key, (a, b) in pairs.items() if rate(a) and rate(b)}


def machine() -> dict:
    """What ran the benchmark: versions, CPU and GPU, load average.

    Returns:
        a dict
    """
    info = {"python": platform.python_version(), "torch": torch.__version__, "cpu_count": os.cpu_count(),
            "torch_threads": torch.get_num_threads(), "platform": platform.platform(),
            "load_average": [round(v, 2) for v in os.getloadavg()]}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


@contextlib.contextmanager
def json_only_stdout():
    """Sends everything but the report to stderr (FiftyOne logs and prints to stdout).

    Yields:
        nothing; stdout and FiftyOne's stdout log handlers point to stderr
        inside the ``with`` block, and are restored after it
    """
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


def emit_json(report: dict, out: str | None) -> int:
    """Prints ``report`` as JSON, and writes it to ``out`` if given.

    Args:
        report: the report
        out: a file path, or None

    Returns:
        the exit code, 0
    """
    text = json.dumps(report, indent=2)
    print(text)
    if out:
        with open(out, "w") as f:
            f.write(text + "\n")
    return 0
