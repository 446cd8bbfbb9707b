"""Speed as a user feels it: each control changed the way a person does, timed from that gesture.

For each control (n_init, k and the seed by their "+" buttons, the init method by its labels, the
mesh step typed and sent with Enter) a series of fresh values is set, either back to back (the next
change as soon as the map shows the previous one: a presenter clicking "+") or paused (the next one
1.5 s after everything has settled). Each change is timed from its gesture's event to:

- map re-rendered: the first Plotly draw of the map after the gesture whose caption names the new
  value (the naive baseline's caption too);
- table updated: the project's table showing the change's k, n_init, seed and selected init (its
  caption and highlighted row); the baseline's table changes in the same response as its map. Back
  to back, a table can be superseded by the next change before it shows: counted, not timed;
- bytes: the callback responses whose requests the change sent, as transferred.

The baseline (benchmarks/naive_app.py) has no "+" buttons and no typing pause: its number fields
send on every input event, which is when its changes are timed from.
"""

from __future__ import annotations

import time

from benchmarks.harness import CHANGE_TIMEOUT_MS, LOAD_TIMEOUT_MS, UPDATE_PATH
from benchmarks.headless import VIEWPORT

PAUSE_MS = 1500
# Installed before any page script: every map draw with the caption it showed, every change of the
# table with what it showed, and the gestures' events.
USER_JS = r"""
(() => {
  if (window.__user) return;
  const U = window.__user = {plots: [], tables: [], gestures: [], ev: null};
  const text = (id) => { const e = document.getElementById(id); return e ? e.textContent : ''; };
  const note = () => text('map-caption') + ' | ' + text('map-mesh');
  function table() {
    const t = document.getElementById('metrics-table');
    if (!t) return '';
    const selected = t.querySelector('tr.selected');
    const caption = t.querySelector('caption');
    return (caption ? caption.textContent : t.textContent) + ' | ' + (selected ? selected.dataset.init : '');
  }
  function attach() {
    const gd = document.querySelector('#boundary-graph .js-plotly-plot');
    if (!gd || typeof gd.on !== 'function' || !gd._ev || U.ev === gd._ev) return;
    U.ev = gd._ev;
    const record = () => U.plots.push({t: performance.now(), note: note()});
    gd.on('plotly_afterplot', record);
    gd.on('plotly_react', record);
    gd.addEventListener('kmeans-map-drawn', record);  // a fit or mesh step drawn by the page (map_regions.js)
  }
  let watched = null;
  const tableObserver = new MutationObserver(() => U.tables.push({t: performance.now(), text: table()}));
  new MutationObserver(() => {
    attach();
    const t = document.getElementById('metrics-table');
    if (t && t !== watched) {
      watched = t;
      tableObserver.disconnect();
      tableObserver.observe(t, {subtree: true, childList: true, characterData: true, attributes: true});
    }
  }).observe(document, {subtree: true, childList: true});
  const gesture = (kind) => (event) => {
    if (kind === 'key' && event.key !== 'Enter') return;
    U.gestures.push({t: event.timeStamp, kind, id: (event.target && (event.target.id || event.target.textContent)) || ''});
  };
  U.fetches = [];
  const originalFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('_dash-update-component')) return originalFetch.apply(this, arguments);
    let output = '';
    try { output = JSON.parse(init.body).output || ''; } catch (e) { /* not JSON */ }
    const rec = {sent: performance.now(), arrived: null, output};
    U.fetches.push(rec);
    return originalFetch.apply(this, arguments).then((response) => {
      const json = response.json.bind(response);
      response.json = () => json().then((value) => { rec.arrived = performance.now(); return value; });
      return response;
    });
  };
  document.addEventListener('click', gesture('click'), true);
  document.addEventListener('keydown', gesture('key'), true);
  document.addEventListener('input', gesture('input'), true);
})();
"""

FIELDS = {"n_init": "n-init", "k": "n-clusters", "seed": "random-seed", "mesh": "mesh-step"}


