"""Load test for the dashboard's callback endpoint: N concurrent clients × M settings changes.

    python benchmarks/load.py --spawn                      # start gunicorn with gunicorn.conf.py
    python benchmarks/load.py --spawn --warm               # once cold (untimed summary), then warm
    python benchmarks/load.py http://127.0.0.1:8050        # a server that is already running
    python benchmarks/load.py --spawn --clients 8 --requests 5 --distinct 12

Each client behaves like one browser tab with no think time: it starts from the default settings
and moves to another of `--distinct` valid configurations per step, and for every step POSTs, as
the Dash renderer does, each server-side callback that has a changed control as an Input
(discovered from /_dash-dependencies), concurrently, then each callback their answers trigger
(the table follows the map). A pool no larger than the app's caches measures
warm serving once every worker has seen it (`--warm`); a large pool measures fitting.
Only loopback targets are accepted.

Prints the number of callback requests and settings changes, errors, p50/p95/max latency (per
request, and per change until its last callback answered), throughput, and CPU seconds of this
client and (with --spawn, if psutil is installed) of the server. An error is a transport failure,
a status other than 200/204, or a 200 whose body shows the settings message (every value sent is
valid). Exits 1 when there were errors or the request p95 missed --p95-target (1 s).
Bounded in time: no new change starts after --max-seconds, and each request times out at 30 s.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parent.parent
CONTROL_IDS = ("init-method", "n-init", "n-clusters", "random-seed", "mesh-step")
DEFAULT_VALUES = {
    "init-method": "k-means++",
    "n-init": 10,
    "n-clusters": 10,
    "random-seed": 0,
    "mesh-step": 0.02,
}
INIT_METHODS = ("k-means++", "random", "PCA-based")
MESH_STEPS = (0.02, 0.02, 0.03, 0.05, 0.1)  # mostly the default, as users leave it
UPDATE_PATH = "/_dash-update-component"
REQUEST_TIMEOUT = 30.0


# --- The Dash callback protocol ---------------------------------------------------------------


@dataclass(frozen=True)
class Callback:
    """One server-side callback as /_dash-dependencies describes it."""

    output: str  # Dash's output key, e.g. "..a.children...b.hidden.." or "a.children"
    outputs: object  # the renderer's `outputs`: a list of {id, property}, or one for a single output
    inputs: tuple[tuple[str, str], ...]
    state: tuple[tuple[str, str], ...]

    def triggered_by(self, component_id: str) -> bool:
        return any(cid == component_id for cid, _ in self.inputs)


def _split_output(output: str) -> object:
    if output.startswith(".."):
        parts = output[2:-2].split("...")
        return [{"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]} for part in parts]
    component, prop = output.rsplit(".", 1)
    return {"id": component, "property": prop}


def parse_dependencies(dependencies: list[dict]) -> list[Callback]:
    """The server-side callbacks (clientside ones never reach the server)."""
    callbacks = []
    for dep in dependencies:
        if dep.get("clientside_function") or not dep.get("inputs"):
            continue
        inputs = tuple((d["id"], d["property"]) for d in dep["inputs"])
        state = tuple((d["id"], d["property"]) for d in dep.get("state") or [])
        callbacks.append(Callback(dep["output"], _split_output(dep["output"]), inputs, state))
    return callbacks


def fetch_callbacks(session: requests.Session, base_url: str) -> list[Callback]:
    response = session.get(base_url + "/_dash-dependencies", timeout=REQUEST_TIMEOUT)
    response.raise_for_status()
    return parse_dependencies(response.json())


def control_props(values: dict) -> dict[str, object]:
    """Control values by id → the page's properties by "id.property"."""
    return {f"{cid}.value": value for cid, value in values.items()}


def payload(callback: Callback, props: dict[str, object], changed: list[str]) -> dict:
    """The body the Dash renderer POSTs for `callback` after the `changed` properties ("id.prop").

    `props` holds what the page shows; a property it lacks is null, as on a fresh page.
    """

    def filled(specs):
        return [{"id": cid, "property": prop, "value": props.get(f"{cid}.{prop}")} for cid, prop in specs]

    body = {
        "output": callback.output,
        "outputs": callback.outputs,
        "inputs": filled(callback.inputs),
        "changedPropIds": list(changed),
        "parsedChangedPropsIds": list(changed),
    }
    if callback.state:
        body["state"] = filled(callback.state)
    return body


