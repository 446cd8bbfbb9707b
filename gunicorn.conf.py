"""Gunicorn settings for the dashboard: `gunicorn -c gunicorn.conf.py app:server`.

gunicorn's stock gthread worker, the app preloaded in the master (nothing forks or starts a thread
at import), so a new or recycled worker is ready at once. Slow clients, idle connections and
overload are the front server's job: in the image nginx stands in front (deploy/nginx.conf).

Environment (all optional unless said):
  SECRET_KEY            required: signs the job handles and page tokens; the same for every worker
  HOST, PORT            bind address; defaults 127.0.0.1:8050
  GUNICORN_BIND         instead of HOST and PORT: where gunicorn listens (the image: 127.0.0.1:8000,
                        behind nginx on HOST:PORT; deploy/)
  WEB_CONCURRENCY       worker processes (default 1: the fits run in other processes, and a page's
                        newer table replaces its older one within the process that holds its
                        rows, so one process with threads serves a machine; more add capacity)
  GUNICORN_THREADS      threads per worker (default 8)
  GUNICORN_TIMEOUT      worker timeout in seconds (default 60)
  JOB_WORKER            "embedded" (default without REDIS_URL): the master starts a Celery worker
                        beside itself; "external": run `celery -A serving.jobs.celery_app worker`
                        yourself (the default with REDIS_URL)
  JOB_CONCURRENCY       jobs run at once by the embedded worker (default 1)
"""

from __future__ import annotations

import os
import sys


def _int_env(name: str, default: int, low: int = 1, high: int = 1024) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        sys.exit(f"gunicorn.conf.py: {name} must be a whole number, got {raw!r}")
    if not low <= value <= high:
        sys.exit(f"gunicorn.conf.py: {name} must be from {low} to {high}, got {value}")
    return value


if not os.environ.get("SECRET_KEY", "").strip():
    sys.exit("gunicorn.conf.py: set SECRET_KEY (e.g. `export SECRET_KEY=$(python -c 'import secrets; "
             "print(secrets.token_hex(32))')`): every worker must sign job handles with the same secret.")


# Never debug in production, whatever the environment says.
for _name in ("FLASK_DEBUG", "DASH_DEBUG", "DASH_DEV_TOOLS_UI", "DASH_DEV_TOOLS_HOT_RELOAD",
              "DASH_DEV_TOOLS_PROPS_CHECK", "DASH_DEV_TOOLS_SERVE_DEV_BUNDLES", "DASH_HOT_RELOAD", "DASH_UI",
              "DASH_PROPS_CHECK", "DASH_SERVE_DEV_BUNDLES", "DASH_PRUNE_ERRORS"):
    os.environ.pop(_name, None)
# One OpenMP/BLAS thread per fit: workers × threads already fill the cores.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"

_host = os.environ.get("HOST", "127.0.0.1").strip() or "127.0.0.1"
_port = _int_env("PORT", 8050, 1, 65535)
bind = [os.environ["GUNICORN_BIND"]] if os.environ.get("GUNICORN_BIND") else [
    f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]
backlog = 256

worker_class = "gthread"
workers = _int_env("WEB_CONCURRENCY", 1, 1, 64)
threads = _int_env("GUNICORN_THREADS", 8, 1, 64)
preload_app = True
timeout = _int_env("GUNICORN_TIMEOUT", 60, 5, 3600)
graceful_timeout = 20
# A worker takes no more connections than it has threads, and closes each after its answer: a
# request then waits in the listening socket's queue for a worker with a free thread, never
# behind a busy worker's callbacks. Keep-alive to browsers is the front server's (nginx).
worker_connections = threads
keepalive = 0
# Recycled now and then (native libraries may fragment memory), with jitter so that workers do not
# recycle together; a preloaded app makes the new worker ready at once.
max_requests = 2000
max_requests_jitter = 200

limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The path only, never the query string; every field escaped (serving/access_log.py).
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
logger_class = "serving.access_log.EscapingLogger"
proc_name = "kmeans-dashboard"
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"  # the heartbeat file in RAM
control_socket_disable = True

def _embedded_jobs() -> bool:
    default = "external" if os.environ.get("REDIS_URL", "").strip() else "embedded"
    return os.environ.get("JOB_WORKER", default).strip() == "embedded"


def when_ready(server) -> None:
    """The master is up: start the embedded job worker (from the master's single thread)."""
    if _embedded_jobs():
        from serving.jobs import local_worker

        local_worker.start_embedded(_int_env("JOB_CONCURRENCY", 1, 1, 64))


def post_worker_init(worker) -> None:
    """Start this worker's table processes now (in the background), so that its first table does
    not wait for them; they are its own, and exit with it."""
    import threading

    from app import app as dashboard  # preloaded: already imported

    threading.Thread(target=dashboard.table_fits.start, name="table-fits-start", daemon=True).start()


def worker_exit(server, worker) -> None:
    """The worker is leaving: end its table processes now. Left to the interpreter's exit, their
    pool would hold the worker until gunicorn's graceful timeout kills it."""
    from app import app as dashboard

    dashboard.table_fits.close()


def on_exit(server) -> None:
    """The master is exiting: end the embedded job worker, if it started one."""
    from serving.jobs import local_worker

    local_worker.stop_embedded()
