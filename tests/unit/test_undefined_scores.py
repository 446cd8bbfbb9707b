"""A sampled silhouette scikit-learn leaves undefined (its sample holds a single cluster) is shown as
undefined everywhere, never as a number, a crash or "nan"."""

from __future__ import annotations

import dataclasses

import numpy as np

from components.headline import cluster_split, shape_verdict
from components.metrics_table import UNDEFINED, UNDEFINED_NOTE, metrics_table
from components.stability_view import stability_table
from core.clustering import InitBenchmark
from core.datasets import load
from core.matching import numbered_clusters
from core.settings import DEFAULTS, Settings
from core.sweeps import InitStability, Stability, spread


def _text(component) -> str:
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(_text(child) for child in component)
    return _text(getattr(component, "children", None) or "")


def _rows(silhouettes):
    return [InitBenchmark(init, 0.01, 100.0 + index, 0.5, 0.5, 0.5, 0.4, 0.4, value)
            for index, (init, value) in enumerate(zip(("k-means++", "random", "PCA-based"), silhouettes, strict=True))]


def test_the_table_shows_a_dash_says_why_and_bolds_no_silhouette():
    settings = Settings(**{**DEFAULTS, "dataset": "iris", "n_clusters": 3})
    table = metrics_table(_rows([0.41, None, 0.52]), settings)
    silhouette_cells = [row.children[-1] for row in table.children[0].children[1].children]  # its last column
    assert [_text(cell) for cell in silhouette_cells] == ["0.410", UNDEFINED, "0.520"]
    assert all(cell.className != "best" for cell in silhouette_cells)  # 0.52 is not "clearly best" over unknown
    assert _text(table.children[1]).endswith(UNDEFINED_NOTE)
    defined = metrics_table(_rows([0.41, 0.45, 0.52]), settings)
    assert UNDEFINED_NOTE not in _text(defined.children[1])


def test_the_headline_and_verdict_say_undefined():
    labels = np.array([0] * 30 + [1])
    split = _text(cluster_split("k-means++", numbered_clusters(labels, 2), None, load("iris")))
    assert "Silhouette undefined (its sample of rows holds a single cluster)" in split
    verdict = shape_verdict(_rows([0.41, None, 0.52]), "k-means++")
    assert verdict.startswith("No clear winner") and "random undefined" in verdict and "nan" not in verdict


def test_the_seed_spread_is_over_the_seeds_that_have_a_silhouette():
    values = [0.3, None, 0.5, 0.4]
    measured = spread(values)
    assert measured.mean == np.mean([0.3, 0.5, 0.4]) and measured.sd == np.std([0.3, 0.5, 0.4], ddof=1)
    assert np.isnan(measured.values[1])
    nothing = spread([None, None])
    inertia = spread([1.0, 2.0])
    stability = Stability("iris", 3, 10, (0, 1), (
        InitStability("k-means++", False, {"inertia": inertia, "silhouette": dataclasses.replace(nothing)}),
        InitStability("random", False, {"inertia": inertia, "silhouette": spread([0.3, None])})))
    text = _text(stability_table(stability))
    assert "undefined" in text and "undefined for 2 of 2 seeds" in text and "undefined for 1 of 2 seeds" in text
    assert "nan" not in text.lower()
