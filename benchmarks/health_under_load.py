"""Does `/health` wait behind fits? Its latency idle, then while clients ask for the heaviest settings.

    python benchmarks/health_under_load.py --spawn                 # the image's processes (supervisord)
    python benchmarks/health_under_load.py http://127.0.0.1:8050   # a server already running (loopback)
    python benchmarks/health_under_load.py --spawn --clients 8 --max-seconds 20

`--spawn` starts the image's command, `supervisord -c deploy/supervisord.conf` (nginx in front of
gunicorn, and a job worker), with the Dockerfile's ENV, on free loopback ports (as the integration
tests do: tests/integration/conftest.py), and measures through nginx.

First `--idle-probes` GETs of /health one after another (the baseline, same run). Then
`--clients` clients (default 16), each making settings changes as the page does (the map
callback and the table callback at once) at k = 30, n_init = 50, mesh step 0.014, the init
cycling, each change with a seed no one asked for before (so every change is a fresh fit), while a
probe GETs /health every `--probe-interval` seconds. A 503 with Retry-After (nginx's callback
limit, or the table's queue full) is sent again after the time it asks, as the page does.
Prints the probe's p50/p99/max and how many took over 500 ms, and the clients' changes, busy
answers, errors (a transport failure, a status other than 200/204, or a 200 showing the settings
message) and per-request p95. Exits 1 when the /health p99 under load is over --p99-target (0.5 s).

Bounded: loopback targets only; no change starts after --max-seconds (default 20), and no
request is sent (or sent again) after --drain-seconds more (default 25): one still busy then is
counted as cut, not as an error. A request is sent again at most 20 times, as the page does.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import (  # noqa: E402
    BUSY_RETRIES,
    REQUEST_TIMEOUT,
    UPDATE_PATH,
    Callback,
    fetch_callbacks,
    payload,
    percentile,
    require_loopback,
    response_problem,
)
from core.settings import N_CLUSTERS_RANGE, N_INIT_RANGE, limits  # noqa: E402

# The heaviest settings the digits allow: the largest k and n_init, the finest mesh step.
WORST_CASE = {"dataset": "digits", "n_init": N_INIT_RANGE[1], "n_clusters": N_CLUSTERS_RANGE[1],
              "mesh_step": limits("digits").mesh_range[0]}
INITS = ("k-means++", "random", "PCA-based")
SLOW_S = 0.5
TABLE_INPUT = ("table-request", "data")
MAP_CAPTION = "map-caption.children"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _summary(latencies: list[float]) -> str:
    if not latencies:
        return "no probes"
    slow = sum(latency > SLOW_S for latency in latencies)
    return (f"{len(latencies)} probes: p50 {_ms(percentile(latencies, 50))}, p99 {_ms(percentile(latencies, 99))}, "
            f"max {_ms(max(latencies))}; {slow} over {_ms(SLOW_S)}")


# --- The page's two requests for one settings change --------------------------------------------


def table_callback(callbacks: list[Callback]) -> Callback:
    return next(cb for cb in callbacks if cb.inputs == (TABLE_INPUT,))


def map_callback(callbacks: list[Callback]) -> Callback:
    return next(cb for cb in callbacks if MAP_CAPTION in cb.output)


def table_body(callbacks: list[Callback], values: dict, page: str, seq: int) -> dict:
    """The table callback's request for these settings (core.settings names), as
    assets/table_requests.js sends it after a change: from page `page`, its `seq`-th."""
    request = {"values": values, "fallback": None, "page": page, "seq": seq}
    return payload(table_callback(callbacks), {"table-request.data": request}, ["table-request.data"])


def map_body(callbacks: list[Callback], values: dict, applied: dict | None = None) -> dict:
    """The map callback's request after a change of seed to these settings."""
    props = {"dataset.value": values["dataset"], "init-method.value": values["init_method"],
             "n-init.value": values["n_init"], "n-clusters.value": values["n_clusters"],
             "random-seed.value": values["seed"], "mesh-step.value": values["mesh_step"],
             "settings-message.hidden": True, "applied-settings.data": applied}
    return payload(map_callback(callbacks), props, ["random-seed.value"])


