"""The cluster views as a person uses them: hover a digit, open a cluster, read the headline,
open a header's explainer by keyboard. Figures are checked against the core, computed here."""

from __future__ import annotations

import re

import pytest
from threadpoolctl import threadpool_limits

from core import data
from core.boundary import decision_boundary
from core.clustering import fitted_inits
from core.matching import match_clusters
from core.settings import DEFAULTS, Settings
from tests.browser.test_dashboard import type_number, wait_for_view

pytestmark = pytest.mark.browser

# The screen position of digit `index` on the map (Plotly's own axis conversion).
POINT_ON_SCREEN = """(index) => {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [box.left + xa.d2p(gd.data[0].x[index]), box.top + ya.d2p(gd.data[0].y[index])];
}"""
# A spot of the map far from every digit point (top-left corner of the plot area).
EMPTY_SPOT = """() => {
    const box = document.querySelector('#boundary-graph .nsewdrag').getBoundingClientRect();
    return [box.left + 6, box.top + 6];
}"""
TOOLTIP_SHOWN = "() => { const t = document.querySelector('#digit-tooltip .tooltip-body');" \
                " return t && t.offsetParent !== null ? t.innerText : null; }"


def _default_fit():
    with threadpool_limits(limits=1):
        row = fitted_inits(DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"])[0]
    return row.fit, match_clusters(data.load().target, row.fit.labels, DEFAULTS["n_clusters"])


def _isolated_point(index_hint: int = 0) -> int:
    """A digit with no other within 0.25 PCA units, so the pointer lands on it alone."""
    reduced = data.load().reduced
    for index in range(index_hint, len(reduced)):
        gaps = ((reduced - reduced[index]) ** 2).sum(axis=1)
        gaps[index] = 1.0
        if gaps.min() > 0.25 ** 2:
            return index
    raise AssertionError("no isolated point")


def test_hovering_a_digit_shows_its_image_and_clusters_without_asking_the_server(page):
    index = _isolated_point()
    fit, matching = _default_fit()
    with threadpool_limits(limits=1):
        boundary = decision_boundary(Settings(**DEFAULTS))
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "_dash-update-component" in r.url else None)
    x, y = page.evaluate(POINT_ON_SCREEN, index)
    page.mouse.move(x, y)
    page.wait_for_function(TOOLTIP_SHOWN, timeout=5_000)
    text = page.evaluate(TOOLTIP_SHOWN)
    digit = int(data.load().target[index])
    assert f"A {digit}" in text and f"Sample #{index}" in text
    assert f"Cluster {matching.names[fit.labels[index]]} in the k-means++ model" in text
    assert f"Cluster {boundary.matching.names[boundary.point_clusters[index]]} on this map" in text
    # The image is the digit itself, cropped from the sprite sheet.
    sprite = page.locator("#digit-tooltip .tooltip-digit")
    assert "digit-sprite.png" in sprite.evaluate("(e) => getComputedStyle(e).backgroundImage")
    assert sprite.bounding_box()["width"] >= 48
    assert requests == [], f"a hover asked the server: {requests}"
    # Moving to an empty part of the map hides it.
    page.mouse.move(*page.evaluate(EMPTY_SPOT))
    page.wait_for_function(f"() => ({TOOLTIP_SHOWN})() === null", timeout=5_000)


def _members_title(page) -> str | None:
    return page.evaluate("() => { const c = document.querySelector('#members-card');"
                         " return c && !c.hidden ? c.querySelector('.members-title').innerText : null; }")


def test_clicking_a_cluster_opens_its_members_and_a_second_click_or_escape_closes(page):
    fit, matching = _default_fit()
    card = page.locator("#centroid-gallery .centroid-card").filter(
        has=page.locator(".name-chip", has_text=re.compile(r"^3$")))
    card.click()
    page.wait_for_function("() => !document.querySelector('#members-card').hidden")
    assert _members_title(page).startswith("Cluster 3")
    cluster = matching.names.index("3")
    typical = page.locator("#cluster-members .digit-tiles").first.locator(".digit-tile")
    assert typical.count() == min(24, int((fit.labels == cluster).sum()))
    card.click()  # the same cluster again: closed
    page.wait_for_function("() => document.querySelector('#members-card').hidden")
    # A matrix row opens it too; Escape closes it.
    page.locator("#cluster-digit-matrix .row-pick", has_text="7").first.click()
    page.wait_for_function("() => !document.querySelector('#members-card').hidden")
    assert _members_title(page).startswith("Cluster 7")
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('#members-card').hidden")


