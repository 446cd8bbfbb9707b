"""Does `/health` wait behind fits? Its latency idle, then while clients ask for the heaviest settings.

    python benchmarks/health_under_load.py --spawn                 # gunicorn with gunicorn.conf.py
    python benchmarks/health_under_load.py http://127.0.0.1:8050   # a server already running (loopback)
    python benchmarks/health_under_load.py --spawn --clients 8 --max-seconds 20

First `--idle-probes` GETs of /health one after another (the baseline, same run). Then
`--clients` clients (default 16), each playing settings changes as the page does (the map
callback, then the table callback it triggers: benchmarks/load.py's protocol) at k = 30,
n_init = 50, mesh step 0.014, the init cycling, each change with a seed no one asked for before
(so every change is a fresh fit), while a probe GETs /health every `--probe-interval` seconds.
Prints the probe's p50/p99/max and how many took over 500 ms, and the clients' changes, errors
(a transport failure, a status other than 200/204, or a 200 showing the settings message) and
per-request p95. Exits 1 when the /health p99 under load is over --p99-target (0.5 s).

Bounded: loopback targets only; no change starts after --max-seconds (default 40); each request
times out at 30 s, so the run ends at most ~60 s after that (two chained requests per change).
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import (
    REQUEST_TIMEOUT,
    UPDATE_PATH,
    GunicornServer,
    callback_kind,
    control_props,
    fetch_callbacks,
    percentile,
    post_as_page,
    require_loopback,
    response_problem,
    run_change,
)

WORST_CASE = {"n-init": 50, "n-clusters": 30, "mesh-step": 0.014}
INITS = ("k-means++", "random", "PCA-based")
SLOW_S = 0.5


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _summary(latencies: list[float]) -> str:
    if not latencies:
        return "no probes"
    slow = sum(latency > SLOW_S for latency in latencies)
    return (f"{len(latencies)} probes: p50 {_ms(percentile(latencies, 50))}, p99 {_ms(percentile(latencies, 99))}, "
            f"max {_ms(max(latencies))}; {slow} over {_ms(SLOW_S)}")


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


def run(base_url: str, clients: int, max_seconds: float, idle_probes: int, interval: float) -> dict:
    base_url = require_loopback(base_url)
    if not (1 <= clients <= 64 and 1 <= max_seconds <= 600 and 1 <= idle_probes <= 1000):
        raise ValueError("clients 1..64, max-seconds 1..600, idle-probes 1..1000")
    idle: list[float] = []
    with requests.Session() as session:
        callbacks = fetch_callbacks(session, base_url)
        for _ in range(idle_probes):
            started = time.perf_counter()
            session.get(base_url + "/health", timeout=REQUEST_TIMEOUT).raise_for_status()
            idle.append(time.perf_counter() - started)
    seeds = itertools.count(int(time.time()) % 1_000_000 * 1000)  # fresh seeds: nothing cached
    lock = threading.Lock()
    loaded = {"changes": 0, "requests": [], "errors": 0, "samples": [], "busy": 0}
    deadline = time.monotonic() + max_seconds

    def client(number: int) -> None:
        props: dict[str, object] = {}
        with requests.Session() as session:
            def post(body):
                started = time.perf_counter()
                content, problem = None, None
                try:
                    answer = post_as_page(session, base_url + UPDATE_PATH, body)
                    response = answer.response
                    with lock:
                        loaded["busy"] += answer.busy
                    problem = response_problem(body, response.status_code, response.content)
                    content = response.content if response.status_code == 200 and not problem else None
                except requests.RequestException as error:
                    problem = f"{type(error).__name__} ({callback_kind(body)})"
                return (time.perf_counter() - started, problem), content

            for step in itertools.count():
                if time.monotonic() > deadline:
                    return
                with lock:
                    seed = next(seeds)
                values = {**WORST_CASE, "init-method": INITS[(number + step) % 3], "random-seed": seed}
                props.update(control_props(values))
                answers = run_change(post, callbacks, props, [f"{c}.value" for c in values])
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
    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client, n) for n in range(clients)]:
            future.result()
    stop.set()
    prober.join()
    return {"idle": idle, "under_load": under_load, "probe_failures": failures,
            "wall_seconds": time.perf_counter() - started, **loaded}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="base URL of a running server on loopback")
    parser.add_argument("--spawn", action="store_true", help="start gunicorn with gunicorn.conf.py")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=40.0, help="no change starts after this")
    parser.add_argument("--idle-probes", type=int, default=20)
    parser.add_argument("--probe-interval", type=float, default=0.1)
    parser.add_argument("--p99-target", type=float, default=SLOW_S, help="seconds; exit 1 when missed")
    args = parser.parse_args(argv)
    if bool(args.url) == args.spawn:
        parser.error("give a URL or --spawn, not both")
    load = (args.clients, args.max_seconds, args.idle_probes, args.probe_interval)
    try:
        if args.spawn:
            server = GunicornServer()
            try:
                base_url = server.start()
                print(f"gunicorn at {base_url}", flush=True)
                result = run(base_url, *load)
            finally:
                server.stop()
        else:
            result = run(args.url, *load)
    except ValueError as error:
        parser.error(str(error))
    except (requests.RequestException, RuntimeError, TimeoutError) as error:
        print(f"health_under_load.py: cannot load the server: {error}", file=sys.stderr)
        return 2
    requests_ = result["requests"]
    print(f"/health idle: {_summary(result['idle'])}")
    print(f"/health under load ({args.clients} clients at k 30, n_init 50, mesh 0.014, "
          f"{result['wall_seconds']:.0f} s): {_summary(result['under_load'])}"
          + (f"; failures: {result['probe_failures'][:5]}" if result["probe_failures"] else ""))
    print(f"load: {result['changes']} changes, {len(requests_)} callback requests, {result['errors']} errors"
          + (f" {result['samples']}" if result["samples"] else "")
          + f", {result['busy']} busy answers (503 + Retry-After, sent again as the page does)"
          + (f", request p95 {_ms(percentile(requests_, 95))}" if requests_ else ""))
    return 0 if result["under_load"] and percentile(result["under_load"], 99) <= args.p99_target else 1


if __name__ == "__main__":
    sys.exit(main())
