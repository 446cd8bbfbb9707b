"""The table's row pool (core/clustering.py on loky): niced workers, cancellable pending rows, rows
stopped mid-fit when abandoned, and workers that exit with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

import pytest

from core import clustering, row_pool, row_stop

REPO = Path(__file__).resolve().parent.parent


def test_workers_run_niced_below_the_web_threads():
    clustering.start_workers()
    alive, expected = clustering.benchmark_rows.workers_alive()
    assert alive == expected == clustering.ROW_WORKERS
    pids = list(clustering.benchmark_rows._executor._processes)  # pylint: disable=protected-access
    own = psutil.Process().nice()
    assert all(psutil.Process(pid).nice() == own + row_pool.WORKER_NICENESS for pid in pids)


def test_a_pending_row_can_be_cancelled_and_is_fitted_again_when_asked_for_again():
    clustering.start_workers()
    rows = clustering.benchmark_rows
    rows.cache_clear()
    # loky is handed IN_FLIGHT rows at a time: the ones past those wait in our queue, cancellable.
    keys = [("k-means++", 30, 20, 7000 + i) for i in range(row_pool.IN_FLIGHT + 2)]
    futures = [rows.get(key) for key in keys]
    last = futures[-1]
    assert last.cancel() and last.cancelled()
    again = rows.get(keys[-1])
    assert again is not last and not again.cancelled()
    for future in futures[:-1]:
        future.cancel()
    assert again.result(timeout=120).scores.inertia == clustering.table_row(*keys[-1]).scores.inertia
    rows.cache_clear()


def test_an_abandoned_row_is_stopped_in_its_worker_which_goes_on_to_the_next_row():
    clustering.start_workers()
    rows = clustering.benchmark_rows
    rows.cache_clear()
    key = ("k-means++", 30, 60, 7400)  # seconds of fitting
    heavy = rows.get(key)
    deadline = time.monotonic() + 60  # rows an earlier test left running go first
    while not heavy.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert heavy.running()  # handed to the workers
    time.sleep(0.5)  # and, with the workers free, being fitted
    heavy.abandon()
    with pytest.raises(row_stop.RowAbandoned):  # stopped: a finished fit would have returned its row
        heavy.result(timeout=120)
    assert rows.workers_alive() == (clustering.ROW_WORKERS, clustering.ROW_WORKERS)
    light = ("random", 5, 1, 7401)
    assert rows.get(light).result(timeout=60).scores.inertia == clustering.table_row(*light).scores.inertia
    again = rows.get(key)  # wanted again: fitted afresh, not the stopped one's failure
    assert again is not heavy
    assert again.result(timeout=120).scores.inertia == clustering.table_row(*key).scores.inertia
    rows.cache_clear()


def test_a_row_asked_for_again_with_priority_goes_before_rows_queued_earlier():
    clustering.start_workers()
    rows = clustering.benchmark_rows
    rows.cache_clear()
    busy = [rows.get(("k-means++", 30, 20, 7100 + i)) for i in range(row_pool.IN_FLIGHT)]  # the workers' share
    queued = [rows.get(("k-means++", 30, 20, 7200 + i)) for i in range(3)]
    first = rows.get(("random", 5, 1, 7300), priority=1)  # light: done long before any queued row
    finished = []
    for future in [*queued, first]:
        future.add_done_callback(finished.append)
    first.result(timeout=120)
    assert finished[0] is first, "a row sent again waited behind rows asked for before it"
    for future in [*busy, *queued]:
        future.cancel()
    rows.cache_clear()


def test_workers_exit_when_their_parent_is_killed():
    script = """
import pytest

from core import clustering, row_pool, row_stop
clustering.start_workers()
print("PIDS", *clustering.benchmark_rows._executor._processes, flush=True)
import time; time.sleep(600)
"""
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        pids = [int(pid) for pid in line.split()[1:]]
        assert len(pids) == clustering.ROW_WORKERS, line
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(psutil.pid_exists(pid) and psutil.Process(pid).status() !=
                                              psutil.STATUS_ZOMBIE for pid in pids):
        time.sleep(0.2)
    survivors = [pid for pid in pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE]
    assert not survivors
