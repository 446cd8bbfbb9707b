"""The decision-boundary map: region raster, digits coloured by their true label, numbered centroids."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from dash import Patch
from PIL import Image

from components.palette import DIGIT_COLOURS, region_colour_slots, region_rgb
from core.boundary import Boundary

CENTROIDS_TRACE = "centroids"
# System fonts only: the app works offline and ships no font files.
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
DIGIT_TRACES = 10  # one trace per true digit, so the legend can hide any of them


@lru_cache(maxsize=32)  # keyed by the cached Boundary object itself
def region_image(boundary: Boundary) -> dict:
    """The regions as one palette PNG, a pixel per mesh cell, placed over the mesh extent.

    A PNG of ~10 KB replaces ~880k heatmap cells (4.7 MB of JSON at h=0.02).
    """
    slots = region_colour_slots(boundary.labels, boundary.settings.n_clusters)
    picture = Image.fromarray(slots[boundary.labels[::-1]])  # PNG rows run top-down
    picture.putpalette(region_rgb())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    step = boundary.settings.mesh_step
    return {
        "source": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
        "xref": "x",
        "yref": "y",
        # Each mesh point is the centre of its pixel.
        "x": float(boundary.xs[0] - step / 2),
        "y": float(boundary.ys[-1] + step / 2),
        "sizex": float(len(boundary.xs) * step),
        "sizey": float(len(boundary.ys) * step),
        "sizing": "stretch",
        "layer": "below",
    }


def centroid_trace(boundary: Boundary) -> dict:
    centroids = boundary.centroids
    numbers = [str(cluster + 1) for cluster in range(len(centroids))]
    return {
        "x": centroids[:, 0].tolist(),
        "y": centroids[:, 1].tolist(),
        "text": numbers,
        "customdata": boundary.cluster_sizes.tolist(),
        "hovertemplate": "Centroid of cluster %{text}<br>%{customdata} digits<extra></extra>",
    }


def _digit_traces(points: np.ndarray, target: np.ndarray) -> list[go.Scatter]:
    traces = []
    for digit in range(DIGIT_TRACES):
        members = np.flatnonzero(target == digit)
        traces.append(
            go.Scatter(
                x=points[members, 0],
                y=points[members, 1],
                customdata=members,
                mode="markers",
                name=str(digit),
                marker={"size": 5.5, "color": DIGIT_COLOURS[digit], "line": {"width": 0.5, "color": "white"}},
                hovertemplate=f"Sample #%{{customdata}}<br>True digit: {digit}<extra></extra>",
            )
        )
    return traces


def boundary_figure(boundary: Boundary, points: np.ndarray, target: np.ndarray) -> go.Figure:
    """The whole map for one boundary; `points` are the digits on the PCA plane, `target` their labels."""
    x_min, x_max, y_min, y_max = boundary.extent  # the same for every mesh step
    figure = go.Figure(_digit_traces(points, target))
    figure.add_trace(
        go.Scatter(
            **centroid_trace(boundary),
            name=CENTROIDS_TRACE,
            mode="markers+text",
            marker={"size": 22, "color": "#1b1b1b", "symbol": "circle", "line": {"width": 2, "color": "white"}},
            textfont={"color": "white", "size": 11, "family": FONT_STACK},
            showlegend=True,
        )
    )
    figure.update_layout(
        images=[region_image(boundary)],
        margin={"l": 48, "r": 8, "t": 36, "b": 40},
        plot_bgcolor="white",
        paper_bgcolor="white",
        font={"family": FONT_STACK, "size": 13},
        # Centred over the plot, which `constrain: domain` narrows and centres.
        legend={"title": {"text": "True digit "}, "itemsizing": "constant", "orientation": "h",
                "x": 0.5, "xanchor": "center", "y": 1.0, "yanchor": "bottom"},
        # Keep zoom and hidden digits while settings change.
        uirevision="digits-map",
        hoverlabel={"font_size": 13},
        xaxis={"title": "PC 1", "range": [x_min, x_max], "showgrid": False, "zeroline": False,
               "constrain": "domain"},
        yaxis={
            "title": "PC 2", "range": [y_min, y_max], "showgrid": False, "zeroline": False,
            # Equal scales, so Voronoi borders meet at their true angles.
            "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
        },
    )
    return figure


def boundary_patch(boundary: Boundary) -> Patch:
    """Only what changes between configurations: the region image and the centroids.

    The digit points never change, so they are not resent.
    """
    patch = Patch()
    patch["layout"]["images"][0] = region_image(boundary)
    for key, value in centroid_trace(boundary).items():
        patch["data"][DIGIT_TRACES][key] = value
    return patch


def map_caption(boundary: Boundary) -> str:
    s = boundary.settings
    rows, columns = boundary.labels.shape
    runs = "deterministic, 1 run" if s.init_method == "PCA-based" else f"n_init {s.n_init}"
    return (
        f"2-D refit · {s.init_method} ({runs}) · k {s.n_clusters} · seed {s.seed} · "
        f"inertia {boundary.inertia:,.0f} · step {s.mesh_step:g} = {columns:,}×{rows:,} cells"
    )
