"""The map's regions, drawn by the browser (assets/map_regions.js), equal scikit-learn's prediction.

The page receives the 2-D fit's centroids and tints and rasterizes the regions itself. These tests
read back the picture the page actually shows (its layout image, decoded by Chromium) and compare it,
cell for cell, with `KMeans.predict` on the server's mesh. Only cells whose two nearest centroids
are within 1e-9 of equal distance may differ (a tie broken by rounding).
"""

from __future__ import annotations

import numpy as np
import pytest

from components.boundary_figure import mesh_caption, region_tints
from core.boundary import decision_boundary, fit_plane
from core.settings import DEFAULTS, Settings
from tests.browser.pages import settings_message, type_into, wait_for_caption

TIE = 1e-9
# The picture the page shows: its layout image decoded by the browser, as RGB rows top-down.
READ_REGIONS = """async () => {
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    const image = plot.layout.images[0];
    const picture = new Image();
    picture.src = image.source;
    await picture.decode();
    const canvas = document.createElement('canvas');
    canvas.width = picture.naturalWidth;
    canvas.height = picture.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(picture, 0, 0);
    const rgba = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const rgb = new Uint8Array(canvas.width * canvas.height * 3);
    for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        rgb[j] = rgba[i]; rgb[j + 1] = rgba[i + 1]; rgb[j + 2] = rgba[i + 2];
    }
    let binary = '';
    for (let i = 0; i < rgb.length; i += 0x8000) binary += String.fromCharCode.apply(null, rgb.subarray(i, i + 0x8000));
    return {width: canvas.width, height: canvas.height, rgb: btoa(binary),
            placement: [image.x, image.y, image.sizex, image.sizey]};
}"""


def _shown_regions(page) -> tuple[np.ndarray, list[float]]:
    import base64

    shown = page.evaluate(READ_REGIONS)
    rgb = np.frombuffer(base64.b64decode(shown["rgb"]), dtype=np.uint8)
    return rgb.reshape(shown["height"], shown["width"], 3)[::-1], shown["placement"]  # rows bottom-up


def _near_ties(settings: Settings) -> np.ndarray:
    """Mesh cells whose two nearest centroids are within TIE of equal (squared) distance."""
    boundary = decision_boundary(settings)
    xx, yy = np.meshgrid(boundary.xs, boundary.ys)
    distances = ((xx[..., None] - boundary.centroids[:, 0]) ** 2 + (yy[..., None] - boundary.centroids[:, 1]) ** 2)
    nearest_two = np.sort(distances, axis=-1)[..., :2]
    return nearest_two[..., 1] - nearest_two[..., 0] <= TIE


def _assert_regions_are_predicted(page, settings: Settings) -> None:
    boundary = decision_boundary(settings)  # KMeans.predict on every mesh point
    model = fit_plane(*settings.fit_key)
    points = np.column_stack([np.tile(boundary.xs, len(boundary.ys)), np.repeat(boundary.ys, len(boundary.xs))])
    predicted = model.predict(points).reshape(boundary.labels.shape)
    palette = np.array([[int(tint[i:i + 2], 16) for i in (1, 3, 5)] for tint in region_tints(boundary.plane)],
                       dtype=np.uint8)
    shown, placement = _shown_regions(page)
    assert shown.shape[:2] == predicted.shape, "one pixel per mesh cell"
    differ = np.any(shown != palette[predicted], axis=-1) & ~_near_ties(settings)
    assert not differ.any(), f"{int(differ.sum())} cells differ from KMeans.predict, first at {np.argwhere(differ)[:3]}"
    step = settings.mesh_step
    assert placement == pytest.approx([boundary.xs[0] - step / 2, boundary.ys[-1] + step / 2,
                                       len(boundary.xs) * step, len(boundary.ys) * step])


def _requests_to_the_server(page) -> list:
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "_dash-update-component" in request.url else None)
    return sent


def _wait_for_mesh(page, step: float) -> None:
    text = mesh_caption(decision_boundary(Settings(**DEFAULTS)).extent, step)
    page.wait_for_function("text => document.getElementById('map-mesh').textContent === text", arg=text,
                           timeout=20_000)


def test_the_first_picture_is_the_predicted_regions(page):
    _assert_regions_are_predicted(page, Settings(**DEFAULTS))


