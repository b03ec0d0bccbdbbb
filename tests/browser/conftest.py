"""Browser fixtures: the FiftyOne App server in a subprocess, headless Chromium via Playwright.

The App serves this test session's MongoDB (``FIFTYONE_DATABASE_URI``), loads the
plugin from a private ``FIFTYONE_PLUGINS_DIR`` (a symlink to this repository), and
sees an empty model zoo dir and Hugging Face cache, so the forms offer the tiny
random model. Screenshots go to each test's temp dir; their paths are printed
when a test fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fo_sam3.scale.local_db import free_port, stop_process, wait_ready

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's package (make system installs it)
SERVER_START_S = 120


class AppServer:
    """``python -m fiftyone.server.main`` on a free localhost port."""

    def __init__(self, root: Path):
        import fiftyone.core.odm.database as fod

        host, port = fod.get_db_client().address
        plugins = root / "plugins"
        plugins.mkdir()
        os.symlink(REPO, plugins / "fo-sam3")
        self.plugins_dir = plugins
        (root / "zoo").mkdir()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = root / "app-server.log"
        self.env = {k: v for k, v in os.environ.items() if k not in ("FO_SAM3_CHECKPOINT", "HF_TOKEN")}
        self.env.update(
            FIFTYONE_DATABASE_URI=f"mongodb://{host}:{port}",
            FIFTYONE_PLUGINS_DIR=str(plugins),
            FIFTYONE_MODEL_ZOO_DIR=str(root / "zoo"),
            FIFTYONE_ALLOW_LEGACY_ORCHESTRATORS="true",  # "Schedule" without an orchestrator (open source)
            FIFTYONE_DATABASE_VALIDATION="false",
            FIFTYONE_DO_NOT_TRACK="true",
            HF_HOME=str(root / "hf"),
            HF_HUB_OFFLINE="1",
            PYTHONUNBUFFERED="1",
        )
        self.proc = None

    def start(self) -> None:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "fiftyone.server.main", "--address", "127.0.0.1", "--port", str(self.port)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.log.parent,
            )
        try:
            wait_ready(self.proc, self._answers, SERVER_START_S, "the App server", every=0.5)
        except (RuntimeError, TimeoutError) as e:
            raise RuntimeError(f"{e}:\n{self.tail()}") from None

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def tail(self, n: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """The App on a free port, serving this session's database and the plugin."""
    server = AppServer(tmp_path_factory.mktemp("app"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():  # not session: a live Playwright keeps an event loop running for later tests
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is required (make system installs Debian's chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class Shots:
    """Screenshots of a test: ``shots(page, "form")`` saves ``<tmp>/form.png``."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.paths: list[Path] = []

    def __call__(self, page, name: str, **kwargs) -> Path:
        path = self.folder / f"{name}.png"
        page.screenshot(path=str(path), **kwargs)
        self.paths.append(path)
        return path


@pytest.fixture
def page(browser, app_server, tmp_path, request):
    """A fresh browser page (1280 x 800); on failure, a last screenshot and the paths are printed."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.shots = Shots(tmp_path)
    yield pg
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        try:
            pg.shots(pg, "at-failure")
        except Exception:  # the page may be gone
            pass
        print("screenshots:", *[str(p) for p in pg.shots.paths], sep="\n  ")
        print("App server log (tail):\n" + app_server.tail())
    context.close()


sys.path.insert(0, str(REPO / "tests" / "video"))  # video_clips: mp4s made with ffmpeg
