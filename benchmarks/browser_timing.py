"""Browser figures: first render and change -> render, in headless Chromium."""

from __future__ import annotations

from benchmarks.harness import CHANGE_STATE_JS, CHANGE_TIMEOUT_MS, INIT_JS, LOAD_TIMEOUT_MS, UPDATE_PATH
from benchmarks.headless import VIEWPORT

# True once the change's requests (from index k) have all answered, the last one `quiet` ms ago,
# and no new one has started since.
QUIET_JS = """([k, quiet]) => {
  const mine = window.__bench.fetches.slice(k).filter((f) => !/k-sweep|stability/.test(f.output));
  const arrived = mine.map((f) => f.parsed ?? f.headers);
  if (!mine.length || arrived.some((t) => t === null)) return false;
  return performance.now() - Math.max(...arrived, ...mine.map((f) => f.sent)) >= quiet;
}"""

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


def set_seed(page, seed: int) -> None:
    """Move the page to `seed` (typed, then Enter for the project; the baseline sends on input) and
    wait until every request that caused has answered and none has started for 500 ms."""
    k = page.evaluate("() => window.__bench.fetches.length")
    page.fill("#random-seed", str(seed))
    page.press("#random-seed", "Enter")
    page.wait_for_function(QUIET_JS, arg=[k, 500], timeout=CHANGE_TIMEOUT_MS, polling=50)


def change_render(browser, url: str, n_inits: list[int], seed: int, before=None,
                  still_running: str | None = None) -> dict:
    """Set n-init to each value in turn; time request sent / input event -> next map afterplot.

    The page is first moved to `seed`, which no other series uses: each change refits a
    configuration never computed before, on the project's server (its caches) as on the baseline's.
    `before(page)`, if given, runs once the page has settled, before the first change (e.g. it
    starts a background job, to time the changes while the job runs); `still_running`, a JS
    function's source, is asked after each change (e.g. whether that job still runs).

    The app may answer one change with several callbacks (at once or chained): the change starts at
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
        set_seed(page, seed)
        if before is not None:
            before(page)
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
            # Chained callbacks (the project's table follows the map): wait until every request
            # of the change has answered and none has started for 300 ms.
            page.wait_for_function(QUIET_JS, arg=[k, 300], timeout=CHANGE_TIMEOUT_MS, polling=50)
            page.wait_for_timeout(100)  # the frame after the last update
            rec = page.evaluate(f"() => ({CHANGE_STATE_JS})({k})")
            inputs = page.evaluate(f"() => window.__bench.inputs.slice({inputs_before})")
            rec["input"] = inputs[-1] if inputs else None
            rec["n_init"] = value
            rec["still_running"] = bool(page.evaluate(still_running)) if still_running else None
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
        # None while another request (a background job's poll) was still in flight at the end.
        rec["request_to_last_response_ms"] = (rec["last_arrived"] - rec["sent"]
                                              if rec["last_arrived"] is not None else None)
        rec["browser_after_response_ms"] = rec["afterplot"] - rec["map_arrived"]
        rec["afterplot_to_frame_ms"] = rec["frame"] - rec["afterplot"] if rec["frame"] is not None else None
        rec["transferred_bytes"] = sum(r["transferred_bytes"] for r in rec["responses"])
        rec["raw_bytes"] = sum(r["raw_bytes"] for r in rec["responses"])
        rec["content_encoding"] = ",".join(sorted({r["content_encoding"] for r in rec["responses"]}))
    return {"rows": rows, "payloads": payloads, "accept_encoding": accept_encoding}


