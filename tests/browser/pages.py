"""Driving the dashboard as a person does, and reading what it shows: the page's own waiting
(Playwright's wait_for_function and expect), never fixed sleeps.

Everything here relies on element ids, roles and what the page shows, not on layout classes.
"""

from __future__ import annotations

import contextlib
import re

import pytest

UPDATE_TIMEOUT_MS = 30_000  # a refit on a loaded 2-core machine, two sessions side by side
VIEWPORT = {"width": 1440, "height": 900}
CALLBACK_PATH = "_dash-update-component"

# Installed before any page script runs: CSP violations are reported as events, not always to the console.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
});
"""
# Counts the page's callback requests in flight, and when the last one started or ended. Installed
# before the page's own scripts, so assets/busy_retry.js wraps this (each attempt is counted). It
# sees Dash's requests only while Dash sends them with window.fetch: test_busy.py fails if not.
COUNT_CALLBACKS = """
window.__callbacks = {inFlight: 0, sent: 0, lastActivity: performance.now()};
const pageFetch = window.fetch;
window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('CALLBACK_PATH')) return pageFetch.apply(this, arguments);
    const count = window.__callbacks;
    count.inFlight += 1; count.sent += 1; count.lastActivity = performance.now();
    const done = () => { count.inFlight -= 1; count.lastActivity = performance.now(); };
    return pageFetch.apply(this, arguments).then((r) => { done(); return r; }, (e) => { done(); throw e; });
};
""".replace("CALLBACK_PATH", CALLBACK_PATH)
QUIET_MS = 400  # no callback request in flight, none started or answered for this long
# Drawn: the map (its points trace and the regions' canvas), the table's rows, the controls
# (Dash loads dcc components on demand), and the parts mounted below the fold once the map is
# drawn and the browser idle: by then the page's start-up callbacks have all run.
PAGE_DRAWN = """() => {
    const plot = document.querySelector('#boundary-graph .js-plotly-plot');
    return !!(plot && plot.data && plot.data.length === 1 && plot.data[0].x && plot.data[0].x.length
              && document.getElementById('map-regions-canvas')
              && document.getElementById('map-regions-canvas').dataset.step
              && plot.querySelector('.scatterlayer .trace')
              && document.querySelectorAll('#metrics-table tr[data-init]').length >= 2
              && document.getElementById('dataset') && document.getElementById('n-clusters')
              && document.getElementById('k-sweep-min') && document.getElementById('stability-seeds'));
}"""
MAP_NOTE = ("(document.getElementById('map-caption').textContent + ' · '"
            " + document.getElementById('map-mesh').textContent)")
TABLE_CAPTION = "(document.querySelector('#metrics-table .table-caption') || {textContent: ''}).textContent"
# Each row of the table by init: its cells' text as shown (the init's own header cell left out).
READ_TABLE = """() => Object.fromEntries([...document.querySelectorAll('#metrics-table tr[data-init]')]
    .map(row => [row.dataset.init, [...row.querySelectorAll('td')].map(cell => cell.innerText.trim())]))"""
READ_HEADERS = """() => [...document.querySelectorAll('#metrics-table thead th')].slice(1)
    .map(th => (th.querySelector('button') || th).textContent.trim())"""


class PageProblems:
    """What a person with DevTools open would see: console errors, uncaught exceptions, CSP violations.
    A test that provokes some on purpose (a 503, a dropped connection) says which with `expect`."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.expected: list[str] = []
        page.on("console", lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))

    def expect(self, *fragments: str) -> None:
        """Console errors holding any of these fragments are this test's doing, not a problem."""
        self.expected.extend(fragments)

    def all(self) -> list[str]:
        csp = self.page.evaluate("() => window.__cspViolations || []") if not self.page.is_closed() else []
        console = [m for m in self.console_errors if not any(fragment in m for fragment in self.expected)]
        return ([f"console error: {m}" for m in console] + [f"page error: {m}" for m in self.page_errors]
                + [f"CSP violation: {m}" for m in csp])


def new_tab(browser, viewport: dict | None = None, **context_options):
    """A page in a fresh context, its problems recorded (the caller closes `page.context`)."""
    context = browser.new_context(viewport=viewport or VIEWPORT, accept_downloads=True, **context_options)
    context.set_default_timeout(UPDATE_TIMEOUT_MS)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    context.add_init_script(COUNT_CALLBACKS)
    tab = context.new_page()
    tab.problems = PageProblems(tab)
    return tab


def wait_until_drawn(page) -> None:
    page.wait_for_function(PAGE_DRAWN, timeout=60_000, polling=100)


@contextlib.contextmanager
def open_dashboard(browser, app_url: str, path: str = "/", viewport: dict | None = None, log_tail=None,
                   **context_options):
    """A fresh context and page on the dashboard, waited until drawn. Fails the test if the page
    reported problems meanwhile (console errors, uncaught exceptions, CSP violations)."""
    tab = new_tab(browser, viewport, **context_options)
    problems: list[str] = []
    try:
        tab.goto(app_url + path)
        try:
            wait_until_drawn(tab)
        except Exception:
            tail = f"\napp log:\n{log_tail()}" if log_tail else ""
            pytest.fail(f"the dashboard was not drawn; the page reported {tab.problems.all()}{tail}", pytrace=False)
        yield tab
        problems = tab.problems.all()
    finally:
        tab.context.close()
    if problems:
        pytest.fail("the page reported problems:\n" + "\n".join(problems), pytrace=False)


