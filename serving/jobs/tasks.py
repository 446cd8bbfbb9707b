"""What a job worker runs: the core's k sweep and seed stability, with progress after each fit
(in the job store, where the pages read it).

A worker imports this module, the core and the upload store (serving/uploads.py: a job on an
upload reads it from there), never the web app. Each job process runs at a lower priority than
the web processes and the table's fits, with one OpenMP/BLAS thread.
"""

from __future__ import annotations

import dataclasses
import os
import time

from celery import signals
from threadpoolctl import threadpool_limits

from core.sweeps import k_sweep, seed_stability
from serving.jobs.celery_app import RESULT_TTL_S, celery_app
from serving.jobs.store import job_store
from serving.uploads import install_from_environment

install_from_environment()  # a job on an upload reads it from the store the web process wrote

JOB_NICENESS = 15  # below the table's processes (10): the map first, then the table, then the jobs
SWEEP, STABILITY = "k-sweep", "stability"


def run_key(kind: str, params: dict) -> str:
    """The name of a run: the same job with the same parameters is the same run."""
    return f"{kind}:" + ",".join(f"{key}={params[key]!r}" for key in sorted(params))


def result_key(kind: str, params: dict) -> str:
    return f"result:{run_key(kind, params)}"


def job_key(task_id: str) -> str:
    """The job's record in the store (serving/jobs/queue.py): its run, and its state as its pages saw it."""
    return f"job:{task_id}"


def progress_key(task_id: str) -> str:
    """The running job's progress: {done, total, at, hostname}. In the job store, whose writes are
    atomic, rather than in Celery's file result backend, which a reader can catch half-written."""
    return f"progress:{task_id}"


WANTED = "active"  # a job record's state while its pages still wait for it


def compute(kind: str, params: dict, progress) -> dict:
    """The job's core result, as a JSON-able dict."""
    if kind == SWEEP:
        result = k_sweep(params["dataset"], params["init_method"], (params["k_min"], params["k_max"]),
                         params["n_init"], params["seed"], progress=progress)
    elif kind == STABILITY:
        result = seed_stability(params["dataset"], params["n_clusters"], params["n_init"], params["seed"],
                                params["n_seeds"], progress=progress)
    else:
        raise ValueError(f"unknown job kind {kind!r}")
    return dataclasses.asdict(result)


@signals.worker_process_init.connect
def _job_process(**_) -> None:
    threadpool_limits(limits=1)
    os.nice(JOB_NICENESS)


@celery_app.task(bind=True, name="kmeans.run_job")
def run_job(self, kind: str, params: dict) -> str:
    """Compute the job, reporting each fit done, and keep its result for every page that asks.

    A job no page waits for (cancelled, told it was lost, or forgotten by a store that restarted
    empty) is not computed: its message can come back after a restart (a revoke is not remembered;
    an unacknowledged message is redelivered).
    """
    store = job_store()
    record = store.get(job_key(self.request.id))
    if record is None or record.get("state") != WANTED:
        return "not wanted"

    def progress(done: int, total: int) -> None:
        store.set(progress_key(self.request.id), {"done": done, "total": total, "at": time.time(),
                                                  "hostname": self.request.hostname}, RESULT_TTL_S)

    progress(0, 0)
    result = compute(kind, params, progress)
    store.set(result_key(kind, params), result, RESULT_TTL_S)
    return "stored"
