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
  * change -> render: n-init set to 11, 12, 13, ... (configurations never computed before).
    A change may send several callback requests at once (the project: message, table, map);
    it is timed from the first request sent (a wrapped `window.fetch`) to the map's first
    `plotly_afterplot` (or `plotly_react`, which a layout-only Plotly.react emits alone) after
    the map's response arrived. Also from the input event (so including the project's
    deliberate 350 ms typing debounce), and the debounce itself;
  * bytes of the callback responses of one change (all callbacks): as transferred
    (Playwright `request.sizes()`, encoded, with the Content-Encoding Chromium negotiated)
    and decoded;
- server: POSTs to /_dash-update-component with `requests`, replaying the browser's own
  payloads and Accept-Encoding, every callback of a change sent at once as the browser does;
  wall time until all have answered: a fresh configuration (a new random seed at n_init 10:
  all three table rows and the map refitted) and a repeat of one already seen;
- in process (project only, in a child that imports app.py first, so with its thread
  settings): `benchmark_inits` and `decision_boundary` after `cache_clear()`.

Prints a pandas table (project vs baseline vs target, medians, pass/fail), the ratios, the
date and machine, and per-sample breakdowns (where the change and first-load time goes).
`--json PATH` saves every raw sample. See also profile_browser.py, plotly_update_experiment.py.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # `python benchmarks/speed.py` puts benchmarks/, not the repo, on the path

from benchmarks.headless import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402
UPDATE_PATH = "/_dash-update-component"
STARTUP_TIMEOUT_S = 180  # the project warms its caches for the defaults at import
CHANGE_TIMEOUT_MS = 60_000
LOAD_TIMEOUT_MS = 90_000

TARGETS = {
    "change_render_ms": 100.0,
    "first_render_s": 1.0,
    "payload_kb": 100.0,
    "server_fresh_ms": 150.0,
    "server_repeat_ms": 10.0,
    "speedup": 5.0,
    "payload_ratio": 40.0,
}

# Installed before any page script: records map afterplots, Dash callback fetches and n-init
# input events with performance.now() (milliseconds since navigation start).
INIT_JS = r"""
(() => {
  if (window.__bench) return;
  const B = window.__bench = {afterplots: [], fetches: [], inputs: [], firstMap: null, ev: null};
  function attach() {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    if (!gd || typeof gd.on !== 'function' || !gd._ev || B.ev === gd._ev) return;
    B.ev = gd._ev;  // a new emitter after Plotly.purge/newPlot: attach again
    // A full redraw ends with plotly_afterplot (then plotly_react when Plotly.react did it); a
    // lighter Plotly.react (layout-only edits) emits plotly_react alone. Either means drawn.
    const record = (event) => () => {
      const t = performance.now();
      const n = (gd.data || []).length;
      const rec = {t, n, event, frame: null};
      B.afterplots.push(rec);
      if (B.firstMap === null && n > 0) B.firstMap = t;
      requestAnimationFrame(() => { rec.frame = performance.now(); });
    };
    gd.on('plotly_afterplot', record('afterplot'));
    gd.on('plotly_react', record('react'));
  }
  B.attach = attach;
  new MutationObserver(attach).observe(document, {
    subtree: true, childList: true, attributes: true, attributeFilter: ['class'],
  });
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('_dash-update-component')) return originalFetch.apply(this, arguments);
    let output = '';
    try { output = JSON.parse(init.body).output || ''; } catch (e) { /* not JSON: keep '' */ }
    const rec = {sent: performance.now(), headers: null, parsed: null, output};
    B.fetches.push(rec);
    return originalFetch.apply(this, arguments).then((response) => {
      rec.headers = performance.now();
      const json = response.json.bind(response);
      response.json = () => json().then((value) => { rec.parsed = performance.now(); return value; });
      return response;
    });
  };
  document.addEventListener('input', (event) => {
    if (event.target && event.target.id === 'n-init') B.inputs.push(performance.now());
  }, true);
})();
"""

