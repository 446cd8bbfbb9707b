"""Scale-out against the real services: one redis-server, one Celery worker, two gunicorn instances
(as two machines would be) sharing them, over HTTP.

- a background job started through one instance runs on the Celery worker and is read through the
  other, with the numbers scikit-learn gives;
- a fit made through one instance is read from Redis by the other (no second fit);
- a page's change whose map request reaches one instance drops that page's table request waiting
  on its rows at the other (the superseded-request record is in Redis); another page's table
  request for the same settings is answered;
- 405 and 413 answers with Redis configured;
- the Celery pool process running a job killed with SIGKILL: the page's polls end within 10 s with
  the job's server-fault box (Retry), and the retried job runs on the pool process Celery starts
  in its place; the whole worker killed: the same within 12 s, and the retry runs on a new worker;
- Redis killed: changes still answer 200 with the right numbers (computed locally), a job start
  shows the job's server-fault box with its Retry button, /health stays 200 and /ready says 503;
  the log says so once; never a 500.

Without redis-server the module skips and says why; with REQUIRE_BROWSER=1 or REQUIRE_REDIS=1
(CI sets both) that is a failure.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import psutil
import pytest
import requests
from flask import Flask
from flask_caching import Cache

from benchmarks.load import GunicornServer
from benchmarks.services import (
    CeleryWorker,
    RedisServer,
    free_port_in,
    map_request,
    redis_server_path,
    table_request,
)
from core import data, fit_store
from core.boundary import plane_estimator
from core.sweeps import k_sweep
from serving import shared_cache
from tests.test_job_sharing import computed_once_by_two_processes
from tests.test_jobs_gunicorn import ACCESS_FORMAT, Client, _job

REPO = Path(__file__).resolve().parent.parent


def _required() -> bool:
    return "1" in (os.environ.get("REQUIRE_BROWSER", "").strip(), os.environ.get("REQUIRE_REDIS", "").strip())


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    if redis_server_path() is None:
        reason = "redis-server was not found on PATH (install the Debian `redis-server` package)"
        if _required():
            pytest.fail(f"REQUIRE_BROWSER/REQUIRE_REDIS=1 but {reason}", pytrace=False)
        pytest.skip(f"scale-out tests skipped: {reason}")
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def celery_worker(redis_server, tmp_path_factory):
    worker = CeleryWorker(redis_server.url, tmp_path_factory.mktemp("celery") / "celery.log")
    try:
        worker.start()
    except (RuntimeError, TimeoutError) as error:
        worker.stop()
        pytest.fail(str(error))
    yield worker
    worker.stop()


def _instance(redis_server, root: Path, name: str) -> GunicornServer:
    env = {"REDIS_URL": redis_server.url, "WEB_CONCURRENCY": "1", "JOBS_CACHE_DIR": str(root / f"jobs-{name}"),
           "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"}
    server = GunicornServer(REPO, env=env, log_path=root / f"{name}.log")
    server.port = free_port_in(8300 if name == "a" else 8350, 8349 if name == "a" else 8399)
    server.base_url = f"http://127.0.0.1:{server.port}"
    server.env["PORT"] = str(server.port)
    try:
        server.start(boot_seconds=120)
    except (RuntimeError, TimeoutError, OSError) as error:
        server.stop()
        pytest.fail(f"gunicorn {name} did not start: {error}\n{server.log()[-3000:]}")
    return server


@pytest.fixture(scope="module")
def instances(redis_server, celery_worker, tmp_path_factory):
    root = tmp_path_factory.mktemp("instances")
    first = _instance(redis_server, root, "a")
    try:
        second = _instance(redis_server, root, "b")
    except BaseException:
        first.stop()
        raise
    yield first, second
    first.stop()
    second.stop()


def _fit_keys(redis_server, pattern: str) -> list[bytes]:
    return sorted(redis_server.client().keys(f"kmeans-digits:{fit_store.version()}:{pattern}"))


def _settings(seed: int) -> dict:
    return {"init_method": "k-means++", "n_init": 3, "n_clusters": 7, "seed": seed, "mesh_step": 0.1}


def test_a_job_runs_on_the_celery_worker_and_is_read_through_the_other_instance(instances, celery_worker):
    first, second = instances
    job = _job(seed=4100, k_max=8, n_init=3)
    polling = Client(first)
    handles, _ = polling.start(job)
    assert len(handles["job"].split("~")[0]) == 36  # a Celery task id, not a process id
    polling.server = second  # the same page load (its handles are signed for it), through the other instance
    result, deadline = None, time.monotonic() + 120
    while result is None and time.monotonic() < deadline:
        response, _ = polling.post(polling.sweep_body(job), cacheKey=handles["cacheKey"], job=handles["job"])
        assert response.status_code in (200, 204), response.text
        if response.status_code == 200 and "response" in response.json():
            result = response.json()["response"]
        time.sleep(0.2)
    assert result is not None, "the job never answered"
    expected = k_sweep("k-means++", (2, 8), 3, 4100)
    figure = result["k-sweep-graph"]["figure"]
    assert figure["data"][0]["x"] == list(range(2, 9))
    assert figure["data"][0]["y"] == pytest.approx([p.inertia for p in expected.points], rel=1e-12)
    assert "background_callback_" in celery_worker.log() and "succeeded" in celery_worker.log()


def test_the_same_job_asked_for_at_once_through_redis_is_computed_once(redis_server, tmp_path):
    """Two job processes (as on two Celery workers) ask for the same run through the real Redis: the
    second waits on the first's claim (an atomic SET NX EX) and relays its progress."""
    def redis_store(_directory: str) -> shared_cache.SharedStore:
        config = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_server.url,
                  "CACHE_KEY_PREFIX": "kmeans-digits:"}
        return shared_cache.SharedStore(Cache(Flask(__name__), config=config), redis_server.url)

    computed_once_by_two_processes(tmp_path, redis_store)
    # Two asking at the same instant: only one claim is taken, and it expires by itself.
    store, claim = redis_store(""), f"claim:{uuid.uuid4().hex}"
    assert [store.add(claim, ("a", 1), expire=6), store.add(claim, ("b", 2), expire=6)] == [True, False]
    assert 0 < redis_server.client().ttl(f"kmeans-digits:{claim}") <= 6


