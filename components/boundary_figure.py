"""The decision-boundary map: region raster, digits coloured by their true label, numbered centroids."""

from __future__ import annotations

import base64
import io
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from dash import html
from PIL import Image

from components.palette import DIGIT_COLOURS, TINT_VARIANTS, ink_on, region_palette, variant_slots
from core.boundary import Boundary, PlaneMap
from core.settings import MESH_STEP_MAX, N_CLUSTERS_RANGE, mesh_shape, min_mesh_step

# System fonts only: the app works offline and ships no font files.
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
# The figure's only trace: all 1,797 digits, coloured per point (the colour key is HTML, digit_key).
DIGITS_TRACE = "digits"
CENTROID_RADIUS_PX = 12
CENTROID_FONT_PX = 13


def region_tint_indices(plane: PlaneMap) -> np.ndarray:
    """Each 2-D cluster's entry in region_palette(): its digit's tint, extras in other variants."""
    matching = plane.matching
    variants = variant_slots(plane.touching, matching.digit, preferred=matching.matched)
    return (matching.digit * TINT_VARIANTS + variants).astype(np.uint8)


def region_tints(plane: PlaneMap) -> list[str]:
    """Each 2-D cluster's region colour, as #rrggbb."""
    palette = region_palette()
    # Plain ints: 3 × a uint8 index would wrap past 255.
    return ["#{:02x}{:02x}{:02x}".format(*palette[3 * index:3 * index + 3]) for index in region_tint_indices(plane).tolist()]


@lru_cache(maxsize=64)  # keyed by the cached PlaneMap itself
def map_regions(plane: PlaneMap) -> dict:
    """What the page draws the map from (assets/map_regions.js): the centroids, each cluster's tint,
    the extent the mesh covers, and the centroids' markers. The regions themselves are rasterized
    in the browser at the page's mesh step, so a mesh-step change asks nothing of the server."""
    return {"centers": plane.centroids.tolist(), "tints": region_tints(plane), "extent": list(plane.extent),
            # The mesh steps the server accepts: the page checks a step against them before drawing.
            "mesh_range": [min_mesh_step(plane.extent), MESH_STEP_MAX], **centroid_markers(plane)}


@lru_cache(maxsize=32)  # keyed by the cached Boundary object itself
def region_image(boundary: Boundary) -> dict:
    """The regions as one palette PNG, a pixel per mesh cell, placed over the mesh extent: the
    first page's picture (later ones the browser draws, the same pixels: a browser test compares).
    """
    tints = region_tint_indices(boundary.plane)
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


def centroid_markers(plane: PlaneMap) -> dict:
    """The named centroids as layout shapes (discs) and annotations (names, with hover text).

    Not a trace, on purpose: when any trace changes, Plotly.react recalculates and redraws every
    trace, the 1,797 SVG points included (~140 ms per change here). Shapes, annotations and
    images are redrawn on their own, so a change leaves the points alone. That holds only while
    each array keeps its length and each item its references (a new length, or an item shown or
    hidden, is a full redraw too), so there is always one slot per possible cluster, and the
    slots beyond k are transparent and empty. Slots follow the clusters' display order (by name).
    """
    matching = plane.matching
    centroids, sizes = plane.centroids.tolist(), matching.sizes.tolist()
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
        **centroid_markers(boundary.plane),
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


def map_caption(plane: PlaneMap) -> str:
    init_method, n_clusters, n_init, seed = plane.fit_key
    runs = "deterministic, 1 run" if init_method == "PCA-based" else f"n_init {n_init}"
    return f"2-D refit · {init_method} ({runs}) · k {n_clusters} · seed {seed} · inertia {plane.inertia:,.0f}"


def mesh_caption(extent: tuple[float, float, float, float], step: float) -> str:
    """The mesh's size, as assets/map_regions.js writes it when the step changes in the page."""
    rows, columns = mesh_shape(extent, step)
    return f"step {step:g} = {columns:,}×{rows:,} cells"


def digit_key() -> html.Div:
    """The colour key above the map: one swatch per true digit, and the centroid disc."""
    items = [html.Span("True digit", className="key-title")]
    for digit, colour in enumerate(DIGIT_COLOURS):
        items.append(html.Span([html.I(style={"background": colour}), str(digit)], className="key-item"))
    items.append(html.Span([html.I(className="key-centroid"), "centroid (named after its digit)"], className="key-item"))
    return html.Div(items, className="digit-key")
