"""Locate the BPE vocabulary that sam3's tokenizer needs (not shipped in its wheel)."""

from __future__ import annotations

import importlib.util
import os
import urllib.request
from pathlib import Path

VOCAB_NAME = "bpe_simple_vocab_16e6.txt.gz"
VOCAB_URL = "https://github.com/openai/CLIP/raw/main/clip/" + VOCAB_NAME


def _package_dir(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def candidate_paths() -> list[Path]:
    """Local places that may hold the vocab, in search order.

    Returns:
        the paths (``$FO_SAM3_BPE_PATH``, sam3's and open_clip's assets, then
        the fo_sam3 cache), existing or not.
    """
    paths = []
    if os.environ.get("FO_SAM3_BPE_PATH"):
        paths.append(Path(os.environ["FO_SAM3_BPE_PATH"]))
    sam3_dir = _package_dir("sam3")
    if sam3_dir is not None:
        paths.append(sam3_dir.parent / "assets" / VOCAB_NAME)
        paths.append(sam3_dir / "assets" / VOCAB_NAME)
    open_clip_dir = _package_dir("open_clip")
    if open_clip_dir is not None:
        paths.append(open_clip_dir / VOCAB_NAME)
    paths.append(_cache_path())
    return paths


def _cache_path() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "fo_sam3" / VOCAB_NAME


def find_vocab(download: bool = True) -> Path:
    """Return a local vocab path, downloading it only when no local copy exists.

    Args:
        download: fetch the file from OpenAI's CLIP repo into the cache when
            no local copy exists.

    Returns:
        the vocab file's path.

    Raises:
        FileNotFoundError: no local copy, and no download (or it failed).
    """
    for path in candidate_paths():
        if path.is_file():
            return path
    if not download:
        raise FileNotFoundError(_missing_message())
    target = _cache_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        tmp = target.with_suffix(".part")
        urllib.request.urlretrieve(VOCAB_URL, tmp)
        tmp.replace(target)
    except OSError as e:
        raise FileNotFoundError(f"{_missing_message()} (download failed: {e})") from e
    return target


def _missing_message() -> str:
    tried = ", ".join(str(p) for p in candidate_paths())
    return (
        f"SAM3 tokenizer vocab {VOCAB_NAME} not found (tried {tried}). "
        "Install open_clip_torch, or set FO_SAM3_BPE_PATH."
    )
