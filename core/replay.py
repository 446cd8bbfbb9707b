"""Lloyd's algorithm step by step, for the run the map's KMeans kept.

The map's model (`core.boundary.fit_plane`) keeps the best of its n_init runs. This module
draws the same initial centres `KMeans.fit` draws for each run, with scikit-learn's public
`kmeans_plusplus` (or the random choice "random" makes) on one RandomState, in order, on the
mean-centred data as `KMeans.fit` does; replays each run's Lloyd iterations in numpy; keeps the
run scikit-learn keeps; and records every step: the initial centres, then per iteration the
assignment (which centre each point goes to) and the update (the centres moved to their
clusters' means). The last centres equal the fitted `cluster_centers_` to rounding
(tests/unit/test_replay.py checks to 1e-6, and fails if scikit-learn ever draws differently).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.cluster import kmeans_plusplus
from sklearn.utils import check_random_state

from core import datasets
from core.boundary import plane_estimator


@dataclass(frozen=True, eq=False)
class LloydRun:
    """One run of Lloyd's algorithm on the PCA plane, in the data's own coordinates."""

    centers: tuple[np.ndarray, ...]  # (k, 2) each: the initial centres, then after each update step
    labels: tuple[np.ndarray, ...]  # (n,) each: the assignment of each iteration (one fewer than centers)
    final_labels: np.ndarray  # the assignment to the last centres (what `labels_` holds)
    inertia: float
    run_index: int  # which of the n_init runs scikit-learn kept (0-based)
    n_runs: int

    @property
    def n_iter(self) -> int:
        return len(self.labels)


def _assign(points: np.ndarray, centers: np.ndarray) -> np.ndarray:
    squared = ((points[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return squared.argmin(axis=1).astype(np.int32)


def _update(points: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The clusters' means, with scikit-learn's rule for a cluster left empty: it takes the point
    farthest from its own centre."""
    k = len(centers)
    sums = np.zeros_like(centers)
    np.add.at(sums, labels, points)
    weights = np.bincount(labels, minlength=k).astype(float)
    empty = np.flatnonzero(weights == 0)
    if len(empty):
        distances = ((points - centers[labels]) ** 2).sum(axis=1)
        if distances.max() > 0:
            farthest = np.argpartition(distances, -len(empty))[:-len(empty) - 1:-1]
            for new_cluster, far in zip(empty, farthest):
                old_cluster = labels[far]
                sums[old_cluster] -= points[far]
                sums[new_cluster] = points[far]
                weights[new_cluster] = 1.0
                weights[old_cluster] -= 1.0
    moved = centers.copy()
    filled = weights > 0
    moved[filled] = sums[filled] / weights[filled, None]
    return moved


def lloyd(points: np.ndarray, initial: np.ndarray, max_iter: int, tol: float):
    """One run of scikit-learn's Lloyd iterations in numpy: the same steps and stopping rules."""
    centers, history, assignments = initial, [initial], []
    previous = None
    strict = False
    for _ in range(max_iter):
        labels = _assign(points, centers)
        moved = _update(points, centers, labels)
        assignments.append(labels)
        history.append(moved)
        shift = ((moved - centers) ** 2).sum()
        centers = moved
        if previous is not None and np.array_equal(labels, previous):
            strict = True
            break
        if shift <= tol:
            break
        previous = labels
    final_labels = assignments[-1] if strict else _assign(points, centers)
    inertia = float(((points - centers[final_labels]) ** 2).sum())
    return history, assignments, final_labels, inertia


def same_clustering(labels: np.ndarray, other: np.ndarray) -> bool:
    """Whether two labellings are the same partition, up to renumbering."""
    pairs = set(zip(labels.tolist(), other.tolist()))
    return len(pairs) == len(set(labels.tolist())) == len(set(other.tolist()))


def initial_centres(points: np.ndarray, init, n_clusters: int, random_state: np.random.RandomState) -> np.ndarray:
    """One run's initial centres, drawn from `random_state` as `KMeans.fit` draws them for `init`."""
    if not isinstance(init, str):
        return np.array(init, dtype=points.dtype)
    if init == "k-means++":
        centres, _ = kmeans_plusplus(points, n_clusters, x_squared_norms=(points ** 2).sum(axis=1),
                                     random_state=random_state)
        return centres
    # "random": n_clusters distinct points, uniformly (every sample weighs 1).
    weights = np.ones(len(points))
    return points[random_state.choice(len(points), size=n_clusters, replace=False, p=weights / weights.sum())]


@lru_cache(maxsize=32)
def replay(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> LloydRun:
    """The run `fit_plane(dataset, init_method, n_clusters, n_init, seed)` kept, step by step."""
    estimator = plane_estimator(dataset, init_method, n_clusters, n_init, seed)
    reduced = datasets.load(dataset).reduced
    # As KMeans.fit: work on mean-centred data (and centres), shift back at the end.
    mean = reduced.mean(axis=0)
    points = reduced - mean
    init = estimator.init
    if not isinstance(init, str):
        init = np.array(init, dtype=points.dtype) - mean
    n_runs = 1 if not isinstance(init, str) else estimator.n_init
    random_state = check_random_state(estimator.random_state)
    tol = float(np.mean(np.var(points, axis=0))) * estimator.tol  # KMeans's tolerance, scaled by the data
    best = None
    for run in range(n_runs):
        initial = initial_centres(points, init, n_clusters, random_state)
        history, assignments, final_labels, inertia = lloyd(points, initial, estimator.max_iter, tol)
        # scikit-learn's rule: a lower inertia wins unless it is the same clustering relabelled.
        if best is None or (inertia < best[3] and not same_clustering(final_labels, best[2])):
            best = (history, assignments, final_labels, inertia, run)
    history, assignments, final_labels, inertia, run = best
    centers = tuple(_read_only(step + mean) for step in history)
    return LloydRun(
        centers=centers, labels=tuple(_read_only(labels) for labels in assignments),
        final_labels=_read_only(final_labels), inertia=inertia, run_index=run, n_runs=n_runs,
    )


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def replay_mesh(extent: tuple[float, float, float, float], columns: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Cell centres of a coarse mesh over the map (`columns` across, square cells), and the step."""
    x_min, x_max, y_min, y_max = extent
    step = (x_max - x_min) / columns
    xs = x_min + step * (np.arange(columns) + 0.5)
    ys = y_min + step * (np.arange(int(np.ceil((y_max - y_min) / step))) + 0.5)
    return xs, ys, step


def nearest_centre_labels(xs: np.ndarray, ys: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """(rows, columns) index of the nearest centre to each mesh cell: one frame's regions."""
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)  # (rows, columns, 2)
    return ((grid[:, :, None, :] - centers[None, None]) ** 2).sum(axis=3).argmin(axis=2).astype(np.uint8)