def test_a_fit_made_through_one_instance_is_a_cache_hit_through_the_other(instances, redis_server):
    first, second = instances
    settings = _settings(seed=4242)
    assert not _fit_keys(redis_server, "*4242*")
    table_a = table_request(first.base_url, settings)
    map_a = map_request(first.base_url, settings)
    assert table_a.status_code == 200 and map_a.status_code == 200, (table_a.text, map_a.text)
    keys = _fit_keys(redis_server, "*4242*")
    assert len(keys) == 3  # the table's k-means++ and random rows and the map's fit (PCA-based ignores seeds)
    time.sleep(2.5)  # Redis's idle clock counts whole seconds: a read below resets it to 0
    table_b = table_request(second.base_url, settings)
    map_b = map_request(second.base_url, settings)
    assert table_b.status_code == 200 and map_b.status_code == 200
    assert _fit_keys(redis_server, "*4242*") == keys  # nothing new written: nothing fitted again
    assert all(redis_server.client().object("idletime", key) <= 1 for key in keys)  # every one was read
    # The same table (fit times included: the fit through `first`, not a second one) and the same map.
    assert table_b.json()["response"] == table_a.json()["response"]
    assert map_b.json()["response"]["map-caption"] == map_a.json()["response"]["map-caption"]
    model = plane_estimator("k-means++", 7, 3, 4242).fit(data.load().reduced)
    stored = fit_store_value(redis_server, next(k for k in keys if b"fit_plane" in k))
    np.testing.assert_array_equal(stored.cluster_centers_, model.cluster_centers_)


def fit_store_value(redis_server, key: bytes):
    import pickle

    raw = redis_server.client().get(key)
    return pickle.loads(raw[1:] if raw[:1] == b"!" else raw)  # cachelib marks pickles with "!"


def test_protocol_answers_with_redis_configured(instances):
    first, _ = instances
    url = first.base_url + "/_dash-update-component"
    for method in ("GET", "HEAD", "OPTIONS", "PUT"):
        response = requests.request(method, url, timeout=10)
        assert response.status_code == 405 and response.headers["Allow"] == "POST"
    chunks = (b"x" * 8192 for _ in range(10))  # 80 KiB, chunked (no Content-Length)
    assert requests.post(url, data=chunks, headers={"Content-Type": "application/json"}, timeout=10).status_code == 413
    assert requests.post(url, data=b"x" * 70_000, headers={"Content-Type": "application/json"},
                         timeout=10).status_code == 413


def _task_state(redis_server, task_id: str) -> str | None:
    """What Celery's result backend says of a task (its own key in Redis); None before it says anything."""
    raw = redis_server.client().get(f"celery-task-meta-{task_id}")
    return json.loads(raw)["status"] if raw else None


def _pool_processes(celery_worker) -> list[psutil.Process]:
    """The worker's prefork pool: the children forked from it (its command line), not the table's
    loky processes that importing the app starts."""
    parent = psutil.Process(celery_worker.process.pid)
    return [child for child in parent.children() if child.cmdline() == parent.cmdline()]