def test_clicking_a_map_region_opens_that_regions_members(page):
    with threadpool_limits(limits=1):
        boundary = decision_boundary(Settings(**DEFAULTS))
    name = page.evaluate("""() => {
        const gd = document.querySelector('#boundary-graph .js-plotly-plot');
        return gd.layout.annotations.find((a) => a.opacity && a.text === '0').text;
    }""")
    cluster = boundary.matching.names.index(name)
    centre = boundary.centroids[cluster]
    spot = page.evaluate("""([x, y]) => {
        const gd = document.querySelector('#boundary-graph .js-plotly-plot');
        const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
        return [box.left + gd._fullLayout.xaxis.d2p(x) + 18, box.top + gd._fullLayout.yaxis.d2p(y)];
    }""", [float(centre[0]), float(centre[1])])
    page.mouse.click(*spot)
    page.wait_for_function("() => !document.querySelector('#members-card').hidden")
    title = _members_title(page)
    assert title.startswith("Map cluster 0"), title
    assert f"{int((boundary.point_clusters == cluster).sum()):,} members" in page.locator(
        "#cluster-members").inner_text()


def test_the_headline_figure_is_the_cores(page):
    _fit, matching = _default_fit()
    assert f"put {matching.accuracy:.1%} of the 1,797 digits" in page.locator("#matched-accuracy").inner_text()
    type_number(page, "n-clusters", "12")
    with threadpool_limits(limits=1):
        row = fitted_inits(12, DEFAULTS["n_init"], DEFAULTS["seed"])[0]
    twelve = match_clusters(data.load().target, row.fit.labels, 12)
    page.wait_for_function("(want) => document.querySelector('#matched-accuracy').innerText.includes(want)",
                           arg=f"put {twelve.accuracy:.1%}", timeout=20_000)
    text = page.locator("#matched-accuracy").inner_text()
    assert f"{twelve.purity:.1%}" in text and "Purity" in text
    assert page.locator("#centroid-gallery .centroid-card").count() == 12


def test_a_cluster_that_no_longer_exists_closes_its_panel(page):
    type_number(page, "n-clusters", "12")
    page.wait_for_function("() => document.querySelectorAll('#centroid-gallery .centroid-card').length === 12",
                           timeout=20_000)
    extra = page.locator("#centroid-gallery .centroid-card", has_text="′").first
    extra.click()
    page.wait_for_function("() => !document.querySelector('#members-card').hidden")
    page.keyboard.press("Tab")  # leave the card; type a smaller k: the extra cluster is gone
    type_number(page, "n-clusters", "5")
    page.wait_for_function("() => document.querySelector('#members-card').hidden", timeout=20_000)
    wait_for_view(page, centroids=5)
    assert page.problems.all() == []


def test_header_explainers_open_with_the_keyboard(page):
    page.locator("#mesh-step").focus()
    tip = page.locator("#explain-ari")
    assert not tip.is_visible()
    for _ in range(40):  # Tab through the page until the ARI header has focus
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.getAttribute('aria-describedby')") == "explain-ari":
            break
    assert tip.is_visible(), "the ARI explainer did not open on keyboard focus"
    assert "0 = chance" in tip.inner_text() and "1 = perfect" in tip.inner_text()
    page.keyboard.press("Escape")
    assert not tip.is_visible()


def test_views_left_stale_by_a_refused_setting_say_so(page):
    notes = page.locator(".stale-note")
    assert all(not note.is_visible() for note in notes.all())
    type_number(page, "n-clusters", "99")
    wait_for_view(page, messageShown=True)
    visible = [note.inner_text() for note in notes.all() if note.is_visible()]
    assert len(visible) >= 3 and all("last valid settings" in text for text in visible)
    type_number(page, "n-clusters", "9")
    wait_for_view(page, messageShown=False, centroids=9)
    assert all(not note.is_visible() for note in notes.all())


def test_header_explainers_open_with_a_tap(browser, app_url):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False)
    try:
        tab = context.new_page()
        tab.goto(app_url + "/")
        tab.wait_for_selector("#metrics-table tr[data-init]")
        tip = tab.locator("#explain-silhouette")
        tab.locator("#metrics-table .th-help", has_text="Silhouette").tap()
        assert tip.is_visible() and "−1 to 1" in tip.inner_text()
        tab.locator("h1").tap()  # a tap elsewhere closes it
        assert not tip.is_visible()
    finally:
        context.close()
