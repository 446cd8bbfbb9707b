"""The background jobs: k sweep and seed stability (Dash background callbacks), and their CSVs.

Each job is two callbacks. The *request* callback (a plain one) validates the job's settings,
answers at once from the result store when the same job ran before, and otherwise hands the
validated settings to the *job* callback (background=True), which runs them in a job process
with progress, cancel, and a "run it again" box when it fails. So bad input starts no job, and
a second run of the same settings is one request. The endpoint is public: the job validates
its request again.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid

from dash import ClientsideFunction, Dash, Input, Output, State, dcc, html, no_update
from dash.exceptions import PreventUpdate

from callbacks import replay
from callbacks.refresh import _validate
from components.controls import number_input_class
from components.stability_view import stability_figure, stability_file_name, stability_frame, stability_table
from components.sweep_figure import sweep_caption, sweep_figure, sweep_file_name, sweep_table
from core.job_settings import validate_k_range, validate_n_seeds
from core.settings import N_CLUSTERS_RANGE, InvalidSettings, Settings, fit_parameters
from core.sweeps import k_sweep, seed_stability, stability_fit_count
from serving.job_guards import refuse_bad_job_requests, refuse_forged_handles
from serving.jobs_manager import manager, results

log = logging.getLogger(__name__)

SWEEP, STABILITY = "k-sweep", "stability"
POLL_INTERVAL_MS = 400
INVALID_TITLE = "Not started:"
SETTINGS_FIELDS = {field.name for field in dataclasses.fields(Settings)}


def _clicked(*clicks) -> bool:
    return any(isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in clicks)


def _page_settings(applied) -> None:
    """The applied-settings store only ever holds valid settings: anything else was forged, and
    changes nothing (no message, no job)."""
    try:
        _settings(applied)
    except (InvalidSettings, TypeError):
        raise PreventUpdate from None


def _settings(applied) -> Settings:
    """The page's applied settings (a store: validated again, as anything posted is)."""
    if not isinstance(applied, dict) or set(applied) != SETTINGS_FIELDS:
        raise InvalidSettings({"settings": "The page's settings are not valid; fix them above first."})
    return _validate(**applied)


def _settings_and(applied, check, *values):
    """The page's settings and check(*values), both validated; every problem of both named at once."""
    problems, settings, checked = {}, None, None
    try:
        settings = _settings(applied)
    except InvalidSettings as invalid:
        problems.update(invalid.by_field)
    try:
        checked = check(*values)
    except InvalidSettings as invalid:
        problems.update(invalid.by_field)
    if problems:
        raise InvalidSettings(problems)
    return settings, checked


def sweep_job(applied, k_min, k_max) -> dict:
    """The k sweep's settings, validated; n_init and seed as the fit uses them (shared cache)."""
    settings, k_range = _settings_and(applied, validate_k_range, k_min, k_max)
    n_init, seed = fit_parameters(settings.init_method, settings.n_init, settings.seed)
    return {"init_method": settings.init_method, "n_init": n_init, "seed": seed,
            "k_min": k_range[0], "k_max": k_range[1]}


def stability_job(applied, n_seeds) -> dict:
    settings, n_seeds = _settings_and(applied, validate_n_seeds, n_seeds)
    return {"n_clusters": settings.n_clusters, "n_init": settings.n_init, "seed": settings.seed, "n_seeds": n_seeds}


def _checked(request: object, fields: tuple[str, ...], check) -> dict:
    """A posted job request, validated again; PreventUpdate (nothing runs) when it is not one of ours."""
    if not isinstance(request, dict) or set(request) != {*fields, "nonce"}:
        raise PreventUpdate
    try:
        return check(request)
    except (InvalidSettings, TypeError):
        raise PreventUpdate from None


def _checked_sweep(request) -> dict:
    def check(r):
        return sweep_job({"init_method": r["init_method"], "n_init": r["n_init"], "n_clusters": N_CLUSTERS_RANGE[0],
                          "seed": r["seed"], "mesh_step": 1.0}, r["k_min"], r["k_max"])
    return _checked(request, ("init_method", "n_init", "seed", "k_min", "k_max"), check)


def _checked_stability(request) -> dict:
    def check(r):
        return stability_job({"init_method": "k-means++", "n_init": r["n_init"], "n_clusters": r["n_clusters"],
                              "seed": r["seed"], "mesh_step": 1.0}, r["n_seeds"])
    return _checked(request, ("n_clusters", "n_init", "seed", "n_seeds"), check)


def _fits_done(set_progress):
    """A job's progress (fits done of total) as its bar's value, maximum and text."""
    return lambda done, total: set_progress((str(done), str(total), f"{done} of {total} fits"))


def _starting() -> list:
    """The view while a job starts: as it was, but no failure box (the retry is under way)."""
    return [no_update, no_update, no_update, True, no_update]


