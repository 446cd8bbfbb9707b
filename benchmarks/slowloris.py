"""Slowloris against the served app: N connections that send their headers a byte at a time and
never finish, then a normal client loading the page (index, layout, dependencies, the main scripts).

    python benchmarks/slowloris.py --spawn                        # the image's processes (supervisord)
    python benchmarks/slowloris.py --url http://127.0.0.1:8050    # anything already running (loopback)

`--spawn` starts the image's command, `supervisord -c deploy/supervisord.conf` (nginx in front of
gunicorn), with the Dockerfile's ENV on free loopback ports, and loads the page through nginx.
nginx cuts a connection whose headers have not all come within 10 s; the slow connections are
opened again as they are cut, so that N are open all along.

Bounded: the slow connections live for --seconds (default 20) and the script then closes them.
Loopback only. Prints the page-load times and the verdict against the target (≤ 2 s).
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.load import require_loopback  # noqa: E402

TARGET_S = 2.0


def _slow_socket(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n")
    return sock


def slow_connections(host: str, port: int, count: int, stop: threading.Event, every: float = 2.0,
                     reopen: bool = False) -> list[socket.socket]:
    """Open `count` connections that each send a request line and then one header byte every
    `every` s until `stop`; with `reopen`, a connection the server cut is opened again. The list
    holds the open sockets (replaced in place when reopened); close them after `stop`."""
    sockets = [_slow_socket(host, port) for _ in range(count)]

    def trickle():
        while not stop.wait(every):
            for index, sock in enumerate(sockets):
                try:
                    sock.sendall(b"X")  # a header name that never ends
                except OSError:
                    if reopen and not stop.is_set():
                        sock.close()
                        try:
                            sockets[index] = _slow_socket(host, port)
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
    parts = urlsplit(require_loopback(base_url))
    idle = [page_load(base_url) for _ in range(3)]
    stop = threading.Event()
    sockets = slow_connections(parts.hostname, parts.port or 80, connections, stop, every=1.0, reopen=True)
    loads, failures = [], 0
    deadline = time.monotonic() + seconds
    try:
        time.sleep(1.0)  # the slow connections are accepted and stuck before the first load
        while time.monotonic() < deadline:
            try:
                loads.append(page_load(base_url))
            except requests.RequestException as error:
                failures += 1
                loads.append(float("inf"))
                print(f"  page load failed: {type(error).__name__}", flush=True)
            time.sleep(0.5)
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
    return {"idle": idle, "loads": loads, "failures": failures}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--spawn", action="store_true", help="start the image's processes (supervisord)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    if not (1 <= args.connections <= 512 and 1 <= args.seconds <= 120):
        parser.error("connections 1..512, seconds 1..120")
    front = directory = None
    if args.spawn:
        from benchmarks.health_under_load import spawn_front

        front, directory = spawn_front()
        base_url = front.base
        print(f"nginx at {front.base} (supervisord)", flush=True)
    elif args.url:
        base_url = args.url.rstrip("/")
    else:
        parser.error("--spawn or --url")
    try:
        result = run(base_url, args.connections, args.seconds)
    finally:
        if front is not None:
            front.server.stop()
            shutil.rmtree(directory, ignore_errors=True)
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
