"""The dashboard driven as a person would: type, click, then look at the table, the map and the message.

Numbers on screen are checked against the core, computed here in the test process.
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image
from threadpoolctl import threadpool_limits

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
except ImportError:  # the fixtures skip (or, with REQUIRE_BROWSER=1, fail) with the reason
    PlaywrightTimeout = TimeoutError

from components.boundary_figure import map_caption, mesh_caption
from components.controls import N_INIT_HINT, N_INIT_PCA_HINT
from components.metrics_table import COLUMNS
from core import data
from core.boundary import decision_boundary, mesh, plane_map
from core.clustering import benchmark_inits
from core.settings import DEFAULTS, INIT_METHODS, Settings

pytestmark = pytest.mark.browser

UPDATE_TIMEOUT_MS = 20_000  # a refit of three 64-D KMeans plus the map takes ~1 s; CI machines are slow
# Fit time is wall time, so it differs between the app's process and this one.
COMPARED_COLUMNS = tuple(column for column in COLUMNS if column.header != "Fit time")

READ_VIEW = """() => {
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    // Always 30 slots, one per possible cluster; those beyond k are transparent.
    const centroids = (plot.layout.annotations || []).filter((a) => a.opacity !== 0);
    const headers = Array.from(document.querySelectorAll('#metrics-table thead th'))
        .map((th) => (th.querySelector('.th-help') || th).textContent.trim());
    const rows = Array.from(document.querySelectorAll('#metrics-table tbody tr[data-init]')).map((tr) => {
        const cells = {};
        Array.from(tr.cells).forEach((td, i) => { cells[headers[i]] = td.textContent.trim(); });
        return {init: tr.dataset.init, selected: tr.classList.contains('selected'), cells};
    });
    const message = document.querySelector('#settings-message');
    return {
        traceNames: plot.data.map((trace) => trace.name),
        centroidX: centroids.map((a) => a.x),
        centroidY: centroids.map((a) => a.y),
        centroidText: centroids.map((a) => a.text),
        // The discs drawn under the numbers, and the ones on screen (Plotly's own SVG).
        centroidDiscs: (plot.layout.shapes || []).filter((s) => s.opacity !== 0).map((s) => [s.xanchor, s.yanchor]),
        discsDrawn: Array.from(plot.querySelectorAll('.shapelayer path'))
            .filter((path) => getComputedStyle(path).opacity !== '0').length,
        numbersDrawn: Array.from(plot.querySelectorAll('.annotation-text'))
            .map((t) => t.textContent).filter((text) => text !== ''),
        image: plot.layout.images[0].source,
        caption: document.querySelector('#map-caption').textContent + ' · ' + document.querySelector('#map-mesh').textContent,
        tableText: document.querySelector('#metrics-table').innerText,
        rows,
        messageHidden: message.hidden || message.offsetParent === null,
        messageText: message.innerText,
    };
}"""

# No Dash callback queued, in flight or waiting to be applied (Dash's own test helpers read the same store).
SETTLED = """() => {
    const state = window.store && window.store.getState();
    if (!state) return true;
    const callbacks = state.callbacks || {};
    return Object.entries(callbacks).every(([stage, list]) =>
        stage === 'stored' || stage === 'completed' || !Array.isArray(list) || list.length === 0)
        && !state.isLoading;
}"""

# True once the screen shows what `want` describes, with no callback pending; every key is optional.
VIEW_MATCHES = """(want) => {
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    if (!plot || !plot.data || !plot.layout) return false;
    if (want.settled !== false && !(SETTLED)()) return false;
    const centroids = (plot.layout.annotations || []).filter((a) => a.opacity !== 0);
    const caption = document.querySelector('#map-caption').textContent + ' · ' + document.querySelector('#map-mesh').textContent;
    const message = document.querySelector('#settings-message');
    const messageShown = !message.hidden && message.offsetParent !== null;
    if (want.centroids !== undefined && (!centroids || centroids.length !== want.centroids)) return false;
    if (want.caption !== undefined && caption.trim() !== want.caption) return false;
    if (want.imageNot !== undefined && plot.layout.images[0].source === want.imageNot) return false;
    if (want.messageShown !== undefined && messageShown !== want.messageShown) return false;
    if (want.selected) {
        const selected = document.querySelector('#metrics-table tr.selected');
        if (!selected || selected.dataset.init !== want.selected) return false;
    }
    if (want.table) {
        const headers = Array.from(document.querySelectorAll('#metrics-table thead th'))
            .map((th) => (th.querySelector('.th-help') || th).textContent.trim());
        for (const [init, cells] of Object.entries(want.table)) {
            const tr = document.querySelector(`#metrics-table tr[data-init="${init}"]`);
            if (!tr) return false;
            for (const [header, text] of Object.entries(cells)) {
                const td = tr.cells[headers.indexOf(header)];
                if (!td || td.textContent.trim() !== text) return false;
            }
        }
    }
    return true;
}""".replace("SETTLED", SETTLED)


# ---------------------------------------------------------------- helpers


def read_view(page) -> dict:
    return page.evaluate(READ_VIEW)


def wait_for_view(page, **want) -> dict:
    """Wait until the screen shows `want`, then return what it shows (the caller asserts, for a diff)."""
    try:
        page.wait_for_function(VIEW_MATCHES, arg=want, timeout=UPDATE_TIMEOUT_MS, polling=100)
    except PlaywrightTimeout:
        pass  # the caller's assertions say what differs
    return read_view(page)


def type_number(page, control_id: str, text: str) -> None:
    """Click the field, select what is there and type over it; the app applies it when typing pauses."""
    field = page.locator(f"#{control_id}")
    field.click()
    field.press("ControlOrMeta+a")
    # No delay between keys: a gap of more than the typing pause (350 ms, easily reached on a loaded
    # machine) would apply a prefix ("9" of "99") on its own.
    field.press_sequentially(text)
    assert field.input_value() == text


def choose_init(page, method: str) -> None:
    page.locator("#init-method label", has_text=method).click()


def expected_table(n_clusters: int, n_init: int, seed: int) -> dict[str, dict[str, str]]:
    """The table's text as components/metrics_table.py formats the core's results (fit time left out)."""
    with threadpool_limits(limits=1):  # as app.py runs the fits, so the sums add up in the same order
        results = benchmark_inits(n_clusters, n_init, seed)
    return {
        result.init_method: {column.header: column.text(column.value(result)) for column in COMPARED_COLUMNS}
        for result in results
    }


def expected_caption(**changes) -> str:
    """The caption the app should show for the defaults with these changes, from the core."""
    settings = Settings(**{**DEFAULTS, **changes})
    with threadpool_limits(limits=1):
        plane = plane_map(*settings.fit_key)
    return f"{map_caption(plane)} · {mesh_caption(plane.extent, settings.mesh_step)}"


def expected_names(**changes) -> list[str]:
    """The map's centroid names, in display order, for the defaults with these changes (from the core)."""
    with threadpool_limits(limits=1):
        matching = decision_boundary(Settings(**{**DEFAULTS, **changes})).matching
    return [matching.names[cluster] for cluster in matching.order]


