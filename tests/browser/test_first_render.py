"""The first render: the map first, the parts below the fold right after it, without requests,
and without Dash's @babel/polyfill (serving/static_files.py, components/below_fold.py); the
table, gallery and matrix written from the HTML the page was served with (assets/html_views.js)."""

from __future__ import annotations

import pytest

from benchmarks.harness import INIT_JS
from tests.browser.conftest import PAGE_READY, RECORD_CSP_VIOLATIONS, VIEWPORT, PageProblems

pytestmark = pytest.mark.browser

# When the jobs' panels and the matrix appear (before any page script runs, with INIT_JS's map timing).
RECORD_MOUNT = """
window.__mounted = {};
new MutationObserver(() => {
    const now = performance.now();
    if (!window.__mounted.panels && document.querySelector('#jobs-panels .job-panel')) window.__mounted.panels = now;
    if (!window.__mounted.matrix && document.querySelector('#cluster-digit-matrix table')) window.__mounted.matrix = now;
}).observe(document, {subtree: true, childList: true});
"""
# Every visible layout shift (the browser reports only those in the viewport), with its time.
RECORD_SHIFTS = """
window.__shifts = [];
new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
        window.__shifts.push({t: entry.startTime, value: entry.value,
                              moved: entry.sources.map((s) => s.node && (s.node.id || s.node.className)).join(', ')});
    }
}).observe({type: 'layout-shift', buffered: true});
"""
# Holds the browser's idle callbacks (the mount waits for one) until the table shows k = 5: the
# mount then comes after the refit of the address's settings.
MOUNT_AFTER_REFIT = """window.requestIdleCallback = (callback) => {
    const caption = () => (document.querySelector('#metrics-table caption') || {}).textContent || '';
    const wait = () => (caption().includes('k = 5') ? callback() : setTimeout(wait, 50));
    wait();
};"""
# Callbacks that mounting the jobs' panels used to fire (each a request answered "no update"), and
# the refits and members that a store's own update on mount used to fire: the page is served drawn.
NOT_AT_LOAD = ("k-sweep", "stability", "replay", "html-views", "map-caption", "members-html",
               "address-notes")  # restore_from_address: only for an address with a query string


def _open(browser, url: str, *scripts: str):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    for script in (RECORD_CSP_VIOLATIONS, INIT_JS, RECORD_MOUNT, *scripts):
        context.add_init_script(script)
    tab = context.new_page()
    tab.problems = PageProblems(tab)
    tab.goto(url)
    tab.wait_for_function(PAGE_READY, timeout=30_000)
    return context, tab


def test_the_map_is_drawn_first_and_the_parts_below_the_fold_follow_without_a_request(browser, app_url):
    context, tab = _open(browser, app_url + "/")
    try:
        tab.wait_for_timeout(1000)  # any request the mount would cause has been sent by now
        state = tab.evaluate("""() => ({
            firstMap: window.__bench.firstMap, mounted: window.__mounted,
            outputs: window.__bench.fetches.map((f) => f.output),
            panels: [...document.querySelectorAll('#jobs-panels .job-panel')].length,
            jobGraphsDrawn: ['k-sweep-graph', 'stability-graph', 'replay-graph']
                .filter((id) => document.querySelector(`#${id} .js-plotly-plot .main-svg`)).length,
            matrixRows: document.querySelectorAll('#cluster-digit-matrix tbody tr').length,
            regenerator: typeof window.regeneratorRuntime, babelPolyfill: typeof window._babelPolyfill,
            scripts: performance.getEntriesByType('resource').map((r) => r.name).filter((n) => n.includes('.js')),
            fetched: performance.getEntriesByType('resource').map((r) => new URL(r.name).pathname),
        })""")
        problems = tab.problems.all()
    finally:
        context.close()
    assert problems == []
    assert state["firstMap"] is not None
    assert state["mounted"]["panels"] >= state["firstMap"]
    assert state["panels"] == 3 and state["jobGraphsDrawn"] == 3
    assert state["matrixRows"] == 10  # the default k
    assert [output for output in state["outputs"] if any(part in output for part in NOT_AT_LOAD)] == []
    assert "n-clusters.value" not in state["outputs"]  # a sweep point's click, fired by the mount
    assert state["regenerator"] == "object" and state["babelPolyfill"] == "undefined"
    assert not [name for name in state["scripts"] if "polyfill" in name]
    # Preloaded (serving/static_files.py), then taken from the preload: each fetched once.
    for path in ("/_dash-layout", "/_dash-dependencies", "/_dash-component-suites/dash/dcc/async-graph.js"):
        assert state["fetched"].count(path) == 1, path


def test_a_refit_that_lands_during_the_first_render_is_what_the_matrix_shows(browser, app_url):
    """An address with other settings refits the table (and its matrix) during the first render,
    before the panels below the fold are mounted: the matrix shows that refit, not the default
    one the page was served with."""
    context, tab = _open(browser, app_url + "/?k=5&seed=3", MOUNT_AFTER_REFIT)
    try:
        state = tab.evaluate("""() => ({
            mounted: window.__mounted.panels,
            matrixRows: document.querySelectorAll('#cluster-digit-matrix tbody tr').length,
            caption: document.querySelector('#metrics-table caption').textContent,
            tableUpdated: window.__bench.fetches.filter((f) => f.output.includes('html-views'))
                .map((f) => f.parsed ?? f.headers)[0],
            panels: document.querySelectorAll('#jobs-panels .job-panel').length,
        })""")
        problems = tab.problems.all()
    finally:
        context.close()
    assert problems == []
    assert "k = 5" in state["caption"] and "seed = 3" in state["caption"]
    assert state["tableUpdated"] is not None and state["tableUpdated"] < state["mounted"]  # the case tested
    assert state["matrixRows"] == 5
    assert state["panels"] == 3


@pytest.mark.parametrize("viewport", [{"width": 1440, "height": 900}, {"width": 390, "height": 844}])
def test_nothing_on_screen_moves_when_the_parts_below_the_fold_arrive(browser, app_url, viewport):
    """Their places are kept (assets/below_fold.css): without that, the page was short until the
    mount, and the sidebar's data card showed at its bottom, then jumped away."""
    context = browser.new_context(viewport=viewport)
    context.set_default_timeout(30_000)
    for script in (RECORD_MOUNT, RECORD_SHIFTS):
        context.add_init_script(script)
    tab = context.new_page()
    try:
        tab.goto(app_url + "/")
        tab.wait_for_function(PAGE_READY, timeout=30_000)
        tab.wait_for_function("() => [...document.querySelectorAll('#jobs-panels .js-plotly-plot')]"
                              ".filter((plot) => plot.querySelector('.main-svg')).length === 3")
        tab.wait_for_timeout(500)
        mounted, shifts = tab.evaluate("() => [window.__mounted.panels, window.__shifts]")
    finally:
        context.close()
    assert [shift for shift in shifts if shift["t"] >= mounted] == []