# After an input change: the callback requests sent since fetch number k. `done` once every one of
# them has been answered and the map has drawn after the map's own response arrived.
CHANGE_STATE_JS = """(k) => {
  const B = window.__bench;
  const mine = B.fetches.slice(k);
  // the map's callback; if none names the figure (e.g. drawn client-side), the last request
  const map = mine.find((f) => f.output.includes('boundary-graph.figure')) || mine[mine.length - 1];
  const arrived = (f) => f.parsed ?? f.headers;
  const mapArrived = map ? arrived(map) : null;
  const plot = mapArrived === null ? null : B.afterplots.find((a) => a.t >= mapArrived && a.n > 0);
  const done = mine.length > 0 && mine.every((f) => arrived(f) !== null) && plot !== undefined && plot !== null;
  return {done, sent: mine.length ? Math.min(...mine.map((f) => f.sent)) : null,
          last_arrived: mine.length && mine.every((f) => arrived(f) !== null) ? Math.max(...mine.map(arrived)) : null,
          map_sent: map ? map.sent : null, map_arrived: mapArrived,
          afterplot: plot ? plot.t : null, frame: plot ? plot.frame : null, event: plot ? plot.event : null,
          requests: mine.length,
          outputs: mine.map((f) => f.output)};
}"""


# ---------------------------------------------------------------------------------------------
# helpers


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> dict:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    try:
        nproc = subprocess.run(
            ["nproc"], check=False, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        nproc = str(os.cpu_count())
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": nproc,
        "cpu": model,
        "load average (1/5/15 min) at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "python": platform.python_version(),
    }


