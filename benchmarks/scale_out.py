"""Does adding a machine add capacity? One gunicorn instance pinned to one core (a one-core
"machine"), then two such instances on the two cores sharing one redis-server, under the same load.

    python benchmarks/scale_out.py        # bounded (~1 min), loopback only, ports 8300-8399 / 6390-6399

Each instance runs as `gunicorn -c gunicorn.conf.py app:server` with `REDIS_URL` set; the core it
is pinned to sizes its workers and table processes (one each), as on a one-core machine. The load
is benchmarks/load.py's (fresh configurations: every change fits), its clients split evenly over
the instances, as a balancer would. Redis is emptied between the phases. The load generator shares
the two cores with the servers: it is the same in both phases.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.faults import instance
from benchmarks.load import GunicornServer, LoadResult, percentile, run_load
from benchmarks.services import RedisServer


def load_over(servers: list[GunicornServer], clients: int, changes: int, seed: int) -> tuple[list[LoadResult], float]:
    """The load, its clients split over `servers`; each part's result and the wall time of all."""
    results: list[LoadResult] = []
    lock = threading.Lock()

    def part(server: GunicornServer, share: int, number: int) -> None:
        outcome = run_load(server.base_url, clients=share, requests_per_client=changes, distinct=256,
                           seed=seed * 100 + number, max_seconds=240)
        with lock:
            results.append(outcome)

    shares = [clients // len(servers) + (i < clients % len(servers)) for i in range(len(servers))]
    threads = [threading.Thread(target=part, args=(server, share, i))
               for i, (server, share) in enumerate(zip(servers, shares, strict=True))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - started


def report(label: str, results: list[LoadResult], wall: float) -> float:
    changes = sum(result.changes for result in results)
    latencies = [latency for result in results for latency in result.change_latencies]
    errors = sum(result.errors for result in results)
    busy = sum(result.busy for result in results)
    rate = changes / wall
    print(f"{label}: {changes} changes in {wall:.1f} s = {rate:.2f} changes/s; per change p50 "
          f"{percentile(latencies, 50) * 1000:.0f} ms, p95 {percentile(latencies, 95) * 1000:.0f} ms; "
          f"{errors} errors, {busy} busy answers sent again")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--changes", type=int, default=12)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="kmeans-scale-"))
    redis = RedisServer(root / "redis")
    redis.start()
    servers: list[GunicornServer] = []
    try:
        print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        servers.append(instance(redis, root, "a", (8300, 8349), cpus={0}))
        one = report("one machine (1 core)", *load_over(servers, args.clients, args.changes, seed=1))
        redis.client().flushall()
        servers.append(instance(redis, root, "b", (8350, 8399), cpus={1}))
        two = report("two machines (1 core each), one Redis", *load_over(servers, args.clients, args.changes, seed=2))
        print(f"capacity: {two / one:.2f}x the changes per second with the second machine")
        return 0
    finally:
        for server in servers:
            server.stop()
        redis.stop()


if __name__ == "__main__":
    sys.exit(main())
