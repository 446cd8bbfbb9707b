"""The table's fits, off the web threads: loky's process pool, niced below the web threads.

loky starts its workers as fresh interpreters (a C-level fork and exec, as subprocess does: never a
Python fork of this threaded web process, and no inherited sockets) and gives them one OpenMP/BLAS
thread each. loky does not end them when this process is killed, so each watches its parent and
exits when it is gone. A request waits for its
three rows here; two requests for the same row share one future; a row that failed is forgotten,
so the next request fits it again. Past `QUEUE_LIMIT` rows not yet finished, a new table is
refused as busy (503 with Retry-After: the page sends it again). A row that does not finish
within `ROW_TIMEOUT_S` (a stuck or killed worker) is a server fault: the pool is replaced, and the
page shows Retry.

With `REDIS_URL`, finished rows are shared with every web process on every machine
(serving/fit_cache.py).
"""

from __future__ import annotations

import collections
import concurrent.futures
import logging
import os
import threading
import time

from loky import BrokenProcessPool, ProcessPoolExecutor

from callbacks.services import Busy
from core import datasets
from core.clustering import TableRow, row_keys, table_row

log = logging.getLogger(__name__)

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
ROW_WORKERS = min(3, CORES)  # one per core, at most one per row
QUEUE_LIMIT = 6 * ROW_WORKERS  # rows asked for and not finished; past it a new table is busy
ROW_TIMEOUT_S = 30.0  # far beyond any configuration's fit
WORKER_NICENESS = 10  # the map first: the table takes what the web threads leave
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
KEPT_ROWS = 384


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)  # pylint: disable=protected-access  (the documented way to leave at once)


def _worker_started(parent: int) -> None:
    os.nice(WORKER_NICENESS)
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent", daemon=True).start()
    datasets.load()  # the default dataset, before the first row


class TableFits:
    """`rows(table_key)`: the table's three rows, fitted in worker processes, shared and bounded."""

    def __init__(self, workers: int = ROW_WORKERS, queue_limit: int = QUEUE_LIMIT,
                 timeout_s: float = ROW_TIMEOUT_S, shared=None) -> None:
        self.workers, self.queue_limit, self.timeout_s = workers, queue_limit, timeout_s
        self.shared = shared  # a serving.fit_cache.FitCache, or None
        self._futures: collections.OrderedDict[tuple, concurrent.futures.Future] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start the worker processes now, so that the first table does not wait for them."""
        with self._lock:
            executor = self._executor_locked()
        for future in [executor.submit(os.getpid) for _ in range(self.workers)]:
            future.result(timeout=120)

    def _executor_locked(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=self.workers, initializer=_worker_started,
                                                 initargs=(os.getpid(),), env=ONE_THREAD)
        return self._executor

    def _pending_locked(self) -> int:
        return sum(not future.done() for future in self._futures.values())

    def _future(self, key: tuple) -> concurrent.futures.Future:
        with self._lock:
            future = self._futures.get(key)
            if future is not None and not (future.done() and future.exception() is not None):
                self._futures.move_to_end(key)
                return future
        stored = self.shared.get("table_row", key) if self.shared else None  # outside the lock: a round trip
        with self._lock:
            if stored is not None:
                future = concurrent.futures.Future()
                future.set_result(stored)
            else:
                try:
                    future = self._executor_locked().submit(table_row, *key)
                except (BrokenProcessPool, RuntimeError):  # a worker died, or the pool was shut down: a fresh one
                    log.warning("table worker processes broken; starting a new pool")
                    self._replace_locked()
                    future = self._executor_locked().submit(table_row, *key)
                if self.shared:
                    future.add_done_callback(lambda done: self._share(key, done))
            self._futures[key] = future
            while len(self._futures) > KEPT_ROWS:
                self._futures.popitem(last=False)
            return future

    def _share(self, key: tuple, future: concurrent.futures.Future) -> None:
        if not future.cancelled() and future.exception() is None:
            self.shared.set("table_row", key, future.result())

    def _replace_locked(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, kill_workers=True)
        self._executor = None
        for key in [key for key, future in self._futures.items() if not future.done()]:
            del self._futures[key]

    def rows(self, table_key: tuple[str, int, int, int]) -> tuple[TableRow, ...]:
        keys = row_keys(*table_key)
        with self._lock:
            new = sum(key not in self._futures for key in keys)
            if new and self._pending_locked() + new > self.queue_limit:
                raise Busy(f"{self._pending_locked()} table rows are being fitted")
        futures = [self._future(key) for key in keys]
        try:
            return tuple(future.result(timeout=self.timeout_s) for future in futures)
        except concurrent.futures.TimeoutError:
            log.error("table rows %s not fitted within %.0f s; replacing the worker processes", table_key,
                      self.timeout_s)
            with self._lock:
                self._replace_locked()
            raise

    def close(self) -> None:
        with self._lock:
            self._replace_locked()