@dataclass
class Server:
    """One app as a subprocess on a free loopback port; always stopped by `stop()`."""

    name: str
    argv: list[str]
    ready_path: str
    extra_env: dict = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen | None = None
    log: object = None
    startup_s: float | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port), **self.extra_env}
        env.pop("DASH_DEBUG", None)
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - open until stop()
            "w+", prefix=f"speed-{self.name}-", suffix=".log", delete=False
        )
        started = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, cwd=REPO, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = started + STARTUP_TIMEOUT_S
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log: {self.log.name}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    self.startup_s = time.perf_counter() - started
                    return
            time.sleep(0.25)
        raise TimeoutError(f"{self.name} not ready after {STARTUP_TIMEOUT_S} s; log: {self.log.name}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.log is not None:
            self.log.close()


# ---------------------------------------------------------------------------------------------
# browser


def first_render(browser, url: str, loads: int) -> dict:
    """Navigation start -> first afterplot of the map with data, each load in a fresh context."""
    samples, breakdown = [], []
    for _ in range(loads):
        context = browser.new_context(viewport=VIEWPORT)
        try:
            context.add_init_script(INIT_JS)
            page = context.new_page()
            page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
            page.wait_for_function(
                "() => window.__bench && window.__bench.firstMap !== null",
                timeout=LOAD_TIMEOUT_MS,
                polling=20,
            )
            info = page.evaluate("""() => {
                const nav = performance.getEntriesByType('navigation')[0] || {};
                const B = window.__bench;
                const fetch0 = B.fetches[0] || {};
                const resources = performance.getEntriesByType('resource').map((r) => ({
                    name: r.name.split('?')[0].split('/').pop() || r.name, start: r.startTime, end: r.responseEnd,
                    bytes: r.transferSize, decoded: r.decodedBodySize}));
                return {first_map: B.firstMap, response_end: nav.responseEnd, resources,
                        dom_content_loaded: nav.domContentLoadedEventEnd,
                        load_event: nav.loadEventEnd || null,
                        first_callback_sent: fetch0.sent ?? null, first_callback_parsed: fetch0.parsed ?? null};
            }""")
            samples.append(info["first_map"] / 1000)
            breakdown.append(info)
        finally:
            context.close()
    return {"samples_s": samples, "breakdown": breakdown}


def change_render(browser, url: str, n_inits: list[int]) -> dict:
    """Set n-init to each value in turn; time request sent / input event -> next map afterplot.

    The app may answer one change with several callbacks (sent at once): the change starts at
    the first request, the map is drawn at the first afterplot after the map's response.
    """
    context = browser.new_context(viewport=VIEWPORT)
    responses = []
    try:
        context.add_init_script(INIT_JS)
        page = context.new_page()
        page.on("response", lambda r: responses.append(r) if UPDATE_PATH in r.url else None)
        page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(
            "() => window.__bench && window.__bench.firstMap !== null", timeout=LOAD_TIMEOUT_MS, polling=20
        )
        page.wait_for_timeout(500)  # let the page settle (naive: its initial callback has run)
        box = page.locator("#n-init")
        rows = []
        payloads = {}
        accept_encoding = "gzip, deflate, br, zstd"
        for value in n_inits:
            page.evaluate("() => window.__bench.attach()")
            k = page.evaluate("() => window.__bench.fetches.length")
            inputs_before = page.evaluate("() => window.__bench.inputs.length")
            n_responses = len(responses)
            box.fill(str(value))
            page.wait_for_function(
                f"() => ({CHANGE_STATE_JS})({k}).done", timeout=CHANGE_TIMEOUT_MS, polling=10
            )
            page.wait_for_timeout(200)  # the frame after afterplot, and any straggling request
            rec = page.evaluate(f"() => ({CHANGE_STATE_JS})({k})")
            inputs = page.evaluate(f"() => window.__bench.inputs.slice({inputs_before})")
            rec["input"] = inputs[-1] if inputs else None
            rec["n_init"] = value
            rec["responses"] = []
            for response in responses[n_responses:]:
                request = response.request
                body = request.post_data_json or {}
                headers = response.all_headers()
                output = body.get("output", "?")
                rec["responses"].append(
                    {
                        "output": output,
                        "status": response.status,
                        "content_encoding": headers.get("content-encoding", "identity"),
                        "transferred_bytes": request.sizes()["responseBodySize"],
                        "raw_bytes": len(response.body()),
                    }
                )
                payloads[output] = body
                accept_encoding = request.all_headers().get("accept-encoding", accept_encoding)
            rows.append(rec)
    finally:
        context.close()
    for rec in rows:
        rec["request_to_render_ms"] = rec["afterplot"] - rec["sent"]
        rec["input_to_render_ms"] = rec["afterplot"] - rec["input"] if rec["input"] is not None else None
        rec["debounce_ms"] = rec["sent"] - rec["input"] if rec["input"] is not None else None
        rec["map_request_to_response_ms"] = rec["map_arrived"] - rec["map_sent"]
        rec["browser_after_response_ms"] = rec["afterplot"] - rec["map_arrived"]
        rec["afterplot_to_frame_ms"] = rec["frame"] - rec["afterplot"] if rec["frame"] is not None else None
        rec["transferred_bytes"] = sum(r["transferred_bytes"] for r in rec["responses"])
        rec["raw_bytes"] = sum(r["raw_bytes"] for r in rec["responses"])
        rec["content_encoding"] = ",".join(sorted({r["content_encoding"] for r in rec["responses"]}))
    return {"rows": rows, "payloads": payloads, "accept_encoding": accept_encoding}


# ---------------------------------------------------------------------------------------------
# server over HTTP


def with_inputs(payload: dict, values: dict) -> dict:
    """A captured callback payload with some input/state values replaced (by component id)."""
    body = json.loads(json.dumps(payload))
    for item in body.get("inputs", []) + body.get("state", []):
        if isinstance(item, dict) and item.get("id") in values:
            item["value"] = values[item["id"]]
    return body


def post(session: requests.Session, url: str, body: dict, accept_encoding: str) -> dict:
    """One callback POST; the response body is read as transferred (not decoded)."""
    headers = {"Content-Type": "application/json", "Accept-Encoding": accept_encoding}
    started = time.perf_counter()
    response = session.post(
        url + UPDATE_PATH, data=json.dumps(body).encode(), headers=headers, stream=True, timeout=120
    )
    raw = response.raw.read(decode_content=False)
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 204):
        raise RuntimeError(f"POST {url}{UPDATE_PATH} -> {response.status_code}: {raw[:300]!r}")
    return {
        "output": body.get("output"),
        "ms": elapsed * 1000,
        "bytes": len(raw),
        "encoding": response.headers.get("content-encoding", "identity"),
    }


