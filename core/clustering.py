"""KMeans fits on the 64-D data and the example's `bench_k_means` metrics, cached by configuration.

The table's rows are computed in worker processes (`start_workers`), at a lower CPU priority
than the web threads: a map refit (the one people watch: the next change, or another user's)
must never wait for the table's cores or for its GIL.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from joblib.externals.loky.process_executor import (
    BrokenProcessPool,
    ProcessPoolExecutor,
    ShutdownExecutorError,
)
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from core import data, fit_store
from core.settings import INIT_METHODS, fit_parameters

log = logging.getLogger(__name__)


def make_kmeans(init_method: str, n_clusters: int, n_init: int, seed: int, features: np.ndarray) -> KMeans:
    """The estimator the example builds for one init strategy (PCA-based needs the data for its seeds)."""
    if init_method == "PCA-based":
        # Deterministic seeding: the k principal axes are the initial centres, so one run suffices.
        centers = PCA(n_components=n_clusters).fit(features).components_
        return KMeans(init=centers, n_clusters=n_clusters, n_init=1, random_state=seed)
    if init_method not in INIT_METHODS:
        raise ValueError(f"unknown init method {init_method!r}")
    return KMeans(init=init_method, n_clusters=n_clusters, n_init=n_init, random_state=seed)


@dataclass(frozen=True, eq=False)
class FullFit:
    """A KMeans fit on the standardized 64-D digits."""

    init_method: str
    n_clusters: int
    n_init: int
    seed: int
    fit_seconds: float  # CPU time of KMeans.fit, as the example times the fit alone
    inertia: float
    labels: np.ndarray
    centers: np.ndarray


def fit(init_method: str, n_clusters: int, n_init: int, seed: int) -> FullFit:
    digits = data.load()
    estimator = make_kmeans(init_method, n_clusters, n_init, seed, digits.scaled)
    # CPU time of this thread, not wall time: the rows are fitted in parallel, and a fit that
    # shares a core must not look slower than one that had it alone. With OpenMP and BLAS at
    # one thread (app.py sets that), the whole fit runs on this thread.
    started = time.thread_time()
    estimator.fit(digits.scaled)
    elapsed = time.thread_time() - started
    labels, centers = estimator.labels_, estimator.cluster_centers_
    labels.setflags(write=False)
    centers.setflags(write=False)
    return FullFit(
        init_method, n_clusters, estimator.n_init, seed, elapsed, float(estimator.inertia_), labels, centers,
    )


# In this process, for the map's PCA-based seeds (the table's fits happen in the workers).
fit_full = lru_cache(maxsize=64)(fit)


@dataclass(frozen=True)
class InitBenchmark:
    """One row of the example's benchmark table."""

    init_method: str
    fit_seconds: float
    inertia: float
    homogeneity: float
    completeness: float
    v_measure: float
    adjusted_rand: float
    adjusted_mutual_info: float
    silhouette: float


def score(fit: FullFit) -> InitBenchmark:
    """The example's metrics against the true digits; silhouette is exact, euclidean, on the scaled data."""
    digits = data.load()
    truth, found = digits.target, fit.labels
    # The three *_score functions each call this and keep one value: one call, same numbers.
    homogeneity, completeness, v_measure = metrics.homogeneity_completeness_v_measure(truth, found)
    return InitBenchmark(
        init_method=fit.init_method,
        fit_seconds=fit.fit_seconds,
        inertia=fit.inertia,
        homogeneity=float(homogeneity),
        completeness=float(completeness),
        v_measure=float(v_measure),
        adjusted_rand=float(metrics.adjusted_rand_score(truth, found)),
        adjusted_mutual_info=float(metrics.adjusted_mutual_info_score(truth, found)),
        # Precomputed euclidean distances of the scaled data: the same value as metric="euclidean".
        silhouette=float(metrics.silhouette_score(digits.distances, found, metric="precomputed")),
    )


@dataclass(frozen=True, eq=False)
class TableRow:
    """One init's 64-D fit and its scores: the table's row, and what the cluster views show."""

    fit: FullFit
    scores: InitBenchmark


def table_row(init_method: str, n_clusters: int, n_init: int, seed: int) -> TableRow:
    """One row of the table, computed from scratch (in a worker process)."""
    full = fit(init_method, n_clusters, n_init, seed)
    return TableRow(full, score(full))


# ---------------------------------------------------------------------------------------------
# worker processes

# One per core (measured: a third on 2 cores is no faster), at most one per row.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
ROW_WORKERS = min(len(INIT_METHODS), _CORES)
ROW_TIMEOUT_S = 30  # far beyond any configuration's fit; a stuck worker must not hold a request forever
WORKER_NICENESS = 10  # the map first: a niceness of 10 leaves the table ~10% of a contended core
# Fresh interpreters (loky starts them; no fork of a threaded web worker): one native thread each.
_WORKER_ENV = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


