"""Dash html components as HTML text, for views shown through dcc.Markdown.

The table, the gallery, the matrix and the members are built as Dash html components (readable,
and tested as such), but each is shown as one dcc.Markdown with `dangerously_allow_html`: Dash's
renderer does work for every component on the page at every update, and these views alone are
hundreds of elements. The text comes from each component's public `to_plotly_json()`, every text
and attribute value escaped, so nothing a view shows can become markup.
"""

from __future__ import annotations

import re

from dash.development.base_component import Component
from markupsafe import escape

VOID = {"img", "br", "hr", "input"}
ATTRIBUTES = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex", "colSpan": "colspan",
              "rowSpan": "rowspan"}
NOT_ATTRIBUTES = {"children", "n_clicks", "n_clicks_timestamp", "disable_n_clicks"}
ALLOWED_NAMESPACE = "dash_html_components"


CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _css(style: dict) -> str:
    return "; ".join(f"{CAMEL.sub('-', key).lower()}: {value}" for key, value in style.items())


def _attributes(props: dict) -> str:
    parts = []
    for name, value in props.items():
        if name in NOT_ATTRIBUTES or value is None or value is False:
            continue
        attribute = ATTRIBUTES.get(name, name)
        if value is True:
            parts.append(f" {attribute}")
        elif name == "style":
            parts.append(f' style="{escape(_css(value))}"')
        else:
            parts.append(f' {attribute}="{escape(str(value))}"')
    return "".join(parts)


def to_html(node) -> str:
    """HTML text of html components, strings and lists of them."""
    if node is None:
        return ""
    if isinstance(node, str | int | float):
        return str(escape(str(node)))
    if isinstance(node, list | tuple):
        return "".join(to_html(child) for child in node)
    if not isinstance(node, Component):
        raise TypeError(f"not a component: {type(node).__name__}")
    described = node.to_plotly_json()
    if described["namespace"] != ALLOWED_NAMESPACE:
        raise TypeError(f"only html components become HTML text, not {described['namespace']}.{described['type']}")
    tag = described["type"].lower()
    props = described["props"]
    if tag in VOID:  # closed as XHTML: Dash's Markdown renders raw HTML through a JSX parser
        return f"<{tag}{_attributes(props)} />"
    return f"<{tag}{_attributes(props)}>{to_html(props.get('children'))}</{tag}>"


def html_view(node, class_name: str = "") -> str:
    """The Markdown text that shows `node`: its HTML in one block (a single line in a div, which
    Markdown passes through as it is); `class_name`: the div's class."""
    return f'<div class="{escape(class_name)}">{to_html(node)}</div>' if class_name else f"<div>{to_html(node)}</div>"
