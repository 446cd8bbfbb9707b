"""Every settings change, first: validate, say what is wrong if anything is, and send the map's 2-D
fit; record valid settings in `applied-settings` (for the jobs, the exports and the members).

The page draws the regions and the named centroids itself, on canvases under and over the plot
(assets/map_regions.js draws, assets/map_layers.js holds the clientside callbacks below), from the
centroids this sends: a mesh-step change asks nothing of the server. A new dataset also sends a
new figure (its points), its colour key and its texts.
"""

from __future__ import annotations

import logging
import math

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update

from callbacks.results_views import cluster_names
from components.boundary_figure import (
    MAP_REGIONS,
    boundary_figure,
    class_key,
    map_caption,
    map_regions,
    regions_json,
)
from components.controls import mesh_description, number_input_class
from components.digit_samples import digit_samples
from components.layout import data_card, gallery_note, map_explained, matrix_heading, tagline
from components.server_fault import fault_cleared, fault_shown
from core import datasets
from core.boundary import PlaneMap, plane_map
from core.settings import InvalidSettings, Settings, limits, validate
from core.share import format_query

log = logging.getLogger(__name__)

APPLIED_SETTINGS = "applied-settings"
ADDRESS_NOTES = "address-notes"  # set by callbacks/share.py when an address is opened
SETTINGS_QUERY = "settings-query"  # the applied settings as a query string, for the address bar
MESH_CHECK = "mesh-check"  # set by the page when a mesh step needs the server's validation
DATASET_CHOICE = "dataset-choice"  # the dataset, once the page has adjusted the settings to it
ADDRESS_TITLE = "From the address:"
INVALID_TITLE = "Settings not applied — the results shown are for the last valid settings:"
MAP_CARD = ("map-card", "card map-card")
RESULTS_CLASS, STALE_CLASS = "content", "content stale"  # stale: the views show the last valid settings
# Settings field → the number input that shows it (the dataset and init are pickers: no error state).
FIELD_INPUTS = {"n_init": "n-init", "n_clusters": "n-clusters", "seed": "random-seed", "mesh_step": "mesh-step"}


def control_values(dataset, init_method, n_init, n_clusters, seed, mesh_step) -> dict:
    """The raw control values, keyed as core.settings.validate reads them."""
    return {"dataset": dataset, "init_method": init_method, "n_init": n_init, "n_clusters": n_clusters,
            "seed": seed, "mesh_step": mesh_step}


def map_clusters(plane: PlaneMap) -> dict:
    return cluster_names(plane.matching, plane.point_clusters)


def _table_changes(before, after: dict) -> bool:
    """Whether the table shows something else: anything but the mesh step."""
    if not isinstance(before, dict):
        return True
    return any(before.get(field) != value for field, value in after.items() if field != "mesh_step")


def _address_message(notes) -> list:
    if not isinstance(notes, list) or not notes:
        return []
    return [html.Strong(ADDRESS_TITLE), html.Ul([html.Li(str(note)) for note in notes[:10]])]


def dataset_views(settings: Settings) -> dict:
    """What changes with the dataset: the map's figure (its points), key and explainer, the data
    card, the tagline and the mesh step's range."""
    dataset = datasets.load(settings.dataset)
    picture = digit_samples(dataset.images, dataset.target) if dataset.images is not None else None
    return {
        "figure": boundary_figure(dataset),
        "key": class_key(dataset),
        "explained": map_explained(dataset),
        "data_card": data_card(dataset, picture),
        "tagline": tagline(dataset),
        "gallery_note": gallery_note(dataset),
        **dict(zip(("matrix_title", "matrix_note"), matrix_heading(dataset), strict=True)),
        "mesh_description": mesh_description(limits(settings.dataset).mesh_range[0]),
    }


DATASET_OUTPUTS = ("figure", "key", "explained", "data_card", "tagline", "gallery_note", "matrix_title", "matrix_note",
                   "mesh_description")


def map_view(values: dict, shown: dict | None = None, address_notes: list | None = None,
             mesh_check=None) -> dict:
    """The map's regions and caption, the settings message and the number fields' classes
    (outlined when refused), the applied settings and their query string. `shown` is what the
    page shows now (message hidden, field classes, applied settings), so that nothing is redrawn
    for no reason; `address_notes` say what an address just opened asked for in vain; `mesh_check`
    is the page's request to validate the mesh step, whose stamp goes back with the regions so
    that the page redraws them at that step even when the fit is the one it has. A refit that
    fails on the server shows the map's fault box, whose Retry sends the same settings again."""
    shown = shown or {}
    keep = {name: no_update for name in ("regions", "caption", "applied", "clusters", "query", "fault_hidden",
                                         "card_class", *DATASET_OUTPUTS)}
    from_address = _address_message(address_notes)
    fallback = shown.get("applied") if isinstance(shown.get("applied"), dict) else None
    try:
        settings = validate(values, fallback=fallback)
    except InvalidSettings as invalid:
        message = [html.Strong(INVALID_TITLE), html.Ul([html.Li(problem) for problem in invalid.problems])]
        return {**keep, "message": from_address + message, "message_hidden": False, "results_class": STALE_CLASS,
                "field_classes": [number_input_class(field in invalid.by_field) for field in FIELD_INPUTS]}
    applied = settings.as_store()
    valid_class = number_input_class(False)
    clear = not from_address and shown.get("message_hidden") is True and all(
        shown_class == valid_class for shown_class in shown.get("field_classes") or [None])
    outputs = {
        **keep,
        "query": format_query(settings),
        "message": no_update if clear else from_address,
        "message_hidden": no_update if clear else not from_address,
        "results_class": no_update if clear else RESULTS_CLASS,
        "field_classes": [no_update if clear else valid_class for _ in FIELD_INPUTS],
        "applied": applied if _table_changes(shown.get("applied"), applied) else no_update,
    }
    try:
        plane = plane_map(*settings.fit_key)
        if (fallback or {}).get("dataset", settings.dataset) != settings.dataset:
            outputs.update(dataset_views(settings))
    except Exception:  # a server fault (the settings are valid): never a traceback; the log keeps it
        log.exception("map refit failed for %s", settings)
        return {**outputs, **fault_shown(MAP_CARD[1])}
    regions = regions_json({**map_regions(plane), "check": _check_stamp(mesh_check), "step": settings.mesh_step})
    return {**outputs, "regions": regions, "caption": map_caption(plane), "clusters": map_clusters(plane),
            **fault_cleared(MAP_CARD[1], shown.get("fault_hidden"))}


