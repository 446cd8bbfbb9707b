"""The background jobs under restarts and crowds, measured against real gunicorn (2 web workers,
the embedded job worker), on free loopback ports in a temporary directory:

    python benchmarks/jobs_restarts.py
    python benchmarks/jobs_restarts.py --pages 40 --addresses 10 --traffic-seconds 8

1. What `--pages` pages pressing Run at once see, with the default caps (per page, per client,
   queue max), from `--addresses` client addresses (X-Forwarded-For with TRUSTED_PROXIES=1, as
   behind nginx): how many run, wait (and at which places), are refused (and why); how long the
   presses took; then how long until every accepted job is done.
2. HUP with a job running, while other users load /health and change the map (a fresh fit each):
   their requests in the window, failures, the slowest, and the longest gap between two answers.
3. max_requests recycling (`--max-requests`) with a job running: the same figures.
4. SIGTERM with a job running: seconds until gunicorn has exited (with its job worker), until the
   port binds, until a new gunicorn on it answers, and until the job's page is told it was lost.

Bounded: loopback only; every wait has a deadline; a few hundred requests in all.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import os
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.conftest import wait_until  # noqa: E402
from tests.integration.jobs_client import (  # noqa: E402
    LONG,
    OUTLASTS_THE_TEST,
    SHORT,
    Dashboard,
    Page,
    Traffic,
    applied,
    serve,
    wait_for_job_worker,
    web_workers,
)
from tests.processes import command_line, descendants  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def crowd(dashboard: Dashboard, pages: int, addresses: int) -> None:
    crowd_pages = [Page(dashboard, forwarded_for=f"10.40.0.{n % addresses + 1}", applied=applied(seed=9000 + n))
                   for n in range(pages)]
    barrier, answers = threading.Barrier(pages), [None] * pages

    def press(n: int) -> None:
        barrier.wait()
        started = time.monotonic()
        answers[n] = (crowd_pages[n].run(**SHORT, timeout_s=60), time.monotonic() - started)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(pages)]
    pressed = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    seen = collections.Counter(answer.shows("k-sweep") for answer, _ in answers)
    places = collections.Counter(answer.waiting("k-sweep") for answer, _ in answers
                                 if answer.shows("k-sweep") == "queued")
    reasons = collections.Counter(answer.message("k-sweep").split(":")[0] for answer, _ in answers
                                  if answer.shows("k-sweep") == "refused")
    times = sorted(seconds for _, seconds in answers)
    print(f"\n{pages} pages from {addresses} client addresses pressing Run at once (default caps):")
    others = {state: count for state, count in seen.items() if state not in ("running", "queued", "refused", "done")}
    print(f"  running {seen['running']}, waiting {seen['queued']}, refused {seen['refused']}, "
          f"answered at once from a stored result {seen['done']}, anything else {others or 0}")
    in_line = sorted(places.items(), key=lambda item: int("0" + "".join(filter(str.isdigit, item[0]))))
    print(f"  places: {', '.join(f'{count}× {place}' for place, count in in_line)}")
    for reason, count in reasons.items():
        print(f"  refused {count}×: {reason}")
    print(f"  the presses' answers: median {_ms(statistics.median(times))}, slowest {_ms(times[-1])}")
    accepted = [page for page, (answer, _) in zip(crowd_pages, answers)
                if answer.shows("k-sweep") in ("queued", "running")]
    finals = collections.Counter(page.poll_until("k-sweep", {"done", "lost", "failed"}, 180).shows("k-sweep")
                                 for page in accepted)
    print(f"  every accepted job ended {time.monotonic() - pressed:.1f} s after the presses: {dict(finals)}")


def _gap(requests_, start: float, end: float) -> float:
    """The longest time in [start, end] with no answer arriving."""
    answered = sorted(r.started + r.seconds for r in requests_ if r.status is not None)
    marks = [start] + [t for t in answered if start <= t <= end] + [end]
    return max(b - a for a, b in zip(marks, marks[1:]))


def report_window(name: str, traffic: Traffic, start: float, end: float) -> None:
    """The traffic's requests started in [start, end]; and, if there were any, those before it."""
    window, before = traffic.between(start, end), traffic.between(0, start)
    failed = [r for r in window if r.status != 200]
    resent = [r for r in window if r.resent]
    print(f"\n{name}: {len(window)} requests in {end - start:.1f} s, failed {len(failed)}, sent again after a "
          f"dropped connection {len(resent)}")
    line = (f"  slowest {_ms(max((r.seconds for r in window), default=0))}, longest gap between answers "
            f"{_ms(_gap(traffic.requests, start, end))}")
    if before:
        first = min(r.started for r in before)
        line += (f" (before it, {len(before)} requests: slowest {_ms(max(r.seconds for r in before))}, "
                 f"longest gap {_ms(_gap(traffic.requests, first, start))})")
    print(line)


