"""Dash `html` component trees as HTML text, for the views the page shows as plain DOM.

Each Dash component on the page is a React component wired to Dash's store: every store update
runs a selector for each of them, and each component a callback replaces dispatches its own
update as it mounts. The table, the gallery and the matrix (~240 components for k = 10) made a
settings change ~400 store updates × ~500 selectors, most of the browser's time between the
answer and the map drawn. So these views are built with the same `html` components (and tested
as such), then sent as one HTML string each and written into their containers by
assets/html_views.js: one store update per change, and no components to wire.

Only what these views use is supported; anything else raises, rather than being dropped.
"""

from __future__ import annotations

import html as html_escape
import re
from collections.abc import Iterable

from dash.development.base_component import Component

HTML_VIEWS_STORE = "html-views"  # {container id: HTML}, written by the table callback
MEMBERS_HTML_STORE = "members-html"  # {"cluster-members": HTML}, written by the members callback
VOID_TAGS = frozenset({"img", "br", "hr", "wbr"})
# Dash prop → HTML attribute, where they differ; every other allowed prop keeps its name.
RENAMED = {"className": "class", "colSpan": "colspan", "rowSpan": "rowspan", "tabIndex": "tabindex"}
ATTRIBUTES = frozenset({"id", "title", "role", "scope", "src", "alt", "hidden", "lang", "dir", *RENAMED})
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _style(style: dict) -> str:
    return "; ".join(f"{_CAMEL.sub('-', name).lower()}: {value}" for name, value in style.items())


def _attribute(name: str, value) -> str:
    if name == "style":
        value = _style(value)
    if value is True:
        return f" {RENAMED.get(name, name)}"
    return f' {RENAMED.get(name, name)}="{html_escape.escape(str(value), quote=True)}"'


def _attributes(props: dict) -> Iterable[str]:
    for name, value in sorted(props.items()):  # a stable order: Dash keeps data-*/aria-* in a set
        if name == "children" or value is None or value is False:
            continue
        if name != "style" and name not in ATTRIBUTES and not name.startswith(("data-", "aria-")):
            raise ValueError(f"{name!r} cannot be written as HTML here")
        if name == "id" and not isinstance(value, str):
            raise ValueError(f"only string ids are plain HTML, got {value!r}")
        yield _attribute(name, value)


def to_html(node) -> str:
    """`node` (components, text, numbers, lists of them, None) as HTML, text escaped."""
    if node is None:
        return ""
    if isinstance(node, (list, tuple)):
        return "".join(to_html(child) for child in node)
    if isinstance(node, str):
        return html_escape.escape(node, quote=False)
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return html_escape.escape(str(node), quote=False)
    if not isinstance(node, Component) or node._namespace != "dash_html_components":
        raise ValueError(f"{type(node).__name__} cannot be written as HTML here")
    props = node.to_plotly_json()["props"]
    tag = node._type.lower()
    opening = f"<{tag}{''.join(_attributes(props))}>"
    if tag in VOID_TAGS:
        return opening
    return f"{opening}{to_html(props.get('children'))}</{tag}>"
