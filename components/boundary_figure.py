"""The decision-boundary map: region raster, digits coloured by their true label, numbered centroids."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from dash import Patch, html
from PIL import Image

from components.palette import DIGIT_COLOURS, TINT_VARIANTS, ink_on, region_palette, variant_slots
from core.boundary import Boundary
from core.settings import N_CLUSTERS_RANGE

# System fonts only: the app works offline and ships no font files.
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# The figure's only trace: all 1,797 digits, coloured per point (the colour key is HTML, digit_key).
DIGITS_TRACE = "digits"
CENTROID_RADIUS_PX = 12
CENTROID_FONT_PX = 13


def region_tint_indices(boundary: Boundary) -> np.ndarray:
    """Each 2-D cluster's entry in region_palette(): its digit's tint, extras in other variants."""
    matching = boundary.matching
    variants = variant_slots(boundary.labels, matching.digit, preferred=matching.matched)
    return (matching.digit * TINT_VARIANTS + variants).astype(np.uint8)


@lru_cache(maxsize=32)  # keyed by the cached Boundary object itself
def region_image(boundary: Boundary) -> dict:
    """The regions as one palette PNG, a pixel per mesh cell, placed over the mesh extent.

    A PNG of ~10 KB replaces ~880k heatmap cells (4.7 MB of JSON at h=0.02).
    """
    tints = region_tint_indices(boundary)
    picture = Image.fromarray(tints[boundary.labels[::-1]])  # PNG rows run top-down
    picture.putpalette(region_palette())
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


def centroid_markers(boundary: Boundary) -> dict:
    """The named centroids as layout shapes (discs) and annotations (names, with hover text).

    Not a trace, on purpose: when any trace changes, Plotly.react recalculates and redraws every
    trace, the 1,797 SVG points included (~140 ms per change here). Shapes, annotations and
    images are redrawn on their own, so a change leaves the points alone. That holds only while
    each array keeps its length and each item its references (a new length, or an item shown or
    hidden, is a full redraw too), so there is always one slot per possible cluster, and the
    slots beyond k are transparent and empty. Slots follow the clusters' display order (by name).
    """
    matching = boundary.matching
    centroids, sizes = boundary.centroids.tolist(), matching.sizes.tolist()
    order = list(matching.order)
    shapes, annotations = [], []
    for slot in range(N_CLUSTERS_RANGE[1]):
        used = slot < len(order)
        cluster = order[slot] if used else 0
        x, y = centroids[cluster] if used else (0.0, 0.0)
        colour = DIGIT_COLOURS[matching.digit[cluster]] if used else "#1b1b1b"
        name = matching.names[cluster] if used else ""
        opacity = 1 if used else 0
        shapes.append({
            "type": "circle", "xref": "x", "yref": "y", "layer": "above", "opacity": opacity,
            # A fixed size on screen, centred on the centroid, whatever the zoom.
            "xsizemode": "pixel", "ysizemode": "pixel", "xanchor": x, "yanchor": y,
            "x0": -CENTROID_RADIUS_PX, "x1": CENTROID_RADIUS_PX,
            "y0": -CENTROID_RADIUS_PX, "y1": CENTROID_RADIUS_PX,
            "fillcolor": colour, "line": {"color": "#1b1b1b", "width": 1.5},
        })
        hover = ""
        if used:
            share = matching.cluster_purity(cluster)
            hover = (f"Map cluster {name}: {sizes[cluster]} digits, {share:.0%} are {matching.digit[cluster]}s"
                     "<br>Click for its members")
        annotations.append({
            "x": x, "y": y, "xref": "x", "yref": "y", "showarrow": False, "opacity": opacity,
            "text": name, "hovertext": hover,
            "font": {"color": ink_on(colour) if used else "white", "size": CENTROID_FONT_PX, "family": FONT_STACK},
        })
    return {"shapes": shapes, "annotations": annotations}


def _digits_trace(points: np.ndarray, target: np.ndarray) -> go.Scatter:
    return go.Scatter(
        # Plain lists, not numpy: Plotly.react compares arrays by identity, and a base64 typed
        # array is decoded afresh on every update, which would redraw the points every time.
        x=points[:, 0].tolist(),
        y=points[:, 1].tolist(),
        customdata=np.column_stack([np.arange(len(target)), target]).tolist(),
        mode="markers",
        name=DIGITS_TRACE,
        marker={
            "size": 5.5,
            "color": [DIGIT_COLOURS[digit] for digit in target],
            # No outline: outlined markers cost Plotly ~50% more to redraw (1,797 SVG paths).
            "line": {"width": 0},
        },
        # The digit's image, not a text label: assets/cluster_views.js draws a dcc.Tooltip.
        hoverinfo="none",
    )


def boundary_figure(boundary: Boundary, points: np.ndarray, target: np.ndarray) -> go.Figure:
    """The whole map for one boundary; `points` are the digits on the PCA plane, `target` their labels."""
    x_min, x_max, y_min, y_max = boundary.extent  # the same for every mesh step
    figure = go.Figure(_digits_trace(points, target))
    # No template: Plotly.react compares layout.template by identity, the browser's copy is a new
    # object after every update, and a changed template means recalculating and redrawing it all.
    figure.layout.template = None
    figure.update_layout(
        images=[region_image(boundary)],
        **centroid_markers(boundary),
        margin={"l": 48, "r": 8, "t": 8, "b": 40},
        plot_bgcolor="white",
        paper_bgcolor="white",
        font={"family": FONT_STACK, "size": 13},
        showlegend=False,
        # Keep the user's zoom while settings change.
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

    The digit points never change, so they are neither resent nor redrawn.
    """
    patch = Patch()
    patch["layout"]["images"][0] = region_image(boundary)
    for key, value in centroid_markers(boundary).items():
        patch["layout"][key] = value
    return patch


def map_caption(boundary: Boundary) -> str:
    s = boundary.settings
    rows, columns = boundary.labels.shape
    runs = "deterministic, 1 run" if s.init_method == "PCA-based" else f"n_init {s.n_init}"
    return (
        f"2-D refit · {s.init_method} ({runs}) · k {s.n_clusters} · seed {s.seed} · "
        f"inertia {boundary.inertia:,.0f} · step {s.mesh_step:g} = {columns:,}×{rows:,} cells"
    )


def digit_key() -> html.Div:
    """The colour key above the map: one swatch per true digit, and the centroid disc."""
    items = [html.Span("True digit", className="key-title")]
    for digit, colour in enumerate(DIGIT_COLOURS):
        items.append(html.Span([html.I(style={"background": colour}), str(digit)], className="key-item"))
    items.append(html.Span([html.I(className="key-centroid"), "centroid (named after its digit)"], className="key-item"))
    return html.Div(items, className="digit-key")
