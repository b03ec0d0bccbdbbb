"""The gated Hugging Face hub: a cached copy, else a quick reachability check, then the download."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

HUB_REPO = "facebook/sam3"
CKPT_NAME = "sam3.pt"
HUB_TIMEOUT_S = 2.0  # the quick check before a download; offline fails within it


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "on", "yes", "true")


def _endpoint() -> str:
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT", constants.ENDPOINT).rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect (to the file's CDN) already means: reachable, with access


def _http_problem(code: int) -> str | None:
    if code < 400:
        return None
    if code in (401, 403):
        return f"no access (HTTP {code}): request it at https://huggingface.co/{HUB_REPO}"
    return f"HTTP {code}"


def hub_problem(token: str, timeout: float = HUB_TIMEOUT_S) -> str | None:
    """Why the gated file cannot be downloaded now (``None``: it can), within
    ``timeout`` seconds in all (DNS included); the token is never part of it.

    Args:
        token: the Hugging Face token sent with a HEAD request for the file.
        timeout: the time limit in seconds.

    Returns:
        a short reason (no access, HTTP error, unreachable, no answer), or
        ``None``.
    """
    url = f"{_endpoint()}/{HUB_REPO}/resolve/main/{CKPT_NAME}"
    result: list[str | None] = []

    def probe():
        request = urllib.request.Request(url, method="HEAD", headers={"Authorization": f"Bearer {token}"})
        try:
            urllib.request.build_opener(_NoRedirect).open(request, timeout=timeout).close()
            result.append(None)
        except urllib.error.HTTPError as e:
            result.append(_http_problem(e.code))
        except Exception as e:  # DNS, refused, timeout, TLS: offline as far as we care
            reason = e.reason if isinstance(e, urllib.error.URLError) else e
            result.append(f"unreachable: {_first_line(reason) or type(e).__name__}")

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return result[0] if result else f"no answer from {_endpoint()} in {timeout:g} s"


def cached() -> Path | None:
    """The hub's checkpoint if an earlier download left it in the Hugging Face cache.

    Returns:
        its path, or ``None`` (also without ``huggingface_hub``).
    """
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return None
    path = try_to_load_from_cache(HUB_REPO, CKPT_NAME)
    return Path(path) if isinstance(path, str) and Path(path).is_file() else None


def from_hub(token: str | None) -> tuple[Path | None, str]:
    """The hub's checkpoint, downloaded, or ``(None, why not)``.

    Args:
        token: a Hugging Face token (default: the configured one).

    Returns:
        ``(path, "")`` after a download, else ``(None, reason)``.
    """
    try:
        from huggingface_hub import get_token, hf_hub_download
    except ImportError:
        return None, "huggingface_hub not installed"
    if _offline():
        return None, "HF_HUB_OFFLINE is set"
    token = token or get_token()
    if not token:
        return None, "no token"
    problem = hub_problem(token)
    if problem:
        return None, problem
    try:
        return Path(hf_hub_download(repo_id=HUB_REPO, filename=CKPT_NAME, token=token)), ""
    except Exception as e:  # gated without access, interrupted, ...
        return None, f"{type(e).__name__}: {_first_line(e)}"


def _first_line(e) -> str:
    return str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
