"""Issue 24, "The room sees the truth": what a presenter noticed in front of a room, each checked as
a person would see it. Expected cluster names come from scikit-learn and scipy, computed here.

Covered in other files, not repeated: a click on a centroid image shows its members on screen
(test_clusters.py::test_a_gallery_card_opens_its_members_on_screen_and_escape_closes_them), and
Reset restores the jobs' fields too
(test_dashboard.py::test_reset_restores_every_setting_but_the_theme_and_presenter_mode).
"""

from __future__ import annotations

import io
import re

import numpy as np
from PIL import Image
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics.cluster import contingency_matrix

from core.settings import DEFAULTS
from tests.browser import sklearn_reference as sk
from tests.browser.looks import READ_IN_FULL, box, contrast, cut_text, luminance, rgb
from tests.browser.pages import (
    SHOWN_JOBS,
    VIEWPORT,
    open_dashboard,
    run_job,
    set_display,
    set_job_fields,
    show_every_job_result,
    wait_for_jobs_panels,
)

INIT, K, N_INIT, SEED = DEFAULTS["init_method"], DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"]
PROJECTOR = {"width": 853, "height": 480}  # 1280×720 at 150% zoom: see test_screens.py
NEXT_FRAME = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


# ---------------------------------------------------------------- 1. no stray upload button

GRAPHS = ("boundary-graph", "k-sweep-graph", "stability-graph", "replay-graph")
SENDS_DATA_AWAY = re.compile(r"share|cloud|upload|chart studio|plotly\.com|plot\.ly|edit in|send", re.IGNORECASE)


def test_no_graph_offers_to_send_its_data_elsewhere(page):
    show_every_job_result(page)
    offered = {}
    for graph in GRAPHS:
        plot = page.locator(f"#{graph} .nsewdrag").first
        plot.scroll_into_view_if_needed()
        plot.hover()
        offered[graph] = page.eval_on_selector_all(f"#{graph} .modebar-btn", "buttons => buttons.map("
                                                   "b => b.getAttribute('data-title') || b.textContent)")
    away = {graph: [title for title in titles if SENDS_DATA_AWAY.search(title)] for graph, titles in offered.items()}
    assert not any(away.values()), f"a modebar offers to send the chart elsewhere: {away}"
    # What was read is each modebar: the map and the jobs' plots have one (the replay shows none).
    assert all(offered[graph] for graph in GRAPHS[:3]), offered
    assert page.locator("a[href*='plotly.com'], a[href*='plot.ly'], a[href*='chart-studio']").count() == 0


# ---------------------------------------------------------------- 2. honest cluster names


def honest_words(labels: np.ndarray, truth: np.ndarray) -> dict[str, tuple[str, bool, list[int]]]:
    """{the digit a cluster is matched to: (what it mostly holds when that is another digit, or "";
    whether its matched digit is under half of it; its members by digit)} from the contingency
    table and Hungarian matching."""
    counts = contingency_matrix(labels, truth)  # rows: clusters; columns: digits
    assert counts.shape == (K, 10), "every cluster and digit should occur at the defaults"
    clusters, digits = linear_sum_assignment(counts, maximize=True)
    words = {}
    for cluster, digit in zip(clusters.tolist(), digits.tolist(), strict=True):
        row = counts[cluster]
        top = np.flatnonzero(row == row.max()).tolist()
        mostly = "" if top == [digit] else "mostly " + " and ".join(f"{d}s" for d in top)
        words[str(digit)] = (mostly, bool(row[digit] < 0.5 * row.sum()), row.tolist())
    return words


# Each view's words for each cluster, by the digit it is named after. The map draws its centroids
# on a canvas; the canvas says what it draws in words (its aria-label, what a screen reader reads):
# "Centroids: 0; 1 (mixed); …; 9 (mostly 7s, mixed)".
READ_NAMES = """() => {
    const words = (selector) => Object.fromEntries([...document.querySelectorAll(selector)]
        .map(e => [e.dataset.pickName, e.innerText.replace(/\\s+/g, ' ').trim()]));
    const drawn = document.getElementById('map-markers-canvas').getAttribute('aria-label') || '';
    const map = Object.fromEntries(drawn.replace(/^Centroids: /, '').split('; ').filter(Boolean)
        .map(item => { const [name, ...note] = item.split(' '); return [name, note.join(' ')]; }));
    return {gallery: words('#centroid-gallery [data-pick-name]'),
            'matrix row': words('#cluster-digit-matrix [data-pick-name]'),
            'map label': map, summary: document.getElementById('matrix-summary').innerText};
}"""


