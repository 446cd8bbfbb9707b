"""The views of a configuration's table fits: the metrics table, the headline and verdict, and the
selected init's clusters (gallery, matrix, names). All from the table's rows: no extra fit. The
table, gallery and matrix go out as HTML text for dcc.Markdown (components/html_text.py)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from components.cluster_views import centroid_gallery, class_matrix, matrix_summary, no_classes_note
from components.headline import cluster_split, matched_accuracy, verdict
from components.html_text import html_view
from components.metrics_table import metrics_table
from core import datasets
from core.clustering import TableRow, row_for
from core.matching import ClusterMatching, chance_accuracy, matching_for
from core.pixels import centroid_pixels, centroids_in_units
from core.settings import Settings


def cluster_names(matching: ClusterMatching, labels) -> dict:
    """A store's value: each cluster's name and label, and each sample's cluster (for the tooltip)."""
    return {"names": list(matching.names), "labels": [matching.label(c) for c in range(matching.n_clusters)],
            "clusters": labels.tolist()}


def results(settings: Settings, rows: Sequence[TableRow], spread: dict | None = None) -> dict:
    """Everything the table's fits show. `spread`: the seed spread of a stability run at these k
    and n_init ({init: {metric: (low, high)}}); bold marks and the verdict then respect it."""
    if spread is None:
        return dict(_results(settings.dataset, settings.init_method, settings.n_clusters, settings.n_init,
                              settings.seed, tuple(rows)))
    views = dict(_results(settings.dataset, settings.init_method, settings.n_clusters, settings.n_init,
                          settings.seed, tuple(rows)))
    scores = [row.scores for row in rows]
    views["table"] = html_view(metrics_table(scores, settings, spread))
    views["verdict"] = verdict(scores, settings.init_method, datasets.load(settings.dataset), spread)
    return views


@lru_cache(maxsize=64)  # a repeat (or a mesh-step change) builds nothing again
def _results(dataset_key: str, init_method: str, n_clusters: int, n_init: int, seed: int,
             rows: tuple[TableRow, ...]) -> dict:
    dataset = datasets.load(dataset_key)
    settings = Settings(dataset_key, init_method, n_init, n_clusters, seed, 0.02)
    selected = row_for(rows, init_method).fit
    matching = matching_for(dataset, selected.labels, n_clusters)
    scores = [row.scores for row in rows]
    if dataset.images is not None:
        centroids = centroid_pixels(selected.centers, dataset.scaler, dataset.info.image_side)
    else:
        centroids = centroids_in_units(selected.centers, dataset.scaler)
    if dataset.labelled:
        chance = chance_accuracy(dataset.target, selected.labels, n_clusters, dataset.n_classes)
        accuracy = matched_accuracy(init_method, matching, chance, dataset)
        matrix, summary = class_matrix(matching), matrix_summary(matching)
    else:
        accuracy = cluster_split(init_method, matching, row_for(rows, init_method).scores.silhouette, dataset)
        matrix, summary = no_classes_note(), ""
    return {
        "table": html_view(metrics_table(scores, settings)),
        "accuracy": accuracy,
        "verdict": verdict(scores, init_method, dataset),
        "gallery": html_view(centroid_gallery(matching, centroids, dataset), "centroid-grid"),
        "matrix": html_view(matrix),
        "matrix_summary": summary,
        "model_clusters": {**cluster_names(matching, selected.labels), "init": init_method},
    }
