"""The decision-boundary map: KMeans refit on the PCA-reduced data, its Voronoi regions on a mesh."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.cluster import KMeans

from core import datasets
from core.clustering import fit_cached
from core.matching import ClusterMatching, matching_for
from core.settings import Settings, fit_parameters


def plane_estimator(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> KMeans:
    """The unfitted KMeans the map fits on the 2-D PCA projection (core.replay replays its run)."""
    if init_method == "PCA-based":
        # The 2-D analogue of PCA-based seeding: start from the full model's PCA-based centroids
        # projected onto the plane. Deterministic, and the points are distinct.
        full = fit_cached(dataset, "PCA-based", n_clusters, *fit_parameters("PCA-based", n_init, seed))
        seeds = datasets.load(dataset).pca_plane.transform(full.centers)
        return KMeans(init=seeds, n_clusters=n_clusters, n_init=1, random_state=seed)
    return KMeans(init=init_method, n_clusters=n_clusters, n_init=n_init, random_state=seed)


@lru_cache(maxsize=64)
def fit_plane(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> KMeans:
    """KMeans on the 2-D PCA projection (never mutated after fitting; shared by every caller)."""
    return plane_estimator(dataset, init_method, n_clusters, n_init, seed).fit(datasets.load(dataset).reduced)


@dataclass(frozen=True, eq=False)
class PlaneMap:
    """The map's 2-D fit: what the page draws regions from (the browser rasterizes them, from the
    centroids, at whatever mesh step is chosen); compared by identity (it is cached)."""

    fit_key: tuple  # (dataset, init_method, n_clusters, n_init, seed) as the fit ran
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the plot
    centroids: np.ndarray  # (k, 2)
    point_clusters: np.ndarray  # (n,) the 2-D cluster of each digit
    matching: ClusterMatching  # the 2-D clusters named after the true classes of their points
    inertia: float
    touching: frozenset[tuple[int, int]]  # pairs (a < b) of clusters whose regions share a border in view

    @property
    def cluster_sizes(self) -> np.ndarray:
        return self.matching.sizes


# The picture's pixels reach past the plot's edges by up to half a step (core.boundary.mesh), 0.5 at
# the coarsest step: regions meeting only there still touch in the picture.
MESH_OVERHANG = 0.5


def touching_clusters(centroids: np.ndarray, extent: tuple[float, float, float, float],
                      tolerance: float = 1e-9) -> frozenset[tuple[int, int]]:
    """Pairs (a < b) of Voronoi cells that meet inside the extent (with the mesh's overhang), by
    a border or at a corner: from the geometry, so the same pairs at every mesh step. (A raster
    can also show two cells side by side where a third cell between them is thinner than a mesh
    cell: the picture skips the sliver.) Cells a and b meet on the part of their
    bisector where no other centroid is nearer; along the bisector (middle + t * along) each such
    condition, and each side of the extent, bounds t from one side: slope * t <= bound."""
    x_min, x_max, y_min, y_max = extent
    x_min, x_max = x_min - MESH_OVERHANG, x_max + MESH_OVERHANG
    y_min, y_max = y_min - MESH_OVERHANG, y_max + MESH_OVERHANG
    k = len(centroids)
    first, second = np.triu_indices(k, 1)
    at_a, at_b = centroids[first], centroids[second]
    normal = at_b - at_a
    length = np.hypot(normal[:, 0], normal[:, 1])
    length[length == 0] = np.nan  # coincident centroids share no border
    middle = (at_a + at_b) / 2
    along = np.column_stack([-normal[:, 1], normal[:, 0]]) / length[:, None]
    # The extent's four sides, then each centroid c: a is at least as near as c.
    sides_slope = np.column_stack([along[:, 0], -along[:, 0], along[:, 1], -along[:, 1]])
    sides_bound = np.column_stack([x_max - middle[:, 0], middle[:, 0] - x_min,
                                   y_max - middle[:, 1], middle[:, 1] - y_min])
    towards = centroids[None, :, :] - at_a[:, None, :]  # (pairs, k, 2)
    slope = 2 * np.einsum("pkd,pd->pk", towards, along)
    bound = ((centroids ** 2).sum(axis=1)[None, :] - (at_a ** 2).sum(axis=1)[:, None]
             - 2 * np.einsum("pkd,pd->pk", towards, middle))
    pair_rows = np.arange(len(first))
    for own in (first, second):  # a and b themselves bound nothing
        slope[pair_rows, own], bound[pair_rows, own] = 0.0, np.inf
    slope, bound = np.hstack([sides_slope, slope]), np.hstack([sides_bound, bound])
    flat = np.abs(slope) < 1e-12
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = bound / slope
    low = np.max(np.where(~flat & (slope < 0), ratio, -np.inf), axis=1)
    high = np.min(np.where(~flat & (slope > 0), ratio, np.inf), axis=1)
    meets = (high - low > -tolerance) & ~np.any(flat & (bound < -tolerance), axis=1) & ~np.isnan(length)
    return frozenset(zip(first[meets].tolist(), second[meets].tolist()))


@lru_cache(maxsize=64)
def plane_map(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> PlaneMap:
    """The 2-D fit behind the map, its clusters named and their touching pairs found."""
    data = datasets.load(dataset)
    model = fit_plane(dataset, init_method, n_clusters, n_init, seed)
    centroids = model.cluster_centers_.copy()  # the cached model keeps its own
    point_clusters = model.labels_.copy()
    for array in (centroids, point_clusters):
        array.setflags(write=False)
    return PlaneMap(
        fit_key=(dataset, init_method, n_clusters, n_init, seed),
        extent=data.extent,
        centroids=centroids,
        point_clusters=point_clusters,
        matching=matching_for(data, point_clusters, n_clusters),
        inertia=float(model.inertia_),
        touching=touching_clusters(centroids, data.extent),
    )


@dataclass(frozen=True, eq=False)
class Boundary:
    """A PlaneMap's regions rasterized on the server at one mesh step, by KMeans.predict on the
    mesh: the first page's picture, and the reference the browser's raster is tested against."""

    settings: Settings
    plane: PlaneMap
    xs: np.ndarray  # (columns,) mesh x coordinates, ascending
    ys: np.ndarray  # (rows,) mesh y coordinates, ascending
    labels: np.ndarray  # (rows, columns) uint8 cluster of each mesh point

    extent = property(lambda self: self.plane.extent)
    centroids = property(lambda self: self.plane.centroids)
    point_clusters = property(lambda self: self.plane.point_clusters)
    matching = property(lambda self: self.plane.matching)
    inertia = property(lambda self: self.plane.inertia)
    cluster_sizes = property(lambda self: self.plane.cluster_sizes)


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


@lru_cache(maxsize=16)  # ≤ 2 MB of labels each
def decision_boundary(settings: Settings) -> Boundary:
    """The map's regions at the settings' mesh step, as the example draws them: KMeans.predict on
    every mesh point."""
    data = datasets.load(settings.dataset)
    model = fit_plane(*settings.fit_key)
    xs, ys = mesh(data.extent, settings.mesh_step)
    cells = mesh_points(data.extent, settings.mesh_step)
    labels = model.predict(cells).astype(np.uint8).reshape(len(ys), len(xs))
    for array in (xs, ys, labels):
        array.setflags(write=False)
    return Boundary(settings=settings, plane=plane_map(*settings.fit_key), xs=xs, ys=ys, labels=labels)
