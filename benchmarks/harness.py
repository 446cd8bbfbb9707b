"""What the browser benchmarks share: the apps as subprocesses, headless Chromium, the callback
requests a page sends, and the facts every run prints (machine, time, load, commit, command)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
UPDATE_PATH = "/_dash-update-component"
STARTUP_TIMEOUT_S = 180
STOP_TIMEOUT_S = 30  # gunicorn's graceful_timeout is 20 s
LOAD_TIMEOUT_MS = 90_000
CHANGE_TIMEOUT_MS = 60_000

# Debian's Chromium, headless, as root and offline (no network but loopback).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}  # the laptop the layout is designed for

# The background jobs' polls and panels: not part of a settings change.
JOB_OUTPUTS = ("stability-", "k-sweep-", "replay-", "below-fold", "jobs-panels")


# ---------------------------------------------------------------------------------------------
# the run's facts


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def commit(checkout: Path) -> str:
    """The checkout's commit, and '+ uncommitted changes' when its tracked files differ from it."""
    def git(*args):
        return subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, text=True,
                              check=False, timeout=30).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else "")


def print_header(title: str, checkouts: dict[str, Path]) -> None:
    """What the figures depend on: machine, time, load, code and the exact command."""
    print(title)
    print(f"  machine: {_cpu_model()}, {len(os.sched_getaffinity(0))} usable cores ({os.cpu_count()} online)")
    print(f"  date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M:%S} UTC")
    print(f"  load average (1/5/15 min) at start: {load_average()}")
    for name, checkout in checkouts.items():
        print(f"  {name}: {checkout} at commit {commit(checkout)}")
    print(f"  command: {shlex.join([sys.executable, *sys.argv])}", flush=True)


def print_footer(started: float) -> None:
    print(f"\nload average (1/5/15 min) at end: {load_average()}; "
          f"{dt.datetime.now(dt.timezone.utc):%H:%M:%S} UTC; wall time {time.perf_counter() - started:.0f} s")


# ---------------------------------------------------------------------------------------------
# the apps


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One app as a subprocess on a free loopback port, in a process group of its own (its gunicorn
    workers, table processes and job worker with it), so that `stop()` leaves nothing behind."""

    name: str
    argv: list[str]
    cwd: Path
    env: dict = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None
    log_path: str = ""
    startup_s: float | None = None
    scratch: list[str] = field(default_factory=list)  # directories removed at stop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), **self.env}
        env.pop("DASH_DEBUG", None)
        with tempfile.NamedTemporaryFile("w", prefix=f"bench-{self.name}-", suffix=".log", delete=False) as log:
            self.log_path = log.name
        started = time.perf_counter()
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(self.argv, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = started + STARTUP_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log: {self.log_path}")
            with contextlib.suppress(requests.RequestException):
                # /ready where the app has it (its job worker answers), else /health.
                if requests.get(self.url + "/health", timeout=2).status_code == 200 and \
                        requests.get(self.url + "/ready", timeout=5).status_code in (200, 404):
                    self.startup_s = time.perf_counter() - started
                    return
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} not ready after {STARTUP_TIMEOUT_S} s; log: {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None:
            group = self.proc.pid  # start_new_session: the group's id is the leader's pid
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)  # whatever of this server's group is left
            self.proc = None
        for path in self.scratch:
            shutil.rmtree(path, ignore_errors=True)
        self.scratch.clear()


def gunicorn_server(name: str, checkout: Path) -> Server:
    """A checkout as deployed: gunicorn with its own gunicorn.conf.py, a SECRET_KEY made here and
    a private, empty jobs directory (JOBS_DIR; JOBS_CACHE_DIR for code before 8d3bf8c)."""
    jobs = tempfile.mkdtemp(prefix=f"bench-{name}-jobs-")
    env = {"SECRET_KEY": secrets.token_hex(32), "JOBS_DIR": jobs, "JOBS_CACHE_DIR": jobs}
    argv = [sys.executable, "-m", "gunicorn", "-c", str(checkout / "gunicorn.conf.py"), "app:server"]
    return Server(name, argv, checkout, env, scratch=[jobs])


def naive_server() -> Server:
    """benchmarks/naive_app.py with the same one-thread OpenMP/BLAS pools as the app sets, so that
    the comparison is of designs, not of thread settings."""
    return Server("naive", [sys.executable, str(REPO / "benchmarks" / "naive_app.py")], REPO,
                  {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})


def start_servers(servers: dict[str, Server]) -> None:
    """Start each and say where it listens and its log."""
    for server in servers.values():
        server.start()
        print(f"  {server.name} up on {server.url} after {server.startup_s:.1f} s (log {server.log_path})",
              flush=True)


def launch_browser(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)


# ---------------------------------------------------------------------------------------------
# a page's callback requests, seen from Playwright's network events (the page is not touched)


@dataclass
class Callback:
    output: str
    started: float  # epoch ms, as Chromium stamps it
    answered: float | None = None  # epoch ms: the response's last byte
    bytes: int = 0  # the response body as transferred (encoded)
    status: int | None = None


class Network:
    """The callback requests of one page, but the background jobs' polls: how many are in flight,
    when the last one started or ended, their sizes on the wire."""

    def __init__(self, page) -> None:
        self.callbacks: list[Callback] = []
        self._open: dict[object, Callback] = {}
        self.last_activity = time.perf_counter()
        page.on("request", self._sent)
        page.on("requestfinished", self._finished)
        page.on("requestfailed", self._failed)

    @staticmethod
    def _output(request) -> str | None:
        if UPDATE_PATH not in request.url:
            return None
        try:
            output = json.loads(request.post_data or "{}").get("output", "")
        except ValueError:
            output = ""
        return None if any(part in output for part in JOB_OUTPUTS) else output

    def _sent(self, request) -> None:
        output = self._output(request)
        if output is None:
            return
        stamp = request.timing.get("startTime", -1)
        callback = Callback(output, stamp if stamp > 0 else time.time() * 1000)
        self._open[request] = callback
        self.callbacks.append(callback)
        self.last_activity = time.perf_counter()

    def _finished(self, request) -> None:
        callback = self._open.pop(request, None)
        if callback is None:
            return
        timing = request.timing
        if timing.get("startTime", -1) > 0:
            callback.started = timing["startTime"]
        end = timing.get("responseEnd", -1)
        callback.answered = callback.started + end if end >= 0 else None
        with contextlib.suppress(Exception):  # the page may be closing
            callback.bytes = request.sizes()["responseBodySize"]
            response = request.response()
            callback.status = response.status if response else None
        self.last_activity = time.perf_counter()

    def _failed(self, request) -> None:
        if self._open.pop(request, None) is not None:
            self.last_activity = time.perf_counter()

    @property
    def in_flight(self) -> int:
        return len(self._open)

    def wait_quiet(self, page, quiet_ms: int, timeout_ms: int = CHANGE_TIMEOUT_MS) -> None:
        """Until no callback request has been in flight, or started, for `quiet_ms`."""
        deadline = time.perf_counter() + timeout_ms / 1000
        while self.in_flight or time.perf_counter() - self.last_activity < quiet_ms / 1000:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"callback requests still in flight after {timeout_ms} ms: {self.in_flight}")
            page.wait_for_timeout(20)  # Playwright delivers the network events meanwhile
