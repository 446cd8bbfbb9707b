"""Fixtures for the browser suite: the real app (`python app.py`) in a subprocess, one headless
Chromium per session, a fresh browser context and page per test.

Each session (each xdist worker) has its own app on a free loopback port and its own JOBS_DIR and
UPLOADS_DIR, so no job result or upload leaks between sessions. Without Chromium or Playwright the suite skips with the
reason; with REQUIRE_BROWSER=1 (CI) it fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.pages import open_dashboard

REPO_ROOT = Path(__file__).resolve().parents[2]
# Starting the app loads four datasets, forks its job worker and its table processes; on this
# shared 2-core machine, with another session starting beside it, that can take a while.
STARTUP_TIMEOUT_S = 120
STOP_TIMEOUT_S = 15
CHROMIUM = "/usr/bin/chromium"  # Debian's package
# Headless, as root, offline: without the last three Chromium keeps dialling out at start.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip() == "1"


def _unavailable(reason: str):
    if _browser_required():
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser suite skipped: {reason}")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")
    if path is None:
        _unavailable("Chromium was not found at /usr/bin/chromium or on PATH (install the `chromium` package)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the `playwright` Python package is not installed")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answer(url: str) -> tuple[int, bytes] | None:
    """(status, body) of a GET, or None when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None


def _ready(base: str) -> bool:
    """/health answers, and /ready (asked from loopback: with details) says the job worker answers."""
    health = _answer(f"{base}/health")
    if health is None or health[0] != 200:
        return False
    ready = _answer(f"{base}/ready")
    if ready is None or ready[0] != 200:
        return False
    try:
        details = json.loads(ready[1])
    except ValueError:
        return False
    return details.get("ready") is True and details.get("jobs", {}).get("workers", 0) >= 1


@dataclass
class RunningApp:
    url: str
    pid: int
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


@pytest.fixture(scope="session")
def app(chromium_executable, tmp_path_factory) -> RunningApp:
    """`python app.py` on a free port with a private JOBS_DIR, once /health and /ready answer."""
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DASH_DEBUG": "0", "PYTHONUNBUFFERED": "1",
           "JOBS_DIR": str(tmp_path_factory.mktemp("jobs")), "UPLOADS_DIR": str(tmp_path_factory.mktemp("uploads"))}
    env.pop("REDIS_URL", None)  # the embedded job worker and the local job store
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    running = RunningApp(f"http://127.0.0.1:{port}", process.pid, log_path)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _ready(running.url):
            try:  # the poll's pause is a wait for the app to die
                process.wait(timeout=0.25)
            except subprocess.TimeoutExpired:
                pass
            else:
                pytest.fail(f"app.py exited with code {process.returncode} before it was ready:\n"
                            f"{running.log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"app.py was not ready (/health and /ready with a job worker) within "
                            f"{STARTUP_TIMEOUT_S} s:\n{running.log_tail()}", pytrace=False)
        yield running
        if process.poll() is not None:
            pytest.fail(f"app.py exited with code {process.returncode} during the session:\n{running.log_tail()}",
                        pytrace=False)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # app.py stops its job worker and table processes
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=STOP_TIMEOUT_S)


@pytest.fixture(scope="session")
def browser(chromium_executable, app):  # the app first: its start-up waits without Playwright
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app):
    """A fresh 1440×900 page on the dashboard, waited until the map and the table are drawn. The
    test fails if the page logged console errors, uncaught exceptions or CSP violations."""
    with open_dashboard(browser, app.url, log_tail=app.log_tail) as tab:
        yield tab


@pytest.fixture
def kept(app):
    """The ids of this test's uploads, forgotten afterwards: the deployment keeps only a few at once."""
    ids: list[str] = []
    yield ids
    for upload_id in ids:
        request = urllib.request.Request(app.url + "/upload/forget", data=upload_id.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