def post_change(sessions, url: str, payloads: dict, values: dict, accept_encoding: str) -> dict:
    """Every callback of one change sent at once, as the browser does; wall time until all answered."""
    bodies = [with_inputs(payload, values) for payload in payloads.values()]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(lambda sb: post(sb[0], url, sb[1], accept_encoding), zip(sessions, bodies)))
    return {
        "ms": (time.perf_counter() - started) * 1000,
        "callbacks": answers,
        "bytes": sum(a["bytes"] for a in answers),
    }


def server_times(url: str, payloads: dict, accept_encoding: str, fresh: int, repeat: int) -> dict:
    """Fresh: new seeds at the defaults (all three table rows and the map refitted); repeat: a seen one."""
    defaults = {
        "init-method": "k-means++",
        "n-init": 10,
        "n-clusters": 10,
        "random-seed": 0,
        "mesh-step": 0.02,
    }
    sessions = [requests.Session() for _ in payloads]
    try:
        fresh_rows = [
            post_change(sessions, url, payloads, {**defaults, "random-seed": 1001 + i}, accept_encoding)
            for i in range(fresh)
        ]
        repeat_rows = [
            post_change(sessions, url, payloads, {**defaults, "random-seed": 1001}, accept_encoding)
            for _ in range(repeat)
        ]
        # Sizes per encoding for the default configuration (already seen, so no refit).
        sizes = {
            enc: post_change(sessions, url, payloads, defaults, enc)["bytes"]
            for enc in ("identity", "gzip", "br", "zstd")
        }
    finally:
        for session in sessions:
            session.close()
    return {"fresh": fresh_rows, "repeat": repeat_rows, "sizes_by_encoding": sizes}


# ---------------------------------------------------------------------------------------------
# in process (project core)


CORE_WORKER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import app  # noqa: F401  - the server's own start-up: its thread settings, data and warm caches
from core import boundary, clustering
from core.settings import DEFAULTS, Settings
reps = int(sys.argv[2])
settings = Settings(**DEFAULTS)
caches = [clustering.fit_full, clustering.benchmark_inits, boundary.fit_plane, boundary.decision_boundary]
try:
    from components import boundary_figure, metrics_table
    caches.append(boundary_figure.region_image)
    def view(results, b):
        metrics_table.metrics_table(results, settings.init_method)
        boundary_figure.boundary_patch(b)
except Exception:  # the components' API moved: time the core only
    view = None
out = {"core_fresh_ms": [], "core_and_components_fresh_ms": [], "table_ms": [], "map_ms": []}
for _ in range(reps):
    for cached in caches:
        cached.cache_clear()
    t0 = time.perf_counter()
    results = clustering.benchmark_inits(settings.n_clusters, settings.n_init, settings.seed)
    t1 = time.perf_counter()
    b = boundary.decision_boundary(settings)
    t2 = time.perf_counter()
    if view:
        view(results, b)
    t3 = time.perf_counter()
    out["table_ms"].append((t1 - t0) * 1000)
    out["map_ms"].append((t2 - t1) * 1000)
    out["core_fresh_ms"].append((t2 - t0) * 1000)
    if view:
        out["core_and_components_fresh_ms"].append((t3 - t0) * 1000)
print("CORE_JSON " + json.dumps(out))
"""


def core_in_process(reps: int) -> dict | None:
    """The project core timed in a child that imports app.py first (same thread settings as the server)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", CORE_WORKER, str(REPO), str(reps)],
            check=False,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.TimeoutExpired:
        print("  in-process core timing timed out", flush=True)
        return None
    for line in done.stdout.splitlines():
        if line.startswith("CORE_JSON "):
            return json.loads(line[len("CORE_JSON ") :])
    print(f"  in-process core timing failed: {done.stderr[-800:]}", flush=True)
    return None


