"""Every control change: validate, redraw the map, then the table (the core caches the rest).

Two callbacks, chained. The map callback reads the controls, validates them, says what is
wrong if anything is (the message and the fields' error outlines), and redraws the map; when
the values are valid it also records them in the `applied-settings` store. That store drives
the table callback. So the map, which a person watches move, has the server to itself, and
the table follows ~0.1 s later; an invalid value changes nothing but the message.
"""

from __future__ import annotations

import dataclasses
import logging

from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from components.boundary_figure import boundary_patch, map_caption
from components.controls import number_input_class
from components.metrics_table import metrics_table
from core import data
from core.boundary import decision_boundary
from core.clustering import benchmark_inits
from core.settings import InvalidSettings, Settings, validate
from core.share import format_query

log = logging.getLogger(__name__)

APPLIED_SETTINGS = "applied-settings"
ADDRESS_NOTES = "address-notes"  # set by callbacks/share.py when an address is opened
SETTINGS_QUERY = "settings-query"  # the applied settings as a query string, for the address bar
ADDRESS_TITLE = "From the address:"
INVALID_TITLE = "Settings not applied — the results shown are for the last valid settings:"
FAILURE_MESSAGE = "This configuration could not be computed. Try other settings."
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
             address_notes: list | None = None) -> dict:
    """The map's figure patch and caption, the settings message and the number fields' classes
    (outlined when refused), the applied settings for the table and their query string; `shown`
    is what the page shows now (message hidden, field classes, applied settings), so that nothing
    is redrawn for no reason; `address_notes` say what an address just opened asked for in vain."""
    shown = shown or {}
    unchanged = {"figure": no_update, "caption": no_update, "applied": no_update, "query": no_update}
    from_address = _address_message(address_notes)
    try:
        settings = _validate(init_method, n_init, n_clusters, seed, mesh_step, fallback=shown.get("applied"))
    except InvalidSettings as invalid:
        message = [html.Strong(INVALID_TITLE), html.Ul([html.Li(problem) for problem in invalid.problems])]
        return {**unchanged, "message": from_address + message, "message_hidden": False,
                "field_classes": [number_input_class(field in invalid.by_field) for field in FIELD_INPUTS]}
    applied = applied_settings(settings)
    valid_class = number_input_class(False)
    clear = not from_address and shown.get("message_hidden") is True and all(
        shown_class == valid_class for shown_class in shown.get("field_classes") or [None])
    outputs = {
        "query": format_query(settings),
        "message": no_update if clear else from_address,
        "message_hidden": no_update if clear else not from_address,
        "field_classes": [no_update if clear else valid_class for _ in FIELD_INPUTS],
        "applied": applied if _table_changes(shown.get("applied"), applied) else no_update,
    }
    try:
        boundary = decision_boundary(settings)
    except Exception:  # never a traceback to the user; the log keeps it
        log.exception("map refit failed for %s", settings)
        return {**outputs, "figure": no_update, "caption": FAILURE_MESSAGE}
    return {**outputs, "figure": boundary_patch(boundary), "caption": map_caption(boundary)}


def table_view(applied) -> html.Div | html.P:
    """The table for the applied settings. The store is set only with valid settings, but the
    endpoint is public, so its value is validated again; a forged one changes nothing."""
    if not isinstance(applied, dict) or set(applied) != {field.name for field in dataclasses.fields(Settings)}:
        raise PreventUpdate
    try:
        settings = _validate(**applied)
    except InvalidSettings:
        raise PreventUpdate from None
    try:
        results = benchmark_inits(settings.n_clusters, settings.n_init, settings.seed)
    except Exception:
        log.exception("table refit failed for %s", settings)
        return html.P(FAILURE_MESSAGE, className="failure")
    return metrics_table(results, settings.init_method)


def _map_callback(init_method, n_init, n_clusters, seed, mesh_step, address_notes, shown):
    # An address's notes are shown once, when it is opened, not at every later change.
    opened = f"{ADDRESS_NOTES}.data" in ctx.triggered_prop_ids
    return map_view(init_method, n_init, n_clusters, seed, mesh_step, shown=shown,
                    address_notes=address_notes if opened else None)


def register(app: Dash) -> None:
    # The page is served already drawn for the defaults, so no callback runs on load.
    app.callback(
        output={
            "figure": Output("boundary-graph", "figure"),
            "caption": Output("map-caption", "children"),
            "message": Output("settings-message", "children"),
            "message_hidden": Output("settings-message", "hidden"),
            "field_classes": [Output(input_id, "className") for input_id in FIELD_INPUTS.values()],
            "applied": Output(APPLIED_SETTINGS, "data"),
            "query": Output(SETTINGS_QUERY, "data"),
        },
        inputs={
            "init_method": Input("init-method", "value"),
            "n_init": Input("n-init", "value"),
            "n_clusters": Input("n-clusters", "value"),
            "seed": Input("random-seed", "value"),
            "mesh_step": Input("mesh-step", "value"),
            "address_notes": Input(ADDRESS_NOTES, "data"),
        },
        state={
            "shown": {
                "message_hidden": State("settings-message", "hidden"),
                "field_classes": [State(input_id, "className") for input_id in FIELD_INPUTS.values()],
                "applied": State(APPLIED_SETTINGS, "data"),
            },
        },
        prevent_initial_call=True,
    )(_map_callback)
    app.callback(
        Output("metrics-table", "children"), Input(APPLIED_SETTINGS, "data"), prevent_initial_call=True,
    )(table_view)
