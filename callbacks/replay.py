"""Lloyd's steps: frames built once per configuration on the server; the slider and the play
button step through them in the browser, with no request per step."""

from __future__ import annotations

import logging
from functools import lru_cache

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from components.replay_view import replay_base_figure, replay_frames
from core import datasets
from core.replay import replay
from core.settings import InvalidSettings, validate_store

log = logging.getLogger(__name__)
FAILED_TEXT = "The steps could not be computed: a server fault. Press the button to try again."


def frames_for(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> dict:
    """The steps, kept once per configuration of a built-in dataset. An upload's are made afresh:
    nothing derived from it stays in this process once it is forgotten."""
    steps = _kept_steps if dataset in datasets.DATASETS else _steps
    return steps(dataset, init_method, n_clusters, n_init, seed)


def _steps(dataset: str, init_method: str, n_clusters: int, n_init: int, seed: int) -> dict:
    run = replay(dataset, init_method, n_clusters, n_init, seed)
    # No seed for PCA-based: the page's seed plays no part in it.
    runs = ("deterministic, 1 run" if init_method == "PCA-based"
            else f"seed {seed} · run {run.run_index + 1} of {run.n_runs} (the one kept)")
    caption = f"{datasets.title_of(dataset)} · {init_method} · k {n_clusters} · {runs} · {run.n_iter} iterations"
    return {**replay_frames(run, datasets.load(dataset), caption), "dataset": dataset}


_kept_steps = lru_cache(maxsize=16)(_steps)


def load_replay(clicks, applied) -> list:
    """frames, slider max, slider value, slider disabled, play disabled, caption, the base figure
    (the points) the browser draws each frame on, and the graph's style (shown)."""
    if not clicks:
        raise PreventUpdate
    try:
        settings = validate_store(applied)
    except InvalidSettings:
        raise PreventUpdate from None
    try:
        frames = frames_for(*settings.fit_key)
    except Exception:
        log.exception("replay failed for %s", settings)
        return [no_update] * 5 + [FAILED_TEXT, no_update, no_update]
    last = len(frames["frames"]) - 1
    figure = replay_base_figure(datasets.load(settings.dataset))
    return [frames, last, last, False, False, frames["caption"], figure, {"display": "block"}]


FORGOTTEN_TEXT = "The data these steps came from is forgotten, and the steps with it."


def forgotten_replay(_received, frames) -> list:
    """Steps of an upload that is gone (forgotten, or replaced with another file) go too: frames,
    slider max, slider value, slider disabled, play disabled, caption, the graph's style (hidden)."""
    if not isinstance(frames, dict) or not datasets.gone(frames.get("dataset")):
        raise PreventUpdate
    return [None, 0, 0, True, True, FORGOTTEN_TEXT, {"display": "none"}]


def register(app: Dash) -> None:
    app.callback(
        Output("replay-frames", "data"), Output("replay-slider", "max"), Output("replay-slider", "value"),
        Output("replay-slider", "disabled"), Output("replay-play", "disabled"), Output("replay-caption", "children"),
        Output("replay-graph", "figure", allow_duplicate=True), Output("replay-graph", "style"),
        Input("replay-load", "n_clicks"), State("applied-settings", "data"), prevent_initial_call=True,
    )(load_replay)
    app.callback(
        Output("replay-frames", "data", allow_duplicate=True), Output("replay-slider", "max", allow_duplicate=True),
        Output("replay-slider", "value", allow_duplicate=True),
        Output("replay-slider", "disabled", allow_duplicate=True),
        Output("replay-play", "disabled", allow_duplicate=True),
        Output("replay-caption", "children", allow_duplicate=True),
        Output("replay-graph", "style", allow_duplicate=True),
        Input("upload-received", "data"), State("replay-frames", "data"), prevent_initial_call=True,
    )(forgotten_replay)
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