def with_running_job(dashboard: Dashboard, seed: int) -> Page:
    page = Page(dashboard, applied=applied(n_init=8, seed=seed))
    page.run(**LONG)
    page.until_running()
    return page


def hup(server, dashboard: Dashboard, seconds: float) -> None:
    page = with_running_job(dashboard, 9101)
    with Traffic(dashboard) as traffic:
        time.sleep(seconds / 2)  # the baseline: traffic before the HUP
        before, hupped = set(web_workers(server.pid)), time.monotonic()
        os.kill(server.pid, signal.SIGHUP)
        wait_until(lambda: not before & set(web_workers(server.pid)), 90, 0.2, "every web worker replaced")
        replaced = time.monotonic() - hupped
        time.sleep(seconds / 2)
        end = time.monotonic()
    report_window("HUP with a job running", traffic, hupped, end)
    print(f"  every web worker replaced {replaced:.1f} s after the HUP; the job: "
          f"{page.poll_until('k-sweep', {'done', 'lost', 'failed'}, 180).shows('k-sweep')}")


def recycling(server, dashboard: Dashboard, seconds: float) -> None:
    page = with_running_job(dashboard, 9102)
    recycled_before = server.log().count("Autorestarting worker")
    with Traffic(dashboard) as traffic:
        start = time.monotonic()
        time.sleep(seconds)
        end = time.monotonic()
    recycled = server.log().count("Autorestarting worker") - recycled_before
    report_window(f"max_requests recycling with a job running ({recycled} workers recycled)", traffic, start, end)
    print(f"  the job: {page.poll_until('k-sweep', {'done', 'lost', 'failed'}, 180).shows('k-sweep')}")


def sigterm(server, dashboard: Dashboard, directory: Path, env: dict, port: int) -> None:
    page = Page(dashboard, applied=applied(seed=9103, **OUTLASTS_THE_TEST))
    page.run(**LONG)
    page.until_running()
    ours = {pid: command_line(pid) for pid in descendants(server.pid)}
    signalled = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(120)
    exited = time.monotonic() - signalled
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    bound = time.monotonic() - signalled
    left = [pid for pid, command in ours.items() if command and command_line(pid) == command]
    replacement, _ = serve(directory, env, port)
    answering = time.monotonic() - signalled
    try:
        answer = page.poll_until("k-sweep", {"lost", "failed", "done"}, 120)
        told = time.monotonic() - signalled
    finally:
        replacement.stop()
    print(f"\nSIGTERM with a job running: gunicorn and its job worker exited after {exited:.1f} s "
          f"({len(left)} of its {len(ours)} processes still there then); the port bound at {bound:.1f} s;")
    print(f"  a new gunicorn answered at {answering:.1f} s; the job's page was told "
          f"'{answer.shows('k-sweep')}' at {told:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=40)
    parser.add_argument("--addresses", type=int, default=10)
    parser.add_argument("--traffic-seconds", type=float, default=8.0)
    parser.add_argument("--max-requests", type=int, default=80)
    args = parser.parse_args()
    print(f"benchmarks/jobs_restarts.py  {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC  "
          f"load average {os.getloadavg()[0]:.2f}, {len(os.sched_getaffinity(0))} cores")
    with tempfile.TemporaryDirectory(prefix="jobs-restarts-") as root:
        first = Path(root) / "defaults"
        first.mkdir()
        server, base = serve(first, {"WEB_CONCURRENCY": "2", "TRUSTED_PROXIES": "1"})
        try:
            wait_for_job_worker(base)
            dashboard = Dashboard(base)
            crowd(dashboard, args.pages, args.addresses)
            hup(server, dashboard, args.traffic_seconds)
        finally:
            server.stop()
        second, port = Path(root) / "recycling", None
        second.mkdir()
        recycle = f"--max-requests {args.max_requests} --max-requests-jitter {args.max_requests // 4}"
        env = {"WEB_CONCURRENCY": "2", "SECRET_KEY": os.urandom(16).hex(), "GUNICORN_CMD_ARGS": recycle}
        server, base = serve(second, env)
        try:
            port = int(base.rsplit(":", 1)[1])
            wait_for_job_worker(base)
            dashboard = Dashboard(base)
            recycling(server, dashboard, args.traffic_seconds * 2)
            sigterm(server, dashboard, second, env, port)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
