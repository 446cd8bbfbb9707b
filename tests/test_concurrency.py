"""Many threads at once, as gunicorn's threaded workers run callbacks: no shared mutable state.

Each thread's answer must be exactly what its own settings give when computed alone: same
caption, same centroids and region image in the figure patch, same table (fit times aside,
as they are wall-clock measurements). Runs once with cold caches (concurrent misses of the same
and of different keys) and once warm (hits), both through the callback functions and over HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from benchmarks.load import control_props, fetch_callbacks, parse_dependencies, run_change
from callbacks import refresh
from components import boundary_figure
from core import boundary, clustering, data
from core.settings import Settings
from tests.html_views import parse

THREADS = 16
CONTROL_IDS = ("init-method", "n-init", "n-clusters", "random-seed", "mesh-step")
# Cheap but distinct: few runs and a coarse mesh. Seeds above 1000 are used by no other test,
# so the first pass misses the caches. Several configurations appear more than once, so some
# threads race on the same missing key.
DISTINCT = [
    ("k-means++", 1, 2, 1001, 0.2),
    ("k-means++", 2, 3, 1002, 0.15),
    ("random", 1, 4, 1003, 0.2),
    ("random", 2, 5, 1001, 0.1),
    ("PCA-based", 3, 6, 1004, 0.2),
    ("PCA-based", 1, 3, 1005, 0.25),
    ("k-means++", 1, 7, 1006, 0.2),
    ("random", 1, 8, 1007, 0.3),
    ("k-means++", 2, 5, 1008, 0.12),
    ("k-means++", 2, 5, 1008, 0.3),  # same fits as the previous one, another mesh
]
TASKS = DISTINCT + DISTINCT[:6] + DISTINCT[:4] * 2  # 24 calls, repeats included
FIT_TIME = re.compile(r"^\d[\d,]* ms$")


def _clear_caches() -> None:
    """Empty every result cache (not the data set), so the next calls recompute."""
    for module in (clustering, boundary, boundary_figure, refresh):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and value is not data.load and not isinstance(value, type):
                value.cache_clear()


# --- What one answer looks like, minus wall-clock noise -------------------------------------------


def _table_text(views: dict) -> list:
    """(class, text) of every cell of the table's HTML, fit times masked (wall-clock timings)."""
    table = parse(views["metrics-table"])
    return [(cell.class_name if not FIT_TIME.match(cell.text) else None,
             "<fit time>" if FIT_TIME.match(cell.text) else cell.text)
            for row in table.find_all("tr") for cell in row.find_all("td") + row.find_all("th")]


def _regions_summary(regions: dict) -> dict:
    """What the page draws the map from: the centroids, the tints and the named markers."""
    return {"centers": regions["centers"], "tints": regions["tints"],
            "centroids": [(round(number["x"], 9), round(number["y"], 9), number["text"])
                          for number in regions["annotations"] if number["opacity"]]}


def _when_not_busy(call):
    """call(), sent again while the table's queue of fits is full, as the page does after a 503."""
    for _ in range(600):
        try:
            return call()
        except clustering.FitQueueFull:
            time.sleep(0.1)
    raise AssertionError("the queue of fits stayed full for a minute")


def _direct(values: tuple) -> dict:
    """Run the callbacks as functions, as the page chains them: the map, then the table."""
    out = refresh.map_view(*values)
    return {
        "table": _table_text(_when_not_busy(lambda: refresh.results_view(out["applied"]))["views"]),
        "regions": _regions_summary(out["regions"]),
        "caption": out["caption"],
        "message": (out["message"], out["message_hidden"]),
    }


