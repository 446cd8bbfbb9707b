"""Seed stability: each metric's spread over the seeds, per init (strips), and mean ± sd in a table."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html
from plotly.subplots import make_subplots

from components.sweep_figure import job_figure_layout
from core import datasets
from core.datasets import file_part
from core.sweeps import Stability

# Each at least 3:1 against the card in either theme.
INIT_COLOURS = {"k-means++": "#3f90da", "random": "#e76300", "PCA-based": "#1f9e89"}
FORMATS = {"inertia": ",.0f", "silhouette": ".3f", "adjusted_rand": ".3f", "adjusted_mutual_info": ".3f",
           "calinski_harabasz": ",.1f", "davies_bouldin": ".3f"}


def _jitter(count: int) -> np.ndarray:
    """Fixed horizontal offsets for a strip of `count` dots (the same picture every time)."""
    return np.linspace(-0.22, 0.22, count) if count > 1 else np.zeros(1)


def stability_figure(result: Stability) -> go.Figure:
    """One panel per metric: every seed's value as a dot, per init, and a bar over the middle 95%
    of the seeds with the mean marked. PCA-based is one diamond: deterministic."""
    labels = result.metric_names
    names = list(labels)
    # 2 × 2 panels: readable from a phone's width to half a laptop's.
    figure = make_subplots(rows=2, cols=2, subplot_titles=[labels[n] for n in names],
                           horizontal_spacing=0.16, vertical_spacing=0.16)
    for index, name in enumerate(names):
        panel = {"row": index // 2 + 1, "col": index % 2 + 1}
        column = index + 1
        for position, row in enumerate(result.inits):
            spread = row.metrics[name]
            colour = INIT_COLOURS.get(row.init_method, "#5b6475")
            hover = f"{row.init_method}<br>%{{y:{FORMATS[name]}}}"
            if row.deterministic:
                figure.add_trace(go.Scatter(
                    x=[position], y=[spread.mean], mode="markers", name=row.init_method, legendgroup=row.init_method,
                    showlegend=column == 1, marker={"color": colour, "size": 10, "symbol": "diamond"},
                    hovertemplate=hover + " (deterministic)<extra></extra>",
                ), **panel)
                continue
            figure.add_trace(go.Scatter(
                x=(position + _jitter(len(spread.values))).tolist(), y=list(spread.values), mode="markers",
                name=row.init_method, legendgroup=row.init_method, showlegend=column == 1,
                marker={"color": colour, "size": 5, "opacity": 0.55}, hovertemplate=hover + "<extra>one seed</extra>",
            ), **panel)
            figure.add_trace(go.Scatter(
                x=[position + 0.36], y=[spread.mean], mode="markers", legendgroup=row.init_method, showlegend=False,
                marker={"color": colour, "size": 8, "symbol": "line-ew-open", "line": {"width": 2}},
                error_y={"type": "data", "symmetric": False, "array": [spread.high - spread.mean],
                         "arrayminus": [spread.mean - spread.low], "color": colour, "thickness": 2, "width": 4},
                hovertemplate=(f"{row.init_method} mean %{{y:{FORMATS[name]}}}<br>95% of seeds: "
                               f"{spread.low:{FORMATS[name]}} – {spread.high:{FORMATS[name]}}<extra></extra>"),
            ), **panel)
        figure.update_yaxes(tickformat=FORMATS[name], **panel)
    figure.update_xaxes(showticklabels=False, range=[-0.6, len(result.inits) - 0.4], showgrid=False, zeroline=False)
    return job_figure_layout(figure, hovermode="closest", margin={"l": 56, "r": 12, "t": 28, "b": 12},
                   legend={"orientation": "h", "x": 0, "y": -0.04, "yanchor": "top"})


def _undefined(value: float | None) -> bool:
    """A seed's score scikit-learn left undefined (NaN here, null once through JSON)."""
    return value is None or math.isnan(value)


def _cell(result: Stability, init: str, name: str) -> str:
    spread = result.by_init()[init].metrics[name]
    fmt = FORMATS[name]
    if _undefined(spread.mean):
        return "undefined"
    if result.by_init()[init].deterministic:
        return f"{spread.mean:{fmt}} ± 0"
    return f"{spread.mean:{fmt}} ± {spread.sd:{fmt}}"


def stability_table(result: Stability) -> html.Div:
    """mean ± sd per metric (rows) and init (columns), and the middle 95% of seeds under it."""
    header = html.Tr([html.Th("Metric", scope="col")] + [
        html.Th(row.init_method + (" *" if row.deterministic else ""), scope="col") for row in result.inits])
    rows = []
    for name, label in result.metric_names.items():
        fmt = FORMATS[name]
        cells = [html.Th(label, scope="row")]
        for row in result.inits:
            spread = row.metrics[name]
            undefined = sum(_undefined(value) for value in spread.values)
            small = [] if _undefined(spread.mean) else [html.Small(f"95%: {spread.low:{fmt}}–{spread.high:{fmt}}")]
            if undefined:  # a sampled silhouette whose sample held a single cluster
                small.append(html.Small(f"undefined for {undefined} of {len(spread.values)} seeds"))
            cells.append(html.Td([html.Span(_cell(result, row.init_method, name)), *small],
                                 **{"data-init": row.init_method}))
        rows.append(html.Tr(cells, **{"data-metric": name}))
    seeds = f"seeds {result.seeds[0]}…{result.seeds[-1]}" if len(result.seeds) > 1 else f"seed {result.seeds[0]}"
    title = datasets.title_of(result.dataset)
    note = (f"{title}: {len(result.seeds)} seeds ({seeds}) at k {result.n_clusters}, "
            f"n_init {result.n_init}: mean ± "
            "standard deviation; 95%: the middle 95% of the seeds' values. * PCA-based seeding is "
            "deterministic: fitted once, its spread is 0 by construction.")
    return html.Div([html.Table([html.Thead(header), html.Tbody(rows)], className="stability-table"),
                     html.P(note, className="section-note")])


def stability_frame(result: Stability) -> pd.DataFrame:
    """Every fit as a row (the CSV download); the deterministic init has one row, seed empty."""
    rows = []
    for row in result.inits:
        seeds = [None] if row.deterministic else list(result.seeds)
        for index, seed in enumerate(seeds):
            rows.append({"init": row.init_method, "seed": seed, "deterministic": row.deterministic,
                         **{name: row.metrics[name].values[index] for name in result.metric_names}})
    frame = pd.DataFrame(rows).rename(columns={"adjusted_rand": "ari", "adjusted_mutual_info": "ami"})
    return frame.astype({"seed": "Int64"})  # whole numbers, the deterministic row's left empty


def stability_file_name(result: Stability) -> str:
    return (f"seed-stability_{file_part(result.dataset)}_k{result.n_clusters}_n_init{result.n_init}_"
            f"seeds{result.seeds[0]}+{len(result.seeds)}.csv")
