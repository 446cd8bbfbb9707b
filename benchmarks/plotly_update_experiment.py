"""How long Plotly itself takes to redraw the map for one change, by kind of update.

    python benchmarks/plotly_update_experiment.py [--reps 7]

Loads the project page, then calls Plotly directly on the map's graph div (no server, no
Dash, no network) and times, median over reps, (1) until the call's promise resolves
(Plotly done: for a full redraw that is just after `plotly_afterplot`) and (2) until the
frame after it has been painted (requestAnimationFrame, then a task):

- react, as now: Plotly.react with a new region image and moved centroid trace (what the
  app's Patch amounts to); Plotly.react of this figure always redraws everything;
- react, no digits: the same with the 1,797 digit points emptied: what the points cost;
- react, digits without outline: the same with the points' white marker outline removed;
- relayout: the centroids drawn as layout annotations (number in a dark box, hovertext),
  and Plotly.relayout of images[0].source + annotations only: layout-only edits that Plotly
  redraws without touching the points (no `plotly_afterplot` is emitted on this path);
- relayout, image only: Plotly.relayout of images[0].source alone.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.speed import CHROMIUM, CHROMIUM_ARGS, INIT_JS, LOAD_TIMEOUT_MS, VIEWPORT, Server

KINDS = (
    "react, as now",
    "react, no digits",
    "react, digits without outline",
    "relayout: image + annotations",
    "relayout: image only",
)

EXPERIMENT_JS = r"""
async ([kind, rep]) => {
  const gd = document.querySelector('#boundary-graph .js-plotly-plot');
  if (!window.__orig) {
    // A second, different data: URI of the same picture, so the image really changes each time.
    const img = new Image();
    img.src = gd.layout.images[0].source;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width; canvas.height = img.height;
    canvas.getContext('2d').drawImage(img, 0, 0);
    window.__sources = [gd.layout.images[0].source, canvas.toDataURL('image/png')];
    window.__orig = {data: gd.data.map((t) => Object.assign({}, t)), layout: Object.assign({}, gd.layout)};
  }
  const O = window.__orig;
  const source = window.__sources[rep % 2];
  const shift = rep % 2 ? 0.05 : -0.05;
  const ci = O.data.findIndex((t) => t.name === 'centroids');
  const cx = Array.from(O.data[ci].x), cy = Array.from(O.data[ci].y);
  const annotations = cx.map((x, i) => ({
    x: x + shift, y: cy[i] + shift, xref: 'x', yref: 'y', text: String(i + 1), showarrow: false,
    font: {color: 'white', size: 11}, bgcolor: '#1b1b1b', bordercolor: 'white', borderwidth: 2, borderpad: 3,
    hovertext: 'Centroid of cluster ' + (i + 1)}));
  let call;
  if (kind.startsWith('react')) {
    const data = O.data.map((t) => Object.assign({}, t));
    data[ci].x = cx.map((v) => v + shift);
    data[ci].y = cy.map((v) => v + shift);
    if (kind === 'react, digits without outline') for (let i = 0; i < ci; i++) {
      data[i].marker = Object.assign({}, data[i].marker, {line: {width: 0}});
    }
    if (kind === 'react, no digits') for (let i = 0; i < ci; i++) { data[i].x = []; data[i].y = []; data[i].customdata = []; }
    const layout = Object.assign({}, O.layout, {images: [Object.assign({}, O.layout.images[0], {source})]});
    call = () => Plotly.react(gd, data, layout);
  } else if (kind === 'relayout: image + annotations') {
    call = () => Plotly.relayout(gd, {'images[0].source': source, annotations});
  } else {
    call = () => Plotly.relayout(gd, {'images[0].source': source});
  }
  const t0 = performance.now();
  await call();
  const t1 = performance.now();
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return [t1 - t0, performance.now() - t0];
}
"""


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = Server("project", [sys.executable, "app.py"], "/health")
    results = {}
    try:
        server.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                page.add_init_script(INIT_JS)
                page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
                page.wait_for_function(
                    "() => window.__bench && window.__bench.firstMap !== null", timeout=LOAD_TIMEOUT_MS
                )
                page.wait_for_timeout(800)
                for round_ in range(2):  # interleaved rounds, so load drift hits every kind alike
                    for kind in KINDS:
                        samples = [page.evaluate(EXPERIMENT_JS, [kind, rep]) for rep in range(args.reps)]
                        results.setdefault(kind, []).extend(samples)
                        page.wait_for_timeout(200)
            finally:
                browser.close()
    finally:
        server.stop()
    print(f"median of {2 * args.reps} calls, ms:      Plotly done   frame painted")
    for kind, samples in results.items():
        print(
            f"  {kind:<32} {statistics.median(s[0] for s in samples):9.1f}   {statistics.median(s[1] for s in samples):9.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