def payloads_for_change(callbacks: list[Callback], props: dict[str, object], changed: list[str]) -> list[dict]:
    """One body per callback that has a changed property as an Input, as the renderer sends them."""
    return [payload(cb, props, changed) for cb in callbacks
            if any(f"{cid}.{prop}" in changed for cid, prop in cb.inputs)]


def updated_props(content: bytes) -> dict[str, object]:
    """The properties a 200 response sets, by "id.prop"."""
    answer = json.loads(content).get("response", {})
    return {f"{cid}.{prop}": value for cid, props in answer.items() for prop, value in props.items()}


def run_change(send, callbacks: list[Callback], props: dict[str, object], changed: list[str],
               max_waves: int = 4) -> list:
    """One settings change as the renderer plays it: every callback the change triggers, sent at
    once; then every callback their answers trigger (a chain), and so on.

    `send(body)` posts one body and returns (answer, content or None); `props` is updated with
    what the answers set. Returns every answer, in order.
    """
    answers = []
    for _ in range(max_waves):
        bodies = payloads_for_change(callbacks, props, changed)
        if not bodies:
            break
        wave = send_all(send, bodies)
        answers += [answer for answer, _ in wave]
        changed = []
        for _, content in wave:
            if content:
                updates = updated_props(content)
                props.update(updates)
                changed += list(updates)
    return answers


def send_all(send, bodies: list[dict]) -> list:
    if len(bodies) == 1:
        return [send(bodies[0])]
    with ThreadPoolExecutor(len(bodies)) as parallel:
        return list(parallel.map(send, bodies))


def response_problem(body: dict, status: int, content: bytes) -> str | None:
    """Why a response to valid settings is wrong, or None. `body` is the request sent."""
    if status == 204:
        return None  # PreventUpdate: allowed, nothing to check
    if status != 200:
        return f"HTTP {status}"
    try:
        answer = json.loads(content)["response"]
    except (ValueError, KeyError, TypeError):
        return "200 without a Dash response body"
    if answer.get("settings-message", {}).get("hidden") is False:
        return "valid settings were refused"
    return None


# --- Workload ---------------------------------------------------------------------------------


def settings_pool(distinct: int, seed: int = 0) -> list[dict]:
    """`distinct` valid configurations (the defaults first), reproducible from `seed`."""
    rng = random.Random(seed)
    pool = [dict(DEFAULT_VALUES)]
    seen = {tuple(DEFAULT_VALUES.values())}
    while len(pool) < distinct:
        values = {
            "init-method": rng.choice(INIT_METHODS),
            "n-init": rng.choice((1, 3, 5, 10)),
            "n-clusters": rng.randint(2, 16),
            "random-seed": rng.randint(0, 9),
            "mesh-step": rng.choice(MESH_STEPS),
        }
        key = tuple(values.values())
        if key not in seen:
            seen.add(key)
            pool.append(values)
    return pool


def interactions(pool: list[dict], count: int, rng: random.Random) -> Iterator[tuple[dict, list[str]]]:
    """`count` (values, changed controls) steps of one tab, each to another configuration of the pool.

    Only pool configurations are ever sent, so `distinct` bounds what the server must compute.
    """
    current = dict(DEFAULT_VALUES)
    for _ in range(count):
        target = rng.choice(pool)
        changed = [cid for cid in CONTROL_IDS if target[cid] != current[cid]] or ["n-clusters"]
        current = dict(target)
        yield dict(current), changed


# --- Running ----------------------------------------------------------------------------------


