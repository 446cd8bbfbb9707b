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

from core import datasets
from core.clustering import InitBenchmark, fit, score
from core.limits import DETERMINISTIC_INITS, available_inits, fit_parameters, limits
from core.matching import matching_for
from core.settings import SEED_RANGE, STABILITY_SEEDS_RANGE
from core.work import JOB_WORK_MAX

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

# The metrics a sweep or a stability run reports, by InitBenchmark field, with their labels.
METRICS = {
    "inertia": "Inertia",
    "silhouette": "Silhouette",
    "adjusted_rand": "ARI",
    "adjusted_mutual_info": "AMI",
}
# Without labels: the scores that judge the clusters' shape alone.
SHAPE_METRICS = {
    "inertia": "Inertia",
    "silhouette": "Silhouette",
    "calinski_harabasz": "Calinski–Harabasz",
    "davies_bouldin": "Davies–Bouldin",
}
STABILITY_DEFAULT_SEEDS = 20
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
    silhouette: float | None  # None: its sample of rows held a single cluster
    adjusted_rand: float | None  # None: data without labels
    adjusted_mutual_info: float | None
    matched_accuracy: float | None  # Hungarian-matched clusters ↔ classes (core.matching)


@dataclass(frozen=True)
class KSweep:
    dataset: str
    init_method: str
    n_init: int  # as requested (PCA-based runs once whatever it is)
    seed: int
    points: tuple[SweepPoint, ...]

    @property
    def ks(self) -> list[int]:
        return [point.n_clusters for point in self.points]

    @classmethod
    def from_dict(cls, value: dict) -> KSweep:
        """The inverse of dataclasses.asdict (a job's result travels as JSON)."""
        return cls(**{**value, "points": tuple(SweepPoint(**point) for point in value["points"])})


def _matched_accuracy(dataset: str, labels: np.ndarray, n_clusters: int) -> float | None:
    data = datasets.load(dataset)
    return float(matching_for(data, labels, n_clusters).accuracy) if data.labelled else None


def metrics_for(dataset: str) -> dict[str, str]:
    """The metrics a stability run reports on this dataset: with labels, agreement with them."""
    return METRICS if datasets.load(dataset).labelled else SHAPE_METRICS


def k_sweep(
    dataset: str, init_method: str, k_range: tuple[int, int], n_init: int, seed: int,
    progress: Progress = _no_progress, cancelled: Cancelled = _never,
) -> KSweep:
    """KMeans at every k in [k_min, k_max] (inclusive) with the table's metrics for each."""
    k_min, k_max = k_range
    allowed = limits(dataset)
    if not allowed.k_range[0] <= k_min < k_max <= allowed.k_range[1]:
        raise ValueError(f"k range must lie within {allowed.k_range} and hold two values or more")
    # core.settings.validate_k_range, given n_init, refuses it with a message; this stops a job that could
    # never finish before its first fit.
    if allowed.sweep_work(k_min, k_max, fit_parameters(init_method, n_init, seed)[0]) > JOB_WORK_MAX:
        raise ValueError(f"a sweep of k {k_min} to {k_max} at n_init {n_init} exceeds JOB_WORK_MAX")
    ks = range(k_min, k_max + 1)
    points = []
    for done, k in enumerate(ks):
        if cancelled():
            raise JobCancelled
        fitted = fit(dataset, init_method, k, *fit_parameters(init_method, n_init, seed))
        row = score(fitted)
        points.append(SweepPoint(
            n_clusters=k, inertia=row.inertia, silhouette=row.silhouette, adjusted_rand=row.adjusted_rand,
            adjusted_mutual_info=row.adjusted_mutual_info,
            matched_accuracy=_matched_accuracy(dataset, fitted.labels, k),
        ))
        progress(done + 1, len(ks))
    return KSweep(dataset, init_method, n_init, seed, tuple(points))


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