# Each form starts at a seed of its own (set untimed), so that the paused series does not repeat the
# back-to-back one's configurations (cached by then): every change of both is a fit never computed.
FIRST_SEED = {False: 0, True: 50}  # paused? -> the seed its series start from


def _series(values: int, app: str, first_seed: int = 0) -> dict[str, list]:
    """Fresh values for each control, in the order they are driven (from the defaults: n_init 10,
    k 10, k-means++, mesh 0.02, at `first_seed`). The init method has three values: each round of
    three starts at a seed not seen before (set untimed), so its fits are fresh where they can be
    (the PCA-based fit does not depend on the seed)."""
    inits = ["random", "PCA-based", "k-means++"]
    return {
        "n_init": list(range(11, 11 + values)),
        "k": list(range(11, 11 + values)),
        "seed": list(range(first_seed + 1, first_seed + 1 + values)),
        "init": [inits[i % 3] for i in range(values)],
        # Coarse and fine, on the baseline's own grid (its field has min 0.005 and step 0.01, and
        # sends nothing for a value off that grid); then, for the project, the finest step it
        # allows (0.014: ~1.8 million cells).
        "mesh": [round(0.005 + 0.01 * n, 3) for n in (2, 3, 5, 10, 20, 50, 1, 4, 6, 7)][:values]
        + ([0.014] if app == "project" else []),
    }


def _caption_tokens(app: str, control: str, value, state: dict) -> list[str]:
    """What the map's caption shows once it draws this change."""
    if app == "project":
        tokens = {"n_init": f"(n_init {value})", "k": f" · k {value} · ", "seed": f" · seed {value} · ",
                  "init": f"refit · {value} (", "mesh": f"step {value:g} =" if control == "mesh" else ""}
        # PCA-based ignores the seed (its caption says seed 0): the others name the round's seed.
        return [tokens[control]] + ([f" · seed {state['seed']} · "] if control == "init" and value != "PCA-based" else [])
    tokens = {"n_init": f"n_init {value},", "k": f", k {value},", "seed": f", seed {value},",
              "init": f"{value}, n_init", "mesh": f", h {value} ("}
    return [tokens[control]] + ([f", seed {state['seed']},"] if control == "init" else [])


def _table_tokens(state: dict) -> list[str]:
    # The caption goes on after the seed with " (": without it, seed = 1 would match seed = 10.
    return [f"k = {state['k']}, n_init = {state['n_init']}, seed = {state['seed']} (", f"| {state['init']}"]


def _gesture(page, app: str, control: str, value) -> str:
    """Make the change as a person would; return the kind of event it is timed from."""
    if control == "init":
        page.locator("#init-method label", has_text=value).first.click()
        return "click"
    field = FIELDS[control]
    if app == "project" and control != "mesh":
        page.click(f"#{field}-increment")  # the presenter's "+"
        return "click"
    page.fill(f"#{field}", str(value))
    if app == "project":
        page.press(f"#{field}", "Enter")  # sends at once, without the typing pause
        return "key"
    return "input"


def _first(records: list, since: float, tokens: list[str], key: str) -> float | None:
    for record in records:
        if record["t"] >= since and all(token in record[key] for token in tokens):
            return record["t"]
    return None


