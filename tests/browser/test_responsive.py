"""The page at every listed screen: no sideways scroll, nothing overlapping, a full-width map with
equal axis scales, the table readable, touch-sized controls on narrow screens; a screenshot each."""

from __future__ import annotations

import pytest

from tests.browser.pages import dashboard

# (name, CSS viewport). A 1280×720 projector at 150% zoom lays the page out in 1280/1.5 × 720/1.5
# CSS pixels; a device scale factor would only sharpen the pixels, not reflow the page.
VIEWPORTS = [
    ("phone-390x844", {"width": 390, "height": 844}),
    ("tablet-768x1024", {"width": 768, "height": 1024}),
    ("projector-1280x720-at-150pct", {"width": 853, "height": 480}),
    ("laptop-1440x900", {"width": 1440, "height": 900}),
    ("desktop-1920x1080", {"width": 1920, "height": 1080}),
    ("desktop-2560x1440", {"width": 2560, "height": 1440}),
]
NARROW = 700  # below this the controls are touch-sized
TOUCH_PX = 44

# The page's blocks, and the settings' fields: none may overlap another of its list.
MEASURE = """() => {
    const box = e => { const r = e.getBoundingClientRect();
        return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height}; };
    const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    const named = sel => [...document.querySelectorAll(sel)].filter(visible).map(e => ({name: sel, ...box(e)}));
    const blocks = ['.app-header', '.sidebar', '.headline-card', '.table-card', '.map-card', '.matrix-card']
        .flatMap(named);
    const fields = [...document.querySelectorAll('.controls > .field, .sidebar-head, .reproduce, .data-card')]
        .filter(visible).map((e, i) => ({name: `sidebar item ${i}`, ...box(e)}));
    const toolbar = [...document.querySelectorAll('.app-header h1, .toolbar .tool-button')]
        .filter(visible).map((e, i) => ({name: `header item ${i}`, ...box(e)}));
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    const column = document.querySelector('#boundary-graph').closest('.map-body');
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const tableBox = document.getElementById('metrics-table');
    const initCell = document.querySelector('#metrics-table tr[data-init] .init-name');
    const targets = [...document.querySelectorAll(
        '.controls .dash-input-container, .stepper, .segmented > label, .tool-button, .reset-button, '
        + '.reproduce summary, .copy-code')]
        .filter(visible).map(e => ({name: e.id || e.className || e.textContent, w: e.getBoundingClientRect().width,
                                    h: e.getBoundingClientRect().height}));
    return {
        scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
        blocks, fields, toolbar, targets,
        graphWidth: document.getElementById('boundary-graph').getBoundingClientRect().width,
        columnWidth: column.getBoundingClientRect().width - parseFloat(getComputedStyle(column).paddingLeft)
                     - parseFloat(getComputedStyle(column).paddingRight),
        columnTrack: parseFloat(getComputedStyle(column).gridTemplateColumns.split(' ')[0]),
        xPixelsPerUnit: xa._length / (xa.range[1] - xa.range[0]),
        yPixelsPerUnit: ya._length / (ya.range[1] - ya.range[0]),
        plotWidth: xa._length,
        tableOverflow: getComputedStyle(tableBox).overflowX,
        tableFits: tableBox.scrollWidth <= tableBox.clientWidth + 1,
        initSticky: getComputedStyle(initCell).position,
        tableRight: tableBox.getBoundingClientRect().right,
        cardRight: tableBox.closest('.card').getBoundingClientRect().right,
        bodyFont: parseFloat(getComputedStyle(document.body).fontSize),
    };
}"""


def _overlaps(boxes: list[dict]) -> list[tuple[str, str]]:
    found = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            width = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            height = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            if width > 1 and height > 1:  # more than a shared hairline
                found.append((a["name"], b["name"]))
    return found


@pytest.mark.parametrize(("name", "viewport"), VIEWPORTS, ids=[name for name, _ in VIEWPORTS])
@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
def test_the_page_fits_the_screen(browser, app_url, artifacts_dir, name, viewport, presenter):
    with dashboard(browser, app_url, viewport) as page:
        if presenter:
            page.click("#presenter-toggle")
            page.wait_for_function("() => document.documentElement.classList.contains('presenter')")
        page.wait_for_timeout(400)  # the map follows its box on the resize event
        m = page.evaluate(MEASURE)
        page.screenshot(path=str(artifacts_dir / f"viewport-{name}{'-presenter' if presenter else ''}.png"),
                        full_page=True)

    assert m["scrollWidth"] <= m["innerWidth"], f"the page scrolls sideways: {m['scrollWidth']} > {m['innerWidth']}"
    for group in ("blocks", "fields", "toolbar"):
        assert _overlaps(m[group]) == [], f"{group} overlap"
    # The map: its graph spans at least 90% of its column, and one PCA unit is as long on both axes.
    column = m["columnTrack"] or m["columnWidth"]
    assert m["graphWidth"] >= 0.9 * column, (m["graphWidth"], column)
    assert m["yPixelsPerUnit"] == pytest.approx(m["xPixelsPerUnit"], rel=0.01)
    if viewport["width"] < 1100:  # stacked: the plot itself is width-bound, nearly the whole column
        assert m["plotWidth"] >= 0.8 * m["graphWidth"], (m["plotWidth"], m["graphWidth"])
    # The table: whole, or scrolling in its own box with the init column held in view.
    assert m["tableRight"] <= m["cardRight"] + 1
    assert m["tableFits"] or (m["tableOverflow"] in ("auto", "scroll") and m["initSticky"] == "sticky")
    if presenter:
        assert m["bodyFont"] >= 20
    if viewport["width"] < NARROW:
        small = [t for t in m["targets"] if t["h"] < TOUCH_PX - 0.5 or t["w"] < TOUCH_PX - 0.5]
        assert small == [], f"touch targets under {TOUCH_PX} px: {small}"


def test_the_job_graphs_hints_fit_a_phone(browser, app_url, artifacts_dir):
    """Plotly does not wrap annotation text: the empty job graphs' hints must be short lines."""
    with dashboard(browser, app_url, viewport={"width": 390, "height": 844}) as page:
        page.wait_for_selector("#k-sweep-graph .annotation-text", state="attached", timeout=20_000)
        page.locator("#k-sweep-graph").scroll_into_view_if_needed()
        outside = page.evaluate("""() => ['k-sweep-graph', 'stability-graph', 'replay-graph'].flatMap((id) => {
            const box = document.getElementById(id).getBoundingClientRect();
            return [...document.querySelectorAll(`#${id} .annotation-text`)].map((text) => {
                const r = text.getBoundingClientRect();
                return r.left >= box.left - 0.5 && r.right <= box.right + 0.5 ? null : `${id}: ${text.textContent}`;
            }).filter(Boolean);
        })""")
        page.screenshot(path=str(artifacts_dir / "sweep-hint-phone.png"))
    assert outside == []