ROW_QUEUE_LIMIT = 6 * ROW_WORKERS  # rows submitted and not finished; past it a new row is refused


class FitQueueFull(RuntimeError):
    """The table's queue of fits is full: ask again in `retry_after_s` (not the settings' fault)."""

    retry_after_s = 2


def _worker_started(parent: int) -> None:
    os.nice(WORKER_NICENESS)
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


class _RowCache:
    """Row futures by configuration, bounded, shared by concurrent requests, fitted in a loky pool.

    Two requests for the same rows (two tabs, or PCA-based rows, which ignore n_init and seed)
    wait on the same future instead of fitting twice. A failed row is forgotten, so the next
    request tries again. A pending row's future can be cancelled (a superseded table). loky's
    workers exit with this process; if one dies, its pool is broken: the rows in it fail (a server
    fault, with a retry) and the next row starts a fresh pool.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._futures: collections.OrderedDict[tuple, Future] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._pending: set[Future] = set()  # submitted to the pool, not finished

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
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=ROW_WORKERS, initializer=_worker_started,
                                                 initargs=(os.getpid(),), env=_WORKER_ENV)
        return self._executor

    def _live_locked(self, key: tuple) -> Future | None:
        future = self._futures.get(key)
        if future is not None and not future.cancelled() and not (future.done() and future.exception()):
            self._futures.move_to_end(key)
            return future
        return None

    def get(self, key: tuple, headroom: int = 0) -> Future:
        """The row's future. `headroom`: how far past the queue's bound this request may go (a
        request the page sends again after a busy answer goes before new ones; at most half more)."""
        with self._lock:
            future = self._live_locked(key)
        if future is not None:
            return future
        # A row another process or machine fitted (a network round trip: outside the lock).
        stored = fit_store.lookup("table_row", key)
        with self._lock:
            future = self._live_locked(key)
            if future is not None:
                return future
            if stored is not None:
                future = Future()
                future.set_result(stored)
            else:
                if len(self._pending) >= ROW_QUEUE_LIMIT + min(max(0, headroom), ROW_QUEUE_LIMIT // 2):
                    raise FitQueueFull(f"{len(self._pending)} table rows queued")
                future = self._submit_locked(key)
                self._pending.add(future)
                future.add_done_callback(self._finished)
                future.add_done_callback(functools.partial(_share_row, key))
            self._futures[key] = future
            while len(self._futures) > self._maxsize:
                self._futures.popitem(last=False)
            return future

    def _submit_locked(self, key: tuple) -> Future:
        try:
            return self._start_locked().submit(table_row, *key)
        except (BrokenProcessPool, ShutdownExecutorError):  # a worker died (e.g. killed for memory)
            log.warning("table worker processes broken; starting a new pool")
            self._executor.shutdown(wait=False, kill_workers=True)
            self._executor = None
            return self._start_locked().submit(table_row, *key)

    def _finished(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

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


def _share_row(key: tuple, future: Future) -> None:
    if not future.cancelled() and future.exception() is None:
        fit_store.keep("table_row", key, future.result())


benchmark_rows = _RowCache(maxsize=384)  # cache_clear() empties it
start_workers = benchmark_rows.start_workers


def _read_only_row(row: TableRow) -> TableRow:
    for array in (row.fit.labels, row.fit.centers):  # unpickled from a worker: writable again
        array.setflags(write=False)
    return row


@lru_cache(maxsize=128)  # the same objects for a repeat; benchmark_rows shares rows across tables
def fitted_inits(n_clusters: int, n_init: int, seed: int) -> tuple[TableRow, ...]:
    """Every init strategy's fit and scores at this k, n_init and seed (PCA-based always runs once).

    The rows are fitted side by side in the worker processes; results do not depend on order.
    """
    futures = row_futures(n_clusters, n_init, seed)
    return tuple(_read_only_row(future.result(timeout=ROW_TIMEOUT_S)) for future in futures)


def row_futures(n_clusters: int, n_init: int, seed: int, headroom: int = 0) -> list[Future]:
    """The table's rows at these settings, as futures (started, or shared with a request that
    started them): a caller can wait on them its own way, then read fitted_inits at once.
    `headroom`: how many tables past the queue's bound this request may go (see _RowCache.get)."""
    return [benchmark_rows.get((method, n_clusters, *fit_parameters(method, n_init, seed)),
                               headroom * len(INIT_METHODS)) for method in INIT_METHODS]


@lru_cache(maxsize=128)
def benchmark_inits(n_clusters: int, n_init: int, seed: int) -> tuple[InitBenchmark, ...]:
    """The table: the example's metrics for every init strategy."""
    return tuple(row.scores for row in fitted_inits(n_clusters, n_init, seed))


def fitted_init(init_method: str, n_clusters: int, n_init: int, seed: int) -> TableRow:
    """The table's row for one init strategy (the fit behind the cluster views: no extra fit)."""
    return fitted_inits(n_clusters, n_init, seed)[INIT_METHODS.index(init_method)]
