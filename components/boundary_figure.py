"""The decision-boundary map: region raster, points coloured by their true class, named centroids.

The figure's one trace is the dataset's points on the PCA plane; they never change while the
dataset stays. Regions and centroids are layout (an image, shapes and annotations), so a new fit
or mesh step patches the layout alone (assets/map_regions.js rasterizes the regions in the
browser from what `map_regions` sends) and Plotly redraws neither the points nor the axes.
"""

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
from core.datasets import DATASETS, Dataset
from core.settings import N_CLUSTERS_RANGE, limits, mesh_shape

# System fonts only: the app works offline and ships no font files.
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
POINTS_TRACE = "points"
CENTROID_RADIUS_PX = 12
CENTROID_FONT_PX = 13
MOSTLY_FONT_PX = 11
# Fixed, so that the page can map a click to data coordinates from the figure alone.
MAP_MARGIN = {"l": 48, "r": 8, "t": 8, "b": 40}


def class_colours(n_classes: int) -> tuple[str, ...]:
    return DIGIT_COLOURS[:n_classes]


def region_tint_indices(plane: PlaneMap) -> np.ndarray:
    """Each 2-D cluster's entry in region_palette(): its class's tint, extras in other variants."""
    matching = plane.matching
    variants = variant_slots(plane.touching, matching.stands_for, preferred=matching.matched)
    return (matching.stands_for * TINT_VARIANTS + variants).astype(np.uint8)


def region_tints(plane: PlaneMap) -> list[str]:
    """Each 2-D cluster's region colour, as #rrggbb."""
    palette = region_palette()
    # Plain ints: 3 × a uint8 index would wrap past 255.
    return ["#{:02x}{:02x}{:02x}".format(*palette[3 * index:3 * index + 3])
            for index in region_tint_indices(plane).tolist()]


@lru_cache(maxsize=64)  # keyed by the cached PlaneMap itself
def map_regions(plane: PlaneMap) -> dict:
    """What the page draws the map from (assets/map_regions.js): the centroids, each cluster's
    tint, the extent the mesh covers, the steps it may take, and the centroids' markers. The
    regions themselves are rasterized in the browser at the page's mesh step, so a mesh-step
    change asks nothing of the server."""
    return {"centers": plane.centroids.tolist(), "tints": region_tints(plane), "extent": list(plane.extent),
            "mesh_range": list(limits(plane.fit_key[0]).mesh_range), "fit": list(plane.fit_key),
            "images": DATASETS[plane.fit_key[0]].image_side is not None,
            **centroid_markers(plane)}


@lru_cache(maxsize=32)  # keyed by the cached Boundary object itself
def region_image(boundary: Boundary) -> dict:
    """The regions as one palette PNG, a pixel per mesh cell, placed over the mesh extent: the
    first page's picture (later ones the browser draws, the same pixels: a browser test compares)."""
    tints = region_tint_indices(boundary.plane)
    picture = Image.fromarray(tints[boundary.labels[::-1]])  # PNG rows run top-down
    picture.putpalette(region_palette())
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", compress_level=3)
    step = boundary.settings.mesh_step
    return {
        "source": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii"),
        "xref": "x", "yref": "y",
        # Each mesh point is the centre of its pixel.
        "x": float(boundary.xs[0] - step / 2), "y": float(boundary.ys[-1] + step / 2),
        "sizex": float(len(boundary.xs) * step), "sizey": float(len(boundary.ys) * step),
        "sizing": "stretch", "layer": "below",
    }


def centroid_markers(plane: PlaneMap) -> dict:
    """The named centroids as layout shapes (discs) and annotations (a name in each disc, and
    under it what the cluster mostly holds when that is not its name).

    There is one slot per possible cluster, in the clusters' display order, and the slots beyond
    k are transparent and empty: arrays that keep their length and their items' keys are redrawn
    item by item, never as a whole new plot. A mixed cluster (its own class under half of it)
    has a dashed ring as well as its words, so it is never told by colour alone.
    """
    matching = plane.matching
    colours = class_colours(matching.n_classes)
    centroids = plane.centroids.tolist()
    order = list(matching.order)
    shapes, names, notes = [], [], []
    for slot in range(N_CLUSTERS_RANGE[1]):
        used = slot < len(order)
        cluster = order[slot] if used else 0
        x, y = centroids[cluster] if used else (0.0, 0.0)
        colour = colours[matching.stands_for[cluster]] if used else "#1b1b1b"
        mixed = used and matching.mixed(cluster)
        opacity = 1 if used else 0
        shapes.append({
            "type": "circle", "xref": "x", "yref": "y", "layer": "above", "opacity": opacity,
            # A fixed size on screen, centred on the centroid, whatever the zoom.
            "xsizemode": "pixel", "ysizemode": "pixel", "xanchor": x, "yanchor": y,
            "x0": -CENTROID_RADIUS_PX, "x1": CENTROID_RADIUS_PX, "y0": -CENTROID_RADIUS_PX, "y1": CENTROID_RADIUS_PX,
            "fillcolor": colour,
            "line": {"color": "#1b1b1b", "width": 2.5 if mixed else 1.5, "dash": "dot" if mixed else "solid"},
        })
        names.append({
            "x": x, "y": y, "xref": "x", "yref": "y", "showarrow": False, "opacity": opacity,
            "text": matching.names[cluster] if used else "",
            # A label box in the class's colour: a digit fits in its disc, a longer name spills over it.
            "bgcolor": colour, "borderpad": 1,
            "font": {"color": ink_on(colour) if used else "white", "size": CENTROID_FONT_PX, "family": FONT_STACK},
        })
        note = (matching.mostly(cluster) + (" (mixed)" if mixed else "")) if used else ""
        notes.append({
            "x": x, "y": y, "xref": "x", "yref": "y", "showarrow": False, "opacity": 1 if note else 0,
            "yshift": -CENTROID_RADIUS_PX - 9, "text": note, "bgcolor": "rgba(255,255,255,0.85)",
            "borderpad": 1, "font": {"color": "#1b1b1b", "size": MOSTLY_FONT_PX, "family": FONT_STACK},
        })
    return {"shapes": shapes, "annotations": names + notes}


