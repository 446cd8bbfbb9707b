"""The datasets the dashboard clusters, each prepared once: standardized, projected to 2-D, with
its pairwise distances (for an exact silhouette) and what the page needs to name things.

Digits is the default and the only one with images. Every dataset has true labels, used only to
score and name the clusters afterwards: K-means never sees them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.metrics import pairwise_distances
from sklearn.preprocessing import StandardScaler

# The example pads the PCA plane by one unit on every side before drawing the mesh.
MAP_MARGIN = 1.0
DEFAULT_DATASET = "digits"


@dataclass(frozen=True)
class DatasetInfo:
    """What the page says about a dataset before loading it."""

    key: str  # in the address (?data=iris) and in every cache key
    title: str  # "Handwritten digits"
    samples: str  # what one row is, plural: "digits", "flowers"
    label: str  # what the true label is: "digit", "species"
    labels: str  # its plural: "digits", "species"
    loader: Callable
    class_names: tuple[str, ...] | None = None  # None: the loader's target_names, as text
    image_side: int | None = None  # 8 for the digits' 8×8 images; None: no images
    # How a count of one class is said: "3s" for digits, "setosa" for flowers.
    plural_suffix: str = ""


DATASETS: dict[str, DatasetInfo] = {
    "digits": DatasetInfo("digits", "Handwritten digits", "digits", "digit", "digits", load_digits,
                          image_side=8, plural_suffix="s"),
    "iris": DatasetInfo("iris", "Iris flowers", "flowers", "species", "species", load_iris),
    "wine": DatasetInfo("wine", "Wines", "wines", "cultivar", "cultivars", load_wine,
                        class_names=("cultivar 0", "cultivar 1", "cultivar 2")),
    "breast_cancer": DatasetInfo("breast_cancer", "Breast cancer biopsies", "biopsies", "diagnosis",
                                 "diagnoses", load_breast_cancer),
}


@dataclass(frozen=True, eq=False)
class Dataset:
    """Everything about a dataset that never changes while the app runs (arrays are read-only)."""

    info: DatasetInfo
    features: np.ndarray  # (n, d) in the features' own units
    scaled: np.ndarray  # (n, d) standardized: what every model is fitted on
    scaler: StandardScaler  # its inverse maps centroids back to the features' units
    target: np.ndarray  # (n,) true class index 0..n_classes-1
    class_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    images: np.ndarray | None  # (n, side, side) raw pixels for the digits; else None
    distances: np.ndarray  # (n, n) euclidean distances of `scaled`, for an exact silhouette
    pca_plane: PCA  # the 2-D PCA fitted on `scaled`
    reduced: np.ndarray  # (n, 2) `scaled` projected onto the PCA plane
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the map

    @property
    def key(self) -> str:
        return self.info.key

    @property
    def n_samples(self) -> int:
        return self.scaled.shape[0]

    @property
    def n_features(self) -> int:
        return self.scaled.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def class_plural(self, index: int) -> str:
        """How several members of a class are named in a sentence: "7s", "setosa"."""
        return f"{self.class_names[index]}{self.info.plural_suffix}"


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@lru_cache(maxsize=len(DATASETS))
def load(key: str = DEFAULT_DATASET) -> Dataset:
    """Load and prepare a dataset once per process; every caller shares its read-only arrays."""
    info = DATASETS[key]
    bunch = info.loader()
    features = np.asarray(bunch.data, dtype=float)
    scaler = StandardScaler().fit(features)
    scaled = scaler.transform(features)
    pca_plane = PCA(n_components=2).fit(scaled)
    reduced = pca_plane.transform(scaled)
    x_min, y_min = reduced.min(axis=0) - MAP_MARGIN
    x_max, y_max = reduced.max(axis=0) + MAP_MARGIN
    names = info.class_names or tuple(str(name) for name in bunch.target_names)
    images = getattr(bunch, "images", None) if info.image_side else None
    return Dataset(
        info=info,
        features=_read_only(features),
        scaled=_read_only(scaled),
        scaler=scaler,
        target=_read_only(np.asarray(bunch.target)),
        class_names=names,
        feature_names=tuple(str(name) for name in bunch.feature_names),
        images=None if images is None else _read_only(images),
        # 1797² float64 is 26 MB; it makes each silhouette ~4× faster, the same value.
        distances=_read_only(pairwise_distances(scaled, metric="euclidean")),
        pca_plane=pca_plane,
        reduced=_read_only(reduced),
        extent=(float(x_min), float(x_max), float(y_min), float(y_max)),
    )
