"""Shared pieces of the speed benchmark: apps as subprocesses, page instrumentation, machine facts."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent

UPDATE_PATH = "/_dash-update-component"
STARTUP_TIMEOUT_S = 180  # the project warms its caches for the defaults at import
CHANGE_TIMEOUT_MS = 60_000
LOAD_TIMEOUT_MS = 90_000


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
    // The project draws a fit or a mesh step straight into the plot (Plotly.react or relayout,
    // which send no afterplot) and says so in the frame that paints it (assets/map_regions.js).
    gd.addEventListener('kmeans-map-drawn', record('drawn'));
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
CHANGE_STATE_JS = r"""(k) => {
  const B = window.__bench;
  // A background job's polls (speed.py --with-job) are not part of the change.
  const mine = B.fetches.slice(k).filter((f) => !/k-sweep|stability/.test(f.output));
  // the map's callback: the one sending the figure (the baseline) or what the page draws it from
  const map = mine.find((f) => /boundary-graph\.figure|map-regions\.data/.test(f.output)) || mine[mine.length - 1];
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
        self.port = self.port or free_port()  # a preset port is kept
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


