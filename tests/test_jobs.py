"""The job callbacks called as functions, and the job manager's store and failure reporting."""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import stat
import subprocess
import sys
import time

import diskcache
import numpy as np
import pandas as pd
import plotly
import psutil
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks import jobs, replay
from callbacks.refresh import applied_settings
from components.controls import number_input_class
from core import sweeps
from core.boundary import fit_plane
from core.settings import DEFAULTS, Settings
from serving import jobs_manager

APPLIED = applied_settings(Settings(**{**DEFAULTS, "n_init": 2, "seed": 3}))
VALID, INVALID = number_input_class(False), number_input_class(True)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh result store for each test (the real one is shared by every run of the app)."""
    results = jobs_manager.JobResults(diskcache.Cache(str(tmp_path / "jobs")))
    monkeypatch.setattr(jobs, "results", lambda: results)
    return results


def _message(children) -> str:
    title, problems = children
    return " ".join([title.children] + [item.children for item in problems.children])


@pytest.mark.parametrize("k_min, k_max, field, words", [
    (1, 6, "k-sweep-min", "Sweep from k must be a whole number from 2 to 29; got 1."),
    (2, 31, "k-sweep-max", "Sweep to k must be a whole number from 3 to 30; got 31."),
    (6, 6, "k-sweep-max", "Sweep to k must be larger than sweep from k (6); got 6."),
    ("2", None, "k-sweep-min", "got '2'."),
])
def test_a_bad_k_range_explains_itself_and_starts_nothing(store, k_min, k_max, field, words):
    out = jobs.request_sweep(1, 0, APPLIED, k_min, k_max)
    message, hidden, min_class, max_class, request, *view = out
    assert words in _message(message) and hidden is False
    assert {"k-sweep-min": min_class, "k-sweep-max": max_class}[field] == INVALID
    assert request is no_update and all(value is no_update for value in view)


def test_forged_page_settings_or_clicks_change_nothing(store):
    # The applied-settings store only ever holds valid settings, and clicks are counts: anything
    # else was posted by hand, and gets no message and no job.
    for call in (lambda: jobs.request_sweep(1, 0, {**APPLIED, "n_clusters": 99}, 2, 6),
                 lambda: jobs.request_stability(1, 0, "forged", 20),
                 lambda: jobs.request_sweep("1", None, APPLIED, 2, 6),
                 lambda: jobs.request_stability(True, 0, APPLIED, 20)):
        with pytest.raises(PreventUpdate):
            call()


def test_a_forged_job_request_posted_to_the_endpoint_starts_no_process():
    from app import app

    client = app.server.test_client()
    dependencies = client.get("/_dash-dependencies").get_json()
    job = next(d for d in dependencies if d["output"].startswith("..k-sweep-graph.figure"))
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in job["output"].strip(".").split("...")]
    before = {child.pid for child in psutil.Process().children()}
    for forged in (None, {"k_min": 2}, {"init_method": "k-means++", "n_init": 2, "seed": 3, "k_min": 2,
                                        "k_max": 31, "nonce": "x"}):
        body = {"output": job["output"], "outputs": outputs, "changedPropIds": ["k-sweep-request.data"],
                "inputs": [{"id": "k-sweep-request", "property": "data", "value": forged}],
                "state": [{"id": "applied-settings", "property": "data", "value": APPLIED}]}
        assert client.post("/_dash-update-component", json=body).status_code == 204
    assert {child.pid for child in psutil.Process().children()} == before
    cancel = {"output": "k-sweep-cancel.id", "outputs": {"id": "k-sweep-cancel", "property": "id"},
              "inputs": [{"id": "k-sweep-cancel", "property": "n_clicks", "value": 1}],
              "changedPropIds": ["k-sweep-cancel.n_clicks"], "state": []}
    assert client.post("/_dash-update-component", json=cancel).status_code == 204


def test_a_valid_sweep_is_handed_to_the_job_which_computes_and_stores_it(store):
    out = jobs.request_sweep(1, 0, APPLIED, 2, 4)
    assert out[:4] == [[], True, VALID, VALID]
    request = out[4]
    assert {k: v for k, v in request.items() if k != "nonce"} == {
        "init_method": "k-means++", "n_init": 2, "seed": 3, "k_min": 2, "k_max": 4}
    progress = []
    figure, caption, shown, failure_hidden, download_disabled = jobs.run_sweep(progress.append, request, APPLIED)
    assert progress == [("0", "3", "0 of 3 fits"), ("1", "3", "1 of 3 fits"), ("2", "3", "2 of 3 fits"),
                        ("3", "3", "3 of 3 fits")]
    expected = sweeps.k_sweep("k-means++", (2, 4), 2, 3)
    inertia = figure.data[0]
    assert list(inertia.x) == [2, 3, 4] and list(inertia.customdata) == [2, 3, 4]
    assert list(inertia.y) == [p.inertia for p in expected.points]
    ari = next(trace for trace in figure.data if trace.name == "ARI")
    assert list(ari.y) == [p.adjusted_rand for p in expected.points]
    assert "k-means++" in caption and "seed 3" in caption and "k 2–4" in caption
    assert failure_hidden is True and download_disabled is False
    # The second run of the same settings answers from the store, without a job.
    again = jobs.request_sweep(2, 0, APPLIED, 2, 4)
    assert again[4] is no_update and again[5].data[0].y == figure.data[0].y and again[7] == shown


def test_the_sweep_csv_names_its_settings_and_holds_the_values(store):
    request = jobs.request_sweep(1, 0, APPLIED, 2, 3)[4]
    shown = jobs.run_sweep(lambda _: None, request, APPLIED)[2]
    download = jobs.download_sweep(1, shown)
    assert download["filename"] == "k-sweep_k-means++_k2-3_n_init2_seed3.csv"
    table = pd.read_csv(io.StringIO(download["content"]))
    expected = sweeps.k_sweep("k-means++", (2, 3), 2, 3)
    assert table["k"].tolist() == [2, 3]
    assert table["inertia"].tolist() == pytest.approx([p.inertia for p in expected.points], rel=1e-12)
    assert table["ami"].tolist() == pytest.approx([p.adjusted_mutual_info for p in expected.points], rel=1e-12)


@pytest.mark.parametrize("request_", [None, "x", {"k_min": 2}, {"init_method": "k-means++", "n_init": 2, "seed": 3,
                                                                  "k_min": 2, "k_max": 99, "nonce": "n"}])
def test_a_forged_job_request_runs_nothing(store, request_):
    with pytest.raises(PreventUpdate):
        jobs.run_sweep(lambda _: pytest.fail("a forged request made progress"), request_, APPLIED)


def test_a_failed_job_shows_the_retry_box_and_keeps_the_rest():
    assert jobs.failed_sweep(RuntimeError("boom")) == [no_update, no_update, no_update, False, no_update]
    assert jobs.failed_stability(RuntimeError("boom"))[3] is False


def test_the_retry_button_runs_the_request_again(store):
    out = jobs.request_stability(0, 1, APPLIED, 2)
    assert out[3]["n_seeds"] == 2


@pytest.mark.parametrize("click, k", [
    ({"points": [{"x": 7, "customdata": 7}]}, 7),
    ({"points": [{"customdata": 31}]}, None), ({"points": [{"customdata": "7"}]}, None),
    ({"points": []}, None), (None, None), ({"points": [{"customdata": True}]}, None),
])
def test_clicking_a_sweep_point_selects_its_k(click, k):
    if k is None:
        with pytest.raises(PreventUpdate):
            jobs.select_k(click)
    else:
        assert jobs.select_k(click) == k


def _rendered(component) -> str:
    """A component tree as the page receives it."""
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder, sort_keys=True)


def test_two_pages_running_the_same_seeds_at_once_share_one_computation(store, tmp_path, monkeypatch):
    """A shared link opened by a room, everyone pressing "Run seeds": one job process computes, the
    other's page follows its progress, and both show the same table (the core's numbers)."""
    starts = tmp_path / "starts"

    def counted(*args, **kwargs):
        with open(starts, "a", encoding="utf-8") as file:
            file.write(f"{os.getpid()}\n")
        time.sleep(1.0)  # a slower machine: the second page asks while this run is computed
        return sweeps.seed_stability(*args, **kwargs)

    monkeypatch.setattr(jobs, "seed_stability", counted)
    request = jobs.request_stability(1, 0, {**APPLIED, "n_clusters": 6}, 4)[3]
    fork, answers = multiprocessing.get_context("fork"), multiprocessing.get_context("fork").Queue()

    def page(name):
        progress = []
        view = jobs.run_stability(progress.append, {**request, "nonce": name})  # each page's own request
        answers.put((name, os.getpid(), _rendered(view[1]), progress))

    first = fork.Process(target=page, args=("first",))
    first.start()
    while store._cache.get(f"claim:{store.key(jobs.STABILITY, jobs._checked_stability(request))}") is None:  # pylint: disable=protected-access
        assert first.is_alive(), "the first page's job ended before it claimed the run"
        time.sleep(0.01)
    second = fork.Process(target=page, args=("second",))
    second.start()
    got = {name: (pid, table, progress) for name, pid, table, progress in (answers.get(timeout=120) for _ in range(2))}
    first.join(10), second.join(10)
    assert starts.read_text().split() == [str(got["first"][0])]
    assert got["first"][1] == got["second"][1]
    expected = _rendered(jobs.stability_table(sweeps.seed_stability(6, 2, 3, 4)))
    assert got["second"][1] == expected
    # The waiting page shows the first's fits as they are done (4 seeds x 2 seeded inits + PCA-based).
    owner_progress, relayed = got["first"][2], got["second"][2]
    assert owner_progress[-1] == ("9", "9", "9 of 9 fits") and set(relayed) <= set(owner_progress)
    assert relayed == sorted(relayed, key=lambda shown: int(shown[0]))


def test_stability_job_table_and_csv_equal_the_core(store):
    bad = jobs.request_stability(1, 0, APPLIED, 101)
    assert "Seeds must be a whole number from 2 to 100; got 101." in _message(bad[0]) and bad[2] == INVALID
    request = jobs.request_stability(1, 0, {**APPLIED, "n_clusters": 4}, 2)[3]
    progress = []
    figure, table, shown, failure_hidden, _ = jobs.run_stability(progress.append, request)
    assert failure_hidden is True and {trace.name for trace in figure.data} - {None} == {"k-means++", "random", "PCA-based"}
    assert progress[-1] == ("5", "5", "5 of 5 fits")  # 2 seeds × 2 seeded inits + PCA-based once
    expected = sweeps.seed_stability(4, 2, 3, 2)
    rows = {row.to_plotly_json()["props"]["data-metric"]: row for row in table.children[0].children[1].children}
    inertia = {cell.to_plotly_json()["props"]["data-init"]: cell for cell in rows["inertia"].children[1:]}
    kpp = expected.by_init()["k-means++"].metrics["inertia"]
    assert inertia["k-means++"].children[0].children == f"{kpp.mean:,.0f} ± {kpp.sd:,.0f}"
    assert inertia["k-means++"].children[1].children == f"95%: {kpp.low:,.0f}–{kpp.high:,.0f}"
    assert inertia["PCA-based"].children[0].children.endswith("± 0")
    download = jobs.download_stability(1, shown)
    assert download["filename"] == "seed-stability_k4_n_init2_seeds3+2.csv"
    frame = pd.read_csv(io.StringIO(download["content"]))
    assert len(frame) == 5 and frame["deterministic"].sum() == 1
    assert frame.loc[frame["init"] == "random", "ari"].tolist() == pytest.approx(
        list(expected.by_init()["random"].metrics["adjusted_rand"].values), rel=1e-12)


def test_the_replay_ends_on_the_maps_model():
    frames, last, value, slider_disabled, play_disabled, caption, base = replay.load_replay(1, APPLIED)
    assert [trace.name for trace in base.data] == ["digits"] and len(base.data[0].x) == 1797
    model = fit_plane("k-means++", 10, 2, 3)
    assert value == last == len(frames["frames"]) - 1 and not slider_disabled and not play_disabled
    np.testing.assert_allclose(frames["frames"][-1]["centers"], model.cluster_centers_, atol=1e-6)
    assert frames["frames"][0]["image"] is None and frames["frames"][-1]["image"] == len(frames["images"]) - 1
    assert "k 10" in caption and f"{model.n_iter_} iterations" in caption
    with pytest.raises(PreventUpdate):
        replay.load_replay(1, {"n_clusters": "x"})


# --- the manager ----------------------------------------------------------------------------------


def test_the_store_directory_is_private(tmp_path):
    path = jobs_manager.private_directory(str(tmp_path / "jobs"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.chmod(path, 0o755)  # widened by someone: closed again
    jobs_manager.private_directory(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.symlink(path, tmp_path / "link")
    with pytest.raises(RuntimeError):
        jobs_manager.private_directory(str(tmp_path / "link"))


def test_the_cache_directory_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("JOBS_CACHE_DIR", str(tmp_path / "here"))
    assert jobs_manager.cache_dir() == str(tmp_path / "here")


def test_a_job_process_gone_without_a_result_is_a_failure_but_a_cancelled_one_is_not(tmp_path):
    manager = jobs_manager.JobsDiskcacheManager(diskcache.Cache(str(tmp_path / "store")))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    pid = int(dead.stdout)  # exited and reaped: no such process now
    failure = manager.get_result("some-key", pid)
    assert "background_callback_error" in failure
    manager.terminate_job(pid)  # what a cancel does
    assert manager.get_result("some-key", pid) is manager.UNDEFINED
    manager.handle.set("done-key", {"result": 1})
    assert manager.get_result("done-key", pid + 1) == {"result": 1}


def test_jobs_run_at_a_lower_priority(tmp_path):
    manager = jobs_manager.JobsDiskcacheManager(diskcache.Cache(str(tmp_path / "store")))
    job = manager.make_job_fn(lambda: os.nice(0), progress=False)
    pid = manager.call_job_fn("nice-key", job, [], {})
    deadline = __import__("time").monotonic() + 30
    while manager.handle.get("nice-key") is None and __import__("time").monotonic() < deadline:
        __import__("time").sleep(0.05)
    assert manager.handle.get("nice-key") == os.nice(0) + jobs_manager.JOB_NICENESS
    manager.terminate_job(pid)


# --- winners only beyond the seed spread ------------------------------------------------------------


def _scores(ari: dict[str, float]):
    from core.clustering import InitBenchmark
    return [InitBenchmark(init, 0.1, 70000.0, 0.6, 0.6, 0.6, value, 0.6, 0.14) for init, value in ari.items()]


def _spread(ari: dict[str, tuple[float, float]]) -> dict:
    same = {"inertia": (69000.0, 71000.0), "adjusted_mutual_info": (0.6, 0.7), "silhouette": (0.13, 0.15)}
    return {init: {**same, "adjusted_rand": interval} for init, interval in ari.items()}


def _bold_ari(table) -> list[str]:
    from components.metrics_table import COLUMNS
    column = 1 + [c.key for c in COLUMNS].index("ari")
    rows = table.children[2].children
    return [row.children[0].children for row in rows if row.children[column].className == "best"]


def test_a_lead_inside_the_seed_spread_names_no_winner():
    from components.headline import NO_CLEAR_WINNER, verdict
    from components.metrics_table import metrics_table
    scores = _scores({"k-means++": 0.60, "random": 0.55, "PCA-based": 0.50})
    overlapping = _spread({"k-means++": (0.50, 0.65), "random": (0.45, 0.62), "PCA-based": (0.50, 0.50)})
    settings = Settings(**DEFAULTS)
    # Without a stability run, a 0.05 lead wins; with one whose intervals overlap, nobody does.
    assert verdict(scores).startswith("k-means++ agrees best")
    assert _bold_ari(metrics_table(scores, settings)) == ["k-means++"]
    text = verdict(scores, overlapping)
    assert text.startswith(NO_CLEAR_WINNER) and "k-means++ 0.500–0.650" in text and "PCA-based 0.500 (deterministic)" in text
    assert _bold_ari(metrics_table(scores, settings, overlapping)) == []
    separated = _spread({"k-means++": (0.58, 0.65), "random": (0.45, 0.57), "PCA-based": (0.50, 0.50)})
    assert verdict(scores, separated).startswith("k-means++ agrees best with the true digits, beyond the seed spread")
    assert _bold_ari(metrics_table(scores, settings, separated)) == ["k-means++"]


def test_the_table_uses_the_shown_stability_run_only_at_its_k_and_n_init(store):
    from callbacks.refresh import results_view
    applied = applied_settings(Settings(**{**DEFAULTS, "n_clusters": 4, "n_init": 1, "seed": 0}))
    request = jobs.request_stability(1, 0, applied, 3)[3]
    shown = jobs.run_stability(lambda _: None, request)[2]
    result = sweeps.seed_stability(4, 1, 0, 3)
    spread = jobs.seed_spread(shown, Settings(**{**DEFAULTS, "n_clusters": 4, "n_init": 1, "seed": 9}))
    assert spread["random"]["adjusted_rand"] == (result.by_init()["random"].metrics["adjusted_rand"].low,
                                                 result.by_init()["random"].metrics["adjusted_rand"].high)
    assert jobs.seed_spread(shown, Settings(**{**DEFAULTS, "n_clusters": 5, "n_init": 1})) is None
    assert jobs.seed_spread({**shown, "n_seeds": 999}, Settings(**{**DEFAULTS, "n_clusters": 4, "n_init": 1})) is None
    views = results_view(applied, shown)
    ari = {row.init_method: row.metrics["adjusted_rand"] for row in result.inits}
    assert ("beyond the seed spread" in views["verdict"]) != views["verdict"].startswith("No clear winner")
    assert all(f"{s.low:.3f}" in views["verdict"] for s in ari.values())


def test_a_winner_must_clear_every_other_interval_in_its_direction():
    from core.ranking import clear_best
    # Lower is better (inertia): the best's whole interval must sit below every other one.
    assert clear_best([100.0, 110.0, 120.0], False, 1.0, [(95, 104), (105, 115), (118, 122)]) == 0
    assert clear_best([100.0, 110.0, 120.0], False, 1.0, [(95, 106), (105, 115), (118, 122)]) is None
    # A deterministic init's interval is a point; touching counts as overlapping.
    assert clear_best([0.6, 0.5], True, 0.01, [(0.55, 0.65), (0.5, 0.5)]) == 0
    assert clear_best([0.6, 0.5], True, 0.01, [(0.50, 0.65), (0.5, 0.5)]) is None
    # The margin still applies first.
    assert clear_best([0.6, 0.595], True, 0.01, [(0.6, 0.6), (0.595, 0.595)]) is None


def test_a_stuck_job_is_ended_at_its_time_limit_and_reported_as_a_failed_run(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv(jobs_manager.TIME_LIMIT_VARIABLE, "1")
    manager = jobs_manager.JobsDiskcacheManager(diskcache.Cache(str(tmp_path / "store")))
    job = manager.make_job_fn(lambda: time.sleep(600), progress=False)  # stuck: never returns
    pid = manager.call_job_fn("stuck-key", job, [], {})
    assert manager.job_running(pid)
    deadline = time.monotonic() + 30
    while manager.job_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not manager.job_running(pid), "the stuck job outlived its time limit"
    assert "background_callback_error" in manager.get_result("stuck-key", pid)  # the page's Retry box


def test_the_job_time_limit_comes_from_the_environment_within_bounds(monkeypatch):
    from serving.celery_app import make_celery

    monkeypatch.setenv(jobs_manager.TIME_LIMIT_VARIABLE, "90")
    assert jobs_manager.job_time_limit_s() == 90
    assert make_celery("redis://127.0.0.1:1/0").conf.task_time_limit == 90  # Celery ends its jobs too
    for junk in ("", "soon", "-5", "0", "inf", "nan"):
        monkeypatch.setenv(jobs_manager.TIME_LIMIT_VARIABLE, junk)
        assert jobs_manager.job_time_limit_s() == jobs_manager.DEFAULT_TIME_LIMIT_S, junk
