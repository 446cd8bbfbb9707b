"""Speed benchmark: the dashboard against a naive one-callback baseline, side by side.

    python benchmarks/speed.py            # full run, 1.5-2.5 min on 2 cores
    python benchmarks/speed.py --quick    # fewer repetitions, about 1 min
    python benchmarks/speed.py --json out.json --project-cmd "python app.py"   # the dev server instead

Starts each app as a subprocess on a free loopback port (the project: gunicorn with
gunicorn.conf.py, as deployed; the
baseline: `benchmarks/naive_app.py`, by default with the same one-thread OpenMP/BLAS pools as
app.py sets, see --naive-env), waits for /health, then, for each:

- browser (headless Chromium through Playwright, 1440x900):
  * first render: navigation start -> first `plotly_afterplot` of the map with data, each
    load in a fresh browser context (cold HTTP cache); median of several loads;
  * change -> render: n-init set to 11, 12, 13, ... at seed 100, which no other series uses
    (configurations never computed before; with --with-job, the same at seed 101).
    A change may send several callback requests, at once or chained (the project: the map
    with the settings message, then the table once the map has answered); it is timed from
    the first request sent (a wrapped `window.fetch`) to the map's first `plotly_afterplot`
    (or `plotly_react`, which a layout-only Plotly.react emits alone) after the map's
    response arrived; and to the last response of the change (the table, for the project).
    Also from the input event (so including the project's deliberate 350 ms typing
    debounce), and the debounce itself;
  * bytes of the callback responses of one change (all callbacks): as transferred
    (Playwright `request.sizes()`, encoded, with the Content-Encoding Chromium negotiated)
    and decoded;
- server: POSTs to /_dash-update-component with `requests` and the browser's Accept-Encoding,
  the callbacks of a change played as the renderer does (those the controls trigger at once,
  then those their answers trigger; see load.run_change); wall time until the last has
  answered: a fresh configuration (a new random seed at n_init 10: all three table rows and
  the map refitted) and a repeat of one already seen;
- in process (project only, in a child that imports app.py first, so with its thread
  settings): `benchmark_inits` and `plane_map` after `cache_clear()`.

Prints a pandas table (project vs baseline vs target, medians, pass/fail), the ratios, the
date and machine, and per-sample breakdowns (where the change and first-load time goes).
`--json PATH` saves every raw sample. See also profile_browser.py.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `python benchmarks/speed.py` puts benchmarks/, not the repo, on the path

from benchmarks.browser_timing import change_render, first_render

# Re-exported for profile_browser.py.
from benchmarks.harness import CHANGE_STATE_JS, INIT_JS, LOAD_TIMEOUT_MS, Server, machine  # noqa: F401
from benchmarks.headless import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: F401
from benchmarks.report import print_details, summarise
from benchmarks.server_timing import core_in_process, server_times
from benchmarks.user_timing import TARGETS as USER_TARGETS
from benchmarks.user_timing import drive, summary

# ---------------------------------------------------------------------------------------------
# one app


# The request-timed series (n_init 11, 12, ...) run at seeds no other series uses, so that every
# change is a fit never computed before (user_timing's series use seeds 0 to ~10): idle, and while a
# background job runs. The same n_init values at equal cost, both fresh: a like-for-like comparison.
IDLE_SEED, JOB_SEED = 100, 101
JOB_SEEDS = 100  # a seed-stability run of 100 seeds: long enough (~30 s) to outlast every timed change


def start_job(page) -> None:
    """Start a seed-stability run (JOB_SEEDS seeds at the page's k and n_init: a background job of
    ~30 s) and wait until it reports progress. (A k sweep, k 2-30, ended after 4 of 9 changes.)"""
    page.fill("#stability-seeds", str(JOB_SEEDS))
    page.click("#stability-run")
    page.wait_for_function(
        "() => { const p = document.querySelector('#stability-progress-text');"
        " return p && /\\d+ of \\d+/.test(p.textContent); }", timeout=30_000)


def measure_app(server: Server, browser, args) -> dict:
    result = {"startup_s": None}
    try:
        server.start()
        result["startup_s"] = server.startup_s
        print(f"  {server.name}: up on {server.url} after {server.startup_s:.1f} s", flush=True)
        result["first_render"] = first_render(browser, server.url, args.loads)
        print(
            f"  {server.name}: first render {[round(s, 3) for s in result['first_render']['samples_s']]} s",
            flush=True,
        )
        result["user"] = {}
        for form in ("back_to_back", "paused") if not args.quick else ("back_to_back",):
            result["user"][form] = drive(browser, server.url, server.name, args.values, paused=form == "paused")
            print(f"  {server.name}: {form} change->map "
                  f"{[(r['control'], round(r['map_ms'] or -1)) for r in result['user'][form]]} ms", flush=True)
        result["change"] = change_render(browser, server.url, list(range(11, 11 + args.changes)), seed=IDLE_SEED)
        print(
            f"  {server.name}: change->render "
            f"{[round(r['request_to_render_ms']) for r in result['change']['rows']]} ms",
            flush=True,
        )
        naive = server.name != "project"
        if args.with_job and not naive:
            # The same kind of change while a seed-stability run (a background job) runs in that page.
            result["change_with_job"] = change_render(
                browser, server.url, list(range(11, 11 + args.changes)), seed=JOB_SEED, before=start_job,
                still_running="() => !document.querySelector('#stability-cancel').hidden")
            print(
                f"  {server.name}: change->render while a stability job runs "
                f"{[round(r['request_to_render_ms']) for r in result['change_with_job']['rows']]} ms; "
                f"the job still running after {sum(r['still_running'] for r in result['change_with_job']['rows'])}"
                f" of {len(result['change_with_job']['rows'])} changes",
                flush=True,
            )
        result["server"] = server_times(
            server.url,
            result["change"]["accept_encoding"],
            args.naive_fresh if naive else args.fresh,
            args.naive_fresh if naive else args.repeat,
        )
        print(
            f"  {server.name}: server fresh {[round(r['ms']) for r in result['server']['fresh']]} ms, "
            f"repeat {[round(r['ms'], 1) for r in result['server']['repeat']]} ms",
            flush=True,
        )
    finally:
        server.stop()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (5 changes, 3 page loads)")
    parser.add_argument("--with-job", action="store_true",
                        help="also time the project's changes while a seed-stability background job runs")
    parser.add_argument("--json", type=Path, help="also save every raw sample to this JSON file")
    parser.add_argument(
        "--project-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the project server (e.g. OMP_NUM_THREADS=2); repeatable",
    )
    parser.add_argument("--no-core", action="store_true", help="skip the in-process core timing")
    parser.add_argument(
        "--naive-env",
        action="append",
        default=["OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"],
        metavar="KEY=VALUE",
        help="environment for the baseline; by default the same one-thread OpenMP/BLAS pools as "
        "app.py sets, so the comparison is of designs, not thread settings (add "
        "OMP_NUM_THREADS=2 to override); repeatable",
    )
    parser.add_argument(
        "--project-cmd",
        # What production runs (see gunicorn.conf.py); `--project-cmd "python app.py"` for the dev server.
        default=f"{sys.executable} -m gunicorn -c gunicorn.conf.py app:server",
        help="command serving the project on $HOST:$PORT (default: %(default)s), "
        "e.g. 'gunicorn -c gunicorn.conf.py app:server'",
    )
    args = parser.parse_args(argv)
    args.loads, args.changes, args.fresh, args.repeat, args.naive_fresh, args.core_reps = (
        (3, 5, 5, 7, 3, 3) if args.quick else (5, 9, 9, 15, 5, 7)
    )
    args.values = 7  # fresh values per control, as issue 13 asks (>= 7)

    info = machine()
    print("Speed benchmark: K-means digits dashboard vs naive baseline")
    for key, value in info.items():
        print(f"  {key}: {value}")
    print(
        f"  defaults: k=10, n_init=10, seed 0, h=0.02, k-means++; {args.changes} changes, "
        f"{args.loads} page loads{' (--quick)' if args.quick else ''}",
        flush=True,
    )

    from playwright.sync_api import sync_playwright

    project_env = dict(item.split("=", 1) for item in args.project_env)
    if args.with_job:  # an empty job store, so the sweep really runs (results are kept 24 h)
        project_env.setdefault("JOBS_CACHE_DIR", tempfile.mkdtemp(prefix="speed-jobs-"))
    project = Server("project", shlex.split(args.project_cmd), "/health", project_env)
    naive_env = dict(item.split("=", 1) for item in args.naive_env)
    naive = Server("naive", [sys.executable, str(REPO / "benchmarks" / "naive_app.py")], "/health", naive_env)
    started = time.perf_counter()
    results = {"machine": info, "project_env": project_env, "naive_env": naive_env, "args": vars(args)}
    try:
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
                try:
                    results["project"] = measure_app(project, browser, args)
                    results["naive"] = measure_app(naive, browser, args)
                finally:
                    browser.close()
        finally:
            project.stop()
            naive.stop()
        results["core"] = None if args.no_core else core_in_process(args.core_reps)
    finally:
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, default=str))

    table, ratios = summarise(results["project"], results["naive"], results["core"])
    with pd.option_context(
        "display.max_colwidth", 100, "display.width", 220, "display.float_format", "{:,.2f}".format
    ):
        print(
            f"\nResults (medians) - {info['date']} - nproc {info['nproc']} - {info['cpu']} - project: {args.project_cmd}"
            f" - load avg at start {info['load average (1/5/15 min) at start']}"
            f"{' - project env ' + str(project_env) if project_env else ''} - baseline env {naive_env}"
        )
        print(table.to_string(index=False))
        print()
        print(ratios.to_string(index=False))
        if "change_with_job" in results["project"]:
            # Like for like: the changes made while the job ran, against the idle changes to the same n_init.
            running = [r for r in results["project"]["change_with_job"]["rows"] if r["still_running"]]
            values = {r["n_init"] for r in running}
            idle_rows = [r for r in results["project"]["change"]["rows"] if r["n_init"] in values]
            idle = median([r["request_to_render_ms"] for r in idle_rows]) if idle_rows else float("nan")
            busy = median([r["request_to_render_ms"] for r in running]) if running else float("nan")
            print(f"\nchange -> map re-rendered while a seed-stability job runs (n_init {sorted(values)} at seed"
                  f" {JOB_SEED}, the changes made while it ran; idle: the same n_init at seed {IDLE_SEED}): "
                  f"{busy:.1f} ms vs {idle:.1f} ms idle (x{busy / idle:.2f}; budget <= x1.5)")
        user = pd.DataFrame(summary(results["project"], results["naive"]))
        print("\nAs a user drives it: each control's gesture -> map re-rendered / table updated (medians, ms),"
              " project vs baseline in this run")
        print(user.to_string(index=False))
        first = [median(app["first_render"]["samples_s"]) for app in (results["project"], results["naive"])]
        print(f"first render, navigation -> map drawn: project {first[0]:.2f} s, baseline {first[1]:.2f} s, "
              f"{first[1] / first[0]:.2f}x (target >= {USER_TARGETS['first_render_speedup']:g}x)")
        print_details(results)
    print(
        f"\nserver start-up: project {results['project']['startup_s']:.1f} s, naive "
        f"{results['naive']['startup_s']:.1f} s; benchmark wall time {time.perf_counter() - started:.0f} s"
    )
    if args.json:
        print(f"raw samples: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
