"""The decision-boundary map: KMeans refit on the PCA-reduced data, its Voronoi regions on a mesh."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.cluster import KMeans
from sklearn.cluster._k_means_common import CHUNK_SIZE

from core import data, fit_store
from core.clustering import fit_full
from core.matching import ClusterMatching, match_clusters
from core.settings import Settings, fit_parameters


def plane_estimator(init_method: str, n_clusters: int, n_init: int, seed: int) -> KMeans:
    """The unfitted KMeans the map fits on the 2-D PCA projection (core.replay replays its run)."""
    if init_method == "PCA-based":
        # The 2-D analogue of PCA-based seeding: start from the 64-D PCA-based model's
        # centroids projected onto the plane. Deterministic, and the points are distinct.
        full = fit_full("PCA-based", n_clusters, *fit_parameters("PCA-based", n_init, seed))
        seeds = data.load().pca_plane.transform(full.centers)
        return KMeans(init=seeds, n_clusters=n_clusters, n_init=1, random_state=seed)
    return KMeans(init=init_method, n_clusters=n_clusters, n_init=n_init, random_state=seed)


@lru_cache(maxsize=64)
@fit_store.shared("fit_plane")  # across processes and machines, when the server shares a store
def fit_plane(init_method: str, n_clusters: int, n_init: int, seed: int) -> KMeans:
    """KMeans on the 2-D PCA projection (never mutated after fitting; shared by every caller)."""
    return plane_estimator(init_method, n_clusters, n_init, seed).fit(data.load().reduced)


@dataclass(frozen=True, eq=False)
class Boundary:
    """Cluster regions on a regular mesh over the PCA plane; compared by identity (it is cached)."""

    settings: Settings
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max the mesh covers
    xs: np.ndarray  # (columns,) mesh x coordinates, ascending
    ys: np.ndarray  # (rows,) mesh y coordinates, ascending
    labels: np.ndarray  # (rows, columns) uint8 cluster of each mesh point
    centroids: np.ndarray  # (k, 2)
    point_clusters: np.ndarray  # (n,) the 2-D cluster of each digit
    matching: ClusterMatching  # the 2-D clusters named after the true digits of their points
    inertia: float

    @property
    def cluster_sizes(self) -> np.ndarray:
        return self.matching.sizes


def mesh(extent: tuple[float, float, float, float], step: float) -> tuple[np.ndarray, np.ndarray]:
    """The example's mesh axes, arange from min at `step`, run on until the last cell, a pixel
    centred on its mesh point, reaches max: the example's arange(min, max, step) stops short of
    max by up to a step, which left a white strip along the map's edge at coarse steps."""
    x_min, x_max, y_min, y_max = extent
    return np.arange(x_min, x_max + step / 2, step), np.arange(y_min, y_max + step / 2, step)


@lru_cache(maxsize=4)  # ≤ 32 MB each; kept because every refit at this step predicts them again
def mesh_points(extent: tuple[float, float, float, float], step: float) -> np.ndarray:
    """The rows of np.c_[xx.ravel(), yy.ravel()] for xx, yy = np.meshgrid(*mesh(extent, step))."""
    xs, ys = mesh(extent, step)
    points = np.empty((len(ys) * len(xs), 2))
    points[:, 0] = np.tile(xs, len(ys))
    points[:, 1] = np.repeat(ys, len(xs))
    points.setflags(write=False)
    return points


# Predicting a fine mesh (~880k points at h = 0.02) is the map's largest single step after the
# fit; its compiled loop releases the GIL, so two halves run on two cores. scikit-learn works in
# chunks of CHUNK_SIZE rows from the start of what it is given: split at a multiple of that, and
# every chunk, so every label, is computed exactly as in one call.
_PREDICT_HALVES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mesh-predict")
SPLIT_FROM = 64 * CHUNK_SIZE  # smaller meshes are not worth a thread hop


def predict_mesh(model: KMeans, points: np.ndarray) -> np.ndarray:
    """model.predict(points), in two halves side by side for large meshes; the same labels."""
    if len(points) < 2 * SPLIT_FROM:
        return model.predict(points)
    middle = len(points) // 2 // CHUNK_SIZE * CHUNK_SIZE
    halves = _PREDICT_HALVES.map(model.predict, (points[:middle], points[middle:]))
    return np.concatenate(list(halves))


@lru_cache(maxsize=16)  # ≤ 2 MB of labels each
def decision_boundary(settings: Settings) -> Boundary:
    digits = data.load()
    model = fit_plane(*settings.fit_key)
    xs, ys = mesh(digits.extent, settings.mesh_step)
    cells = mesh_points(digits.extent, settings.mesh_step)
    labels = predict_mesh(model, cells).astype(np.uint8).reshape(len(ys), len(xs))
    centroids = model.cluster_centers_.copy()  # the cached model keeps its own
    point_clusters = model.labels_.copy()
    for array in (xs, ys, labels, centroids, point_clusters):
        array.setflags(write=False)
    return Boundary(
        settings=settings,
        extent=digits.extent,
        xs=xs,
        ys=ys,
        labels=labels,
        centroids=centroids,
        point_clusters=point_clusters,
        matching=match_clusters(digits.target, point_clusters, settings.n_clusters),
        inertia=float(model.inertia_),
    )