def wrong_words(view: str, shown: dict[str, str], expected: dict[str, tuple[str, bool, list[int]]]) -> list[str]:
    problems = []
    if sorted(shown) != sorted(expected):
        return [f"{view}: clusters {sorted(shown)} shown, {sorted(expected)} expected"]
    for digit, (mostly, mixed, _) in expected.items():
        text = shown[digit]
        if mostly and mostly not in text:
            problems.append(f"{view} {digit}: {text!r} does not say {mostly!r}")
        if not mostly and "mostly" in text:
            problems.append(f"{view} {digit}: {text!r} says 'mostly' of a cluster mostly of {digit}s")
        if mixed != bool(re.search(r"\bmixed\b", text, re.IGNORECASE)):
            problems.append(f"{view} {digit}: {text!r} " + ("does not say 'mixed'" if mixed else "says 'mixed'"))
    return problems


def test_cluster_names_say_what_each_cluster_mostly_holds(page):
    features, truth = sk.standardized("digits")
    model = honest_words(sk.fit("digits", INIT, K, N_INIT, SEED)[0], truth)
    plane = PCA(n_components=2).fit_transform(features)
    map_labels = KMeans(init=INIT, n_clusters=K, n_init=N_INIT, random_state=SEED).fit(plane).labels_
    on_map = honest_words(map_labels, truth)
    assert any(mostly for mostly, _, _ in model.values()), "the defaults no longer have a misnamed cluster to check"
    shown = page.evaluate(READ_NAMES)
    problems = (wrong_words("gallery card", shown["gallery"], model)
                + wrong_words("matrix row", shown["matrix row"], model)
                + wrong_words("map label", shown["map label"], on_map))
    # The sentence above the matrix names clusters with the same words, and its counts are theirs.
    summary = shown["summary"]
    mentions = re.findall(r"(\d+) (\d)s in cluster (\d)( · mostly [^;.]+)?", summary)
    assert mentions, f"the matrix sentence names no mixed-up cluster: {summary!r}"
    for count, digit, cluster, words in mentions:
        mostly, _, members = model[cluster]
        if members[int(digit)] != int(count):
            problems.append(f"the matrix sentence says {count} {digit}s in cluster {cluster}; it holds "
                            f"{members[int(digit)]}")
        if words.removeprefix(" · ") != mostly:
            problems.append(f"the matrix sentence calls cluster {cluster} {cluster + words!r}; it is "
                            f"{cluster + (' · ' + mostly if mostly else '')!r}")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- 3. presenter mode and projector

PLOT_AREA = "#boundary-graph .nsewdrag"  # the map's drawn plane, between its axes


def whole_table_problems(page) -> list[str]:
    """Every column and the caption of the table on screen, without scrolling it sideways."""
    problems = cut_text(page, READ_IN_FULL[1:])
    width, shown = page.evaluate("() => { const t = document.getElementById('metrics-table');"
                                 " return [t.scrollWidth, t.clientWidth]; }")
    if width > shown:
        hidden = page.evaluate("""() => { const box = document.getElementById('metrics-table').getBoundingClientRect();
            return [...document.querySelectorAll('#metrics-table thead th')]
                .filter(th => th.getBoundingClientRect().right > box.right + 1)
                .map(th => (th.querySelector('button') || th).textContent.trim()); }""")
        problems.append(f"the table scrolls sideways in its box ({width} px in {shown} px): {hidden} are out of sight")
    return problems


