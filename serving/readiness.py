"""`/ready`: whether this web worker can serve fits now, for a load balancer or an orchestrator.

200 with a small JSON of what is configured and whether it is reachable; 503 (same JSON) when
something is not. `/health` (Dash's health endpoint) stays the cheap liveness check: it only says
the process answers. No paths, versions or hostnames in the answer: it is public.
"""

from __future__ import annotations

from flask import jsonify

from core.clustering import benchmark_rows
from serving import jobs_manager


def readiness() -> tuple[bool, dict]:
    alive, expected = benchmark_rows.workers_alive()
    table_ok = expected > 0 and alive == expected
    jobs_ok = jobs_manager.store_writable()
    report = {
        "table_workers": {"alive": alive, "expected": expected, "ok": table_ok},
        "jobs": {"manager": "diskcache", "store_writable": jobs_ok, "ok": jobs_ok},
    }
    ready = table_ok and jobs_ok
    return ready, {"ready": ready, **report}


def register(server, path: str = "/ready") -> None:
    @server.route(path, methods=["GET"])
    def _ready():
        ready, report = readiness()
        response = jsonify(report)
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response