# ---------------------------------------------------------------- acting


def type_into(page, selector: str, text: str, key: str | None = "Enter") -> None:
    """Replace a field's text as a person would: click it, select all, type, then press `key`."""
    page.click(selector)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)
    if key:
        page.keyboard.press(key)


def choose_init(page, method: str) -> None:
    page.locator("#init-method").get_by_text(method, exact=True).click()


def choose_dataset(page, title: str) -> None:
    """Open the dataset picker (a Dash 4 dcc.Dropdown) and pick the option with this title."""
    page.click("#dataset")
    page.get_by_role("option", name=title, exact=True).click()


def callback_requests(page) -> list[str]:
    """A list that fills with the body of every callback request the page sends from now on."""
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or "")
            if CALLBACK_PATH in request.url else None)
    return sent


def wait_for_quiet(page, timeout_ms: int = UPDATE_TIMEOUT_MS) -> None:
    """Wait until no callback request is in flight and none has started or ended for QUIET_MS: what
    a change set off has all been answered (and anything those answers set off too)."""
    page.wait_for_function(
        "quiet => { const c = window.__callbacks;"
        " return c.inFlight === 0 && performance.now() - c.lastActivity > quiet; }",
        arg=QUIET_MS, timeout=timeout_ms, polling=100)


def callbacks_sent(page) -> int:
    """How many callback requests (attempts) the page has sent since it opened."""
    return page.evaluate("() => window.__callbacks.sent")


# ---------------------------------------------------------------- reading


def map_note(page) -> str:
    """The map's caption and its mesh note, as one line."""
    return page.evaluate(f"() => {MAP_NOTE}")


def table_caption(page) -> str:
    return page.evaluate(f"() => {TABLE_CAPTION}")


def _wait_for_text(page, expression: str, parts: tuple[str, ...], what: str, timeout_ms: int) -> str:
    try:
        page.wait_for_function(f"parts => {{ const text = {expression}; return parts.every(p => text.includes(p)); }}",
                               arg=list(parts), timeout=timeout_ms, polling=100)
    except Exception:  # the assertion below says what was shown instead
        pass
    shown = page.evaluate(f"() => {expression}")
    assert all(part in shown for part in parts), f"{what} never showed {list(parts)}: it shows {shown!r}"
    return shown


def wait_for_map_caption(page, *parts: str, timeout_ms: int = UPDATE_TIMEOUT_MS) -> str:
    """Wait until the map's caption (with its mesh note) holds every part; return it."""
    return _wait_for_text(page, MAP_NOTE, parts, "the map's caption", timeout_ms)


def wait_for_table_caption(page, *parts: str, timeout_ms: int = UPDATE_TIMEOUT_MS) -> str:
    """Wait until the table's caption (its settings) holds every part; return it."""
    return _wait_for_text(page, TABLE_CAPTION, parts, "the table's caption", timeout_ms)


def wait_for_text(page, selector: str, *parts: str, timeout_ms: int = UPDATE_TIMEOUT_MS) -> str:
    expression = f"(document.querySelector({selector!r}) || {{innerText: ''}}).innerText"
    return _wait_for_text(page, expression, parts, selector, timeout_ms)


def table_cells(page) -> dict[str, dict[str, str]]:
    """{init: {column header: cell text}} as the table shows them."""
    headers = page.evaluate(READ_HEADERS)
    return {init: dict(zip(headers, cells, strict=False)) for init, cells in page.evaluate(READ_TABLE).items()}


def settings_message(page) -> str:
    return page.inner_text("#settings-message") if page.locator("#settings-message").is_visible() else ""


def wait_for_message(page, shown: bool = True) -> str:
    state = "#settings-message:not([hidden])" if shown else "#settings-message[hidden]"
    page.wait_for_selector(state, state="visible" if shown else "attached", timeout=UPDATE_TIMEOUT_MS)
    return settings_message(page)


def field_values(page, *ids: str) -> dict[str, str]:
    return {id_: page.input_value(f"#{id_}") for id_ in ids}


def selected_init(page) -> str:
    return page.evaluate("() => document.querySelector('#init-method input:checked').value")


def dataset_shown(page) -> str:
    """The dataset picker's shown choice (its title)."""
    return page.inner_text("#dataset").strip()


def number_in(text: str) -> float:
    """A shown number ("69,405", "0.603", "48 ms", "58.9%") as a float."""
    match = re.search(r"-?[\d,]*\.?\d+", text)
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(",", ""))


# ---------------------------------------------------------------- display modes and jobs

