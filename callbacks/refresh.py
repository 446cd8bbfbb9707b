"""Every control change: validate, redraw the map and the table (the core caches the rest).

Two callbacks, side by side. The map callback reads the controls, validates them, says what is
wrong if anything is (the message and the fields' error outlines), and sends the 2-D fit the
page draws the map from; when the values are valid it also records them in the
`applied-settings` store (for the jobs, exports and members). The table callback reads the same
controls, validates them the same way, and draws the table with the views of the 64-D fits
(headline, verdict, gallery, matrix); its rows fit in worker processes at a lower priority than
the map's refit, so the map, which a person watches move, comes first. An invalid value changes
nothing but the message, and marks the views stale; a table request its page has moved on from
is dropped (serving/superseded.py).
"""

from __future__ import annotations

import dataclasses
import logging
import math

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from components.boundary_figure import map_caption, map_regions
from callbacks.results_views import cluster_names, sent_results
from components.controls import number_input_class
from components.html_string import HTML_VIEWS_STORE
from components.server_fault import card_class
from core import data
from core.boundary import PlaneMap, plane_map
from core.clustering import row_futures
from core.row_pool import ROW_START_WAIT_S, ROW_TIMEOUT_S, FitQueueFull
from core.settings import InvalidSettings, Settings, validate
from core.share import format_query
from serving import superseded
from serving.attempts import request_attempt

log = logging.getLogger(__name__)

APPLIED_SETTINGS = "applied-settings"
ADDRESS_NOTES = "address-notes"  # set by callbacks/share.py when an address is opened
SETTINGS_QUERY = "settings-query"  # the applied settings as a query string, for the address bar
MAP_REGIONS = "map-regions"  # what the page draws the map from (components.boundary_figure.map_regions)
PAGE_TOKEN = "page-token"  # names the page, for dropping its superseded table requests
MESH_CHECK = "mesh-check"  # set by the page when a mesh step needs the server's validation
ADDRESS_TITLE = "From the address:"
INVALID_TITLE = "Settings not applied — the results shown are for the last valid settings:"
# A view the server could not compute shows its fault box (components/server_fault.py) and fades
# its card; the box's retry button sends the same settings again. Card ids and base classes:
MAP_CARD, TABLE_CARD = ("map-card", "card map-card"), ("table-card", "card table-card")
RESULTS_CLASS, STALE_CLASS = "content", "content stale"  # stale: the views show the last valid settings
# The table callback's outputs: component id and property of each.
RESULTS_OUTPUTS = {
    "views": (HTML_VIEWS_STORE, "data"),
    "accuracy": ("matched-accuracy", "children"),
    "verdict": ("verdict", "children"),
    "matrix_summary": ("matrix-summary", "children"),
    "model_clusters": ("model-clusters", "data"),
}
# Settings field → the number input that shows it (init-method is a segmented control: no error state).
FIELD_INPUTS = {"n_init": "n-init", "n_clusters": "n-clusters", "seed": "random-seed", "mesh_step": "mesh-step"}


def _validate(init_method, n_init, n_clusters, seed, mesh_step, fallback=None) -> Settings:
    return validate(
        init_method=init_method, n_init=n_init, n_clusters=n_clusters, seed=seed, mesh_step=mesh_step,
        extent=data.load().extent, fallback=fallback if isinstance(fallback, dict) else None,
    )


def applied_settings(settings: Settings) -> dict:
    """The store's value: valid settings, as the table callback reads them."""
    return dataclasses.asdict(settings)


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


