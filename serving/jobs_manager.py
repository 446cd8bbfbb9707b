"""The background callback manager for the slow jobs (k sweep, seed stability), and their result store.

Embedded default: Dash's `DiskcacheManager`. Each job runs in its own process, forked from the
web worker, at a lower CPU priority (niceness `JOB_NICENESS`) so the live map keeps the cores;
results, progress and Dash's signing secret live in one diskcache directory that every gunicorn
worker of this machine opens, so a job started through one worker is polled and cancelled through
another. diskcache unpickles what it reads, so the directory is private to the app's user
(mode 0700, refused if someone else owns it). `JOBS_CACHE_DIR` sets it.

With `REDIS_URL` set and Redis reachable at start-up: Dash's `CeleryManager` on
`serving.celery_app` (jobs run in Celery workers on any machine), and the results in Redis
(`serving.shared_cache`), so every web worker of every machine sees every job. Everything a job
backend must provide is behind `manager()` and `results()`; the callbacks do not change.
"""

from __future__ import annotations

import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from functools import lru_cache

import diskcache
import sklearn
from dash import CeleryManager, DiskcacheManager

from serving import job_sharing, shared_cache
from serving.job_sharing import Progress

log = logging.getLogger(__name__)

CACHE_DIR_VARIABLE = "JOBS_CACHE_DIR"
JOB_NICENESS = 15  # below the table's workers (10): the map first, then the table, then the jobs
RESULTS_TTL_S = 24 * 3600
CACHE_SIZE_LIMIT = 256 * 2**20
# A cached result is only reused by the code that made it: bump when a job's output changes.
RESULTS_VERSION = f"1/scikit-learn {sklearn.__version__}"
CANCELLED_TTL_S = 3600
TIME_LIMIT_VARIABLE = "JOB_TIME_LIMIT_S"
# The longest valid job (100 seeds x 3 inits at k = 30, n_init = 50) is a few minutes of one niced
# core; past this a job is taken for stuck and ended (a server fault with Retry, never endless polls).
DEFAULT_TIME_LIMIT_S = 1800
EXIT_TIME_LIMIT = 75  # a job process's exit status when its time limit ended it
NO_WORKER_WAIT_S = 10.0  # a Celery job still queued after this, with no worker answering, has failed


def job_time_limit_s() -> float:
    """JOB_TIME_LIMIT_S (seconds, > 0), else the default. Read by both job managers."""
    try:
        value = float(os.environ.get(TIME_LIMIT_VARIABLE, ""))
    except ValueError:
        return DEFAULT_TIME_LIMIT_S
    return value if 0 < value < float("inf") else DEFAULT_TIME_LIMIT_S


def cache_dir() -> str:
    default = os.path.join(tempfile.gettempdir(), f"kmeans-digits-jobs-{os.getuid()}")
    return os.environ.get(CACHE_DIR_VARIABLE) or default


