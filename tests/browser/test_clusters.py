"""The cluster views as a person uses them: open a cluster's members from the gallery or from the
map, close them again, and hover a digit for what it is and where it went. Expected names and
sizes come from scikit-learn's fit (named by the app's matching) and the map's 2-D fit."""

from __future__ import annotations

import re

import numpy as np
from playwright.sync_api import expect

from core import datasets
from core.boundary import decision_boundary
from core.matching import matching_for
from core.settings import DEFAULTS, Settings
from tests.browser import sklearn_reference as sk

POINTS_XY = "() => { const d = document.querySelector('#boundary-graph .js-plotly-plot').data[0]; return [d.x, d.y]; }"
MEMBERS_OPEN = "() => !document.getElementById('members-card').hidden"
MEMBERS_CLOSED = "() => document.getElementById('members-card').hidden"


def members_title(page):
    return page.locator("#members-card").get_by_role("heading", level=3)


def assert_members_on_screen(page, title_start: str) -> None:
    """The members are where a person looks: their title and Close button inside the viewport."""
    page.wait_for_function(MEMBERS_OPEN)
    title = members_title(page)
    expect(title).to_have_text(re.compile("^" + re.escape(title_start)))
    expect(title).to_be_in_viewport(ratio=1)
    expect(page.locator("#close-members")).to_be_in_viewport(ratio=1)


def point_on_screen(page, index: int) -> tuple[float, float]:
    """The centre of digit `index`'s marker as Plotly drew it, scrolled into view."""
    point = page.locator("#boundary-graph .scatterlayer .trace path.point").nth(index)
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def isolated_point(page, gap: float = 0.25) -> int:
    """A digit with no other within `gap` on the map, so the pointer lands on it alone."""
    xy = np.array(page.evaluate(POINTS_XY)).T
    for index in range(len(xy)):
        distances = ((xy - xy[index]) ** 2).sum(axis=1)
        distances[index] = np.inf
        if distances.min() > gap ** 2:
            return index
    raise AssertionError("no isolated digit on the map")


def gallery_card(page, name: str):
    return page.locator("#centroid-gallery").get_by_role("button", name=re.compile(f"^Cluster {re.escape(name)}:"))


def deepest_points(page, boundary) -> dict[int, int]:
    """Each map cluster's digit deepest inside its region (farthest from any border): {cluster: index}."""
    xy = np.array(page.evaluate(POINTS_XY)).T
    distances = np.sort(((xy[:, None, :] - boundary.centroids[None, :, :]) ** 2).sum(axis=-1), axis=1)
    margin = distances[:, 1] - distances[:, 0]
    deepest = {}
    for cluster in range(len(boundary.centroids)):
        inside = np.where(boundary.point_clusters == cluster, margin, -np.inf)
        deepest[cluster] = int(np.argmax(inside))
    return deepest


# Where these digits are on screen now, and whether a click there reaches the map (nothing over it).
REACHABLE_POINTS = """(indices) => {
    const points = document.querySelectorAll('#boundary-graph .scatterlayer .trace path.point');
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    return indices.map((index) => {
        const box = points[index].getBoundingClientRect();
        const x = box.left + box.width / 2, y = box.top + box.height / 2;
        const hit = document.elementFromPoint(x, y);
        return {index, x, y, reachable: !!hit && plot.contains(hit)};
    });
}"""


