"""Slowloris against the served app: N connections that send their headers a few bytes at a time and
never finish, then a normal client loading the page (index, layout, dependencies, the main scripts).

    python benchmarks/slowloris.py --spawn                 # gunicorn as the image runs it
    python benchmarks/slowloris.py --url http://127.0.0.1:8080   # anything already running (a proxy)

Bounded: the slow connections live for --seconds (default 20) and the script then closes them.
Loopback only. Prints the page-load times and the verdict against the target (≤ 2 s).
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import GunicornServer
from benchmarks.services import free_port_in

TARGET_S = 2.0


def slow_connections(host: str, port: int, count: int, stop: threading.Event) -> list[socket.socket]:
    """Open `count` connections that each send a request line and then one header byte every 2 s."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n")
        sockets.append(sock)

    def trickle():
        while not stop.wait(2.0):
            for sock in sockets:
                try:
                    sock.sendall(b"X")  # a header name that never ends
                except OSError:
                    pass

    threading.Thread(target=trickle, daemon=True).start()
    return sockets


def page_load(base_url: str) -> float:
    """Seconds for what the browser needs before it draws: index, its scripts, layout, dependencies."""
    started = time.monotonic()
    index = requests.get(base_url + "/", timeout=30)
    index.raise_for_status()
    scripts = re.findall(r'<script src="([^"]+dash_renderer[^"]*|[^"]+plotly-basic[^"]*)"', index.text)
    for path in ["/_dash-layout", "/_dash-dependencies", *scripts[:2]]:
        requests.get(base_url + path if path.startswith("/") else path, timeout=30).raise_for_status()
    return time.monotonic() - started


def run(base_url: str, connections: int, seconds: float) -> dict:
    host, port = base_url.split("//", 1)[1].split(":")
    idle = [page_load(base_url) for _ in range(3)]
    stop = threading.Event()
    sockets = slow_connections(host, int(port), connections, stop)
    loads, failures = [], 0
    deadline = time.monotonic() + seconds
    time.sleep(1.0)  # the slow connections are accepted and stuck before the first load
    while time.monotonic() < deadline:
        try:
            loads.append(page_load(base_url))
        except requests.RequestException as error:
            failures += 1
            loads.append(float("inf"))
            print(f"  page load failed: {type(error).__name__}", flush=True)
        time.sleep(0.5)
    stop.set()
    for sock in sockets:
        sock.close()
    return {"idle": idle, "loads": loads, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--spawn", action="store_true", help="start gunicorn -c gunicorn.conf.py app:server")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    server = None
    if args.spawn:
        server = GunicornServer(log_path=Path("/tmp") / f"slowloris-gunicorn-{time.time_ns()}.log")
        server.port = free_port_in(8300, 8399)
        server.base_url = f"http://127.0.0.1:{server.port}"
        server.env["PORT"] = str(server.port)
        server.start()
        base_url = server.base_url
    elif args.url:
        base_url = args.url.rstrip("/")
    else:
        parser.error("--spawn or --url")
    try:
        result = run(base_url, args.connections, args.seconds)
    finally:
        if server is not None:
            server.stop()
    loads = result["loads"]
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {base_url}  {args.connections} slow connections")
    print(f"page load idle: median {statistics.median(result['idle']) * 1000:.0f} ms")
    print(f"page load under slowloris: {len(loads)} loads, median {statistics.median(loads):.2f} s, "
          f"max {max(loads):.2f} s, {result['failures']} failed")
    met = max(loads) <= TARGET_S
    print(f"target every load ≤ {TARGET_S:.0f} s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
