"""Slow questions about the 64-D model: which k (a sweep over k), and is a winner real (seed stability).

Both are sequences of the table's own fits and metrics (`core.clustering.fit` and `score`), so
every number is what scikit-learn computes for that configuration. They take a `progress`
callback, called after each fit with (done, total), and a `cancelled` callable, checked before
each fit: a job runner can report progress and stop between fits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from core import data
from core.clustering import InitBenchmark, fit, score
from core.matching import match_clusters
from core.settings import INIT_METHODS, N_CLUSTERS_RANGE, SEED_RANGE, fit_parameters

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

# The metrics a sweep or a stability run reports, by InitBenchmark field, with their labels.
METRICS = {
    "inertia": "Inertia",
    "silhouette": "Silhouette",
    "adjusted_rand": "ARI",
    "adjusted_mutual_info": "AMI",
}
STABILITY_SEEDS_RANGE = (2, 100)
STABILITY_DEFAULT_SEEDS = 20
DETERMINISTIC_INITS = ("PCA-based",)  # one fit stands for every seed
INTERVAL_PERCENTILES = (2.5, 97.5)  # the middle 95% of what a seed gives


class JobCancelled(Exception):
    """Raised between fits when `cancelled()` says so."""


def _no_progress(done: int, total: int) -> None:
    return None


def _never() -> bool:
    return False


@dataclass(frozen=True)
class SweepPoint:
    """The metrics of one fit in a k sweep."""

    n_clusters: int
    inertia: float
    silhouette: float
    adjusted_rand: float
    adjusted_mutual_info: float
    matched_accuracy: float  # Hungarian-matched clusters ↔ digits (core.matching)


@dataclass(frozen=True)
class KSweep:
    init_method: str
    n_init: int  # as requested (PCA-based runs once whatever it is)
    seed: int
    points: tuple[SweepPoint, ...]

    @property
    def ks(self) -> list[int]:
        return [point.n_clusters for point in self.points]


def _matched_accuracy(labels: np.ndarray, n_clusters: int) -> float:
    return float(match_clusters(data.load().target, labels, n_clusters).accuracy)


def k_sweep(
    init_method: str, k_range: tuple[int, int], n_init: int, seed: int,
    progress: Progress = _no_progress, cancelled: Cancelled = _never,
) -> KSweep:
    """KMeans at every k in [k_min, k_max] (inclusive) with the table's metrics for each."""
    k_min, k_max = k_range
    if not N_CLUSTERS_RANGE[0] <= k_min < k_max <= N_CLUSTERS_RANGE[1]:
        raise ValueError(f"k range must lie within {N_CLUSTERS_RANGE} and hold two values or more")
    ks = range(k_min, k_max + 1)
    points = []
    for done, k in enumerate(ks):
        if cancelled():
            raise JobCancelled
        fitted = fit(init_method, k, *fit_parameters(init_method, n_init, seed))
        row = score(fitted)
        points.append(SweepPoint(
            n_clusters=k, inertia=row.inertia, silhouette=row.silhouette, adjusted_rand=row.adjusted_rand,
            adjusted_mutual_info=row.adjusted_mutual_info, matched_accuracy=_matched_accuracy(fitted.labels, k),
        ))
        progress(done + 1, len(ks))
    return KSweep(init_method, n_init, seed, tuple(points))


# ---------------------------------------------------------------------------------------------
# seed stability


def stability_seeds(first_seed: int, n_seeds: int) -> list[int]:
    """The seeds of a stability run: the selected seed and the next ones (wrapping past 2³²−1)."""
    return [(first_seed + offset) % (SEED_RANGE[1] + 1) for offset in range(n_seeds)]


@dataclass(frozen=True)
class MetricSpread:
    """One metric of one init over the seeds."""

    values: tuple[float, ...]  # per seed, in seed order (one value for a deterministic init)
    mean: float
    sd: float  # sample standard deviation (ddof=1); 0 for a deterministic init
    low: float  # the middle 95% of the per-seed values (2.5th and 97.5th percentiles)
    high: float


def spread(values: Sequence[float]) -> MetricSpread:
    array = np.asarray(values, dtype=float)
    low, high = np.percentile(array, INTERVAL_PERCENTILES)
    return MetricSpread(
        values=tuple(float(v) for v in array), mean=float(array.mean()),
        sd=float(array.std(ddof=1)) if len(array) > 1 else 0.0, low=float(low), high=float(high),
    )


@dataclass(frozen=True)
class InitStability:
    init_method: str
    deterministic: bool  # fitted once; its spread is 0 by construction, not measured
    metrics: dict[str, MetricSpread]  # by METRICS key


@dataclass(frozen=True)
class Stability:
    n_clusters: int
    n_init: int
    seeds: tuple[int, ...]
    inits: tuple[InitStability, ...]  # in INIT_METHODS order

    def by_init(self) -> dict[str, InitStability]:
        return {row.init_method: row for row in self.inits}


def stability_fit_count(n_seeds: int) -> int:
    """Fits a stability run makes: N per seeded init, one per deterministic init."""
    return sum(1 if method in DETERMINISTIC_INITS else n_seeds for method in INIT_METHODS)


def seed_stability(
    n_clusters: int, n_init: int, first_seed: int, n_seeds: int,
    progress: Progress = _no_progress, cancelled: Cancelled = _never,
) -> Stability:
    """Every init at this k and n_init over `n_seeds` seeds; PCA-based fitted once (it ignores the seed)."""
    if not STABILITY_SEEDS_RANGE[0] <= n_seeds <= STABILITY_SEEDS_RANGE[1]:
        raise ValueError(f"n_seeds must lie within {STABILITY_SEEDS_RANGE}")
    seeds = stability_seeds(first_seed, n_seeds)
    total, done = stability_fit_count(n_seeds), 0
    inits = []
    for method in INIT_METHODS:
        deterministic = method in DETERMINISTIC_INITS
        rows: list[InitBenchmark] = []
        for seed in seeds[:1] if deterministic else seeds:
            if cancelled():
                raise JobCancelled
            rows.append(score(fit(method, n_clusters, *fit_parameters(method, n_init, seed))))
            done += 1
            progress(done, total)
        inits.append(InitStability(
            init_method=method, deterministic=deterministic,
            metrics={name: spread([getattr(row, name) for row in rows]) for name in METRICS},
        ))
    return Stability(n_clusters, n_init, tuple(seeds), tuple(inits))