# ---------------------------------------------------------------------------------------------
# one app


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
        result["change"] = change_render(browser, server.url, list(range(11, 11 + args.changes)))
        print(
            f"  {server.name}: change->render "
            f"{[round(r['request_to_render_ms']) for r in result['change']['rows']]} ms",
            flush=True,
        )
        naive = server.name != "project"
        result["server"] = server_times(
            server.url,
            result["change"]["payloads"],
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


# ---------------------------------------------------------------------------------------------
# report


def _pass(value, target, higher_is_better=False) -> str:
    if value is None:
        return "n/a"
    return "PASS" if (value >= target if higher_is_better else value <= target) else "FAIL"


def summarise(project: dict, naive: dict, core: dict | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    def change(app, key):
        return median([r[key] for r in app["change"]["rows"]])

    def kb(app, key):
        return change(app, key) / 1024

    def encoding(app):
        return ",".join(sorted({r["content_encoding"] for r in app["change"]["rows"]}))

    def server(app, key):
        return median([r["ms"] for r in app["server"][key]])

    rows = [
        (
            "change -> map re-rendered, from first request sent (ms)",
            change(project, "request_to_render_ms"),
            change(naive, "request_to_render_ms"),
            TARGETS["change_render_ms"],
        ),
        (
            "  map request -> map response parsed (ms)",
            change(project, "map_request_to_response_ms"),
            change(naive, "map_request_to_response_ms"),
            None,
        ),
        (
            "  map response parsed -> plotly_afterplot (ms)",
            change(project, "browser_after_response_ms"),
            change(naive, "browser_after_response_ms"),
            None,
        ),
        (
            "change -> map re-rendered, from the input event (ms)",
            change(project, "input_to_render_ms"),
            change(naive, "input_to_render_ms"),
            None,
        ),
        (
            "  typing debounce: input event -> first request (ms)",
            change(project, "debounce_ms"),
            change(naive, "debounce_ms"),
            None,
        ),
        (
            "first render, navigation start -> map drawn (s)",
            median(project["first_render"]["samples_s"]),
            median(naive["first_render"]["samples_s"]),
            TARGETS["first_render_s"],
        ),
        (
            f"callback responses of one change, on the wire (KB) [{encoding(project)} | {encoding(naive)}]",
            kb(project, "transferred_bytes"),
            kb(naive, "transferred_bytes"),
            TARGETS["payload_kb"],
        ),
        (
            "callback responses of one change, decoded JSON (KB)",
            kb(project, "raw_bytes"),
            kb(naive, "raw_bytes"),
            None,
        ),
        (
            "server time, fresh refit of everything, all callbacks (ms)",
            server(project, "fresh"),
            server(naive, "fresh"),
            TARGETS["server_fresh_ms"],
        ),
        (
            "server time, repeat of a seen configuration (ms)",
            server(project, "repeat"),
            server(naive, "repeat"),
            TARGETS["server_repeat_ms"],
        ),
    ]
    if core:
        rows += [
            (
                "in process: benchmark_inits (3 rows), cleared caches (ms)",
                median(core["table_ms"]),
                None,
                None,
            ),
            ("in process: decision_boundary (map), cleared caches (ms)", median(core["map_ms"]), None, None),
            (
                "in process: both + table/patch components (ms)",
                median(core["core_and_components_fresh_ms"]),
                None,
                None,
            ),
        ]

    def number(value):
        return "-" if value is None else f"{value:,.2f}"

    table = pd.DataFrame(
        [
            {
                "figure": name,
                "project": number(p),
                "baseline": number(b),
                "target": f"<= {t:g}" if t is not None else "",
                "pass": _pass(p, t) if t is not None else "",
            }
            for name, p, b, t in rows
        ]
    )
    speedup = change(naive, "request_to_render_ms") / change(project, "request_to_render_ms")
    speedup_input = change(naive, "input_to_render_ms") / change(project, "input_to_render_ms")
    payload_ratio = kb(naive, "transferred_bytes") / kb(project, "transferred_bytes")
    raw_ratio = kb(naive, "raw_bytes") / kb(project, "raw_bytes")
    ratios = pd.DataFrame(
        [
            {
                "ratio": "change->render speedup, from request (baseline / project)",
                "value": speedup,
                "target": f">= {TARGETS['speedup']:g}",
                "pass": _pass(speedup, TARGETS["speedup"], True),
            },
            {
                "ratio": "change->render speedup, from input event (incl. debounce)",
                "value": speedup_input,
                "target": "",
                "pass": "",
            },
            {
                "ratio": "payload ratio on the wire (baseline / project)",
                "value": payload_ratio,
                "target": f">= {TARGETS['payload_ratio']:g}",
                "pass": _pass(payload_ratio, TARGETS["payload_ratio"], True),
            },
            {
                "ratio": "payload ratio, decoded JSON (baseline / project)",
                "value": raw_ratio,
                "target": "",
                "pass": "",
            },
        ]
    )
    return table, ratios


def callback_name(output: str) -> str:
    """'..a.children...b.figure..' -> 'a+b' (Dash's multi-output key)."""
    return "+".join(dict.fromkeys(part.split(".")[0] for part in output.strip(".").split("...")))


def print_details(results: dict) -> None:
    sizes = {name: results[name]["server"]["sizes_by_encoding"] for name in ("project", "naive")}
    print(
        "\ncallback responses of one change by Accept-Encoding, default configuration (bytes, all callbacks):"
    )
    print(pd.DataFrame(sizes).T.to_string())
    for name in ("project", "naive"):
        rows = results[name]["change"]["rows"]
        print(f"\n{name}: change -> render per sample (ms from the first request):")
        print("  n_init  requests  map: sent  response  afterplot  next frame   bytes on wire (per callback)")
        for r in rows:
            frame = r["frame"] - r["sent"] if r["frame"] is not None else float("nan")
            per = ", ".join(f"{callback_name(x['output'])}={x['transferred_bytes']}" for x in r["responses"])
            print(
                f"  {r['n_init']:>6}  {r['requests']:>8}  {r['map_sent'] - r['sent']:9.1f}"
                f"  {r['map_arrived'] - r['sent']:8.1f}  {r['afterplot'] - r['sent']:9.1f}  {frame:10.1f}   {per}"
            )
        calls = {}
        for row in results[name]["server"]["fresh"]:
            for c in row["callbacks"]:
                calls.setdefault(c["output"], []).append(c["ms"])
        print(
            f"{name}: server, fresh, per callback when sent together (median ms): "
            + "; ".join(f"{callback_name(o)} {median(v):.0f}" for o, v in calls.items())
        )
        print(
            f"{name}: first render (ms from navigation start): document responseEnd / DOMContentLoaded / "
            f"load / map drawn"
        )
        for b in results[name]["first_render"]["breakdown"]:
            resources = [r for r in b.get("resources", []) if r["start"] < b["first_map"]]
            print(
                f"  {b['response_end']:7.1f} / {b['dom_content_loaded']:7.1f} / "
                f"{b['load_event'] or float('nan'):7.1f} / {b['first_map']:7.1f}   {len(resources)} requests, "
                f"{sum(r['bytes'] for r in resources) / 1024:,.0f} KB transferred "
                f"({sum(r['decoded'] for r in resources) / 1024:,.0f} KB decoded) before the map"
            )
        last = results[name]["first_render"]["breakdown"][-1]
        slow = sorted(last.get("resources", []), key=lambda r: r["end"] - r["start"], reverse=True)[:6]
        print(
            "  slowest requests of the last load (start -> end ms, KB on the wire / decoded): "
            + "; ".join(
                f"{r['name'][:40]} {r['start']:.0f}->{r['end']:.0f} ({r['bytes'] / 1024:,.0f}/{r['decoded'] / 1024:,.0f})"
                for r in slow
            )
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (5 changes, 3 page loads)")
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