def shown_table(view: dict) -> dict[str, dict[str, str]]:
    return {row["init"]: {column.header: row["cells"][column.header] for column in COMPARED_COLUMNS}
            for row in view["rows"]}


def selected_rows(view: dict) -> list[str]:
    return [row["init"] for row in view["rows"] if row["selected"]]


def mesh_cells(step: float) -> tuple[int, int]:
    """(columns, rows) of the map's mesh at this step."""
    xs, ys = mesh(data.load().extent, step)
    return len(xs), len(ys)


def png_size(data_uri: str) -> tuple[int, int]:
    """The size of the map's region picture: the first page's PNG, or a bitmap the page drew."""
    header, _, body = data_uri.partition(",")
    assert header in ("data:image/png;base64", "data:image/bmp;base64"), data_uri[:40]
    with Image.open(io.BytesIO(base64.b64decode(body))) as picture:
        return picture.size


def inside_viewport(box: dict | None, viewport: dict) -> bool:
    return (box is not None and box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= viewport["width"] + 0.5
            and box["y"] + box["height"] <= viewport["height"] + 0.5)


DEFAULT_K, DEFAULT_N_INIT, DEFAULT_SEED = DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"]


# ---------------------------------------------------------------- tests


def test_page_loads_with_headline_table_and_map_in_one_screen(page):
    assert page.get_by_role("heading", level=1).is_visible()
    assert page.get_by_role("heading", level=1).inner_text() == "K-means on handwritten digits"

    view = read_view(page)
    assert [row["init"] for row in view["rows"]] == list(INIT_METHODS) == ["k-means++", "random", "PCA-based"]
    assert selected_rows(view) == ["k-means++"]
    assert view["traceNames"] == ["digits"]
    # The colour key names every digit and the centroid marker.
    key = page.locator(".digit-key").inner_text()
    assert all(str(digit) in key for digit in range(10)) and "centroid" in key
    assert len(view["centroidX"]) == len(view["centroidY"]) == 10
    assert view["centroidText"] == expected_names() == [str(digit) for digit in range(10)]
    # Each name sits on its disc, and both are drawn.
    assert view["centroidDiscs"] == [list(xy) for xy in zip(view["centroidX"], view["centroidY"], strict=True)]
    assert view["discsDrawn"] == 10 and sorted(view["numbersDrawn"]) == view["centroidText"]
    assert view["messageHidden"], f"settings message shown on load: {view['messageText']!r}"
    assert page.locator("#settings-message").is_hidden()

    # The first screen holds the headline, the table, the map and the clusters as digits; the
    # matrix follows below.
    viewport = page.viewport_size
    for selector in ("#matched-accuracy", "#metrics-table table", "#boundary-graph", "#centroid-gallery"):
        box = page.locator(selector).bounding_box()
        assert inside_viewport(box, viewport), f"{selector} {box} is not inside {viewport}"
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= viewport["width"], f"the page scrolls sideways: {scroll_width}"

    assert page.problems.all() == []


