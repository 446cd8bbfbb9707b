"""Where the browser's time goes on a control change: a V8 CPU profile of the project page.

    python benchmarks/profile_browser.py [--changes 5] [--naive]

Starts the app (as speed.py does), loads the page, then for each change (n-init 11, 12, ...)
records a CPU profile from just before the input event to the map's `plotly_afterplot`
(with --first-load: from navigation to the first map drawn, fresh context each time),
and prints: the speed.py timings of each change, the busy (non-idle) main-thread time split
into script, garbage collection and "(program)" (layout, style, paint, image decode and other
native work), and the functions and scripts with the most self time. Also Chromium trace
event totals (Layout, Paint, style recalculation, image decode, ...) over the same windows.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.speed import (
    CHANGE_STATE_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    INIT_JS,
    LOAD_TIMEOUT_MS,
    REPO,
    VIEWPORT,
    Server,
)

TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "blink.user_timing"]


def self_times(profile: dict) -> tuple[collections.Counter, collections.Counter, float]:
    """Self time (ms) per function and per script from a CDP Profiler profile."""
    nodes = {node["id"]: node for node in profile["nodes"]}
    per_function, per_script = collections.Counter(), collections.Counter()
    deltas = profile["timeDeltas"]
    for index, node_id in enumerate(profile["samples"]):
        # each sample's time is the gap to the next one
        ms = (deltas[index + 1] if index + 1 < len(deltas) else 0) / 1000
        frame = nodes[node_id]["callFrame"]
        name = frame["functionName"] or "(anonymous)"
        url = frame["url"].rsplit("/", 1)[-1].split("?")[0] or "-"
        per_function[f"{name} [{url}:{frame['lineNumber'] + 1}]"] += ms
        # By script whenever there is one: anonymous functions ("(anonymous)") are most of a
        # minified bundle's time; only V8's own entries ((program), (idle), GC) have no URL.
        per_script[url if frame["url"] else name] += ms
    total = (profile["endTime"] - profile["startTime"]) / 1000
    return per_function, per_script, total


def trace_totals(trace: bytes) -> collections.Counter:
    """Total duration (ms) of the main-thread timeline events, by name, over the traced window."""
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    totals = collections.Counter()
    wanted = {
        "Layout",
        "UpdateLayoutTree",
        "Paint",
        "PrePaint",
        "Layerize",
        "Commit",
        "Decode Image",
        "ImageDecodeTask",
        "Decode LazyPixelRef",
        "ParseHTML",
        "EvaluateScript",
        "FunctionCall",
        "MajorGC",
        "MinorGC",
        "V8.GC_MC_BACKGROUND_MARKING",
        "TimerFire",
        "FireAnimationFrame",
        "EventDispatch",
        "RunMicrotasks",
        "v8.callFunction",
        "RunTask",
        "ResourceReceivedData",
        "HitTest",
        "ScheduleStyleRecalculation",
        "UpdateLayer",
        "v8.compile",
        "CompileCode",
    }
    for event in events:
        if event.get("ph") == "X" and event.get("name") in wanted:
            where = "main" if (event["pid"], event["tid"]) in main else "other threads"
            totals[f"{event['name']} ({where})"] += event.get("dur", 0) / 1000
    return totals


class _Done(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--naive", action="store_true", help="profile the naive baseline instead")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--first-load",
        action="store_true",
        help="profile fresh page loads (navigation -> map drawn) instead of changes",
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    server = (
        Server("naive", [sys.executable, str(REPO / "benchmarks" / "naive_app.py")], "/health")
        if args.naive
        else Server("project", [sys.executable, "app.py"], "/health")
    )
    functions, scripts = collections.Counter(), collections.Counter()
    traces = collections.Counter()
    profiled_ms = 0.0
    try:
        server.start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                if args.first_load:
                    for _ in range(args.changes):  # fresh context each time: cold cache, as speed.py
                        context = browser.new_context(viewport=VIEWPORT)
                        context.add_init_script(INIT_JS)
                        page = context.new_page()
                        cdp = context.new_cdp_session(page)
                        cdp.send("Profiler.enable")
                        cdp.send("Profiler.setSamplingInterval", {"interval": 100})
                        browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                        cdp.send("Profiler.start")
                        page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
                        page.wait_for_function(
                            "() => window.__bench && window.__bench.firstMap !== null",
                            timeout=LOAD_TIMEOUT_MS,
                            polling=10,
                        )
                        profile = cdp.send("Profiler.stop")["profile"]
                        traces.update(trace_totals(browser.stop_tracing()))
                        f, s, total = self_times(profile)
                        functions.update(f)
                        scripts.update(s)
                        profiled_ms += total
                        print(
                            f"first load: map drawn at {page.evaluate('() => window.__bench.firstMap'):.0f} ms,"
                            f" profiled {total:.0f} ms, busy {total - s.get('(idle)', 0):.0f} ms"
                        )
                        context.close()
                    raise _Done
                context = browser.new_context(viewport=VIEWPORT)
                context.add_init_script(INIT_JS)
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
                page.wait_for_function(
                    "() => window.__bench && window.__bench.firstMap !== null", timeout=LOAD_TIMEOUT_MS
                )
                page.wait_for_timeout(800)
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 100})
                print("n_init  first request->map response  map response->afterplot  profiled  busy")
                for value in range(11, 11 + args.changes):
                    page.evaluate("() => window.__bench.attach()")
                    k = page.evaluate("() => window.__bench.fetches.length")
                    browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
                    cdp.send("Profiler.start")
                    page.locator("#n-init").fill(str(value))
                    page.wait_for_function(f"() => ({CHANGE_STATE_JS})({k}).done", timeout=60_000, polling=10)
                    profile = cdp.send("Profiler.stop")["profile"]
                    traces.update(trace_totals(browser.stop_tracing()))
                    state = page.evaluate(f"() => ({CHANGE_STATE_JS})({k})")
                    f, s, total = self_times(profile)
                    functions.update(f)
                    scripts.update(s)
                    profiled_ms += total
                    busy = total - s.get("(idle)", 0)
                    print(
                        f"{value:>6}  {state['map_arrived'] - state['sent']:27.1f}  "
                        f"{state['afterplot'] - state['map_arrived']:23.1f}  {total:8.1f}  {busy:5.1f}"
                    )
                    page.wait_for_timeout(400)
                context.close()
            except _Done:
                pass
            finally:
                browser.close()
    finally:
        server.stop()

    n = args.changes
    print(
        f"\nper {'page load' if args.first_load else 'change'}, averaged over {n}: profiled {profiled_ms / n:.1f} ms"
    )
    print("self time by script / category (ms per change):")
    for name, ms in scripts.most_common(args.top):
        print(f"  {ms / n:8.1f}  {name}")
    print(f"\ntop {args.top} functions by self time (ms per change):")
    for name, ms in functions.most_common(args.top):
        print(f"  {ms / n:8.1f}  {name[:150]}")
    print("\ntrace events (ms per change; nested events overlap, so do not add them up):")
    for name, ms in sorted(traces.items(), key=lambda kv: -kv[1])[: args.top]:
        print(f"  {ms / n:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
