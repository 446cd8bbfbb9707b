"""KMeans fits on the 64-D data and the example's `bench_k_means` metrics, cached by configuration.

The table's rows are computed in worker processes (`start_workers`), at a lower CPU priority
than the web threads: a map refit (the one people watch: the next change, or another user's)
must never wait for the table's cores or for its GIL.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from core import data
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
_PR_SET_PDEATHSIG = 1  # Linux prctl option


def _worker_started() -> None:
    os.nice(WORKER_NICENESS)
    # A fork inherits the web worker's signal handlers (gunicorn's would ignore a TERM here).
    for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH", "SIGABRT"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    if sys.platform == "linux":  # exit with the web worker, even if it is killed
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


class _RowCache:
    """Row futures by configuration, bounded, shared by concurrent requests.

    Two requests for the same rows (two tabs, or PCA-based rows, which ignore n_init and seed)
    wait on the same future instead of fitting twice. A failed row is forgotten, so the next
    request tries again.
    """

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._futures: collections.OrderedDict[tuple, Future] = collections.OrderedDict()
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._fallback: ThreadPoolExecutor | None = None  # once the processes are broken

    def start_workers(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> ProcessPoolExecutor:
        if self._executor is None:
            data.load()  # before the fork: the workers inherit the loaded data
            # fork, not spawn: no re-import of the __main__ module (app.py builds the app), and
            # the workers start in milliseconds sharing the parent's memory. Call this while the
            # process has one thread (at start-up), as forking a threaded process can deadlock.
            self._executor = ProcessPoolExecutor(
                max_workers=ROW_WORKERS, mp_context=multiprocessing.get_context("fork"),
                initializer=_worker_started,
            )
            self._executor.submit(int).result()  # forks every worker now
        return self._executor

    def get(self, key: tuple) -> Future:
        with self._lock:
            future = self._futures.get(key)
            if future is not None and not future.cancelled() and not (future.done() and future.exception()):
                self._futures.move_to_end(key)
                return future
            future = self._submit_locked(key)
            self._futures[key] = future
            while len(self._futures) > self._maxsize:
                self._futures.popitem(last=False)
            return future

    def _submit_locked(self, key: tuple) -> Future:
        if self._fallback is None:
            try:
                return self._start_locked().submit(table_row, *key)
            except BrokenProcessPool:  # a worker died (e.g. killed for memory)
                # Forking new workers now, from a process that runs threads, can deadlock (it
                # did, in a test): fit in threads instead until gunicorn recycles this worker.
                log.warning("table worker processes broken; fitting rows in threads from now on")
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._fallback = ThreadPoolExecutor(max_workers=len(INIT_METHODS), thread_name_prefix="table-row")
        return self._fallback.submit(table_row, *key)

    def cache_clear(self) -> None:
        with self._lock:
            self._futures.clear()

    def workers_alive(self) -> tuple[int, int]:
        """(live worker processes, how many there should be). Once the pool is broken the rows are
        fitted in threads: none alive. Before start_workers(): none expected."""
        with self._lock:
            if self._executor is None and self._fallback is None:
                return 0, 0
            if self._fallback is not None:
                return 0, ROW_WORKERS
            # The executor's own map of its processes (it has no public view of them).
            processes = list((self._executor._processes or {}).values())  # pylint: disable=protected-access
            return sum(process.is_alive() for process in processes), ROW_WORKERS


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


def row_futures(n_clusters: int, n_init: int, seed: int) -> list[Future]:
    """The table's rows at these settings, as futures (started, or shared with a request that
    started them): a caller can wait on them its own way, then read fitted_inits at once."""
    return [benchmark_rows.get((method, n_clusters, *fit_parameters(method, n_init, seed)))
            for method in INIT_METHODS]


@lru_cache(maxsize=128)
def benchmark_inits(n_clusters: int, n_init: int, seed: int) -> tuple[InitBenchmark, ...]:
    """The table: the example's metrics for every init strategy."""
    return tuple(row.scores for row in fitted_inits(n_clusters, n_init, seed))


def fitted_init(init_method: str, n_clusters: int, n_init: int, seed: int) -> TableRow:
    """The table's row for one init strategy (the fit behind the cluster views: no extra fit)."""
    return fitted_inits(n_clusters, n_init, seed)[INIT_METHODS.index(init_method)]
