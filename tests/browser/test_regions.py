"""The map's regions as the page shows them equal KMeans.predict, cell for cell.

The page rasterizes the regions itself (assets/map_regions.js) from the 2-D fit's centroids, on a
canvas with one pixel per mesh cell. These tests read that canvas back (toDataURL), decode it here
and compare every cell with core.boundary.decision_boundary (KMeans.predict on the mesh). Only
cells whose two nearest centroids are within TIE of equal distance may differ: a tie that rounding
decides either way.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from components.boundary_figure import region_tints
from core.boundary import decision_boundary, mesh
from core.settings import DEFAULTS, Settings, limits
from tests.browser.pages import (
    callback_requests,
    callbacks_sent,
    choose_init,
    type_into,
    wait_for_map_caption,
    wait_for_quiet,
)

TIE = 1e-9
FINEST_STEP = limits("digits").mesh_range[0]
READ_PICTURE = """() => {
    const canvas = document.getElementById('map-regions-canvas');
    return {source: canvas.toDataURL('image/png'), placement: JSON.parse(canvas.dataset.placement)};
}"""
# True once the map shows these centroids (their discs, in any order) and a picture placed so.
SHOWS_FIT = """([centroids, placement]) => {
    const canvas = document.getElementById('map-regions-canvas');
    const markers = document.getElementById('map-markers-canvas');
    if (!canvas || !canvas.dataset.placement || !markers.dataset.centroids) return false;
    const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
    const discs = JSON.parse(markers.dataset.centroids);
    const where = JSON.parse(canvas.dataset.placement);
    return discs.length === centroids.length
        && centroids.every(([x, y]) => discs.some(([dx, dy]) => close(dx, x) && close(dy, y)))
        && where.every((v, i) => close(v, placement[i]));
}"""


def settings_with(**changes) -> Settings:
    return Settings(**{**DEFAULTS, **changes})


def placement(settings: Settings) -> list[float]:
    """Where the picture must sit: a pixel per mesh cell, each centred on its mesh point."""
    boundary = decision_boundary(settings)
    step = settings.mesh_step
    return [float(boundary.xs[0] - step / 2), float(boundary.ys[-1] + step / 2),
            len(boundary.xs) * step, len(boundary.ys) * step]


def wait_for_fit(page, settings: Settings) -> None:
    centroids = decision_boundary(settings).centroids.tolist()
    page.wait_for_function(SHOWS_FIT, arg=[centroids, placement(settings)], polling=100)


def near_ties(settings: Settings) -> np.ndarray:
    """Mesh cells whose two nearest centroids are within TIE of equal squared distance."""
    boundary = decision_boundary(settings)
    xx, yy = np.meshgrid(boundary.xs, boundary.ys)
    centroids = boundary.centroids
    distances = (xx[..., None] - centroids[:, 0]) ** 2 + (yy[..., None] - centroids[:, 1]) ** 2
    nearest_two = np.sort(distances, axis=-1)[..., :2]
    return nearest_two[..., 1] - nearest_two[..., 0] <= TIE


def shown_picture(page) -> tuple[Image.Image, list[float]]:
    shown = page.evaluate(READ_PICTURE)
    header, _, body = shown["source"].partition(",")
    assert header == "data:image/png;base64", header
    picture = Image.open(io.BytesIO(base64.b64decode(body)))
    picture.load()
    return picture, shown["placement"]


def assert_regions_are_predicted(page, settings: Settings) -> None:
    boundary = decision_boundary(settings)
    predicted = boundary.labels  # (rows bottom-up, columns)
    tints = np.array([[int(tint[i:i + 2], 16) for i in (1, 3, 5)] for tint in region_tints(boundary.plane)],
                     dtype=np.uint8)
    picture, where = shown_picture(page)
    assert (picture.height, picture.width) == predicted.shape, "not one pixel per mesh cell"
    allowed = near_ties(settings)
    colours = np.asarray(picture.convert("RGB"))[::-1]
    wrong_colour = np.any(colours != tints[predicted], axis=-1) & ~allowed
    assert not wrong_colour.any(), (f"{int(wrong_colour.sum())} cells are not coloured as KMeans.predict says, "
                                    f"first (row, column) {np.argwhere(wrong_colour)[:3].tolist()}")
    assert where == pytest.approx(placement(settings), rel=1e-12, abs=1e-12)


def test_the_first_picture_is_the_predicted_regions(page):
    assert_regions_are_predicted(page, settings_with())


@pytest.mark.parametrize(("init_method", "n_clusters", "step"), [
    ("k-means++", 2, FINEST_STEP),  # the finest step the page allows: ~1.8 million cells
    ("random", 30, 0.05),
    ("k-means++", 17, 0.3),
    ("PCA-based", 7, 1.0),
])
def test_the_page_draws_exactly_what_kmeans_predicts(page, init_method, n_clusters, step):
    settings = settings_with(init_method=init_method, n_clusters=n_clusters, mesh_step=step)
    type_into(page, "#mesh-step", f"{step:g}")
    wait_for_map_caption(page, f"step {step:g} =")
    if init_method != DEFAULTS["init_method"]:
        choose_init(page, init_method)
    type_into(page, "#n-clusters", str(n_clusters))
    wait_for_map_caption(page, f"{init_method} (", f"· k {n_clusters} ·")
    wait_for_fit(page, settings)
    assert_regions_are_predicted(page, settings)


def mesh_text(step: float) -> str:
    xs, ys = mesh(decision_boundary(settings_with()).extent, step)
    return f"step {step:g} = {len(xs):,}×{len(ys):,} cells"


def test_a_mesh_step_change_is_drawn_without_a_request(page):
    sent = callback_requests(page)
    before = callbacks_sent(page)
    for step in (0.05, 0.5, FINEST_STEP, 0.02):
        # The whole value at once, as pasted: typed key by key, a pause on a loaded machine lets an
        # unfinished value ("0.01") reach the server's validator, as it should.
        page.fill("#mesh-step", f"{step:g}")
        page.keyboard.press("Enter")
        caption = wait_for_map_caption(page, mesh_text(step))
        assert caption.endswith(mesh_text(step)), caption
        settings = settings_with(mesh_step=step)
        wait_for_fit(page, settings)
        assert_regions_are_predicted(page, settings)
        page.wait_for_function("step => new URLSearchParams(location.search).get('mesh') === step",
                               arg=repr(step))
    assert sent == [] and callbacks_sent(page) == before, f"a valid mesh step asked the server: {sent}"


# Marks the points' trace, its first point, and counts every change made to them from now on.
WATCH_POINTS = """() => {
    const trace = document.querySelector('#boundary-graph .scatterlayer .trace');
    window.__points = {trace, first: trace.querySelector('path.point'), changes: 0};
    new MutationObserver((records) => { window.__points.changes += records.length; })
        .observe(trace, {subtree: true, childList: true, attributes: true, characterData: true});
    return trace.querySelectorAll('path.point').length;
}"""
POINTS_NOW = """() => {
    const trace = document.querySelector('#boundary-graph .scatterlayer .trace');
    return {sameTrace: trace === window.__points.trace,
            sameFirst: trace.querySelector('path.point') === window.__points.first,
            changes: window.__points.changes};
}"""


def test_a_refit_redraws_the_regions_but_not_the_points(page):
    assert page.evaluate(WATCH_POINTS) == len(decision_boundary(settings_with()).point_clusters)
    type_into(page, "#n-clusters", "7")
    settings = settings_with(n_clusters=7)
    wait_for_map_caption(page, "· k 7 ·")
    wait_for_fit(page, settings)
    wait_for_quiet(page)
    assert_regions_are_predicted(page, settings)
    now = page.evaluate(POINTS_NOW)
    assert now["sameTrace"] and now["sameFirst"], "the points' SVG was replaced by a refit"
    assert now["changes"] == 0, f"the points' SVG changed {now['changes']} times in a refit"
