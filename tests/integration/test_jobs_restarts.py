"""The jobs under gunicorn's restarts, with the embedded job worker (no Redis), over HTTP:

- HUP, max_requests recycling and a web worker killed (SIGKILL) while a job runs: other users'
  requests (/health, map changes) are all answered 200 (those the killed worker held once sent
  again, as the page does), and the job finishes: it runs in the job worker, which none touches;
- SIGTERM of the master while a job runs: gunicorn, its workers and the job worker are gone within
  the graceful timeout, the port is free, a new gunicorn binds it at once, and the job's page is
  told its job was lost, with a Retry that starts it again;
- the start-up: gunicorn without SECRET_KEY refuses to start; `python app.py` needs nothing set.

Timings are printed by benchmarks/jobs_restarts.py, not asserted here.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from tests.integration.conftest import (
    REPO,
    ServerProcess,
    free_port,
    python_path,
    wait_until,
)
from tests.integration.jobs_client import (
    LONG,
    LOST_TEXT,
    OUTLASTS_THE_TEST,
    SHORT,
    Dashboard,
    Page,
    Traffic,
    applied,
    serve,
    wait_for_job_worker,
    web_workers,
)
from tests.processes import command_line, descendants

pytestmark = pytest.mark.integration

GRACEFUL_TIMEOUT_S = int(re.search(r"^graceful_timeout = (\d+)", (REPO / "gunicorn.conf.py").read_text(), re.M)[1])


def _sweep_ks(answer) -> list:
    return answer.props["k-sweep-graph.figure"]["data"][0]["x"]


@pytest.mark.slow
def test_hup_recycling_and_a_killed_web_worker_cost_other_users_nothing_and_the_job_finishes(tmp_path):
    # Each web worker recycled after 80 to 100 requests (max_requests, with jitter as in production).
    server, base = serve(tmp_path, {"WEB_CONCURRENCY": "2",
                                    "GUNICORN_CMD_ARGS": "--max-requests 80 --max-requests-jitter 20"})
    try:
        wait_for_job_worker(base)
        dashboard = Dashboard(base)
        page = Page(dashboard, applied=applied(n_init=4, seed=101))
        assert page.run(**LONG).shows("k-sweep") in ("queued", "running")
        page.until_running()
        polls = []
        with Traffic(dashboard) as traffic:
            wait_until(lambda: len(traffic.requests) >= 10, 60, what="traffic flowing")
            workers = set(web_workers(server.pid))
            hup_at = time.monotonic()
            os.kill(server.pid, signal.SIGHUP)

            def replaced() -> bool:  # while the page polls its job, as its interval does
                if page.handles["k-sweep"]:
                    polls.append(page.poll())
                current = set(web_workers(server.pid))
                return len(current) == 2 and not workers & current

            wait_until(replaced, 90, 0.5, "every web worker replaced after HUP")
            victim = web_workers(server.pid)[0]
            killed_at = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            wait_until(lambda: not command_line(victim), 10, 0.05, "the killed worker gone")
            dead_at = time.monotonic()
            wait_until(lambda: len(web_workers(server.pid)) == 2 and victim not in web_workers(server.pid), 60,
                       what="a new worker in the killed one's place")
            wait_until(lambda: server.log().count("Autorestarting worker") >= 2
                       and len(traffic.between(dead_at, float("inf"))) >= 50, 120, 0.5,
                       "two recycled workers, and 50 requests after the kill")
        answer = page.poll_until("k-sweep", {"done", "lost", "failed"}, 180)
    finally:
        server.stop()
    assert traffic.failed() == [], traffic.failed()[:5]
    assert polls[0].shows("k-sweep") == "running"  # the job ran across the HUP
    assert all(poll.status == 200 for poll in polls), [poll.status for poll in polls]
    # Only requests the killed worker held lost their connection (they were under way when it
    # died), and they were answered when sent again.
    dropped = [r for r in traffic.requests if r.resent]
    assert all(r.started < dead_at and r.started + r.seconds > killed_at for r in dropped), \
        [(r.started - hup_at, r.seconds) for r in dropped]
    assert server.left_behind == []
    # The job ran in the job worker, which neither HUP, recycling nor a web worker's death touches.
    assert answer.shows("k-sweep") == "done", answer.shows("k-sweep")
    assert _sweep_ks(answer) == list(range(LONG["k_min"], LONG["k_max"] + 1))


def _processes(pids: list[int]) -> dict[int, str]:
    return {pid: command_line(pid) for pid in pids}


@pytest.mark.slow
def test_sigterm_with_a_job_running_ends_everything_and_the_page_learns_its_job_was_lost(tmp_path):
    port, secret = free_port(), secrets.token_hex(16)
    env = {"WEB_CONCURRENCY": "2", "SECRET_KEY": secret}
    server, base = serve(tmp_path, env, port)
    replacement = None
    try:
        wait_for_job_worker(base)
        page = Page(Dashboard(base), applied=applied(seed=103, **OUTLASTS_THE_TEST))
        page.run(**LONG)
        page.until_running()
        ours = _processes(descendants(server.pid))
        assert any("celery" in command for command in ours.values()), "no job worker under gunicorn"

        signalled = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(GRACEFUL_TIMEOUT_S + 30)
        exited_s = time.monotonic() - signalled
        with socket.socket() as probe:  # as gunicorn binds: the port is free at once
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))
        assert exited_s <= GRACEFUL_TIMEOUT_S + 5, f"gunicorn took {exited_s:.1f} s to exit"

        def left() -> list[int]:
            return [pid for pid, command in ours.items() if command and command_line(pid) == command]

        # The table's processes see their parent gone within a second; the job worker is gone already.
        assert not [pid for pid in left() if "celery" in ours[pid]], "the job worker outlived gunicorn"
        wait_until(lambda: not left(), 5, 0.1, f"no process of ours left: {[ours[p] for p in left()]}")

        replacement, _ = serve(tmp_path, env, port)  # the same port, secret and jobs directory
        lost = page.poll_until("k-sweep", {"lost"}, 60)
        assert lost.status == 200 and lost.shows("k-sweep") == "lost", (lost.status, lost.shows("k-sweep"))
        assert lost.get("k-sweep", "failure-text.children") == LOST_TEXT
        assert lost.get("k-sweep", "job.data") is None and lost.get("k-sweep", "poll.disabled") is True
        assert page.retry().shows("k-sweep") in ("queued", "running")  # Retry starts it again
    finally:
        server.stop()
        if replacement is not None:
            replacement.stop()


def test_gunicorn_without_secret_key_refuses_to_start(tmp_path):
    port = free_port()
    env = {"PATH": python_path(), "HOME": str(tmp_path), "TMPDIR": str(tmp_path), "PORT": str(port)}
    finished = subprocess.run(["gunicorn", "-c", "gunicorn.conf.py", "app:server"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode != 0
    assert "set SECRET_KEY" in finished.stderr + finished.stdout
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/health", timeout=5)


def test_python_app_py_needs_nothing_set_and_runs_jobs(tmp_path):
    port = free_port()
    env = {"PATH": python_path(), "HOME": str(tmp_path), "TMPDIR": str(tmp_path), "PORT": str(port)}
    server = ServerProcess([sys.executable, "app.py"], env, tmp_path / "app.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base + "/health")
        wait_for_job_worker(base)
        page = Page(Dashboard(base), applied=applied(seed=104))
        page.run(**SHORT)
        answer = page.poll_until("k-sweep", {"done", "lost", "failed"}, 120)
        assert answer.shows("k-sweep") == "done", answer.shows("k-sweep")
        assert _sweep_ks(answer) == list(range(SHORT["k_min"], SHORT["k_max"] + 1))
    finally:
        server.stop()
    assert server.left_behind == []
