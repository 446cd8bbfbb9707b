"""Server figures: callback POSTs over HTTP, and the core timed in process."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import requests

from benchmarks.harness import REPO, UPDATE_PATH
from benchmarks.load import control_props, fetch_callbacks, run_change

# ---------------------------------------------------------------------------------------------
# server over HTTP


def post(session: requests.Session, url: str, body: dict, accept_encoding: str) -> tuple[dict, bytes | None]:
    """One callback POST: its timing and size as transferred (not decoded), and the decoded body."""
    headers = {"Content-Type": "application/json", "Accept-Encoding": accept_encoding}
    started = time.perf_counter()
    response = session.post(
        url + UPDATE_PATH, data=json.dumps(body).encode(), headers=headers, stream=True, timeout=120
    )
    raw = response.raw.read(decode_content=False)
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 204):
        raise RuntimeError(f"POST {url}{UPDATE_PATH} -> {response.status_code}: {raw[:300]!r}")
    decoded = None
    if response.status_code == 200:
        encoding = response.headers.get("content-encoding", "identity")
        decoded = raw if encoding == "identity" else _decode(raw, encoding)
    answer = {
        "output": body.get("output"),
        "ms": elapsed * 1000,
        "bytes": len(raw),
        "encoding": response.headers.get("content-encoding", "identity"),
    }
    return answer, decoded


def _decode(raw: bytes, encoding: str) -> bytes:
    import gzip
    import zlib

    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "deflate":
        return zlib.decompress(raw)
    if encoding == "br":
        import brotli

        return brotli.decompress(raw)
    if encoding == "zstd":
        from backports import zstd  # flask-compress's own zstd library (Python < 3.14)

        return zstd.decompress(raw)
    raise ValueError(f"unknown Content-Encoding {encoding!r}")


def post_change(sessions, url: str, callbacks, values: dict, accept_encoding: str) -> dict:
    """One settings change as the browser plays it (load.run_change): the callbacks the controls
    trigger, at once, then those their answers trigger; wall time until the last one answered."""
    free = list(sessions)

    def send(body):
        session = free.pop()
        try:
            return post(session, url, body, accept_encoding)
        finally:
            free.append(session)

    started = time.perf_counter()
    answers = run_change(send, callbacks, control_props(values), [f"{cid}.value" for cid in values])
    return {
        "ms": (time.perf_counter() - started) * 1000,
        "callbacks": answers,
        "bytes": sum(a["bytes"] for a in answers),
    }


def server_times(url: str, accept_encoding: str, fresh: int, repeat: int) -> dict:
    """Fresh: new seeds at the defaults (all three table rows and the map refitted); repeat: a seen one."""
    defaults = {
        "init-method": "k-means++",
        "n-init": 10,
        "n-clusters": 10,
        "random-seed": 0,
        "mesh-step": 0.02,
    }
    sessions = [requests.Session() for _ in range(4)]
    try:
        callbacks = fetch_callbacks(sessions[0], url)
        fresh_rows = [
            post_change(sessions, url, callbacks, {**defaults, "random-seed": 1001 + i}, accept_encoding)
            for i in range(fresh)
        ]
        repeat_rows = [
            post_change(sessions, url, callbacks, {**defaults, "random-seed": 1001}, accept_encoding)
            for _ in range(repeat)
        ]
        # Sizes per encoding for the default configuration (already seen, so no refit).
        sizes = {
            enc: post_change(sessions, url, callbacks, defaults, enc)["bytes"]
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
caches = [clustering.fit_full, clustering.benchmark_inits, clustering.fitted_inits, clustering.benchmark_rows, boundary.fit_plane,
          boundary.plane_map]
try:
    try:
        from callbacks import results_views as table_views
    except ImportError:  # older code (another checkout): the views were in callbacks.refresh
        from callbacks import refresh as table_views
    from components import boundary_figure
    caches += [boundary_figure.map_regions, table_views._results]
    def view(results, b):
        table_views.results(settings)  # the table callback's views, from the cached fits
        boundary_figure.map_regions(b)
except Exception:  # the components' API moved: time the core only
    view = None
out = {"core_fresh_ms": [], "core_and_components_fresh_ms": [], "table_ms": [], "map_ms": []}
for _ in range(reps):
    for cached in caches:
        cached.cache_clear()
    t0 = time.perf_counter()
    results = clustering.benchmark_inits(settings.n_clusters, settings.n_init, settings.seed)
    t1 = time.perf_counter()
    b = boundary.plane_map(*settings.fit_key)  # the map: the 2-D fit (the page draws the regions)
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