@dataclass
class LoadResult:
    clients: int
    requests_per_client: int
    changes: int = 0  # settings changes made (each sends one request per triggered callback)
    requests: int = 0  # callback requests sent
    errors: int = 0
    busy: int = 0  # 503 answers with Retry-After, each sent again as the page does (not errors)
    lost: int = 0  # dropped connections (a killed worker), each sent again as the page does
    recoveries: list[float] = field(default_factory=list)  # seconds from a drop to its request's answer
    recovery_notes: list[str] = field(default_factory=list)  # each: seconds, which callback, busy answers
    error_samples: list[str] = field(default_factory=list)
    request_latencies: list[float] = field(default_factory=list)
    change_latencies: list[float] = field(default_factory=list)  # until every callback answered
    wall_seconds: float = 0.0
    not_sent: int = 0  # changes skipped because --max-seconds ran out
    client_cpu_seconds: float = 0.0  # this process: the load generator shares the machine's cores
    server_cpu_seconds: float | None = None  # gunicorn master + workers, when spawned here

    @property
    def throughput(self) -> float:
        return self.requests / self.wall_seconds if self.wall_seconds else 0.0

    def summary(self) -> str:
        errors = f"errors {self.errors}"
        if self.errors:
            errors += f" (e.g. {self.error_samples[:3]})"
        if self.not_sent:
            errors += f"; {self.not_sent} changes not sent (time limit)"
        errors += f"; {self.busy} busy answers (503 + Retry-After, sent again as the page does)"
        if self.lost:
            errors += (f"; {self.lost} dropped connections sent again as the page does: "
                       f"{len(self.recoveries)} answered, the last "
                       f"{max(self.recoveries, default=0):.1f} s after its drop")
        throughput = "throughput n/a"
        if self.wall_seconds:
            throughput = (
                f"throughput {self.throughput:.1f} requests/s, "
                f"{self.changes / self.wall_seconds:.1f} changes/s"
            )
        cpu = f"CPU: client {self.client_cpu_seconds:.1f} s"
        if self.server_cpu_seconds is not None and self.changes:
            per_change = self.server_cpu_seconds / self.changes * 1000
            cpu += f", server {self.server_cpu_seconds:.1f} s = {per_change:.0f} ms per change"
        lines = [
            (
                f"clients {self.clients} × {self.requests_per_client} settings changes: "
                f"{self.changes} changes, {self.requests} callback requests in {self.wall_seconds:.1f} s"
            ),
            errors,
            "request latency  " + _latency_line(self.request_latencies),
            "change latency   " + _latency_line(self.change_latencies),
            throughput,
            cpu,
        ]
        return "\n".join(lines)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def _latency_line(values: list[float]) -> str:
    if not values:
        return "n/a"
    return (
        f"p50 {percentile(values, 50) * 1000:.0f} ms, p95 {percentile(values, 95) * 1000:.0f} ms, "
        f"max {max(values) * 1000:.0f} ms"
    )


def require_loopback(base_url: str) -> str:
    """The URL without a trailing slash, if every address its host resolves to is loopback."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {base_url!r}")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 80, proto=socket.IPPROTO_TCP)
    except socket.gaierror as error:
        raise ValueError(f"cannot resolve {parts.hostname!r}: {error}") from None
    addresses = {info[4][0].split("%")[0] for info in infos}
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise ValueError(f"only loopback targets are allowed; {parts.hostname} is {sorted(addresses)}")
    return base_url.rstrip("/")


BUSY_RETRIES = 20  # as assets/busy_retry.js
LOST_DELAYS_S = (1, 2, 3, 4)  # as assets/busy_retry.js: a dropped connection is sent again after these
LOST_ATTEMPT = 20  # as assets/busy_retry.js: the X-Attempt of a request sent again after a drop


def callback_kind(body: dict) -> str:
    """Which of the page's callbacks a request body is for: "table", "map" or "other" (for reports)."""
    output = str(body.get("output"))
    return "table" if "matched-accuracy" in output else "map" if "map-caption" in output else "other"


@dataclass
class PageAnswer:
    """What the page finally got for one callback request, and what it went through first."""

    response: requests.Response
    busy: int = 0  # 503s with Retry-After, each waited out and sent again
    lost: int = 0  # dropped connections or proxy 502/504s, each sent again after LOST_DELAYS_S
    recovered_s: float | None = None  # from the first drop to this answer, when there was a drop


