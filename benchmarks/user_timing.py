"""Speed as a person feels it: each control changed the way a person does, timed from that gesture
to what the page shows, with public signals only.

The page is watched by a script installed before the page's own (PAGE_JS). On every animation
frame it reads the map's caption (#map-caption and #map-mesh), the table's caption and highlighted
row, and whether the map was redrawn since the previous frame: a `plotly_afterplot` event on the
graph (the baseline's map, and the dashboard's plot), or the dashboard's `kmeans-map-drawn` event
(sent by the page once its regions and centroids layers show a fit or step: assets/map_layers.js).
A frame that shows something new
is logged with `performance.now()`, the moment that frame is being painted. Gestures (click, Enter,
input) are logged with their event's timeStamp. So:

- map drawn: the first frame after the gesture whose caption names the change, the map having been
  redrawn since the gesture;
- table updated: the first frame after the gesture whose table shows the change's k, n_init, seed and
  selected init (the naive baseline's table, which has no caption, comes in the same response as its
  map: the first frame where it differs from what it showed at the gesture);
- requests and KB: the callback requests started from the gesture to the next one (Playwright's
  network events; the background jobs' polls are left out), bytes as transferred.

The dashboard is driven by its "+" buttons (n_init, k, seed), its init labels and the mesh step typed
and sent with Enter. The baseline (benchmarks/naive_app.py) has no "+" buttons and sends on every
input event: its number fields are filled, and timed from that input event.
"""

from __future__ import annotations

from benchmarks.harness import CHANGE_TIMEOUT_MS, LOAD_TIMEOUT_MS, VIEWPORT, Network

# The map callback's outputs: the regions' attribute, or for older code their store or the figure.
MAP_OUTPUTS = ("data-regions", "map-regions.data", "boundary-graph.figure")
PAUSE_MS = 1500  # paused: the next change this long after everything has settled
DEFAULT_STATE = {"init": "k-means++", "n_init": 10, "k": 10, "seed": 0, "mesh": 0.02}
FIELDS = {"n_init": "n-init", "k": "n-clusters", "seed": "random-seed", "mesh": "mesh-step"}

PAGE_JS = r"""
(() => {
  if (window.__timing) return;
  const T = window.__timing = {frames: [], gestures: [], redraws: 0, firstMap: null};
  const text = (id) => { const e = document.getElementById(id); return e ? e.textContent : ''; };
  function table() {
    const t = document.getElementById('metrics-table');
    if (!t) return '';
    const caption = t.querySelector('.table-caption'), selected = t.querySelector('tr.selected');
    return (caption ? caption.textContent : t.textContent) + ' | ' + (selected ? selected.dataset.init : '');
  }
  let graph = null, plotted = false, last = null;
  // The dashboard draws its regions and centroids on layers of its own, and says when (a frame later).
  document.addEventListener('kmeans-map-drawn', () => { T.redraws++; plotted = true; }, true);
  function frame() {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    if (gd && gd !== graph && typeof gd.on === 'function') {
      graph = gd;
      gd.on('plotly_afterplot', () => { T.redraws++; if (gd.data && gd.data.length) plotted = true; });
    }

    const t = performance.now();
    if (plotted && T.firstMap === null) T.firstMap = t;
    const state = {map: text('map-caption') + ' | ' + text('map-mesh'), table: table(), redraws: T.redraws};
    if (!last || state.map !== last.map || state.table !== last.table || state.redraws !== last.redraws) {
      T.frames.push({t, ...state});
      last = state;
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
  const gesture = (kind) => (event) => {
    if (kind === 'key' && event.key !== 'Enter') return;
    T.gestures.push({t: event.timeStamp, kind, redraws: T.redraws, frame: T.frames.length, table: table()});
  };
  window.addEventListener('click', gesture('click'), true);
  window.addEventListener('keydown', gesture('key'), true);
  window.addEventListener('input', gesture('input'), true);
})();
"""