# --- The run ------------------------------------------------------------------------------------


def probe_health(base_url: str, until: threading.Event, interval: float, latencies: list[float],
                 failures: list[str]) -> None:
    with requests.Session() as session:
        while not until.is_set():
            started = time.perf_counter()
            try:
                status = session.get(base_url + "/health", timeout=REQUEST_TIMEOUT).status_code
                if status != 200:
                    failures.append(f"status {status}")
            except requests.RequestException as error:
                failures.append(type(error).__name__)
            latencies.append(time.perf_counter() - started)
            until.wait(max(0.0, interval - (time.perf_counter() - started)))


def post_as_page(session: requests.Session, url: str, body: dict,
                 until: float) -> tuple[requests.Response | None, int]:
    """POST as the page does (assets/busy_retry.js): a 503 with Retry-After is sent again after the
    time it asks, at most BUSY_RETRIES times. (The answer, or None when `until` came first; the
    busy answers.)"""
    busy = 0
    while time.monotonic() < until:
        timeout = min(REQUEST_TIMEOUT, until - time.monotonic())
        try:
            response = session.post(url, json=body, timeout=max(1.0, timeout))
        except requests.Timeout:
            if timeout < REQUEST_TIMEOUT:  # cut by the run's time limit, not the request's
                return None, busy
            raise
        if response.status_code != 503 or "Retry-After" not in response.headers or busy >= BUSY_RETRIES:
            return response, busy
        busy += 1
        time.sleep(min(30.0, max(1.0, float(response.headers["Retry-After"]))))
    return None, busy


def run(base_url: str, clients: int, max_seconds: float, idle_probes: int, interval: float,
        drain_seconds: float = 25.0) -> dict:
    base_url = require_loopback(base_url)
    if not (1 <= clients <= 64 and 1 <= max_seconds <= 600 and 1 <= idle_probes <= 1000 and drain_seconds >= 0):
        raise ValueError("clients 1..64, max-seconds 1..600, idle-probes 1..1000, drain-seconds ≥ 0")
    idle: list[float] = []
    with requests.Session() as session:
        callbacks = fetch_callbacks(session, base_url)
        for _ in range(idle_probes):
            started = time.perf_counter()
            session.get(base_url + "/health", timeout=REQUEST_TIMEOUT).raise_for_status()
            idle.append(time.perf_counter() - started)
    seeds = itertools.count(int(time.time()) % 1_000_000 * 1000)  # fresh seeds: nothing cached
    lock = threading.Lock()
    loaded = {"changes": 0, "requests": [], "errors": 0, "samples": [], "busy": 0, "cut": 0}
    deadline = time.monotonic() + max_seconds
    until = deadline + drain_seconds

    def client(number: int) -> None:
        with requests.Session() as session, ThreadPoolExecutor(2) as both:
            def post(body: dict) -> tuple[float, str | None]:
                started = time.perf_counter()
                kind = "table" if body["inputs"][0]["id"] == TABLE_INPUT[0] else "map"
                try:
                    response, busy = post_as_page(session, base_url + UPDATE_PATH, body, until)
                    with lock:
                        loaded["busy"] += busy
                        loaded["cut"] += response is None
                    problem = None if response is None else response_problem(body, response.status_code,
                                                                             response.content)
                except requests.RequestException as error:
                    problem = type(error).__name__
                return time.perf_counter() - started, problem and f"{problem} ({kind})"

            for step in itertools.count():
                if time.monotonic() > deadline:
                    return
                with lock:
                    seed = next(seeds)
                values = {**WORST_CASE, "init_method": INITS[(number + step) % 3], "seed": seed}
                answers = list(both.map(post, [map_body(callbacks, values),
                                                  table_body(callbacks, values, f"client-{number}", step + 1)]))
                with lock:
                    loaded["changes"] += 1
                    for latency, problem in answers:
                        loaded["requests"].append(latency)
                        if problem:
                            loaded["errors"] += 1
                            if len(loaded["samples"]) < 5:
                                loaded["samples"].append(problem)

    under_load: list[float] = []
    failures: list[str] = []
    stop = threading.Event()
    prober = threading.Thread(target=probe_health, args=(base_url, stop, interval, under_load, failures))
    started = time.perf_counter()
    prober.start()
    try:
        with ThreadPoolExecutor(clients) as pool:
            for future in [pool.submit(client, n) for n in range(clients)]:
                future.result()
    finally:
        stop.set()
        prober.join()
    return {"idle": idle, "under_load": under_load, "probe_failures": failures,
            "wall_seconds": time.perf_counter() - started, **loaded}