def test_a_gallery_card_opens_its_members_on_screen_and_escape_closes_them(page):
    gallery_card(page, "3").click()
    assert_members_on_screen(page, "Cluster 3")
    # The size the card gives is the members' count (scikit-learn's fit, named by the app's matching).
    labels = sk.fit("digits", DEFAULTS["init_method"], DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"])[0]
    matching = matching_for(datasets.load("digits"), labels, DEFAULTS["n_clusters"])
    size = int((labels == matching.cluster_named("3")).sum())
    expect(page.locator("#cluster-members")).to_contain_text(f"{size:,} digits")
    page.keyboard.press("Escape")
    page.wait_for_function(MEMBERS_CLOSED)


def test_a_second_click_on_the_open_cluster_closes_its_members(page):
    """The drawer covers part of the page: the second click goes to a map region left in sight."""
    gallery_card(page, "0").click()
    assert_members_on_screen(page, "Cluster 0")
    page.locator("#boundary-graph").scroll_into_view_if_needed()
    boundary = decision_boundary(Settings(**DEFAULTS))
    spots = page.evaluate(REACHABLE_POINTS, list(deepest_points(page, boundary).values()))
    reachable = [spot for spot in spots if spot["reachable"]]
    assert reachable, "the members drawer covers every map region: no cluster can be clicked again"
    spot = reachable[0]
    name = boundary.matching.names[int(boundary.point_clusters[spot["index"]])]
    page.mouse.click(spot["x"], spot["y"])  # another cluster: the drawer shows it instead
    assert_members_on_screen(page, f"Map cluster {name}")
    page.mouse.click(spot["x"], spot["y"])  # the open cluster again: closed
    page.wait_for_function(MEMBERS_CLOSED)
    gallery_card(page, "7").click()
    assert_members_on_screen(page, "Cluster 7")
    page.click("#close-members")
    page.wait_for_function(MEMBERS_CLOSED)


def test_a_click_in_a_map_region_opens_that_map_clusters_members(page):
    boundary = decision_boundary(Settings(**DEFAULTS))
    cluster = int(boundary.matching.order[0])
    name = boundary.matching.names[cluster]
    page.mouse.click(*point_on_screen(page, deepest_points(page, boundary)[cluster]))
    assert_members_on_screen(page, f"Map cluster {name}")
    size = int((boundary.point_clusters == cluster).sum())
    expect(page.locator("#cluster-members")).to_contain_text(f"{size:,} digits")
    page.keyboard.press("Escape")
    page.wait_for_function(MEMBERS_CLOSED)


def test_hovering_a_digit_shows_its_number_class_and_clusters(page):
    index = isolated_point(page)
    settings = Settings(**DEFAULTS)
    truth = int(datasets.load("digits").target[index])
    labels = sk.fit("digits", settings.init_method, settings.n_clusters, settings.n_init, settings.seed)[0]
    model = matching_for(datasets.load("digits"), labels, settings.n_clusters)
    plane = decision_boundary(settings)
    tooltip = page.locator("#digit-tooltip")
    expect(tooltip).to_be_hidden()
    page.mouse.move(*point_on_screen(page, index))
    expect(tooltip).to_be_visible()
    expect(tooltip).to_contain_text(f"Sample #{index}")
    expect(tooltip).to_contain_text(f"True class: {truth}")
    expect(tooltip).to_contain_text(f"Cluster {model.label(int(labels[index]))} in the k-means++ model")
    expect(tooltip).to_contain_text(f"Cluster {plane.matching.label(int(plane.point_clusters[index]))} on this map")
    expect(tooltip).to_be_in_viewport()


def test_the_map_says_when_a_name_it_shares_with_the_table_holds_other_digits(page):
    # The map's clusters are a 2-D refit's; the gallery's and the matrix's the table's model's.
    settings = Settings(**DEFAULTS)
    k = settings.n_clusters
    here = decision_boundary(settings).plane.matching
    labels, _ = sk.fit("digits", settings.init_method, k, settings.n_init, settings.seed)
    there = matching_for(datasets.load("digits"), labels, k)
    on_map = {here.names[c]: here.label(c) for c in range(k)}
    in_model = {there.names[c]: there.label(c) for c in range(k)}
    otherwise = sorted(name for name in on_map if name in in_model and on_map[name] != in_model[name])
    assert otherwise, "at the defaults, some name the two share holds other digits in each (this test's case)"
    expect(page.locator("#map-names-note")).to_be_visible()
    note = page.inner_text("#map-names-note")
    for name in otherwise:
        assert f"“{on_map[name]}” on the map is “{in_model[name]}” in the table's model" in note, note
