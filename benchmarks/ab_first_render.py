"""First render of this checkout against another one (and/or the naive baseline), interleaved, in one run.

    git worktree add /tmp/base <commit>        # the code to compare with
    python benchmarks/ab_first_render.py /tmp/base [--loads 12] [--naive]
    python benchmarks/ab_first_render.py --naive          # this checkout against the naive baseline only

Starts each checkout under gunicorn (each with its own gunicorn.conf.py) and, with --naive, the
naive baseline (`benchmarks/naive_app.py`, as speed.py starts it), then loads each page in a
fresh browser context (cold cache, as a new user), alternating A, B, ... so that all see the
same machine noise, and prints the medians (navigation start -> first map drawn), where the
time went (HTML received, DOMContentLoaded, first callback sent) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.browser_timing import first_render
from benchmarks.harness import Server, machine
from benchmarks.headless import CHROMIUM, CHROMIUM_ARGS

# Like speed.py: the baseline gets the same one-thread OpenMP/BLAS pools as the project.
NAIVE_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


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
            for _ in range(args.loads):
                for name, server in servers.items():
                    samples[name] += first_render(browser, server.url + "/", 1)["breakdown"]
            browser.close()
    finally:
        for server in servers.values():
            server.stop()
    print("First render A/B:", machine())
    print(f"  load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())} "
          f"(start of loads: {' '.join(f'{v:.2f}' for v in load_at_start)})")
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
    for name, median in medians.items():
        if name != "this":
            print(f"  this / {name}: {medians['this'] / median:.3f}"
                  f"  ({name} / this: {median / medians['this']:.2f}x)")


if __name__ == "__main__":
    main()
