"""The decision-boundary map: the samples on the PCA plane (a Plotly scatter), with the regions and
the named centroids drawn by the page on layers of its own.

The figure's one trace is the dataset's points; it changes only with the dataset. Its plot area
is transparent over a canvas on which assets/map_regions.js draws the regions, one pixel per mesh
cell, from what `map_regions` sends (the centroids and tints), and under a canvas with the
centroids' discs and names. The layers are placed from the figure's own fixed margins and axis
ranges, and follow zoom and pan through Plotly's public `plotly_relayout` event. So a new fit or
mesh step redraws two canvases, never the plot.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import numpy as np
from dash import dcc, html

from components.palette import DIGIT_COLOURS, TINT_VARIANTS, ink_on, region_palette, variant_slots
from core import datasets
from core.boundary import PlaneMap
from core.datasets import Dataset
from core.settings import limits, mesh_shape

# System fonts only: the app works offline and ships no font files.
FONT_STACK = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
POINTS_TRACE = "points"
# Fixed, so that the page can place its layers from the figure alone.
MAP_MARGIN = {"l": 48, "r": 8, "t": 8, "b": 40}


UNLABELLED_COLOUR = "#4d5663"  # the dots of data without labels: one colour, no class


def class_colours(n_classes: int) -> tuple[str, ...]:
    """One colour per class; past the palette's ten they repeat (the key lists each class's)."""
    return tuple(DIGIT_COLOURS[index % len(DIGIT_COLOURS)] for index in range(n_classes))


def region_tint_indices(plane: PlaneMap) -> np.ndarray:
    """Each 2-D cluster's entry in region_palette(): its class's tint, extras in other variants
    (and so are touching regions of classes that share a colour, past ten)."""
    matching = plane.matching
    colour = matching.stands_for % len(DIGIT_COLOURS)
    # Only the first class of a colour keeps its own tint: the later ones are like its extras.
    own_tint = matching.matched & (matching.stands_for < len(DIGIT_COLOURS))
    variants = variant_slots(plane.touching, colour, preferred=own_tint)
    return (colour * TINT_VARIANTS + variants).astype(np.uint8)


def region_tints(plane: PlaneMap) -> list[str]:
    """Each 2-D cluster's region colour, as #rrggbb."""
    palette = region_palette()
    # Plain ints: 3 × a uint8 index would wrap past 255.
    return ["#{:02x}{:02x}{:02x}".format(*palette[3 * index:3 * index + 3])
            for index in region_tint_indices(plane).tolist()]


def centroid_markers(plane: PlaneMap) -> list[dict]:
    """The named centroids, in the clusters' display order: where, name, colours, a note under
    the disc when the cluster mostly holds another class, and whether it is mixed (a dotted
    ring, explained in the map's key: never told by colour alone)."""
    matching = plane.matching
    colours = class_colours(matching.n_classes)
    markers = []
    for cluster in matching.order:
        colour = colours[matching.stands_for[cluster]]
        mixed = matching.mixed(cluster)
        x, y = plane.centroids[cluster].tolist()
        markers.append({"cluster": int(cluster), "x": x, "y": y, "name": matching.names[cluster],
                        "colour": colour, "ink": ink_on(colour), "note": matching.mostly(cluster), "mixed": mixed})
    return markers


MAP_REGIONS = ("map-regions-clip", "data-regions")  # the component and prop that hold map_regions


def regions_json(regions: dict) -> str:
    return json.dumps(regions, separators=(",", ":"))


@lru_cache(maxsize=64)  # keyed by the cached PlaneMap itself
def map_regions(plane: PlaneMap) -> dict:
    """What the page draws the map from (assets/map_regions.js): the centroids, each cluster's
    tint, the extent the mesh covers, the steps it may take, and the named markers. The regions
    are rasterized in the browser at the page's mesh step, so a mesh-step change asks nothing of
    the server."""
    dataset = plane.fit_key[0]
    return {"centers": plane.centroids.tolist(), "tints": region_tints(plane), "extent": list(plane.extent),
            "mesh_range": list(limits(dataset).mesh_range), "fit": list(plane.fit_key),
            "images": datasets.load(dataset).images is not None, "markers": centroid_markers(plane),
            "png_stem": map_png_stem(plane.fit_key), "title": datasets.title_of(dataset)}


def map_png_stem(fit_key: tuple) -> str:
    """The map's PNG file name up to its mesh step (the page adds the step it drew): named after
    the fit drawn, not the address, which may be ahead of it; an upload as "upload"."""
    dataset, init, k, n_init, seed = fit_key
    name = f"kmeans-map_{datasets.file_part(dataset)}_{init}_k-{k}_n_init-{n_init}_seed-{seed}"
    return re.sub(r"[^\w.+-]+", "_", name, flags=re.ASCII)


SMALL_DOTS_FROM = 2_000  # points: past this many, smaller dots keep the clusters' shapes legible