def test_init_method_labels_fit_their_control(page):
    for method in ("k-means++", "PCA-based"):
        choose_init(page, method)
        wait_for_view(page, selected=method)
        control = page.locator("#init-method").bounding_box()
        for label in page.locator("#init-method label").all():
            box = label.bounding_box()
            assert control["x"] <= box["x"] and box["x"] + box["width"] <= control["x"] + control["width"], (
                f"{label.inner_text()!r} spans x {box['x']:.0f}–{box['x'] + box['width']:.0f}, "
                f"outside the control's {control['x']:.0f}–{control['x'] + control['width']:.0f}"
            )


def test_default_table_and_caption_match_the_core(page):
    view = read_view(page)
    assert shown_table(view) == expected_table(DEFAULT_K, DEFAULT_N_INIT, DEFAULT_SEED)
    assert all(row["cells"]["Fit time"].endswith(" ms") for row in view["rows"])
    assert view["caption"].strip() == expected_caption()


HOVER_LABELS = "() => Array.from(document.querySelectorAll('#boundary-graph g.hovertext')).map((g) => g.textContent)"


def test_a_centroid_hover_label_does_not_outlive_a_refit(page):
    """Hovering a centroid's name names its cluster and size; after a refit, with the pointer
    left where it was, no label describes the old centroid."""
    number = page.locator("#boundary-graph .annotation-text", has_text="3").first
    box = number.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function(f"() => ({HOVER_LABELS})().some((t) => t.startsWith('Map cluster 3:'))")
    before = [text for text in page.evaluate(HOVER_LABELS) if text.startswith("Map cluster")]
    page.keyboard.press("Tab")  # focus moves to the page; the pointer stays on the map
    page.locator("#n-clusters").focus()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type("5", delay=40)
    wait_for_view(page, centroids=5, caption=expected_caption(n_clusters=5))
    assert not set(before) & set(page.evaluate(HOVER_LABELS)), "a label still describes the old centroid"