def drive(browser, url: str, app: str, values: int, paused: bool) -> list[dict]:
    """Every control's series on one page; one record per change."""
    context = browser.new_context(viewport=VIEWPORT)
    sizes = []  # (sent at, python clock) per callback response, with its transferred bytes

    def finished(request):
        if UPDATE_PATH in request.url:
            sizes.append((request.timing.get("startTime", 0), time.perf_counter(), request.sizes()["responseBodySize"]))

    records = []
    try:
        context.add_init_script(USER_JS)
        page = context.new_page()
        page.on("requestfinished", finished)
        page.goto(url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function("() => window.__user && window.__user.plots.length > 0", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_timeout(1000)
        state = {"n_init": 10, "k": 10, "seed": FIRST_SEED[paused], "init": "k-means++", "mesh": 0.02}
        if state["seed"]:
            page.fill("#random-seed", str(state["seed"]))
            if app == "project":
                page.press("#random-seed", "Enter")
            page.wait_for_function("tokens => window.__user.plots.some((p) => tokens.every((x) => p.note.includes(x)))",
                                   arg=_caption_tokens(app, "seed", state["seed"], state), timeout=CHANGE_TIMEOUT_MS)
            _wait_quiet(page, 500)
        for control, series in _series(values, app, state["seed"]).items():
            for index, value in enumerate(series):
                if control == "init" and index % 3 == 0:  # a fresh seed for each round of inits
                    state["seed"] += 1
                    page.click("#random-seed-increment") if app == "project" else page.fill("#random-seed", str(state["seed"]))
                    _wait_quiet(page, 300)
                state[control] = value
                gestures_before = page.evaluate("() => window.__user.gestures.length")
                started = time.perf_counter()
                kind = _gesture(page, app, control, value)
                tokens = _caption_tokens(app, control, value, state)
                try:
                    page.wait_for_function(
                        """([n, kind, tokens]) => { const U = window.__user;
                            const g = U.gestures.slice(n).find((e) => e.kind === kind);
                            return !!g && U.plots.some((p) => p.t >= g.t && tokens.every((x) => p.note.includes(x))); }""",
                        arg=[gestures_before, kind, tokens], timeout=20_000, polling=5)
                except Exception as error:
                    shown = page.evaluate("() => [window.__user.plots.slice(-2), window.__user.gestures.slice(-3)]")
                    raise RuntimeError(f"{app}: {control} = {value}: the map never showed {tokens}; last: {shown}") from error
                record = {"control": control, "value": value, "paused": paused, "kind": kind,
                          "started": started, "state": dict(state), "caption_tokens": tokens,
                          "gestures_before": gestures_before}
                if paused:
                    _wait_quiet(page, 300)
                    if app == "project" and control != "mesh":
                        page.wait_for_function(
                            "tokens => window.__user.tables.some((r) => tokens.every((x) => r.text.includes(x)))",
                            arg=_table_tokens(state), timeout=CHANGE_TIMEOUT_MS, polling=20)
                    page.wait_for_timeout(PAUSE_MS)
                records.append(record)
            _wait_quiet(page, 500)  # between controls: everything answered
        log = page.evaluate("() => window.__user")
    finally:
        context.close()
    return _timings(records, log, sizes, app)


def _wait_quiet(page, quiet_ms: int) -> None:
    """Until no callback request has been in flight for `quiet_ms`."""
    page.wait_for_function(
        """(quiet) => { const s = window.store && window.store.getState();
            const busy = s && Object.entries(s.callbacks || {}).some(([stage, list]) =>
                stage !== 'stored' && stage !== 'completed' && Array.isArray(list) && list.length > 0);
            const U = window.__user; const now = performance.now();
            if (busy) { U.busyAt = now; return false; }
            return now - (U.busyAt || 0) >= quiet; }""",
        arg=quiet_ms, timeout=CHANGE_TIMEOUT_MS, polling=20)


def _timings(records: list[dict], log: dict, sizes: list, app: str) -> list[dict]:
    gestures, plots, tables = log["gestures"], log["plots"], log["tables"]
    for index, record in enumerate(records):
        gesture = next((g for g in gestures[record["gestures_before"]:] if g["kind"] == record["kind"]), None)
        t0 = gesture["t"] if gesture else None
        drawn = _first(plots, t0, record["caption_tokens"], "note") if t0 is not None else None
        record["t0"], record["map_ms"] = t0, (drawn - t0) if drawn is not None else None
        # Where the map's time went: gesture -> its request sent -> answer parsed -> drawn.
        request = next((f for f in log["fetches"] if t0 is not None and f["sent"] >= t0
                        and ("map-regions.data" in f["output"] or "boundary-graph.figure" in f["output"])), None)
        if request and drawn is not None and request["arrived"] is not None and request["arrived"] <= drawn:
            record["to_request_ms"] = request["sent"] - t0
            record["request_ms"] = request["arrived"] - request["sent"]
            record["drawing_ms"] = drawn - request["arrived"]
        if record["control"] == "mesh":
            table = None  # the mesh step does not change the table
        elif app == "project":
            table = _first(tables, t0, _table_tokens(record["state"]), "text")
        else:  # the baseline's table comes with its map, in the same response
            table = max((r["t"] for r in tables if t0 <= r["t"] <= (drawn or t0)), default=None)
        record["table_ms"] = (table - t0) if table is not None else None
        # Superseded: the next change started before this change's table showed.
        following = records[index + 1]["started"] if index + 1 < len(records) else float("inf")
        record["superseded_table"] = record["control"] != "mesh" and record["table_ms"] is None
        ended = following
        record["bytes"] = sum(size for _, clock, size in sizes if record["started"] <= clock < ended)
        record["requests"] = sum(1 for _, clock, _ in sizes if record["started"] <= clock < ended)
    return records


# ---------------------------------------------------------------------------------------------
# report

TARGETS = {"map_speedup": 8.0, "table_over_map": 2.5, "mesh_ms": 40.0, "first_render_speedup": 3.0,
           "payload_kb": 20.0}


def _median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def summary(project: dict, naive: dict) -> list[dict]:
    """One row per control and form: medians, ratios and whether each target is met."""
    rows = []
    for form in ("back_to_back", "paused"):
        if form not in project.get("user", {}):
            continue
        mine, theirs = project["user"][form], naive["user"][form]
        for control in ("n_init", "k", "seed", "init", "mesh"):
            own = [r for r in mine if r["control"] == control]
            base = [r for r in theirs if r["control"] == control]
            map_ms, base_ms = _median([r["map_ms"] for r in own]), _median([r["map_ms"] for r in base])
            table_ms = _median([r["table_ms"] for r in own])
            payload_kb = sum(r["bytes"] for r in own) / max(len(own), 1) / 1024
            row = {"form": form.replace("_", "-"), "control": control, "changes": len(own),
                   "map ms": map_ms, "baseline map ms": base_ms,
                   "speed-up": base_ms / map_ms if map_ms and base_ms else None,
                   "table ms": table_ms, "table / map": table_ms / map_ms if table_ms and map_ms else None,
                   "tables superseded": sum(r["superseded_table"] for r in own),
                   "gesture->request ms": _median([r.get("to_request_ms") for r in own]),
                   "request->answer ms": _median([r.get("request_ms") for r in own]),
                   "answer->drawn ms": _median([r.get("drawing_ms") for r in own]),
                   "KB per change": payload_kb, "requests": sum(r["requests"] for r in own),
                   "baseline KB per change": sum(r["bytes"] for r in base) / max(len(base), 1) / 1024}
            if control == "mesh":
                finest = [r["map_ms"] for r in own if r["value"] == min(r2["value"] for r2 in own)]
                row["finest step ms"] = finest[0] if finest else None
                row["target"] = f"no request, <= {TARGETS['mesh_ms']:g} ms"
                row["met"] = row["requests"] == 0 and map_ms is not None and map_ms <= TARGETS["mesh_ms"]
            else:
                row["target"] = (f">= {TARGETS['map_speedup']:g}x, table <= {TARGETS['table_over_map']:g}x map, "
                                 f"<= {TARGETS['payload_kb']:g} KB")
                row["met"] = bool(row["speed-up"] and row["speed-up"] >= TARGETS["map_speedup"]
                                  and row["table / map"] and row["table / map"] <= TARGETS["table_over_map"]
                                  and payload_kb <= TARGETS["payload_kb"])
            rows.append(row)
    return rows
