"""The job worker a server starts beside itself when no external one is configured (`python
app.py`, or gunicorn without `REDIS_URL`): `celery worker` as a child process.

It is a separate process tree, started with no inherited file descriptors (so no job ever holds
the server's listening socket), and it goes when the server goes: stopped on a normal exit, and
killed by the kernel (PR_SET_PDEATHSIG) if the server is killed. Its running jobs end with it;
their pages say so and offer Retry.
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


def _die_with_parent() -> None:  # in the child, between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: the worker is still stopped on a normal exit
        pass


def start(concurrency: int = 1) -> subprocess.Popen:
    """Start the worker; call from the process's main thread before it starts other threads."""
    command = [sys.executable, "-m", "celery", "-A", "serving.jobs.celery_app", "worker",
               "--concurrency", str(concurrency), "--loglevel", os.environ.get("JOB_LOG_LEVEL", "WARNING"),
               "--hostname", f"local-{os.getpid()}@%h", "--without-mingle", "--without-gossip"]
    worker = subprocess.Popen(command, close_fds=True, stdin=subprocess.DEVNULL,  # noqa: S603 (our own command)
                              preexec_fn=_die_with_parent)  # noqa: PLW1509 (single-threaded here)
    log.info("job worker started (pid %d, concurrency %d)", worker.pid, concurrency)
    return worker


def stop(worker: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """End the worker and its jobs now (a cold shutdown: running jobs do not finish)."""
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGQUIT)
    try:
        worker.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=timeout_s)
