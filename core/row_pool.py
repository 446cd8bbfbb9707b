"""The table's row processes: a loky pool of fresh interpreters, niced below the web threads, with
a queue of our own in front of it.

loky marks a call running as soon as it is in its call queue (2 × workers + 1 long), and a running
call cannot be cancelled. So the pool is handed at most `IN_FLIGHT` rows at a time (one per worker
and one ready to go, so no worker idles between rows); the rest wait here, where they can still be
cancelled (a superseded table) and where a row asked for again after a busy answer or a dropped
connection (`priority`) goes before new ones. A row handed over already is stopped in its worker
when abandoned (core/row_stop.py). Results are cached by key, bounded; two requests for
the same row share one future; a failed row is forgotten, so the next request tries again.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from joblib.externals.loky.process_executor import (
    BrokenProcessPool,
    ProcessPoolExecutor,
    ShutdownExecutorError,
)

from core import data, fit_store, row_stop
from core.settings import INIT_METHODS

log = logging.getLogger(__name__)

# One per core (measured: a third on 2 cores is no faster), at most one per row.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
ROW_WORKERS = min(len(INIT_METHODS), _CORES)
IN_FLIGHT = ROW_WORKERS + 1  # rows handed to loky at once; the others wait in our queue
ROW_TIMEOUT_S = 30  # far beyond any configuration's fit; a stuck worker must not hold a request forever
# A table whose rows have not even started by then is answered busy (they are dropped unless another
# request waits on them): under a crowd at the heaviest settings no page waits past its patience.
ROW_START_WAIT_S = 10.0
WORKER_NICENESS = 10  # the map first: a niceness of 10 leaves the table ~10% of a contended core
# Fresh interpreters (loky starts them; no fork of a threaded web worker): one native thread each.
_WORKER_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
ROW_QUEUE_LIMIT = 6 * ROW_WORKERS  # rows asked for and not finished; past it a new row is refused


class FitQueueFull(RuntimeError):
    """The table's queue of fits is full: ask again in `retry_after_s` (not the settings' fault)."""

    retry_after_s = 2


def _worker_started(parent: int, board_path: str | None) -> None:
    os.nice(WORKER_NICENESS)
    row_stop.attach(board_path)
    # Exit with the web worker, even when it is killed (loky's workers would wait for work forever).
    threading.Thread(target=_exit_with, args=(parent,), name="exit-with-parent", daemon=True).start()
    data.load()  # once per worker, before its first row


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)  # pylint: disable=protected-access


def _ready() -> int:
    time.sleep(0.02)  # long enough for a second idle worker to take the next call
    return os.getpid()


class RowFuture(Future):
    """A row's future; `abandon()` when nobody wants the row any more, wherever it is."""

    def __init__(self, pool: RowPool) -> None:
        super().__init__()
        self._pool = pool

    def abandon(self) -> None:
        """Cancel the row if it waits in the pool's queue; stop it in its worker if it was handed over."""
        if not self.cancel():
            self._pool.stop(self)


