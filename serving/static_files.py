"""How the page's scripts, styles and layout are served: compressed once, cached by browsers.

`install(app)` replaces Dash's `compress=True` (call it right after creating the app, where Dash
would have set up Flask-Compress, so that compression still runs after every other response
hook). Flask-Compress, as Dash sets it up, gzips every ~0.1–1.2 MB script again for every page
load, on the same few gunicorn threads that answer the page's callbacks; here:

- Responses whose bytes never change while the server runs (Dash's component suites, the files
  in assets/, the layout and the callback list) are compressed once per process and kept, in
  Flask-Compress's own cache (`COMPRESS_CACHE_BACKEND`). Callback responses and the index page
  are still compressed per request: they differ from one request to the next.
- Files from assets/ are sent as one body instead of streamed, so that they take that cached
  path too (streamed, Flask-Compress compressed plotly.js's 1.2 MB again chunk by chunk).
- A URL with a fingerprint (Dash's `….v4_4_1m1796012691.min.js`, or `/assets/…?m=<mtime>`:
  a new file gets a new URL) is served `Cache-Control: public, max-age=31536000, immutable`,
  so a returning browser does not even revalidate it. The index, the layout and the callbacks
  keep their headers (no caching).

In debug mode (`DASH_DEBUG=1`, files edited while the server runs) nothing is kept.

`without_babel_polyfill(scripts_html)` drops Dash's @babel/polyfill script from the page; see there.
"""

from __future__ import annotations

import re
import threading

from dash.fingerprint import check_fingerprint
from flask import request
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
SUITES_PREFIX = "/_dash-component-suites/"
ASSETS_PREFIX = "/assets/"
# Fixed once the app has started: the layout is serialized once (app.py), the callbacks are registered.
FIXED_PATHS = frozenset({"/_dash-layout", "/_dash-dependencies"})
COMPRESSIBLE_ASSETS = re.compile(r"\.(js|css|json|svg|ico)$")  # the rest (PNGs) is compressed already
UNCACHED = "-"  # the cache key of a response that must be compressed afresh

# Dash serves @babel/polyfill 7.12.1 (core-js 2 + regenerator-runtime) before React, for old
# browsers. Every browser Dash 4 supports has what core-js adds, and core-js slows the page:
# its String.prototype.trim replaces the native one (~100 ms of a first render in Chromium),
# and the 99 KB script takes ~0.1–0.2 s to run. Dash's own bundles need one piece of it: the
# global `regeneratorRuntime` (their lazy-component loader calls it once a chunk such as
# dcc.Graph's has loaded), which assets/vendor/regenerator-runtime-0.13.11.js provides.
# Dash has no option for this; its script tags are filtered instead (DashboardApp in app.py).
BABEL_POLYFILL_TAG = re.compile(r'<script src="[^"]*/_dash-component-suites/dash/deps/polyfill@[^"]*"></script>\n?')


def preload_links(prefix: str) -> str:
    """<link rel=preload> tags for what the page fetches only once Dash's scripts have all run
    (~1 s into a first load): the layout and the callbacks (Dash's renderer asks for them when
    it starts), and dcc.Graph's code (a chunk fetched when React first renders a graph). The
    browser fetches them alongside the scripts instead, and hands them over when they are asked
    for. `prefix`: Dash's requests_pathname_prefix."""
    return "\n".join([
        f'<link rel="preload" href="{prefix}_dash-layout" as="fetch" crossorigin>',
        f'<link rel="preload" href="{prefix}_dash-dependencies" as="fetch" crossorigin>',
        f'<link rel="preload" href="{prefix}_dash-component-suites/dash/dcc/async-graph.js" as="script">',
    ])


def without_babel_polyfill(scripts_html: str) -> str:
    """Dash's script tags without its @babel/polyfill one (see BABEL_POLYFILL_TAG)."""
    return BABEL_POLYFILL_TAG.sub("", scripts_html, count=1)


def _fingerprinted(path: str) -> bool:
    if path.startswith(SUITES_PREFIX):
        return check_fingerprint(path)[1]
    return path.startswith(ASSETS_PREFIX) and "m" in request.args


def cache_key(req) -> str:
    """Flask-Compress's cache key: the file a response is (fingerprints and query dropped, so that
    made-up fingerprints cannot grow the cache), or UNCACHED for what must be compressed afresh."""
    if req.method != "GET" or "Range" in req.headers:  # a part of a file is not the file
        return UNCACHED
    path = req.path
    if path.startswith(SUITES_PREFIX):
        return check_fingerprint(path)[0]
    if path.startswith(ASSETS_PREFIX) or path in FIXED_PATHS:
        return path
    return UNCACHED


class CompressedOnce:
    """Flask-Compress's cache backend: the compressed bytes of each fixed response, per algorithm.

    Only 2xx responses are compressed, so keys are files that exist (a few dozen, a few MB)."""

    def __init__(self) -> None:
        self._bytes: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return None if key.endswith(";" + UNCACHED) else self._bytes.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";" + UNCACHED):
            with self._lock:
                self._bytes[key] = value


def warm(server) -> None:
    """Compress the page's fixed responses now, at start-up, so that no visitor waits for it
    (plotly.js alone takes ~50 ms): the index's scripts, styles and preloads, through the app."""
    with server.test_client() as client:
        index = client.get("/").get_data(as_text=True)
        for path in re.findall(r'(?:src|href)="(/[^"]+)"', index):
            client.get(path, headers={"Accept-Encoding": "gzip"})


def install(app, debug: bool = False) -> None:
    """Compression (gzip, as Dash sets it) with the fixed responses compressed once, and year-long
    browser caching of fingerprinted URLs. `debug`: files may change while serving; keep nothing."""
    server = app.server
    server.config["COMPRESS_ALGORITHM"] = ["gzip"]  # what Dash's compress=True chooses
    if not debug:
        server.config["COMPRESS_CACHE_BACKEND"] = CompressedOnce
        server.config["COMPRESS_CACHE_KEY"] = cache_key
    Compress(server)

    # Registered after Flask-Compress, so this runs before it (Flask runs these hooks in reverse).
    @server.after_request
    def _static_headers(response):
        if request.method not in ("GET", "HEAD"):
            return response
        path = request.path
        if (path.startswith(ASSETS_PREFIX) and response.status_code == 200 and response.direct_passthrough
                and COMPRESSIBLE_ASSETS.search(path)):
            # One body instead of a file stream, so that Flask-Compress takes its cached path.
            response.direct_passthrough = False
            response.set_data(response.get_data())
        if response.status_code in (200, 304) and _fingerprinted(path):
            response.headers["Cache-Control"] = IMMUTABLE
        return response
