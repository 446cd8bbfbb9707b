"""How long a hover on the map takes to show the digit tooltip, and whether it asks the server.

    python benchmarks/tooltip.py          # 30 hovers over isolated digits, one page

Starts the app (gunicorn, as deployed), opens it in headless Chromium at 1440x900, and for each
hover records, in the page, the time from Plotly's `plotly_hover` event to the tooltip's digit
being on screen (a MutationObserver, then the next animation frame: painted). Prints the median,
the 90th percentile and the maximum, the callback requests sent during the hovers (expected 0)
and the sprite sheet's size on the wire. Target (issue 9): tooltip shown <= 50 ms after the hover.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.harness import Server, machine
from benchmarks.headless import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from core import data

HOVERS = 30
INSTRUMENT = """() => {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    window.__tooltipTimes = [];
    let hoveredAt = null;
    gd.on('plotly_hover', () => { hoveredAt = performance.now(); });
    const tooltip = document.querySelector('#digit-tooltip');
    new MutationObserver(() => {
        const body = tooltip.querySelector('.tooltip-body');
        if (hoveredAt !== null && body && body.offsetParent !== null) {
            const started = hoveredAt; hoveredAt = null;
            requestAnimationFrame(() => window.__tooltipTimes.push(performance.now() - started));
        }
    }).observe(tooltip, {subtree: true, childList: true, attributes: true, characterData: true});
}"""
POINT_ON_SCREEN = """(index) => {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    const box = gd.querySelector('.nsewdrag').getBoundingClientRect();
    return [box.left + gd._fullLayout.xaxis.d2p(gd.data[0].x[index]),
            box.top + gd._fullLayout.yaxis.d2p(gd.data[0].y[index])];
}"""


def isolated_points(count: int) -> list[int]:
    reduced = data.load().reduced
    found = []
    for index in range(len(reduced)):
        gaps = ((reduced - reduced[index]) ** 2).sum(axis=1)
        gaps[index] = 1.0
        if gaps.min() > 0.3 ** 2:
            found.append(index)
        if len(found) == count:
            break
    return found


def main() -> None:
    from playwright.sync_api import sync_playwright

    server = Server("project", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "app:server"], "/health")
    server.start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            sprite_bytes = []
            page.on("response", lambda r: sprite_bytes.append(int(r.headers.get("content-length", 0)))
                    if "digit-sprite.png" in r.url else None)
            page.goto(server.url + "/")
            page.wait_for_selector("#metrics-table tr[data-init]")
            page.wait_for_function("() => !!document.querySelector('#boundary-graph .js-plotly-plot')._fullLayout")
            time.sleep(1.0)
            page.evaluate(INSTRUMENT)
            requests = []
            page.on("request", lambda r: requests.append(r.url) if "_dash-update-component" in r.url else None)
            for index in isolated_points(HOVERS):
                page.mouse.move(*page.evaluate(POINT_ON_SCREEN, index))
                time.sleep(0.25)
                page.mouse.move(5, 5)
                time.sleep(0.15)
            times = page.evaluate("() => window.__tooltipTimes")
            browser.close()
    finally:
        server.stop()
    times.sort()
    print("Tooltip benchmark:", machine())
    print(f"  hovers: {HOVERS}, tooltips shown: {len(times)}")
    if times:
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        print(f"  plotly_hover -> tooltip painted (ms): median {statistics.median(times):.1f}, "
              f"p90 {p90:.1f}, max {times[-1]:.1f}   target <= 50")
    print(f"  callback requests during the hovers: {len(requests)} (target 0)")
    print(f"  sprite sheet on the wire: {sum(sprite_bytes):,} bytes (target <= 60,000), fetched {len(sprite_bytes)}×")


if __name__ == "__main__":
    main()