class RowPool:
    """Row futures by key (`compute(*key)` run in a worker process), bounded, shared, prioritised.

    loky's workers exit with this process; if one dies, its pool is broken: the rows in it fail
    (a server fault, with a retry) and the next row starts a fresh pool.
    """

    def __init__(self, compute: Callable, kind: str, maxsize: int) -> None:
        self._compute, self._kind, self._maxsize = compute, kind, maxsize
        self._futures: collections.OrderedDict[tuple, Future] = collections.OrderedDict()
        self._lock = threading.RLock()  # futures' done callbacks come back here
        self._executor: ProcessPoolExecutor | None = None
        self._pending: set[Future] = set()  # asked for, not finished: the queue's bound counts these
        self._waiting: list = []  # heap of (-priority, order, key, future): not handed to loky yet
        self._order = itertools.count()
        self._in_flight = 0
        self._board: row_stop.Board | None = None  # made with the first pool; kept across pools
        self._tickets: dict[Future, tuple[int, tuple]] = {}  # rows handed to loky -> (ticket, key)

    def start_workers(self) -> None:
        """Start the pool now (at start-up), so that the first table does not wait for it."""
        with self._lock:
            executor = self._start_locked()
        # One worker can answer every call while another is still importing: ask until each has.
        ready: set[int] = set()
        deadline = time.monotonic() + 120
        while len(ready) < ROW_WORKERS and time.monotonic() < deadline:
            calls = [executor.submit(_ready) for _ in range(ROW_WORKERS)]
            ready.update(call.result(timeout=120) for call in calls)

    def _start_locked(self) -> ProcessPoolExecutor:
        if self._board is None:
            self._board = row_stop.Board()
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=ROW_WORKERS, initializer=_worker_started,
                                                 initargs=(os.getpid(), self._board.path), env=_WORKER_ENV)
        return self._executor

    def _live_locked(self, key: tuple) -> Future | None:
        future = self._futures.get(key)
        if future is not None and not future.cancelled() and not (future.done() and future.exception()):
            self._futures.move_to_end(key)
            return future
        return None

    def get(self, key: tuple, headroom: int = 0, priority: int = 0) -> Future:
        """The row's future (cancellable until a worker is about to take it). `headroom`: how far
        past the queue's bound this request may go (at most half the bound); `priority`: rows with
        a higher one are handed to the workers first (a request the page sent again)."""
        with self._lock:
            future = self._live_locked(key)
        if future is not None:
            return future
        # A row another process or machine fitted (a network round trip: outside the lock).
        stored = fit_store.lookup(self._kind, key)
        with self._lock:
            future = self._live_locked(key)
            if future is not None:
                return future
            future = RowFuture(self)
            if stored is not None:
                future.set_result(stored)
            else:
                if len(self._pending) >= ROW_QUEUE_LIMIT + min(max(0, headroom), ROW_QUEUE_LIMIT // 2):
                    raise FitQueueFull(f"{len(self._pending)} table rows queued")
                self._pending.add(future)
                future.add_done_callback(self._finished)
                future.add_done_callback(lambda done: self._share(key, done))
                heapq.heappush(self._waiting, (-priority, next(self._order), key, future))
            self._futures[key] = future
            while len(self._futures) > self._maxsize:
                self._futures.popitem(last=False)
            failed = self._dispatch_locked()
        for waiting, error in failed:
            waiting.set_exception(error)
        return future

    def _dispatch_locked(self) -> list[tuple[Future, BaseException]]:
        """Hand waiting rows to loky while fewer than IN_FLIGHT are there; the rows that could not
        be handed over, with their error (set by the caller once the lock is released)."""
        failed = []
        while self._waiting and self._in_flight < IN_FLIGHT:
            _, _, key, future = heapq.heappop(self._waiting)
            if not future.set_running_or_notify_cancel():  # cancelled while it waited
                continue
            try:
                ticket, inner = self._submit_locked(key)
            except (OSError, RuntimeError) as error:  # no pool could be started (out of memory, processes)
                failed.append((future, error))
                continue
            self._in_flight += 1
            self._tickets[future] = ticket, key
            inner.add_done_callback(lambda done, outer=future: self._handed_back(outer, done))
        return failed

    def _handed_back(self, future: Future, inner: Future) -> None:
        """A row loky finished (or failed): pass its outcome on, then hand over the next."""
        error = inner.exception()
        with self._lock:
            self._in_flight -= 1
            self._tickets.pop(future, None)
            failed = self._dispatch_locked()
        if error is None:
            future.set_result(inner.result())
        else:
            future.set_exception(error)
        for waiting, problem in failed:
            waiting.set_exception(problem)

    def _submit_locked(self, key: tuple) -> tuple[int, Future]:
        executor = self._start_locked()
        ticket = self._board.ticket()
        try:
            return ticket, executor.submit(row_stop.run, ticket, self._compute, *key)
        except (BrokenProcessPool, ShutdownExecutorError):  # a worker died (e.g. killed for memory)
            log.warning("table worker processes broken; starting a new pool")
            self._executor.shutdown(wait=False, kill_workers=True)
            self._executor = None
            return ticket, self._start_locked().submit(row_stop.run, ticket, self._compute, *key)

    def stop(self, future: Future) -> None:
        """Stop a row handed to loky that nobody wants any more (it fails with RowAbandoned). Its key
        is forgotten at once, so a request for it from now on fits it afresh."""
        with self._lock:
            handed = self._tickets.get(future)
            if handed is None or future.done():
                return
            ticket, key = handed
            if self._futures.get(key) is future:
                del self._futures[key]
            pids = list(self._executor._processes or {}) if self._executor else []  # pylint: disable=protected-access
        self._board.abandon(ticket, pids)

    def _finished(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def _share(self, key: tuple, future: Future) -> None:
        if not future.cancelled() and future.exception() is None:
            fit_store.keep(self._kind, key, future.result())

    def cache_clear(self) -> None:
        with self._lock:
            self._futures.clear()

    def workers_alive(self) -> tuple[int, int]:
        """(live worker processes, how many there should be). Before start_workers(): none expected."""
        with self._lock:
            if self._executor is None:
                return 0, 0
            # The executor's own map of its processes (it has no public view of them).
            processes = list((self._executor._processes or {}).values())  # pylint: disable=protected-access
            broken = self._executor._flags.broken  # pylint: disable=protected-access
            return (0 if broken else sum(process.is_alive() for process in processes)), ROW_WORKERS
