"""How the page's files are served (serving/static_files.py): what the browser gets, compressed
once, fingerprinted URLs cached for a year, nothing else cached, and no @babel/polyfill."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import dash
import flask_compress.flask_compress as flask_compress_module
import pytest

from serving import static_files

ASSETS = Path(__file__).resolve().parent.parent / "assets"
DASH_DIR = Path(dash.__file__).parent
GZIP = {"Accept-Encoding": "gzip"}


@pytest.fixture(scope="module")
def client():
    from app import app

    return app.server.test_client()


@pytest.fixture(scope="module")
def index(client) -> str:
    return client.get("/").get_data(as_text=True)


def _scripts(index: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', index)


@pytest.fixture
def compressions(monkeypatch) -> list[str]:
    """Every body Flask-Compress compresses from now on (the algorithm of each)."""
    calls, original = [], flask_compress_module._compress_data

    def counting(app, data, algorithm):
        calls.append(algorithm)
        return original(app, data, algorithm)

    monkeypatch.setattr(flask_compress_module, "_compress_data", counting)
    return calls


def test_the_page_loads_no_babel_polyfill_but_the_regenerator_runtime_dash_needs(index):
    scripts = _scripts(index)
    assert not [src for src in scripts if "polyfill" in src]
    assert [src for src in scripts if "/assets/vendor/regenerator-runtime-" in src]
    # Dash's bundles do call the global the runtime defines (their lazy-component loader).
    assert "regeneratorRuntime.mark" in (DASH_DIR / "dash-renderer/build/dash_renderer.min.js").read_text()
    # React still comes first, Dash's renderer after the assets.
    assert "react@" in scripts[0] and any("dash_renderer" in src for src in scripts[-5:])


def test_the_page_preloads_what_dash_fetches_late_and_each_is_served(client, index):
    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="(\w+)"', index)
    assert dict(preloads) == {"/_dash-layout": "fetch", "/_dash-dependencies": "fetch",
                              "/_dash-component-suites/dash/dcc/async-graph.js": "script"}
    assert index.index('rel="preload"') < index.index("<script src=")  # in the head, before the scripts
    for path, _ in preloads:
        assert client.get(path).status_code == 200


def test_a_fingerprinted_script_is_served_compressed_once_and_cached_by_browsers_for_a_year(client, index,
                                                                                           compressions):
    (renderer,) = [src for src in _scripts(index) if "dash_renderer" in src]
    first, again = client.get(renderer, headers=GZIP), client.get(renderer, headers=GZIP)
    assert first.status_code == again.status_code == 200
    assert first.headers["Content-Encoding"] == again.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(again.get_data()) == (DASH_DIR / "dash-renderer/build/dash_renderer.min.js").read_bytes()
    assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert len(compressions) <= 1  # once per process: not at all if an earlier request did it


def test_assets_are_sent_whole_compressed_once_and_immutable_under_their_fingerprinted_url(client, index,
                                                                                          compressions):
    (plotly_src,) = [src for src in _scripts(index) if "/assets/vendor/plotly-basic-" in src]
    assert "?m=" in plotly_src
    responses = [client.get(plotly_src, headers=GZIP) for _ in range(3)]
    vendored = ASSETS / "vendor" / plotly_src.split("/")[-1].split("?")[0]
    for response in responses:
        assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(response.get_data()) == vendored.read_bytes()
        assert response.headers["Cache-Control"] == static_files.IMMUTABLE
    assert len(compressions) <= 1
    # Without a fingerprint, an asset is revalidated as before.
    plain = client.get(plotly_src.split("?")[0], headers=GZIP)
    assert plain.status_code == 200 and "immutable" not in plain.headers.get("Cache-Control", "")


def test_a_range_request_neither_uses_nor_fills_the_cache(client, index):
    (style,) = [src for src in re.findall(r'href="([^"]+)"', index) if "/assets/style.css" in src]
    part = client.get(style, headers={**GZIP, "Range": "bytes=0-99"})
    assert part.status_code == 206
    whole = client.get(style, headers=GZIP)
    assert whole.status_code == 200
    assert gzip.decompress(whole.get_data()) == (ASSETS / "style.css").read_bytes()


def test_the_index_layout_and_callbacks_are_not_cached_by_browsers(client):
    for path in ("/", "/_dash-layout", "/_dash-dependencies"):
        response = client.get(path, headers=GZIP)
        assert response.status_code == 200
        assert response.headers["Content-Encoding"] == "gzip"
        assert "max-age" not in response.headers.get("Cache-Control", "")


def test_only_fixed_responses_get_a_cache_key_and_made_up_fingerprints_share_one(client):
    app = client.application
    keys = {}
    for method, path in [("GET", "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.v4_4_1m1.min.js"),
                         ("GET", "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.v9_9_9m2.min.js"),
                         ("GET", "/assets/style.css?m=1"), ("GET", "/assets/style.css?m=2"),
                         ("GET", "/_dash-layout"), ("GET", "/"), ("POST", "/_dash-update-component")]:
        with app.test_request_context(path, method=method):
            from flask import request

            keys[(method, path)] = static_files.cache_key(request)
    values = list(keys.values())
    assert values[0] == values[1] == "/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js"
    assert values[2] == values[3] == "/assets/style.css"
    assert values[4] == "/_dash-layout"
    assert values[5] == values[6] == static_files.UNCACHED
    cache = static_files.CompressedOnce()
    cache.set(f"gzip;{static_files.UNCACHED}", b"body")
    assert cache.get(f"gzip;{static_files.UNCACHED}") is None


def test_a_new_app_has_compressed_its_scripts_before_its_first_visitor(compressions):
    import app as app_module

    fresh = app_module.create_app().server.test_client()
    started = len(compressions)  # create_app compressed them
    assert started > 0
    index = fresh.get("/").get_data(as_text=True)
    for path in _scripts(index):
        assert fresh.get(path, headers=GZIP).headers["Content-Encoding"] == "gzip"
    assert len(compressions) == started  # none compressed again
