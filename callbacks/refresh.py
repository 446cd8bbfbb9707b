"""Every control change: validate, then refit what changed (the core caches the rest) and redraw.

Three callbacks, so the browser sends them at once and the server runs them on both cores:
the table, the map, and the validation message. Table and map change only when every value is
valid, so each takes every control as an Input: when a bad value is corrected, both catch up
with whatever changed meanwhile (a mesh-step change costs the table only a cache hit).
"""

from __future__ import annotations

import logging

from dash import Dash, Input, Output, html, no_update
from dash.exceptions import PreventUpdate

from components.boundary_figure import boundary_patch, map_caption
from components.metrics_table import metrics_table
from core import data
from core.boundary import decision_boundary
from core.clustering import benchmark_inits
from core.settings import InvalidSettings, Settings, validate

log = logging.getLogger(__name__)

CONTROL_IDS = ("init-method", "n-init", "n-clusters", "random-seed", "mesh-step")
INVALID_TITLE = "Settings not applied — the results shown are for the last valid settings:"
FAILURE_MESSAGE = "This configuration could not be computed. Try other settings."


def _validate(init_method, n_init, n_clusters, seed, mesh_step) -> Settings:
    return validate(
        init_method=init_method, n_init=n_init, n_clusters=n_clusters, seed=seed, mesh_step=mesh_step,
        extent=data.load().extent,
    )


def _valid_or_unchanged(*values) -> Settings:
    try:
        return _validate(*values)
    except InvalidSettings:
        raise PreventUpdate from None  # the message callback explains; nothing else changes


# Settings field → the number input that shows it (init-method is a segmented control: no error state).
FIELD_INPUTS = {"n_init": "n-init", "n_clusters": "n-clusters", "seed": "random-seed", "mesh_step": "mesh-step"}


def settings_message(init_method, n_init, n_clusters, seed, mesh_step):
    """(message children, hidden, *error flag per number input): one line per bad value."""
    try:
        _validate(init_method, n_init, n_clusters, seed, mesh_step)
    except InvalidSettings as invalid:
        message = [html.Strong(INVALID_TITLE), html.Ul([html.Li(problem) for problem in invalid.problems])]
        return (message, False, *(field in invalid.by_field for field in FIELD_INPUTS))
    return ([], True, *(False for _ in FIELD_INPUTS))


def table_view(init_method, n_init, n_clusters, seed, mesh_step):
    settings = _valid_or_unchanged(init_method, n_init, n_clusters, seed, mesh_step)
    try:
        results = benchmark_inits(settings.n_clusters, settings.n_init, settings.seed)
    except Exception:  # never a traceback to the user; the log keeps it
        log.exception("table refit failed for %s", settings)
        return html.P(FAILURE_MESSAGE, className="failure")
    return metrics_table(results, settings.init_method)


def map_view(init_method, n_init, n_clusters, seed, mesh_step):
    """(figure patch, caption) for valid values."""
    settings = _valid_or_unchanged(init_method, n_init, n_clusters, seed, mesh_step)
    try:
        boundary = decision_boundary(settings)
    except Exception:
        log.exception("map refit failed for %s", settings)
        return no_update, FAILURE_MESSAGE
    return boundary_patch(boundary), map_caption(boundary)


def register(app: Dash) -> None:
    controls = [Input(control, "value") for control in CONTROL_IDS]
    # The page is served already drawn for the defaults, so no callback runs on load.
    app.callback(
        Output("settings-message", "children"), Output("settings-message", "hidden"),
        *(Output(input_id, "error") for input_id in FIELD_INPUTS.values()),
        *controls, prevent_initial_call=True,
    )(settings_message)
    app.callback(Output("metrics-table", "children"), *controls, prevent_initial_call=True)(table_view)
    app.callback(
        Output("boundary-graph", "figure"), Output("map-caption", "children"),
        *controls, prevent_initial_call=True,
    )(map_view)
