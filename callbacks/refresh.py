"""Every control change: validate, redraw the map, then the table (the core caches the rest).

Two callbacks, chained. The map callback reads the controls, validates them, says what is
wrong if anything is (the message and the fields' error outlines), and redraws the map; when
the values are valid it also records them in the `applied-settings` store. That store drives
the table callback. So the map, which a person watches move, has the server to itself, and
the table, with the views of the 64-D fits (headline, verdict, gallery, matrix), follows it; an
invalid value changes nothing but the message, and marks the views stale.
"""

from __future__ import annotations

import dataclasses
import logging
from functools import lru_cache

from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from components.boundary_figure import boundary_patch, map_caption
from components.cluster_views import centroid_gallery, digit_matrix, matrix_summary
from components.controls import number_input_class
from components.headline import matched_accuracy, verdict
from components.metrics_table import metrics_table
from components.server_fault import card_class
from core import data
from core.boundary import Boundary, decision_boundary
from core.clustering import FitQueueFull, fitted_inits
from core.matching import ClusterMatching, chance_accuracy, match_clusters
from core.pixels import centroid_pixels
from core.settings import DEFAULTS, INIT_METHODS, InvalidSettings, Settings, validate
from core.share import format_query

log = logging.getLogger(__name__)

APPLIED_SETTINGS = "applied-settings"
ADDRESS_NOTES = "address-notes"  # set by callbacks/share.py when an address is opened
SETTINGS_QUERY = "settings-query"  # the applied settings as a query string, for the address bar
ADDRESS_TITLE = "From the address:"
INVALID_TITLE = "Settings not applied — the results shown are for the last valid settings:"
# A view the server could not compute shows its fault box (components/server_fault.py) and fades
# its card; the box's retry button sends the same settings again. Card ids and base classes:
MAP_CARD, TABLE_CARD = ("map-card", "card map-card"), ("table-card", "card table-card")
RESULTS_CLASS, STALE_CLASS = "content", "content stale"  # stale: the views show the last valid settings
# The table callback's outputs: component id and property of each.
RESULTS_OUTPUTS = {
    "table": ("metrics-table", "children"),
    "accuracy": ("matched-accuracy", "children"),
    "verdict": ("verdict", "children"),
    "gallery": ("centroid-gallery", "children"),
    "matrix": ("cluster-digit-matrix", "children"),
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


def cluster_names(matching: ClusterMatching, labels) -> dict:
    """A store's value: each cluster's name and digit, and each sample's cluster (for the tooltip)."""
    return {"names": list(matching.names), "digits": matching.digit.tolist(), "labels": labels.tolist()}


def model_clusters(init_method: str, matching: ClusterMatching, labels) -> dict:
    return {**cluster_names(matching, labels), "init": init_method}


def map_clusters(boundary: Boundary) -> dict:
    return cluster_names(boundary.matching, boundary.point_clusters)


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
             address_notes: list | None = None, retry=None) -> dict:
    """The map's figure patch and caption, the settings message and the number fields' classes
    (outlined when refused), the applied settings for the table and their query string; `shown`
    is what the page shows now (message hidden, field classes, applied settings), so that nothing
    is redrawn for no reason; `address_notes` say what an address just opened asked for in vain.
    A refit that fails on the server shows the map's fault box (`retry`: its button's clicks,
    which send the same settings again); the next refit that succeeds hides it."""
    shown = shown or {}
    unchanged = {"figure": no_update, "caption": no_update, "applied": no_update, "clusters": no_update,
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
    outputs = {
        "query": format_query(settings),
        "message": no_update if clear else from_address,
        "message_hidden": no_update if clear else not from_address,
        "results_class": no_update if clear else RESULTS_CLASS,
        "field_classes": [no_update if clear else valid_class for _ in FIELD_INPUTS],
        "applied": applied if _table_changes(shown.get("applied"), applied) else no_update,
    }
    try:
        boundary = decision_boundary(settings)
    except Exception:  # a server fault (the settings are valid): never a traceback; the log keeps it
        log.exception("map refit failed for %s", settings)
        return {**outputs, "figure": no_update, "caption": no_update, "clusters": no_update,
                "fault_hidden": False, "card_class": card_class(MAP_CARD[1], failed=True)}
    return {**outputs, "figure": boundary_patch(boundary), "caption": map_caption(boundary),
            "clusters": map_clusters(boundary), "fault_hidden": True, "card_class": MAP_CARD[1]}


def results(settings: Settings, spread: dict | None = None) -> dict:
    """Everything the 64-D fits show: the table, the headline and verdict, and the selected init's
    clusters as digits (gallery, matrix, names). All from the table's cached fits: no extra fit.
    `spread`: the seed spread of a stability run at these k and n_init (bold and verdict respect it)."""
    views = dict(_results(dataclasses.replace(settings, mesh_step=DEFAULTS["mesh_step"])))
    if spread is not None:  # the table and verdict again, judged against the seeds' spread
        scores = [row.scores for row in fitted_inits(settings.n_clusters, settings.n_init, settings.seed)]
        views["table"] = metrics_table(scores, settings, spread)
        views["verdict"] = verdict(scores, spread)
    return views


@lru_cache(maxsize=64)  # ~15 ms of components per configuration; a repeat (or a mesh change) reuses them
def _results(settings: Settings) -> dict:
    rows = fitted_inits(settings.n_clusters, settings.n_init, settings.seed)
    selected = rows[INIT_METHODS.index(settings.init_method)].fit
    digits = data.load()
    matching = match_clusters(digits.target, selected.labels, settings.n_clusters)
    scores = [row.scores for row in rows]
    return {
        "table": metrics_table(scores, settings),
        "accuracy": matched_accuracy(settings.init_method, matching,
                                     chance_accuracy(digits.target, selected.labels, settings.n_clusters)),
        "verdict": verdict(scores),
        "gallery": centroid_gallery(matching, centroid_pixels(selected.centers, digits.scaler)),
        "matrix": digit_matrix(matching),
        "matrix_summary": matrix_summary(matching),
        "model_clusters": model_clusters(settings.init_method, matching, selected.labels),
    }


def validated_store(applied) -> Settings:
    """The applied-settings store's value, validated again (the endpoint is public); else no update."""
    if not isinstance(applied, dict) or set(applied) != {field.name for field in dataclasses.fields(Settings)}:
        raise PreventUpdate
    try:
        return _validate(**applied)
    except InvalidSettings:
        raise PreventUpdate from None


def results_view(applied, stability=None, retry=None) -> dict:
    """The 64-D views for the applied settings. The store is set only with valid settings, but the
    endpoint is public, so its value is validated again; a forged one changes nothing. `stability`
    is the seed-stability run the page shows (its settings), if any. Rows that fail on the server
    (a killed or stuck table process, a timeout) show the table's fault box, whose retry
    (`retry`: its clicks) asks again for the same settings; a success hides it."""
    from callbacks.jobs import seed_spread  # the jobs module imports this one

    settings = validated_store(applied)
    try:
        views = results(settings, seed_spread(stability, settings))
    except FitQueueFull:
        raise  # 503 with Retry-After (serving/shared_cache.py): the page says busy and asks again
    except Exception:  # a server fault: the settings were validated above
        log.exception("table refit failed for %s", settings)
        failed = {key: no_update for key in RESULTS_OUTPUTS}
        return {**failed, "fault_hidden": False, "card_class": card_class(TABLE_CARD[1], failed=True)}
    return {**views, "fault_hidden": True, "card_class": TABLE_CARD[1]}


def _map_callback(init_method, n_init, n_clusters, seed, mesh_step, address_notes, shown, retry=None):
    # An address's notes are shown once, when it is opened, not at every later change.
    opened = f"{ADDRESS_NOTES}.data" in ctx.triggered_prop_ids
    return map_view(init_method, n_init, n_clusters, seed, mesh_step, shown=shown,
                    address_notes=address_notes if opened else None, retry=retry)


def register(app: Dash) -> None:
    # The page is served already drawn for the defaults, so no callback runs on load.
    app.callback(
        output={
            "figure": Output("boundary-graph", "figure"),
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
            "mesh_step": Input("mesh-step", "value"),
            "address_notes": Input(ADDRESS_NOTES, "data"),
            "retry": Input("map-retry", "n_clicks"),
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
        output={**{key: Output(*target) for key, target in RESULTS_OUTPUTS.items()},
                "fault_hidden": Output("table-fault", "hidden"), "card_class": Output(TABLE_CARD[0], "className")},
        inputs={"applied": Input(APPLIED_SETTINGS, "data"), "stability": Input("stability-shown", "data"),
                "retry": Input("table-retry", "n_clicks")},
        prevent_initial_call=True,
    )(results_view)
