"""The example's benchmark table, one row per init strategy, the selected one highlighted.

Each header is a button that explains its metric: it opens on hover, on keyboard focus and on a
tap (focus), not on mouse hover alone. A value is bold only when it beats the other rows by a
margin that matters (core.ranking); closer than that, no row wins the column.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dash import html

from core import datasets
from core.clustering import SILHOUETTE_SAMPLE, SILHOUETTE_SEED, InitBenchmark
from core.datasets import Dataset
from core.ranking import SCORE_MARGIN, clear_best, relative_margin
from core.settings import INIT_METHODS, Settings, limits

FIT_TIME_MARGIN = 0.10  # CPU times of one fit move by several % between runs: bold only a clear 10%


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    explanation: str
    value: Callable[[InitBenchmark], float]
    text: Callable[[float], str]
    higher_is_better: bool
    margin: Callable[[Sequence[float]], float]  # smallest lead that makes a value "best"


UNDEFINED = "—"  # a score scikit-learn leaves undefined (a sampled silhouette whose sample holds one cluster)
UNDEFINED_NOTE = f"{UNDEFINED}: silhouette undefined, its sample holds a single cluster"


def _score(value: float | None) -> str:
    return UNDEFINED if value is None else f"{value:.3f}"


def _scores(_values: Sequence[float]) -> float:
    return SCORE_MARGIN


COLUMNS = (
    Column("fit-time", "Fit time",
           "CPU time of KMeans.fit on the standardized data, one thread: n_init runs for k-means++ and "
           "random, one for PCA-based. Bold only when 10% faster than the others.",
           lambda r: r.fit_seconds, lambda v: f"{v * 1000:.0f} ms", False,
           lambda values: FIT_TIME_MARGIN * min(values)),
    Column("inertia", "Inertia",
           "Sum of squared distances from each sample to its centroid. Lower is tighter, but compare it "
           "only at equal k: more clusters always lower it.",
           lambda r: r.inertia, lambda v: f"{v:,.0f}", False, relative_margin),
    Column("homogeneity", "Homog.", "Homogeneity, 0 to 1: 1 when every cluster holds a single class.",
           lambda r: r.homogeneity, _score, True, _scores),
    Column("completeness", "Compl.", "Completeness, 0 to 1: 1 when every class sits in a single cluster.",
           lambda r: r.completeness, _score, True, _scores),
    Column("v-measure", "V-meas.", "V-measure, 0 to 1: the harmonic mean of homogeneity and completeness.",
           lambda r: r.v_measure, _score, True, _scores),
    Column("ari", "ARI",
           "Adjusted Rand index against the true classes: 0 = chance agreement, 1 = perfect.",
           lambda r: r.adjusted_rand, _score, True, _scores),
    Column("ami", "AMI",
           "Adjusted mutual information against the true classes: 0 = chance, 1 = perfect.",
           lambda r: r.adjusted_mutual_info, _score, True, _scores),
    Column("silhouette", "Silhouette",
           "Exact silhouette over every sample, euclidean, on the standardized data: −1 to 1, "
           "higher means tighter, better separated clusters. It never looks at the labels.",
           lambda r: r.silhouette, _score, True, _scores),
)
# Without labels: the scores that judge the clusters' shape alone.
SHAPE_COLUMNS = (
    Column("calinski-harabasz", "Calinski–H.",
           "Calinski–Harabasz index: between-cluster over within-cluster dispersion. Higher is better "
           "separated; compare it only at equal k.",
           lambda r: r.calinski_harabasz, lambda v: f"{v:,.1f}", True, relative_margin),
    Column("davies-bouldin", "Davies–B.",
           "Davies–Bouldin index: each cluster's average similarity to its most similar one. Lower is "
           "better separated; 0 is the best.",
           lambda r: r.davies_bouldin, _score, False, _scores),
)


def _silhouette_column(dataset: Dataset) -> Column:
    data = "standardized data" if dataset.standardized else "data in its own units"
    if dataset.n_samples > SILHOUETTE_SAMPLE:
        what = (f"Silhouette of a random sample of {SILHOUETTE_SAMPLE:,} of the {dataset.n_samples:,} rows "
                f"(seed {SILHOUETTE_SEED}), euclidean, on the {data}")
    else:
        what = f"Exact silhouette over every sample, euclidean, on the {data}"
    return Column("silhouette", "Silhouette", f"{what}: −1 to 1, higher means tighter, better separated clusters. "
                  "It never looks at the labels.", lambda r: r.silhouette, _score, True, _scores)


def columns_for(dataset: Dataset) -> tuple[Column, ...]:
    """The example's columns for labelled data; without labels, the shape scores instead."""
    fit_time, inertia = COLUMNS[0], COLUMNS[1]
    if not dataset.standardized:
        fit_time = dataclasses.replace(fit_time, explanation=fit_time.explanation.replace(
            "standardized data", "data in its own units"))
    if dataset.labelled:
        return (fit_time, inertia, *COLUMNS[2:-1], _silhouette_column(dataset))
    return (fit_time, inertia, _silhouette_column(dataset), *SHAPE_COLUMNS)


