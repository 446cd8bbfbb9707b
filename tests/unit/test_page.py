"""The page as a whole: every callback's ids exist, nothing on it offers to send data elsewhere,
and the vendored plotly.js bundle is the one the plotly package ships."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import plotly
import pytest
from dash.development.base_component import Component

from components.below_fold import CONTENT_STORE, MOUNT_SIGNAL, PLACEHOLDERS

ASSETS = Path(__file__).resolve().parents[2] / "assets"


@pytest.fixture(scope="module")
def app():
    from app import app

    return app


def _components(node):
    """Every component in a tree, including those held in a property's value (a store's data)."""
    if isinstance(node, Component):
        yield node
        yield from _components(list(node.to_plotly_json()["props"].values()))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _components(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from _components(value)


def _rendered(node):
    """The components Dash renders at first: children only, not what a store's data holds."""
    if isinstance(node, Component):
        yield node
        yield from _rendered(getattr(node, "children", None))
    elif isinstance(node, list | tuple):
        for item in node:
            yield from _rendered(item)


def _ids(components) -> list:
    return [c.id for c in components if isinstance(getattr(c, "id", None), str)]


def test_every_callback_id_is_on_the_page_once_what_is_mounted_later_included(app):
    ids = Counter(_ids(_components(app.layout)))
    assert [name for name, count in ids.items() if count > 1] == []
    named = set()
    for output, callback in app.callback_map.items():
        named |= {dependency["id"] for dependency in callback["inputs"] + callback.get("state", [])}
        if not callback.get("no_output"):
            named |= {part.split(".")[0] for part in output.strip(".").split("...")}
    named = {name for name in named if not name.startswith("{")}
    assert {"boundary-graph", "k-sweep-run", "table-request", "stability-shown"} <= named  # parsed
    assert named - set(ids) == set()


def test_the_first_render_holds_the_jobs_panels_in_a_store_not_on_the_page(app):
    rendered = set(_ids(_rendered(app.layout)))
    (store,) = [c for c in _components(app.layout) if getattr(c, "id", None) == CONTENT_STORE]
    assert set(store.data) == set(PLACEHOLDERS) <= rendered
    later = set(_ids(_components(store.data)))
    assert {"k-sweep-graph", "stability-graph", "replay-graph", "replay-slider", "k-sweep-run"} <= later
    assert later.isdisjoint(rendered) and MOUNT_SIGNAL in rendered
    assert "stability-shown" in rendered  # the table's request reads it


def test_no_graph_offers_to_send_data_elsewhere(app):
    graphs = [c for c in _components(app.layout) if type(c).__name__ == "Graph"]
    assert len(graphs) >= 4
    for graph in graphs:
        config = graph.config or {}
        assert config.get("showSendToCloud") is False and config.get("showEditInChartStudio") is False
        assert "sendChartToCloud" in config.get("modeBarButtonsToRemove", [])


def _version(path: Path) -> str:
    head = path.read_text(encoding="utf-8", errors="replace")[:200]
    return re.search(r"plotly\.js.*? v(\d+\.\d+\.\d+)", head).group(1)


def test_the_vendored_basic_bundle_matches_the_installed_plotly_js():
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    vendored = list((ASSETS / "vendor").glob("plotly-basic-*.min.js"))
    assert len(vendored) == 1, "exactly one plotly.js basic bundle in assets/vendor"
    assert _version(vendored[0]) == _version(bundled)
    with vendored[0].open(encoding="utf-8") as bundle:
        assert bundle.readline().strip() == "//# allFunctionsCalledOnLoad", "see assets/vendor/README.md"
