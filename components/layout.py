"""The page: header, grouped controls, the benchmark table and the map, sized for 1440×900."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from components.boundary_figure import digit_key
from components.controls import control_panel
from components.share_panel import address_stores, reproduce_panel, reset_button, toolbar
from core.settings import Settings

LOADING_DELAY_MS = 250  # show the spinner only when a refit is slow enough to notice

MAP_EXPLAINED = [
    html.P([html.B("Not the table's model. "),
            ("The map is a separate KMeans refit on the digits reduced to two principal "
             "components (PC 1, PC 2), with the same init, n_init, k and seed.")]),
    html.P([html.B("Shaded regions: "),
            ("where each 2-D cluster's centroid is nearest (its Voronoi cell), "
             "drawn at the mesh step.")]),
    html.P([html.B("Dots: "),
            ("the 1,797 digits coloured by their true label; hover a dot for its "
             "sample number. A cluster whose dots share one colour has found one digit.")]),
    html.P([html.B("Numbered discs: "),
            ("the centroids; hover a number for its cluster size. Zoom with a drag, double-click to reset: "
             "the zoom stays while you change settings.")]),
]


def _loading(child) -> dcc.Loading:
    return dcc.Loading(
        child,
        delay_show=LOADING_DELAY_MS,
        type="circle",
        overlay_style={"visibility": "visible", "opacity": 0.45},
    )


def page(table, figure: go.Figure, caption: str, finest_mesh_step: float, samples,
         applied: dict) -> html.Div:
    """The whole page, pre-filled with the default configuration's results; `samples` shows the data;
    `applied` is the settings those results are for (the table's refits follow it)."""
    sidebar = html.Aside(
        [
            html.Div([html.H2("Settings", className="section-title"), reset_button()], className="sidebar-head"),
            control_panel(finest_mesh_step),
            html.Div(id="settings-message", role="alert", className="settings-message", hidden=True),
            dcc.Store(id="applied-settings", data=applied),
            *address_stores(Settings(**applied)),
            reproduce_panel(Settings(**applied)),
            samples,
        ],
        className="sidebar",
    )
    table_card = html.Section(
        [
            html.Div(
                [html.H2("Init strategies compared", className="section-title"),
                 html.Span("64-D standardized digits · each row refit at the current k, n_init and seed",
                           className="section-note")],
                className="section-head",
            ),
            _loading(html.Div(table, id="metrics-table")),
        ],
        className="card table-card",
    )
    map_card = html.Section(
        [
            html.Div(
                [html.H2("Decision boundary on the PCA plane", className="section-title"),
                 html.Span(caption, id="map-caption", className="section-note")],
                className="section-head",
            ),
            digit_key(),
            html.Div([
                _loading(dcc.Graph(
                    id="boundary-graph",
                    figure=figure,
                    className="boundary-graph",
                    # Header, table, key and paddings take ~388 px at 1440×900; the map gets the rest.
                    style={"height": "max(400px, calc(100vh - 388px))"},
                    config={"displaylogo": False, "responsive": True, "showSendToCloud": False,
                            "showEditInChartStudio": False, "showLink": False,
                            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
                            # assets/share.js adds the settings to the name and a title.
                            "toImageButtonOptions": {"format": "png", "scale": 2}},
                )),
                html.Div([html.H3("How to read the map")] + MAP_EXPLAINED, className="explainer"),
            ], className="map-body"),
        ],
        className="card map-card",
    )
    header = html.Header(
        [
            html.H1("K-means on handwritten digits"),
            html.P("Cluster 1,797 scanned 8×8 digits live, and see how well K-means recovers 0–9 "
                   "without ever seeing a label."),
            toolbar(),
        ],
        className="app-header",
    )
    return html.Div([header, html.Div([sidebar, html.Main([table_card, map_card], className="content")],
                                      className="app-body")], className="page")