def test_typing_k_redraws_table_and_centroids(page):
    expected = expected_table(5, DEFAULT_N_INIT, DEFAULT_SEED)
    caption = expected_caption(n_clusters=5)
    before = read_view(page)

    type_number(page, "n-clusters", "5")
    view = wait_for_view(page, centroids=5, caption=caption, table=expected)

    assert len(view["centroidX"]) == len(view["centroidY"]) == 5
    assert view["centroidText"] == expected_names(n_clusters=5)
    assert view["discsDrawn"] == 5 and sorted(view["numbersDrawn"]) == sorted(expected_names(n_clusters=5))
    assert shown_table(view) == expected
    assert selected_rows(view) == ["k-means++"]
    assert view["image"] != before["image"], "the region raster did not change with k"
    assert view["caption"].strip() == caption
    assert "k-means++" in caption and "5" in caption
    assert view["messageHidden"]


# Counts changes to the SVG of the 1,797 digit points from now on.
WATCH_POINTS = """() => {
    const layer = document.querySelector('#boundary-graph .scatterlayer');
    window.__pointChanges = 0;
    new MutationObserver((records) => { window.__pointChanges += records.length; })
        .observe(layer, {subtree: true, childList: true, attributes: true});
    return layer.querySelectorAll('path.point').length;
}"""


def test_a_refit_redraws_regions_and_centroids_but_leaves_the_points_alone(page):
    """The points never change; redrawing them was most of the browser's time per change."""
    before = read_view(page)
    assert page.evaluate(WATCH_POINTS) == 1797
    type_number(page, "n-clusters", "7")
    view = wait_for_view(page, centroids=7, caption=expected_caption(n_clusters=7), imageNot=before["image"])
    assert view["discsDrawn"] == 7 and view["centroidText"] == expected_names(n_clusters=7)
    assert page.evaluate("() => window.__pointChanges") == 0, "the digit points were redrawn"


def test_pca_based_disables_n_init_and_moves_the_selection(page):
    n_init = page.locator("#n-init")
    description = page.locator("#n-init-description")
    assert n_init.is_enabled()
    assert description.inner_text() == N_INIT_HINT
    table_before = shown_table(read_view(page))
    caption = expected_caption(init_method="PCA-based")

    choose_init(page, "PCA-based")
    view = wait_for_view(page, selected="PCA-based", caption=caption)

    page.wait_for_function("() => document.querySelector('#n-init').disabled")
    assert n_init.is_disabled()
    assert description.inner_text() == N_INIT_PCA_HINT
    assert "PCA-based" in description.inner_text() and "deterministic" in description.inner_text()
    assert selected_rows(view) == ["PCA-based"]
    assert view["caption"].strip() == caption
    assert "PCA-based" in caption and "k-means++" not in caption
    assert shown_table(view) == table_before, "choosing an init should only move the highlight"

    choose_init(page, "k-means++")
    view = wait_for_view(page, selected="k-means++", caption=expected_caption())
    page.wait_for_function("() => !document.querySelector('#n-init').disabled")
    assert selected_rows(view) == ["k-means++"]
    assert description.inner_text() == N_INIT_HINT


def test_n_init_and_seed_refit_the_table(page):
    type_number(page, "n-init", "3")
    expected, caption = expected_table(DEFAULT_K, 3, DEFAULT_SEED), expected_caption(n_init=3)
    view = wait_for_view(page, caption=caption, table=expected)
    assert shown_table(view) == expected
    assert view["caption"].strip() == caption

    type_number(page, "random-seed", "7")
    expected, caption = expected_table(DEFAULT_K, 3, 7), expected_caption(n_init=3, seed=7)
    view = wait_for_view(page, caption=caption, table=expected)
    assert shown_table(view) == expected
    assert view["caption"].strip() == caption
    assert len(view["centroidX"]) == DEFAULT_K


def test_mesh_step_changes_only_the_regions(page):
    before = read_view(page)
    columns, rows = mesh_cells(DEFAULTS["mesh_step"])
    assert png_size(before["image"]) == (columns, rows)

    type_number(page, "mesh-step", "0.2")
    caption = expected_caption(mesh_step=0.2)
    view = wait_for_view(page, caption=caption, imageNot=before["image"])

    columns, rows = mesh_cells(0.2)
    assert view["caption"].strip() == caption
    # Whatever the wording, the caption names the step and the new mesh size.
    assert "0.2" in caption and f"{columns:,}" in caption and f"{rows:,}" in caption
    assert view["image"] != before["image"]
    assert png_size(view["image"]) == (columns, rows), "one raster pixel per mesh cell"
    assert (view["centroidX"], view["centroidY"]) == (before["centroidX"], before["centroidY"])
    assert view["tableText"] == before["tableText"], "the mesh step must not refit the table"