def post_as_page(session: requests.Session, url: str, body: dict) -> PageAnswer:
    """POST as the page does (assets/busy_retry.js): a 503 with Retry-After (the server's queue of
    fits is full) is sent again after the time it asks for; a dropped connection (a killed web
    worker) or a 502/504 is sent again after 1, 2, 3 and 4 s. Raises the last connection error when
    the page would give up too."""
    busy = lost = 0
    first_drop = None
    while True:
        try:
            attempt = LOST_ATTEMPT if lost else busy  # as the page: a dropped request first, then busy ones
            headers = {"X-Attempt": str(attempt)} if attempt else None
            response = session.post(url, json=body, timeout=REQUEST_TIMEOUT, headers=headers)
        except requests.ConnectionError:
            if lost >= len(LOST_DELAYS_S):
                raise
            response = None
        if response is not None and response.status_code == 503 and "Retry-After" in response.headers \
                and busy < BUSY_RETRIES:
            busy += 1
            time.sleep(min(30.0, max(1.0, float(response.headers["Retry-After"]))))
            continue
        if (response is None or response.status_code in (502, 504)) and lost < len(LOST_DELAYS_S):
            first_drop = first_drop if first_drop is not None else time.monotonic()
            time.sleep(LOST_DELAYS_S[lost])
            lost += 1
            continue
        recovered = None if first_drop is None else time.monotonic() - first_drop
        return PageAnswer(response, busy, lost, recovered)


def run_load(
    base_url: str,
    clients: int = 32,
    requests_per_client: int = 20,
    distinct: int = 16,
    seed: int = 0,
    max_seconds: float = 300.0,
    server_cpu=None,
) -> LoadResult:
    """Run the load and return its figures; stops starting new changes after `max_seconds`.

    `server_cpu`, if given, returns the server's CPU seconds so far (to report CPU per change).
    """
    base_url = require_loopback(base_url)
    if not (1 <= clients <= 256 and 1 <= requests_per_client <= 10_000 and distinct >= 1):
        raise ValueError("clients 1..256, requests 1..10000, distinct ≥ 1")
    with requests.Session() as session:
        callbacks = fetch_callbacks(session, base_url)
    if not callbacks:
        raise RuntimeError("the server describes no callbacks on the controls")
    pool = settings_pool(distinct, seed)
    result = LoadResult(clients, requests_per_client)
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def post(session: requests.Session, body: dict) -> tuple[tuple[float, str | None], bytes | None]:
        started = time.perf_counter()
        content = None
        try:
            answer = post_as_page(session, base_url + UPDATE_PATH, body)
            response = answer.response
            with lock:
                result.busy += answer.busy
                result.lost += answer.lost
                if answer.recovered_s is not None:
                    result.recoveries.append(answer.recovered_s)
                    result.recovery_notes.append(f"{answer.recovered_s:.1f} s ({callback_kind(body)}, "
                                                 f"{answer.lost} resent, "
                                                 f"{answer.busy} busy)")
            problem = response_problem(body, response.status_code, response.content)
            content = response.content if response.status_code == 200 and not problem else None
        except requests.RequestException as error:
            problem = f"{type(error).__name__}: {error}"[:200]
        return (time.perf_counter() - started, problem), content

    def client(number: int) -> None:
        rng = random.Random(seed * 1_000_003 + number)
        props: dict[str, object] = {}  # what this tab's page shows
        # A browser keeps up to 6 connections per host; the session's pool holds 10.
        with requests.Session() as session:
            for values, changed in interactions(pool, requests_per_client, rng):
                if time.monotonic() > deadline:
                    with lock:
                        result.not_sent += 1
                    continue
                props.update(control_props(values))
                started = time.perf_counter()
                answers = run_change(lambda b: post(session, b), callbacks, props, [f"{c}.value" for c in changed])
                elapsed = time.perf_counter() - started
                with lock:
                    result.changes += 1
                    result.change_latencies.append(elapsed)
                    for latency, problem in answers:
                        result.requests += 1
                        result.request_latencies.append(latency)
                        if problem:
                            result.errors += 1
                            if len(result.error_samples) < 10:
                                result.error_samples.append(problem)

    cpu_before, server_before = time.process_time(), server_cpu() if server_cpu else None
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool_of_clients:
        for future in [pool_of_clients.submit(client, n) for n in range(clients)]:
            future.result()
    result.wall_seconds = time.perf_counter() - started
    result.client_cpu_seconds = time.process_time() - cpu_before
    if server_cpu and server_before is not None:
        server_after = server_cpu()
        result.server_cpu_seconds = None if server_after is None else server_after - server_before
    return result


# --- A gunicorn of our own --------------------------------------------------------------------