def _polled(page: Client, job: dict, handles: dict, seconds: float,
            until=lambda answer: "response" in answer) -> dict | None:
    """The page's polls of a running job, every 400 ms (its interval), until one ends the polling
    (an answer `until` accepts, or 204: the renderer stops, showing nothing) or `seconds` pass:
    that poll's JSON ({} for 204), or None. Anything but 200 or 204 fails the test."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response, _ = page.post(page.sweep_body(job), cacheKey=handles["cacheKey"], job=handles["job"])
        assert response.status_code in (200, 204), response.text[:2000]
        if response.status_code == 204:
            return {}
        if until(response.json()):
            return response.json()
        time.sleep(0.4)
    return None


def _started_mid_job(page: Client, job: dict) -> tuple[dict, str]:
    """Start `job` as the page does and poll it until its progress shows a finished fit: its
    handles and Celery task id."""
    handles, _ = page.start(job)

    def a_fit_done(answer: dict) -> bool:
        return (answer.get("progress") or {}).get("k-sweep-progress.value") not in (None, "0")

    assert "progress" in (_polled(page, job, handles, 60, until=a_fit_done) or {}), "no fit was reported done"
    return handles, handles["job"].split("~")[0]


def _retried(page: Client, job: dict) -> None:
    """Retry (the same settings, a new request, as the Retry button sends it): the right sweep."""
    retry = {**job, "nonce": uuid.uuid4().hex}
    handles, _ = page.start(retry)
    answer = _polled(page, retry, handles, 120)
    assert answer is not None and "response" in answer, f"the retried job never answered: {answer}"
    figure = answer["response"]["k-sweep-graph"]["figure"]
    expected = k_sweep(job["init_method"], (job["k_min"], job["k_max"]), job["n_init"], job["seed"])
    assert figure["data"][0]["y"] == pytest.approx([p.inertia for p in expected.points], rel=1e-12)
    assert answer["response"]["k-sweep-failure"]["hidden"] is True


SERVER_FAULT = {"k-sweep-failure": {"hidden": False}}  # the job's fault box and Retry; no settings message


def test_a_celery_worker_process_killed_mid_job_shows_the_server_fault_and_a_retry_runs(
        instances, celery_worker, redis_server):
    first, second = instances
    job = _job(seed=4200, k_max=30, n_init=4)  # 29 fits, ~3 s: long enough to be killed in the middle
    page = Client(first)
    handles, task_id = _started_mid_job(page, job)
    assert _task_state(redis_server, task_id) == "STARTED"
    (pool_process,) = _pool_processes(celery_worker)  # concurrency 1: the one pool process runs this job
    pool_process.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    page.server = second  # any instance may get the polls
    answer = _polled(page, job, handles, 30)
    assert answer is not None, "the page would poll for ever"
    assert answer.get("response") == SERVER_FAULT, answer
    assert time.monotonic() - killed < 10
    # What Celery made of it: the prefork parent saw its child die and failed the task.
    assert _task_state(redis_server, task_id) == "FAILURE"
    assert "WorkerLostError" in celery_worker.log() and "signal 9 (SIGKILL)" in celery_worker.log()
    # The parent starts a new pool process in its place, and the retry runs there.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and {p.pid for p in _pool_processes(celery_worker)} <= {pool_process.pid}:
        time.sleep(0.1)
    (new_process,) = _pool_processes(celery_worker)
    assert new_process.pid != pool_process.pid
    _retried(page, job)


def test_a_whole_celery_worker_killed_mid_job_shows_the_server_fault_and_a_retry_runs_on_its_successor(
        instances, celery_worker, redis_server):
    first, second = instances
    job = _job(seed=4210, k_max=30, n_init=4)
    page = Client(first)
    handles, task_id = _started_mid_job(page, job)
    celery_worker.kill()  # the worker and its pool at once, as when its machine is lost: nobody reports it
    killed = time.monotonic()
    page.server = second
    answer = _polled(page, job, handles, 30)
    assert answer is not None, "the page would poll for ever"
    assert answer.get("response") == SERVER_FAULT, answer
    assert time.monotonic() - killed < 12
    assert _task_state(redis_server, task_id) == "STARTED"  # Celery still says it runs
    celery_worker.start()  # a worker again (the module's later tests use it too)
    _retried(page, job)


def test_a_job_no_worker_takes_shows_the_server_fault_and_a_retry_runs_once_one_is_back(instances, celery_worker):
    """No Celery worker alive: the job waits in the queue. Once it has waited NO_WORKER_WAIT_S and
    no worker answers a ping, the page shows the job's server-fault box instead of "Starting..." for ever."""
    from serving.jobs_manager import NO_WORKER_WAIT_S

    first, second = instances
    celery_worker.kill()
    try:
        job = _job(seed=4220, k_max=6, n_init=1)
        page = Client(first)
        handles, _ = page.start(job)
        sent = time.monotonic()
        page.server = second
        answer = _polled(page, job, handles, 60)
        assert answer is not None, "the page would poll for ever"
        assert answer.get("response") == SERVER_FAULT, answer
        assert time.monotonic() - sent >= NO_WORKER_WAIT_S  # a queue merely waiting is not a fault
    finally:
        celery_worker.start()
    _retried(page, job)


