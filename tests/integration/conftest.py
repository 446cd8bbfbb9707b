"""Helpers for the integration tests, which start real servers on free loopback ports:

- `free_port()`, `wait_until(predicate, timeout)`, `require_binary(name, flag)`;
- `ServerProcess`: a command in its own session, its output in a log file, stopped by its pid
  (and, if it lingers, every process it started: tests/processes.py);
- `start_gunicorn(...)`: `gunicorn -c gunicorn.conf.py app:server`, as a developer runs it;
- `start_front(...)` and the session fixture `front`: the image's command, `supervisord -c
  deploy/supervisord.conf` (nginx, gunicorn and a job worker), with the Dockerfile's ENV, replayed
  without Docker on free ports and in a temporary directory.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis
import requests

from tests.processes import command_line, descendants

REPO = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT_S = 120  # the app is imported (and its first page computed) before it answers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.1, what: str = "") -> object:
    """The first truthy value of `predicate()`, asked every `interval` s; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what or predicate}")
        time.sleep(interval)


def require_binary(name: str, flag: str) -> str:
    """The binary's path; a skip with the reason when it is missing, or a failure when `flag`=1."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
    if path is None:
        if os.environ.get(flag, "").strip() == "1":
            pytest.fail(f"{flag}=1 but {name} is not installed", pytrace=False)
        pytest.skip(f"{name} is not installed (set {flag}=1 to make this a failure)")
    return path


class ServerProcess:
    """`command` started in `cwd` with exactly `env`, its output appended to `log_path`."""

    def __init__(self, command: list[str], env: dict, log_path: Path, cwd: Path = REPO) -> None:
        self.command, self.env, self.log_path, self.cwd = command, env, log_path, cwd
        self.process: subprocess.Popen | None = None
        self.left_behind: list[int] = []  # set by stop()

    def start(self) -> ServerProcess:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_healthy(self, url: str, timeout: float = BOOT_TIMEOUT_S) -> None:
        def healthy() -> bool:
            if not self.alive():
                raise AssertionError(f"{self.command[0]} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            try:
                return requests.get(url, timeout=5).status_code == 200
            except requests.RequestException:
                return False

        wait_until(healthy, timeout, 0.25, f"{url} answering 200")

    def stop(self, grace: float = 60.0) -> int | None:
        """SIGTERM and wait; then SIGKILL whatever of its tree is left. Its exit status."""
        if self.process is None:
            return None
        tree = {pid: command_line(pid) for pid in descendants(self.process.pid)}
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                tree.update({pid: command_line(pid) for pid in descendants(self.process.pid)})
                self.process.kill()
                self.process.wait(10)
        # What it started and left behind (if a pid is still that process), after a few seconds
        # for helpers that exit when they see their parent gone (loky's): recorded, then killed.
        def still_there() -> list[int]:
            return [pid for pid, command in tree.items() if command and command_line(pid) == command]

        deadline = time.monotonic() + 5
        while still_there() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.left_behind = still_there()
        for pid in self.left_behind:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.process.returncode


def python_path() -> str:
    """PATH with this interpreter's scripts (gunicorn, celery, supervisord) first, as in the image."""
    return os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin"),
                            "/usr/sbin", "/usr/local/sbin"])


def dockerfile_env(dockerfile: Path = REPO / "Dockerfile") -> dict[str, str]:
    """The Dockerfile's ENV instructions, as the image's processes see them."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    env = {}
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction.upper() == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def runtime_dir(prefix: str) -> Path:
    """A fresh temporary directory that nginx's workers may pass through (they run as `nobody`
    when the tests run as root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o711)
    return path


class RedisServer:
    """redis-server on `port`, keeping nothing on disk and never evicting; started and stopped again
    as a test needs (a restart loses every key)."""

    def __init__(self, binary: str, directory, port: int) -> None:
        self.binary, self.directory, self.port = binary, directory, port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: ServerProcess | None = None

    def start(self) -> RedisServer:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--maxmemory-policy", "noeviction", "--dir", str(self.directory)]
        self.process = ServerProcess(command, {"PATH": python_path()}, self.directory / "redis.log").start()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def answers() -> bool:
            if not self.process.alive():
                raise AssertionError(f"redis-server exited:\n{self.process.log()[-2000:]}")
            try:
                return client.ping()
            except redis.RedisError:
                return False

        wait_until(answers, 30, 0.05, "redis-server answering")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


