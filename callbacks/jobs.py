"""The background jobs: k sweep and seed stability, each one callback that starts, polls and
cancels, and a CSV download.

A job runs on the server's task queue (`services().jobs`), never in a web worker: starting one
returns at once with a signed handle bound to this page; the panel's interval polls it while it
runs. Bad settings start nothing and say why; a full queue says so; a job lost to a restart says
so, with Retry. The same run asked for again is answered from its stored result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from dash import ClientsideFunction, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks.services import CANCELLED, DONE, FAILED, LOST, QUEUED, REFUSED, RUNNING, UNKNOWN, JobView, services
from components.below_fold import MOUNT_SIGNAL
from components.controls import number_input_class
from components.jobs_section import STABILITY, SWEEP
from components.server_fault import SERVER_FAULT_TEXT
from components.stability_view import stability_figure, stability_file_name, stability_frame, stability_table
from components.sweep_figure import sweep_caption, sweep_figure, sweep_file_name, sweep_table
from core import datasets
from core.settings import (
    DEFAULTS,
    InvalidSettings,
    Settings,
    fit_parameters,
    validate,
    validate_k_range,
    validate_n_seeds,
    validate_store,
    validated_together,
    whole_number,
)
from core.sweeps import KSweep, Stability, stability_fit_count

INVALID_TITLE = "Not started:"
LOST_TEXT = "The server restarted; this job did not finish."
UNKNOWN_TEXT = "The server does not know this job (it may have expired): run it again."
SHOWN = {"display": "block"}  # a job's plot, once it has a result


def _store_or_defaults(applied) -> Settings:
    """The page's settings, or the defaults while they are not valid (that problem is named too)."""
    try:
        return validate_store(applied)
    except InvalidSettings:
        return validate(DEFAULTS)


def sweep_params(applied, k_min, k_max) -> dict:
    """The k sweep's parameters, validated; n_init and seed as the fit uses them."""
    page = _store_or_defaults(applied)
    settings, k_range = validated_together(
        lambda: validate_store(applied),
        lambda: validate_k_range(k_min, k_max, page.dataset, page.init_method, page.n_init))
    n_init, seed = fit_parameters(settings.init_method, settings.n_init, settings.seed)
    return {"dataset": settings.dataset, "init_method": settings.init_method, "n_init": n_init, "seed": seed,
            "k_min": k_range[0], "k_max": k_range[1]}


def stability_params(applied, n_seeds) -> dict:
    page = _store_or_defaults(applied)
    settings, seeds = validated_together(lambda: validate_store(applied), lambda: validate_n_seeds(n_seeds, page))
    return {"dataset": settings.dataset, "n_clusters": settings.n_clusters, "n_init": settings.n_init,
            "seed": settings.seed, "n_seeds": seeds}


def sweep_total(params: dict) -> int:
    return params["k_max"] - params["k_min"] + 1


def stability_total(params: dict) -> int:
    return stability_fit_count(params["dataset"], params["n_clusters"], params["n_seeds"])


def sweep_result_view(result: dict, applied) -> dict:
    sweep = KSweep.from_dict(result)
    k = whole_number(applied.get("n_clusters"), 2, 30) if isinstance(applied, dict) else None
    return {"figure": sweep_figure(sweep, k), "style": SHOWN, "detail": sweep_caption(sweep)}


def stability_result_view(result: dict, applied) -> dict:
    stability = Stability.from_dict(result)
    return {"figure": stability_figure(stability), "style": SHOWN, "detail": stability_table(stability)}


@dataclasses.dataclass(frozen=True)
class JobKind:
    prefix: str
    fields: dict[str, str]  # validation field → input id
    params: Callable[..., dict]
    result_view: Callable[[dict, object], dict]
    total: Callable[[dict], int]
    detail_output: tuple[str, str]


KINDS = {
    SWEEP: JobKind(SWEEP, {"k_min": "k-sweep-min", "k_max": "k-sweep-max"}, sweep_params, sweep_result_view,
                   sweep_total, ("k-sweep-caption", "children")),
    STABILITY: JobKind(STABILITY, {"n_seeds": "stability-seeds"}, stability_params, stability_result_view,
                       stability_total, ("stability-table", "children")),
}


def _progress_text(view: JobView) -> str:
    if view.state == QUEUED:
        return view.message or (f"Waiting: {view.ahead} ahead" if view.ahead else "Waiting: next in line")
    if view.total:
        return f"{view.done} of {view.total} fits"
    return "Starting…"


