"""The table's row pool (core/clustering.py on loky): niced workers, cancellable pending rows, and
workers that exit with the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from joblib.externals.loky.process_executor import EXTRA_QUEUED_CALLS

from core import clustering

REPO = Path(__file__).resolve().parent.parent


def test_workers_run_niced_below_the_web_threads():
    clustering.start_workers()
    alive, expected = clustering.benchmark_rows.workers_alive()
    assert alive == expected == clustering.ROW_WORKERS
    pids = list(clustering.benchmark_rows._executor._processes)  # pylint: disable=protected-access
    own = psutil.Process().nice()
    assert all(psutil.Process(pid).nice() == own + clustering.WORKER_NICENESS for pid in pids)


def test_a_pending_row_can_be_cancelled_and_is_fitted_again_when_asked_for_again():
    clustering.start_workers()
    rows = clustering.benchmark_rows
    rows.cache_clear()
    # loky marks a call running as soon as it is in its call queue (2 x workers + EXTRA_QUEUED_CALLS
    # long), and each worker can hold one more: only rows past all of those are still pending.
    can_be_running = clustering.ROW_WORKERS + 2 * clustering.ROW_WORKERS + EXTRA_QUEUED_CALLS
    keys = [("k-means++", 30, 20, 7000 + i) for i in range(can_be_running + 2)]
    futures = [rows.get(key) for key in keys]
    last = futures[-1]
    assert last.cancel() and last.cancelled()
    again = rows.get(keys[-1])
    assert again is not last and not again.cancelled()
    for future in futures[:-1]:
        future.cancel()
    assert again.result(timeout=120).scores.inertia == clustering.table_row(*keys[-1]).scores.inertia
    rows.cache_clear()


def test_workers_exit_when_their_parent_is_killed():
    script = """
from core import clustering
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