def _http(client, callbacks, values: tuple) -> dict:
    merged: dict = {}

    def send(body):
        response = client.post("/_dash-update-component", json=body)
        for _ in range(600):  # busy (the table's queue of fits full): sent again, as the page does
            if response.status_code != 503 or "Retry-After" not in response.headers:
                break
            time.sleep(0.1)
            response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 200, (values, response.status_code, response.get_data()[:200])
        for component, props in response.get_json()["response"].items():
            merged.setdefault(component, {}).update(props)
        return None, response.get_data()

    run_change(send, callbacks, control_props(dict(zip(CONTROL_IDS, values, strict=True))),
               [f"{cid}.value" for cid in CONTROL_IDS])
    return {
        "table": _table_text(merged["html-views"]["data"]),
        "regions": _regions_summary(merged["map-regions"]["data"]),
        "caption": merged["map-caption"]["children"],
        "message": (merged["settings-message"]["children"], merged["settings-message"]["hidden"]),
    }


def _run_concurrently(work, tasks) -> list:
    """Call work(task) for every task from THREADS threads, whose first calls start together."""
    threads = min(THREADS, len(tasks))
    start = threading.Barrier(threads)
    seen = threading.local()

    def one(task):
        if not getattr(seen, "started", False):  # each pool thread waits once, at its first task
            seen.started = True
            start.wait(timeout=60)
        return work(task)

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, tasks))


def _expectations(work) -> dict:
    """Each configuration computed alone, one after another, from empty caches."""
    expected = {}
    for values in DISTINCT:
        _clear_caches()
        expected[values] = work(values)
    _clear_caches()
    return expected


def _check(results, tasks, expected) -> None:
    for values, result in zip(tasks, results):
        want = expected[values]
        assert result["caption"] == want["caption"], values
        assert len(result["regions"]["centroids"]) == values[2], values
        assert result["regions"] == want["regions"], values
        assert result["table"] == want["table"], values
        assert result["message"] == want["message"], values


# --- Through the callback functions ---------------------------------------------------------------


def test_concurrent_callbacks_each_get_their_own_settings_result():
    expected = _expectations(_direct)
    cold = _run_concurrently(_direct, TASKS)  # misses, including simultaneous misses of one key
    _check(cold, TASKS, expected)
    warm = _run_concurrently(_direct, TASKS[::-1])  # hits
    _check(warm, TASKS[::-1], expected)


def test_the_same_new_settings_from_many_threads_at_once_agree():
    values = ("random", 2, 9, 1099, 0.2)
    _clear_caches()
    results = _run_concurrently(_direct, [values] * THREADS)
    assert all(result == results[0] for result in results)
    _clear_caches()
    assert _direct(values) == results[0]


# --- Through HTTP, one test client per thread ------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    from app import app

    return app.server


def test_concurrent_http_requests_each_get_their_own_settings_result(server):
    callbacks = parse_dependencies(server.test_client().get("/_dash-dependencies").get_json())
    local = threading.local()

    def over_http(values):
        if not hasattr(local, "client"):
            local.client = server.test_client()
        return _http(local.client, callbacks, values)

    expected = _expectations(over_http)
    cold = _run_concurrently(over_http, TASKS)
    _check(cold, TASKS, expected)
    warm = _run_concurrently(over_http, TASKS[::-1])
    _check(warm, TASKS[::-1], expected)
    # And the HTTP answer is the function's answer.
    assert over_http(DISTINCT[0])["caption"] == _direct(DISTINCT[0])["caption"]


def test_fetch_callbacks_is_what_the_test_client_sees(server):
    assert fetch_callbacks  # the load tool reads the same /_dash-dependencies over real HTTP
    dependencies = json.loads(server.test_client().get("/_dash-dependencies").get_data())
    outputs = {cb.output for cb in parse_dependencies(dependencies)}
    assert any("settings-message" in output for output in outputs)


# --- Shared cached objects cannot be changed by any caller ----------------------------------------


def _arrays_of(instance) -> dict[str, np.ndarray]:
    return {
        f.name: getattr(instance, f.name)
        for f in dataclasses.fields(instance)
        if isinstance(getattr(instance, f.name), np.ndarray)
    }


def _assert_frozen(instance) -> None:
    name = dataclasses.fields(instance)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(instance, name, getattr(instance, name))


