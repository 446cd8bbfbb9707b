"""The Celery app the background jobs run on.

With `REDIS_URL`: Redis is the broker and the result backend, and workers on any machine that
reaches it take jobs. Without it: kombu's filesystem transport and Celery's file result backend in
this machine's private jobs directory (serving/jobs/store.py), with a worker the server starts
beside itself (serving/jobs/local_worker.py). Either way a worker runs

    celery -A serving.jobs.celery_app worker --concurrency 2

and imports only serving.jobs.tasks (the core's maths): never the web app.
"""

from __future__ import annotations

import os

from celery import Celery

from serving.jobs.store import jobs_dir, private_directory, redis_url

# Past the longest job core.work lets through (JOB_WORK_MAX, every init running to max_iter, on a busy
# machine); a stuck one is ended (a server fault).
DEFAULT_TIME_LIMIT_S = 3600
RESULT_TTL_S = 24 * 3600


def job_time_limit_s() -> float:
    try:
        value = float(os.environ.get("JOB_TIME_LIMIT_S", ""))
    except ValueError:
        return DEFAULT_TIME_LIMIT_S
    return value if 0 < value < float("inf") else DEFAULT_TIME_LIMIT_S


def _local_broker() -> dict:
    base = private_directory(jobs_dir())
    folders = {name: private_directory(os.path.join(base, name)) for name in ("queue", "control", "results")}
    return {
        "broker_url": "filesystem://localhost//",  # the host part is unused; named, kombu does not warn
        "result_backend": f"file://{folders['results']}",
        "broker_transport_options": {
            "data_folder_in": folders["queue"], "data_folder_out": folders["queue"],
            "control_folder": folders["control"], "store_processed": False, "polling_interval": 0.2,
        },
    }


def make_celery() -> Celery:
    url = redis_url()
    app = Celery("kmeans_jobs")
    app.conf.update(
        **({"broker_url": url, "result_backend": url} if url else _local_broker()),
        imports=("serving.jobs.tasks",),
        task_serializer="json", result_serializer="json", accept_content=["json"],
        # A worker takes a job off the queue only when one of its processes is free (acknowledged
        # when it ends, one message per process): queued jobs wait on the queue, in order, for
        # whichever worker frees first; no worker holds one back behind a long job, or takes it
        # down when it is killed; and a worker's main process is never blocked handing a job to a
        # full pool, so it always answers the pings and queries that tell a lost job (queue.py).
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        # A job whose process dies is still acknowledged, not run again: a job that killed its
        # process would kill the next one too. The page shows it as failed, with Retry.
        task_reject_on_worker_lost=False,
        # A broker connection lost and regained (Redis restarted) leaves running jobs running: they
        # store their results in the job store, and their pages, which Redis forgot, are told so.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        task_time_limit=job_time_limit_s(),
        result_expires=RESULT_TTL_S,
        broker_connection_retry_on_startup=True,
        task_publish_retry=False,  # with the broker gone, starting a job fails at once
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


celery_app = make_celery()
app = celery_app  # `celery -A serving.jobs.celery_app` finds it by this name