# True once the gesture made after `n` gestures has been followed by a frame that shows `tokens`
# in the map's caption, the map redrawn since the gesture.
DRAWN_JS = """([n, kind, tokens]) => {
  const T = window.__timing;
  const g = T.gestures.slice(n).find((e) => e.kind === kind);
  return !!g && T.frames.slice(g.frame).some(
    (f) => f.t >= g.t && f.redraws > g.redraws && tokens.every((x) => f.map.includes(x)));
}"""


# ---------------------------------------------------------------------------------------------
# what each app shows


def caption_tokens(dashboard: bool, control: str, value, state: dict) -> list[str]:
    """What the map's caption shows once it has drawn this change."""
    if dashboard:
        tokens = {"n_init": f"(n_init {value})", "k": f" · k {value} · ", "seed": f" · seed {value} · ",
                  "init": f"refit · {value} (", "mesh": f"step {value:g} =" if control == "mesh" else ""}
        # PCA-based ignores the seed (its 2-D fit is deterministic): the others name the state's seed.
        extra = [f" · seed {state['seed']} · "] if control == "init" and value != "PCA-based" else []
        return [tokens[control], *extra]
    tokens = {"n_init": f"n_init {value},", "k": f", k {value},", "seed": f", seed {value},",
              "init": f"{value}, n_init", "mesh": f", h {value} ("}
    return [tokens[control], *([f", seed {state['seed']},"] if control == "init" else [])]


def state_tokens(dashboard: bool, state: dict) -> list[str]:
    """The caption of a map drawn at `state`."""
    if dashboard:
        if state["init"] == "PCA-based":  # deterministic: no n_init, no seed
            return [f"PCA-based (deterministic, 1 run) · k {state['k']} · ", f"step {state['mesh']:g} ="]
        return [f"{state['init']} (n_init {state['n_init']}) · k {state['k']} · seed {state['seed']} · ",
                f"step {state['mesh']:g} ="]
    return [f"{state['init']}, n_init {state['n_init']}, k {state['k']}, seed {state['seed']}, h {state['mesh']} ("]


def table_tokens(state: dict) -> list[str]:
    # " (" after the seed: without it, seed = 1 would match seed = 10.
    return [f"k = {state['k']}, n_init = {state['n_init']}, seed = {state['seed']} (", f"| {state['init']}"]


# ---------------------------------------------------------------------------------------------
# one app's page


