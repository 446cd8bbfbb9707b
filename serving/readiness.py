"""`/ready`: whether this server can serve fits and jobs now, for a load balancer or an
orchestrator. `/health` (Dash's health endpoint) stays the cheap liveness check.

Everyone gets 200 or 503 and `{"ready": true|false}`; only a caller on this machine or a private
network that did not come through the proxy (no X-Forwarded-For) also gets the details: whether
the jobs' store answers, how many job workers answer a ping, and whether Redis answers.
"""

from __future__ import annotations

import ipaddress

from flask import jsonify, request


def _internal() -> bool:
    if request.headers.get("X-Forwarded-For"):  # came through the proxy: from outside
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return address.is_loopback or address.is_private


def register(server, jobs, path: str = "/ready") -> None:
    """`jobs`: the serving.jobs.queue.JobQueue whose store and workers must answer."""

    @server.route(path, methods=["GET"])
    def _ready():
        details = {"jobs": jobs.ready()}
        ready = all(part["ok"] for part in details.values())
        response = jsonify({"ready": ready, **details} if _internal() else {"ready": ready})
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response
