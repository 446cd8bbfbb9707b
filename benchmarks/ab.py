"""This checkout against another one (and/or the naive baseline), interleaved, in one run: first
render, or with --changes, change -> map re-rendered.

    git worktree add /tmp/base <commit>        # the code to compare with
    python benchmarks/ab.py /tmp/base [--loads 12] [--naive]
    python benchmarks/ab.py --naive          # this checkout against the naive baseline only
    python benchmarks/ab.py /tmp/base --naive --changes 4 --rounds 5

Starts each checkout under gunicorn (each with its own gunicorn.conf.py) and, with --naive, the
naive baseline (`benchmarks/naive_app.py`, as speed.py starts it), then, alternating A, B, ... so
that all see the same machine noise:

- first render: loads each page in a fresh browser context (cold cache, as a new user) and prints
  the medians (navigation start -> first map drawn), where the time went (HTML received,
  DOMContentLoaded, first callback sent) and the ratios;
- with --changes N: in each round, a fresh page moved to a seed of that round's own, then n_init
  set to 11, 12, ... (N values), each timed as speed.py's request-timed series (first request
  sent -> the map drawn). Every app refits the same configurations, each fresh on its server.
  Prints the medians, the ratios and each app's speed-up over the baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.browser_timing import change_render, first_render
from benchmarks.harness import Server, machine
from benchmarks.headless import CHROMIUM, CHROMIUM_ARGS

# Like speed.py: the baseline gets the same one-thread OpenMP/BLAS pools as the project.
NAIVE_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
CHANGE_SEED = 300  # --changes: round r runs at seed 300 + r, a seed none of the other benchmarks use


def gunicorn(name: str, checkout: Path, port: int) -> Server:
    return Server(name, [sys.executable, "-m", "gunicorn", "--chdir", str(checkout),
                         "-c", str(checkout / "gunicorn.conf.py"), "app:server"], "/health", port=port)


def naive(port: int) -> Server:
    return Server("naive", [sys.executable, str(REPO / "benchmarks" / "naive_app.py")], "/health",
                  NAIVE_ENV, port=port)


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, nargs="?", help="the checkout to compare with")
    parser.add_argument("--naive", action="store_true", help="also load the naive baseline")
    parser.add_argument("--loads", type=int, default=12)
    parser.add_argument("--changes", type=int, default=0,
                        help="time N n_init changes per round instead of first loads")
    parser.add_argument("--rounds", type=int, default=5, help="with --changes: rounds (fresh pages)")
    parser.add_argument("--port", type=int, default=0,
                        help="first of consecutive ports to serve on (default: free ones)")
    args = parser.parse_args()
    if args.other is None and not args.naive:
        parser.error("give a checkout to compare with, --naive, or both")
    from playwright.sync_api import sync_playwright

    port = iter(range(args.port, args.port + 3)) if args.port else iter([0, 0, 0])
    servers = {"this": gunicorn("this", REPO, next(port))}
    if args.other is not None:
        servers["other"] = gunicorn("other", args.other.resolve(), next(port))
    if args.naive:
        servers["naive"] = naive(next(port))
    where = {"this": REPO, "other": args.other, "naive": "benchmarks/naive_app.py"}
    samples: dict[str, list[dict]] = {name: [] for name in servers}
    load_at_start = os.getloadavg()
    try:
        for server in servers.values():
            server.start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for server in servers.values():  # one warm-up load each, not counted
                first_render(browser, server.url + "/", 1)
            if args.changes:
                values = list(range(11, 11 + args.changes))
                for round_ in range(args.rounds):
                    for name, server in servers.items():
                        samples[name] += change_render(browser, server.url, values, seed=CHANGE_SEED + round_)["rows"]
            else:
                for _ in range(args.loads):
                    for name, server in servers.items():
                        samples[name] += first_render(browser, server.url + "/", 1)["breakdown"]
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    if args.changes:
        report_changes(samples, where, load_at_start)
    else:
        report_first_render(samples, where, load_at_start)


def _print_header(title: str, load_at_start) -> None:
    print(title, machine())
    print(f"  load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"(start: {' '.join(f'{v:.2f}' for v in load_at_start)})")


def _print_ratios(medians: dict) -> None:
    for name, median in medians.items():
        if name != "this":
            print(f"  this / {name}: {medians['this'] / median:.3f}  ({name} / this: {median / medians['this']:.2f}x)")


def report_changes(samples: dict, where: dict, load_at_start) -> None:
    _print_header("Change -> map A/B:", load_at_start)
    medians = {}
    for name, rows in samples.items():
        times = [row["request_to_render_ms"] for row in rows]
        medians[name] = statistics.median(times)
        print(f"  {name:5} ({where[name]}): change -> map drawn, from the first request: median "
              f"{medians[name]:.1f} ms over {len(rows)} changes (request -> map response "
              f"{_median(row['map_request_to_response_ms'] for row in rows):.1f} ms); all: "
              f"{', '.join(f'{v:.0f}' for v in times)}")
    _print_ratios(medians)
    if "naive" in medians:
        for name, median in medians.items():
            if name != "naive":
                print(f"  speed-up of {name} over the baseline: {medians['naive'] / median:.2f}x")


def report_first_render(samples: dict, where: dict, load_at_start) -> None:
    _print_header("First render A/B:", load_at_start)
    medians = {}
    for name, rows in samples.items():
        first_map = [row["first_map"] / 1000 for row in rows]
        medians[name] = statistics.median(first_map)
        parts = {label: _median(row[key] for row in rows) for label, key in
                 (("HTML", "response_end"), ("DOMContentLoaded", "dom_content_loaded"),
                  ("first callback sent", "first_callback_sent"))}
        print(f"  {name:5} ({where[name]}): median {medians[name]:.3f} s over {len(rows)} loads; "
              f"all: {', '.join(f'{v:.2f}' for v in first_map)}")
        print("        medians: " + ", ".join(f"{label} {value:.0f} ms" for label, value in parts.items()
                                               if value is not None))
    _print_ratios(medians)


if __name__ == "__main__":
    main()
