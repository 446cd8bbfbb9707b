"""Scale-out and fault figures: two gunicorn instances sharing one redis-server, then kill -9 of a web
worker and of Redis in the middle of a load.

    python benchmarks/faults.py            # bounded (~2 min), loopback only, ports 8300-8399 / 6390-6399

1. Shared cache: a table for fresh settings through instance A, then the same through instance B.
2. Load on A (`--clients` × `--changes`, benchmarks/load.py's protocol, busy answers retried as the
   page does); `--kill-worker-at` s in, kill -9 one of A's gunicorn workers; `--kill-redis-at` s in,
   kill -9 redis-server. After each kill, a probe sends fresh settings every 0.25 s (a busy 503
   sent again after its Retry-After, as the page does) until one answers 200 with its views: the
   time to recover. Requests the kill dropped are sent again as the page does (1, 2, 3, 4 s later,
   marked X-Attempt); how long each took to be answered is printed. Every status in A's access
   log is counted (a request whose client left before the answer may be logged as 500, though
   none was sent).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import GunicornServer, _latency_line, run_load
from benchmarks.services import RedisServer, free_port_in, table_request

ACCESS_FORMAT = '%(p)s "%(r)s" %(s)s'


def instance(redis: RedisServer, root: Path, name: str, ports: tuple[int, int],
             cpus: set[int] | None = None) -> GunicornServer:
    """A gunicorn instance on a port in `ports` with REDIS_URL set (pinned to `cpus`, if given)."""
    env = {"REDIS_URL": redis.url, "JOBS_CACHE_DIR": str(root / f"jobs-{name}"),
           "GUNICORN_CMD_ARGS": f"--access-logformat '{ACCESS_FORMAT}'"}
    server = GunicornServer(env=env, log_path=root / f"{name}.log", cpus=cpus)
    server.port = free_port_in(*ports)
    server.base_url, server.env["PORT"] = f"http://127.0.0.1:{server.port}", str(server.port)
    server.start()
    return server


def recovery_seconds(base_url: str, since: float, seed: int, limit: float = 60.0) -> float | None:
    """Seconds from `since` until a table for fresh settings answers 200 with its views."""
    applied = {"init_method": "random", "n_init": 1, "n_clusters": 5, "seed": seed, "mesh_step": 0.1}
    while time.monotonic() - since < limit:
        try:
            # A long timeout: a client that gives up is logged by gunicorn as a 500 it never sent.
            response = table_request(base_url, applied, timeout=60)
            if response.status_code == 503 and "Retry-After" in response.headers:  # busy: as the page does
                time.sleep(float(response.headers["Retry-After"]))
                continue
            if response.status_code == 200 and response.json()["response"]["table-fault"]["hidden"] is True:
                return time.monotonic() - since
        except (requests.RequestException, ValueError, KeyError):
            pass
        applied = {**applied, "seed": applied["seed"] + 1}
        time.sleep(0.25)
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--kill-worker-at", type=float, default=6.0)
    parser.add_argument("--kill-redis-at", type=float, default=16.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kmeans-faults-"))
    redis = RedisServer(root / "redis")
    redis.start()
    servers = []
    try:
        servers.append(instance(redis, root, "a", (8300, 8349)))
        servers.append(instance(redis, root, "b", (8350, 8399)))
        first, second = servers
        settings = {"init_method": "k-means++", "n_init": 10, "n_clusters": 12, "seed": 31337, "mesh_step": 0.1}
        started = time.perf_counter()
        assert table_request(first.base_url, settings).status_code == 200
        through_a = time.perf_counter() - started
        started = time.perf_counter()
        assert table_request(second.base_url, settings).status_code == 200
        through_b = time.perf_counter() - started
        print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
        print(f"shared cache: a new table through A {through_a * 1000:.0f} ms; the same through B "
              f"{through_b * 1000:.0f} ms")

        result: dict = {}
        load = threading.Thread(target=lambda: result.update(load=run_load(
            first.base_url, clients=args.clients, requests_per_client=args.changes, distinct=64,
            max_seconds=60)))
        began = time.monotonic()
        load.start()
        time.sleep(args.kill_worker_at)
        master = psutil.Process(first.process.pid)
        worker = next(child for child in master.children() if child.cmdline() == master.cmdline())
        worker.kill()
        killed_worker = time.monotonic()
        worker_recovery = recovery_seconds(first.base_url, killed_worker, 50_000)
        time.sleep(max(0.0, args.kill_redis_at - (time.monotonic() - began)))
        redis.kill()
        killed_redis = time.monotonic()
        redis_recovery = recovery_seconds(first.base_url, killed_redis, 60_000)
        load.join()
        outcome = result["load"]
        statuses: dict[str, int] = {}
        for status in re.findall(r'" (\d{3})$', first.log(), re.MULTILINE):
            statuses[status] = statuses.get(status, 0) + 1
        print(f"load on A: {outcome.changes} changes, {outcome.requests} callback requests, "
              f"{outcome.errors} errors {outcome.error_samples[:5]}, {outcome.busy} busy answers retried")
        worst = f"{max(outcome.recoveries):.1f} s" if outcome.recoveries else "n/a"
        print(f"requests dropped by the kills and sent again as the page does: {outcome.lost} resends, "
              f"{len(outcome.recoveries)} requests answered in the end, the last {worst} after its drop "
              f"(target: within 10 s): {', '.join(outcome.recovery_notes)}")
        print(f"request latency under this load: {_latency_line(outcome.request_latencies)}")
        print(f"A's access log, by status: {dict(sorted(statuses.items()))}")
        print(f"kill -9 of a web worker at {args.kill_worker_at:.0f} s: a fresh table answered after "
              f"{'never' if worker_recovery is None else f'{worker_recovery:.1f} s'}")
        print(f"kill -9 of redis-server at {args.kill_redis_at:.0f} s: a fresh table answered after "
              f"{'never' if redis_recovery is None else f'{redis_recovery:.1f} s'}")
        recovered = outcome.errors == 0 and all(seconds <= 10.0 for seconds in outcome.recoveries)
        return 0 if "500" not in statuses and recovered and None not in (worker_recovery, redis_recovery) else 1
    finally:
        for server in servers:
            server.stop()
        redis.stop()


if __name__ == "__main__":
    sys.exit(main())
