"""A server fault in the browser: the table's worker processes are stopped (stuck), so its rows
time out, then killed (as the kernel's OOM killer would). The page says it is a server error, never
that the settings are wrong, and its Retry sends the same settings again and clears the box.

Named to run last: the app then fits table rows in threads for the rest of the session."""

from __future__ import annotations

from urllib.parse import urlparse

import psutil

from components.server_fault import SERVER_FAULT_TEXT
from core.row_pool import ROW_TIMEOUT_S, WORKER_NICENESS


def _table_processes(app_url: str) -> list[psutil.Process]:
    """The app's table worker processes: its children at the table's niceness."""
    port = urlparse(app_url).port
    holder = next(c.pid for c in psutil.net_connections("tcp") if c.laddr.port == port and c.status == "LISTEN")
    server = psutil.Process(holder)
    while (parent := server.parent()) is not None and parent.cmdline() == server.cmdline():
        server = parent
    return [child for child in server.children() if child.nice() == server.nice() + WORKER_NICENESS]


def _set(page, selector: str, value) -> None:
    page.fill(selector, str(value))
    page.keyboard.press("Tab")


def _table_shows(page, text: str) -> None:
    page.wait_for_function("(t) => document.querySelector('#metrics-table').textContent.includes(t)", arg=text,
                           timeout=90_000)


def test_python_app_py_names_no_versions(app_url):
    """`python app.py` (Werkzeug's server, which the browser suite runs) names itself, not its version."""
    import requests

    assert requests.get(app_url + "/health", timeout=10).headers["Server"] == "Werkzeug"


def test_stuck_then_killed_table_processes_show_a_server_error_and_a_retry_clears_it(page, app_url, artifacts_dir):
    workers = _table_processes(app_url)
    assert workers, "no table worker processes found"
    try:
        for worker in workers:
            worker.suspend()  # stuck: the rows never come, and the table's request times out
        _set(page, "#random-seed", 987_654)  # a seed no other test asks for: nothing cached
        page.wait_for_selector("#table-fault:not([hidden])", timeout=ROW_TIMEOUT_S * 1000 + 30_000)
        assert page.inner_text("#table-fault").startswith(SERVER_FAULT_TEXT)
        assert "failed" in page.get_attribute("#table-card", "class").split()
        # What the old fits show is faded (once the fade has run): the table, and the gallery and
        # matrix drawn from the same fits; the map is not.
        opacity = "(s) => getComputedStyle(document.querySelector(s)).opacity"
        for faded in ("#metrics-table", "#map-card .found-panel", "#cluster-digit-matrix"):
            page.wait_for_function(f"(s) => ({opacity})(s) < 0.5", arg=faded, timeout=5_000)
        assert float(page.evaluate(opacity, "#map-card .map-body .boundary-graph")) == 1.0  # the map is fine
        body = page.inner_text("body")
        assert "Try other settings" not in body and page.is_hidden("#settings-message")
        page.screenshot(path=str(artifacts_dir / "server-fault-table.png"))
    finally:
        # Killed: the pool is broken, so the retry's rows are fitted in threads, with the same
        # settings (and so are the later tests' rows, even when an assertion above failed).
        for worker in workers:
            worker.kill()
        psutil.wait_procs(workers, timeout=10)
    page.click("#table-retry")
    _table_shows(page, "k = 10, n_init = 10, seed = 987654 ")
    page.wait_for_selector("#table-fault[hidden]", state="attached")
    assert "failed" not in page.get_attribute("#table-card", "class").split()
    assert float(page.evaluate(opacity, "#map-card .found-panel")) == 1.0
    assert len(page.query_selector_all("#metrics-table tr[data-init]")) == 3
