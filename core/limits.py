"""What each setting may be: the fixed ranges, and what a dataset allows (its k range, PCA-based's largest k,
the mesh steps its map can draw, the heaviest n_init, sweep and stability run it can fit in time).

core.settings validates against these and re-exports them; this module only computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core import work
from core.datasets import load

INIT_METHODS = ("k-means++", "random", "PCA-based")
DETERMINISTIC_INITS = ("PCA-based",)  # seeded from the data alone: one run stands for every n_init and seed
N_INIT_RANGE = (1, 50)
N_CLUSTERS_RANGE = (2, 30)
MESH_STEP_MAX = 1.0
MAX_MESH_CELLS = 2_000_000  # ~2 MB of uint8 labels; finer steps are refused


def fit_parameters(init_method: str, n_init: int, seed: int) -> tuple[int, int]:
    """The (n_init, seed) a fit really uses. PCA-based seeding is deterministic: one run, and
    the seed changes nothing, so every seed shares one fit."""
    return (1, 0) if init_method in DETERMINISTIC_INITS else (n_init, seed)


def mesh_shape(extent: tuple[float, float, float, float], step: float) -> tuple[int, int]:
    """(rows, columns) of the mesh core.boundary.mesh builds (the float expression np.arange
    sizes itself with)."""
    x_min, x_max, y_min, y_max = extent
    return math.ceil((y_max + step / 2 - y_min) / step), math.ceil((x_max + step / 2 - x_min) / step)


def min_mesh_step(extent: tuple[float, float, float, float]) -> float:
    """The finest step (in thousandths) whose mesh stays within MAX_MESH_CELLS."""
    x_min, x_max, y_min, y_max = extent
    step = math.ceil(1000 * math.sqrt((x_max - x_min) * (y_max - y_min) / MAX_MESH_CELLS)) / 1000
    while math.prod(mesh_shape(extent, step)) > MAX_MESH_CELLS:
        step = round(step + 0.001, 3)
    return step


@dataclass(frozen=True)
class Limits:
    """What a dataset allows."""

    k_range: tuple[int, int]
    pca_max_k: int  # PCA-based seeding takes k principal axes: k <= the number of features
    mesh_range: tuple[float, float]
    default_k: int  # the number of true classes (within the k range)
    n_samples: int
    n_features: int
    distinct_rows: int  # more clusters than distinct rows would leave some empty

    @property
    def size(self) -> str:
        """The data's size as a message names it: "1,797 rows × 64 columns"."""
        return f"{self.n_samples:,} rows × {self.n_features:,} columns"

    @property
    def k_reason(self) -> str:
        """Why k stops below N_CLUSTERS_RANGE's top, when the distinct rows are why; else ""."""
        if self.k_range[1] == self.distinct_rows < N_CLUSTERS_RANGE[1]:
            return f" (this data has only {self.distinct_rows:,} distinct rows)"
        return ""

    def inits(self, n_clusters: int) -> tuple[str, ...]:
        """The inits that can run at this k: PCA-based only up to the number of features."""
        return tuple(method for method in INIT_METHODS if method != "PCA-based" or n_clusters <= self.pca_max_k)

    def largest_n_init(self, n_clusters: int) -> int:
        """The largest n_init whose table rows fit in time at this k (k-means++ and random use it)."""
        return work.largest_n_init(self.n_samples, self.n_features, n_clusters, N_INIT_RANGE[1])

    def sweep_work(self, k_min: int, k_max: int, n_init: int) -> float:
        """A k sweep's work; `n_init` as its fits use it (fit_parameters)."""
        return work.sweep_work(self.n_samples, self.n_features, k_min, k_max, n_init)

    def largest_k_max(self, k_min: int, ceiling: int, n_init: int) -> int | None:
        return work.largest_k_max(self.n_samples, self.n_features, k_min, ceiling, n_init)

    def _runs(self, n_clusters: int) -> tuple[int, int]:
        """(seeded, deterministic) inits a stability run fits at this k."""
        methods = self.inits(n_clusters)
        deterministic = sum(method in DETERMINISTIC_INITS for method in methods)
        return len(methods) - deterministic, deterministic

    def stability_work(self, n_clusters: int, n_init: int, n_seeds: int) -> float:
        return work.stability_work(self.n_samples, self.n_features, n_clusters, n_init, n_seeds,
                                   *self._runs(n_clusters))

    def largest_n_seeds(self, n_clusters: int, n_init: int, ceiling: int) -> int:
        return work.largest_n_seeds(self.n_samples, self.n_features, n_clusters, n_init, *self._runs(n_clusters),
                                    ceiling)


def limits(dataset: str) -> Limits:
    data = load(dataset)
    # KMeans needs fewer clusters than rows, and no more than distinct rows (else some stay empty).
    k_max = min(N_CLUSTERS_RANGE[1], data.distinct_rows, data.n_samples - 1)
    # The number of true classes, within range; without labels, the smallest k worth a look.
    default_k = min(max(data.n_classes, N_CLUSTERS_RANGE[0]), k_max) if data.labelled else min(3, k_max)
    return Limits((N_CLUSTERS_RANGE[0], k_max), min(k_max, data.n_features),
                  (min_mesh_step(data.extent), MESH_STEP_MAX), default_k,
                  data.n_samples, data.n_features, data.distinct_rows)


def available_inits(dataset: str, n_clusters: int) -> tuple[str, ...]:
    """The inits that can run at this k: PCA-based only up to the number of features."""
    return limits(dataset).inits(n_clusters)