def private_directory(path: str) -> str:
    """Create `path` (mode 0700) or check an existing one is ours and not a link; then make it 0700."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise RuntimeError(f"{CACHE_DIR_VARIABLE} {path!r} is not a plain directory")
    if info.st_uid != os.getuid():
        raise RuntimeError(f"{CACHE_DIR_VARIABLE} {path!r} belongs to another user; diskcache unpickles "
                           "what it reads, so it must be private to this one")
    os.chmod(path, 0o700)
    return path


class JobsDiskcacheManager(DiskcacheManager):
    """DiskcacheManager with two additions: jobs run niced, and a job process that ended without
    a result (killed, out of memory) is reported as a failed run instead of looking cancelled."""

    def make_job_fn(self, fn, progress, key=None):
        job = super().make_job_fn(fn, progress, key)

        def at_lower_priority(*args):  # runs in the job's own process
            os.nice(JOB_NICENESS)
            # A stuck job (a deadlock, a hung library) must not be polled for ever: past the limit
            # its process ends without a result, which get_result reports as a failed run (Retry).
            watchdog = threading.Timer(job_time_limit_s(), os._exit, args=(EXIT_TIME_LIMIT,))
            watchdog.daemon = True
            watchdog.start()
            job(*args)

        return at_lower_priority

    def terminate_job(self, job):
        if job is not None:  # cancelled, replaced by a newer run, or finished: not a failure
            self.handle.set(f"terminated:{int(job)}", True, expire=CANCELLED_TTL_S)
        super().terminate_job(job)

    def get_result(self, key, job):
        result = super().get_result(key, job)
        if (result is self.UNDEFINED and job is not None and not self.job_running(job)
                and not self.handle.get(f"terminated:{int(job)}") and not self.result_ready(key)):
            log.warning("background job %s ended without a result", job)
            return {"background_callback_error": {"msg": "the job's process ended without a result", "tb": ""}}
        return result


@lru_cache(maxsize=1)
def _store() -> diskcache.Cache:
    return diskcache.Cache(private_directory(cache_dir()), size_limit=CACHE_SIZE_LIMIT)


class JobsCeleryManager(CeleryManager):
    """CeleryManager whose job, when it ended without writing a result, is reported as a failed run:

    - its pool process killed: Celery marks the task FAILURE (WorkerLostError). Dash alone would
      see a job neither running nor answered and end the page's polling with no update (204): no
      result and no Retry;
    - its whole worker lost: the task stays STARTED for ever (nobody is left to tell Celery), and
      the page would poll for ever; its lease (serving/celery_app.py) runs out instead;
    - no worker at all: the task stays PENDING in the queue; once it has waited `NO_WORKER_WAIT_S`
      and no worker answers a ping, it is reported (a queue merely busy has workers that answer).
    """

    def call_job_fn(self, key, job_fn, args, context):
        from serving.celery_app import mark_queued  # only with REDIS_URL

        task_id = super().call_job_fn(key, job_fn, args, context)
        mark_queued(self.handle.backend, task_id)
        return task_id

    def get_result(self, key, job):
        result = super().get_result(key, job)
        if result is self.UNDEFINED and job is not None and self._ended_without_result(job):
            log.warning("background job %s ended without a result", job)
            return {"background_callback_error": {"msg": "the job's process ended without a result", "tb": ""}}
        return result

    def _ended_without_result(self, job) -> bool:
        from serving.celery_app import job_alive, queued_for_s, workers_answering  # only with REDIS_URL

        status = self.get_task(job).status
        if status == "PENDING":
            return queued_for_s(self.handle.backend, job) > NO_WORKER_WAIT_S and workers_answering() == 0
        return status == "FAILURE" or (status == "STARTED" and not job_alive(self.handle.backend, job))


def uses_celery() -> bool:
    """Celery when REDIS_URL is set and Redis answered at start-up; else the embedded default."""
    store = shared_cache.store()
    return store is not None and _celery_chosen(store)


@lru_cache(maxsize=1)
def _celery_chosen(store) -> bool:
    if store.reachable():
        return True
    log.warning("jobs run on this machine (DiskcacheManager): Redis was unreachable at start-up")
    return False


@lru_cache(maxsize=1)
def manager() -> DiskcacheManager | CeleryManager:
    """The one manager of this process (all background callbacks share it, and its store)."""
    if uses_celery():
        from serving.celery_app import celery_app  # only with REDIS_URL

        return JobsCeleryManager(celery_app)
    return JobsDiskcacheManager(_store())


def store_writable() -> bool:
    """Whether the jobs' store takes a write and gives it back (for /ready)."""
    key = f"ready-probe:{os.getpid()}"
    try:
        store = _job_store()
        store.set(key, True, expire=60)
        readable = store.get(key) is True
        store.delete(key)
        return readable
    except Exception:  # pylint: disable=broad-except  (a full disk, a removed directory, permissions)
        log.warning("the jobs' store at %s is not writable", cache_dir(), exc_info=True)
        return False


class JobResults:
    """Finished job results by (kind, settings), shared by every worker through the manager's store."""

    def __init__(self, cache: diskcache.Cache) -> None:
        self._cache = cache

    @staticmethod
    def key(kind: str, settings: dict) -> str:
        return f"result:{RESULTS_VERSION}:{kind}:" + ",".join(f"{k}={settings[k]!r}" for k in sorted(settings))

    def get(self, kind: str, settings: dict):
        return self._cache.get(self.key(kind, settings))

    def computed_once(self, kind: str, settings: dict, compute: Callable[[Progress], object], progress: Progress):
        """The stored result, else `compute(progress)`, stored; run by one process at a time
        across every page that asks (serving/job_sharing.py), the others relaying its progress."""
        return job_sharing.computed_once(self._cache, self.key(kind, settings), compute, progress,
                                         keep_s=RESULTS_TTL_S)


def _job_store():
    return shared_cache.store() if uses_celery() else _store()


@lru_cache(maxsize=1)
def results() -> JobResults:
    return JobResults(_job_store())
