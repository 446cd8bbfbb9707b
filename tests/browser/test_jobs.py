"""The background jobs as a person uses them: a sweep with its progress, its plot and its CSV; a
point of the sweep picks k; the seed-stability table; Cancel; a field holding no number; a run
asked for again; Lloyd's replay stepped in the browser. Numbers on screen and in the files are
compared with scikit-learn's, computed here.

Each test that needs a job computed (not answered from a stored result) runs its own range: the
app keeps results for its whole session.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import numpy as np
import psutil
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sklearn import metrics

from core.settings import DEFAULTS
from serving.jobs.tasks import JOB_NICENESS
from tests.browser import sklearn_reference as sk
from tests.browser.pages import (
    callback_requests,
    load_replay,
    number_in,
    progress_seen,
    record_progress,
    run_job,
    set_job_fields,
    wait_for_job_result,
    wait_for_jobs_panels,
    wait_for_map_caption,
    wait_for_quiet,
)

INIT, K, N_INIT, SEED = DEFAULTS["init_method"], DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"]
SWEEP_PLOT = "#k-sweep-graph .js-plotly-plot"
SWEEP_TRACES = f"() => document.querySelector('{SWEEP_PLOT}').data.map(t => ({{name: t.name, x: t.x, y: t.y}}))"
CANCEL_WAIT_S = 15  # the cancelled job's process ends well within this (bounded loop, not a sleep)


def sweep_reference(k: int) -> dict[str, float]:
    """The sweep's numbers for k (the page's init, n_init and seed), as scikit-learn computes them."""
    features, truth = sk.standardized("digits")
    labels, inertia = sk.fit("digits", INIT, k, N_INIT, SEED)
    return {"inertia": inertia, "silhouette": metrics.silhouette_score(features, labels, metric="euclidean"),
            "ari": metrics.adjusted_rand_score(truth, labels), "ami": metrics.adjusted_mutual_info_score(truth, labels),
            "matched_accuracy": sk.matched_accuracy("digits", INIT, k, N_INIT, SEED)}


def test_a_short_sweep_shows_progress_then_its_plot_and_a_csv_of_scikit_learns_numbers(page):
    wait_for_jobs_panels(page)
    set_job_fields(page, k_sweep_min=3, k_sweep_max=7)
    assert not page.is_visible("#k-sweep-graph"), "a sweep plot is shown before any sweep ran"
    assert page.is_disabled("#k-sweep-download-button")
    assert page.is_visible("#k-sweep-empty")
    record_progress(page, "k-sweep")
    run_job(page, "k-sweep")

    seen = progress_seen(page, "k-sweep")
    assert seen["shown"], "the progress line never showed while the sweep ran"
    assert any(re.fullmatch(r"Waiting: .+|[0-9] of 5 fits", text) for text in seen["texts"]), seen["texts"]
    assert page.is_hidden("#k-sweep-empty") and page.is_enabled("#k-sweep-run")
    assert page.is_hidden("#k-sweep-cancel")
    caption = page.inner_text("#k-sweep-caption")
    assert f"{INIT} (n_init {N_INIT}) · seed {SEED} · k 3–7" in caption, caption
    traces = page.evaluate(SWEEP_TRACES)
    assert [trace["name"] for trace in traces][:1] == ["Inertia"] and all(t["x"] == [3, 4, 5, 6, 7] for t in traces)

    with page.expect_download() as download_info:
        page.click("#k-sweep-download-button")
    rows = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
    assert [int(row["k"]) for row in rows] == [3, 4, 5, 6, 7]
    for row in rows:
        expected = sweep_reference(int(row["k"]))
        for column, want in expected.items():
            assert float(row[column]) == pytest.approx(want, rel=1e-9, abs=1e-12), (
                f"k {row['k']} {column}: CSV {row[column]}, scikit-learn {want!r}")
    # The plot shows the file's inertia.
    assert traces[0]["y"] == pytest.approx([float(row["inertia"]) for row in rows], rel=1e-12)


def test_a_click_on_a_sweep_point_selects_that_k_and_the_map_follows(page):
    wait_for_jobs_panels(page)
    set_job_fields(page, k_sweep_min=2, k_sweep_max=5)
    run_job(page, "k-sweep")
    # The inertia point at k = 4: the third point of the first trace, once the plot has settled
    # (Plotly may draw it again as the legend's margin settles: the point moves).
    point = page.locator(f"{SWEEP_PLOT} .scatterlayer .trace").first.locator(".points path").nth(2)
    point.evaluate("p => p.scrollIntoView({block: 'center'})")  # clear of the sticky section links
    # On a loaded machine Plotly may still redraw the plot after the point has held still: a click
    # that lands beside the moved point selects nothing, and a person clicks again. Up to 3 tries;
    # whatever selects a k must select the right one.
    for attempt in range(3):
        x, y = steady_centre(page, point)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        try:
            page.wait_for_function("k => document.getElementById('n-clusters').value !== k", arg=str(K),
                                   timeout=10_000)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
    assert page.input_value("#n-clusters") == "4"
    wait_for_map_caption(page, "· k 4 ·")
    # The sweep marks the selected k.
    page.wait_for_function(f"""() => {{
        const line = document.querySelector('{SWEEP_PLOT}').layout.shapes.find(s => s.name === 'current-k');
        return line && line.x0 === 4 && line.opacity > 0; }}""")


def steady_centre(page, locator, frames: int = 60) -> tuple[float, float]:
    """The element's centre once it is where it was one frame before (bounded: `frames` frames)."""
    before = None
    for _ in range(frames):
        box = locator.bounding_box()
        if box == before:
            break
        before = box
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    else:
        raise AssertionError(f"{locator} kept moving for {frames} frames")
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_seed_stability_shows_the_mean_and_spread_scikit_learn_finds(page):
    n_seeds = 3
    wait_for_jobs_panels(page)
    set_job_fields(page, stability_seeds=n_seeds)
    run_job(page, "stability")
    shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('#stability-table tr[data-metric]')]
        .map(row => [row.dataset.metric, Object.fromEntries([...row.querySelectorAll('td[data-init]')]
            .map(cell => [cell.dataset.init, cell.querySelector('span').textContent])) ]))""")
    features, truth = sk.standardized("digits")
    seeds = range(SEED, SEED + n_seeds)
    problems = []
    for init in sk.inits_at("digits", K):
        fits = [sk.fit("digits", init, K, N_INIT, seed) for seed in (seeds if init != "PCA-based" else [SEED])]
        values = {
            "inertia": [inertia for _, inertia in fits],
            "silhouette": [metrics.silhouette_score(features, labels) for labels, _ in fits],
            "adjusted_rand": [metrics.adjusted_rand_score(truth, labels) for labels, _ in fits],
            "adjusted_mutual_info": [metrics.adjusted_mutual_info_score(truth, labels) for labels, _ in fits],
        }
        for metric, per_seed in values.items():
            text = shown.get(metric, {}).get(init)
            if text is None:
                problems.append(f"no {metric} cell for {init}")
                continue
            mean_text, spread_text = (part.strip() for part in text.split("±"))
            mean, spread = float(np.mean(per_seed)), float(np.std(per_seed, ddof=1)) if len(per_seed) > 1 else 0.0
            for what, shown_text, want in (("mean", mean_text, mean), ("sd", spread_text, spread)):
                if abs(number_in(shown_text) - want) > sk.shown_precision(shown_text) + 1e-9 * abs(want):
                    problems.append(f"{init} {metric} {what}: shown {shown_text}, scikit-learn {want!r}")
    assert not problems, "the stability table is not scikit-learn's:\n" + "\n".join(problems)
    assert f"{n_seeds} seeds (seeds {SEED}…{SEED + n_seeds - 1}) at k {K}" in page.inner_text("#stability-table")


def changed_inputs(bodies: list[str]) -> list[str]:
    """What set off each callback request ("k-sweep-run.n_clicks"), in order."""
    return [prop for body in bodies for prop in json.loads(body or "{}").get("changedPropIds", [])]


def job_processes(app_pid: int) -> list[psutil.Process]:
    """The app's job processes that are alive: its descendants at the jobs' niceness."""
    found = []
    for child in psutil.Process(app_pid).children(recursive=True):
        try:
            if child.nice() == JOB_NICENESS and child.status() != psutil.STATUS_ZOMBIE:
                found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


def test_cancel_stops_a_running_sweep(page, app):
    wait_for_jobs_panels(page)
    set_job_fields(page, k_sweep_min=2, k_sweep_max=30)  # 29 fits: long enough to cancel
    page.click("#k-sweep-run")
    page.wait_for_function("() => /^[1-9]\\d* of 29 fits$/.test("
                           "document.getElementById('k-sweep-progress-text').textContent)", timeout=60_000)
    assert page.is_disabled("#k-sweep-run") and page.is_visible("#k-sweep-cancel")
    running = job_processes(app.pid)
    assert running, "no job process runs while the page counts fits"
    page.click("#k-sweep-cancel")
    page.wait_for_selector("#k-sweep-cancel[hidden]", state="attached")
    page.wait_for_selector("#k-sweep-message:not([hidden])")
    assert page.inner_text("#k-sweep-message").strip() == "Cancelled."
    assert page.is_enabled("#k-sweep-run") and page.is_hidden("#k-sweep-progress-area")
    assert page.is_hidden("#k-sweep-failure") and page.is_visible("#k-sweep-empty")
    assert not page.is_visible("#k-sweep-graph") and page.is_disabled("#k-sweep-download-button")
    # The server stopped computing it: the process that ran it ends.
    deadline = time.monotonic() + CANCEL_WAIT_S
    while any(process.is_running() and process.status() != psutil.STATUS_ZOMBIE for process in running):
        assert time.monotonic() < deadline, f"the cancelled sweep's process still runs after {CANCEL_WAIT_S} s"
        try:
            psutil.wait_procs(running, timeout=0.2)
        except psutil.Error:
            pass


@pytest.mark.parametrize(("field", "prefix", "label"), [
    ("k-sweep-min", "k-sweep", "Sweep from k"),
    ("stability-seeds", "stability", "Seeds"),
])
def test_a_job_field_holding_no_number_says_so_and_starts_nothing(page, field, prefix, label):
    wait_for_jobs_panels(page)
    set_job_fields(page, **{field.replace("-", "_"): "abc"})
    record_progress(page, prefix)
    sent = callback_requests(page)
    page.click(f"#{prefix}-run")
    page.wait_for_selector(f"#{prefix}-message:not([hidden])")
    message = page.inner_text(f"#{prefix}-message")
    assert f"{label} must be a whole number" in message and "the field holds no number" in message, message
    assert "None" not in message, message
    assert page.evaluate("id => !!document.getElementById(id).closest('.invalid')", field), f"#{field} not outlined"
    wait_for_quiet(page)
    assert not progress_seen(page, prefix)["shown"] and page.is_enabled(f"#{prefix}-run")
    assert f"{prefix}-poll.n_intervals" not in changed_inputs(sent), "the page polls a job that should not exist"


def test_a_second_run_of_the_same_sweep_answers_at_once_from_the_stored_result(page):
    wait_for_jobs_panels(page)
    set_job_fields(page, k_sweep_min=5, k_sweep_max=8)
    run_job(page, "k-sweep")
    first = page.evaluate(SWEEP_TRACES)
    record_progress(page, "k-sweep")
    sent = callback_requests(page)
    page.click("#k-sweep-run")
    wait_for_job_result(page, "k-sweep")
    wait_for_quiet(page)
    seen = progress_seen(page, "k-sweep")
    assert not seen["shown"] and not [text for text in seen["texts"] if text], f"progress shown again: {seen}"
    changed = changed_inputs(sent)
    assert changed.count("k-sweep-run.n_clicks") == 1, changed
    assert "k-sweep-poll.n_intervals" not in changed, f"the page polled a job: {changed}"
    assert page.evaluate(SWEEP_TRACES) == first


def test_a_sweep_and_a_stability_run_started_together_both_finish(page):
    # New runs (fields no other test uses): each is started, not answered from a stored result.
    wait_for_jobs_panels(page)
    set_job_fields(page, k_sweep_min=4, k_sweep_max=6, stability_seeds=4)
    page.click("#k-sweep-run")
    page.click("#stability-run")  # before the sweep's answer has brought the page its token
    wait_for_job_result(page, "k-sweep")
    wait_for_job_result(page, "stability")
    for prefix in ("k-sweep", "stability"):
        assert page.locator(f"#{prefix}-failure").is_hidden() and page.locator(f"#{prefix}-message").is_hidden()


REPLAY_STEP = "() => document.getElementById('replay-step').textContent"
REPLAY_FRAME = """() => { const gd = document.querySelector('#replay-graph .js-plotly-plot');
    return JSON.stringify([gd.layout.shapes, gd.layout.images[0].source, gd.layout.images[0].opacity]); }"""


def test_the_replay_steps_through_its_frames_in_the_browser(page):
    wait_for_jobs_panels(page)
    assert not page.is_visible("#replay-graph"), "the replay plot is shown before a replay is asked for"
    load_replay(page)
    assert page.is_visible("#replay-graph")
    last = page.inner_text("#replay-step")
    assert re.match(r"Step (\d+) of \1: Converged", last), last
    sent = callback_requests(page)
    handle = page.locator("#replay-slider [role=slider]")
    handle.focus()
    frames, steps = [], []
    for key, step in (("Home", 0), ("ArrowRight", 1), ("ArrowRight", 2)):
        page.keyboard.press(key)
        page.wait_for_function(f"() => ({REPLAY_STEP})().startsWith('Step {step} of')")
        frames.append(page.evaluate(REPLAY_FRAME))
        steps.append(page.evaluate(REPLAY_STEP))
    assert "Initial centres" in steps[0] and "assign" in steps[1] and "move" in steps[2], steps
    assert len(set(frames)) == 3, "stepping the slider did not change the drawn frame"
    # ▶ Play advances from the current step on its own.
    page.click("#replay-play")
    page.wait_for_function(f"() => /^Step ([4-9]|\\d\\d+) of/.test(({REPLAY_STEP})())", timeout=30_000)
    page.click("#replay-play")  # pause
    assert sent == [], f"stepping the replay sent {len(sent)} requests"
