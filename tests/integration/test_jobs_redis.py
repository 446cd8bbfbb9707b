"""The jobs with REDIS_URL, over HTTP: a real redis-server (started here, on a free port, keeping
nothing across restarts, never evicting), an external Celery worker, and gunicorn with 2 web workers.

- a job's pool process killed: the page shows the server-fault box with Retry, and Retry runs it;
- the whole worker killed (its process group): the page is told the job was lost within ~20 s;
  the job queued behind it runs on the worker started in its place;
- Redis restarted, then one web worker restarted: every poll is answered (the handles are signed
  with SECRET_KEY, the same in every worker: never a 400), the job whose record Redis lost is
  reported lost, and new jobs run.

Without redis-server the module skips and says why; with REQUIRE_REDIS=1 (CI) that is a failure.
"""

from __future__ import annotations

import os
import re
import signal
import time

import pytest

from tests.integration.conftest import (
    RedisServer,
    ServerProcess,
    free_port,
    python_path,
    require_binary,
    wait_until,
)
from tests.integration.jobs_client import (
    LONG,
    LOST_TEXT,
    OUTLASTS_THE_TEST,
    SHORT,
    Dashboard,
    Page,
    applied,
    serve,
    wait_for_job_worker,
    web_workers,
)
from tests.processes import children

pytestmark = pytest.mark.integration

SWEEP = "k-sweep"
ACCESS_FORMAT = '%(p)s "%(m)s %(U)s" %(s)s'  # which web worker answered each request


class Stack:
    """redis-server, one Celery worker (replaced when a test kills it) and gunicorn."""

    def __init__(self, directory, redis_server: RedisServer) -> None:
        self.directory, self.redis = directory, redis_server
        self.env = {"PATH": python_path(), "HOME": str(directory), "TMPDIR": str(directory), "LANG": "C.UTF-8",
                    "REDIS_URL": redis_server.url}
        self.workers = 0
        self.worker: ServerProcess | None = None
        self.gunicorn: ServerProcess | None = None
        self.dashboard: Dashboard | None = None

    def start_worker(self) -> ServerProcess:
        self.workers += 1
        command = ["celery", "-A", "serving.jobs.celery_app", "worker", "--concurrency", "1", "--loglevel", "INFO",
                   "--hostname", f"w{self.workers}@%h", "--without-mingle", "--without-gossip"]
        self.worker = ServerProcess(command, self.env, self.directory / f"worker{self.workers}.log").start()
        return self.worker

    def start_gunicorn(self) -> None:
        self.gunicorn, base = serve(self.directory, {"WEB_CONCURRENCY": "2", "REDIS_URL": self.redis.url,
                                                     "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"})
        wait_for_job_worker(base)
        self.dashboard = Dashboard(base)

    def pool_process(self) -> int:
        pool = children(self.worker.pid)
        assert len(pool) == 1, pool
        return pool[0]

    def stop(self) -> None:
        for process in (self.gunicorn, self.worker):
            if process is not None:
                process.stop()
        self.redis.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    binary = require_binary("redis-server", "REQUIRE_REDIS")
    directory = tmp_path_factory.mktemp("jobs-redis")
    started = Stack(directory, RedisServer(binary, directory, free_port()).start())
    try:
        started.start_worker()
        started.start_gunicorn()
        yield started
    finally:
        started.stop()


@pytest.mark.slow
def test_a_killed_pool_process_fails_the_job_and_a_killed_worker_loses_it(stack):
    page = Page(stack.dashboard, applied=applied(seed=301, **OUTLASTS_THE_TEST))
    page.run(**LONG)
    page.until_running()
    os.kill(stack.pool_process(), signal.SIGKILL)
    failed = page.poll_until(SWEEP, {"failed", "lost"}, 30)
    assert failed.shows(SWEEP) == "failed", failed.shows(SWEEP)  # a server fault: its worker lives on
    assert failed.get(SWEEP, "failure-text.children") != LOST_TEXT

    assert page.retry().shows(SWEEP) in ("queued", "running")  # on the pool process Celery started in its place
    page.until_running()
    behind = Page(stack.dashboard, applied=applied(seed=302))
    assert behind.run(**SHORT).waiting(SWEEP) == "Waiting: next in line"
    dead_worker = stack.worker
    os.killpg(dead_worker.pid, signal.SIGKILL)  # the worker and its pool, as an OOM kill or a lost machine
    killed_at = time.monotonic()
    stack.start_worker()  # as a supervisor does
    lost = page.poll_until(SWEEP, {"lost", "failed"}, 40)
    told_after_s = time.monotonic() - killed_at
    dead_worker.stop()
    assert lost.shows(SWEEP) == "lost" and lost.get(SWEEP, "failure-text.children") == LOST_TEXT
    assert told_after_s <= 25, f"the page learnt its job was lost {told_after_s:.0f} s after the worker died"
    # The queued job was still on the queue (a worker takes one only when a process is free).
    assert behind.poll_until(SWEEP, {"done"}, 120).shows(SWEEP) == "done"


def _served_by(log: str, pid: int) -> int:
    return len(re.findall(rf"<{pid}> \"POST /_dash-update-component\" ", log))


def test_a_redis_restart_then_a_web_worker_restart_lose_running_jobs_but_no_poll(stack):
    page = Page(stack.dashboard, applied=applied(n_init=4, seed=303))
    page.run(**LONG)
    page.until_running()
    token, handle = page.token, page.handles[SWEEP]

    stack.redis.stop()  # keeps nothing: the jobs' records and queue go with it
    stack.redis.start()
    old = web_workers(stack.gunicorn.pid)
    os.kill(old[0], signal.SIGTERM)  # one web worker restarts; gunicorn starts another in its place
    wait_until(lambda: len(set(web_workers(stack.gunicorn.pid)) - set(old)) == 1, 60, what="a new web worker")
    new = (set(web_workers(stack.gunicorn.pid)) - set(old)).pop()

    # The same page's polls reach both workers: each answers, with the job lost (never a 400,
    # never "unknown": the handle's signature holds in every worker).
    answers = []
    wait_until(lambda: answers.append(page.copy(SWEEP, handle).poll()) or _served_by(stack.gunicorn.log(), new), 60,
               0.1, "a poll answered by the restarted web worker")
    assert {(a.status, a.shows(SWEEP)) for a in answers} == {(200, "lost")}
    assert answers[-1].get(SWEEP, "failure-text.children") == LOST_TEXT

    # New jobs run, started from the page loaded before the restarts (its token still holds),
    # once the job worker has reconnected to the restarted Redis (on a loaded machine that can take
    # longer than the 30 s after which a job no worker answers for is shown as failed).
    wait_for_job_worker(stack.dashboard.base_url)
    fresh = Page(stack.dashboard, applied=applied(seed=304))
    fresh.token = token
    started = fresh.run(**SHORT)
    assert started.shows(SWEEP) in ("queued", "running", "done")
    assert "page-token.data" not in started.props
    assert fresh.poll_until(SWEEP, {"done"}, 120).shows(SWEEP) == "done"
