"""Background jobs under gunicorn with 2 workers, over HTTP: a job started through one worker is
polled, read and cancelled through the other (the handles' signing secret is shared through the
job store), and forged handles get 400."""

from __future__ import annotations

import html
import json
import re
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests

from benchmarks.load import GunicornServer
from core.sweeps import k_sweep

REPO = Path(__file__).resolve().parent.parent
# The worker's pid in every access-log line, and a marker we add to each request's URL to find it.
ACCESS_FORMAT = '%(p)s "%(r)s" %(s)s'
APPLIED = {"init_method": "k-means++", "n_init": 2, "n_clusters": 10, "seed": 0, "mesh_step": 0.02}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("gunicorn-jobs")
    env = {"WEB_CONCURRENCY": "2", "JOBS_CACHE_DIR": str(root / "jobs"),
           "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"}
    gunicorn = GunicornServer(REPO, env=env, log_path=root / "gunicorn.log")
    try:
        gunicorn.start(boot_seconds=120)
    except (RuntimeError, TimeoutError, OSError) as error:
        pytest.fail(f"gunicorn did not start: {error}\n{gunicorn.log()[-3000:]}")
    yield gunicorn
    gunicorn.stop()


class Client:
    """One page load, speaking the renderer's protocol; every request on a new connection."""

    def __init__(self, server: GunicornServer):
        self.server = server
        page = requests.get(server.base_url + "/", timeout=30).text
        config = json.loads(html.unescape(re.search(r'<script id="_dash-config"[^>]*>(.*?)</script>', page, re.DOTALL)[1]))
        self.end_id = config["end_id"]
        dependencies = requests.get(server.base_url + "/_dash-dependencies", timeout=30).json()
        self.sweep = next(d for d in dependencies if "k-sweep-graph.figure" in d["output"] and d.get("background"))

    def post(self, body: dict, **params) -> tuple[requests.Response, int]:
        """The response, and the pid of the worker that served it (from the access log)."""
        marker = uuid.uuid4().hex
        response = requests.post(self.server.base_url + "/_dash-update-component",
                                 params={"endId": self.end_id, **params, "marker": marker}, json=body, timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            line = next((l for l in self.server.log().splitlines() if marker in l), None)
            if line:
                return response, int(line.split()[0].strip("<>"))
            time.sleep(0.05)
        raise AssertionError("the request is not in the access log")

    def sweep_body(self, job: dict) -> dict:
        outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
                   for part in self.sweep["output"].strip(".").split("...")]
        return {"output": self.sweep["output"], "outputs": outputs,
                "inputs": [{"id": "k-sweep-request", "property": "data", "value": job}],
                "state": [{"id": "applied-settings", "property": "data", "value": APPLIED}],
                "changedPropIds": ["k-sweep-request.data"]}

    def start(self, job: dict) -> tuple[dict, int]:
        response, pid = self.post(self.sweep_body(job))
        assert response.status_code == 200, response.text
        handles = response.json()
        assert set(handles) >= {"cacheKey", "job"}
        return handles, pid


def _job(seed: int, k_max: int, n_init: int = 2) -> dict:
    return {"init_method": "k-means++", "n_init": n_init, "seed": seed, "k_min": 2, "k_max": k_max,
            "nonce": uuid.uuid4().hex}


def test_a_job_started_through_one_worker_is_polled_and_read_through_the_other(server):
    client = Client(server)
    for attempt in range(3):  # the kernel picks the worker; a run that never reaches the other is retried
        job = _job(seed=500 + attempt, k_max=9, n_init=4)
        handles, starter = client.start(job)
        others, result = [], None
        deadline = time.monotonic() + 120
        while result is None and time.monotonic() < deadline:
            response, pid = client.post(client.sweep_body(job), cacheKey=handles["cacheKey"], job=handles["job"])
            assert response.status_code in (200, 204), response.text
            if pid != starter:
                others.append(response.status_code)
            if response.status_code == 200 and "response" in response.json():
                result = response.json()["response"]
            time.sleep(0.1)
        assert result is not None, "the job never answered"
        if others:
            break
    assert others, "every poll reached the worker that started the job"
    figure = result["k-sweep-graph"]["figure"]
    expected = k_sweep("k-means++", (2, 9), 4, 500 + attempt)
    assert figure["data"][0]["x"] == list(range(2, 10))
    assert figure["data"][0]["y"] == pytest.approx([p.inertia for p in expected.points], rel=1e-12)
    assert result["k-sweep-failure"]["hidden"] is True


def test_a_job_started_through_one_worker_is_cancelled_through_the_other(server):
    client = Client(server)
    handles, starter = client.start(_job(seed=600, k_max=30, n_init=10))
    job_pid = int(handles["job"].split("~")[0])
    assert psutil.pid_exists(job_pid)
    cancel = {"output": "k-sweep-cancel.id", "outputs": {"id": "k-sweep-cancel", "property": "id"},
              "inputs": [{"id": "k-sweep-cancel", "property": "n_clicks", "value": 1}],
              "changedPropIds": ["k-sweep-cancel.n_clicks"], "state": []}
    for _ in range(150):  # the kernel picks the worker, and may pick one for many connections in a row
        response, pid = client.post(cancel, cancelJob=handles["job"])
        assert response.status_code in (200, 204), response.text
        if pid != starter:
            break
        time.sleep(0.02)
    assert pid != starter, "no cancel reached the other worker"
    cancelled = time.monotonic()
    while time.monotonic() - cancelled < 5:
        try:
            if psutil.Process(job_pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    assert time.monotonic() - cancelled < 1.5, "the job process outlived its cancel"


@pytest.mark.parametrize("forged", [
    {"cacheKey": "0" * 64 + "~" + "0" * 64, "job": "1~" + "0" * 64},
    {"cacheKey": "abc", "job": "1"},
    {"oldJob": "1~deadbeef"},
])
def test_forged_job_handles_are_refused(server, forged):
    client = Client(server)
    response, _ = client.post(client.sweep_body(_job(seed=1, k_max=3)), **forged)
    assert response.status_code == 400


def test_handles_from_another_page_load_are_refused(server):
    first, second = Client(server), Client(server)
    handles, _ = first.start(_job(seed=700, k_max=3))
    response, _ = second.post(second.sweep_body(_job(seed=700, k_max=3)), **handles)
    assert response.status_code == 400
