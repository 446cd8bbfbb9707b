"""The table's executor (serving/table_fits.py) with its real processes: shared rows, superseded
rows never started, faults, the queue's bound, and processes that leave with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from callbacks.services import Busy, Superseded
from core.clustering import row_keys, table_row
from core.settings import N_CLUSTERS_RANGE, N_INIT_RANGE
from serving.table_fits import TableFits
from tests.integration.conftest import wait_until
from tests.processes import alive, children, command_line, cpu_seconds

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("digits", N_CLUSTERS_RANGE[1], N_INIT_RANGE[1], 11)  # the heaviest table: seconds of fitting
LIGHT = ("digits", 5, 2, 3)


def _forkserver() -> int:
    (forkserver,) = [child for child in children(os.getpid()) if "forkserver" in command_line(child)]
    return forkserver


def wait_until_fitting(timeout_s: float = 30.0) -> None:
    """Until a table process has spent CPU on a fit since now (the condition a gesture's gap ends on)."""
    workers = children(_forkserver())
    before = {pid: cpu_seconds(pid) for pid in workers}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(cpu_seconds(pid) - spent >= 0.1 for pid, spent in before.items()):
            return
        time.sleep(0.02)
    raise AssertionError("no table process started fitting")


@pytest.fixture(scope="module")
def fits():
    executor = TableFits(workers=2)
    executor.start()
    yield executor
    executor.close()


def test_rows_are_the_cores_and_a_repeat_shares_them(fits):
    rows = fits.rows(LIGHT)
    for row, key in zip(rows, row_keys(*LIGHT), strict=True):
        direct = table_row(*key)
        np.testing.assert_array_equal(row.fit.labels, direct.fit.labels)
        assert row.scores.adjusted_rand == direct.scores.adjusted_rand
    assert fits.rows(LIGHT)[0] is rows[0]


class Finished:
    """Stands in for the shared fit cache: records every row a process finished."""

    def __init__(self) -> None:
        self.keys: list[tuple] = []

    def get(self, _kind, _key):
        return None

    def has(self, _kind, _key) -> bool:
        return False

    def set(self, _kind, key, _row) -> None:
        self.keys.append(key)


def test_a_newer_table_of_the_same_page_drops_the_rows_the_older_has_not_started():
    finished = Finished()
    executor = TableFits(workers=2, shared=finished)
    executor.start()
    try:
        outcome = {}

        def older():
            try:
                executor.rows(HEAVY, "page-a", 1)
                outcome["older"] = "finished"
            except Superseded:
                outcome["older"] = "superseded"

        thread = threading.Thread(target=older)
        thread.start()
        wait_until_fitting()  # two of its three rows running, the third waiting for a process
        newer = executor.rows(LIGHT, "page-a", 2)
        thread.join(timeout=60)
        wait_until(lambda: not executor.pending(), 60, 0.02, "the running rows finished")
    finally:
        executor.close()
    assert outcome["older"] == "superseded"
    assert len(newer) == 3
    heavy = row_keys(*HEAVY)
    assert set(heavy[:2]) <= set(finished.keys)  # running: left to finish, kept for a repeat
    assert heavy[2] not in finished.keys  # waiting: never fitted
    assert set(row_keys(*LIGHT)) <= set(finished.keys)


def test_progress_tells_each_rows_state_while_a_table_is_fitted():
    executor = TableFits(workers=2)
    executor.start()
    try:
        inits = ("k-means++", "random", "PCA-based")
        states = lambda: tuple(state for _, state in executor.progress(HEAVY))  # noqa: E731
        assert tuple(init for init, _ in executor.progress(HEAVY)) == inits
        assert states() == ("unknown",) * 3  # never asked of this executor
        thread = threading.Thread(target=executor.rows, args=(HEAVY, "page-p", 1))
        thread.start()
        wait_until_fitting()
        assert states() == ("running", "running", "waiting")  # two processes
        wait_until(lambda: "done" in states(), 60, 0.02, "a first row done")
        thread.join(timeout=60)
        assert states() == ("done",) * 3
    finally:
        executor.close()


def test_an_older_request_that_comes_late_is_superseded_at_once(fits):
    fits.rows(LIGHT, "page-b", 5)
    with pytest.raises(Superseded):
        fits.rows(HEAVY, "page-b", 4)


def test_a_row_another_page_waits_on_is_not_stopped(fits):
    shared = ("digits", 25, 20, 21)
    results = {}

    def ask(page):
        try:
            results[page] = fits.rows(shared, page, 1)
        except Superseded:
            results[page] = "superseded"

    threads = [threading.Thread(target=ask, args=(page,)) for page in ("page-c", "page-d")]
    for thread in threads:
        thread.start()
    wait_until_fitting()
    fits.rows(LIGHT, "page-c", 2)  # page c moves on; page d still waits on the same rows
    for thread in threads:
        thread.join(timeout=60)
    assert results["page-c"] == "superseded"
    assert isinstance(results["page-d"], tuple) and len(results["page-d"]) == 3


def test_a_killed_process_is_a_fault_and_the_next_table_works(fits):
    failure = {}

    def ask():
        try:
            fits.rows(("digits", N_CLUSTERS_RANGE[1], N_INIT_RANGE[1], 31))
        except (Busy, Superseded) as error:
            failure["error"] = error
        except Exception as error:  # noqa: BLE001  (what the callback shows as a server fault)
            failure["error"] = error

    thread = threading.Thread(target=ask)
    thread.start()
    wait_until_fitting()
    table_processes = children(_forkserver())
    assert table_processes
    for pid in table_processes:  # as the kernel's OOM killer would
        os.kill(pid, signal.SIGKILL)
    thread.join(timeout=60)
    assert "error" in failure and not isinstance(failure["error"], (Busy, Superseded))
    assert len(fits.rows(("digits", 6, 2, 5))) == 3


def test_past_the_queues_bound_a_table_is_busy():
    small = TableFits(workers=1, queue_limit=3)
    answers = []

    def heavy_table():
        try:
            answers.append(small.rows(HEAVY))
        except Superseded as stopped:
            answers.append(stopped)

    thread = threading.Thread(target=heavy_table)
    try:
        thread.start()
        wait_until(small.pending, 30, 0.02, "the heavy table's rows asked for")
        with pytest.raises(Busy):
            small.rows(("digits", N_CLUSTERS_RANGE[1] - 1, N_INIT_RANGE[1], 41))
    finally:
        small.close()
        thread.join(timeout=10)
    assert not thread.is_alive(), "closing left a waiting request hanging"
    assert answers and isinstance(answers[0], Superseded)  # answered with no update


def test_the_processes_are_niced_forked_from_a_single_threaded_server_and_leave_with_their_parent():
    script = ("import os, sys; sys.path.insert(0, '.');"
              "from serving.table_fits import TableFits; t = TableFits(workers=2); t.start();"
              "print(os.getpid(), flush=True); import time; time.sleep(120)")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(server.stdout.readline())
        (forkserver,) = [child for child in children(pid) if "forkserver" in command_line(child)]
        deadline = time.monotonic() + 30
        workers = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = children(forkserver)
            time.sleep(0.1)
        assert len(workers) == 2
        for worker in workers:
            assert os.getpriority(os.PRIO_PROCESS, worker) >= 10  # below the web threads
            assert alive(worker) and alive(forkserver)
        assert psutil.Process(forkserver).num_threads() == 1  # forked from one thread
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(p) for p in [forkserver, *workers]):
            time.sleep(0.2)
        assert not any(alive(p) for p in [forkserver, *workers]), "table processes outlived their server"
    finally:
        if server.poll() is None:
            server.kill()
