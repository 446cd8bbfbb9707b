"""The table's fits, off the web threads, in a few niced processes (pebble's ProcessPool).

The processes are forked from multiprocessing's forkserver, a single-threaded process that has
imported the maths and loaded the data (serving/table_worker.py): never from this threaded web
process, none holds its sockets, and each starts ready. A request waits for its rows here; two
requests for the same row share one future. Rows go to the pool only as its processes come free
(pebble runs whatever reaches its queue). A page's table request names the page and a count
(`page`, `seq`); when a newer one comes from the same page, the rows only the older one waited
for and not yet started are dropped, and the older request gets `Superseded` (answered with no
update). A row already running is left to finish, and kept for a repeat: ending its process
(pebble's `future.cancel()`) and starting another costs more than the heaviest row takes
(benchmarks/table_superseding.py).

A row that fails is forgotten, so the next request fits it again; one that runs past
`ROW_TIMEOUT_S` is ended (pebble's timeout) and is a server fault. Past `QUEUE_LIMIT` rows not
yet finished, a new table is refused as busy (503 with Retry-After: the page sends it again).
With `REDIS_URL`, finished rows are shared with every web process on every machine
(serving/fit_cache.py).
"""

from __future__ import annotations

import collections
import concurrent.futures
import multiprocessing
import os
import threading

from pebble import ProcessPool

from callbacks.services import UNKNOWN_ROW, Busy, Superseded
from core.clustering import TableRow, row_keys, table_row
from serving import table_worker

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
ROW_WORKERS = min(3, CORES)  # one per core, at most one per row
QUEUE_LIMIT = 6 * ROW_WORKERS  # rows asked for and not finished; past it a new table is busy
# Past the heaviest row core.work lets through, on a busy machine: that row, on noise where every init
# runs to max_iter, is measured by benchmarks/work_limits.py.
ROW_TIMEOUT_S = 120.0
KEPT_ROWS = 384
KEPT_PAGES = 2048


