"""Gunicorn settings for the dashboard: `gunicorn -c gunicorn.conf.py app:server`.

Every request is CPU-bound (KMeans fits, silhouette, mesh prediction), so the process count
follows the cores, a second thread per worker overlaps the GIL-free numpy/OpenMP sections and
the network I/O, and the native thread pools are held to one thread each so that
workers × threads × BLAS threads never asks for more cores than there are. Each worker also
forks the table's row processes (core.clustering, one per core), niced below the web threads.

Environment (all optional):
  HOST, PORT            bind address; defaults 127.0.0.1:8050 (the Dockerfile sets HOST=0.0.0.0)
  WEB_CONCURRENCY       worker processes (default: usable cores, at least 1)
  GUNICORN_THREADS      threads per worker (default 2)
  BLAS_THREADS          OpenMP/BLAS threads per request (default: cores // (workers × threads), ≥ 1)
  GUNICORN_TIMEOUT      worker timeout in seconds (default 60)
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


def _usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))  # honours cpusets (docker --cpuset-cpus)
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


CORES = _usable_cores()

# --- Never debug in production -------------------------------------------------------------
# Flask reads FLASK_DEBUG when the app object is created, Dash reads DASH_* when dev tools are
# enabled; neither may switch on here, whatever the environment says. post_worker_init checks.
for _name in (
    "FLASK_DEBUG",
    "DASH_DEBUG",
    "DASH_DEV_TOOLS_UI",
    "DASH_DEV_TOOLS_HOT_RELOAD",
    "DASH_DEV_TOOLS_PROPS_CHECK",
    "DASH_DEV_TOOLS_SERVE_DEV_BUNDLES",
    "DASH_HOT_RELOAD",
    "DASH_UI",
    "DASH_PROPS_CHECK",
    "DASH_SERVE_DEV_BUNDLES",
    "DASH_PRUNE_ERRORS",
):
    os.environ.pop(_name, None)
reload = False

# --- Server socket ---------------------------------------------------------------------------
_host = os.environ.get("HOST", "127.0.0.1").strip() or "127.0.0.1"
_port = _int_env("PORT", 8050, 1, 65535)
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]
backlog = 256

# --- Workers ---------------------------------------------------------------------------------
# gunicorn's asyncio worker, reading each request in full before a thread runs it (serving/front.py):
# slow clients (slowloris) hold no thread. `threads` is the size of the Flask thread pool. The
# former gthread worker gave every connection a thread while it read the request: 64 slow
# connections kept every page from loading (benchmarks/slowloris.py). GUNICORN_WORKER_CLASS=gthread
# brings it back.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "serving.front.BufferingWorker"
workers = _int_env("WEB_CONCURRENCY", CORES, 1, 64)
threads = _int_env("GUNICORN_THREADS", 2, 1, 64)
BLAS_THREADS = _int_env("BLAS_THREADS", max(1, CORES // (workers * threads)), 1, 256)

# Set before any worker imports numpy/scipy/sklearn (the app is not preloaded, so each worker
# imports them after this file has run), and inherited by every worker.
for _name in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_name] = str(BLAS_THREADS)

# Not preloaded: forking after OpenMP/OpenBLAS have started their pools can deadlock the child,
# and the app warms its caches in create_app(), which is better done in each worker anyway.
preload_app = False

# A slow request runs in a worker thread while the worker's main loop keeps its heartbeat, so
# this only catches a wedged worker. The slowest valid request is ~2.5 s alone on one core.
timeout = _int_env("GUNICORN_TIMEOUT", 60, 5, 3600)
graceful_timeout = 30

# Spread requests over the workers. A gthread worker accepts connections while it has fewer than
# `worker_connections`, even with every thread busy, and keeps its keep-alive connections: under
# load one worker often ended up with nearly all the work (CPU 7.5 s vs 0.6 s). Without
# keep-alive and with at most 4 connections per thread, new requests wait in the kernel's backlog
# for whichever worker frees first (benchmarks/load.py, 32 clients: warm p95 0.15–0.2 s instead of
# 0.25–0.66 s, and no 4–5 s outliers). The proxy in front keeps its own client connections alive.
keepalive = 0
# gthread: at most 4 connections per thread (above). The buffering worker reads slow clients on its
# event loop, and must be able to hold many of them open at once.
worker_connections = 4 * threads if worker_class == "gthread" else 1000

# Recycle workers now and then (bounded caches, but native libraries may fragment memory).
# Each restart re-imports the app and starts with cold caches (3–8 s on 2 cores), hence a high count
# and jitter so that the workers do not restart together.
max_requests = 2000
max_requests_jitter = 200

# --- Request limits (the app's URLs and headers are short; the body cap is in app.py) ---------
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# --- Logging: access log to stdout, errors to stderr ----------------------------------------
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Every field escaped (control characters, quotes, backslashes): a request cannot forge a line.
logger_class = "serving.access_log.EscapingLogger"

# --- Housekeeping ------------------------------------------------------------------------------
proc_name = "kmeans-digits"
# The heartbeat file in RAM: a disk-backed /tmp can stall workers (gunicorn docs, "Blocking os.fchmod").
if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
    worker_tmp_dir = "/dev/shm"
# No runtime control socket: nothing else needs to manage this server, and it would be one more
# thing to secure (and several instances on one machine would share its default path).
control_socket_disable = True


def post_worker_init(worker) -> None:
    """Hold the native thread pools to BLAS_THREADS and refuse to serve in debug mode."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=BLAS_THREADS)  # also covers pools that ignore the env variables
    server = getattr(worker, "wsgi", None)  # the ASGI worker has none
    if getattr(server, "debug", False):
        worker.log.warning("Flask debug mode was on; switched off under gunicorn")
        server.debug = False
    worker.log.info("worker ready: %d thread(s), %d BLAS/OpenMP thread(s)", threads, BLAS_THREADS)
