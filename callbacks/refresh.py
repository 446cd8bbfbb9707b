"""Every control change: validate, then refit what changed (the core caches the rest) and redraw."""

from __future__ import annotations

import logging

from dash import Dash, Input, Output, html, no_update

from components.boundary_figure import boundary_patch, map_caption
from components.metrics_table import metrics_table
from core import data
from core.boundary import decision_boundary
from core.clustering import benchmark_inits
from core.settings import InvalidSettings, validate

log = logging.getLogger(__name__)

CONTROL_IDS = ("init-method", "n-init", "n-clusters", "random-seed", "mesh-step")
FAILURE_MESSAGE = "This configuration could not be computed; the previous results are still shown."


def _problem_list(title: str, problems) -> list:
    return [html.Strong(title), html.Ul([html.Li(problem) for problem in problems])]


def refresh_view(init_method, n_init, n_clusters, seed, mesh_step):
    """(table, figure patch, caption, message, message hidden) for raw control values.

    Bad values change nothing but the message.
    """
    try:
        settings = validate(
            init_method=init_method, n_init=n_init, n_clusters=n_clusters, seed=seed, mesh_step=mesh_step,
            extent=data.load().extent,
        )
    except InvalidSettings as invalid:
        message = _problem_list("Settings not applied — the results shown are for the last valid settings:",
                                invalid.problems)
        return no_update, no_update, no_update, message, False
    try:
        results = benchmark_inits(settings.n_clusters, settings.n_init, settings.seed)
        boundary = decision_boundary(settings)
    except Exception:  # never a traceback to the user; the log keeps it
        log.exception("refit failed for %s", settings)
        return no_update, no_update, no_update, [html.Strong(FAILURE_MESSAGE)], False
    return metrics_table(results, settings.init_method), boundary_patch(boundary), map_caption(boundary), [], True


def register(app: Dash) -> None:
    app.callback(
        Output("metrics-table", "children"),
        Output("boundary-graph", "figure"),
        Output("map-caption", "children"),
        Output("settings-message", "children"),
        Output("settings-message", "hidden"),
        *(Input(control, "value") for control in CONTROL_IDS),
        # The page is served already drawn for the defaults.
        prevent_initial_call=True,
    )(refresh_view)
