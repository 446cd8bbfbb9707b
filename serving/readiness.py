"""`/ready`: whether this web worker can serve fits now, for a load balancer or an orchestrator.

200 with a small JSON of what is configured and whether it is reachable; 503 (same JSON) when
something is not. `/health` (Dash's health endpoint) stays the cheap liveness check: it only says
the process answers. No paths, versions or hostnames in the answer: it is public.

With `REDIS_URL`: Redis must answer a ping, and (when the jobs run on Celery) at least one Celery
worker must answer within `CELERY_PING_S`. Redis down is "not ready", yet fits still work (locally).
"""

from __future__ import annotations

from flask import jsonify

from core.clustering import benchmark_rows
from serving import jobs_manager, shared_cache

CELERY_PING_S = 0.5


def _celery_workers() -> int:
    from serving.celery_app import ping_workers  # only with REDIS_URL

    return ping_workers(timeout=CELERY_PING_S)


def readiness() -> tuple[bool, dict]:
    alive, expected = benchmark_rows.workers_alive()
    table_ok = expected > 0 and alive == expected
    report = {"table_workers": {"alive": alive, "expected": expected, "ok": table_ok}}
    store = shared_cache.store()
    redis_ok = True
    if store is not None:
        redis_ok = store.reachable()
        report["redis"] = {"configured": True, "reachable": redis_ok, "ok": redis_ok}
    if jobs_manager.uses_celery():
        workers = _celery_workers() if redis_ok else 0
        jobs_ok = workers > 0
        report["jobs"] = {"manager": "celery", "workers": workers, "ok": jobs_ok}
    else:
        jobs_ok = jobs_manager.store_writable()
        report["jobs"] = {"manager": "diskcache", "store_writable": jobs_ok, "ok": jobs_ok}
    ready = table_ok and redis_ok and jobs_ok
    return ready, {"ready": ready, **report}


def register(server, path: str = "/ready") -> None:
    @server.route(path, methods=["GET"])
    def _ready():
        ready, report = readiness()
        response = jsonify(report)
        response.status_code = 200 if ready else 503
        response.headers["Cache-Control"] = "no-store"
        return response