def points_trace(points: np.ndarray, target: np.ndarray, n_classes: int) -> go.Scatter:
    colours = class_colours(n_classes)
    return go.Scatter(
        # Plain lists, not numpy: Plotly.react compares arrays by identity, and a base64 typed
        # array is decoded afresh on every update, which would redraw the points every time.
        x=points[:, 0].tolist(),
        y=points[:, 1].tolist(),
        customdata=np.column_stack([np.arange(len(target)), target]).tolist(),
        mode="markers",
        name=POINTS_TRACE,
        marker={"size": 5.5, "color": [colours[label] for label in target], "line": {"width": 0}},
        # assets/cluster_views.js draws the tooltip (the digit's image) from Plotly's hover event.
        hoverinfo="none",
    )


def boundary_figure(boundary: Boundary, dataset: Dataset) -> go.Figure:
    """The whole map for one boundary: the points, the regions' picture and the named centroids."""
    x_min, x_max, y_min, y_max = boundary.extent  # the same for every mesh step
    figure = go.Figure(points_trace(dataset.reduced, dataset.target, dataset.n_classes))
    # No template: Plotly.react compares layout.template by identity, and a changed template
    # means recalculating and redrawing everything.
    figure.layout.template = None
    figure.update_layout(
        images=[region_image(boundary)],
        **centroid_markers(boundary.plane),
        margin=MAP_MARGIN,
        plot_bgcolor="white",
        paper_bgcolor="rgba(0,0,0,0)",  # the card's colour around the plot, in either theme
        font={"family": FONT_STACK, "size": 13},
        showlegend=False,
        # Keep the user's zoom while settings change (a new dataset is a new plane).
        uirevision=dataset.key,
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
    _, init_method, n_clusters, n_init, seed = plane.fit_key
    runs = "deterministic, 1 run" if init_method == "PCA-based" else f"n_init {n_init}"
    return f"2-D refit · {init_method} ({runs}) · k {n_clusters} · seed {seed} · inertia {plane.inertia:,.0f}"


def mesh_caption(extent: tuple[float, float, float, float], step: float) -> str:
    """The mesh's size, as assets/map_regions.js writes it when the step changes in the page."""
    rows, columns = mesh_shape(extent, step)
    return f"step {step:g} = {columns:,}×{rows:,} cells"


def names_note(plane: PlaneMap, model_names: tuple[str, ...]) -> str:
    """What the map says when its 2-D clusters' names are not the full model's (the map is a
    refit in two dimensions, so its extra clusters can differ): '' when they are the same."""
    mine, theirs = set(plane.matching.names), set(model_names)
    if mine == theirs:
        return ""
    only_here = ", ".join(sorted(mine - theirs)) or "none"
    only_there = ", ".join(sorted(theirs - mine)) or "none"
    return (f"The map's 2-D refit names its clusters on its own: here {only_here}, where the table's model has "
            f"{only_there}.")


def class_key(dataset: Dataset) -> html.Div:
    """The colour key above the map: one swatch per true class, and the centroid disc."""
    items = [html.Span(f"True {dataset.info.label}", className="key-title")]
    for name, colour in zip(dataset.class_names, class_colours(dataset.n_classes), strict=True):
        items.append(html.Span([html.I(style={"background": colour}), name], className="key-item"))
    items.append(html.Span([html.I(className="key-centroid"), f"centroid (named after its {dataset.info.label})"],
                           className="key-item"))
    items.append(html.Span([html.I(className="key-centroid mixed"), "dotted ring: mixed (under half its own)"],
                           className="key-item"))
    return html.Div(items, className="class-key")
