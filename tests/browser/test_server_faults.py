"""A server fault in the browser: the table's worker processes are killed in the middle of a fit
(as the kernel's OOM killer would). The page says it is a server error, never that the settings
are wrong, and its Retry sends the same settings again and shows the table.

The table's processes are forked from the app's multiprocessing forkserver (serving/table_fits.py):
they are found (tests/processes.py) as the children of the app's child whose command line names
the forkserver, and killed only once one is busy with this fit.
"""

from __future__ import annotations

import os
import signal

from components.server_fault import SERVER_FAULT_TEXT
from core.settings import INIT_METHODS, N_CLUSTERS_RANGE, N_INIT_RANGE
from tests.browser.pages import (
    settings_message,
    table_cells,
    type_into,
    wait_for_map_caption,
    wait_for_table_caption,
)
from tests.processes import children, command_line, cpu_seconds

# The heaviest table row the settings allow, ~1 s of CPU: time to catch its fit running.
HEAVY_K, HEAVY_N_INIT = N_CLUSTERS_RANGE[1], N_INIT_RANGE[1]
FRESH_SEED = 987_654  # asked for by no other test: nothing cached
BUSY_S = 0.05  # CPU time a worker must have spent on the fit
FIT_START_TIMEOUT_S = 30


def table_processes(app_pid: int) -> list[int]:
    """The app's table processes: the children of its multiprocessing forkserver."""
    return [pid for forkserver in children(app_pid) if "forkserver" in command_line(forkserver)
            for pid in children(forkserver)]


def kill_once_fitting(page, workers: list[int]) -> None:
    """SIGKILL every worker as soon as one has spent BUSY_S of CPU since now (on our fit)."""
    before = {pid: cpu_seconds(pid) for pid in workers}
    for _ in range(int(FIT_START_TIMEOUT_S * 1000 / 25)):
        if any(cpu_seconds(pid) - spent >= BUSY_S for pid, spent in before.items()):
            break
        page.wait_for_timeout(25)  # a poll of the processes' CPU time, not of the page
    else:
        raise AssertionError(f"no table process started the fit within {FIT_START_TIMEOUT_S} s")
    for pid in workers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_killed_table_processes_show_a_server_error_and_retry_recovers(page, app):
    type_into(page, "#n-init", str(HEAVY_N_INIT))
    type_into(page, "#n-clusters", str(HEAVY_K))
    wait_for_table_caption(page, f"k = {HEAVY_K}, n_init = {HEAVY_N_INIT}, seed = 0", timeout_ms=90_000)
    workers = table_processes(app.pid)
    assert workers, f"no table processes (children of the app's forkserver, app pid {app.pid}) found"

    page.fill("#random-seed", str(FRESH_SEED))
    page.keyboard.press("Enter")
    kill_once_fitting(page, workers)

    page.wait_for_selector("#table-fault", state="visible", timeout=60_000)
    assert page.inner_text("#table-fault").startswith(SERVER_FAULT_TEXT)
    assert page.locator("#table-retry").is_visible()
    assert settings_message(page) == "", "a server fault was blamed on the settings"
    wait_for_map_caption(page, f"· k {HEAVY_K} · seed {FRESH_SEED} ·")  # the map is not the table's

    page.click("#table-retry")
    wait_for_table_caption(page, f"k = {HEAVY_K}, n_init = {HEAVY_N_INIT}, seed = {FRESH_SEED}", timeout_ms=90_000)
    page.wait_for_selector("#table-fault", state="hidden")
    rows = table_cells(page)
    assert sorted(rows) == sorted(INIT_METHODS) and all(cells.get("Inertia") for cells in rows.values()), rows
    assert set(table_processes(app.pid)).isdisjoint(workers), "the killed processes are still there"