def test_a_change_through_one_instance_supersedes_the_table_waiting_through_the_other(instances, redis_server):
    first, second = instances
    page, other_page = uuid.uuid4().hex, uuid.uuid4().hex
    # Rows of seconds (k = 30, n_init = 50, the largest): the change must come while they are fitted.
    left = {"init_method": "k-means++", "n_init": 50, "n_clusters": 30, "seed": 4400, "mesh_step": 0.1}
    answers: dict[str, tuple[int, float]] = {}

    def table(name: str, token: str) -> None:
        response = table_request(second.base_url, left, timeout=120, page_token=token)
        answers[name] = (response.status_code, time.monotonic())

    # Two pages' tables for the same settings through B: both wait on the same rows (seconds of fits).
    asking = [threading.Thread(target=table, args=(name, token)) for name, token in (("page", page),
                                                                                      ("other", other_page))]
    for thread in asking:
        thread.start()
    records = [f"kmeans-digits:superseded:{token}".encode() for token in (page, other_page)]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(redis_server.client().exists(key) for key in records):
        time.sleep(0.05)
    assert all(redis_server.client().exists(key) for key in records), "B recorded nothing in Redis"
    assert [fit_store_value(redis_server, key) for key in records] == [(30, 50, 4400)] * 2  # recorded by B
    assert 0 < redis_server.client().ttl(records[0]) <= 3600
    assert not answers, "the rows were fitted before the change: nothing left to supersede"
    # The page's next change (seed + 1): its map request reaches A.
    assert map_request(first.base_url, {**left, "seed": 4401}, page_token=page).status_code == 200
    changed = time.monotonic()
    assert fit_store_value(redis_server, records[0]) == (30, 50, 4401)
    for thread in asking:
        thread.join(120)
    status, answered = answers["page"]
    assert status == 204  # dropped: no update, the page shows its new table instead
    assert answered - changed < 3
    other_status, other_answered = answers["other"]
    assert other_status == 200 and other_answered > answered  # the other page's table, fitted and shown


def test_with_redis_stopped_fits_are_computed_locally_and_nothing_answers_500(instances, redis_server):
    first, _ = instances
    assert requests.get(first.base_url + "/ready", timeout=10).status_code == 200
    running = Client(first)
    long_job = _job(seed=4345, k_max=30, n_init=10)
    handles, _ = running.start(long_job)
    redis_server.kill()
    poll, _ = running.post(running.sweep_body(long_job), cacheKey=handles["cacheKey"], job=handles["job"])
    # A running job that cannot be polled any more: its server-fault box with Retry, not a 500.
    assert poll.status_code == 200 and poll.json()["response"] == {"k-sweep-failure": {"hidden": False}}
    settings = _settings(seed=4343)
    started = time.monotonic()
    table = table_request(first.base_url, settings, page_token=uuid.uuid4().hex)  # no record to be had
    assert table.status_code == 200, table.text
    assert time.monotonic() - started < 20
    shown = table.json()["response"]["html-views"]["data"]["metrics-table"]
    from core.clustering import fit

    inertia = fit("k-means++", 7, 3, 4343).inertia
    assert f"{inertia:,.0f}" in str(shown)  # the table's inertia column
    assert map_request(first.base_url, settings).status_code == 200
    job = Client(first)
    response, _ = job.post(job.sweep_body(_job(seed=4344, k_max=4)))
    # A job cannot start without its broker: the job's server-fault box (with its Retry button), not a 500.
    assert response.status_code == 200, response.text[:2000]
    assert response.json()["response"] == {"k-sweep-failure": {"hidden": False}}
    assert requests.get(first.base_url + "/health", timeout=5).status_code == 200
    ready = requests.get(first.base_url + "/ready", timeout=10)
    assert ready.status_code == 503 and ready.json()["redis"]["reachable"] is False
    log = first.log()
    assert log.count("unreachable") == 1, log[-3000:]  # one clear line, not one per request
    statuses = re.findall(r'" (\d{3})$', log, re.MULTILINE)  # the access log's status column
    assert statuses and "500" not in statuses
