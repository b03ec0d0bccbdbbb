"""The throughput benchmark: ``python -m fo_sam3.bench`` and ``fo-sam3 bench``.

Layout: ``cli`` (options, ``main``), ``suite`` (``run``: every method on the
same photos and model), ``methods``, ``instance`` and ``builtin`` (the methods
compared), ``timing`` (round-robin timing), ``inputs`` (photos, boxes) and
``report`` (ratios, the JSON report).
"""

from .builtin import ENTRYPOINT_MODULE, bench_builtin, share_model, shared_model
from .cli import DEFAULT_PROMPTS, METHODS, build_parser, load_writer_benchmark, main, parse
from .instance import bench_instance_fo_sam3, bench_instance_loop
from .methods import bench_fo_sam3, bench_forward_only, bench_processor, segment_settings
from .report import e2e_key, emit_json, json_only_stdout, machine, ratios
from .suite import run
from .timing import Timed, time_methods

__all__ = [
    "DEFAULT_PROMPTS", "ENTRYPOINT_MODULE", "METHODS", "Timed", "bench_builtin", "bench_fo_sam3",
    "bench_forward_only", "bench_instance_fo_sam3", "bench_instance_loop", "bench_processor",
    "build_parser", "e2e_key", "emit_json", "json_only_stdout", "load_writer_benchmark", "machine",
    "main", "parse", "ratios", "run", "segment_settings", "share_model", "shared_model", "time_methods",
]
