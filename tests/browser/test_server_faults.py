"""A server fault in the browser: the table's worker processes are killed while they fit its rows
(as the kernel's OOM killer would). The page says it is a server error, never that the settings are
wrong, and its Retry sends the same settings again and clears the box.

Named to run last: the app then fits table rows in threads for the rest of the session."""

from __future__ import annotations

from urllib.parse import urlparse

import psutil

from components.server_fault import SERVER_FAULT_TEXT
from core.clustering import WORKER_NICENESS


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


def test_killed_table_processes_show_a_server_error_and_a_retry_clears_it(page, app_url, artifacts_dir):
    workers = _table_processes(app_url)
    assert workers, "no table worker processes found"
    _set(page, "#n-init", 8)
    _table_shows(page, "n_init = 8,")
    # k 30: each row takes seconds to fit, so the processes are killed in the middle of it.
    with page.expect_request(lambda r: r.method == "POST" and "metrics-table" in (r.post_data or "")):
        _set(page, "#n-clusters", 30)
    page.wait_for_timeout(400)
    for worker in workers:
        worker.kill()
    page.wait_for_selector("#table-fault:not([hidden])", timeout=60_000)
    assert page.inner_text("#table-fault").startswith(SERVER_FAULT_TEXT)
    assert "failed" in page.get_attribute("#table-card", "class").split()
    body = page.inner_text("body")
    assert "Try other settings" not in body and page.is_hidden("#settings-message")
    page.screenshot(path=str(artifacts_dir / "server-fault-table.png"))
    # Retry: the same settings again (now fitted in threads), and the box goes.
    page.click("#table-retry")
    _table_shows(page, "k = 30, n_init = 8, seed = 0 ")
    page.wait_for_selector("#table-fault[hidden]", state="attached")
    assert "failed" not in page.get_attribute("#table-card", "class").split()
    assert len(page.query_selector_all("#metrics-table tr[data-init]")) == 3
