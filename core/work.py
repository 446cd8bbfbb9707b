"""How much computing a table row or a job asks for, in one unit, and the most each may ask (pure arithmetic).

The unit is one term of KMeans' distance computations: each init's Lloyd iterations compute rows × features × k
of them, so a fit costs rows × features × k × n_init units. Its scores cost mostly the silhouette, which takes
the distances between every pair of its rows (at most SILHOUETTE_SAMPLE of them), counted in the same unit.

The unit does not count Lloyd iterations: on data without clusters every init runs up to KMeans' max_iter, and
a row at FIT_WORK_MAX then takes longest (benchmarks/work_limits.py times it). The row timeout
(serving/table_fits.py) and the jobs' time limit (serving/jobs/celery_app.py) are set past that worst case on a
busy machine: a fit that could not finish is refused before it starts, with the largest setting that can.
"""

from __future__ import annotations

import math

FIT_WORK_MAX = 1e9  # one table row: one init's fit and its scores
JOB_WORK_MAX = 4e10  # one k sweep or seed-stability run: all its fits and scores
# Past this many rows the silhouette is computed on a sample of this size, which bounds its cost.
SILHOUETTE_SAMPLE = 10_000
# A silhouette pair costs about one unit, plus one per this many features.
SILHOUETTE_FEATURES_PER_UNIT = 150


def fit_work(rows: int, features: int, k: int, n_init: int) -> float:
    return float(rows) * features * k * n_init


def score_work(rows: int, features: int) -> float:
    sampled = min(rows, SILHOUETTE_SAMPLE)
    return float(sampled) * sampled * (1 + features / SILHOUETTE_FEATURES_PER_UNIT)


def row_work(rows: int, features: int, k: int, n_init: int) -> float:
    """A fit and its scores: one table row, or one point of a job."""
    return fit_work(rows, features, k, n_init) + score_work(rows, features)


def largest_n_init(rows: int, features: int, k: int, ceiling: int) -> int:
    """The largest n_init (at most `ceiling`) whose row stays within FIT_WORK_MAX; 0 when even one init
    does not (the upload limits keep one init of any shape within it)."""
    spare = FIT_WORK_MAX - score_work(rows, features)
    return max(0, min(ceiling, math.floor(spare / fit_work(rows, features, k, 1))))


def sweep_work(rows: int, features: int, k_min: int, k_max: int, n_init: int) -> float:
    """A k sweep: one fit at each k from k_min to k_max, each with `n_init` inits."""
    return sum(row_work(rows, features, k, n_init) for k in range(k_min, k_max + 1))


def largest_k_max(rows: int, features: int, k_min: int, ceiling: int, n_init: int) -> int | None:
    """The largest k_max (at most `ceiling`) whose sweep from k_min stays within JOB_WORK_MAX; None when even
    k_min to k_min + 1 does not."""
    allowed = None
    for k_max in range(k_min + 1, ceiling + 1):
        if sweep_work(rows, features, k_min, k_max, n_init) > JOB_WORK_MAX:
            break
        allowed = k_max
    return allowed


def stability_work(rows: int, features: int, k: int, n_init: int, n_seeds: int, seeded: int,
                   deterministic: int) -> float:
    """A seed-stability run: each of the `seeded` inits fitted once per seed with `n_init` inits, each of the
    `deterministic` ones once with one."""
    return (seeded * n_seeds * row_work(rows, features, k, n_init)
            + deterministic * row_work(rows, features, k, 1))


def largest_n_seeds(rows: int, features: int, k: int, n_init: int, seeded: int, deterministic: int,
                    ceiling: int) -> int:
    """The most seeds (at most `ceiling`) whose stability run stays within JOB_WORK_MAX."""
    spare = JOB_WORK_MAX - deterministic * row_work(rows, features, k, 1)
    per_seed = seeded * row_work(rows, features, k, n_init)
    return max(0, min(ceiling, math.floor(spare / per_seed))) if per_seed else ceiling