def job_outputs(kind: JobKind, view: JobView, applied) -> dict:
    """Every output of a job panel for what the server says of its job."""
    active = view.state in (QUEUED, RUNNING)
    out = {
        "job": view.handle if active else None,
        "poll_disabled": not active,
        "progress_hidden": not active,
        "progress_value": str(view.done), "progress_max": str(max(view.total, 1)),
        "progress_text": _progress_text(view) if active else "",
        "run_disabled": active,
        "cancel_hidden": not active,
        "failure_hidden": view.state not in (FAILED, LOST),
        "failure_text": LOST_TEXT if view.state == LOST else SERVER_FAULT_TEXT,
        "message": no_update, "message_hidden": no_update,
        "figure": no_update, "style": no_update, "detail": no_update,
        "shown": no_update, "download_disabled": no_update, "empty_hidden": no_update,
    }
    if view.state == DONE and view.result is not None:
        out.update(kind.result_view(view.result, applied))
        out.update(shown=view.params, download_disabled=False, empty_hidden=True, message_hidden=True)
    elif view.state in (REFUSED, UNKNOWN):
        out.update(message=view.message or UNKNOWN_TEXT, message_hidden=False)
    elif view.state == CANCELLED:
        out.update(message="Cancelled.", message_hidden=False)
    return out


def job_callback(kind_name: str, run, retry, poll, cancel, applied, fields: dict, handle, token,
                 page_id=None) -> dict:
    """Start (Run or Retry), poll or cancel this panel's job, as the trigger says."""
    kind = KINDS[kind_name]
    trigger = ctx.triggered_id if ctx.triggered else None
    jobs = services().jobs
    page = jobs.page_token(token, page_id)
    base = {"token": page if page != token else no_update,
            "field_classes": [no_update for _ in kind.fields]}
    if trigger == f"{kind.prefix}-poll":
        if not handle:
            raise PreventUpdate
        return {**base, **job_outputs(kind, jobs.status(handle, page), applied)}
    if trigger == f"{kind.prefix}-cancel":
        return {**base, **job_outputs(kind, jobs.cancel(handle, page), applied)}
    if trigger not in (f"{kind.prefix}-run", f"{kind.prefix}-retry"):
        raise PreventUpdate
    try:
        params = kind.params(applied, *(fields.get(name) for name in kind.fields))
    except InvalidSettings as invalid:
        message = [html.Strong(INVALID_TITLE), html.Ul([html.Li(problem) for problem in invalid.problems])]
        return {**base, **{name: no_update for name in job_outputs(kind, JobView(UNKNOWN), applied)},
                "message": message, "message_hidden": False,
                "field_classes": [number_input_class(name in invalid.by_field) for name in kind.fields]}
    view = jobs.start(kind.prefix, params, page)
    if view.state in (QUEUED, RUNNING) and not view.total:
        view = dataclasses.replace(view, total=kind.total(params))
    outputs = job_outputs(kind, view, applied)
    if view.state not in (REFUSED,):
        outputs.update(message=[], message_hidden=True)
    return {**base, **outputs, "field_classes": [number_input_class(False) for _ in kind.fields]}


FORGOTTEN_TEXT = "The data this result came from is forgotten, and the result with it."


def forgotten_result(received, shown) -> dict:
    """On a change of `received` (the page's upload): a shown result whose upload is gone (the page
    forgot it, or replaced it with another file) goes too; the panel says why, and offers no
    download."""
    if not isinstance(shown, dict) or not datasets.gone(shown.get("dataset")):
        raise PreventUpdate
    return {"style": {"display": "none"}, "shown": None, "download_disabled": True, "empty_hidden": False,
            "detail": None, "message": FORGOTTEN_TEXT, "message_hidden": False}


def download(kind_name: str, clicks, shown) -> dict:
    if not clicks or not isinstance(shown, dict):
        raise PreventUpdate
    if shown.get("dataset") is not None and datasets.find(shown.get("dataset")) is None:
        raise PreventUpdate  # an upload forgotten (or expired) since: its results are not handed out
    result = services().jobs.stored(kind_name, shown)
    if result is None:  # expired: the button is only enabled with a result shown
        raise PreventUpdate
    if kind_name == SWEEP:
        sweep = KSweep.from_dict(result)
        return dcc.send_data_frame(sweep_table(sweep).to_csv, sweep_file_name(sweep), index=False)
    stability = Stability.from_dict(result)
    return dcc.send_data_frame(stability_frame(stability).to_csv, stability_file_name(stability), index=False)


