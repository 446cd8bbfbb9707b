"""KMeans fits on the 64-D data and the example's `bench_k_means` metrics, cached by configuration.

The table's rows are computed in worker processes (core/row_pool.py, `start_workers`), at a lower
CPU priority than the web threads: a map refit (the one people watch: the next change, or another
user's) must never wait for the table's cores or for its GIL.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from core import data
from core.row_pool import ROW_TIMEOUT_S, ROW_WORKERS, FitQueueFull, RowPool  # noqa: F401 (the table's callers)
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


benchmark_rows = RowPool(table_row, "table_row", maxsize=384)  # cache_clear() empties it
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


def row_futures(n_clusters: int, n_init: int, seed: int, attempt: int = 0) -> list[Future]:
    """The table's rows at these settings, as futures (started, or shared with a request that
    started them): a caller can wait on them its own way, then read fitted_inits at once.
    `attempt`: the page's try count: that many tables past the queue's bound, and first in it."""
    return [benchmark_rows.get((method, n_clusters, *fit_parameters(method, n_init, seed)),
                               headroom=attempt * len(INIT_METHODS), priority=attempt) for method in INIT_METHODS]


@lru_cache(maxsize=128)
def benchmark_inits(n_clusters: int, n_init: int, seed: int) -> tuple[InitBenchmark, ...]:
    """The table: the example's metrics for every init strategy."""
    return tuple(row.scores for row in fitted_inits(n_clusters, n_init, seed))


def fitted_init(init_method: str, n_clusters: int, n_init: int, seed: int) -> TableRow:
    """The table's row for one init strategy (the fit behind the cluster views: no extra fit)."""
    return fitted_inits(n_clusters, n_init, seed)[INIT_METHODS.index(init_method)]
