"""`/ready`: whether this server can serve fits and jobs now, for a load balancer or an
orchestrator. `/health` (Dash's health endpoint) stays the cheap liveness check.

Everyone gets 200 or 503 and `{"ready": true|false}`; only a caller on this machine or a private
network that did not come through the proxy (no X-Forwarded-For) also gets the details: whether
the jobs' store answers, how many job workers answer a ping, and whether Redis answers.

A check pings the job workers and waits for their answers (most of a second). A process runs one
check at a time, and probes within MAX_AGE_S of its end get its answer: a crowd of concurrent
probes then costs a ping a second, not one each, and holds no web thread for long.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable

from flask import jsonify, request

MAX_AGE_S = 1.0


def _internal() -> bool:
    if request.headers.get("X-Forwarded-For"):  # came through the proxy: from outside
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return address.is_loopback or address.is_private


class RecentCheck:
    """`check()`'s answer, run at most once at a time and reused for `max_age_s` after it ended."""

    def __init__(self, check: Callable[[], dict], max_age_s: float = MAX_AGE_S) -> None:
        self.check, self.max_age_s = check, max_age_s
        self._lock = threading.Lock()
        self._answer: dict | None = None
        self._ended = 0.0

    def __call__(self) -> dict:
        with self._lock:  # a probe that comes during a check waits for its answer
            if self._answer is None or time.monotonic() - self._ended > self.max_age_s:
                self._answer = self.check()
                self._ended = time.monotonic()
            return self._answer


def register(server, jobs, path: str = "/ready") -> None:
    """`jobs`: the serving.jobs.queue.JobQueue whose store and workers must answer."""
    jobs_ready = RecentCheck(jobs.ready)

    @server.route(path, methods=["GET"])
    def _ready():
        details = {"jobs": jobs_ready()}
        ready = all(part["ok"] for part in details.values())
        response = jsonify({"ready": ready, **details} if _internal() else {"ready": ready})
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response