def test_presenter_mode_at_1440_shows_the_whole_table_and_the_headline_and_a_larger_map_first(page):
    normal = box(page, PLOT_AREA)
    set_display(page, presenter=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    problems = whole_table_problems(page)
    presenter = box(page, PLOT_AREA)
    if presenter["height"] <= normal["height"]:
        problems.append(f"the map's plane is {presenter['height']:.0f} px tall in presenter mode, "
                        f"{normal['height']:.0f} px in normal mode")
    for name, selector in (("the headline", "#headline-card"), ("the map", "#boundary-graph")):
        where = box(page, selector)
        if where["top"] < 0 or where["bottom"] > VIEWPORT["height"]:
            problems.append(f"{name} spans {where['top']:.0f}..{where['bottom']:.0f} px of a "
                            f"{VIEWPORT['height']} px first screen")
    assert not problems, "presenter mode at 1440×900:\n" + "\n".join(problems)


VIEWS = ("settings", "table-card", "map-card", "jobs-section", "matrix-card", "reproduce-card")
# Where a view is after its link's click: the sticky links' bottom, the view's top, its heading's box.
WHERE = """(href) => {
    const view = document.querySelector(href);
    const heading = [...view.querySelectorAll('h2, summary')].find(h => h.checkVisibility());
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; };
    return {links: document.querySelector('.section-links').getBoundingClientRect().bottom,
            view: box(view), heading: heading ? box(heading) : null, height: window.innerHeight,
            plane: href === '#map-card' ? box(document.querySelector('#boundary-graph .nsewdrag')) : null};
}"""


def test_at_1280x720_zoomed_150_each_view_is_one_click_away_and_presenter_mode_shows_the_whole_table(browser, app):
    problems = []
    with open_dashboard(browser, app.url, viewport=PROJECTOR, device_scale_factor=1.5, log_tail=app.log_tail) as page:
        wait_for_jobs_panels(page)
        for presenter in (False, True):
            set_display(page, presenter=presenter)
            hrefs = page.eval_on_selector_all(".section-links a", "links => links.map(a => a.getAttribute('href'))")
            assert sorted(hrefs) == sorted(f"#{view}" for view in VIEWS), hrefs
            for href in hrefs:
                page.click(f".section-links a[href='{href}']")
                page.evaluate(NEXT_FRAME)
                at = page.evaluate(WHERE, href)
                mode = "presenter" if presenter else "normal"
                top, links, height = at["view"][0], at["links"], at["height"]
                if not links - 1 <= top < height:
                    problems.append(f"{mode}, {href}: its top is at {top:.0f} px (links end at {links:.0f}, "
                                    f"the screen at {height})")
                if at["heading"] and not (at["heading"][0] >= links - 1 and at["heading"][1] <= height):
                    problems.append(f"{mode}, {href}: its heading is at {at['heading']}, not on screen below the links")
                if at["plane"]:
                    plane_top, plane_bottom = at["plane"]
                    visible = max(0.0, min(plane_bottom, height) - max(plane_top, links))
                    if visible < 0.5 * (plane_bottom - plane_top):
                        problems.append(f"{mode}, {href}: only {visible:.0f} px of the "
                                        f"{plane_bottom - plane_top:.0f} px map is on screen")
            if presenter:
                problems += [f"presenter: {problem}" for problem in whole_table_problems(page)]
    assert not problems, "at 1280×720, 150%:\n" + "\n".join(problems)


# ---------------------------------------------------------------- 4. the dark theme


DISABLED = ("#k-sweep-download-button", "#stability-download-button", "#replay-play")
# A control's text and border colours, and the colour it sits on (its own, or its nearest painted ancestor's).
LOOK = """(selector) => {
    const control = document.querySelector(selector), style = getComputedStyle(control);
    let ground = null;
    for (let node = control; node && !ground; node = node.parentElement) {
        const colour = getComputedStyle(node).backgroundColor;
        if (!/^rgba\\(.*, 0\\)$|^transparent$/.test(colour)) ground = colour;
    }
    return {disabled: control.disabled, text: style.color, border: style.borderTopColor,
            borderStyle: style.borderTopStyle, cursor: style.cursor, ground: ground || 'rgb(255, 255, 255)'};
}"""
CARDS = """() => [...document.querySelectorAll('.card, .sidebar')].filter(c => c.checkVisibility())
    .map(c => [c.id || c.className, getComputedStyle(c).backgroundColor])"""


def disabled_look_problems(page, theme: str) -> list[str]:
    problems = []
    for selector in DISABLED:
        look = page.evaluate(LOOK, selector)
        if not look["disabled"]:
            problems.append(f"{theme}: {selector} is not disabled before any job")
            continue
        ground = rgb(look["ground"])
        for part in ("text", "border"):
            ratio = contrast(rgb(look[part]), ground)
            if ratio < 3:
                problems.append(f"{theme}: {selector}'s {part} {look[part]} on {look['ground']} is {ratio:.2f}:1")
        if look["borderStyle"] != "dashed" or look["cursor"] != "not-allowed":
            problems.append(f"{theme}: {selector} does not look disabled: a {look['borderStyle']} border, "
                            f"a {look['cursor']} cursor")
    return problems


def test_the_dark_theme_reaches_every_panel_and_disabled_controls_stay_readable(page):
    wait_for_jobs_panels(page)
    problems = disabled_look_problems(page, "light")
    set_display(page, dark=True)
    problems += disabled_look_problems(page, "dark")
    card = rgb(page.evaluate("() => getComputedStyle(document.documentElement).getPropertyValue('--card-bg').trim()"))
    assert luminance(card) < 0.05, f"the dark theme's card colour {card} is not dark"
    problems += [f"the {name} card is {colour}, not the dark card colour {card}"
                 for name, colour in page.evaluate(CARDS) if rgb(colour)[:3] != card[:3]]
    set_job_fields(page, **SHOWN_JOBS)
    run_job(page, "k-sweep")
    run_job(page, "stability")
    for graph in ("#k-sweep-graph", "#stability-graph"):
        page.locator(graph).scroll_into_view_if_needed()
        picture = Image.open(io.BytesIO(page.locator(graph).screenshot())).convert("RGB")
        colours = picture.getcolors(maxcolors=1 << 24)
        commonest = max(colours)[1]
        white = sum(count for count, colour in colours if min(colour) > 230) / (picture.width * picture.height)
        if max(abs(a - b) for a, b in zip(commonest, card, strict=False)) > 3 or white > 0.02:
            problems.append(f"the {graph} plot's background is {commonest} ({white:.1%} near-white pixels) "
                            f"on a {card} card")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- 5. space

JOB_GRAPHS = ("#k-sweep-graph", "#stability-graph", "#replay-graph")
# Before any job the section holds two panels' fields and notes and the replay's button: at
# 1440×900, well under a screen.
JOBS_BEFORE_ANY_RESULT_MAX_PX = 600
SWEEP_PLOT_MIN_PX = 400
TABLE_MAX_PX = 1100
DATA_CARD_GAP_MAX_PX = 32


def test_space_before_and_after_a_sweep_and_the_sidebar_and_header_at_1440(page):
    wait_for_jobs_panels(page)
    problems = [f"{graph} is shown ({box(page, graph)['height']:.0f} px) before any job"
                for graph in JOB_GRAPHS if page.is_visible(graph)]
    section = box(page, "#jobs-section")["height"]
    if section > JOBS_BEFORE_ANY_RESULT_MAX_PX:
        problems.append(f"the jobs section is {section:.0f} px tall before any job")
    # The data card right under the settings, not at the bottom of an empty sidebar.
    gaps = page.evaluate("""() => {
        const card = document.getElementById('data-card').getBoundingClientRect();
        const slot = document.getElementById('data-card-slot');
        let above = slot.previousElementSibling;
        while (above && !above.checkVisibility()) above = above.previousElementSibling;
        return [card.top - above.getBoundingClientRect().bottom,
                document.getElementById('settings').getBoundingClientRect().bottom - card.bottom];
    }""")
    if max(gaps) > DATA_CARD_GAP_MAX_PX:
        problems.append(f"the data card sits {gaps[0]:.0f} px under the settings, {gaps[1]:.0f} px above "
                        "the sidebar's end")
    problems += cut_text(page, READ_IN_FULL[:1])
    tagline, toolbar = box(page, "#tagline"), box(page, ".toolbar")
    if tagline["right"] > toolbar["left"] and tagline["bottom"] > toolbar["top"] and tagline["top"] < toolbar["bottom"]:
        problems.append(f"the tagline {tagline} runs under the toolbar {toolbar}")

    set_job_fields(page, k_sweep_min=SHOWN_JOBS["k_sweep_min"], k_sweep_max=SHOWN_JOBS["k_sweep_max"])
    run_job(page, "k-sweep")
    height = box(page, "#k-sweep-graph .js-plotly-plot")["height"]
    if height < SWEEP_PLOT_MIN_PX:
        problems.append(f"the sweep plot is {height:.0f} px tall")
    legend = page.eval_on_selector_all("#k-sweep-graph .legendtext", "texts => texts.map(t => t.textContent)")
    if "Inertia" not in legend:
        problems.append(f"the sweep's legend has no Inertia entry: {legend}")
    assert not problems, "\n".join(problems)


def test_a_wide_screen_does_not_stretch_the_table(browser, app):
    with open_dashboard(browser, app.url, viewport={"width": 2560, "height": 1440}, log_tail=app.log_tail) as page:
        width = box(page, "#metrics-table table")["width"]
    assert width <= TABLE_MAX_PX, f"the table is {width:.0f} px wide on a 2560 px screen"
