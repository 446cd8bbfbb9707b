"""The page's "Choose k and trust the result" section: k sweep, seed stability, Lloyd's steps.

Ids are a public contract for tests and scripts. The sweep and stability panels run background
jobs (callbacks/jobs.py); the replay steps through precomputed frames in the browser. The panels
are below the fold: the page mounts them once the map is drawn (components/below_fold.py), while
the stores the jobs' results go to (`job_stores`) are in the page from the start, because the
table's callback reads one of them.
"""

from __future__ import annotations

from dash import dcc, html

from components.controls import number_input_class
from components.server_fault import SERVER_FAULT_TEXT
from components.sweep_figure import empty_figure
from core.settings import N_CLUSTERS_RANGE
from core.sweeps import STABILITY_DEFAULT_SEEDS, STABILITY_SEEDS_RANGE

FAILED_TEXT = SERVER_FAULT_TEXT  # a job fails only on the server: bad requests start none
GRAPH_CONFIG = {"displaylogo": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}


def _number(id_: str, label: str, value: int, hint: str) -> html.Div:
    return html.Div([
        html.Label(label, htmlFor=id_, className="field-label"),
        dcc.Input(id=id_, type="number", value=value, step="any", className=number_input_class(False)),
        html.Div(hint, id=f"{id_}-hint", className="field-description"),
    ], className="field job-field")


def _job_controls(prefix: str, fields: list, run_label: str) -> list:
    """Fields, run/cancel/download buttons, the progress bar, the message and the failure box."""
    return [
        html.Div(fields + [html.Div([
            html.Button(run_label, id=f"{prefix}-run", className="job-button primary", n_clicks=0),
            html.Button("Cancel", id=f"{prefix}-cancel", className="job-button", hidden=True, n_clicks=0),
            html.Button("Download CSV", id=f"{prefix}-download-button", className="job-button", disabled=True,
                        n_clicks=0),
        ], className="job-buttons")], className="job-controls"),
        html.Div([
            html.Progress(id=f"{prefix}-progress", value="0", max="1"),
            html.Span("Starting…", id=f"{prefix}-progress-text", className="progress-text"),
        ], id=f"{prefix}-progress-area", className="job-progress", hidden=True),
        html.Div(id=f"{prefix}-message", role="alert", className="settings-message", hidden=True),
        html.Div([
            html.Span(FAILED_TEXT),
            html.Button("Retry", id=f"{prefix}-retry", className="job-button", n_clicks=0),
        ], id=f"{prefix}-failure", role="alert", className="settings-message job-failure", hidden=True),
        dcc.Download(id=f"{prefix}-download"),
    ]


def job_stores() -> list[dcc.Store]:
    """Each job's request and shown result, and the replay's frames: in the page from the start."""
    return [dcc.Store(id=f"{prefix}-{role}") for prefix in ("k-sweep", "stability") for role in ("request", "shown")
            ] + [dcc.Store(id="replay-frames")]


def _sweep_panel() -> html.Div:
    low, high = N_CLUSTERS_RANGE
    fields = [_number("k-sweep-min", "From k", low, f"{low}–{high - 1}"),
              _number("k-sweep-max", "To k", high, f"{low + 1}–{high}")]
    return html.Div([
        html.H3("Which k? A sweep", className="panel-title"),
        html.P("Every k in the range fitted on the 64-D data at the current init, n_init and seed. "
               "Click a point to select that k.", className="section-note"),
        *_job_controls("k-sweep", fields, "Run sweep"),
        html.Div(id="k-sweep-caption", className="section-note job-caption"),
        dcc.Graph(id="k-sweep-graph", figure=empty_figure("Run the sweep to plot inertia and the scores against k."),
                  className="job-graph", config=GRAPH_CONFIG),
    ], className="job-panel")


def _stability_panel() -> html.Div:
    fields = [_number("stability-seeds", "Seeds", STABILITY_DEFAULT_SEEDS, "{}–{}".format(*STABILITY_SEEDS_RANGE))]
    return html.Div([
        html.H3("Is the winner real? Seed stability", className="panel-title"),
        html.P("Each init refitted over N seeds at the current k and n_init: the spread a seed alone "
               "can cause.", className="section-note"),
        *_job_controls("stability", fields, "Run seeds"),
        html.Div(id="stability-table", className="job-table"),
        dcc.Graph(id="stability-graph", figure=empty_figure("Run the seeds to see each metric's spread per init."),
                  className="job-graph stability-graph", config=GRAPH_CONFIG),
    ], className="job-panel")


def _replay_panel() -> html.Div:
    return html.Div([html.Div([
        html.H3("How K-means gets there: Lloyd's steps", className="panel-title"),
        html.P("The map's 2-D fit replayed from the initial centres scikit-learn drew: assign every digit "
               "to its nearest centre, move each centre to its cluster's mean, repeat.", className="section-note"),
        html.Div([
            html.Button("Replay the current settings", id="replay-load", className="job-button primary", n_clicks=0),
            html.Button("▶ Play", id="replay-play", className="job-button", n_clicks=0, disabled=True),
        ], className="job-buttons"),
        html.Div(id="replay-caption", className="section-note job-caption"),
        html.Div(dcc.Slider(id="replay-slider", min=0, max=1, step=1, value=0, marks=None, updatemode="drag",
                            disabled=True), className="replay-slider"),
        html.Div("", id="replay-step", className="replay-step", **{"aria-live": "polite"}),
    ], className="replay-side"),
        # Empty until a replay is asked for: 1,797 more points to draw would slow every first render.
        dcc.Graph(id="replay-graph", figure=empty_figure("Replay the current settings to step through them."),
                  className="job-graph replay-graph", config={**GRAPH_CONFIG, "displayModeBar": False}),
        dcc.Interval(id="replay-timer", interval=700, disabled=True),
    ], className="job-panel replay-panel")


def jobs_panels() -> list[html.Div]:
    return [_sweep_panel(), _stability_panel(), _replay_panel()]


def jobs_section(panels: list | None = None) -> html.Section:
    """The section with `panels` (default: all of them; [] for a page that mounts them later)."""
    return html.Section([
        html.Div([html.H2("Choose k and trust the result", className="section-title"),
                  html.Span("Slow questions run in the background, at low priority: the map and table stay live.",
                            className="section-note")], className="section-head"),
        html.Div(jobs_panels() if panels is None else panels, id="jobs-panels", className="jobs-grid"),
    ], className="card jobs-card", id="jobs-section")
