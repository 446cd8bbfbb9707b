"""The page: header, controls, the headline, the table, the clusters as digits, the map and the matrix."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from components.below_fold import below_fold_stores
from components.boundary_figure import digit_key
from components.controls import control_panel
from components.html_string import HTML_VIEWS_STORE, MEMBERS_HTML_STORE
from components.jobs_section import job_stores, jobs_panels, jobs_section
from components.server_fault import busy_notice, server_fault
from components.share_panel import address_stores, reproduce_panel, reset_button, toolbar
from core.settings import Settings

LOADING_DELAY_MS = 250  # show the spinner only when a refit is slow enough to notice
STALE_NOTE = "Stale: showing the last valid settings"

MAP_EXPLAINED = [
    html.P([html.B("Not the table's model. "),
            ("The map is a separate KMeans refit on the digits reduced to two principal "
             "components (PC 1, PC 2), with the same init, n_init, k and seed.")]),
    html.P([html.B("Shaded regions: "),
            ("where each 2-D cluster's centroid is nearest (its Voronoi cell), "
             "drawn at the mesh step.")]),
    html.P([html.B("Dots: "),
            ("the 1,797 digits coloured by their true label; hover one to see the digit and its "
             "clusters. A region tinted in its dots' colour found that digit; dots of another "
             "colour are the ones it mixed up.")]),
    html.P([html.B("Named discs: "),
            ("the centroids, named after the digit their region is matched to (3′ is a second 3s "
             "cluster); click a region for its members. Zoom with a drag, double-click to reset: "
             "the zoom stays while you change settings.")]),
]


def _loading(child) -> dcc.Loading:
    return dcc.Loading(
        child,
        delay_show=LOADING_DELAY_MS,
        type="circle",
        overlay_style={"visibility": "visible", "opacity": 0.45},
    )


def _card_head(title: str, note=None, note_id: str | None = None) -> html.Div:
    children = [html.H2(title, className="section-title")]
    if note is not None:
        children.append(html.Span(note, id=note_id, className="section-note") if note_id
                        else html.Span(note, className="section-note"))
    children.append(html.Span(STALE_NOTE, className="stale-note"))
    return html.Div(children, className="section-head")


def page(results: dict, figure: go.Figure, caption: str, mesh_caption: str, finest_mesh_step: float, samples,
         applied: dict, map_clusters: dict, map_regions: dict) -> html.Div:
    """The whole page, pre-filled with the default configuration's results (`results`: what the
    table callback returns for them); `samples` shows the data; `applied` is the settings those
    results are for (the table's refits follow it); `map_clusters` names the map's clusters."""
    sidebar = html.Aside(
        [
            html.Div([html.H2("Settings", className="section-title"), reset_button()], className="sidebar-head"),
            control_panel(finest_mesh_step),
            html.Div(id="settings-message", role="alert", className="settings-message", hidden=True),
            busy_notice(),
            dcc.Store(id="applied-settings", data=applied),
            dcc.Store(id="model-clusters", data=results["model_clusters"]),
            dcc.Store(id="map-clusters", data=map_clusters),
            dcc.Store(id="map-regions", data=map_regions),
            # No data: a store given one (even None) updates itself on mount, which fired the
            # members callback, and through mesh-check the map's and the table's, on every page load.
            dcc.Store(id="mesh-check"),
            dcc.Store(id="page-token"),
            dcc.Store(id="selected-cluster"),
            dcc.Store(id="cluster-pick"),  # a click on a gallery card, a matrix row or a map region
            *job_stores(),
            # Mounted once the map is drawn (components/below_fold.py): the jobs' panels.
            *below_fold_stores(jobs_panels()),
            *address_stores(Settings(**applied)),
            reproduce_panel(Settings(**applied)),
            samples,
        ],
        className="sidebar",
    )
    # The headline and verdict read first; the table behind them follows in the same card.
    table_card = html.Section(
        [
            server_fault("table"),
            html.Div([
                html.P(results["accuracy"], id="matched-accuracy", className="headline",
                       **{"aria-live": "polite"}),
                html.Span(STALE_NOTE, className="stale-note"),
            ], className="headline-row"),
            html.P(results["verdict"], id="verdict", className="verdict"),
            # The table, the gallery and the matrix arrive as HTML in one store, written into their
            # places by assets/html_views.js (components/html_string.py says why); the store sits
            # here so that the table's spinner shows while it is refitted.
            _loading([html.Div(id="metrics-table", className="table-scroll"),
                      dcc.Store(id=HTML_VIEWS_STORE, data=results["views"])]),
        ],
        id="table-card", className="card table-card",
    )
    members_card = html.Section(
        [html.Button("Close", id="close-members", className="close-members", title="Close (Escape)"),
         server_fault("members"),
         html.Div(id="cluster-members", className="cluster-members"),  # HTML from the store below
         dcc.Store(id=MEMBERS_HTML_STORE)],
        id="members-card", className="card members-card", hidden=True, role="region",
        **{"aria-label": "Members of the picked cluster", "aria-live": "polite"},
    )
    gallery = html.Div(
        [
            html.H3("What K-means found", className="gallery-title"),
            html.P("Each cluster's centroid as a digit, named after the digit it is matched to: "
                   "size · % of members that are that digit. Click one for its members.",
                   className="gallery-note"),
            html.Div(id="centroid-gallery", className="centroid-gallery"),  # HTML from the views store
        ],
        className="found-panel",
    )
    map_card = html.Section(
        [
            _card_head("Decision boundary on the PCA plane", [
                html.Span(caption, id="map-caption"), " · ", html.Span(mesh_caption, id="map-mesh")]),
            server_fault("map"),
            html.Div([digit_key(), html.Details([html.Summary("How to read the map")] + MAP_EXPLAINED,
                                                className="explainer")], className="map-key-row"),
            html.Div([
                _loading(dcc.Graph(
                    id="boundary-graph",
                    figure=figure,
                    className="boundary-graph",
                    # Header, headline, table, key and paddings take ~410 px at 1440×900; the map gets the rest.
                    style={"height": "max(420px, calc(100vh - 410px))"},
                    config={"displaylogo": False, "responsive": True, "showSendToCloud": False,
                            "showEditInChartStudio": False, "showLink": False,
                            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
                            # assets/share.js adds the settings to the name and a title.
                            "toImageButtonOptions": {"format": "png", "scale": 2}},
                )),
                gallery,
            ], className="map-body"),
            html.Div(id="digit-tooltip", className="digit-tooltip", hidden=True, role="tooltip"),
        ],
        id="map-card", className="card map-card",
    )
    matrix_card = html.Section(
        [
            _card_head("Which digits went where: clusters × true digits",
                       "counts; shade = share of the cluster; outlined: the digit the cluster stands for"),
            html.P(results["matrix_summary"], id="matrix-summary", className="matrix-summary"),
            html.Div(id="cluster-digit-matrix", className="table-scroll"),  # HTML from the views store
        ],
        className="card matrix-card",
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
    content = html.Main([table_card, map_card, members_card, jobs_section(panels=[]), matrix_card],
                        id="results", className="content")
    return html.Div([header, html.Div([sidebar, content], className="app-body")], className="page")
