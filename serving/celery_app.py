"""The Celery app the background jobs run on when `REDIS_URL` is set (Redis: broker and result backend).

Run workers, on any machine that reaches the same Redis:

    REDIS_URL=redis://host:6379/0 celery -A serving.celery_app worker --concurrency 2

The worker imports `app` (the `imports` setting) so that Dash registers the job functions as
Celery tasks, under the same names as in the web processes. Job processes run niced (below the web
workers' fits), as with the embedded DiskcacheManager. Without `REDIS_URL` there is no Celery app
(`celery_app` is None) and nothing here is used.

A running job holds a lease in Redis, renewed by its process every `LEASE_RENEW_S` and expiring
after `LEASE_TTL_S`: when a whole worker is lost (its machine, its container, kill -9 of its main
process) nobody tells Celery, whose task stays STARTED for ever; the lease running out is how the
web side (serving.jobs_manager.JobsCeleryManager) tells the page that the job failed.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable

from celery import Celery, signals
from threadpoolctl import threadpool_limits

from serving.jobs_manager import JOB_NICENESS, job_time_limit_s
from serving.renewal import renew_every
from serving.shared_cache import CONNECT_TIMEOUT_S, redis_url

RESULT_TTL_S = 24 * 3600
LEASE_TTL_S = 8  # a job whose worker is lost shows its server-fault box within this and a poll
LEASE_RENEW_S = 2  # four renewals per lease: a niced job process on a busy machine may be late


def make_celery(url: str) -> Celery:
    app = Celery("kmeans_digits", broker=url, backend=url)
    app.conf.update(
        imports=("app",),  # in a worker: build the Dash app, which registers the job tasks
        task_track_started=True,
        # A job whose pool process dies (SIGKILL, out of memory) is failed, not redelivered: billiard's
        # parent reports WorkerLostError, the task becomes FAILURE, and JobsCeleryManager shows the
        # job's server-fault box with Retry (tests/test_scale_out.py). Redelivered, a job that killed
        # its process would kill the next one too. (Both are Celery's defaults, pinned for that.)
        task_acks_late=False,
        task_reject_on_worker_lost=False,
        # A stuck job is ended (its pool process killed, the task FAILURE: the page's server-fault box
        # with Retry), not polled for ever while it keeps renewing its lease.
        task_time_limit=job_time_limit_s(),
        result_expires=RESULT_TTL_S,
        worker_prefetch_multiplier=1,  # a job is long: a free worker takes the next one, not a busy one
        broker_connection_retry_on_startup=True,
        # Starting a job with Redis gone fails at once (the page gets 503 and retries), not after retries.
        task_publish_retry=False,
        broker_connection_timeout=CONNECT_TIMEOUT_S * 4,
        broker_transport_options={"socket_connect_timeout": CONNECT_TIMEOUT_S * 4, "socket_timeout": 5},
        redis_socket_connect_timeout=CONNECT_TIMEOUT_S * 4,
        redis_socket_timeout=5,
        redis_backend_health_check_interval=10,
        worker_hijack_root_logger=False,
    )
    return app


_url = redis_url()
celery_app: Celery | None = make_celery(_url) if _url else None
app = celery_app  # `celery -A serving.celery_app` finds it by this name


@signals.worker_process_init.connect
def _job_process(**_) -> None:
    """A pool process, just forked from the worker, which ran scikit-learn (OpenMP) while importing
    the app: GNU OpenMP's thread team does not survive a fork, and the first parallel region of a
    job waited for it for ever. One thread per job process (the pool runs `--concurrency` jobs at
    once), at a lower priority."""
    threadpool_limits(limits=1)
    os.nice(JOB_NICENESS)


def lease_key(task_id: str) -> str:
    return f"kmeans-digits:job-lease:{task_id}"


def job_alive(backend, task_id: str) -> bool:
    """Whether the worker process running a STARTED task still renews its lease."""
    return bool(backend.client.exists(lease_key(task_id)))


def queued_key(task_id: str) -> str:
    return f"kmeans-digits:job-queued:{task_id}"


def mark_queued(backend, task_id: str) -> None:
    """When a job was sent to the queue (for telling a job no worker took from one still waiting)."""
    with contextlib.suppress(Exception):  # Redis gone: the job could not be sent either
        backend.client.set(queued_key(task_id), time.time(), ex=3600)


def queued_for_s(backend, task_id: str) -> float:
    """Seconds since the job was sent to the queue (0 if unknown)."""
    try:
        sent = backend.client.get(queued_key(task_id))
    except Exception:  # noqa: BLE001
        return 0.0
    return max(0.0, time.time() - float(sent)) if sent else 0.0


_workers_seen = {"at": float("-inf"), "count": 0}
WORKERS_SEEN_S = 10.0  # a ping costs up to its timeout: asked at most this often per process


def ping_workers(timeout: float = 0.5) -> int:
    """How many Celery workers answer a ping now."""
    try:
        return len(celery_app.control.ping(timeout=timeout) or [])
    except Exception:  # noqa: BLE001  (Redis gone: no worker can be reached either)
        return 0


def workers_answering() -> int:
    """ping_workers, remembered for WORKERS_SEEN_S (a job's every poll asks)."""
    now = time.monotonic()
    if now - _workers_seen["at"] > WORKERS_SEEN_S:
        _workers_seen.update(at=now, count=ping_workers())
    return _workers_seen["count"]


_renewals: dict[str, Callable[[], None]] = {}  # this pool process's running task -> stop its renewals


@signals.task_prerun.connect
def _take_lease(task_id=None, task=None, **_) -> None:
    """In the job's process, before Celery marks the task STARTED: the lease, and a thread renewing it."""
    client = task.backend.client

    def take() -> None:
        with contextlib.suppress(Exception):  # Redis gone: nobody can poll the job either
            client.set(lease_key(task_id), 1, ex=LEASE_TTL_S)

    take()
    _renewals[task_id] = renew_every(LEASE_RENEW_S, take, f"lease {task_id}")


@signals.task_postrun.connect
def _stop_renewing(task_id=None, **_) -> None:
    stop = _renewals.pop(task_id, None)
    if stop is not None:  # stopped: the lease runs out after the result is stored
        stop()
