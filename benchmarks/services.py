"""Real services for the scale-out tests and benchmarks: a private redis-server and a Celery worker.

Both bind loopback only and are stopped by their own pids (never by name).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port_in(low: int, high: int) -> int:
    """A loopback port from low to high that nothing listens on (as close to free as can be told)."""
    for port in range(low, high + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port from {low} to {high}")


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """redis-server on a loopback port, no persistence, memory-capped and never evicting, like
    compose.yaml's (evicting would drop locks and queued jobs)."""

    def __init__(self, directory: Path, port: int | None = None, ports: tuple[int, int] = (6390, 6399)):
        self.directory = Path(directory)
        self.port = port or free_port_in(*ports)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = 10.0) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [redis_server_path() or "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.directory),
             "--maxmemory", "256mb", "--maxmemory-policy", "noeviction"],
            stdout=open(self.directory / "redis.log", "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}: "
                                   + (self.directory / "redis.log").read_text(errors="replace")[-1000:])
            if self.client().ping():
                return self.url
            time.sleep(0.05)
        raise TimeoutError(f"redis-server on {self.port} did not answer")

    def client(self):
        import redis

        return _Quiet(redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5))

    def kill(self) -> None:
        """kill -9: as a crash, no shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


class _Quiet:
    """A redis client whose ping says False instead of raising."""

    def __init__(self, client):
        self._client = client

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except Exception:  # noqa: BLE001
            return False

    def __getattr__(self, name):
        return getattr(self._client, name)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class CeleryWorker:
    """`celery -A serving.jobs.celery_app worker` against `url`, from the repository."""

    def __init__(self, url: str, log_path: Path, concurrency: int = 1, name: str = "w1"):
        self.url, self.log_path, self.concurrency, self.name = url, Path(log_path), concurrency, name
        self.process: subprocess.Popen | None = None

    def start(self, seconds: float = 120.0) -> None:
        """Start it (again, after a kill: its log is appended to) and wait until it says it is ready.

        Its environment is ours without the thread-count variables tests/conftest.py sets: compose.yaml
        and the README start workers without them, and with them the tests hid a deadlock of every job
        in its first OpenMP region (serving/jobs/celery_app.py)."""
        env = {name: value for name, value in os.environ.items() if name not in THREAD_VARIABLES}
        env["REDIS_URL"] = self.url
        logged = len(self.log())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "serving.jobs.celery_app", "worker", "--pool", "prefork",
             "--concurrency", str(self.concurrency), "--loglevel", "INFO", "--without-gossip",
             "--without-mingle", "-n", f"{self.name}@%h"],
            cwd=REPO, env=env, stdout=open(self.log_path, "ab"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the celery worker exited with {self.process.returncode}:\n{self.log()[-2000:]}")
            if "ready." in self.log()[logged:]:
                return
            time.sleep(0.25)
        raise TimeoutError(f"the celery worker was not ready within {seconds:.0f} s:\n{self.log()[-2000:]}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9 of the whole worker, its pool processes with it (its machine lost, its container killed)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self, grace: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def callback_request(base_url: str, output_part: str, applied: dict, timeout: float = 60.0,
                     page_token: str | None = None, data: dict | None = None):
    """POST the callback whose output names `output_part` for these settings, as the page does after
    a change of k: every input and state filled from the settings and the page's token, the stores
    named in `data` ({id: value}) given those values (the rest empty)."""
    import requests

    dependencies = requests.get(base_url + "/_dash-dependencies", timeout=30).json()
    callback = next(d for d in dependencies if output_part in d["output"] and not d.get("background"))
    outputs = [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
               for part in callback["output"].strip(".").split("...")]
    values = {"init-method": applied["init_method"], "n-init": applied["n_init"], "n-clusters": applied["n_clusters"],
              "random-seed": applied["seed"], "mesh-step": applied["mesh_step"], "applied-settings": applied,
              "map-retry": 0, "table-retry": 0, "page-token": page_token, **(data or {})}

    def filled(specs):
        return [{"id": spec["id"], "property": spec["property"],
                 "value": values.get(spec["id"]) if spec["property"] in ("value", "data", "n_clicks") else None}
                for spec in specs]

    body = {"output": callback["output"], "outputs": outputs, "inputs": filled(callback["inputs"]),
            "state": filled(callback.get("state", [])), "changedPropIds": ["n-clusters.value"]}
    return requests.post(base_url + "/_dash-update-component", json=body, timeout=timeout)


def table_request(base_url: str, applied: dict, timeout: float = 60.0, page_token: str | None = None):
    """The table callback for these settings, as the page posts it (assets/table_requests.js's
    request, from a page of its own each time, so that no request replaces another)."""
    request = {"values": applied, "fallback": applied, "page": f"bench-{time.monotonic_ns()}", "seq": 1}
    return callback_request(base_url, "matched-accuracy", applied, timeout, page_token,
                            data={"table-request": request})


def map_request(base_url: str, applied: dict, timeout: float = 60.0, page_token: str | None = None):
    """The map callback for these settings, as the page posts it."""
    return callback_request(base_url, "map-caption.children", applied, timeout, page_token)
