"""The job worker a server starts beside itself when no external one is configured (`python
app.py`, or gunicorn without `REDIS_URL`): `celery worker` as a child process.

It is a separate process tree in its own process group, started with no inherited file
descriptors (so no job ever holds the server's listening socket), and it goes when the server
goes: killed with its jobs on a normal exit, and killed by the kernel (PR_SET_PDEATHSIG; its pool
processes follow their parent) if the server is killed. Its running jobs end with it: they could
not finish in any case, and their pages say so and offer Retry. Queued jobs stay on the queue
(a worker takes one only when a process is free), for the next worker.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1

# The embedded worker of this process, here rather than in gunicorn.conf.py: gunicorn executes
# its config file afresh on HUP, and would forget it there.
_embedded: list[subprocess.Popen] = []


def _die_with_parent() -> None:  # in the child, between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: the worker is still stopped on a normal exit
        pass


def start(concurrency: int = 1) -> subprocess.Popen:
    """Start the worker; call from the process's main thread before it starts other threads (the
    kernel's parent-death signal follows the thread that started it)."""
    # Quiet: no banner in the server's terminal; its own warnings and errors still show.
    command = [sys.executable, "-m", "celery", "-A", "serving.jobs.celery_app", "--quiet", "worker",
               "--concurrency", str(concurrency), "--loglevel", os.environ.get("JOB_LOG_LEVEL", "WARNING"),
               "--hostname", f"local-{os.getpid()}@%h", "--without-mingle", "--without-gossip"]
    # Celery warns that a worker run as root could unpickle as root; this one accepts JSON only.
    environment = {**os.environ, "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges"}
    worker = subprocess.Popen(command, close_fds=True, stdin=subprocess.DEVNULL, env=environment,  # noqa: S603
                              process_group=0, preexec_fn=_die_with_parent)  # noqa: PLW1509 (single-threaded here)
    log.info("job worker started (pid %d, concurrency %d)", worker.pid, concurrency)
    return worker


def stop(worker: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """End the worker and its running jobs now: its whole process group."""
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:  # already gone, with its group
        pass
    worker.wait(timeout=timeout_s)


def start_embedded(concurrency: int) -> None:
    _embedded.append(start(concurrency))


def stop_embedded() -> None:
    while _embedded:
        stop(_embedded.pop())