def test_coarse_mesh_cells_stay_crisp(page):
    type_number(page, "mesh-step", "1")
    view = wait_for_view(page, caption=expected_caption(mesh_step=1))
    assert png_size(view["image"]) == mesh_cells(1)
    rendering = page.evaluate(
        "() => getComputedStyle(document.querySelector('#boundary-graph .imagelayer image')).imageRendering")
    assert rendering == "pixelated", "a 19×19 raster stretched over the map is drawn as a blur"


@pytest.mark.parametrize(("typed", "says"), [("1", "got 1."), ("99", "got 99.")])
def test_out_of_range_k_explains_and_keeps_the_results(page, typed, says):
    before = read_view(page)

    type_number(page, "n-clusters", typed)
    # The message and the (refused) table and map updates are sent together; wait for all of them.
    view = wait_for_view(page, messageShown=True)

    message = page.locator("#settings-message")
    assert message.is_visible(), "no message for an out-of-range k"
    assert message.get_attribute("role") == "alert"
    assert "k (clusters) must be a whole number from 2 to 30" in view["messageText"]
    assert says in view["messageText"]
    assert view["tableText"] == before["tableText"]
    assert view["image"] == before["image"]
    assert (view["centroidX"], view["centroidY"]) == (before["centroidX"], before["centroidY"])
    assert view["caption"] == before["caption"]

    type_number(page, "n-clusters", "6")
    view = wait_for_view(page, messageShown=False, centroids=6, caption=expected_caption(n_clusters=6))
    assert message.is_hidden()
    assert len(view["centroidX"]) == 6
    assert shown_table(view) == expected_table(6, DEFAULT_N_INIT, DEFAULT_SEED)


def test_changes_made_while_a_value_is_bad_apply_once_it_is_fixed(page):
    type_number(page, "mesh-step", "0.001")
    wait_for_view(page, messageShown=True)
    type_number(page, "n-clusters", "7")  # valid, but held back while the mesh step is bad
    wait_for_view(page, messageShown=True)
    type_number(page, "mesh-step", "0.1")
    view = wait_for_view(page, messageShown=False, centroids=7,
                         caption=expected_caption(n_clusters=7, mesh_step=0.1),
                         table=expected_table(7, DEFAULT_N_INIT, DEFAULT_SEED))
    assert shown_table(view) == expected_table(7, DEFAULT_N_INIT, DEFAULT_SEED)


def test_screenshot_is_not_blank(page, artifacts_dir):
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.wait_for_selector("#boundary-graph .imagelayer image", state="attached")
    page.mouse.move(1, 1)  # no hover label in the picture
    plot_area = page.locator("#boundary-graph .nsewdrag").bounding_box()
    path = artifacts_dir / "dashboard.png"
    path.unlink(missing_ok=True)
    page.screenshot(path=str(path), full_page=True)

    assert path.is_file()
    assert path.stat().st_size > 50_000, f"{path} is only {path.stat().st_size} bytes"
    with Image.open(path) as shot:
        assert shot.width == 1440 and shot.height >= 900  # the whole page: the matrix is below the fold
        picture = shot.convert("RGB")
    colours = picture.getcolors(maxcolors=1 << 22)
    assert len(colours) > 500, "the screenshot is nearly uniform"
    assert max(count for count, _ in colours) < 0.9 * picture.width * picture.height, "one colour fills the page"
    # Inside the axes the tinted regions and the dots show: no single colour (e.g. white) dominates.
    left, top = round(plot_area["x"]), round(plot_area["y"])
    inside = picture.crop((left, top, left + round(plot_area["width"]), top + round(plot_area["height"])))
    inside_colours = inside.getcolors(maxcolors=1 << 22)
    assert len(inside_colours) > 50
    assert max(count for count, _ in inside_colours) < 0.5 * inside.width * inside.height, \
        "the map's plot area is mostly one colour: the region raster did not draw"
