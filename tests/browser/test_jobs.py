"""The jobs section in real Chromium: a sweep with progress, cancel, picking k from the sweep, the replay."""

from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import psutil
import pytest

from serving.jobs_manager import JOB_NICENESS
from tests.browser.pages import dashboard

SWEEP_PLOT = "#k-sweep-graph .js-plotly-plot"
SWEEP_DRAWN = f"() => {{ const g = document.querySelector('{SWEEP_PLOT}'); return !!(g && g.data && g.data.length > 1); }}"


def _set(page, selector: str, value) -> None:
    page.fill(selector, str(value))
    page.keyboard.press("Tab")


def _set_seed(page, seed: int) -> None:
    """A fresh seed: these jobs' results are then in no store yet, whatever ran before."""
    _set(page, "#random-seed", seed)
    page.wait_for_function(f"() => document.querySelector('#map-caption').textContent.includes('seed {seed} ')")


def _job_processes(app_url: str) -> list[psutil.Process]:
    """The app's running job processes: its children at the jobs' niceness."""
    port = urlparse(app_url).port
    # Forked job processes inherit the listening socket, and psutil names one holder: climb to the
    # process that forked them (the first ancestor that is not `python app.py` too is its parent).
    holder = next(c.pid for c in psutil.net_connections("tcp") if c.laddr.port == port and c.status == "LISTEN")
    server = psutil.Process(holder)
    while (parent := server.parent()) is not None and parent.cmdline() == server.cmdline():
        server = parent
    found = []
    for child in server.children(recursive=True):
        try:
            if child.nice() == JOB_NICENESS and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_a_short_sweep_shows_progress_then_the_graph(page):
    _set_seed(page, 101)
    # 15 fits (~1.3 s of fitting here): long enough that the 400 ms poll must bring progress before
    # the result. A 5-fit sweep can end between two polls and then rightly shows none.
    _set(page, "#k-sweep-min", 2)
    _set(page, "#k-sweep-max", 16)
    # Every text the progress line shows, recorded as it changes, so that none is missed between checks.
    page.evaluate("""() => {
        const text = document.querySelector('#k-sweep-progress-text');
        window.progressTexts = [];
        new MutationObserver(() => window.progressTexts.push(text.textContent))
            .observe(text, {childList: true, characterData: true, subtree: true});
    }""")
    page.click("#k-sweep-run")
    # While it runs: the bar and "n of 15" after each fit, the run button disabled, a cancel button.
    page.wait_for_selector("#k-sweep-progress-area:not([hidden])")
    assert page.is_disabled("#k-sweep-run") and page.is_visible("#k-sweep-cancel")
    page.wait_for_function(SWEEP_DRAWN, timeout=60_000)
    shown = page.evaluate("() => window.progressTexts")
    assert any(re.fullmatch(r"[1-9]\d* of 15 fits", text) for text in shown), shown
    plot = page.evaluate(f"() => {{ const g = document.querySelector('{SWEEP_PLOT}'); "
                         "return g.data.map(t => ({name: t.name, x: t.x})); }")
    assert plot[0]["x"] == list(range(2, 17))
    assert {"Inertia", "Silhouette", "ARI", "AMI"} <= {trace["name"] for trace in plot}
    page.wait_for_selector("#k-sweep-progress-area[hidden]", state="attached")
    assert not page.is_disabled("#k-sweep-run") and not page.is_visible("#k-sweep-cancel")
    assert "seed 101" in page.inner_text("#k-sweep-caption")


def test_a_bad_range_is_explained_and_starts_no_job(page, app_url):
    _set(page, "#k-sweep-min", 9)
    _set(page, "#k-sweep-max", 4)
    page.click("#k-sweep-run")
    page.wait_for_selector("#k-sweep-message:not([hidden])")
    assert "Sweep to k must be larger than sweep from k (9); got 4." in page.inner_text("#k-sweep-message")
    assert page.evaluate("() => !!document.querySelector('#k-sweep-max').closest('.number-input.invalid')")
    assert page.evaluate("() => !document.querySelector('#k-sweep-min').closest('.number-input.invalid')")
    assert page.is_hidden("#k-sweep-progress-area") and not _job_processes(app_url)


def test_cancel_stops_a_long_sweep(page, app_url):
    _set_seed(page, 202)
    _set(page, "#k-sweep-min", 2)
    _set(page, "#k-sweep-max", 30)
    page.click("#k-sweep-run")
    page.wait_for_function("() => /^[1-9]\\d* of 29 fits$/.test(document.querySelector('#k-sweep-progress-text').textContent)")
    assert _job_processes(app_url), "no job process while the sweep runs"
    page.click("#k-sweep-cancel")
    cancelled = time.monotonic()
    page.wait_for_selector("#k-sweep-progress-area[hidden]", state="attached", timeout=10_000)
    while _job_processes(app_url) and time.monotonic() - cancelled < 5:
        time.sleep(0.1)
    assert not _job_processes(app_url), "the job process outlived its cancel"
    assert time.monotonic() - cancelled < 3
    # Nothing was drawn for the cancelled run, no failure is claimed, and the button works again.
    assert "seed 202" not in page.inner_text("#k-sweep-caption")
    assert page.is_hidden("#k-sweep-failure") and not page.is_disabled("#k-sweep-run")