def _check_stamp(mesh_check) -> float | None:
    """The page's stamp on a mesh-step check ({"step": ..., "at": ms}), if it is a plain number."""
    stamp = mesh_check.get("at") if isinstance(mesh_check, dict) else None
    finite = isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and math.isfinite(stamp)
    return float(stamp) if finite else None


def _map_callback(dataset, init_method, n_init, n_clusters, seed, mesh_check, address_notes, retry, mesh_step,
                  dataset_value, shown):
    # An address's notes are shown once, when it is opened, not at every later change; a mesh
    # check's stamp goes back only with the answer to that check.
    opened = f"{ADDRESS_NOTES}.data" in ctx.triggered_prop_ids
    checked = f"{MESH_CHECK}.data" in ctx.triggered_prop_ids
    # Until the dataset is first switched, the page's picker holds it.
    values = control_values(dataset or dataset_value, init_method, n_init, n_clusters, seed, mesh_step)
    return map_view(values, shown=shown, address_notes=address_notes if opened else None,
                    mesh_check=mesh_check if checked else None)


def register(app: Dash) -> None:
    # The page is served already drawn for the defaults, so no callback runs on load.
    app.callback(
        output={
            "regions": Output(*MAP_REGIONS),
            "caption": Output("map-caption", "children"),
            "message": Output("settings-message", "children"),
            "message_hidden": Output("settings-message", "hidden"),
            "results_class": Output("results", "className"),
            "field_classes": [Output(input_id, "className") for input_id in FIELD_INPUTS.values()],
            "applied": Output(APPLIED_SETTINGS, "data"),
            "clusters": Output("map-clusters", "data"),
            "query": Output(SETTINGS_QUERY, "data"),
            "fault_hidden": Output("map-fault", "hidden"),
            "card_class": Output(MAP_CARD[0], "className"),
            "figure": Output("boundary-graph", "figure", allow_duplicate=True),
            "key": Output("class-key-slot", "children"),
            "explained": Output("map-explained", "children"),
            "data_card": Output("data-card-slot", "children"),
            "tagline": Output("tagline", "children"),
            "gallery_note": Output("gallery-note", "children"),
            "matrix_title": Output("matrix-title", "children"),
            "matrix_note": Output("matrix-note", "children"),
            "mesh_description": Output("mesh-step-description", "children"),
        },
        inputs={
            "dataset": Input(DATASET_CHOICE, "data"),
            "init_method": Input("init-method", "value"),
            "n_init": Input("n-init", "value"),
            "n_clusters": Input("n-clusters", "value"),
            "seed": Input("random-seed", "value"),
            # The mesh step reaches the server only through MESH_CHECK: the page draws a valid
            # step itself and asks the server when there is a message to write or clear.
            "mesh_check": Input(MESH_CHECK, "data"),
            "address_notes": Input(ADDRESS_NOTES, "data"),
            "retry": Input("map-retry", "n_clicks"),
        },
        state={
            "mesh_step": State("mesh-step", "value"),
            "dataset_value": State("dataset", "value"),
            "shown": {
                "message_hidden": State("settings-message", "hidden"),
                "field_classes": [State(input_id, "className") for input_id in FIELD_INPUTS.values()],
                "applied": State(APPLIED_SETTINGS, "data"),
                "fault_hidden": State("map-fault", "hidden"),
            },
        },
        prevent_initial_call=True,
    )(_map_callback)
    # The regions and centroids are drawn by the page on canvases of its own (assets/map_layers.js),
    # from the fit's centroids: when a fit arrives (the first page's too), and when the mesh step
    # changes (with no request when the step is valid). Two callbacks: one that fed itself through
    # the server (step → mesh-check → server → the regions) would not run again within one chain.
    app.clientside_callback(
        ClientsideFunction("kmeansMap", "onFit"),
        Output("map-mesh", "children", allow_duplicate=True),
        Input(*MAP_REGIONS),
        State("mesh-step", "value"),
        prevent_initial_call="initial_duplicate",
    )
    app.clientside_callback(
        ClientsideFunction("kmeansMap", "onStep"),
        Output("map-mesh", "children", allow_duplicate=True),
        Output(MESH_CHECK, "data"),
        Input("mesh-step", "value"),
        State(*MAP_REGIONS),
        State("settings-message", "hidden"),
        prevent_initial_call=True,
    )
    # When the map's 2-D names are not the table's model's, the map says so (no request).
    app.clientside_callback(
        ClientsideFunction("kmeansMap", "namesNote"),
        Output("map-names-note", "children"),
        Output("map-names-note", "hidden"),
        Input("map-clusters", "data"),
        Input("model-clusters", "data"),
    )
    app.clientside_callback(
        ClientsideFunction("kmeansMap", "downloadPng"),
        Output("map-png", "title"),
        Input("map-png", "n_clicks"),
        prevent_initial_call=True,
    )
