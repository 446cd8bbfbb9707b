"""Lloyd's steps for the applied settings: frames built once per configuration, stepped in the browser."""

from __future__ import annotations

import logging
from functools import lru_cache

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from components.replay_view import replay_base_figure, replay_frames
from core import data
from core.replay import replay
from core.settings import InvalidSettings

log = logging.getLogger(__name__)


@lru_cache(maxsize=16)  # frames once per configuration
def _frames(init_method: str, n_clusters: int, n_init: int, seed: int) -> dict:
    run = replay(init_method, n_clusters, n_init, seed)
    runs = "deterministic, 1 run" if init_method == "PCA-based" else f"run {run.run_index + 1} of {run.n_runs} (the one kept)"
    caption = f"{init_method} · k {n_clusters} · seed {seed} · {runs} · {run.n_iter} iterations"
    return replay_frames(run, data.load().extent, caption)


@lru_cache(maxsize=1)
def _base_figure():
    digits = data.load()
    return replay_base_figure(digits.reduced, digits.target, digits.extent)


def load_replay(clicks, applied) -> list:
    """frames, slider max, slider value, slider disabled, play disabled, caption, and the base
    figure (the digits) the browser draws each frame on: not in the page until a replay is asked
    for, so the first render does not draw 1,797 more points."""
    from callbacks.jobs import _settings  # one validation of the applied settings for every job
    if not clicks:
        raise PreventUpdate
    try:
        settings = _settings(applied)
    except InvalidSettings:
        raise PreventUpdate from None
    try:
        frames = _frames(*settings.fit_key)
    except Exception:
        log.exception("replay failed for %s", settings)
        return [no_update, no_update, no_update, no_update, no_update,
                "The steps could not be computed: a server fault. Press the button to try again.", no_update]
    last = len(frames["frames"]) - 1
    return [frames, last, last, False, False, frames["caption"], _base_figure()]


def register(app: Dash) -> None:
    app.callback(
        Output("replay-frames", "data"), Output("replay-slider", "max"), Output("replay-slider", "value"),
        Output("replay-slider", "disabled"), Output("replay-play", "disabled"), Output("replay-caption", "children"),
        Output("replay-graph", "figure", allow_duplicate=True),
        Input("replay-load", "n_clicks"), State("applied-settings", "data"), prevent_initial_call=True,
    )(load_replay)
    # Scrubbing and playing happen in the browser (assets/jobs.js): no request per step.
    app.clientside_callback(
        ClientsideFunction("jobs", "showReplayFrame"),
        Output("replay-graph", "figure"), Output("replay-step", "children"),
        Input("replay-slider", "value"), Input("replay-frames", "data"), State("replay-graph", "figure"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction("jobs", "replayTimer"),
        Output("replay-slider", "value", allow_duplicate=True), Output("replay-timer", "disabled"),
        Output("replay-play", "children"),
        Input("replay-play", "n_clicks"), Input("replay-timer", "n_intervals"),
        State("replay-slider", "value"), State("replay-slider", "max"), State("replay-timer", "disabled"),
        prevent_initial_call=True,
    )