def points_trace(points: np.ndarray, target: np.ndarray | None, n_classes: int,
                 rows: np.ndarray | None = None) -> dict:
    """The samples (only `rows` of them when given), coloured by their true class (one colour
    without labels); `customdata` is (sample index, class index or -1) for the tooltip. A plain
    dict in Plotly's figure schema: graph_objects would check each of 100,000 points' values one
    by one on every dataset switch."""
    colours = class_colours(n_classes)
    index = np.arange(len(points)) if rows is None else rows
    points = points[index]
    target = None if target is None else target[index]
    classes = np.full(len(points), -1) if target is None else target
    many = len(points) > SMALL_DOTS_FROM
    return {
        "type": "scatter",
        # Plain lists, not numpy: Plotly.react compares arrays by identity, and a base64 typed
        # array is decoded afresh on every update, which would redraw the points every time.
        "x": points[:, 0].tolist(),
        "y": points[:, 1].tolist(),
        "customdata": np.column_stack([index, classes]).tolist(),
        "mode": "markers",
        "name": POINTS_TRACE,
        "marker": {"size": 4 if many else 5.5, "line": {"width": 0},
                   "color": UNLABELLED_COLOUR if target is None else [colours[label] for label in target.tolist()]},
        # assets/cluster_views.js draws the tooltip (the digit's image) from Plotly's hover event.
        "hoverinfo": "none",
    }


def boundary_figure(dataset: Dataset) -> dict:
    """The map's plot: the samples on the PCA plane, over a transparent plot area (the page draws
    the regions under it and the centroids over it)."""
    x_min, x_max, y_min, y_max = dataset.extent
    return {
        "data": [points_trace(dataset.reduced, dataset.target, dataset.n_classes, dataset.drawn)],
        # No template: Plotly.react compares layout.template by identity, and a changed template
        # means recalculating and redrawing everything.
        "layout": {
            "margin": MAP_MARGIN,
            "plot_bgcolor": "rgba(0,0,0,0)",  # the regions' canvas shows through
            "paper_bgcolor": "rgba(0,0,0,0)",  # the card's colour around the plot, in either theme
            "font": {"family": FONT_STACK, "size": 13},
            "showlegend": False,
            # Keep the user's zoom while settings change (a new dataset is a new plane).
            "uirevision": dataset.key,
            "xaxis": {"title": {"text": "PC 1"}, "range": [x_min, x_max], "showgrid": False, "zeroline": False,
                      "constrain": "domain"},
            "yaxis": {
                "title": {"text": "PC 2"}, "range": [y_min, y_max], "showgrid": False, "zeroline": False,
                # Equal scales, so Voronoi borders meet at their true angles.
                "scaleanchor": "x", "scaleratio": 1, "constrain": "domain",
            },
        },
    }


def map_caption(plane: PlaneMap) -> str:
    _, init_method, n_clusters, n_init, seed = plane.fit_key
    if init_method == "PCA-based":  # no seed: the page's seed plays no part in it
        return f"2-D refit · PCA-based (deterministic, 1 run) · k {n_clusters} · inertia {plane.inertia:,.0f}"
    return f"2-D refit · {init_method} (n_init {n_init}) · k {n_clusters} · seed {seed} · inertia {plane.inertia:,.0f}"


def mesh_caption(extent: tuple[float, float, float, float], step: float) -> str:
    """The mesh's size, as assets/map_layers.js writes it when the step changes in the page."""
    rows, columns = mesh_shape(extent, step)
    return f"step {step:g} = {columns:,}×{rows:,} cells"


def class_key(dataset: Dataset) -> html.Div:
    """The colour key above the map: one swatch per true class, and the centroid disc."""
    sampled = [] if dataset.drawn is None else [html.Span(
        f"dots: a random {len(dataset.drawn):,} of the {dataset.n_samples:,} {dataset.info.samples} "
        "(every fit uses all)", className="key-item key-sample")]
    if not dataset.labelled:
        return html.Div([
            html.Span("No label column", className="key-title"),
            html.Span([html.I(style={"background": UNLABELLED_COLOUR}), dataset.info.samples], className="key-item"),
            html.Span([html.I(className="key-centroid"), "centroid (1 = the largest cluster)"], className="key-item"),
            *sampled,
        ], className="class-key")
    items = [html.Span(f"True {dataset.info.label}", className="key-title")]
    for name, colour in zip(dataset.class_names, class_colours(dataset.n_classes), strict=True):
        items.append(html.Span([html.I(style={"background": colour}), name], className="key-item"))
    items.append(html.Span([html.I(className="key-centroid"), f"centroid (named after its {dataset.info.label})"],
                           className="key-item"))
    items.append(html.Span([html.I(className="key-centroid mixed"), "dotted ring: mixed (under half its own)"],
                           className="key-item"))
    items.extend(sampled)
    return html.Div(items, className="class-key")


def map_stack(figure: dict, config: dict, regions: dict) -> html.Div:
    """The plot between the page's two layers: the regions' canvas (in a clip box the size of the
    plot area) under it, the centroids' canvas over it. `regions` (map_regions) ride on the clip
    box as JSON (`data-regions`): a new fit's attribute is written in the same commit as the map's
    caption, and assets/map_layers.js draws it then, without waiting for a callback."""
    return html.Div([
        html.Div(html.Canvas(id="map-regions-canvas", className="regions-canvas"), id=MAP_REGIONS[0],
                 className="map-layer regions-clip", **{MAP_REGIONS[1]: regions_json(regions)}),
        dcc.Graph(id="boundary-graph", figure=figure, className="boundary-graph", config=config,
                  style={"height": "var(--map-height)"}),  # assets/style.css sets it per screen and mode
        # Its aria-label names the centroids drawn on it (assets/map_layers.js).
        html.Canvas(id="map-markers-canvas", className="map-layer markers-canvas", role="img",
                    **{"aria-label": "Centroids"}),
    ], className="map-stack")
