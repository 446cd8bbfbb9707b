"""Issue 22's figure: the table back to back at k 17, n_init 17, this checkout against another one,
in interleaved rounds of one run.

    git worktree add /tmp/base-36736e2 36736e2          # the code to compare with
    python benchmarks/ab.py /tmp/base-36736e2 [--rounds 6] [--clicks 7]

Starts both checkouts as deployed (each under gunicorn with its own gunicorn.conf.py, a SECRET_KEY
made here and a private jobs directory), keeps one page of each open at k 17, n_init 17, and in
each round, on each page in turn (the order alternating round by round): the seed is typed (untimed,
a seed of that round's own, so every fit is new on both servers) and everything left to settle;
then a presenter clicks the seed's "+" `--clicks` times back to back (the next click as soon as the
map shows the previous one). Timed as benchmarks/user_timing.py times a change (public signals: the
captions, `plotly_afterplot` and the regions' picture, frame by frame):

- table: the last click -> the table showing the last click's settings (k, n_init, seed), and
  from the first click;
- map: each click -> the map drawn with its seed (it must not move);
- the table requests the page sent during the clicks (the callback with matched-accuracy among its
  outputs, in both versions), and how many tables it showed.

Prints the medians of both, the ratios (issue 22's budget: this checkout's table <= 1.5x the
other's), and every sample.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import gunicorn_server, launch_browser, print_footer, print_header, start_servers  # noqa: E402
from benchmarks.user_timing import AppPage  # noqa: E402

K, N_INIT = 17, 17
FIRST_SEED = 5000  # round r starts at 5000 + 100 r; both servers start empty, so every fit is new
BUDGET = 1.5
# Where a click's map time goes: to its request sent, to the answer's last byte, to the map drawn.
WHERE = {"to_request_ms": "click -> request", "request_ms": "request -> answer", "drawing_ms": "answer -> drawn"}


def clicks_round(page: AppPage, seed: int, clicks: int) -> dict:
    """One round on one page: the seed typed (untimed), then `clicks` back-to-back "+" clicks."""
    page.set_state(seed=seed)
    before = len(page.network.callbacks)
    records = page.series("seed", list(range(seed + 1, seed + clicks + 1)), paused=False)
    tables = [c for c in page.network.callbacks[before:] if "matched-accuracy.children" in c.output]
    first, last = records[0], records[-1]
    return {"table_ms": last["table_ms"], "from_first_ms": last["t0"] + last["table_ms"] - first["t0"],
            "map_ms": [r["map_ms"] for r in records], "table_requests": len(tables),
            "where": {key: [r.get(key) for r in records] for key in WHERE},
            "tables_shown": sum(r["table_ms"] is not None for r in records),
            "statuses": sorted({c.status for c in tables if c.status is not None})}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with (e.g. a worktree of 36736e2)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clicks", type=int, default=7)
    args = parser.parse_args()
    other = args.other.resolve()
    started = time.perf_counter()
    print_header(f"Issue 22: the table back to back at k {K}, n_init {N_INIT}, before and after",
                 {"before": other, "after": REPO})
    print(f"  plan: {args.rounds} rounds x {args.clicks} back-to-back clicks of the seed's \"+\" per app, "
          "interleaved (the order alternating by round)", flush=True)
    from playwright.sync_api import sync_playwright

    servers = {"before": gunicorn_server("before", other), "after": gunicorn_server("after", REPO)}
    results = {name: [] for name in servers}
    try:
        start_servers(servers)
        with sync_playwright() as playwright:
            browser = launch_browser(playwright)
            try:
                pages = {name: AppPage(browser, server, dashboard=True) for name, server in servers.items()}
                for page in pages.values():
                    page.set_state(k=K, n_init=N_INIT)
                for round_ in range(args.rounds):
                    for name in (list(pages) if round_ % 2 == 0 else list(reversed(pages))):
                        result = clicks_round(pages[name], FIRST_SEED + 100 * round_, args.clicks)
                        results[name].append(result)
                        print(f"  round {round_ + 1} {name:6}: last table {result['table_ms']:.0f} ms after the "
                              f"last click ({result['from_first_ms']:.0f} ms after the first); "
                              f"{result['table_requests']} table requests (HTTP {result['statuses']}), "
                              f"{result['tables_shown']} tables shown; "
                              f"map {[round(ms) for ms in result['map_ms']]} ms", flush=True)
                faults = {name: page.table_faults for name, page in pages.items()}
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()

    print(f"\nMedians over {args.rounds} rounds ({args.clicks} clicks each):")
    medians = {}
    for name, rounds in results.items():
        medians[name] = {
            "table": statistics.median(r["table_ms"] for r in rounds),
            "from_first": statistics.median(r["from_first_ms"] for r in rounds),
            "map": statistics.median(ms for r in rounds for ms in r["map_ms"]),
        }
        print(f"  {name:6} ({servers[name].cwd}): last click -> last table {medians[name]['table']:.0f} ms "
              f"(from the first click {medians[name]['from_first']:.0f} ms); click -> map drawn "
              f"{medians[name]['map']:.0f} ms; table requests per round "
              f"{statistics.median(r['table_requests'] for r in rounds):g}, tables shown "
              f"{statistics.median(r['tables_shown'] for r in rounds):g}; all last tables: "
              f"{', '.join(str(round(r['table_ms'])) for r in rounds)} ms")
        parts = [(label, [v for r in rounds for v in r["where"][key] if v is not None]) for key, label in WHERE.items()]
        print("         the map's time: " + ", ".join(f"{label} {statistics.median(values):.0f} ms"
                                                  for label, values in parts if values))
    table_ratio = medians["after"]["table"] / medians["before"]["table"]
    map_ratio = medians["after"]["map"] / medians["before"]["map"]
    print(f"  the back-to-back table: after / before = {table_ratio:.2f}x (budget <= {BUDGET:g}x): "
          f"{'met' if table_ratio <= BUDGET else 'NOT MET'}")
    print(f"  the map's change time: after / before = {map_ratio:.2f}x (it must not move)")
    print(f"  the table's server-fault box, seen while settling (then retried): {faults}")
    print_footer(started)


if __name__ == "__main__":
    main()
