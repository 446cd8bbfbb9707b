"""The jobs as the callbacks see them (callbacks.services.Jobs): start, poll, cancel, with caps.

- A job is a Celery task; its handle is the task id signed (itsdangerous, Flask's SECRET_KEY)
  together with the page it was started for, and expires (JOB_HANDLE_TTL_S; every poll gets a
  fresh one). A forged, expired or another page's handle is simply not known: it can neither poll
  nor cancel anything.
- Caps: at most `per_page` jobs queued or running per page (a browser tab), `per_client` per
  client address (a reload gives a new page, not more jobs), and `queue_max` distinct runs on the
  queue; past them a start is refused with a message. Workers run `--concurrency` at once and take
  the rest in order. A page's new start of a kind replaces its previous job of that kind.
- The same run asked for by several pages is computed once: later pages join the running task.
  Finished results are kept (24 h) under the run's name, so asking again answers at once.
- A job whose worker was lost (a restart, a killed machine) is reported as lost: a started job
  (it reports its progress in the job store) silent for a while whose worker no longer lists it,
  a job its worker's shutdown ended, or a job the store no longer knows (Redis restarted empty).
  A job first in line while no worker has answered a ping for a while stays queued (Celery's queue
  keeps it, and a worker that comes back runs it), and its page is told that it waits for a worker.
- The store or the broker not answering: a start fails (the page offers Retry); a poll or a
  cancel is answered 503 (callbacks.services.Busy), and the page sends it again.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable

from celery import states
from celery.result import AsyncResult
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from callbacks.services import (
    CANCELLED,
    DONE,
    FAILED,
    LOST,
    QUEUED,
    REFUSED,
    RUNNING,
    UNKNOWN,
    Busy,
    JobView,
)
from core.datasets import file_part
from serving.jobs.celery_app import RESULT_TTL_S, celery_app, job_time_limit_s
from serving.jobs.store import job_store
from serving.jobs.tasks import WANTED, job_key, progress_key, result_key, run_job, run_key
from serving.jobs.workers import UNAVAILABLE, Workers

log = logging.getLogger(__name__)

RECORD_TTL_S = RESULT_TTL_S
ACTIVE_KEY = "jobs:active"
PAGE_ID = re.compile(r"[0-9a-f]{32}")  # the page's own random id (assets/table_requests.js)
NO_WORKER_AFTER_S = 30.0  # no worker answering this long, a job first in line says it waits for one (a
# worker restarting, or the embedded one booting, answers well within it; one on a busy machine may not)
NO_WORKER_TEXT = ("Waiting for a job worker: none has answered for {seconds:.0f} s (busy or restarting). The job "
                  "runs when one does; Cancel gives it up.")
ENDED_STATES = states.READY_STATES | {states.RETRY}  # no job retries: RETRY is a worker's shutdown cancelling it


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


def _jobs(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


def task_argsrepr(kind: str, params: dict) -> str:
    """The task's arguments as Celery's logs and events print them: an upload's key is its secret,
    so every dataset key shows as core.datasets.file_part says it ("upload")."""
    shown = {name: file_part(value) if isinstance(value, str) else value for name, value in params.items()}
    return repr((kind, shown))


def default_client() -> str:
    from flask import request  # the callback's request

    return request.remote_addr or "unknown"


class JobQueue:
    def __init__(self, secret: str, client: Callable[[], str] = default_client, store=None, app=celery_app,
                 per_page: int | None = None, per_client: int | None = None, queue_max: int | None = None,
                 handle_ttl_s: int | None = None) -> None:
        self.handles = URLSafeTimedSerializer(secret, salt="kmeans-job-handle")
        # Untimed: a page id always signs to the same token.
        self.pages = URLSafeSerializer(secret, salt="kmeans-page-token")
        self.client = client
        self.store = store or job_store()
        self.app = app
        self.per_page = per_page or _int_env("JOBS_PER_PAGE", 2)
        self.per_client = per_client or _int_env("JOBS_PER_CLIENT", 4)
        self.queue_max = queue_max or _int_env("JOBS_QUEUE_MAX", 16)
        self.handle_ttl_s = handle_ttl_s or _int_env("JOB_HANDLE_TTL_S", RECORD_TTL_S)
        self.workers = Workers(app)

    # --- pages and handles -------------------------------------------------------------------

    def page_token(self, token: object, page_id: object = None) -> str:
        if isinstance(token, str):
            try:
                self.pages.loads(token)
                return token
            except BadSignature:
                pass
        if isinstance(page_id, str) and PAGE_ID.fullmatch(page_id):
            return self.pages.dumps(page_id)
        return self.pages.dumps(uuid.uuid4().hex)

    def _handle(self, task: str, page: str, kind: str) -> str:
        return self.handles.dumps({"task": task, "page": page, "kind": kind})

    def _task_of(self, handle: object, page: str) -> str | None:
        if not isinstance(handle, str) or len(handle) > 1000:
            return None
        try:
            claims = self.handles.loads(handle, max_age=self.handle_ttl_s)  # also refuses expired ones
        except BadSignature:
            return None
        if not isinstance(claims, dict) or claims.get("page") != page or not isinstance(claims.get("task"), str):
            return None
        return claims["task"]

    # --- the active list: one entry per (task, page) queued or running ------------------------

    def _active(self) -> list[dict]:
        active = self.store.get(ACTIVE_KEY) or []
        stale = time.time() - job_time_limit_s() - 60  # past its time limit a job has ended anyway
        return [entry for entry in active if entry.get("at", 0) > stale]

    def _save(self, active: list[dict]) -> None:
        self.store.set(ACTIVE_KEY, active, RECORD_TTL_S)

    def _drop(self, task: str, page: str | None = None) -> list[dict]:
        """Remove a task's entries (only `page`'s, if given); the entries left for it."""
        with self.store.lock("jobs"):
            active = self._active()
            kept = [e for e in active if not (e["task"] == task and (page is None or e["page"] == page))]
            self._save(kept)
        return [e for e in kept if e["task"] == task]

    def _mark(self, task: str, state: str) -> None:
        """Record how the job ended, and forget its run (a new start computes it afresh)."""
        record = self.store.get(job_key(task))
        if record is not None:
            self.store.set(job_key(task), {**record, "state": state}, RECORD_TTL_S)
            if self.store.get(f"run:{record['run']}") == task:
                self.store.delete(f"run:{record['run']}")

    def _revoke_unless_shared(self, task: str, page: str) -> None:
        if not self._drop(task, page):
            self.app.control.revoke(task, terminate=True)
            self._mark(task, CANCELLED)

    # --- the callbacks' calls -----------------------------------------------------------------

    def stored(self, kind: str, params: dict) -> dict | None:
        try:
            return self.store.get(result_key(kind, params))
        except UNAVAILABLE:  # the store unreachable: nothing is stored, as far as we know
            log.warning("job store unreachable", exc_info=True)
            return None

    def start(self, kind: str, params: dict, page: str) -> JobView:
        try:
            return self._start(kind, params, page)
        except UNAVAILABLE:
            log.warning("could not start a job: the job store or the broker is unreachable", exc_info=True)
            return JobView(FAILED, params=params)

    def _start(self, kind: str, params: dict, page: str) -> JobView:
        client, run = self.client(), run_key(kind, params)
        with self.store.lock("jobs"):
            now = time.time()  # in the lock: the active list's times are the queue's order
            active = self._active()
            ended = {task for task in {e["task"] for e in active} if self._celery_state(task) in ENDED_STATES}
            active = [e for e in active if e["task"] not in ended]
            replaced = {e["task"] for e in active if e["page"] == page and e["kind"] == kind}
            task = self.store.get(f"run:{run}")
            joined = task is not None and any(e["task"] == task for e in active)  # this page's own, too
            active = [e for e in active if not (e["page"] == page and e["kind"] == kind)]
            result = self.stored(kind, params)
            refusal = None if result is not None else self._refusal(active, page, client, joined)
            if refusal:
                return JobView(REFUSED, message=refusal, params=params)
            if result is None and not joined:
                task = uuid.uuid4().hex
                self.store.set(job_key(task), {"kind": kind, "params": params, "run": run, "at": now,
                                               "state": WANTED}, RECORD_TTL_S)
                run_job.apply_async(args=(kind, params), task_id=task, argsrepr=task_argsrepr(kind, params))
                self.store.set(f"run:{run}", task, RECORD_TTL_S)
            if result is None:
                active.append({"task": task, "run": run, "kind": kind, "page": page, "client": client, "at": now})
            self._save(active)
        for old in replaced - {task}:  # this page's previous job of this kind, unless another page waits for it
            if not any(e["task"] == old for e in active):
                self.app.control.revoke(old, terminate=True)
                self._mark(old, CANCELLED)
        if result is not None:
            return JobView(DONE, result=result, params=params)
        return self._view(task, page, kind, params)

    def _refusal(self, active: list[dict], page: str, client: str, joined: bool) -> str | None:
        if sum(e["page"] == page for e in active) >= self.per_page:
            return f"This page already has {_jobs(self.per_page)} running or waiting: wait for one, or cancel it."
        if sum(e["client"] == client for e in active) >= self.per_client:
            return (f"Your browser already has {_jobs(self.per_client)} running or waiting (in this tab or "
                    "others): wait for one, or cancel it.")
        if not joined and len({e["task"] for e in active}) >= self.queue_max:
            return f"The server's job queue is full ({_jobs(self.queue_max)}): try again in a minute."
        return None

    def status(self, handle: object, page: str) -> JobView:
        task = self._task_of(handle, page)
        if task is None:
            return JobView(UNKNOWN)
        try:
            record = self.store.get(job_key(task))
            if record is None:  # the store forgot it: restarted without its data
                return JobView(LOST)
            return self._view(task, page, record["kind"], record["params"], record)
        except UNAVAILABLE as error:
            raise Busy("the job store or the broker is not answering") from error

    def cancel(self, handle: object, page: str) -> JobView:
        task = self._task_of(handle, page)
        if task is None:
            return JobView(UNKNOWN)
        try:
            self._revoke_unless_shared(task, page)
        except UNAVAILABLE as error:
            raise Busy("the job store or the broker is not answering") from error
        return JobView(CANCELLED)

    # --- what a task's state means to its page ------------------------------------------------

    def _view(self, task: str, page: str, kind: str, params: dict, record: dict | None = None) -> JobView:
        record = record or self.store.get(job_key(task)) or {}
        ended = self._outcome(task, page, kind, params, record)
        if ended is not None:
            return ended
        progress = self.store.get(progress_key(task))
        if progress is not None:  # a worker started it
            if self.workers.still_running(task, progress):
                return JobView(RUNNING, self._handle(task, page, kind), done=int(progress.get("done", 0)),
                               total=int(progress.get("total", 0)), params=params)
            # Its worker no longer runs it: lost, unless it ended meanwhile.
            return self._outcome(task, page, kind, params, record) or self._ended(task, params, LOST)
        ahead = self._ahead(task)
        silent = self.workers.silent_for() if ahead == 0 else 0.0
        waiting = NO_WORKER_TEXT.format(seconds=silent) if silent >= NO_WORKER_AFTER_S else ""
        return JobView(QUEUED, self._handle(task, page, kind), ahead=ahead, params=params, message=waiting)

    def _outcome(self, task: str, page: str, kind: str, params: dict, record: dict) -> JobView | None:
        """The job's end, if it has ended: its result, or how it failed or was lost."""
        result = self.stored(kind, params)
        if result is not None:
            self._drop(task, page)
            return JobView(DONE, result=result, params=params)
        if record.get("state") in (CANCELLED, FAILED, LOST):
            self._drop(task, page)
            return JobView(record["state"], params=params)
        status = self._celery_state(task)
        if status == states.RETRY:  # its worker's shutdown cancelled it
            return self._ended(task, params, LOST)
        if status in states.READY_STATES:  # failed, revoked, or succeeded without its result
            return self._ended(task, params, FAILED)
        return None

    def _celery_state(self, task: str) -> str:
        try:
            return AsyncResult(task, app=self.app).state
        except ValueError:  # caught half-written (Celery's file backend): not ended, as far as we know
            return states.PENDING

    def _ended(self, task: str, params: dict, state: str) -> JobView:
        self._mark(task, state)
        self._drop(task)
        return JobView(state, params=params)

    def _ahead(self, task: str) -> int:
        """Runs queued before this one and not started yet."""
        active = self._active()
        mine = next((e["at"] for e in active if e["task"] == task), time.time())
        earlier = {e["task"] for e in active if e["at"] < mine and e["task"] != task}
        return sum(self.store.get(progress_key(other)) is None for other in earlier)

    def ready(self) -> dict:
        """For /ready: the store answers, and how many workers answer a ping."""
        try:
            store_ok = bool(self.store.ping())
        except Exception:  # noqa: BLE001
            store_ok = False
        workers = self.workers.count()
        return {"store": store_ok, "workers": workers, "ok": store_ok and workers > 0}