def spawn_front():
    """The image's processes on free loopback ports (tests/integration/conftest.py's start_front);
    (front, its temporary directory)."""
    from tests.integration.conftest import runtime_dir, start_front

    for binary in ("nginx", "supervisord"):
        if shutil.which(binary, path=f"{Path(sys.executable).parent}:/usr/sbin:/usr/local/sbin:/usr/bin") is None:
            raise RuntimeError(f"{binary} is not installed")
    directory = runtime_dir("bench-front-")
    return start_front(directory), directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="base URL of a running server on loopback")
    parser.add_argument("--spawn", action="store_true", help="start the image's processes (supervisord)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=20.0, help="no change starts after this")
    parser.add_argument("--drain-seconds", type=float, default=25.0,
                        help="no request is sent after max-seconds + this (one still busy is counted as cut)")
    parser.add_argument("--idle-probes", type=int, default=20)
    parser.add_argument("--probe-interval", type=float, default=0.1)
    parser.add_argument("--p99-target", type=float, default=SLOW_S, help="seconds; exit 1 when missed")
    args = parser.parse_args(argv)
    if bool(args.url) == args.spawn:
        parser.error("give a URL or --spawn, not both")
    load = (args.clients, args.max_seconds, args.idle_probes, args.probe_interval, args.drain_seconds)
    try:
        if args.spawn:
            front, directory = spawn_front()
            try:
                print(f"nginx at {front.base}, gunicorn at {front.gunicorn_base} (supervisord)", flush=True)
                result = run(front.base, *load)
            finally:
                front.server.stop()
                shutil.rmtree(directory, ignore_errors=True)
        else:
            result = run(args.url, *load)
    except ValueError as error:
        parser.error(str(error))
    except (requests.RequestException, RuntimeError, TimeoutError, AssertionError) as error:
        print(f"health_under_load.py: cannot load the server: {error}", file=sys.stderr)
        return 2
    requests_ = result["requests"]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"/health idle: {_summary(result['idle'])}")
    print(f"/health under load ({args.clients} clients at k {WORST_CASE['n_clusters']}, "
          f"n_init {WORST_CASE['n_init']}, mesh {WORST_CASE['mesh_step']}, "
          f"{result['wall_seconds']:.0f} s): {_summary(result['under_load'])}"
          + (f"; failures: {result['probe_failures'][:5]}" if result["probe_failures"] else ""))
    print(f"load: {result['changes']} changes, {len(requests_)} callback requests, {result['errors']} errors"
          + (f" {result['samples']}" if result["samples"] else "")
          + f", {result['busy']} busy answers (503 + Retry-After, sent again as the page does)"
          + f", {result['cut']} still busy at the time limit"
          + (f", request p95 {_ms(percentile(requests_, 95))}" if requests_ else ""))
    return 0 if result["under_load"] and percentile(result["under_load"], 99) <= args.p99_target else 1


if __name__ == "__main__":
    sys.exit(main())