class TableFits:
    """`rows(table_key, page, seq)`: the table's rows, fitted in worker processes."""

    def __init__(self, workers: int = ROW_WORKERS, queue_limit: int = QUEUE_LIMIT,
                 timeout_s: float = ROW_TIMEOUT_S, shared=None) -> None:
        self.workers, self.queue_limit, self.timeout_s = workers, queue_limit, timeout_s
        self.shared = shared  # a serving.fit_cache.FitCache, or None
        self._futures: collections.OrderedDict[tuple, concurrent.futures.Future] = collections.OrderedDict()
        self._waiting: collections.Counter[tuple] = collections.Counter()  # requests waiting on each row
        # page -> (seq, row keys it waits on or None once answered, a future set when superseded)
        self._pages: collections.OrderedDict[str, tuple] = collections.OrderedDict()
        self._backlog: collections.deque[tuple[tuple, concurrent.futures.Future]] = collections.deque()
        self._running: set[concurrent.futures.Future] = set()  # rows handed to the pool, not finished
        self._lock = threading.RLock()  # re-entered should a fit be done before its callback is added
        self._pool: ProcessPool | None = None

    def _pool_locked(self) -> ProcessPool:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([table_worker.__name__])
            self._pool = ProcessPool(max_workers=self.workers, initializer=table_worker.started, context=context)
        return self._pool

    def start(self) -> None:
        """Start the processes now, so that the first table does not wait for them."""
        with self._lock:
            pool = self._pool_locked()
        for future in [pool.schedule(os.getpid) for _ in range(self.workers)]:
            future.result(timeout=120)

    def _held_locked(self, key: tuple) -> concurrent.futures.Future | None:
        """The row's future here, unless it was cancelled or failed."""
        future = self._futures.get(key)
        if future is None or future.cancelled() or (future.done() and future.exception()):
            return None
        return future

    def _pending_locked(self) -> int:
        return sum(not future.done() for future in self._futures.values())

    def _future_locked(self, key: tuple, stored) -> concurrent.futures.Future:
        future = self._held_locked(key)
        if future is not None:
            self._futures.move_to_end(key)
            return future
        future = concurrent.futures.Future()
        if stored is not None:
            future.set_result(stored)
        else:
            if self.shared:
                future.add_done_callback(lambda done: self._share(key, done))
            self._backlog.append((key, future))
            self._dispatch_locked()
        self._futures[key] = future
        while len(self._futures) > KEPT_ROWS:
            self._futures.popitem(last=False)
        return future

    def _dispatch_locked(self) -> None:
        """Hand waiting rows to the pool while it has a free process (cancelled ones are dropped)."""
        while self._backlog and len(self._running) < self.workers:
            key, future = self._backlog.popleft()
            if not future.set_running_or_notify_cancel():
                continue
            fit = self._pool_locked().schedule(table_row, args=key, timeout=self.timeout_s)
            self._running.add(future)
            fit.add_done_callback(lambda fit, future=future: self._finished(future, fit))

    def _finished(self, future: concurrent.futures.Future, fit: concurrent.futures.Future) -> None:
        with self._lock:
            if future not in self._running:  # closed meanwhile
                return
            self._running.discard(future)
            self._dispatch_locked()
        if fit.cancelled():
            future.set_exception(concurrent.futures.CancelledError())
        elif fit.exception() is not None:
            future.set_exception(fit.exception())
        else:
            future.set_result(fit.result())

    def _share(self, key: tuple, future: concurrent.futures.Future) -> None:
        if not future.cancelled() and future.exception() is None:
            self.shared.set("table_row", key, future.result())

    def _let_go_locked(self, keys: tuple) -> None:
        """A request no longer waits on these rows: cancel those nobody else waits on."""
        for key in keys:
            self._waiting[key] -= 1
            if self._waiting[key] <= 0:
                del self._waiting[key]
                future = self._futures.get(key)
                if future is not None and future.cancel():  # waiting: never handed to the pool
                    del self._futures[key]

    def rows(self, table_key: tuple[str, int, int, int], page: str | None = None,
             seq: int | None = None) -> tuple[TableRow, ...]:
        keys = row_keys(*table_key)
        with self._lock:
            missing = [key for key in keys if self._held_locked(key) is None]
        stored = {key: self.shared.get("table_row", key) for key in missing} if self.shared else {}
        superseded: concurrent.futures.Future = concurrent.futures.Future()
        with self._lock:
            if page is not None:
                newest = self._pages.get(page)
                if newest is not None and seq is not None and newest[0] > seq:
                    raise Superseded(f"page {page[:8]} has moved on")
                if newest is not None and newest[1] is not None:
                    self._let_go_locked(newest[1])
                    newest[2].set_result(True)  # its request stops waiting
                self._pages[page] = (seq or 0, keys, superseded)
                self._pages.move_to_end(page)
                while len(self._pages) > KEPT_PAGES:
                    self._pages.popitem(last=False)
            pending = self._pending_locked()
            new = sum(key not in self._futures and stored.get(key) is None for key in keys)
            if new and pending + new > self.queue_limit:
                if page is not None:
                    self._pages[page] = (seq or 0, None, superseded)
                raise Busy(f"{pending} table rows are being fitted")
            futures = [self._future_locked(key, stored.get(key)) for key in keys]
            self._waiting.update(keys)
        try:
            waiting = set(futures)
            while waiting and not superseded.done():
                _, waiting = concurrent.futures.wait([*waiting, superseded],
                                                     return_when=concurrent.futures.FIRST_COMPLETED)
                waiting.discard(superseded)
            if superseded.done():
                raise Superseded("a newer table from the same page")
            return tuple(future.result() for future in futures)
        except concurrent.futures.CancelledError:
            raise Superseded("a newer table from the same page") from None
        finally:
            with self._lock:
                if page is None:
                    self._let_go_locked(keys)
                elif self._pages.get(page, (None, None, None))[1] is keys:  # still the page's newest
                    self._pages[page] = (seq or 0, None, superseded)
                    self._let_go_locked(keys)

    def progress(self, table_key: tuple[str, int, int, int]) -> tuple[tuple[str, str], ...]:
        """(init, state) of each row of this table, in INIT_METHODS order; the state is "done"
        (fitted here, or kept in the shared cache), "running" (in a process now), "waiting", or
        UNKNOWN_ROW (never asked of this process, or failed: another web process may be fitting it)."""
        keys = row_keys(*table_key)
        with self._lock:
            futures = [self._held_locked(key) for key in keys]
            states = [UNKNOWN_ROW if future is None else "done" if future.done() else
                      "running" if future in self._running else "waiting" for future in futures]
        if self.shared:
            states = [state if state == "done" or not self.shared.has("table_row", key) else "done"
                      for key, state in zip(keys, states)]
        return tuple((key[1], state) for key, state in zip(keys, states))

    def pending(self) -> int:
        """Rows asked for and not finished."""
        with self._lock:
            return self._pending_locked()

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            for _, future in self._backlog:
                future.cancel()
                future.set_running_or_notify_cancel()  # wakes concurrent.futures.wait on it
            self._backlog.clear()
            for future in self._running:  # pebble's stop leaves its futures pending
                future.set_exception(concurrent.futures.CancelledError())
            self._running.clear()
            self._futures.clear()
        if pool is not None:
            pool.stop()
            pool.join(timeout=5)