def free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_healthy(base_url: str, process: subprocess.Popen | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before it was healthy")
        try:
            if requests.get(base_url + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise TimeoutError(f"{base_url}/health did not answer 200 within {seconds:.0f} s")


def stop(process: subprocess.Popen, grace: float = 35.0) -> None:
    """SIGTERM (gunicorn's graceful shutdown), then SIGKILL the process group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


class GunicornServer:
    """`gunicorn -c gunicorn.conf.py app:server` from `app_dir` on a free loopback port."""

    def __init__(
        self,
        app_dir: Path = REPO,
        env: dict | None = None,
        python: str = sys.executable,
        log_path: Path | None = None,
        cpus: set[int] | None = None,
    ):
        self.app_dir, self.python, self.log_path = Path(app_dir), python, log_path
        self.cpus = cpus  # pinned to these cores (with its workers and table processes), as a machine of its own
        self.port = free_loopback_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {}), "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process: subprocess.Popen | None = None

    def start(self, boot_seconds: float = 120.0) -> str:
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(
                [self.python, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"],
                cwd=self.app_dir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a stuck worker goes with it
                preexec_fn=(lambda: os.sched_setaffinity(0, self.cpus)) if self.cpus else None,  # noqa: PLW1509
            )
        finally:
            if self.log_path:
                log.close()  # the child holds its own descriptor
        try:
            wait_healthy(self.base_url, self.process, boot_seconds)
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def stop(self, grace: float = 35.0) -> int | None:
        """Graceful stop; the exit status (None if it was never started)."""
        if self.process is not None:
            stop(self.process, grace)
            return self.process.returncode
        return None

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the master and its live workers (None without psutil)."""
        try:
            import psutil
        except ImportError:
            return None
        if self.process is None or self.process.poll() is not None:
            return None
        try:
            master = psutil.Process(self.process.pid)
            total = 0.0
            for proc in [master, *master.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = proc.cpu_times()
                    total += times.user + times.system
            return total
        except psutil.NoSuchProcess:
            return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


@contextlib.contextmanager
def spawned_gunicorn(
    app_dir: Path = REPO, env: dict | None = None, log_path: Path | None = None, boot_seconds: float = 120.0
) -> Iterator[str]:
    """Start gunicorn with the repository's config on a free loopback port; yield its base URL."""
    server = GunicornServer(app_dir, env, log_path=log_path)
    try:
        yield server.start(boot_seconds)
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="base URL of a running server on loopback")
    parser.add_argument("--spawn", action="store_true", help="start gunicorn with gunicorn.conf.py")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20, help="settings changes per client")
    parser.add_argument("--distinct", type=int, default=16, help="distinct valid configurations")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="stop starting changes after this")
    parser.add_argument(
        "--warm", action="store_true", help="first run the same load once, untimed, so the caches are warm"
    )
    parser.add_argument("--p95-target", type=float, default=1.0, help="seconds; exit 1 when missed")
    args = parser.parse_args(argv)
    if bool(args.url) == args.spawn:
        parser.error("give a URL or --spawn, not both")

    def measure(base_url: str, server_cpu=None) -> LoadResult:
        load = {
            "clients": args.clients,
            "requests_per_client": args.requests,
            "distinct": args.distinct,
            "seed": args.seed,
            "max_seconds": args.max_seconds,
            "server_cpu": server_cpu,
        }
        if args.warm:
            print("warming (caches cold):\n" + run_load(base_url, **load).summary(), flush=True)
        return run_load(base_url, **load)

    try:
        if args.spawn:
            server = GunicornServer()
            try:
                base_url = server.start()
                print(f"gunicorn at {base_url}", flush=True)
                result = measure(base_url, server.cpu_seconds)
            finally:
                server.stop()
        else:
            result = measure(args.url)
    except ValueError as error:
        parser.error(str(error))
    except (requests.RequestException, RuntimeError, TimeoutError) as error:
        print(f"load.py: cannot load the server: {error}", file=sys.stderr)
        return 2
    print(("measured (caches warm):\n" if args.warm else "") + result.summary())
    return 0 if result.errors == 0 and percentile(result.request_latencies, 95) <= args.p95_target else 1


if __name__ == "__main__":
    sys.exit(main())
