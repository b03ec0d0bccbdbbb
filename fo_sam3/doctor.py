"""``fo-sam3 doctor``: is everything fo_sam3 needs installed and reachable?

Each check is ``ok``, ``warn`` (works, with a limitation: no GPU, no ffmpeg,
no checkpoint yet) or ``fail`` (a real problem: the exit code is then 1).
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata

DB_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "warn" or "fail"
    detail: str


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown version"


def check_python() -> Check:
    """The Python version and interpreter path.

    Returns:
        an ``ok`` ``Check``.
    """
    return Check("python", "ok", f"{platform.python_version()} ({sys.executable})")


def check_torch() -> Check:
    """Whether torch imports, and which GPUs CUDA sees.

    Returns:
        ``ok`` with a GPU, ``warn`` without one, ``fail`` if torch does not import.
    """
    try:
        import torch
    except Exception as e:
        return Check("torch", "fail", f"cannot import torch: {e}")
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        return Check("torch", "ok", f"{torch.__version__}; CUDA {torch.version.cuda}: {names}")
    build = f"CUDA {torch.version.cuda} build" if torch.version.cuda else "CPU build"
    return Check("torch", "warn", f"{torch.__version__} ({build}); no GPU available: runs on CPU, "
                                  "where the full model takes seconds per image")


def check_sam3() -> Check:
    """Whether Meta's ``sam3`` package imports.

    Returns:
        ``ok`` with its version, or ``fail`` with how to install it.
    """
    try:
        from sam3.model.sam3_image import Sam3Image  # noqa: F401
    except Exception as e:
        return Check("sam3", "fail", f"cannot import sam3 ({type(e).__name__}: {e}); "
                                     "install it with: pip install sam3==0.1.4")
    return Check("sam3", "ok", _version("sam3"))


def check_database() -> Check:
    """Whether FiftyOne's MongoDB answers (a remote ``database_uri`` within ``DB_TIMEOUT_MS``).

    Returns:
        ``ok`` with the versions, or ``fail`` with the first line of the error.
    """
    try:
        import fiftyone as fo
        import fiftyone.core.odm.database as fod
    except Exception as e:
        return Check("fiftyone", "fail", f"cannot import fiftyone ({type(e).__name__}: {e})")
    where = "embedded MongoDB" if fo.config.database_uri is None else "database_uri"
    try:
        if fo.config.database_uri is None:
            version = str(fod.get_db_version())
        else:  # our own short-timeout client, so an unreachable server fails fast
            import pymongo

            client = pymongo.MongoClient(fo.config.database_uri, serverSelectionTimeoutMS=DB_TIMEOUT_MS)
            try:
                version = client.server_info()["version"]
            finally:
                client.close()
    except Exception as e:
        return Check("database", "fail", f"cannot reach FiftyOne's database ({where}): "
                                         f"{type(e).__name__}: {_first_line(e)}")
    return Check("database", "ok", f"fiftyone {fo.__version__}; MongoDB {version} ({where})")


def check_vocab() -> Check:
    """Whether the BPE vocabulary file is on disk (nothing is downloaded).

    Returns:
        ``ok`` with its path, or ``fail`` with the places tried.
    """
    from .model.vocab import find_vocab

    try:
        return Check("bpe vocab", "ok", str(find_vocab(download=False)))
    except FileNotFoundError as e:
        return Check("bpe vocab", "fail", str(e))


def check_ffmpeg() -> Check:
    """Whether ``ffmpeg`` (needed for videos) is on PATH and runs.

    Returns:
        ``ok`` with its version line, else ``warn``.
    """
    path = shutil.which("ffmpeg")
    if path is None:
        return Check("ffmpeg", "warn", "not found: video (fo-sam3 track) needs it; "
                                       "install it with your package manager")
    try:
        out = subprocess.run([path, "-version"], capture_output=True, text=True, timeout=20).stdout
        return Check("ffmpeg", "ok", f"{path} ({out.splitlines()[0] if out else 'unknown version'})")
    except (OSError, subprocess.SubprocessError) as e:
        return Check("ffmpeg", "warn", f"{path} does not run: {e}")


def check_checkpoint() -> Check:
    """Whether a local SAM3 checkpoint is found, else whether the hub could supply one.

    Returns:
        ``ok`` with the file and its source, else ``warn`` with what to do.
    """
    from .demo.run import WEIGHTS_HELP, has_hub_token
    from .model.checkpoint import ENV_VAR, CheckpointNotFoundError, resolve_checkpoint, zoo_candidates

    try:
        found = resolve_checkpoint(None, hub=False)
        return Check("checkpoint", "ok", f"{found.path} ({found.source})")
    except CheckpointNotFoundError:
        if has_hub_token():
            from huggingface_hub import get_token

            from .model.hub import hub_problem

            problem = hub_problem(get_token())
            if problem is None:
                return Check("checkpoint", "warn", "none found locally; facebook/sam3 downloads on first use "
                                                   "(your Hugging Face token has access)")
            return Check("checkpoint", "warn", "none found locally; a Hugging Face token is set, but "
                                               f"facebook/sam3 cannot be downloaded now ({problem})")
        tried = [str(p) for p in zoo_candidates()]
        return Check("checkpoint", "warn", f"none found (${ENV_VAR} unset or missing; none of "
                                           f"{', '.join(tried) or 'the zoo dir'}). " + WEIGHTS_HELP)


CHECKS = (check_python, check_torch, check_sam3, check_database, check_vocab, check_ffmpeg, check_checkpoint)


def run_checks() -> list[Check]:
    """Run every check of ``CHECKS``.

    Returns:
        the ``Check`` results, in ``CHECKS`` order.
    """
    return [check() for check in CHECKS]


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0][:160] if text else type(e).__name__


def main(argv=None, echo=print) -> int:
    """Print every check; return 1 if any failed, else 0.

    Args:
        argv: unused (``doctor`` takes no options).
        echo: prints each line.

    Returns:
        the exit code.
    """
    results = run_checks()
    width = max(len(c.name) for c in results)
    for c in results:
        echo(f"  {c.status:<4}  {c.name:<{width}}  {c.detail}")
    failed = [c.name for c in results if c.status == "fail"]
    if failed:
        echo(f"fo-sam3 doctor: {len(failed)} problem(s): {', '.join(failed)}")
        return 1
    echo("fo-sam3 doctor: ready" + (" (see warnings above)" if any(c.status == "warn" for c in results) else ""))
    return 0