# Columns a seed-stability run measures, by the metric name it reports them under (core.sweeps.METRICS).
SPREAD_METRICS = {"inertia": "inertia", "ari": "adjusted_rand", "ami": "adjusted_mutual_info",
                  "silhouette": "silhouette", "calinski-harabasz": "calinski_harabasz",
                  "davies-bouldin": "davies_bouldin"}


def best_rows(results: Sequence[InitBenchmark], column: Column, spread: dict | None = None) -> int | None:
    """The row that clearly wins this column, or None when the lead is within the margin, or, given
    `spread` ({init: {metric: (low, high)}} over seeds), when it does not clear the seed spread."""
    values = [column.value(result) for result in results]
    if any(value is None for value in values):
        return None
    intervals = None
    if spread is not None and column.key in SPREAD_METRICS:
        intervals = [spread[result.init_method][SPREAD_METRICS[column.key]] for result in results]
    return clear_best(values, column.higher_is_better, column.margin(values), intervals)


def _header(column: Column) -> html.Th:
    tip = f"explain-{column.key}"
    return html.Th(
        [html.Button(column.header, className="th-help", **{"aria-describedby": tip}),
         html.Span(column.explanation, id=tip, role="tooltip", className="explain")],
        scope="col",
    )


def table_caption(settings: Settings, spread: dict | None = None) -> str:
    dataset = datasets.load(settings.dataset)
    scaled = "standardized" if dataset.standardized else "in its own units"
    caption = (f"{dataset.info.title}, {scaled} · k = {settings.n_clusters}, "
               f"n_init = {settings.n_init}, seed = {settings.seed} (PCA-based: one deterministic run) · "
               "bold: clearly best in its column")
    if spread is not None:
        measured = "inertia, ARI, AMI and silhouette" if dataset.labelled else \
            "inertia, silhouette, Calinski–Harabasz and Davies–Bouldin"
        caption += f"; for {measured}, also beyond the seed spread (95% of seeds)"
    if dataset.n_samples > SILHOUETTE_SAMPLE:
        caption += f" · silhouette sampled: {SILHOUETTE_SAMPLE:,} of {dataset.n_samples:,} rows"
    return caption


def metrics_table(results: Sequence[InitBenchmark], settings: Settings, spread: dict | None = None) -> html.Div:
    """A plain table: a clearly best value in bold, the selected init's row highlighted; with `spread`
    (a seed-stability run at these k and n_init), bold only beyond the seed spread."""
    columns = columns_for(datasets.load(settings.dataset))
    best = {column.key: best_rows(results, column, spread) for column in columns}
    header = html.Tr([html.Th("Init", scope="col")] + [_header(column) for column in columns])
    rows = []
    for index, result in enumerate(results):
        cells = [html.Th(result.init_method, className="init-name", scope="row")]
        for column in columns:
            cells.append(html.Td(column.text(column.value(result)),
                                 className="best" if best[column.key] == index else None))
        is_selected = result.init_method == settings.init_method
        rows.append(
            html.Tr(
                cells,
                className="selected" if is_selected else None,
                **{"data-init": result.init_method, "aria-selected": "true" if is_selected else "false"},
            )
        )
    shown = {result.init_method for result in results}
    for method in (m for m in INIT_METHODS if m not in shown):  # PCA-based past the number of features
        rows.append(html.Tr([html.Th(method, className="init-name", scope="row"),
                             html.Td(f"Not available: {method} seeding needs k ≤ {limits(settings.dataset).pca_max_k} "
                                     "(the number of features)", colSpan=len(columns), className="unavailable")],
                            className="unavailable", **{"data-unavailable": method}))
    # The caption is a paragraph under the table, not a <caption>: a caption is as wide as its
    # table and scrolls out of sight with it on a narrow screen.
    return html.Div([html.Table([html.Thead(header), html.Tbody(rows)], className="metrics",
                                **{"aria-describedby": "metrics-caption"}),
                     html.P(table_caption(settings, spread) + (f" · {UNDEFINED_NOTE}" if any(
                         result.silhouette is None for result in results) else ""),
                         id="metrics-caption", className="table-caption")])