def map_view(init_method, n_init, n_clusters, seed, mesh_step, shown: dict | None = None,
             address_notes: list | None = None, retry=None, mesh_check=None, page_token=None) -> dict:
    """The map's regions (centroids, tints and markers: the page rasterizes the regions itself,
    assets/map_regions.js) and caption, the settings message and the number fields' classes
    (outlined when refused), the applied settings for the table and their query string; `shown`
    is what the page shows now (message hidden, field classes, applied settings), so that nothing
    is redrawn for no reason; `address_notes` say what an address just opened asked for in vain.
    A refit that fails on the server shows the map's fault box (`retry`: its button's clicks,
    which send the same settings again); the next refit that succeeds hides it. `mesh_check` is
    the page's request to validate the mesh step; its stamp goes back in the regions, so that the
    page redraws them at that step even when the fit is the one it already has. `page_token`
    names the page (one is handed out with its first change): its table requests for settings it
    has since left are dropped (serving/superseded.py)."""
    shown = shown or {}
    unchanged = {"token": no_update, "regions": no_update, "caption": no_update, "applied": no_update, "clusters": no_update,
                 "query": no_update, "fault_hidden": no_update, "card_class": no_update}
    from_address = _address_message(address_notes)
    try:
        settings = _validate(init_method, n_init, n_clusters, seed, mesh_step, fallback=shown.get("applied"))
    except InvalidSettings as invalid:
        message = [html.Strong(INVALID_TITLE), html.Ul([html.Li(problem) for problem in invalid.problems])]
        return {**unchanged, "message": from_address + message, "message_hidden": False,
                "results_class": STALE_CLASS,
                "field_classes": [number_input_class(field in invalid.by_field) for field in FIELD_INPUTS]}
    applied = applied_settings(settings)
    valid_class = number_input_class(False)
    clear = not from_address and shown.get("message_hidden") is True and all(
        shown_class == valid_class for shown_class in shown.get("field_classes") or [None])
    fresh_token = superseded.new_token(page_token)  # with the first valid change
    superseded.record(fresh_token or page_token, table_key(settings))
    outputs = {
        "token": fresh_token or no_update,
        "query": format_query(settings),
        "message": no_update if clear else from_address,
        "message_hidden": no_update if clear else not from_address,
        "results_class": no_update if clear else RESULTS_CLASS,
        "field_classes": [no_update if clear else valid_class for _ in FIELD_INPUTS],
        "applied": applied if _table_changes(shown.get("applied"), applied) else no_update,
    }
    try:
        plane = plane_map(*settings.fit_key)
    except Exception:  # a server fault (the settings are valid): never a traceback; the log keeps it
        log.exception("map refit failed for %s", settings)
        return {**outputs, "regions": no_update, "caption": no_update, "clusters": no_update,
                "fault_hidden": False, "card_class": card_class(MAP_CARD[1], failed=True)}
    regions = {**map_regions(plane), "check": _check_stamp(mesh_check), "step": settings.mesh_step}
    return {**outputs, "regions": regions, "caption": map_caption(plane),
            "clusters": map_clusters(plane), "fault_hidden": True, "card_class": MAP_CARD[1]}


def _check_stamp(mesh_check) -> float | None:
    """The page's stamp on a mesh-step check ({"step": ..., "at": ms}), if it is a plain number."""
    stamp = mesh_check.get("at") if isinstance(mesh_check, dict) else None
    return float(stamp) if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and math.isfinite(stamp) else None


def table_key(settings: Settings) -> tuple[int, int, int]:
    """What the table depends on: k, n_init and the seed."""
    return settings.n_clusters, settings.n_init, settings.seed


def validated_store(applied) -> Settings:
    """The applied-settings store's value, validated again (the endpoint is public); else no update."""
    if not isinstance(applied, dict) or set(applied) != {field.name for field in dataclasses.fields(Settings)}:
        raise PreventUpdate
    try:
        return _validate(**applied)
    except InvalidSettings:
        raise PreventUpdate from None


def results_view(applied, stability=None, retry=None, page_token=None) -> dict:
    """The 64-D views for the applied settings. The store is set only with valid settings, but the
    endpoint is public, so its value is validated again; a forged one changes nothing. `stability`
    is the seed-stability run the page shows (its settings), if any. Rows that fail on the server
    (a killed or stuck table process, a timeout) show the table's fault box, whose retry
    (`retry`: its clicks) asks again for the same settings; a success hides it. A request whose
    page (`page_token`) has moved on to other settings is dropped unanswered, before or while its
    rows are fitted."""
    from callbacks.jobs import seed_spread  # the jobs module imports this one

    settings = validated_store(applied)
    key = table_key(settings)

    def left_behind() -> bool:
        return superseded.is_superseded(page_token, key)

    try:
        if left_behind():  # before any row is started
            raise superseded.Superseded
        rows = row_futures(*key, attempt=request_attempt())  # a request sent again goes first
        superseded.wait_unless_superseded(rows, left_behind, timeout=ROW_TIMEOUT_S, start_within=ROW_START_WAIT_S)
        views = sent_results(settings, seed_spread(stability, settings))
    except FitQueueFull:
        raise  # 503 with Retry-After (serving/shared_cache.py): the page says busy and asks again
    except superseded.NotStarted:  # rows still queued: busy, not a fault; the page asks again, first
        raise FitQueueFull(f"table rows not started within {ROW_START_WAIT_S:g} s") from None
    except superseded.Superseded:
        raise PreventUpdate from None
    except Exception:  # a server fault: the settings were validated above
        log.exception("table refit failed for %s", settings)
        failed = {name: no_update for name in RESULTS_OUTPUTS}
        return {**failed, "fault_hidden": False, "card_class": card_class(TABLE_CARD[1], failed=True)}
    return {**views, "fault_hidden": True, "card_class": TABLE_CARD[1]}


