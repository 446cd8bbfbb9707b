"""The 64-D views of a configuration, as the table callback sends them: the metrics table, the
headline and verdict, and the selected init's clusters as digits (gallery, matrix, names).

All come from the table's fits (core.clustering: no extra fit), are built once per configuration
(the mesh step changes none of them) and go out with the table, gallery and matrix as HTML in one
store (components/html_string.py), which assets/html_views.js writes into the page.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

from components.cluster_views import centroid_gallery, digit_matrix, matrix_summary
from components.headline import matched_accuracy, verdict
from components.html_string import to_html
from components.metrics_table import metrics_table
from core import data
from core.clustering import fitted_inits
from core.matching import ClusterMatching, chance_accuracy, match_clusters
from core.pixels import centroid_pixels
from core.settings import DEFAULTS, INIT_METHODS, Settings

# The views sent as HTML in one store (components/html_string.py): view → the container it fills.
HTML_VIEWS = {"table": "metrics-table", "gallery": "centroid-gallery", "matrix": "cluster-digit-matrix"}


def cluster_names(matching: ClusterMatching, labels) -> dict:
    """A store's value: each cluster's name and digit, and each sample's cluster (for the tooltip)."""
    return {"names": list(matching.names), "digits": matching.digit.tolist(), "labels": labels.tolist()}


def model_clusters(init_method: str, matching: ClusterMatching, labels) -> dict:
    return {**cluster_names(matching, labels), "init": init_method}


def sent_views(views: dict) -> dict:
    """The views as the table callback sends them: table, gallery and matrix as one store of HTML."""
    sent = {name: view for name, view in views.items() if name not in HTML_VIEWS}
    sent["views"] = {container: to_html(views[name]) for name, container in HTML_VIEWS.items()}
    return sent


def results(settings: Settings, spread: dict | None = None) -> dict:
    """Everything the 64-D fits show: the table, the headline and verdict, and the selected init's
    clusters as digits (gallery, matrix, names). All from the table's cached fits: no extra fit.
    `spread`: the seed spread of a stability run at these k and n_init (bold and verdict respect it)."""
    views = dict(_results(_table_settings(settings)))
    if spread is not None:  # the table and verdict again, judged against the seeds' spread
        scores = [row.scores for row in fitted_inits(settings.n_clusters, settings.n_init, settings.seed)]
        views["table"] = metrics_table(scores, settings, spread)
        views["verdict"] = verdict(scores, spread)
    return views


def sent_results(settings: Settings, spread: dict | None = None) -> dict:
    """`results` as the table callback sends them (`sent_views`); without a spread, written once
    per configuration."""
    if spread is not None:
        return sent_views(results(settings, spread))
    return _sent_results(_table_settings(settings))


def _table_settings(settings: Settings) -> Settings:
    """The key of the table's views: the mesh step changes none of them."""
    return dataclasses.replace(settings, mesh_step=DEFAULTS["mesh_step"])


@lru_cache(maxsize=64)  # the HTML of a configuration's views: 4 ms at k = 10, 12 ms at k = 30
def _sent_results(settings: Settings) -> dict:
    return sent_views(_results(settings))


@lru_cache(maxsize=64)  # ~15 ms of components per configuration; a repeat (or a mesh change) reuses them
def _results(settings: Settings) -> dict:
    rows = fitted_inits(settings.n_clusters, settings.n_init, settings.seed)
    selected = rows[INIT_METHODS.index(settings.init_method)].fit
    digits = data.load()
    matching = match_clusters(digits.target, selected.labels, settings.n_clusters)
    scores = [row.scores for row in rows]
    return {
        "table": metrics_table(scores, settings),
        "accuracy": matched_accuracy(settings.init_method, matching,
                                     chance_accuracy(digits.target, selected.labels, settings.n_clusters)),
        "verdict": verdict(scores),
        "gallery": centroid_gallery(matching, centroid_pixels(selected.centers, digits.scaler)),
        "matrix": digit_matrix(matching),
        "matrix_summary": matrix_summary(matching),
        "model_clusters": model_clusters(settings.init_method, matching, selected.labels),
    }
