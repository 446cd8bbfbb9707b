"""The example's benchmark table, one row per init strategy, the selected one highlighted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dash import html

from core.clustering import InitBenchmark


@dataclass(frozen=True)
class Column:
    header: str
    explanation: str
    value: Callable[[InitBenchmark], float]
    text: Callable[[float], str]
    higher_is_better: bool


def _score(value: float) -> str:
    return f"{value:.3f}"


COLUMNS = (
    Column("Fit time", "CPU time of KMeans.fit on the standardized data (one thread)", lambda r: r.fit_seconds,
           lambda v: f"{v * 1000:.0f} ms", False),
    Column("Inertia", "Sum of squared distances to the nearest centroid (lower is tighter)",
           lambda r: r.inertia, lambda v: f"{v:,.0f}", False),
    Column("Homog.", "Homogeneity: each cluster holds one digit", lambda r: r.homogeneity, _score, True),
    Column("Compl.", "Completeness: each digit sits in one cluster", lambda r: r.completeness, _score, True),
    Column("V-meas.", "V-measure: harmonic mean of homogeneity and completeness", lambda r: r.v_measure,
           _score, True),
    Column("ARI", "Adjusted Rand index against the true digits", lambda r: r.adjusted_rand, _score, True),
    Column("AMI", "Adjusted mutual information against the true digits", lambda r: r.adjusted_mutual_info,
           _score, True),
    Column("Silhouette", "Exact silhouette, euclidean, on the standardized data", lambda r: r.silhouette,
           _score, True),
)


def _best(results: Sequence[InitBenchmark], column: Column) -> float:
    values = [column.value(result) for result in results]
    return max(values) if column.higher_is_better else min(values)


def metrics_table(results: Sequence[InitBenchmark], selected: str) -> html.Table:
    """A plain table: the best value of each column in bold, the selected init's row highlighted."""
    best = {column.header: column.text(_best(results, column)) for column in COLUMNS}
    header = html.Tr(
        [html.Th("Init")] + [html.Th(column.header, title=column.explanation) for column in COLUMNS]
    )
    rows = []
    for result in results:
        cells = [html.Td(result.init_method, className="init-name")]
        for column in COLUMNS:
            text = column.text(column.value(result))
            cells.append(html.Td(text, className="best" if text == best[column.header] else None))
        is_selected = result.init_method == selected
        rows.append(
            html.Tr(
                cells,
                className="selected" if is_selected else None,
                **{"data-init": result.init_method, "aria-selected": "true" if is_selected else "false"},
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="metrics")
