"""KMeans fits on a dataset's standardized features and the example's `bench_k_means` metrics.

`table_row` computes one init's row from scratch: where it runs (a worker process, a job) is the
caller's choice. Everything here is a pure function of its arguments and the dataset.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA

from core import datasets
from core.limits import INIT_METHODS, available_inits, fit_parameters
from core.work import SILHOUETTE_SAMPLE


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
    """A KMeans fit on a dataset's standardized features."""

    dataset: str
    init_method: str
    n_clusters: int
    n_init: int
    seed: int
    fit_seconds: float  # CPU time of KMeans.fit, as the example times the fit alone
    inertia: float
    labels: np.ndarray
    centers: np.ndarray


def fit(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> FullFit:
    data = datasets.load(dataset)
    estimator = make_kmeans(init_method, n_clusters, n_init, seed, data.scaled)
    # CPU time of this thread, not wall time: rows fitted side by side must not look slower than
    # one fitted alone. With OpenMP and BLAS at one thread, the whole fit runs on this thread.
    started = time.thread_time()
    estimator.fit(data.scaled)
    elapsed = time.thread_time() - started
    labels, centers = estimator.labels_, estimator.cluster_centers_
    labels.setflags(write=False)
    centers.setflags(write=False)
    return FullFit(dataset, init_method, n_clusters, estimator.n_init, seed, elapsed,
                   float(estimator.inertia_), labels, centers)


# The map's PCA-based seeds come from the 64-D PCA-based model: kept for repeats in this process.
fit_cached = lru_cache(maxsize=64)(fit)


@dataclass(frozen=True)
class InitBenchmark:
    """One row of the example's benchmark table. Data without labels has no label-based scores
    (None); it has the scores that need none, Calinski-Harabasz and Davies-Bouldin, instead."""

    init_method: str
    fit_seconds: float
    inertia: float
    homogeneity: float | None
    completeness: float | None
    v_measure: float | None
    adjusted_rand: float | None
    adjusted_mutual_info: float | None
    silhouette: float | None  # None: undefined, the sampled rows hold one cluster only (see `silhouette`)
    calinski_harabasz: float | None = None
    davies_bouldin: float | None = None


# Past SILHOUETTE_SAMPLE rows (core.work) the silhouette is computed on a sample of that size, drawn with this
# seed: the exact one takes all n² distances.
SILHOUETTE_SEED = 0


def silhouette(data: datasets.Dataset, found: np.ndarray) -> float | None:
    """Euclidean, on the scaled data; exact up to SILHOUETTE_SAMPLE rows, then sampled. None when the sample
    holds one cluster only (it can miss a tiny cluster beside a huge one): the silhouette needs two."""
    if data.distances is not None:
        # Precomputed euclidean distances of the scaled data: the same value as metric="euclidean".
        return float(metrics.silhouette_score(data.distances, found, metric="precomputed"))
    if data.n_samples <= SILHOUETTE_SAMPLE:
        return float(metrics.silhouette_score(data.scaled, found, metric="euclidean"))
    # The rows silhouette_score samples for this sample_size and random_state: the first of a permutation
    # drawn by RandomState(seed) (tests/unit/test_core.py checks that the two agree).
    sampled = np.random.RandomState(SILHOUETTE_SEED).permutation(data.n_samples)[:SILHOUETTE_SAMPLE]
    if np.unique(found[sampled]).size < 2:
        return None
    return float(metrics.silhouette_score(data.scaled, found, metric="euclidean", sample_size=SILHOUETTE_SAMPLE,
                                          random_state=SILHOUETTE_SEED))


def score(fitted: FullFit) -> InitBenchmark:
    """The example's metrics against the true labels (when there are any), and the silhouette."""
    data = datasets.load(fitted.dataset)
    truth, found = data.target, fitted.labels
    common = {"init_method": fitted.init_method, "fit_seconds": fitted.fit_seconds, "inertia": fitted.inertia,
              "silhouette": silhouette(data, found)}
    if truth is None:
        return InitBenchmark(
            **common, homogeneity=None, completeness=None, v_measure=None, adjusted_rand=None,
            adjusted_mutual_info=None,
            calinski_harabasz=float(metrics.calinski_harabasz_score(data.scaled, found)),
            davies_bouldin=float(metrics.davies_bouldin_score(data.scaled, found)),
        )
    # The three *_score functions each call this and keep one value: one call, same numbers.
    homogeneity, completeness, v_measure = metrics.homogeneity_completeness_v_measure(truth, found)
    return InitBenchmark(
        **common,
        homogeneity=float(homogeneity),
        completeness=float(completeness),
        v_measure=float(v_measure),
        adjusted_rand=float(metrics.adjusted_rand_score(truth, found)),
        adjusted_mutual_info=float(metrics.adjusted_mutual_info_score(truth, found)),
    )


@dataclass(frozen=True, eq=False)
class TableRow:
    """One init's fit and its scores: the table's row, and what the cluster views show."""

    fit: FullFit
    scores: InitBenchmark


def table_row(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> TableRow:
    """One row of the table, computed from scratch."""
    fitted = fit(dataset, init_method, n_clusters, n_init, seed)
    return TableRow(fitted, score(fitted))


def row_keys(dataset: str, n_clusters: int, n_init: int, seed: int) -> tuple[tuple, ...]:
    """The table_row arguments of each row the table can have at this k, in INIT_METHODS order
    (PCA-based runs once, so every n_init and seed share its row; past the number of features it
    cannot run at all)."""
    return tuple((dataset, method, n_clusters, *fit_parameters(method, n_init, seed))
                 for method in available_inits(dataset, n_clusters))


def row_for(rows, init_method: str) -> TableRow:
    """The row of one init among a table's rows."""
    return next(row for row in rows if row.fit.init_method == init_method)
