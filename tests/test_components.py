"""Components: pure functions from core results to Dash components and figures."""

from __future__ import annotations

import base64
import gzip
import io
import json

import numpy as np
import plotly.io as pio
import pytest
from PIL import Image

from components.boundary_figure import (
    CENTROID_RADIUS_PX,
    DIGITS_TRACE,
    boundary_figure,
    centroid_markers,
    digit_key,
    map_caption,
    map_regions,
    mesh_caption,
    region_image,
    region_tint_indices,
    region_tints,
)
from components.metrics_table import COLUMNS, metrics_table
from components.palette import DIGIT_COLOURS, TINT_VARIANTS, neighbouring_clusters, region_palette
from core import data
from core.boundary import decision_boundary, plane_map
from core.clustering import benchmark_inits
from core.settings import DEFAULTS, N_CLUSTERS_RANGE, Settings, mesh_shape


def _text(component) -> str:
    """All the text a person would read in a component tree."""
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return " ".join(_text(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _rows(table):
    _caption, _head, body = table.children
    return body.children


def test_metrics_table_formats_for_reading():
    results = benchmark_inits(10, 10, 0)
    table = metrics_table(results, Settings("random", 10, 10, 0, 0.02))
    rows = _rows(table)
    assert [row.children[0].children for row in rows] == ["k-means++", "random", "PCA-based"]
    first = results[0]
    cells = [cell.children for cell in rows[0].children[1:]]
    assert cells[0] == f"{first.fit_seconds * 1000:.0f} ms"
    assert cells[1] == f"{first.inertia:,.0f}" and "." not in cells[1]
    assert cells[2:] == [f"{value:.3f}" for value in (
        first.homogeneity, first.completeness, first.v_measure, first.adjusted_rand,
        first.adjusted_mutual_info, first.silhouette)]
    # The caption says what the table was computed at, so a screenshot explains itself.
    assert "k = 10, n_init = 10, seed = 0" in table.children[0].children


def test_metrics_table_bolds_only_a_clear_winner():
    for k, seed in ((10, 0), (4, 3), (12, 42)):
        results = benchmark_inits(k, 10, seed)
        rows = _rows(metrics_table(results, Settings("PCA-based", 10, k, seed, 0.02)))
        assert [row.className for row in rows] == [None, None, "selected"]
        for index, column in enumerate(COLUMNS, start=1):
            values = [column.value(result) for result in results]
            bold = [i for i, row in enumerate(rows) if row.children[index].className == "best"]
            ordered = sorted(values, reverse=column.higher_is_better)
            lead = abs(ordered[0] - ordered[1])
            if column.higher_is_better and column.key not in ("fit-time", "inertia"):
                clear = lead >= 0.01  # scores: a lead under 0.01 is "about equal"
            else:
                clear = lead >= column.margin(values)
            expected = [values.index(ordered[0])] if clear else []
            assert bold == expected, (column.header, values)


def test_every_header_explains_its_metric_with_its_scale():
    header = metrics_table(benchmark_inits(10, 10, 0), Settings(**DEFAULTS)).children[1].children
    explained = {}
    for th in header.children[1:]:
        button, tip = th.children
        assert button.to_plotly_json()["props"]["aria-describedby"] == tip.id and tip.role == "tooltip"
        explained[button.children] = tip.children
    assert "0 = chance" in explained["ARI"] and "1 = perfect" in explained["ARI"]
    assert "0 = chance" in explained["AMI"] and "−1 to 1" in explained["Silhouette"]
    assert "only at equal k" in explained["Inertia"] and "CPU time" in explained["Fit time"]


@pytest.fixture(scope="module")
def digits():
    return data.load()


def test_boundary_figure_draws_regions_points_and_centroids(digits):
    boundary = decision_boundary(Settings("k-means++", 10, 5, 0, 0.1))
    figure = boundary_figure(boundary, digits.reduced, digits.target)
    assert [trace.name for trace in figure.data] == [DIGITS_TRACE]
    (points,) = figure.data
    # Each centroid: a number with hover text, on a disc of fixed size on screen, at its position.
    # Each centroid: its name (the digit its region is matched to), on a disc of its digit's colour.
    numbers, discs = figure.layout.annotations[:5], figure.layout.shapes[:5]
    matching = boundary.matching
    order = list(matching.order)
    assert [number.text for number in numbers] == [matching.names[c] for c in order]
    assert [disc.fillcolor for disc in discs] == [DIGIT_COLOURS[matching.digit[c]] for c in order]
    # One slot per possible cluster, so that Plotly redraws only what changed; those beyond k are blank.
    assert len(figure.layout.annotations) == len(figure.layout.shapes) == N_CLUSTERS_RANGE[1]
    assert all(item.opacity == 0 for item in figure.layout.annotations[5:] + figure.layout.shapes[5:])
    assert all(number.text == number.hovertext == "" for number in figure.layout.annotations[5:])
    for number, disc, cluster in zip(numbers, discs, order, strict=True):
        x, y = boundary.centroids[cluster]
        assert (number.x, number.y) == (disc.xanchor, disc.yanchor) == (x, y)
        assert (disc.type, disc.xsizemode, disc.ysizemode) == ("circle", "pixel", "pixel")
        assert (disc.x0, disc.x1) == (-CENTROID_RADIUS_PX, CENTROID_RADIUS_PX)
        size = int((boundary.point_clusters == cluster).sum())
        assert f"cluster {number.text}:" in number.hovertext and f"{size} digits" in number.hovertext
    np.testing.assert_array_equal(points.x, digits.reduced[:, 0])
    assert list(points.marker.color) == [DIGIT_COLOURS[digit] for digit in digits.target]
    # Hover names each sample and its true digit.
    np.testing.assert_array_equal(np.asarray(points.customdata)[:, 1], digits.target)
    assert figure.layout.images[0].source.startswith("data:image/png;base64,")


def test_points_are_plain_lists_and_the_figure_has_no_template(digits):
    """What lets Plotly.react leave the 1,797 points alone on a change (it compares by identity):
    a base64 typed array is decoded into a new array, and a template into a new object, every time."""
    figure = boundary_figure(decision_boundary(Settings("k-means++", 10, 10, 0, 0.1)), digits.reduced, digits.target)
    sent = json.loads(pio.to_json(figure))
    assert "template" not in sent["layout"]
    points = sent["data"][0]
    assert all(isinstance(points[key], list) for key in ("x", "y", "customdata"))
    assert isinstance(points["marker"]["color"], list)


def test_digit_key_names_every_digit_colour():
    swatches = digit_key().children[1:11]
    assert [item.children[1] for item in swatches] == [str(digit) for digit in range(10)]
    assert [item.children[0].style["background"] for item in swatches] == list(DIGIT_COLOURS)


def test_region_image_is_the_label_grid_one_pixel_per_cell(digits):
    boundary = decision_boundary(Settings("random", 10, 8, 1, 0.05))
    image = region_image(boundary)
    png = Image.open(io.BytesIO(base64.b64decode(image["source"].split(",", 1)[1])))
    tints = region_tint_indices(boundary.plane)
    assert png.size == (len(boundary.xs), len(boundary.ys))
    np.testing.assert_array_equal(np.asarray(png)[::-1], tints[boundary.labels])
    # Each region is tinted in the colour family of the digit it stands for.
    np.testing.assert_array_equal(tints // TINT_VARIANTS, boundary.matching.digit)
    assert png.getpalette()[:len(region_palette())] == region_palette()
    step = boundary.settings.mesh_step
    assert image["x"] == pytest.approx(boundary.xs[0] - step / 2)
    assert image["x"] + image["sizex"] == pytest.approx(boundary.xs[-1] + step / 2)
    assert image["y"] - image["sizey"] == pytest.approx(boundary.ys[0] - step / 2)


def test_the_map_sends_centroids_and_tints_not_a_raster(digits):
    """A change's map payload: k centroids, their tints and markers; the page rasterizes the regions."""
    plane = plane_map("k-means++", 10, 10, 0)
    regions = map_regions(plane)
    assert regions["centers"] == plane.centroids.tolist()
    assert regions["tints"] == region_tints(plane)
    assert regions["extent"] == list(digits.extent)
    assert {key: regions[key] for key in ("shapes", "annotations")} == centroid_markers(plane)
    # On the wire (compressed, as the app sends it): the int32 heatmap was ~4.7 MB, the PNG ~13 KB.
    assert len(gzip.compress(json.dumps(regions).encode())) < 4_000


@pytest.mark.parametrize("n_clusters", [3, 12, 30])
def test_touching_regions_get_different_tints(n_clusters):
    plane = plane_map("k-means++", n_clusters, 10, 0)
    tints = region_tints(plane)
    assert plane.touching  # regions do touch
    for a, b in plane.touching:
        assert tints[a] != tints[b]
    # The cluster matched to a digit has its digit's main tint.
    indices = region_tint_indices(plane)
    matched = np.flatnonzero(plane.matching.matched)
    np.testing.assert_array_equal(indices[matched], plane.matching.digit[matched] * TINT_VARIANTS)


@pytest.mark.parametrize("step", [0.05, 0.3])
def test_touching_pairs_are_those_of_the_picture(step):
    """The geometry's touching pairs (used for the tints) are the raster's, at any step but the
    coarsest, where a sliver thinner than a cell can vanish from the picture."""
    for n_clusters, seed in ((10, 0), (10, 2), (30, 1)):
        boundary = decision_boundary(Settings("random", 4, n_clusters, seed, step))
        assert neighbouring_clusters(boundary.labels) <= set(boundary.plane.touching)


def test_caption_says_what_the_map_is():
    caption = map_caption(plane_map("PCA-based", 10, 1, 0))
    assert "2-D refit" in caption and "PCA-based" in caption and "deterministic" in caption
    rows, columns = mesh_shape(data.load().extent, 0.1)
    assert mesh_caption(data.load().extent, 0.1) == f"step 0.1 = {columns:,}×{rows:,} cells"


def test_digit_montage_shows_one_image_of_each_digit(digits):
    from components.digit_samples import GAP, PIXELS_PER_CELL, digit_montage

    picture = np.asarray(Image.open(io.BytesIO(digit_montage(digits.images, digits.target))))
    for digit in range(10):
        first = digits.images[np.flatnonzero(digits.target == digit)[0]]
        top, left = (digit // 5) * (8 + GAP) * PIXELS_PER_CELL, (digit % 5) * (8 + GAP) * PIXELS_PER_CELL
        cell = picture[top:top + 8 * PIXELS_PER_CELL:PIXELS_PER_CELL, left:left + 8 * PIXELS_PER_CELL:PIXELS_PER_CELL]
        np.testing.assert_array_equal(cell, (255 - first / 16 * 255).astype(np.uint8))


@pytest.mark.parametrize("step", [1.0, 0.5, 0.3, 0.02])
def test_the_region_image_covers_the_whole_plot_at_any_mesh_step(step):
    """The example's arange(min, max, step) stopped short of max: a white strip at coarse steps."""
    boundary = decision_boundary(Settings("k-means++", 10, 10, 0, step))
    image = region_image(boundary)
    x_min, x_max, y_min, y_max = boundary.extent
    assert image["x"] <= x_min and image["x"] + image["sizex"] >= x_max
    assert image["y"] >= y_max and image["y"] - image["sizey"] <= y_min
    # Each pixel is still centred on its mesh point, one per cell.
    assert image["sizex"] == pytest.approx(len(boundary.xs) * step)
    assert image["x"] + step / 2 == pytest.approx(boundary.xs[0])