def start_gunicorn(directory: Path, env: dict | None = None, port: int | None = None) -> tuple[ServerProcess, str]:
    """gunicorn as a developer runs it, in `directory` (its TMPDIR, so its own jobs directory), on
    `port` (a free loopback one if None); (the process, its base URL)."""
    port = port or free_port()
    environment = {"PATH": python_path(), "HOME": str(directory), "LANG": "C.UTF-8", "TMPDIR": str(directory),
                   "PYTHONDONTWRITEBYTECODE": "1", "SECRET_KEY": secrets.token_hex(16),
                   "HOST": "127.0.0.1", **(env or {}), "PORT": str(port)}
    server = ServerProcess(["gunicorn", "-c", "gunicorn.conf.py", "app:server"], environment,
                           directory / "gunicorn.log").start()
    base = f"http://127.0.0.1:{port}"
    try:
        server.wait_healthy(base + "/health")
    except BaseException:
        server.stop()
        raise
    return server, base


class Front:
    """The image's processes under supervisord: nginx at `base`, gunicorn at `gunicorn_base`."""

    def __init__(self, server: ServerProcess, port: int, gunicorn_port: int, directory: Path) -> None:
        self.server, self.port, self.gunicorn_port, self.directory = server, port, gunicorn_port, directory
        self.base = f"http://127.0.0.1:{port}"
        self.gunicorn_base = f"http://127.0.0.1:{gunicorn_port}"

    def log(self) -> str:
        """Everything the container would print: nginx's, gunicorn's, the job worker's and supervisord's lines."""
        return self.server.log()

    def nginx_config(self) -> str:
        return (self.directory / "nginx" / "nginx.conf").read_text()

    def program_pid(self, word: str) -> int:
        """The pid of supervisord's child whose command line has `word` (e.g. "celery")."""
        children = [pid for pid in descendants(self.server.pid) if word in command_line(pid)]
        assert children, f"no {word} process under supervisord"
        return min(children)  # the program itself, started before its own children


def front_env(directory: Path, port: int, gunicorn_port: int, **extra: str) -> dict:
    """The image's environment (the Dockerfile's ENV), on loopback ports and in `directory`."""
    return {"PATH": python_path(), "HOME": str(directory), "LANG": "C.UTF-8", **dockerfile_env(),
            "HOST": "127.0.0.1", "PORT": str(port), "GUNICORN_BIND": f"127.0.0.1:{gunicorn_port}",
            "TMPDIR": str(directory), "SECRET_KEY": secrets.token_hex(16), **extra}


def start_front(directory: Path, wait: bool = True, **extra_env: str) -> Front:
    """`supervisord -c deploy/supervisord.conf`, the Dockerfile's CMD, started from the repository."""
    require_binary("nginx", "REQUIRE_NGINX")
    if shutil.which("supervisord", path=python_path()) is None:
        require_binary("supervisord", "REQUIRE_NGINX")
    port, gunicorn_port = free_port(), free_port()
    env = {key: value for key, value in front_env(directory, port, gunicorn_port, **extra_env).items()
           if value is not None}
    server = ServerProcess(["supervisord", "-c", "deploy/supervisord.conf"], env, directory / "container.log")
    front = Front(server.start(), port, gunicorn_port, directory)
    if wait:  # until the page answers through nginx, and (if it runs) the job worker too: /ready
        try:
            server.wait_healthy(front.base + "/health")
            if env.get("SUPERVISE_JOB_WORKER") != "false":
                server.wait_healthy(front.base + "/ready")
        except BaseException:
            server.stop()
            raise
    return front


@pytest.fixture(scope="session")
def front():
    """One image replay for the whole session (see start_front)."""
    directory = runtime_dir("front-")
    started = start_front(directory)
    yield started
    started.server.stop()
    shutil.rmtree(directory, ignore_errors=True)
    # Stopping supervisord stopped everything it started, and freed the ports.
    assert started.server.left_behind == [], [command_line(pid) for pid in started.server.left_behind]
    for port in (started.port, started.gunicorn_port):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as a server binds: no one listens
            sock.bind(("127.0.0.1", port))