def table_view(init_method, n_init, n_clusters, seed, mesh_step, applied=None, stability=None, retry=None,
               page_token=None, mesh_check=None) -> dict:
    """The table callback: the same controls as the map, validated the same way (a refused value
    anywhere changes nothing here: the map's message says why), then the 64-D views. It runs
    beside the map callback, not after it: the rows start fitting at once, in their worker
    processes at a lower priority than the map's refit."""
    try:
        settings = _validate(init_method, n_init, n_clusters, seed, mesh_step, fallback=applied)
    except InvalidSettings:
        raise PreventUpdate from None
    superseded.record(page_token, table_key(settings))  # it may arrive before its map request
    return results_view(applied_settings(settings), stability=stability, retry=retry, page_token=page_token)


def _map_callback(init_method, n_init, n_clusters, seed, mesh_step, address_notes, shown, mesh_check=None,
                  retry=None, page_token=None):
    # An address's notes are shown once, when it is opened, not at every later change.
    opened = f"{ADDRESS_NOTES}.data" in ctx.triggered_prop_ids
    return map_view(init_method, n_init, n_clusters, seed, mesh_step, shown=shown,
                    address_notes=address_notes if opened else None, retry=retry, mesh_check=mesh_check,
                    page_token=page_token)


def register(app: Dash) -> None:
    # The page is served already drawn for the defaults, so no callback runs on load.
    app.callback(
        output={
            "token": Output(PAGE_TOKEN, "data"),
            "regions": Output(MAP_REGIONS, "data"),
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
        },
        inputs={
            "init_method": Input("init-method", "value"),
            "n_init": Input("n-init", "value"),
            "n_clusters": Input("n-clusters", "value"),
            "seed": Input("random-seed", "value"),
            # The mesh step reaches the server only through MESH_CHECK: the page draws a valid
            # step itself (assets/map_regions.js) and asks the server when there is a message to
            # write or clear.
            "mesh_check": Input(MESH_CHECK, "data"),
            "address_notes": Input(ADDRESS_NOTES, "data"),
            "retry": Input("map-retry", "n_clicks"),
        },
        state={
            "mesh_step": State("mesh-step", "value"),
            "page_token": State(PAGE_TOKEN, "data"),
            "shown": {
                "message_hidden": State("settings-message", "hidden"),
                "field_classes": [State(input_id, "className") for input_id in FIELD_INPUTS.values()],
                "applied": State(APPLIED_SETTINGS, "data"),
            },
        },
        prevent_initial_call=True,
    )(_map_callback)
    # The regions are drawn in the browser (assets/map_regions.js), from the fit's centroids:
    # when a fit arrives, and when the mesh step changes (with no request when it is valid).
    app.clientside_callback(
        ClientsideFunction("kmeansMap", "onFit"),
        Output("boundary-graph", "figure", allow_duplicate=True),
        Output("map-mesh", "children", allow_duplicate=True),
        Input(MAP_REGIONS, "data"),
        State("mesh-step", "value"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("kmeansMap", "onStep"),
        Output("boundary-graph", "figure", allow_duplicate=True),
        Output("map-mesh", "children", allow_duplicate=True),
        Output(MESH_CHECK, "data"),
        Input("mesh-step", "value"),
        State(MAP_REGIONS, "data"),
        State("settings-message", "hidden"),
        prevent_initial_call=True,
    )
    # The table, gallery and matrix arrive as HTML: the page writes them in (assets/html_views.js),
    # the first page's too (so this runs on load, in the browser).
    app.clientside_callback(ClientsideFunction("htmlViews", "fill"), Input(HTML_VIEWS_STORE, "data"))
    app.callback(
        output={**{key: Output(*target) for key, target in RESULTS_OUTPUTS.items()},
                "fault_hidden": Output("table-fault", "hidden"), "card_class": Output(TABLE_CARD[0], "className")},
        inputs={"init_method": Input("init-method", "value"), "n_init": Input("n-init", "value"),
                "n_clusters": Input("n-clusters", "value"), "seed": Input("random-seed", "value"),
                # A mesh step the page sent for checking: once it is good again, so are the others.
                "mesh_check": Input(MESH_CHECK, "data"),
                "stability": Input("stability-shown", "data"), "retry": Input("table-retry", "n_clicks")},
        state={"mesh_step": State("mesh-step", "value"), "applied": State(APPLIED_SETTINGS, "data"),
               "page_token": State(PAGE_TOKEN, "data")},
        prevent_initial_call=True,
    )(table_view)