def test_the_data_set_is_read_only():
    digits = data.load()
    arrays = _arrays_of(digits)
    assert {"scaled", "target", "distances", "reduced"} <= set(arrays)
    writable = sorted(name for name, array in arrays.items() if array.flags.writeable)
    assert not writable, f"Digits arrays writable: {writable}"
    _assert_frozen(digits)


def test_cached_fits_are_read_only():
    fit = clustering.fit_full("k-means++", 3, 1, 1001)
    writable = sorted(name for name, array in _arrays_of(fit).items() if array.flags.writeable)
    assert not writable, f"FullFit arrays writable: {writable}"
    _assert_frozen(fit)
    for row in clustering.benchmark_inits(3, 1, 1001):
        _assert_frozen(row)


def test_cached_boundaries_are_read_only():
    result = boundary.decision_boundary(Settings("k-means++", 1, 3, 1001, 0.2))
    arrays = _arrays_of(result)
    assert {"labels", "xs", "ys"} <= set(arrays)
    plane = _arrays_of(result.plane)
    assert {"centroids", "point_clusters"} <= set(plane)
    arrays.update({f"plane.{name}": array for name, array in plane.items()})
    writable = sorted(name for name, array in arrays.items() if array.flags.writeable)
    assert not writable, f"Boundary arrays writable (shared by every caller of the cache): {writable}"
    _assert_frozen(result)
    _assert_frozen(result.settings)


def test_a_fresh_app_serves_every_script_to_concurrent_first_requests():
    """A new worker's first requests arrive together (the browser asks for ~12 scripts at once).

    Dash registers the script paths on its first request, not thread-safely; the app makes that
    first request itself at start-up, so none of these gets a 400.
    """
    import app as app_module

    scripts = re.findall(r'<script src="(/_dash-component-suites/[^"]+)"',
                         app_module.app.server.test_client().get("/").get_data(as_text=True))
    assert len(scripts) >= 5
    fresh = app_module.create_app().server  # the same paths, never requested before
    start = threading.Barrier(len(scripts))

    def fetch(path: str) -> int:
        with fresh.test_client() as client:
            start.wait()
            return client.get(path).status_code

    with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
        statuses = list(pool.map(fetch, scripts))
    assert statuses == [200] * len(scripts), dict(zip(scripts, statuses, strict=True))


def test_the_layout_is_served_from_one_serialization_equal_to_dash_s_own():
    from plotly.io.json import to_json_plotly

    import app as app_module

    client = app_module.app.server.test_client()
    first, again = client.get("/_dash-layout"), client.get("/_dash-layout")
    assert first.status_code == again.status_code == 200
    assert first.get_data() == again.get_data()
    assert first.get_json() == json.loads(to_json_plotly(app_module.app.get_layout()))


def test_the_table_recovers_when_a_worker_process_dies():
    """A table process killed (say, for memory) breaks the pool: at most the next table fails
    (the page shows its server-fault box), and later ones are fitted in a fresh pool, with the
    same numbers. Run in a child process: it kills one of its own pool's workers."""
    import subprocess
    import sys

    script = """
import os, signal, time
from core import clustering
clustering.start_workers()
expected = [(r.init_method, r.inertia, r.silhouette) for r in clustering.benchmark_inits(3, 1, 2000)]
clustering.benchmark_inits.cache_clear(); clustering.fitted_inits.cache_clear(); clustering.benchmark_rows.cache_clear()
os.kill(next(iter(clustering.benchmark_rows._executor._processes)), signal.SIGKILL)
time.sleep(0.5)
failures = 0
for attempt in range(3):
    try:
        rows = clustering.benchmark_inits(3, 1, 2000)
    except Exception:
        failures += 1
        continue
    assert [(r.init_method, r.inertia, r.silhouette) for r in rows] == expected, rows
    print("RECOVERED", failures)
    break
"""
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "RECOVERED" in done.stdout, done.stdout + done.stderr[-2000:]
    assert int(done.stdout.split("RECOVERED")[1]) <= 1
