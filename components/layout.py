"""The page: header with its section links, the settings sidebar, the headline and table, the map
with the clusters as data, the members drawer, the background jobs, the matrix and the code."""

from __future__ import annotations

import plotly.graph_objects as go
from dash import dcc, html

from components.below_fold import below_fold_stores
from components.boundary_figure import class_key, map_stack
from components.controls import control_panel
from components.graph_config import GRAPH_CONFIG
from components.jobs_section import job_stores, jobs_panels, jobs_section
from components.server_fault import busy_notice, server_fault
from components.share_panel import address_stores, reproduce_panel, reset_button, toolbar
from components.table_progress import table_progress
from core.datasets import Dataset
from core.settings import Settings

LOADING_DELAY_MS = 250  # show the spinner only when a refit is slow enough to notice
STALE_NOTE = "Stale: showing the last valid settings"
SECTIONS = (("settings", "Settings"), ("table-card", "Table"), ("map-card", "Map"), ("jobs-section", "Choose k"),
            ("matrix-card", "Matrix"), ("reproduce-card", "Code"))


def gallery_note(dataset: Dataset) -> str:
    if not dataset.labelled:
        return "Each cluster's centroid, numbered from the largest: its size. Click one for its members."
    return ("Each cluster's centroid, named after the class it is matched to: size · % of members "
            "of that class. Click one for its members.")


def matrix_heading(dataset: Dataset) -> tuple[str, str]:
    """The matrix card's title and note: it compares clusters with true classes, when there are any."""
    if not dataset.labelled:
        return ("Clusters × true classes: none here",
                "this data has no label column; upload it with one to see which classes went where")
    return ("Which classes went where: clusters × true classes",
            "counts; shade = share of the cluster; outlined: the class the cluster is named after")


def tagline(dataset: Dataset) -> str:
    if not dataset.labelled:
        return (f"Cluster {dataset.n_samples:,} {dataset.info.samples} of {dataset.info.title} and see the groups "
                "K-means finds: the file has no label column, so the scores judge the clusters' shape alone.")
    return (f"Cluster {dataset.n_samples:,} {dataset.info.samples} and see how well K-means recovers "
            f"their {dataset.info.labels} without ever seeing a label.")


def map_explained(dataset: Dataset) -> list:
    samples, label = dataset.info.samples, dataset.info.label
    dots = (f"the {dataset.n_samples:,} {samples}" if dataset.drawn is None
            else f"a random {len(dataset.drawn):,} of the {dataset.n_samples:,} {samples}")
    common = [
        html.P([html.B("Not the table's model. "),
                ("The map is a separate KMeans refit on the data reduced to two principal components "
                 "(PC 1, PC 2), with the same init, n_init, k and seed.")]),
        html.P([html.B("Shaded regions: "),
                "where each 2-D cluster's centroid is nearest (its Voronoi cell), drawn at the mesh step."]),
    ]
    if not dataset.labelled:
        return [
            *common,
            html.P([html.B("Dots: "), f"{dots}, all one colour: the file has no labels."]),
            html.P([html.B("Numbered discs: "),
                    ("the centroids, numbered from the largest cluster (1) to the smallest. Click a region for its "
                     "members. Zoom with a drag, double-click to reset.")]),
        ]
    return [
        *common,
        html.P([html.B("Dots: "),
                (f"{dots} coloured by their true {label}; hover one to see it and its "
                 f"clusters. A region tinted in its dots' colour found that {label}.")]),
        html.P([html.B("Named discs: "),
                (f"the centroids, named after the {label} their region is matched to (3′ is a second 3s "
                 "cluster); \"mostly N\" under a disc says when the region holds more of another; a dotted "
                 "ring marks a mixed one. Click a region for its members. Zoom with a drag, double-click to "
                 "reset: the zoom stays while you change settings.")]),
    ]


def _html_view(text: str, id_: str, class_name: str) -> dcc.Markdown:
    """A view shown from HTML text (components/html_text.py): one component, not hundreds."""
    return dcc.Markdown(text, id=id_, className=class_name, dangerously_allow_html=True)


def _loading(child) -> dcc.Loading:
    return dcc.Loading(child, delay_show=LOADING_DELAY_MS, type="circle",
                       overlay_style={"visibility": "visible", "opacity": 0.45})


def _card_head(title: str, note=None, note_id: str | None = None, title_id: str | None = None) -> html.Div:
    children = [html.H2(title, className="section-title", **({"id": title_id} if title_id else {}))]
    if note is not None:
        children.append(html.Span(note, id=note_id, className="section-note") if note_id
                        else html.Span(note, className="section-note"))
    children.append(html.Span(STALE_NOTE, className="stale-note"))
    return html.Div(children, className="section-head")


def section_links() -> html.Nav:
    """Jump links to each view: one obvious way to reach any of them on a small or zoomed screen."""
    return html.Nav([html.A(text, href=f"#{target}", className="section-link") for target, text in SECTIONS],
                    className="section-links", **{"aria-label": "Sections"})


def header(dataset: Dataset) -> html.Header:
    return html.Header(
        [
            html.Div([
                html.H1("K-means, live", className="app-title"),
                html.P(tagline(dataset), id="tagline", className="tagline"),
            ], className="title-block"),
            toolbar(),
        ],
        className="app-header",
    )