@pytest.mark.parametrize(("init_method", "n_clusters", "step"), [
    ("k-means++", 2, 0.014),  # the finest step the page allows: ~1.8 million cells
    ("random", 30, 0.05),
    ("k-means++", 17, 0.3),
    ("PCA-based", 7, 1.0),
])
def test_the_browser_draws_exactly_what_kmeans_predicts(page, init_method, n_clusters, step):
    settings = Settings(init_method, DEFAULTS["n_init"], n_clusters, DEFAULTS["seed"], step)
    type_into(page, "#mesh-step", f"{step:g}")
    _wait_for_mesh(page, step)
    if init_method != DEFAULTS["init_method"]:
        page.locator("#init-method label", has_text=init_method).click()
    type_into(page, "#n-clusters", str(n_clusters))
    wait_for_caption(page, init_method, f"k {n_clusters} ")
    page.wait_for_function("k => document.querySelector('#boundary-graph .js-plotly-plot').layout.annotations"
                           ".filter(a => a.opacity).length === k", arg=n_clusters, timeout=20_000)
    _assert_regions_are_predicted(page, settings)


def test_a_mesh_step_change_is_drawn_without_a_request(page):
    sent = _requests_to_the_server(page)
    for step in (0.05, 0.5, 0.014, 0.02):
        # The whole value at once (pasted): typed key by key on a loaded machine, a pause between keys
        # lets an unfinished value such as "0.01" reach the server's validator, as it should.
        page.fill("#mesh-step", f"{step:g}")
        page.keyboard.press("Enter")
        _wait_for_mesh(page, step)
        _assert_regions_are_predicted(page, Settings(**{**DEFAULTS, "mesh_step": step}))
        assert f"mesh={step!r}" in page.evaluate("location.search")
    assert sent == [], f"a mesh-step change asked the server: {sent}"


def test_a_refused_mesh_step_is_explained_by_the_server_and_the_fixed_one_drawn(page):
    sent = _requests_to_the_server(page)
    type_into(page, "#mesh-step", "5")
    page.wait_for_selector("#settings-message:not([hidden])", timeout=20_000)
    assert "Mesh step must be at most 1" in settings_message(page)
    assert len(sent) == 2  # the server words the message (the map's callback; the table's refuses too)
    _assert_regions_are_predicted(page, Settings(**DEFAULTS))  # the picture is unchanged
    type_into(page, "#mesh-step", "0.1")
    page.wait_for_selector("#settings-message[hidden]", state="attached", timeout=20_000)
    _wait_for_mesh(page, 0.1)
    _assert_regions_are_predicted(page, Settings(**{**DEFAULTS, "mesh_step": 0.1}))


def test_a_step_drawn_at_once_and_one_sent_after_the_typing_pause_agree_with_the_caption(page):
    """Enter draws a valid step in the page at once (before Dash has it); a step typed and left to
    the typing pause goes through Dash's callback. Back and forth, the caption and the picture
    always show the last step (Dash's copy of the caption is kept in step with the page's)."""
    for step, key in ((0.05, "Enter"), (0.02, None), (0.05, None), (0.02, "Enter")):
        page.fill("#mesh-step", f"{step:g}")
        if key:
            page.keyboard.press(key)
        _wait_for_mesh(page, step)
        page.wait_for_timeout(600)  # past the typing pause: anything still to come has come
        _wait_for_mesh(page, step)
        _assert_regions_are_predicted(page, Settings(**{**DEFAULTS, "mesh_step": step}))


# Every time the page paints a fit: its caption, and the centres of the discs it shows.
RECORD_PAINTS = """() => {
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    window.__paints = [];
    plot.addEventListener('kmeans-map-drawn', () => window.__paints.push({
        caption: document.getElementById('map-caption').textContent,
        discs: plot.layout.shapes.filter((s) => s.opacity).map((s) => [s.xanchor, s.yanchor]),
    }));
}"""


def test_back_to_back_each_painted_map_is_one_fit_and_the_last_is_the_newest(page):
    """A fit is drawn as soon as its answer is parsed, and its caption written with it, before
    Dash applies the answer (assets/map_regions.js, onResponse). Clicking "+" as fast as a person
    can, every frame painted shows one fit's discs under that same fit's caption, and the last is
    the newest setting: an older answer never lands after it."""
    page.evaluate(RECORD_PAINTS)
    for _ in range(4):
        page.click("#n-init-increment")
    final = DEFAULTS["n_init"] + 4
    wait_for_caption(page, f"(n_init {final})")
    page.wait_for_timeout(1000)  # anything still on its way has come
    paints = page.evaluate("window.__paints")
    assert paints and f"(n_init {final})" in paints[-1]["caption"]
    for paint in paints:
        n_init = int(paint["caption"].split("(n_init ")[1].split(")")[0])
        expected = fit_plane(DEFAULTS["init_method"], DEFAULTS["n_clusters"], n_init, DEFAULTS["seed"]).cluster_centers_
        shown = np.array(sorted(map(tuple, paint["discs"])))
        np.testing.assert_allclose(shown, np.array(sorted(map(tuple, expected.tolist()))), rtol=0, atol=1e-9,
                                   err_msg=f"discs painted under the caption {paint['caption']!r}")