def spread(values: Sequence[float | None]) -> MetricSpread:
    """Over the seeds whose value is defined (a sampled silhouette may not be: NaN, as None in
    `values`); all NaN when none is."""
    array = np.asarray([np.nan if value is None else value for value in values], dtype=float)
    defined = array[~np.isnan(array)]
    if not len(defined):
        return MetricSpread(values=tuple(float(v) for v in array), mean=np.nan, sd=np.nan, low=np.nan, high=np.nan)
    low, high = np.percentile(defined, INTERVAL_PERCENTILES)
    return MetricSpread(
        values=tuple(float(v) for v in array), mean=float(defined.mean()),
        sd=float(defined.std(ddof=1)) if len(defined) > 1 else 0.0, low=float(low), high=float(high),
    )


@dataclass(frozen=True)
class InitStability:
    init_method: str
    deterministic: bool  # fitted once; its spread is 0 by construction, not measured
    metrics: dict[str, MetricSpread]  # by metrics_for(dataset) key, in its order


@dataclass(frozen=True)
class Stability:
    dataset: str
    n_clusters: int
    n_init: int
    seeds: tuple[int, ...]
    inits: tuple[InitStability, ...]  # in INIT_METHODS order, those that can run at this k

    @property
    def metric_names(self) -> dict[str, str]:
        """The metrics it holds (METRICS, or SHAPE_METRICS for data without labels), with their labels."""
        held = self.inits[0].metrics if self.inits else METRICS
        return {name: {**METRICS, **SHAPE_METRICS}[name] for name in held}

    def by_init(self) -> dict[str, InitStability]:
        return {row.init_method: row for row in self.inits}

    @classmethod
    def from_dict(cls, value: dict) -> Stability:
        """The inverse of dataclasses.asdict (a job's result travels as JSON)."""
        inits = tuple(InitStability(row["init_method"], row["deterministic"], {
            name: MetricSpread(**{**spread, "values": tuple(spread["values"])})
            for name, spread in row["metrics"].items()}) for row in value["inits"])
        return cls(value["dataset"], value["n_clusters"], value["n_init"], tuple(value["seeds"]), inits)


def stability_fit_count(dataset: str, n_clusters: int, n_seeds: int) -> int:
    """Fits a stability run makes: N per seeded init, one per deterministic init."""
    return sum(1 if method in DETERMINISTIC_INITS else n_seeds for method in available_inits(dataset, n_clusters))


def seed_stability(
    dataset: str, n_clusters: int, n_init: int, first_seed: int, n_seeds: int,
    progress: Progress = _no_progress, cancelled: Cancelled = _never,
) -> Stability:
    """Every init at this k and n_init over `n_seeds` seeds; PCA-based fitted once (it ignores the seed)."""
    if not STABILITY_SEEDS_RANGE[0] <= n_seeds <= STABILITY_SEEDS_RANGE[1]:
        raise ValueError(f"n_seeds must lie within {STABILITY_SEEDS_RANGE}")
    # core.settings.validate_n_seeds, given the settings, refuses it with a message; this stops a job that
    # could never finish before its first fit.
    if limits(dataset).stability_work(n_clusters, n_init, n_seeds) > JOB_WORK_MAX:
        raise ValueError(f"{n_seeds} seeds at k {n_clusters}, n_init {n_init} exceed JOB_WORK_MAX")
    seeds = stability_seeds(first_seed, n_seeds)
    total, done = stability_fit_count(dataset, n_clusters, n_seeds), 0
    inits = []
    for method in available_inits(dataset, n_clusters):
        deterministic = method in DETERMINISTIC_INITS
        rows: list[InitBenchmark] = []
        for seed in seeds[:1] if deterministic else seeds:
            if cancelled():
                raise JobCancelled
            rows.append(score(fit(dataset, method, n_clusters, *fit_parameters(method, n_init, seed))))
            done += 1
            progress(done, total)
        inits.append(InitStability(
            init_method=method, deterministic=deterministic,
            metrics={name: spread([getattr(row, name) for row in rows]) for name in metrics_for(dataset)},
        ))
    return Stability(dataset, n_clusters, n_init, tuple(seeds), tuple(inits))
