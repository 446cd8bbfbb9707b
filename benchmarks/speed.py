"""Speed benchmark: the dashboard against the naive one-callback baseline, side by side, in
headless Chromium, driven as a person drives them (benchmarks/user_timing.py says how it is timed).

    python benchmarks/speed.py              # both forms, 7 values per control, 2 rounds, 7 first loads
    python benchmarks/speed.py --quick      # back to back only, 5 values, 1 round, 3 first loads: ~2 min
    python benchmarks/speed.py --with-job   # also: the dashboard's changes while a stability job runs

Starts the dashboard as deployed (gunicorn with gunicorn.conf.py, a SECRET_KEY made for the run, a
private jobs directory) and the baseline (benchmarks/naive_app.py, one OpenMP/BLAS thread as the
app), keeps one page of each open, and alternates between them, control by control, so that both
see the same machine. For each control (n_init, k, seed by their "+" buttons, the init method by
its labels, the mesh step typed and sent with Enter) a series of values, each a fit neither server
has made (each series starts, untimed, at a seed of its own), back to back (the next change as soon
as the map shows the previous) and paused (1.5 s after everything settled). Then first renders:
fresh page loads (cold HTTP cache), alternating between the apps.

Prints, medians side by side: change -> map drawn, table updated and table / map, KB and requests
per change, where the map's time went; first render; and issue 23's budgets, each met or not.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `python benchmarks/speed.py` puts benchmarks/, not the repo, on the path

from benchmarks.harness import (  # noqa: E402
    gunicorn_server,
    launch_browser,
    naive_server,
    print_footer,
    print_header,
    start_servers,
)
from benchmarks.user_timing import AppPage, first_render  # noqa: E402
from core.settings import limits  # noqa: E402

CONTROLS = ("n_init", "k", "seed", "init", "mesh")
# On the baseline's grid (its field has min 0.005 and step 0.005, and sends nothing off it).
MESH_STEPS = [round(0.005 + 0.01 * n, 3) for n in (2, 3, 5, 10, 20, 50, 1, 4, 6, 7)]
FINEST_STEP = limits("digits").mesh_range[0]  # the dashboard's finest: ~1.8 million cells, timed apart
BUDGETS = {"speed_up": 4.0, "mesh_ms": 40.0, "first_render": 1.9, "with_job": 1.5}
JOB_SEEDS = 100  # the stability job: 100 seeds (201 fits), long enough to outlast a series


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0, unit=""):
    return "-" if value is None else f"{value:,.{digits}f}{unit}"


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


# ---------------------------------------------------------------------------------------------
# the plan: every series from a state of its own, so that its fits are new on both servers


def series_plan(control: str, index: int, init_series: int, values: int) -> tuple[dict, list]:
    """(the untimed starting state, the values) of the `index`-th series of the run. Seeds are
    1000 apart per series; the init series run at a k of their own each (11, 12, ...), since the
    PCA-based fit does not depend on the seed."""
    start = {"init": "k-means++", "n_init": 10, "k": 10, "seed": 1000 * (index + 1), "mesh": 0.02}
    if control in ("n_init", "k"):
        return start, list(range(11, 11 + values))
    if control == "seed":
        return start, list(range(start["seed"] + 1, start["seed"] + 1 + values))
    if control == "init":
        return {**start, "k": 11 + init_series}, [("random", "PCA-based", "k-means++")[i % 3] for i in range(values)]
    return start, MESH_STEPS[:values]


def drive(pages: dict, forms: list[str], rounds: int, values: int) -> dict:
    """Every control's series on each app's page, alternating apps series by series."""
    out = {name: {form: [] for form in forms} for name in pages}
    index = init_series = 0
    for form in forms:
        for _ in range(rounds):
            for control in CONTROLS:
                start, series = series_plan(control, index, init_series, values)
                order = list(pages) if index % 2 == 0 else list(reversed(pages))
                for name in order:
                    page = pages[name]
                    page.set_state(**start)
                    extra = [FINEST_STEP] if control == "mesh" and page.dashboard else []
                    records = page.series(control, series + extra, paused=form == "paused")
                    out[name][form] += records
                    print(f"  {form:12} {name:9} {control:6} map "
                          f"{[round(r['map_ms']) for r in records]} ms; table "
                          f"{[None if r['table_ms'] is None else round(r['table_ms']) for r in records]} ms",
                          flush=True)
                index += 1
                init_series += control == "init"
    return out


def with_job(page: AppPage, values: int, first_index: int) -> dict:
    """n_init series on the dashboard idle, then while a stability job runs, at seeds of their own
    (the same fits' cost); and whether the job was still running at the end of its series."""
    page.page.wait_for_selector("#stability-run", timeout=60_000)
    start, series = series_plan("n_init", first_index, 0, values)
    page.set_state(**start)
    idle = page.series("n_init", series, paused=False)
    page.set_state(**series_plan("n_init", first_index + 1, 0, values)[0])
    page.page.fill("#stability-seeds", str(JOB_SEEDS))
    page.page.click("#stability-run")
    page.page.wait_for_function(
        "() => /\\d+ of \\d+/.test((document.querySelector('#stability-progress-text') || {}).textContent || '')",
        timeout=60_000)
    busy = page.series("n_init", series, paused=False)
    running = page.page.evaluate("() => !document.querySelector('#stability-cancel').hidden")
    progress = page.page.text_content("#stability-progress-text")
    if running:
        page.page.click("#stability-cancel")
        page.page.wait_for_function("() => document.querySelector('#stability-cancel').hidden", timeout=60_000)
    return {"idle": idle, "busy": busy, "running_at_end": running, "progress_at_end": progress}


# ---------------------------------------------------------------------------------------------
# report


def report(changes: dict, firsts: dict, job: dict | None, forms: list[str]) -> None:
    mine, base = changes["dashboard"], changes["naive"]
    print("\nAs a person drives it: gesture -> map drawn / table updated (medians, ms), dashboard vs baseline")
    header = (f"{'form':12} {'control':8} {'n':>3} {'map':>7} {'baseline':>9} {'speed-up':>9} {'table':>7} "
              f"{'table/map':>9} {'tables unseen':>13} {'KB/change':>9} {'base KB':>8} {'requests':>8}   "
              f"gesture->request / request->answer / answer->drawn")
    print(header)
    for form in forms:
        for control in CONTROLS:
            own = [r for r in mine[form] if r["control"] == control and r["value"] != FINEST_STEP]
            theirs = [r for r in base[form] if r["control"] == control]
            map_ms, base_ms = median(r["map_ms"] for r in own), median(r["map_ms"] for r in theirs)
            table_ms = median(r["table_ms"] for r in own)
            unseen = sum(r["table_ms"] is None for r in own) if control != "mesh" else None
            kb = sum(r["bytes"] for r in own) / len(own) / 1024
            base_kb = sum(r["bytes"] for r in theirs) / len(theirs) / 1024
            requests = sum(r["requests"] for r in own) / len(own)
            where = " / ".join(fmt(median(r.get(key) for r in own), 1)
                               for key in ("to_request_ms", "request_ms", "drawing_ms"))
            print(f"{form:12} {control:8} {len(own):>3} {fmt(map_ms, 1):>7} {fmt(base_ms, 1):>9} "
                  f"{fmt(base_ms / map_ms, 2, 'x'):>9} {fmt(table_ms, 1):>7} "
                  f"{fmt(table_ms / map_ms if table_ms else None, 2, 'x'):>9} "
                  f"{'' if unseen is None else f'{unseen} of {len(own)}':>13} {kb:>9.1f} {base_kb:>8.1f} "
                  f"{requests:>8.2f}   {where}")
        finest = [r["map_ms"] for r in mine[form] if r["control"] == "mesh" and r["value"] == FINEST_STEP]
        if finest:
            print(f"{'':12} mesh at the finest step {FINEST_STEP}: {fmt(median(finest), 1)} ms "
                  f"({sum(r['requests'] for r in mine[form] if r['value'] == FINEST_STEP and r['control'] == 'mesh')}"
                  f" requests)")

    first = {name: median(load["first_map_ms"] for load in loads) for name, loads in firsts.items()}
    print(f"\nFirst render, navigation start -> map drawn (fresh context, alternating; medians of "
          f"{len(firsts['dashboard'])} loads each): dashboard {first['dashboard']:.0f} ms, baseline "
          f"{first['naive']:.0f} ms")
    for name, loads in firsts.items():
        times = ", ".join(f"{load['first_map_ms']:.0f}" for load in loads)
        print(f"  {name:9} all: {times} ms; medians: HTML "
              f"{median(load['html_ms'] for load in loads):.0f} ms, DOMContentLoaded "
              f"{median(load['dom_content_loaded_ms'] for load in loads):.0f} ms, "
              f"{median(load['transferred_kb'] for load in loads):.0f} KB transferred")

    print("\nIssue 23's budgets (back to back, medians, side by side in this run):")
    b2b = "back_to_back"
    pooled = []
    for control in ("n_init", "k", "seed", "init"):
        own = median(r["map_ms"] for r in mine[b2b] if r["control"] == control)
        theirs = median(r["map_ms"] for r in base[b2b] if r["control"] == control)
        pooled.append((own, theirs))
        print(f"  {control:8} changes {theirs / own:5.2f}x the baseline ({own:.0f} vs {theirs:.0f} ms; "
              f"budget >= {BUDGETS['speed_up']:g}x): {met(theirs / own >= BUDGETS['speed_up'])}")
    own = median(r["map_ms"] for r in mine[b2b] if r["control"] in ("n_init", "k", "seed", "init"))
    theirs = median(r["map_ms"] for r in base[b2b] if r["control"] in ("n_init", "k", "seed", "init"))
    print(f"  all four changes {theirs / own:5.2f}x the baseline ({own:.0f} vs {theirs:.0f} ms; budget >= "
          f"{BUDGETS['speed_up']:g}x): {met(theirs / own >= BUDGETS['speed_up'])}")
    for form in forms:
        steps = [r for r in mine[form] if r["control"] == "mesh"]
        requests = sum(r["requests"] for r in steps)
        ms = median(r["map_ms"] for r in steps if r["value"] != FINEST_STEP)
        print(f"  mesh step ({form.replace('_', ' ')}): {requests} requests over {len(steps)} changes (the finest "
              f"included), {ms:.1f} ms (budget: no request, <= {BUDGETS['mesh_ms']:g} ms): "
              f"{met(requests == 0 and ms <= BUDGETS['mesh_ms'])}")
    ratio = first["naive"] / first["dashboard"]
    print(f"  first render {ratio:.2f}x the baseline ({first['dashboard']:.0f} vs {first['naive']:.0f} ms; "
          f"budget >= {BUDGETS['first_render']:g}x): {met(ratio >= BUDGETS['first_render'])}")

    if job is not None:
        idle, busy = median(r["map_ms"] for r in job["idle"]), median(r["map_ms"] for r in job["busy"])
        print(f"\nWhile a {JOB_SEEDS}-seed stability job runs: n_init change -> map drawn {busy:.1f} ms against "
              f"{idle:.1f} ms idle just before (x{busy / idle:.2f}; issue 10's budget <= x{BUDGETS['with_job']:g}: "
              f"{met(busy / idle <= BUDGETS['with_job'])}); table {fmt(median(r['table_ms'] for r in job['busy']), 1)}"
              f" ms against {fmt(median(r['table_ms'] for r in job['idle']), 1)} ms. The job was "
              f"{'still running' if job['running_at_end'] else 'NOT running any more'} after the last change "
              f"({job['progress_at_end']}).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="back to back only, 5 values, 1 round, 3 loads")
    parser.add_argument("--with-job", action="store_true",
                        help="also time the dashboard's changes while a seed-stability job runs")
    parser.add_argument("--values", type=int, help="values per control series (default 7; --quick 5)")
    parser.add_argument("--rounds", type=int, help="series per control and form (default 2; --quick 1)")
    parser.add_argument("--loads", type=int, help="first loads per app (default 7; --quick 3)")
    args = parser.parse_args(argv)
    forms = ["back_to_back"] if args.quick else ["back_to_back", "paused"]
    values, rounds, loads = (5, 1, 3) if args.quick else (7, 2, 7)
    values, rounds, loads = args.values or values, args.rounds or rounds, args.loads or loads

    started = time.perf_counter()
    print_header("Speed: the dashboard against the naive baseline, side by side", {"dashboard": REPO})
    print(f"  plan: {', '.join(forms)}; {rounds} round(s) of {values} values per control; {loads} first loads each"
          f"{'; with a stability job' if args.with_job else ''}", flush=True)
    from playwright.sync_api import sync_playwright

    servers = {"dashboard": gunicorn_server("dashboard", REPO), "naive": naive_server()}
    pages: dict[str, AppPage] = {}
    try:
        start_servers(servers)
        with sync_playwright() as playwright:
            browser = launch_browser(playwright)
            try:
                pages = {name: AppPage(browser, server, dashboard=name == "dashboard")
                         for name, server in servers.items()}
                changes = drive(pages, forms, rounds, values)
                job = with_job(pages["dashboard"], values, 100) if args.with_job else None
                faults = pages["dashboard"].table_faults
                for page in pages.values():
                    page.close()
                firsts = {name: [] for name in servers}
                for server in servers.values():  # one load each, not counted: the servers' first page
                    first_render(browser, server.url)
                for index in range(loads):
                    for name in (list(servers) if index % 2 == 0 else list(reversed(servers))):
                        firsts[name].append(first_render(browser, servers[name].url))
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
    report(changes, firsts, job, forms)
    print(f"\nthe dashboard's table showed its server-fault box {faults} time(s) during the run")
    print(f"\nserver start-up: dashboard {servers['dashboard'].startup_s:.1f} s, "
          f"baseline {servers['naive'].startup_s:.1f} s")
    print_footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