def _register_kind(app: Dash, kind: JobKind) -> None:
    p = kind.prefix
    graph = f"{p}-graph"
    app.callback(
        output={
            "token": Output("page-token", "data", allow_duplicate=True),
            "field_classes": [Output(input_id, "className") for input_id in kind.fields.values()],
            "job": Output(f"{p}-job", "data"),
            "poll_disabled": Output(f"{p}-poll", "disabled"),
            "progress_hidden": Output(f"{p}-progress-area", "hidden"),
            "progress_value": Output(f"{p}-progress", "value"),
            "progress_max": Output(f"{p}-progress", "max"),
            "progress_text": Output(f"{p}-progress-text", "children"),
            "run_disabled": Output(f"{p}-run", "disabled"),
            "cancel_hidden": Output(f"{p}-cancel", "hidden"),
            "failure_hidden": Output(f"{p}-failure", "hidden"),
            "failure_text": Output(f"{p}-failure-text", "children"),
            "message": Output(f"{p}-message", "children"),
            "message_hidden": Output(f"{p}-message", "hidden"),
            "figure": Output(graph, "figure"),
            "style": Output(graph, "style"),
            "detail": Output(*kind.detail_output),
            "shown": Output(f"{p}-shown", "data"),
            "download_disabled": Output(f"{p}-download-button", "disabled"),
            "empty_hidden": Output(f"{p}-empty", "hidden"),
        },
        inputs={"run": Input(f"{p}-run", "n_clicks"), "retry": Input(f"{p}-retry", "n_clicks"),
                "poll": Input(f"{p}-poll", "n_intervals"), "cancel": Input(f"{p}-cancel", "n_clicks")},
        state={"applied": State("applied-settings", "data"),
               "fields": {name: State(input_id, "value") for name, input_id in kind.fields.items()},
               "handle": State(f"{p}-job", "data"), "token": State("page-token", "data"),
               "page_id": State("page-id", "data")},
        prevent_initial_call=True,
    )(lambda run, retry, poll, cancel, applied, fields, handle, token, page_id: job_callback(
        p, run, retry, poll, cancel, applied, fields, handle, token, page_id))
    app.callback(
        Output(f"{p}-download", "data"), Input(f"{p}-download-button", "n_clicks"), State(f"{p}-shown", "data"),
        prevent_initial_call=True,
    )(lambda clicks, shown: download(p, clicks, shown))
    app.callback(
        output={"style": Output(graph, "style", allow_duplicate=True),
                "shown": Output(f"{p}-shown", "data", allow_duplicate=True),
                "download_disabled": Output(f"{p}-download-button", "disabled", allow_duplicate=True),
                "empty_hidden": Output(f"{p}-empty", "hidden", allow_duplicate=True),
                "detail": Output(*kind.detail_output, allow_duplicate=True),
                "message": Output(f"{p}-message", "children", allow_duplicate=True),
                "message_hidden": Output(f"{p}-message", "hidden", allow_duplicate=True)},
        inputs={"received": Input("upload-received", "data")}, state={"shown": State(f"{p}-shown", "data")},
        prevent_initial_call=True,
    )(forgotten_result)


def register(app: Dash) -> None:
    for kind in KINDS.values():
        _register_kind(app, kind)
    # The page's own id (assets/table_requests.js), in its store when the jobs' panels are mounted.
    app.clientside_callback(
        ClientsideFunction("page", "id"),
        Output("page-id", "data"), Input(MOUNT_SIGNAL, "data"),
        prevent_initial_call=True,
    )
    # A click on a sweep point makes its k the page's k, in the browser; the settings' validator
    # checks it as it checks a typed k.
    app.clientside_callback(
        ClientsideFunction("jobs", "selectK"),
        Output("n-clusters", "value", allow_duplicate=True), Input("k-sweep-graph", "clickData"),
        prevent_initial_call=True,
    )
    # The selected k, marked on the sweep in the browser: no request.
    app.clientside_callback(
        ClientsideFunction("jobs", "markCurrentK"),
        Output("k-sweep-graph", "figure", allow_duplicate=True),
        Input("applied-settings", "data"), State("k-sweep-graph", "figure"),
        prevent_initial_call=True,
    )
