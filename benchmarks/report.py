"""The speed benchmark's tables: project vs baseline vs target."""

from __future__ import annotations

import pandas as pd

from benchmarks.harness import median

TARGETS = {
    "change_render_ms": 100.0,
    "first_render_s": 1.0,
    "payload_kb": 100.0,
    "server_fresh_ms": 150.0,
    "server_repeat_ms": 10.0,
    "speedup": 5.0,
    "payload_ratio": 40.0,
}

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
            "change -> last callback answered (project: the table, after the map) (ms)",
            change(project, "request_to_last_response_ms"),
            change(naive, "request_to_last_response_ms"),
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
            "server time, fresh refit of everything, every callback as the page chains them (ms)",
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
            ("in process: plane_map (map), cleared caches (ms)", median(core["map_ms"]), None, None),
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
            f"{name}: server, fresh, per callback (median ms, in the order the page sends them): "
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


