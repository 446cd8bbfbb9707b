"""Fixtures for the browser suite: the real app in a subprocess, one headless Chromium, a page per test.

Without Chromium the suite skips with a reason; with REQUIRE_BROWSER=1 (CI) a missing browser fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from benchmarks.headless import CHROMIUM_ARGS, VIEWPORT, find_chromium

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
STARTUP_TIMEOUT_S = 60
# Every figure the app draws has the digits trace; the region image and numbered centroids are layout.
PAGE_READY = """() => {
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    const rows = document.querySelectorAll('#metrics-table tr[data-init]');
    return !!(plot && plot.data && plot.data.length === 1 && plot.data[0].name === 'digits'
              && plot.layout && plot.layout.images && plot.layout.images.length
              && plot.layout.annotations && plot.layout.annotations.length && rows.length === 3);
}"""
# ... and the parts below the fold, which the page mounts once the map is drawn (components/below_fold.py),
# their three graphs drawn too (dcc.Graph marks a graph "pending" until Plotly has drawn it).
BELOW_FOLD_MOUNTED = """() => {
    const plots = [...document.querySelectorAll('#jobs-panels .js-plotly-plot')];
    return plots.length === 3 && plots.every((p) => p.querySelector('.main-svg')
                                                    && !p.classList.contains('dash-graph--pending'))
           && !!document.querySelector('#cluster-digit-matrix table');
}"""
PAGE_READY = f"() => ({PAGE_READY})() && ({BELOW_FOLD_MOUNTED})()"
# Installed before any page script runs: CSP violations are reported as events, not always to the console.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""


def _browser_required() -> bool:
    return os.environ.get("REQUIRE_BROWSER", "").strip() == "1"


def _unavailable(reason: str):
    if _browser_required():
        pytest.fail(f"REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser suite skipped: {reason}")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        _unavailable("Chromium was not found at /usr/bin/chromium or on PATH "
                     "(install the `chromium` package)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the `playwright` Python package is not installed")
    return path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@pytest.fixture(scope="session")
def app_url(chromium_executable, tmp_path_factory) -> str:
    """`python app.py` on a free port; the base URL once /health answers 200."""
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "DASH_DEBUG": "0", "PYTHONUNBUFFERED": "1",
           "JOBS_CACHE_DIR": str(tmp_path_factory.mktemp("jobs"))}  # no job result from an earlier session
    log_path = tmp_path_factory.mktemp("app") / "app.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "app.py"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"

    def log_tail() -> str:
        log.flush()
        return log_path.read_text(errors="replace")[-3000:]

    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(f"{base}/health"):
            if process.poll() is not None:
                pytest.fail(f"app.py exited with code {process.returncode} before /health answered:\n"
                            f"{log_tail()}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer /health within {STARTUP_TIMEOUT_S} s:\n{log_tail()}",
                            pytrace=False)
            time.sleep(0.25)
        yield base
        if process.poll() is not None:  # died mid-session: say so, with its log
            pytest.fail(f"app.py exited with code {process.returncode} during the session:\n{log_tail()}",
                        pytrace=False)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_executable):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """What a person would see in DevTools: console errors, uncaught exceptions, CSP violations."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def all(self) -> list[str]:
        csp = self.page.evaluate("() => window.__cspViolations || []")
        return ([f"console error: {m}" for m in self.console_errors]
                + [f"page error: {m}" for m in self.page_errors]
                + [f"CSP violation: {m}" for m in csp])


@pytest.fixture
def page(browser, app_url):
    """A fresh 1440×900 page on the dashboard, waited until the table and the map are drawn."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    tab = context.new_page()
    tab.problems = PageProblems(tab)
    tab.goto(app_url + "/")
    tab.wait_for_function(PAGE_READY, timeout=30_000)
    yield tab
    problems = tab.problems.all()
    context.close()
    if problems:  # a person with DevTools open would have seen these during the test
        pytest.fail("the page reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
