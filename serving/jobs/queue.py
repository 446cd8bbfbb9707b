"""The jobs as the callbacks see them (callbacks.services.Jobs): start, poll, cancel, with caps.

- A job is a Celery task; its handle is the task id signed (itsdangerous, Flask's SECRET_KEY)
  together with the page it was started for, and expires. A forged, expired or another page's
  handle is simply not known: it can neither poll nor cancel anything.
- Caps: at most `per_page` jobs queued or running per page (a browser tab), `per_client` per
  client address (a reload gives a new page, not more jobs), and `queue_max` distinct runs on the
  queue; past them a start is refused with a message. Workers run `--concurrency` at once and take
  the rest in order. A page's new start of a kind replaces its previous job of that kind.
- The same run asked for by several pages is computed once: later pages join the running task.
  Finished results are kept (24 h) under the run's name, so asking again answers at once.
- A job whose worker was lost (a restart, a killed machine) is reported as lost: a running task
  whose worker no longer lists it, or a job the store no longer knows.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable

from celery.result import AsyncResult
from itsdangerous import BadSignature, URLSafeTimedSerializer

from callbacks.services import CANCELLED, DONE, FAILED, LOST, QUEUED, REFUSED, RUNNING, UNKNOWN, JobView
from serving.jobs.celery_app import RESULT_TTL_S, celery_app, job_time_limit_s
from serving.jobs.store import job_store
from serving.jobs.tasks import result_key, run_key, run_job

log = logging.getLogger(__name__)

HANDLE_TTL_S = RESULT_TTL_S
ACTIVE_KEY = "jobs:active"
LOST_CHECK_AFTER_S = 10.0  # a running job silent this long: ask its worker whether it still runs it
NO_WORKER_AFTER_S = 10.0  # a job first in line this long, with no worker answering: failed
CHECK_EVERY_S = 5.0  # how often one job's worker is asked


def _int_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, "")))
    except ValueError:
        return default


def default_client() -> str:
    from flask import request  # the callback's request

    return request.remote_addr or "unknown"


class JobQueue:
    def __init__(self, secret: str, client: Callable[[], str] = default_client, store=None, app=celery_app,
                 per_page: int | None = None, per_client: int | None = None, queue_max: int | None = None) -> None:
        self.handles = URLSafeTimedSerializer(secret, salt="kmeans-job-handle")
        self.pages = URLSafeTimedSerializer(secret, salt="kmeans-page-token")
        self.client = client
        self.store = store or job_store()
        self.app = app
        self.per_page = per_page or _int_env("JOBS_PER_PAGE", 2)
        self.per_client = per_client or _int_env("JOBS_PER_CLIENT", 4)
        self.queue_max = queue_max or _int_env("JOBS_QUEUE_MAX", 16)
        self._checked: dict[str, tuple[float, bool]] = {}  # task -> (when, its worker still runs it)

    # --- pages and handles -------------------------------------------------------------------

    def page_token(self, token: object) -> str:
        if isinstance(token, str):
            try:
                self.pages.loads(token)
                return token
            except BadSignature:
                pass
        return self.pages.dumps(uuid.uuid4().hex)

    def _handle(self, task: str, page: str, kind: str) -> str:
        return self.handles.dumps({"task": task, "page": page, "kind": kind})

    def _task_of(self, handle: object, page: str) -> str | None:
        if not isinstance(handle, str) or len(handle) > 1000:
            return None
        try:
            claims = self.handles.loads(handle, max_age=HANDLE_TTL_S)  # also refuses expired ones
        except BadSignature:
            return None
        if not isinstance(claims, dict) or claims.get("page") != page or not isinstance(claims.get("task"), str):
            return None
        return claims["task"]

    # --- the active list ----------------------------------------------------------------------

    def _active(self) -> list[dict]:
        active = self.store.get(ACTIVE_KEY) or []
        stale = time.time() - job_time_limit_s() - 60  # past its time limit a job has ended anyway
        return [entry for entry in active if entry.get("at", 0) > stale]

    def _save(self, active: list[dict]) -> None:
        self.store.set(ACTIVE_KEY, active, HANDLE_TTL_S)

    def _drop(self, task: str, page: str | None = None) -> list[dict]:
        """Remove a task's entries (only `page`'s, if given); the entries left for it."""
        with self.store.lock("jobs"):
            active = self._active()
            kept = [e for e in active if not (e["task"] == task and (page is None or e["page"] == page))]
            self._save(kept)
        return [e for e in kept if e["task"] == task]

    def _revoke_unless_shared(self, task: str, page: str) -> None:
        if not self._drop(task, page):
            self.app.control.revoke(task, terminate=True)
            record = self.store.get(f"job:{task}")
            if record is not None:
                self.store.set(f"job:{task}", {**record, "state": CANCELLED}, HANDLE_TTL_S)
                self.store.delete(f"run:{record['run']}")

    # --- the callbacks' calls -----------------------------------------------------------------

    def stored(self, kind: str, params: dict) -> dict | None:
        try:
            return self.store.get(result_key(kind, params))
        except Exception:  # noqa: BLE001  (the store unreachable: nothing is stored, as far as we know)
            log.warning("job store unreachable", exc_info=True)
            return None

    def start(self, kind: str, params: dict, page: str) -> JobView:
        result = self.stored(kind, params)
        if result is not None:
            return JobView(DONE, result=result, params=params)
        client, run, now = self.client(), run_key(kind, params), time.time()
        replaced = []
        with self.store.lock("jobs"):
            active = self._active()
            replaced = [e["task"] for e in active if e["page"] == page and e["kind"] == kind]
            active = [e for e in active if not (e["page"] == page and e["kind"] == kind)]
            if sum(e["page"] == page for e in active) >= self.per_page:
                return JobView(REFUSED, message=f"This page already has {self.per_page} jobs running or waiting: "
                                                "wait for one, or cancel it.", params=params)
            if sum(e["client"] == client for e in active) >= self.per_client:
                return JobView(REFUSED, message=f"Your browser already has {self.per_client} jobs running or "
                                                "waiting (in this tab or others): wait for one, or cancel it.",
                               params=params)
            task = self.store.get(f"run:{run}")
            joined = task is not None and any(e["task"] == task for e in active)
            if not joined:
                if len({e["task"] for e in active}) >= self.queue_max:
                    return JobView(REFUSED, message=f"The server's job queue is full ({self.queue_max} jobs): "
                                                    "try again in a minute.", params=params)
                task = uuid.uuid4().hex
                self.store.set(f"job:{task}", {"kind": kind, "params": params, "run": run, "at": now,
                                               "state": "active"}, HANDLE_TTL_S)
                self.store.set(f"run:{run}", task, HANDLE_TTL_S)
            active.append({"task": task, "run": run, "kind": kind, "page": page, "client": client, "at": now})
            self._save(active)
            if not joined:
                run_job.apply_async(args=(kind, params), task_id=task)
        for old in set(replaced) - {task}:
            self._revoke_unless_shared(old, page)
        return self._view(task, page, kind, params)

    def status(self, handle: object, page: str) -> JobView:
        task = self._task_of(handle, page)
        if task is None:
            return JobView(UNKNOWN)
        record = self.store.get(f"job:{task}")
        if record is None:  # the store forgot it: restarted without its data
            return JobView(LOST)
        return self._view(task, page, record["kind"], record["params"], record)

    def cancel(self, handle: object, page: str) -> JobView:
        task = self._task_of(handle, page)
        if task is None:
            return JobView(UNKNOWN)
        self._revoke_unless_shared(task, page)
        return JobView(CANCELLED)

    # --- what a task's state means to its page ------------------------------------------------

    def _view(self, task: str, page: str, kind: str, params: dict, record: dict | None = None) -> JobView:
        handle = self._handle(task, page, kind)
        result = self.stored(kind, params)
        if result is not None:
            self._drop(task, page)
            return JobView(DONE, result=result, params=params)
        record = record or self.store.get(f"job:{task}") or {}
        if record.get("state") in (CANCELLED, FAILED, LOST):
            self._drop(task, page)
            return JobView(record["state"], params=params)
        state = AsyncResult(task, app=self.app)
        status, info = state.state, state.info
        if status in ("FAILURE", "REVOKED") or (status == "SUCCESS" and result is None):
            return self._ended(task, page, params, FAILED)
        if status in ("STARTED", "PROGRESS"):
            info = info if isinstance(info, dict) else {}
            if not self._still_running(task, info):
                return self._ended(task, page, params, LOST)
            return JobView(RUNNING, handle, done=int(info.get("done", 0)), total=int(info.get("total", 0)),
                           params=params)
        ahead = self._ahead(task)
        if ahead == 0 and time.time() - record.get("at", time.time()) > NO_WORKER_AFTER_S and not self._workers():
            return self._ended(task, page, params, FAILED)
        return JobView(QUEUED, handle, ahead=ahead, params=params)

    def _ended(self, task: str, page: str, params: dict, state: str) -> JobView:
        record = self.store.get(f"job:{task}")
        if record is not None:
            self.store.set(f"job:{task}", {**record, "state": state}, HANDLE_TTL_S)
            self.store.delete(f"run:{record['run']}")
        self._drop(task)
        return JobView(state, params=params)

    def _ahead(self, task: str) -> int:
        """Runs queued before this one and not started yet."""
        active = self._active()
        mine = next((e["at"] for e in active if e["task"] == task), time.time())
        earlier = {e["task"] for e in active if e["at"] < mine and e["task"] != task}
        return sum(AsyncResult(other, app=self.app).state == "PENDING" for other in earlier)

    def _still_running(self, task: str, info: dict) -> bool:
        """A running task that has reported within LOST_CHECK_AFTER_S is alive; else its worker is
        asked (at most every CHECK_EVERY_S) whether it still runs it."""
        if time.time() - float(info.get("at", 0) or 0) < LOST_CHECK_AFTER_S:
            return True
        checked = self._checked.get(task)
        if checked and time.time() - checked[0] < CHECK_EVERY_S:
            return checked[1]
        hostname = info.get("hostname")
        alive = False
        if isinstance(hostname, str):
            try:
                replies = self.app.control.inspect(destination=[hostname], timeout=1.0).query_task(task) or {}
                alive = any(task in (reply or {}) for reply in replies.values())
            except Exception:  # noqa: BLE001  (the broker unreachable: its worker cannot be asked)
                log.warning("could not ask worker %s about job %s", hostname, task, exc_info=True)
                alive = True  # not known to be lost
        self._checked[task] = (time.time(), alive)
        return alive

    def _workers(self) -> bool:
        try:
            return bool(self.app.control.ping(timeout=1.0))
        except Exception:  # noqa: BLE001
            return False

    def ready(self) -> dict:
        """For /ready: the store answers, and how many workers answer a ping."""
        try:
            store_ok = bool(self.store.ping())
        except Exception:  # noqa: BLE001
            store_ok = False
        try:
            workers = len(self.app.control.ping(timeout=0.5) or [])
        except Exception:  # noqa: BLE001
            workers = 0
        return {"store": store_ok, "workers": workers, "ok": store_ok and workers > 0}