def test_clicking_a_sweep_point_selects_that_k(page):
    _set(page, "#k-sweep-min", 2)
    _set(page, "#k-sweep-max", 6)
    page.click("#k-sweep-run")
    page.wait_for_function(SWEEP_DRAWN, timeout=60_000)
    # The inertia point at k = 4 (the third of the first trace).
    point = page.locator(f"{SWEEP_PLOT} .scatterlayer .trace").first.locator(".points path").nth(2)
    point.scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => document.querySelector('#n-clusters').value === '4'")
    # The map refits at k = 4, and the sweep marks it.
    page.wait_for_function("""() => {
        const map = document.querySelector('#boundary-graph .js-plotly-plot');
        return map.layout.annotations.filter(a => a.opacity).length === 4;
    }""")
    page.wait_for_function(f"""() => {{
        const line = document.querySelector('{SWEEP_PLOT}').layout.shapes.find(s => s.name === 'current-k');
        return line.x0 === 4 && line.opacity > 0;
    }}""")


def test_scrubbing_the_replay_ends_on_the_map(page):
    page.click("#replay-load")
    page.wait_for_function("() => !document.querySelector('#replay-play').disabled")
    handle = page.locator("#replay-slider [role=slider]")
    handle.focus()
    page.keyboard.press("Home")
    page.wait_for_function("() => document.querySelector('#replay-step').textContent.startsWith('Step 0 of')")
    assert "Initial centres" in page.inner_text("#replay-step")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('#replay-step').textContent.startsWith('Step 1 of')")
    assert "assign each digit" in page.inner_text("#replay-step")
    page.keyboard.press("End")
    page.wait_for_function("() => document.querySelector('#replay-step').textContent.includes('Converged')")
    centres = page.evaluate("""() => {
        const used = (plot) => plot.layout.annotations.filter(a => a.opacity).map(a => [a.x, a.y]);
        return [used(document.querySelector('#replay-graph .js-plotly-plot')),
                used(document.querySelector('#boundary-graph .js-plotly-plot'))];
    }""")
    replayed, mapped = centres
    assert len(replayed) == len(mapped) == 10
    for (x, y), (mx, my) in zip(replayed, mapped):
        assert x == pytest.approx(mx, abs=1e-6) and y == pytest.approx(my, abs=1e-6)


def test_scrubbing_makes_no_request(page):
    page.click("#replay-load")
    page.wait_for_function("() => !document.querySelector('#replay-play').disabled")
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "_dash-update-component" in request.url else None)
    page.locator("#replay-slider [role=slider]").focus()
    for key in ("Home", "ArrowRight", "ArrowRight", "End"):
        page.keyboard.press(key)
    page.wait_for_function("() => document.querySelector('#replay-step').textContent.includes('Converged')")
    page.wait_for_timeout(300)
    assert requests == []


def test_a_job_whose_process_dies_offers_a_retry(page, app_url):
    _set_seed(page, 303)
    _set(page, "#stability-seeds", 100)
    page.click("#stability-run")
    page.wait_for_function("() => /^[1-9]\\d* of 201 fits$/.test(document.querySelector('#stability-progress-text').textContent)")
    for process in _job_processes(app_url):
        process.kill()  # as the kernel's OOM killer would: no cancel, no result
    page.wait_for_selector("#stability-failure:not([hidden])", timeout=15_000)
    assert page.inner_text("#stability-failure").startswith("The server could not compute this (server error).")
    assert "Retry" in page.inner_text("#stability-retry")
    assert page.is_hidden("#stability-progress-area") and not page.is_disabled("#stability-run")
    # The retry button starts it again.
    page.click("#stability-retry")
    page.wait_for_selector("#stability-progress-area:not([hidden])")
    page.wait_for_selector("#stability-failure[hidden]", state="attached")
    page.click("#stability-cancel")
    page.wait_for_selector("#stability-progress-area[hidden]", state="attached")


def _fits_done(page, prefix: str = "stability") -> int:
    text = page.inner_text(f"#{prefix}-progress-text")
    return int(text.split(" of ")[0]) if " of " in text else 0


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def test_two_pages_running_the_same_seeds_share_one_job(page, browser, app_url):
    """A shared link opened twice, both pressing "Run seeds": both pages follow the run, and only one
    job process computes it (the other's CPU stays near nothing while the first's fits go by)."""
    with dashboard(browser, app_url) as other:
        for tab in (page, other):
            _set_seed(tab, 404)
            _set(tab, "#stability-seeds", 100)
        page.click("#stability-run")
        running = "() => /^[1-9]\\d* of 201 fits$/.test(document.querySelector('#stability-progress-text').textContent)"
        page.wait_for_function(running)
        other.click("#stability-run")
        other.wait_for_function(running)  # its bar follows the first page's fits
        deadline = time.monotonic() + 10
        while len(processes := _job_processes(app_url)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(processes) == 2, processes
        before, fits_before = [_cpu_s(p) for p in processes], _fits_done(page)
        page.wait_for_function(f"() => parseInt(document.querySelector('#stability-progress-text')"
                               f".textContent) >= {fits_before + 20}", timeout=60_000)
        used = sorted(_cpu_s(p) - start for p, start in zip(processes, before))
        assert used[1] > 0.3 and used[0] < 0.25 * used[1], used  # one computes; the other waits
        assert abs(_fits_done(other) - _fits_done(page)) <= 20  # the same run, polled 400 ms apart
        for tab in (other, page):
            tab.click("#stability-cancel")
            tab.wait_for_selector("#stability-progress-area[hidden]", state="attached")
