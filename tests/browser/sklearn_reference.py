"""What the page should show, computed here with plain scikit-learn calls (not the app's code):
the datasets standardized, KMeans built per init as the app builds them (core.clustering.make_kmeans),
the example's metrics (core.clustering.score), and the Hungarian-matched accuracy.

The test process runs OpenMP/BLAS on one thread (tests/conftest.py), as the app's fits do.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.metrics.cluster import contingency_matrix
from sklearn.preprocessing import StandardScaler

from tests.browser.pages import number_in

LOADERS = {"digits": load_digits, "iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer}
INITS = ("k-means++", "random", "PCA-based")
# The table's columns by header, and which value of a row each shows (the fit time is a timing).
SHOWN_METRICS = {"Inertia": "inertia", "Homog.": "homogeneity", "Compl.": "completeness", "V-meas.": "v_measure",
                 "ARI": "adjusted_rand", "AMI": "adjusted_mutual_info", "Silhouette": "silhouette"}


@lru_cache(maxsize=8)
def standardized(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    """(standardized features, true classes)."""
    bunch = LOADERS[dataset]()
    return StandardScaler().fit_transform(np.asarray(bunch.data, dtype=float)), np.asarray(bunch.target)


def n_features(dataset: str) -> int:
    return standardized(dataset)[0].shape[1]


def inits_at(dataset: str, k: int) -> tuple[str, ...]:
    """PCA-based seeding takes k principal axes: only up to the number of features."""
    return tuple(init for init in INITS if init != "PCA-based" or k <= n_features(dataset))


@lru_cache(maxsize=64)
def fit(dataset: str, init: str, k: int, n_init: int, seed: int) -> tuple[np.ndarray, float]:
    """(labels, inertia) of the init's KMeans on the standardized data."""
    features, _ = standardized(dataset)
    if init == "PCA-based":  # deterministic: one run, and the app fits it with seed 0 whatever the page's
        model = KMeans(init=PCA(n_components=k).fit(features).components_, n_clusters=k, n_init=1, random_state=0)
    else:
        model = KMeans(init=init, n_clusters=k, n_init=n_init, random_state=seed)
    model.fit(features)
    return model.labels_, float(model.inertia_)


@lru_cache(maxsize=64)
def table(dataset: str, k: int, n_init: int, seed: int) -> dict[str, dict[str, float]]:
    """{init: {metric: value}} for every init the table can show at this k."""
    features, truth = standardized(dataset)
    rows = {}
    for init in inits_at(dataset, k):
        found, inertia = fit(dataset, init, k, n_init, seed)
        homogeneity, completeness, v_measure = metrics.homogeneity_completeness_v_measure(truth, found)
        rows[init] = {
            "inertia": inertia,
            "homogeneity": homogeneity, "completeness": completeness, "v_measure": v_measure,
            "adjusted_rand": metrics.adjusted_rand_score(truth, found),
            "adjusted_mutual_info": metrics.adjusted_mutual_info_score(truth, found),
            "silhouette": metrics.silhouette_score(features, found, metric="euclidean"),
        }
    return rows


def matched_accuracy(dataset: str, init: str, k: int, n_init: int, seed: int) -> float:
    """Share of samples in the cluster matched to their class (Hungarian, one cluster per class)."""
    _, truth = standardized(dataset)
    counts = contingency_matrix(truth, fit(dataset, init, k, n_init, seed)[0])
    classes, clusters = linear_sum_assignment(counts, maximize=True)
    return counts[classes, clusters].sum() / len(truth)


def shown_precision(text: str) -> float:
    """Half a unit in the last place the text shows ("0.603" → 0.0005, "69,405" → 0.5)."""
    digits = text.split(".")[1] if "." in text else ""
    decimals = len(re.sub(r"\D.*", "", digits))
    return 0.5 * 10.0 ** -decimals


def table_differences(shown: dict[str, dict[str, str]], expected: dict[str, dict[str, float]]) -> list[str]:
    """Each shown cell that is not scikit-learn's value at the precision it is shown with."""
    problems = []
    if sorted(shown) != sorted(expected):
        return [f"rows {sorted(shown)} shown, {sorted(expected)} expected"]
    for init, values in expected.items():
        for header, metric in SHOWN_METRICS.items():
            text = shown[init].get(header)
            if text is None:
                problems.append(f"{init}: no {header} cell")
                continue
            value = values[metric]
            if abs(number_in(text) - value) > shown_precision(text) + 1e-9 * max(1.0, abs(value)):
                problems.append(f"{init} {header}: shown {text}, scikit-learn {value!r}")
    return problems

