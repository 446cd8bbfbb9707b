"""Views sent as HTML (components/html_string.py): what Dash would render, text always escaped."""

from __future__ import annotations

import pytest
from dash import dcc, html

from callbacks.results_views import results, sent_views
from components.html_string import to_html
from core.settings import DEFAULTS, Settings
from tests.html_views import parse


def test_components_become_the_elements_dash_would_render():
    written = to_html(html.Table([
        html.Caption("k = 10", className="table-caption"),
        html.Tr([html.Th("3′", scope="row", style={"borderBottomColor": "#1f77b4"}),
                 html.Td("·", hidden=True, title="none", colSpan=2, **{"data-pick-name": "3′", "aria-label": "x"}),
                 html.Td([html.Img(src="data:image/png;base64,AA==", alt=""), 17])]),
    ], className="metrics"))
    assert written == (
        '<table class="metrics"><caption class="table-caption">k = 10</caption><tr>'
        '<th scope="row" style="border-bottom-color: #1f77b4">3′</th>'
        '<td aria-label="x" colspan="2" data-pick-name="3′" hidden title="none">·</td>'
        '<td><img alt="" src="data:image/png;base64,AA==">17</td></tr></table>')


def test_text_and_attributes_are_escaped():
    hostile = '"><script>alert(1)</script>&'
    written = to_html(html.Span(hostile, title=hostile))
    assert "<script>" not in written
    span = parse(written).children[0]
    assert span.text == hostile and span.attrs["title"] == hostile  # read back exactly, as text


@pytest.mark.parametrize("component", [
    html.Button("go", n_clicks=1),  # a Dash event: nothing would listen to it
    html.Div(id={"type": "pick", "name": "3"}),  # a pattern-matching id
    dcc.Graph(),  # not an html element
])
def test_what_plain_html_cannot_carry_is_refused_not_dropped(component):
    with pytest.raises(ValueError):
        to_html(component)


def test_the_sent_views_are_the_tables_and_gallerys_components_as_html():
    views = results(Settings(**{**DEFAULTS, "n_clusters": 12}))
    sent = sent_views(views)
    assert {name: sent[name] for name in ("accuracy", "verdict", "matrix_summary", "model_clusters")} == {
        name: views[name] for name in ("accuracy", "verdict", "matrix_summary", "model_clusters")}
    assert sent["views"] == {"metrics-table": to_html(views["table"]), "centroid-gallery": to_html(views["gallery"]),
                             "cluster-digit-matrix": to_html(views["matrix"])}
    gallery = parse(sent["views"]["centroid-gallery"])
    names = [card.attrs["data-pick-name"] for card in gallery.find_all("button")]
    assert len(names) == 12 and len(set(names)) == 12  # every card opens its own cluster
    matrix = parse(sent["views"]["cluster-digit-matrix"])
    assert [button.attrs["data-pick-name"] for button in matrix.find_all("button")] == names  # the same order