def _problems(invalid: InvalidSettings, fields: dict[str, str]) -> list:
    message = [html.Strong(INVALID_TITLE), html.Ul([html.Li(problem) for problem in invalid.problems])]
    return [message, False, *[number_input_class(field in invalid.by_field) for field in fields]]


# ---------------------------------------------------------------------------------------------
# k sweep

SWEEP_FIELDS = {"k_min": "k-sweep-min", "k_max": "k-sweep-max"}
SWEEP_OUTPUTS = [Output("k-sweep-graph", "figure"), Output("k-sweep-caption", "children"),
                 Output("k-sweep-shown", "data"), Output("k-sweep-failure", "hidden"),
                 Output("k-sweep-download-button", "disabled")]


def sweep_view(sweep, current_k: int | None, job: dict) -> list:
    """figure, caption, shown settings, failure hidden, download disabled."""
    return [sweep_figure(sweep, current_k), sweep_caption(sweep), job, True, False]


def request_sweep(run_clicks, retry_clicks, applied, k_min, k_max) -> list:
    """message, message hidden, field classes, job request, then the view when the result is stored."""
    if not _clicked(run_clicks, retry_clicks):
        raise PreventUpdate
    _page_settings(applied)
    keep = [no_update] * 5
    try:
        job = sweep_job(applied, k_min, k_max)
    except InvalidSettings as invalid:
        return [*_problems(invalid, SWEEP_FIELDS), no_update, *keep]
    cleared = [[], True, *[number_input_class(False)] * len(SWEEP_FIELDS)]
    stored = results().get(SWEEP, job)
    if stored is None:
        return [*cleared, {**job, "nonce": uuid.uuid4().hex}, *_starting()]
    view = sweep_view(stored, applied.get("n_clusters"), job)
    return [*cleared, no_update, *view]


def run_sweep(set_progress, request, applied) -> list:
    """In the job process: every k, with progress after each fit; stored for the next request."""
    job = _checked_sweep(request)
    report = _fits_done(set_progress)
    report(0, job["k_max"] - job["k_min"] + 1)
    sweep = results().computed_once(
        SWEEP, job, lambda progress: k_sweep(job["init_method"], (job["k_min"], job["k_max"]), job["n_init"],
                                             job["seed"], progress=progress),
        report)
    return sweep_view(sweep, applied.get("n_clusters") if isinstance(applied, dict) else None, job)


def failed_sweep(error: Exception) -> list:
    log.error("k sweep failed: %s", error)
    return [no_update, no_update, no_update, False, no_update]


def select_k(click_data) -> int:
    """A click on a sweep point: its k becomes the page's k (validated: the endpoint is public)."""
    try:
        k = click_data["points"][0]["customdata"]
    except (TypeError, KeyError, IndexError):
        raise PreventUpdate from None
    if isinstance(k, bool) or not isinstance(k, int) or not N_CLUSTERS_RANGE[0] <= k <= N_CLUSTERS_RANGE[1]:
        raise PreventUpdate
    return k


def download_sweep(clicks, shown) -> dict:
    if not clicks:
        raise PreventUpdate
    job = _checked_sweep({**shown, "nonce": ""} if isinstance(shown, dict) else None)
    sweep = results().get(SWEEP, job)
    if sweep is None:  # expired from the store: the button is only enabled with a result shown
        raise PreventUpdate
    return dcc.send_data_frame(sweep_table(sweep).to_csv, sweep_file_name(sweep), index=False)


# ---------------------------------------------------------------------------------------------
# seed stability

STABILITY_FIELDS = {"n_seeds": "stability-seeds"}
STABILITY_OUTPUTS = [Output("stability-graph", "figure"), Output("stability-table", "children"),
                     Output("stability-shown", "data"), Output("stability-failure", "hidden"),
                     Output("stability-download-button", "disabled")]


def stability_view(result, job: dict) -> list:
    """figure, table, shown settings, failure hidden, download disabled."""
    return [stability_figure(result), stability_table(result), job, True, False]


def request_stability(run_clicks, retry_clicks, applied, n_seeds) -> list:
    if not _clicked(run_clicks, retry_clicks):
        raise PreventUpdate
    _page_settings(applied)
    keep = [no_update] * 5
    try:
        job = stability_job(applied, n_seeds)
    except InvalidSettings as invalid:
        return [*_problems(invalid, STABILITY_FIELDS), no_update, *keep]
    cleared = [[], True, *[number_input_class(False)] * len(STABILITY_FIELDS)]
    stored = results().get(STABILITY, job)
    if stored is None:
        return [*cleared, {**job, "nonce": uuid.uuid4().hex}, *_starting()]
    view = stability_view(stored, job)
    return [*cleared, no_update, *view]