def data_card(dataset: Dataset, picture=None) -> html.Div:
    """What the data is: a picture of it where there is one, and a sentence."""
    children = [html.H2("The data", className="section-title")]
    if picture is not None:
        children.append(picture)
    scaled = "standardized before clustering" if dataset.standardized else "clustered in their own units"
    truth = (f"{dataset.n_classes} true {dataset.info.labels}. K-means never sees the labels: the scores compare "
             "its clusters with them afterwards." if dataset.labelled else
             "no label column: the scores judge the clusters' shape alone.")
    children.append(html.P(
        f"{dataset.info.title}: {dataset.n_samples:,} {dataset.info.samples}, {dataset.n_features} features, "
        f"{scaled}; {truth}", className="data-note"))
    return html.Div(children, className="data-card", id="data-card")


def page(*, settings: Settings, dataset: Dataset, views: dict, figure: go.Figure, caption: str, mesh_caption: str,
         finest_mesh_step: float, data_picture, map_clusters: dict, map_regions: dict,
         dataset_limits: dict) -> html.Div:
    """The whole page, pre-filled with `settings`' results: `views` is what the table callback
    returns for them, `figure` and `map_regions` what the map shows."""
    sidebar = html.Aside(
        [
            html.Div([html.H2("Settings", className="section-title"), reset_button()], className="sidebar-head"),
            control_panel(finest_mesh_step),
            html.Div(id="settings-message", role="alert", className="settings-message", hidden=True),
            busy_notice(),
            html.Div(data_card(dataset, data_picture), id="data-card-slot"),
            dcc.Store(id="applied-settings", data=settings.as_store()),
            dcc.Store(id="dataset-limits", data=dataset_limits),
            dcc.Store(id="dataset-choice"),  # set when the dataset is switched (callbacks/controls.py)
            dcc.Store(id="model-clusters", data=views["model_clusters"]),
            dcc.Store(id="map-clusters", data=map_clusters),
            # No data: a store given one (even None) updates itself on mount, which would send
            # requests on every page load.
            dcc.Store(id="mesh-check"),
            dcc.Store(id="table-request"),
            dcc.Store(id="selected-cluster"),
            dcc.Store(id="cluster-pick"),  # a click on a gallery card, a matrix row or a map region
            *job_stores(),
            *below_fold_stores(jobs_panels()),  # mounted once the map is drawn
            *address_stores(settings),
        ],
        className="sidebar", id="settings", **{"aria-label": "Settings"},
    )
    # The message first: what the selected init recovered, and how it compares with the others.
    headline_card = html.Section(
        [
            html.Div([
                html.P(views["accuracy"], id="matched-accuracy", className="headline", **{"aria-live": "polite"}),
                html.Span(STALE_NOTE, className="stale-note"),
            ], className="headline-row"),
            html.P(views["verdict"], id="verdict", className="verdict"),
        ],
        id="headline-card", className="card headline-card",
    )
    table_card = html.Section(
        [
            _card_head("Init strategies compared"),
            server_fault("table"),
            _loading(_html_view(views["table"], "metrics-table", "table-scroll")),
            *table_progress(),
        ],
        id="table-card", className="card table-card",
    )
    members_card = html.Section(
        [html.Button("Close", id="close-members", className="close-members", title="Close (Escape)"),
         server_fault("members"),
         _html_view("", "cluster-members", "cluster-members")],
        id="members-card", className="card members-card", hidden=True, role="dialog",
        **{"aria-label": "Members of the picked cluster", "aria-live": "polite"},
    )
    gallery = html.Div(
        [
            html.H3("What K-means found", className="gallery-title"),
            html.P(gallery_note(dataset), className="gallery-note", id="gallery-note"),
            _html_view(views["gallery"], "centroid-gallery", "centroid-gallery"),  # a .centroid-grid inside
        ],
        className="found-panel",
    )
    map_card = html.Section(
        [
            _card_head("Decision boundary on the PCA plane", [
                html.Span(caption, id="map-caption"), " · ", html.Span(mesh_caption, id="map-mesh")]),
            server_fault("map"),
            html.Div([html.Div(class_key(dataset), id="class-key-slot"),
                      html.Details([html.Summary("How to read the map"), html.Div(map_explained(dataset),
                                                                                   id="map-explained")],
                                   className="explainer")], className="map-key-row"),
            html.Div([
                _loading(map_stack(figure, {
                    **GRAPH_CONFIG, "responsive": True,
                    # The card's own PNG button exports the map, its layers and its settings as a title.
                    "modeBarButtonsToRemove": [*GRAPH_CONFIG["modeBarButtonsToRemove"], "toImage"]}, map_regions)),
                gallery,
            ], className="map-body"),
            # Under the map, which keeps its place on a presenter's first screen when the note shows.
            html.P("", id="map-names-note", className="section-note names-note", hidden=True),
            html.Div(html.Button("Download PNG", id="map-png", className="job-button", type="button",
                                 title="The map as a PNG, with its settings as a title"), className="map-actions"),
            html.Div(id="digit-tooltip", className="digit-tooltip", hidden=True, role="tooltip"),
        ],
        id="map-card", className="card map-card",
    )
    matrix_card = html.Section(
        [
            _card_head(*matrix_heading(dataset), note_id="matrix-note", title_id="matrix-title"),
            html.P(views["matrix_summary"], id="matrix-summary", className="matrix-summary"),
            _html_view(views["matrix"], "cluster-digit-matrix", "table-scroll"),
        ],
        className="card matrix-card", id="matrix-card",
    )
    content = html.Main([headline_card, table_card, map_card, members_card, jobs_section(panels=[]), matrix_card,
                         reproduce_panel(settings)], id="results", className="content")
    return html.Div([header(dataset), section_links(), html.Div([sidebar, content], className="app-body")],
                    className="page")
