"""The k sweep: the elbow (inertia) above, the label-agreement and shape scores below, against k."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.boundary_figure import FONT_STACK
from core import datasets
from core.datasets import file_part
from core.sweeps import KSweep

# Score traces on the lower panel (all on 0..1 or -1..1): field, legend label, colour, dash.
SCORES = (
    ("silhouette", "Silhouette", "#bd1f01", "solid"),
    ("adjusted_rand", "ARI", "#3f90da", "solid"),
    ("adjusted_mutual_info", "AMI", "#832db6", "dash"),
    ("matched_accuracy", "Matched accuracy", "#e76300", "dot"),
)
CURRENT_K_SHAPE = "current-k"  # the shape marking the selected k (moved in the browser)


def current_k_line(k: int | None) -> dict:
    """A vertical line at k across both panels; transparent when k is not a valid number."""
    x = k if isinstance(k, int) else 0
    return {"name": CURRENT_K_SHAPE, "type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x,
            "y0": 0, "y1": 1, "line": {"color": "#7a8290", "width": 1.5, "dash": "dot"},  # >= 3:1 on either theme
            "opacity": 0.7 if isinstance(k, int) else 0, "layer": "below"}


def job_figure_layout(figure: go.Figure, **extra) -> go.Figure:
    """The jobs' plots: transparent, so they sit on the card in either theme (assets/themes.css
    gives their text and grid the theme's colours)."""
    defaults = {"margin": {"l": 64, "r": 12, "t": 36, "b": 44}, "hovermode": "x unified",
                "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}}
    figure.update_layout(template="plotly_white", font={"family": FONT_STACK, "size": 13},
                         paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)", **{**defaults, **extra})
    return figure


def sweep_figure(sweep: KSweep, current_k: int | None) -> go.Figure:
    """Inertia and the scores against k; every point carries its k (clicking one selects that k)."""
    ks = sweep.ks
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06, row_heights=[0.42, 0.58])
    figure.add_trace(go.Scatter(
        x=ks, y=[p.inertia for p in sweep.points], customdata=ks, name="Inertia", mode="lines+markers",
        line={"color": "#5b6475"}, marker={"size": 7}, hovertemplate="%{y:,.0f}",
    ), row=1, col=1)
    for field, label, colour, dash in SCORES:
        values = [getattr(p, field) for p in sweep.points]
        if all(value is None for value in values):  # data without labels: no agreement with them
            continue
        figure.add_trace(go.Scatter(
            x=ks, y=values, customdata=ks, name=label, mode="lines+markers",
            line={"color": colour, "dash": dash}, marker={"size": 6}, hovertemplate="%{y:.3f}",
        ), row=2, col=1)
    # A fixed range: the selected k's line never stretches the axis when k lies outside the sweep.
    figure.update_xaxes(range=[ks[0] - 0.5, ks[-1] + 0.5], dtick=2 if len(ks) > 15 else 1)
    figure.update_xaxes(title_text="k (clusters)", row=2, col=1)
    figure.update_yaxes(title_text="Inertia (elbow)", tickformat=",.0f", row=1, col=1)
    figure.update_yaxes(title_text="Score", row=2, col=1)
    # The legend at the top of the figure, over the plot's width, in rows of its own: the plot
    # starts below it (a margin reserved for it, not pushed after drawing), so it never lies over
    # the lines or past the plot's edge, at any width and after a resize (presenter mode).
    return job_figure_layout(figure, shapes=[current_k_line(current_k)], clickmode="event",
                             margin={"l": 64, "r": 12, "t": 8, "b": 44},
                             legend={"orientation": "h", "x": 0, "xanchor": "left", "xref": "paper",
                                     "y": 1, "yanchor": "top", "yref": "container"})


def sweep_caption(sweep: KSweep) -> str:
    """What the sweep clustered (every feature of the data, not the map's plane) and how."""
    dataset = datasets.find(sweep.dataset)
    scope = ("its features" if dataset is None else
             f"all {dataset.n_features} features, {'standardized' if dataset.standardized else 'in their own units'}")
    how = ("PCA-based (deterministic, 1 run)" if sweep.init_method == "PCA-based"  # no seed: it uses none
           else f"{sweep.init_method} (n_init {sweep.n_init}) · seed {sweep.seed}")
    return f"{datasets.title_of(sweep.dataset)}, {scope} · {how} · k {sweep.ks[0]}–{sweep.ks[-1]}"


def sweep_table(sweep: KSweep) -> pd.DataFrame:
    """The sweep as rows, one per k (the CSV download)."""
    frame = pd.DataFrame([{
        "k": p.n_clusters, "inertia": p.inertia, "silhouette": p.silhouette, "ari": p.adjusted_rand,
        "ami": p.adjusted_mutual_info, "matched_accuracy": p.matched_accuracy,
    } for p in sweep.points])
    return frame


def sweep_file_name(sweep: KSweep) -> str:
    runs = "1" if sweep.init_method == "PCA-based" else str(sweep.n_init)
    return (f"k-sweep_{file_part(sweep.dataset)}_{sweep.init_method}_k{sweep.ks[0]}-{sweep.ks[-1]}_n_init{runs}"
            f"_seed{sweep.seed}.csv")