class AppPage:
    """One app's page, in a browser context of its own, driven as a person does."""

    def __init__(self, browser, server, dashboard: bool) -> None:
        self.server, self.dashboard = server, dashboard
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.add_init_script(PAGE_JS)
        self.page = self.context.new_page()
        self.network = Network(self.page)
        self.state = dict(DEFAULT_STATE)
        self.table_faults = 0  # the table's server-fault box seen while settling (then retried)
        self.page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        self.page.wait_for_function("() => window.__timing && window.__timing.firstMap !== null",
                                    timeout=LOAD_TIMEOUT_MS, polling=20)
        self.time_origin = self.page.evaluate("() => performance.timeOrigin")
        self.network.wait_quiet(self.page, 1000)

    def close(self) -> None:
        self.context.close()

    def now(self) -> float:
        return self.page.evaluate("() => performance.now()")

    # -- gestures ---------------------------------------------------------------------------------

    def _gesture(self, control: str, value, typed: bool = False) -> str:
        """Make the change as a person would; return the kind of event it is timed from."""
        page = self.page
        if control == "init":
            page.locator("#init-method label", has_text=value).first.click()
            return "click"
        field = FIELDS[control]
        if not self.dashboard:
            page.fill(f"#{field}", str(value))  # the baseline sends on this input event
            return "input"
        if control != "mesh" and not typed:
            page.click(f"#{field}-increment")  # the presenter's "+"
            return "click"
        page.fill(f"#{field}", str(value))
        page.press(f"#{field}", "Enter")  # sends at once, without the typing pause
        return "key"

    def change(self, control: str, value, typed: bool = False) -> dict:
        """One change, waited for until the map shows it; the record to time it by."""
        if control != "init" and not typed and self.dashboard and control != "mesh":
            assert value == self.state[control] + 1, (control, value, self.state)
        self.state[control] = value
        before = self.page.evaluate("() => window.__timing.gestures.length")
        kind = self._gesture(control, value, typed)
        tokens = caption_tokens(self.dashboard, control, value, self.state)
        try:
            self.page.wait_for_function(DRAWN_JS, arg=[before, kind, tokens], timeout=CHANGE_TIMEOUT_MS, polling="raf")
        except Exception as error:
            shown = self.page.evaluate("() => [window.__timing.frames.slice(-2), window.__timing.gestures.slice(-2)]")
            raise RuntimeError(f"{self.server.name}: {control} = {value}: the map never showed {tokens}; "
                               f"last frames and gestures: {shown}") from error
        return {"control": control, "value": value, "kind": kind, "gestures_before": before,
                "state": dict(self.state), "tokens": tokens}

    def wait_table(self, state: dict, timeout_ms: int = CHANGE_TIMEOUT_MS) -> str:
        """Until the table shows `state` ("shown") or its server-fault box ("fault")."""
        return self.page.wait_for_function(
            "(tokens) => { const f = document.getElementById('table-fault'); if (f && !f.hidden) return 'fault';"
            " const t = document.querySelector('#metrics-table');"
            " const c = t && t.querySelector('.table-caption'), s = t && t.querySelector('tr.selected');"
            " const text = (c ? c.textContent : '') + ' | ' + (s ? s.dataset.init : '');"
            " return tokens.every((x) => text.includes(x)) && 'shown'; }",
            arg=table_tokens(state), timeout=timeout_ms, polling=20).json_value()

    def settle(self, quiet_ms: int = 500) -> None:
        """Until the map shows the page's state, the table too (the dashboard), and no callback
        request has been in flight for `quiet_ms`."""
        tokens = state_tokens(self.dashboard, self.state)
        try:
            self.page.wait_for_function(
                "(tokens) => { const t = (id) => (document.getElementById(id) || {}).textContent || '';"
                " const text = t('map-caption') + ' | ' + t('map-mesh');"
                " return tokens.every((x) => text.includes(x)); }",
                arg=tokens, timeout=CHANGE_TIMEOUT_MS, polling=20)
        except Exception as error:
            shown = self.page.evaluate("() => window.__timing.frames.slice(-1)")
            raise RuntimeError(f"{self.server.name}: the map never showed {tokens}; it shows {shown}") from error
        if self.dashboard:
            self._wait_table_or_retry()
        self.network.wait_quiet(self.page, quiet_ms)

    def _wait_table_or_retry(self, tries: int = 3) -> None:
        """The table showing the state; should it show its server-fault box instead, Retry is
        clicked, as a person would, and the fault counted (the run prints it)."""
        for _ in range(tries):
            if self.wait_table(self.state) == "shown":
                return
            self.table_faults += 1
            print(f"  {self.server.name}: the table showed its server-fault box at {self.state}; Retry clicked",
                  flush=True)
            self.page.click("#table-retry")
            self.page.wait_for_function("() => document.getElementById('table-fault').hidden",
                                        timeout=CHANGE_TIMEOUT_MS)
        raise RuntimeError(f"{self.server.name}: the table failed {tries} times at {self.state}")

    def set_state(self, **target) -> None:
        """Untimed: bring the page to `target` (the init first: PCA-based disables n_init and the
        seed), one field at a time, and wait until everything has settled."""
        if "init" in target and target["init"] != self.state["init"]:
            self.state["init"] = target["init"]
            self._gesture("init", target["init"])
        for control in ("n_init", "k", "seed", "mesh"):
            if control in target and target[control] != self.state[control]:
                self.state[control] = target[control]
                self._gesture(control, target[control], typed=True)
        self.settle()

    # -- a series of changes ----------------------------------------------------------------------

    def series(self, control: str, values: list, paused: bool) -> list[dict]:
        """Each value in turn, back to back (the next as soon as the map shows the previous) or
        paused; every change timed. The init method's values come three at a time, each three
        at a new seed (a "+" of the seed, untimed), so that its fits are new."""
        records, untimed = [], []
        for index, value in enumerate(values):
            if control == "init" and index % 3 == 0 and index:
                untimed.append(self.change("seed", self.state["seed"] + 1, typed=not self.dashboard))
                self.settle(300)
            records.append(self.change(control, value))
            if paused:
                self.network.wait_quiet(self.page, 300)
                if self.dashboard and control != "mesh" and self.wait_table(self.state) == "fault":
                    self.table_faults += 1
                    print(f"  {self.server.name}: the table showed its server-fault box at {self.state}", flush=True)
                self.page.wait_for_timeout(PAUSE_MS)
        self.settle()
        return self._timings(records, untimed)

    def _timings(self, records: list[dict], untimed: list[dict]) -> list[dict]:
        """Each change's times from the page's log; its requests are those started from its gesture
        to the next gesture, timed or not (the end of the series for the last)."""
        log = self.page.evaluate("() => ({gestures: window.__timing.gestures, frames: window.__timing.frames})")
        end = self.now()
        gestures, frames = log["gestures"], log["frames"]
        callbacks = [(c.started - self.time_origin, c) for c in self.network.callbacks]
        for record in records + untimed:
            record["gesture"] = next(g for g in gestures[record["gestures_before"]:] if g["kind"] == record["kind"])
        starts = sorted(record["gesture"]["t"] for record in records + untimed)
        for record in records:
            gesture = record["gesture"]
            t0 = gesture["t"]
            following = next((t for t in starts if t > t0), end)
            seen = [f for f in frames[gesture["frame"]:] if t0 <= f["t"] <= end]
            drawn = next(f["t"] for f in seen if f["redraws"] > gesture["redraws"]
                         and all(token in f["map"] for token in record["tokens"]))
            record["t0"], record["map_ms"] = t0, drawn - t0
            if record["control"] == "mesh":
                table = None  # the mesh step does not change the table
            elif self.dashboard:
                tokens = table_tokens(record["state"])
                table = next((f["t"] for f in seen if all(token in f["table"] for token in tokens)), None)
            else:  # the baseline's table comes in its map's response
                table = next((f["t"] for f in seen if f["table"] != gesture["table"]), None)
            record["table_ms"] = None if table is None else table - t0
            mine = [c for start, c in callbacks if t0 <= start < following]
            record["requests"], record["bytes"] = len(mine), sum(c.bytes for c in mine)
            # Where the map's time went: the gesture -> its request sent -> the answer -> drawn.
            request = next((c for start, c in callbacks if t0 <= start < following and
                            any(part in c.output for part in MAP_OUTPUTS)), None)
            if request is not None and request.answered is not None:
                record["to_request_ms"] = request.started - self.time_origin - t0
                record["request_ms"] = request.answered - request.started
                record["drawing_ms"] = drawn - (request.answered - self.time_origin)
            del record["gesture"]
        return records


def first_render(browser, url: str, then=None) -> dict:
    """One fresh page load (a new browser context: cold HTTP cache): navigation start -> the first
    frame after a `plotly_afterplot` of the map with data, and where the time went (the layout's
    answer: Dash's `_dash-layout`). `then(page)`, if given, measures more in the loaded page; what
    it returns is added."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(PAGE_JS)
        page = context.new_page()
        page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function("() => window.__timing && window.__timing.firstMap !== null",
                               timeout=LOAD_TIMEOUT_MS, polling=20)
        timing = page.evaluate("""() => {
            const nav = performance.getEntriesByType('navigation')[0] || {};
            const resources = performance.getEntriesByType('resource');
            const layout = resources.find(r => r.name.endsWith('/_dash-layout'));
            return {first_map_ms: window.__timing.firstMap, html_ms: nav.responseEnd,
                    dom_content_loaded_ms: nav.domContentLoadedEventEnd,
                    layout_ms: layout ? layout.responseEnd : null,
                    transferred_kb: resources.reduce((sum, r) => sum + r.transferSize, nav.transferSize || 0) / 1024};
        }""")
        return {**timing, **(then(page) if then else {})}
    finally:
        context.close()