THEME_IS_DARK = "() => document.documentElement.dataset.theme === 'dark'"
PRESENTER_ON = "() => document.documentElement.classList.contains('presenter')"
# Drawn plots whose drawing is not the size of their box (a toggle's new layout sends a resize,
# and each plot redraws to its box's new size).
PLOTS_NOT_FITTING = """() => [...document.querySelectorAll('.js-plotly-plot')].filter(gd => gd.checkVisibility())
    .map(gd => { const svg = gd.querySelector('.main-svg').getBoundingClientRect();
        return Math.abs(svg.width - gd.clientWidth) <= 1 && Math.abs(svg.height - gd.clientHeight) <= 1 ? ''
            : `#${gd.parentElement.id} is drawn ${Math.round(svg.width)}×${Math.round(svg.height)} px in a `
              + `${gd.clientWidth}×${gd.clientHeight} px box`; }).filter(Boolean)"""
PLOTS_SETTLE_MS = 5_000
JOB_TIMEOUT_MS = 120_000  # a short job (run at a low priority) on a loaded 2-core machine


def set_display(page, *, dark: bool | None = None, presenter: bool | None = None) -> list[str]:
    """Click the header's toggles, as a person does, until the page shows this theme and mode
    (None: leave it); then wait until every drawn plot has followed its new box. Returns the plots
    that did not within PLOTS_SETTLE_MS (their drawing and their box's size)."""
    for toggle, want, state in (("#theme-toggle", dark, THEME_IS_DARK), ("#presenter-toggle", presenter, PRESENTER_ON)):
        if want is None or page.evaluate(state) == want:
            continue
        page.click(toggle)
        page.wait_for_function(f"want => ({state})() === want", arg=want)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout  # here: conftest skips without Playwright

    try:
        page.wait_for_function(f"() => !({PLOTS_NOT_FITTING})().length", polling=100, timeout=PLOTS_SETTLE_MS)
    except PlaywrightTimeout:  # said by the return value
        pass
    return page.evaluate(PLOTS_NOT_FITTING)


def wait_for_jobs_panels(page) -> None:
    """The jobs' panels are mounted below the fold once the map is drawn."""
    page.wait_for_selector("#k-sweep-run", state="attached")
    page.wait_for_selector("#replay-load", state="attached")


def set_job_fields(page, **values) -> None:
    """Type into the jobs' fields by id (k_sweep_min="3" types into #k-sweep-min), leaving each with Tab."""
    for field, value in values.items():
        type_into(page, "#" + field.replace("_", "-"), str(value), key="Tab")


def wait_for_job_result(page, prefix: str, timeout_ms: int = JOB_TIMEOUT_MS) -> None:
    """The job's result is shown: its plot drawn, its download enabled, no run in progress."""
    page.wait_for_function(
        """p => { const gd = document.querySelector(`#${p}-graph .js-plotly-plot`);
            return !!(gd && gd.data && gd.data.length && gd.checkVisibility())
                && !document.getElementById(`${p}-download-button`).disabled
                && document.getElementById(`${p}-progress-area`).hidden; }""",
        arg=prefix, timeout=timeout_ms, polling=100)


def run_job(page, prefix: str, timeout_ms: int = JOB_TIMEOUT_MS) -> None:
    """Press the panel's Run and wait for its result (prefix: "k-sweep" or "stability")."""
    page.click(f"#{prefix}-run")
    wait_for_job_result(page, prefix, timeout_ms)


def load_replay(page) -> None:
    """Press "Replay the current settings" and wait until its frames can be stepped through."""
    page.click("#replay-load")
    page.wait_for_function("() => !document.getElementById('replay-play').disabled"
                           " && document.getElementById('replay-step').textContent.startsWith('Step ')")


# Small jobs (other tests run them too, so their results are often stored already).
SHOWN_JOBS = {"k_sweep_min": 2, "k_sweep_max": 5, "stability_seeds": 3}


def show_every_job_result(page) -> None:
    """The k sweep and the stability run done and shown, the replay loaded, and what they set off
    answered: a stability run shown asks for the table again, with its seed spread."""
    wait_for_jobs_panels(page)
    set_job_fields(page, **SHOWN_JOBS)
    run_job(page, "k-sweep")
    run_job(page, "stability")
    load_replay(page)
    wait_for_quiet(page)


def record_progress(page, prefix: str) -> None:
    """From now on, window.__progress[prefix] records every text the job's progress line shows
    and whether its progress area was ever shown: a fast job is not missed between two checks."""
    page.evaluate("""p => {
        window.__progress = window.__progress || {};
        const seen = window.__progress[p] = {texts: [], shown: false};
        const text = document.getElementById(`${p}-progress-text`);
        const area = document.getElementById(`${p}-progress-area`);
        new MutationObserver(() => seen.texts.push(text.textContent))
            .observe(text, {childList: true, characterData: true, subtree: true});
        new MutationObserver(() => { if (!area.hidden) seen.shown = true; })
            .observe(area, {attributes: true, attributeFilter: ['hidden']});
    }""", prefix)


def progress_seen(page, prefix: str) -> dict:
    return page.evaluate("p => window.__progress[p]", prefix)