def run_stability(set_progress, request) -> list:
    job = _checked_stability(request)
    report = _fits_done(set_progress)
    report(0, stability_fit_count(job["n_seeds"]))
    result = results().computed_once(
        STABILITY, job, lambda progress: seed_stability(job["n_clusters"], job["n_init"], job["seed"],
                                                        job["n_seeds"], progress=progress),
        report)
    return stability_view(result, job)


def failed_stability(error: Exception) -> list:
    log.error("seed stability failed: %s", error)
    return [no_update, no_update, no_update, False, no_update]


def seed_spread(shown, settings: Settings) -> dict | None:
    """{init: {metric: (low, high)}} from the stability run the page shows, when it was run at these
    settings' k and n_init (the seeds' spread does not depend on the table's seed); else None."""
    if not isinstance(shown, dict):
        return None
    try:
        job = _checked_stability({**shown, "nonce": ""})
    except PreventUpdate:
        return None
    if (job["n_clusters"], job["n_init"]) != (settings.n_clusters, settings.n_init):
        return None
    result = results().get(STABILITY, job)
    if result is None:
        return None
    return {row.init_method: {name: (spread.low, spread.high) for name, spread in row.metrics.items()}
            for row in result.inits}


def download_stability(clicks, shown) -> dict:
    if not clicks:
        raise PreventUpdate
    job = _checked_stability({**shown, "nonce": ""} if isinstance(shown, dict) else None)
    result = results().get(STABILITY, job)
    if result is None:
        raise PreventUpdate
    return dcc.send_data_frame(stability_frame(result).to_csv, stability_file_name(result), index=False)


# ---------------------------------------------------------------------------------------------


def _register_job(app: Dash, prefix: str, fields: dict[str, str], view_outputs: list, request, run, failed,
                  download, extra_inputs: list, job_state: list) -> None:
    duplicate = [Output(o.component_id, o.component_property, allow_duplicate=True) for o in view_outputs]
    app.callback(
        Output(f"{prefix}-message", "children"), Output(f"{prefix}-message", "hidden"),
        *[Output(id_, "className") for id_ in fields.values()], Output(f"{prefix}-request", "data"), *duplicate,
        Input(f"{prefix}-run", "n_clicks"), Input(f"{prefix}-retry", "n_clicks"),
        State("applied-settings", "data"), *extra_inputs,
        prevent_initial_call=True,
    )(request)
    app.callback(
        *view_outputs,
        Input(f"{prefix}-request", "data"), *job_state,
        background=True, manager=manager(), prevent_initial_call=True, interval=POLL_INTERVAL_MS,
        running=[(Output(f"{prefix}-run", "disabled"), True, False),
                 (Output(f"{prefix}-cancel", "hidden"), False, True),
                 (Output(f"{prefix}-progress-area", "hidden"), False, True)],
        progress=[Output(f"{prefix}-progress", "value"), Output(f"{prefix}-progress", "max"),
                  Output(f"{prefix}-progress-text", "children")],
        progress_default=["0", "1", "Starting…"],
        cancel=[Input(f"{prefix}-cancel", "n_clicks")],
        on_error=failed,
    )(run)
    app.callback(
        Output(f"{prefix}-download", "data"), Input(f"{prefix}-download-button", "n_clicks"),
        State(f"{prefix}-shown", "data"), prevent_initial_call=True,
    )(download)


CANCEL_OUTPUTS = {f"{prefix}-cancel.id" for prefix in (SWEEP, STABILITY)}  # Dash registers these


def _output_id(outputs: list) -> str:
    return ".." + "...".join(f"{o.component_id}.{o.component_property}" for o in outputs) + ".."


def register(app: Dash) -> None:
    refuse_forged_handles(app)
    refuse_bad_job_requests(app, {_output_id(SWEEP_OUTPUTS): _checked_sweep,
                                  _output_id(STABILITY_OUTPUTS): _checked_stability}, CANCEL_OUTPUTS)
    _register_job(
        app, SWEEP, SWEEP_FIELDS, SWEEP_OUTPUTS,
        request_sweep, run_sweep, failed_sweep, download_sweep,
        [State("k-sweep-min", "value"), State("k-sweep-max", "value")], [State("applied-settings", "data")],
    )
    _register_job(
        app, STABILITY, STABILITY_FIELDS, STABILITY_OUTPUTS,
        request_stability, run_stability, failed_stability, download_stability,
        [State("stability-seeds", "value")], [],
    )
    app.callback(Output("n-clusters", "value"), Input("k-sweep-graph", "clickData"),
                 prevent_initial_call=True)(select_k)
    # The selected k, marked on the sweep in the browser: no request.
    app.clientside_callback(
        ClientsideFunction("jobs", "markCurrentK"),
        Output("k-sweep-graph", "figure", allow_duplicate=True),
        Input("applied-settings", "data"), State("k-sweep-graph", "figure"),
        prevent_initial_call=True,
    )
    replay.register(app)
