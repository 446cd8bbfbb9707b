"""The page's ids against its callbacks, now that part of the page is mounted after the first render.

Dash's renderer used to check at load that every callback's ids are in the layout; with the
parts below the fold mounted later (components/below_fold.py), that check is off
(`suppress_callback_exceptions`), and this test does it on the whole page instead.
"""

from __future__ import annotations

from collections import Counter

import pytest
from dash.development.base_component import Component

from components.below_fold import CONTENT_STORE, MOUNT_SIGNAL, PLACEHOLDERS


@pytest.fixture(scope="module")
def app():
    from app import app

    return app


def _components(node):
    """Every component in a tree, including components held in a property's value (a store's data)."""
    if isinstance(node, Component):
        yield node
        for name in node._prop_names:
            yield from _components(getattr(node, name, None))
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


def _store(layout, store_id: str):
    (store,) = [c for c in _components(layout) if getattr(c, "id", None) == store_id]
    return store


def test_every_callback_id_is_on_the_page_once_what_is_mounted_later_is_in(app):
    ids = Counter(_ids(_components(app.layout)))
    assert [name for name, count in ids.items() if count > 1] == []
    named = set()  # string ids; pattern-matching ones (JSON, "{...}") match whatever is there
    for output, callback in app.callback_map.items():
        named |= {dependency["id"] for dependency in callback["inputs"] + callback.get("state", [])}
        if not callback.get("no_output"):  # "..a.children...b.hidden..", or "a.value@<hash>"
            named |= {part.split(".")[0] for part in output.strip(".").split("...")}
    named = {name for name in named if not name.startswith("{")}
    assert {"boundary-graph", "k-sweep-run", "html-views", "stability-shown"} <= named  # parsed
    assert named - set(ids) == set()


def test_the_first_render_holds_the_parts_below_the_fold_in_a_store_not_on_the_page(app):
    rendered = set(_ids(_rendered(app.layout)))
    content = _store(app.layout, CONTENT_STORE).data
    assert set(content) == set(PLACEHOLDERS) <= rendered  # each placeholder is on the page, empty
    later = set(_ids(_components(content)))
    assert {"k-sweep-graph", "stability-graph", "replay-graph", "replay-slider", "k-sweep-run"} <= later
    assert later.isdisjoint(rendered)
    assert MOUNT_SIGNAL in rendered
    # The table's callback reads the stability run shown: that store is on the page from the start.
    assert "stability-shown" in rendered


def test_the_table_gallery_and_matrix_are_html_in_one_store_with_empty_places_for_them(app):
    rendered = list(_rendered(app.layout))
    views = _store(app.layout, "html-views").data
    assert set(views) == {"metrics-table", "centroid-gallery", "cluster-digit-matrix"}
    for container in views:
        place = next(component for component in rendered if getattr(component, "id", None) == container)
        assert place.children is None  # filled by assets/html_views.js, never by Dash
    assert '<table class="digit-matrix">' in views["cluster-digit-matrix"]
    assert views["centroid-gallery"].count('class="centroid-card"') == 10
