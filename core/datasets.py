"""The datasets the dashboard clusters, each prepared once: standardized, projected to 2-D, with
its pairwise distances (for an exact silhouette, when small) and what the page needs to name things.

Digits is the default and the only one with images. The built-in datasets have true labels, used
only to score and name the clusters afterwards: K-means never sees them. An uploaded dataset
(`prepare`, reached through a source that `add_source` registers) may have none.
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
UPLOAD_PREFIX = "upload-"  # an uploaded dataset's key: this, then a secret only its page holds


@dataclass(frozen=True)
class DatasetInfo:
    """What the page says about a dataset before loading it."""

    key: str  # in the address (?data=iris) and in every cache key
    title: str  # "Handwritten digits"
    samples: str  # what one row is, plural: "digits", "flowers"
    label: str  # what the true label is: "digit", "species"
    labels: str  # its plural: "digits", "species"
    loader: Callable | None = None  # scikit-learn's load_* function; None for an upload
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
    target: np.ndarray | None  # (n,) true class index 0..n_classes-1; None: an upload without labels
    class_names: tuple[str, ...]  # () without labels
    feature_names: tuple[str, ...]
    images: np.ndarray | None  # (n, side, side) raw pixels for the digits; else None
    distances: np.ndarray | None  # (n, n) euclidean distances of `scaled`; None past DISTANCES_MAX_ROWS
    pca_plane: PCA  # the 2-D PCA fitted on `scaled`
    reduced: np.ndarray  # (n, 2) `scaled` projected onto the PCA plane
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max of the map
    distinct_rows: int  # rows of `scaled` that differ, up to DISTINCT_COUNTED: k past it would leave clusters empty
    standardized: bool = True  # False: an upload clustered in its features' own units
    # The rows the map draws as dots: all of them, or past MAP_POINTS_MAX a fixed random sample
    # (sorted indices). Every fit and score still uses every row.
    drawn: np.ndarray | None = None  # None: all rows

    @property
    def labelled(self) -> bool:
        return self.target is not None

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


# 2,000² float64 is 32 MB; past it the silhouette is computed from the features (core.clustering).
DISTANCES_MAX_ROWS = 2_000
# Dots a browser draws (SVG) in a fraction of a second and a person can still tell apart: past
# them the map draws a sample, the same every time, and its key says so.
MAP_POINTS_MAX, MAP_SAMPLE_SEED = 5_000, 0


def drawn_rows(n_samples: int) -> np.ndarray | None:
    if n_samples <= MAP_POINTS_MAX:
        return None
    rows = np.sort(np.random.default_rng(MAP_SAMPLE_SEED).choice(n_samples, MAP_POINTS_MAX, replace=False))
    return _read_only(rows)


# Distinct rows are counted up to this many: past it they do not bound k (at most 30).
DISTINCT_COUNTED = 64


def count_distinct_rows(scaled: np.ndarray) -> int:
    """How many rows differ, up to DISTINCT_COUNTED: the first rows usually hold that many already, and
    only otherwise are all of them compared. Adding 0.0 turns -0.0 into 0.0, so that equal rows are
    never told apart by the sign of a zero."""
    rows = scaled + 0.0
    found = np.unique(rows[:4 * DISTINCT_COUNTED], axis=0).shape[0]
    if found < DISTINCT_COUNTED and len(rows) > 4 * DISTINCT_COUNTED:
        found = np.unique(rows, axis=0).shape[0]
    return int(min(found, DISTINCT_COUNTED))


def prepare(info: DatasetInfo, features: np.ndarray, target: np.ndarray | None, class_names: tuple[str, ...],
            feature_names: tuple[str, ...], *, standardize: bool = True, images: np.ndarray | None = None) -> Dataset:
    """A dataset ready to cluster: standardized (unless told not to), projected onto its first two
    principal components, its map's extent padded by MAP_MARGIN."""
    features = np.array(features, dtype=float)
    # Without standardizing, the scaler is the identity (and its inverse too).
    scaler = StandardScaler(with_mean=standardize, with_std=standardize).fit(features)
    scaled = scaler.transform(features)
    pca_plane = PCA(n_components=2).fit(scaled)
    reduced = pca_plane.transform(scaled)
    x_min, y_min = reduced.min(axis=0) - MAP_MARGIN
    x_max, y_max = reduced.max(axis=0) + MAP_MARGIN
    small = len(scaled) <= DISTANCES_MAX_ROWS
    return Dataset(
        info=info,
        features=_read_only(features),
        scaled=_read_only(scaled),
        scaler=scaler,
        target=None if target is None else _read_only(np.asarray(target)),
        class_names=tuple(class_names),
        feature_names=tuple(feature_names),
        images=None if images is None else _read_only(images),
        # The digits' 1797² float64 is 26 MB; it makes each silhouette ~4× faster, the same value.
        distances=_read_only(pairwise_distances(scaled, metric="euclidean")) if small else None,
        pca_plane=pca_plane,
        reduced=_read_only(reduced),
        extent=(float(x_min), float(x_max), float(y_min), float(y_max)),
        distinct_rows=count_distinct_rows(scaled),
        standardized=standardize,
        drawn=drawn_rows(len(scaled)),
    )


@lru_cache(maxsize=len(DATASETS))
def _built_in(key: str) -> Dataset:
    info = DATASETS[key]
    bunch = info.loader()
    names = info.class_names or tuple(str(name) for name in bunch.target_names)
    images = getattr(bunch, "images", None) if info.image_side else None
    return prepare(info, bunch.data, bunch.target, names, tuple(str(name) for name in bunch.feature_names),
                   images=images)


# Where datasets other than the built-in ones come from: each source maps a key to a Dataset, or
# None when the key is not its own. app.py (and every process that fits) adds the uploads' source.
_sources: list[Callable[[str], Dataset | None]] = []


def add_source(source: Callable[[str], Dataset | None]) -> None:
    if source not in _sources:
        _sources.append(source)


def remove_source(source: Callable[[str], Dataset | None]) -> None:
    if source in _sources:
        _sources.remove(source)


def find(key: object) -> Dataset | None:
    """The dataset under this key, or None when no built-in or source knows it."""
    if not isinstance(key, str):
        return None
    if key in DATASETS:
        return _built_in(key)
    return next((dataset for dataset in (source(key) for source in _sources) if dataset is not None), None)


def gone(key: object) -> bool:
    """An upload's key whose data is no longer kept: forgotten, replaced by another file, or past
    its time."""
    return isinstance(key, str) and key.startswith(UPLOAD_PREFIX) and find(key) is None


def file_part(key: str) -> str:
    """The dataset as a download's file name says it: an upload's key is its secret, never written."""
    return "upload" if key.startswith(UPLOAD_PREFIX) else key


def title_of(key: str) -> str:
    """The dataset's title, or, for an upload no longer kept (a job's result outlives it), a plain
    "Your upload (no longer kept)"."""
    dataset = find(key)
    return dataset.info.title if dataset is not None else "Your upload (no longer kept)"


def load(key: str = DEFAULT_DATASET) -> Dataset:
    """A dataset, prepared once per process; every caller shares its read-only arrays."""
    dataset = find(key)
    if dataset is None:
        raise KeyError(f"no dataset {file_part(key)!r}")
    return dataset
