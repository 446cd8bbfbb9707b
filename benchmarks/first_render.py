"""Where the dashboard's first render goes, against the naive baseline, in interleaved fresh loads.

    python benchmarks/first_render.py [--loads 9]

Starts the dashboard as deployed (gunicorn) and benchmarks/naive_app.py, then loads each in a new
browser context (cold HTTP cache), alternating which goes first, and times navigation -> map drawn
as benchmarks/speed.py does (benchmarks/user_timing.py). For the dashboard it also reads, from the
same load:

- scripts: navigation -> DOMContentLoaded, i.e. every script of the page (Dash's, Plotly's and
  ours) fetched and run, before Dash can ask for the layout;
- layout: navigation -> the `_dash-layout` response;
- drawn after layout: that response -> the map drawn (Dash's renderer, React, the lazy components,
  Plotly, the regions' layers);
- the points: in the loaded page, `Plotly.newPlot` of the map's own figure (its public `data` and
  `layout`, at the plot's size) timed with the samples and with its points trace emptied; the
  difference is what drawing the samples costs.

Prints the medians, the ratio to the baseline (issue 23's budget: >= 1.9x), and the ratio the
dashboard would reach if its points cost nothing: a bound on what any change to how the points are
drawn could win.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import (  # noqa: E402
    gunicorn_server,
    launch_browser,
    naive_server,
    print_footer,
    print_header,
    start_servers,
)
from benchmarks.user_timing import first_render  # noqa: E402

BUDGET = 1.9
PLOTS = 5  # newPlot runs per variant and load; the median is kept

# In the loaded page: newPlot of the map's figure into a detached div of the plot's size, with and
# without its points, alternating; medians in ms.
TIME_POINTS = """async (plots) => {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    const {width, height} = gd.getBoundingClientRect();
    const empty = gd.data.map(trace => ({...trace, x: [], y: [], customdata: [],
                                         marker: {...trace.marker, color: []}}));
    const times = {with: [], without: []};
    for (let i = 0; i < plots; i++) {
        for (const [name, data] of [['with', gd.data], ['without', empty]]) {
            const div = document.createElement('div');
            Object.assign(div.style, {width: `${width}px`, height: `${height}px`,
                                      position: 'absolute', left: '-9999px'});
            document.body.appendChild(div);
            const start = performance.now();
            await Plotly.newPlot(div, data, gd.layout);
            times[name].push(performance.now() - start);
            Plotly.purge(div);
            div.remove();
        }
    }
    const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    return {with: median(times.with), without: median(times.without), points: gd.data[0].x.length};
}"""

def time_points(page) -> dict:
    return {"plot": page.evaluate(TIME_POINTS, PLOTS)}


def report(loads: dict[str, list[dict]]) -> None:
    dash, naive = loads["dashboard"], loads["naive"]

    def median(values) -> float:
        return statistics.median(values)

    first, baseline = median(x["first_map_ms"] for x in dash), median(x["first_map_ms"] for x in naive)
    scripts, layout = median(x["dom_content_loaded_ms"] for x in dash), median(x["layout_ms"] for x in dash)
    after = median(x["first_map_ms"] - x["layout_ms"] for x in dash)
    with_points, without = median(x["plot"]["with"] for x in dash), median(x["plot"]["without"] for x in dash)
    points = with_points - without
    print(f"\nFirst render, navigation -> map drawn ({len(dash)} fresh loads each, interleaved):")
    print(f"  dashboard {first:.0f} ms, baseline {baseline:.0f} ms: {baseline / first:.2f}x "
          f"(budget >= {BUDGET:g}x: {'met' if baseline / first >= BUDGET else 'NOT met'})")
    print(f"  dashboard, its parts (medians): scripts fetched and run {scripts:.0f} ms; layout answered at "
          f"{layout:.0f} ms; layout -> map drawn {after:.0f} ms")
    print(f"  Plotly.newPlot of the map's figure in the loaded page: {with_points:.1f} ms with its "
          f"{dash[0]['plot']['points']} points, {without:.1f} ms without: the points cost {points:.1f} ms")
    bound = first - points
    print(f"  were the points free: {bound:.0f} ms, {baseline / bound:.2f}x the baseline")
    print("\n  each load, dashboard (first / scripts / layout ms):",
          ", ".join(f"{x['first_map_ms']:.0f}/{x['dom_content_loaded_ms']:.0f}/{x['layout_ms']:.0f}" for x in dash))
    print("  each load, baseline:", ", ".join(f"{x['first_map_ms']:.0f}" for x in naive))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loads", type=int, default=9, help="fresh loads per app (default 9)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print_header("First render: where the dashboard's goes, against the naive baseline", {"dashboard": REPO})
    from playwright.sync_api import sync_playwright

    servers = {"dashboard": gunicorn_server("dashboard", REPO), "naive": naive_server()}
    loads: dict[str, list[dict]] = {name: [] for name in servers}
    try:
        start_servers(servers)
        with sync_playwright() as playwright:
            browser = launch_browser(playwright)
            try:
                measure = {"dashboard": time_points, "naive": None}
                for name, server in servers.items():  # one load each, not counted: the servers' first page
                    first_render(browser, server.url, measure[name])
                for index in range(args.loads):
                    for name in (list(servers) if index % 2 == 0 else list(reversed(servers))):
                        loads[name].append(first_render(browser, servers[name].url, measure[name]))
            finally:
                browser.close()
    finally:
        for server in servers.values():
            server.stop()
    report(loads)
    print_footer(started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
