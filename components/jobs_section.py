"""The page's "Choose k and trust the result" section: k sweep, seed stability, Lloyd's steps.

Ids are a public contract for tests and scripts. The sweep and stability panels start background
jobs (callbacks/jobs.py) and poll them with a `<prefix>-poll` interval that runs only while a job
does; a panel shows no plot until it has a result. The replay steps through precomputed frames in
the browser. The panels are below the fold: the page mounts them once the map is drawn
(components/below_fold.py); the stores the jobs' results go to are in the page from the start.
"""

from __future__ import annotations

from dash import dcc, html

from components.controls import number_input_class
from components.graph_config import GRAPH_CONFIG
from components.server_fault import SERVER_FAULT_TEXT
from core.settings import N_CLUSTERS_RANGE, STABILITY_SEEDS_RANGE
from core.sweeps import STABILITY_DEFAULT_SEEDS

SWEEP, STABILITY = "k-sweep", "stability"
POLL_INTERVAL_MS = 500


def _number(id_: str, label: str, value: int, hint: str) -> html.Div:
    return html.Div([
        html.Label(label, htmlFor=id_, className="field-label"),
        dcc.Input(id=id_, type="number", value=value, step="any", className=number_input_class(False)),
        html.Div(hint, id=f"{id_}-hint", className="field-description"),
    ], className="field job-field")


def _job_controls(prefix: str, fields: list, run_label: str, empty_note: str) -> list:
    """Fields, run/cancel/download buttons, the progress line, the message, the failure box, and
    the note shown while there is no result yet."""
    return [
        html.Div(fields + [html.Div([
            html.Button(run_label, id=f"{prefix}-run", className="job-button primary", n_clicks=0),
            html.Button("Cancel", id=f"{prefix}-cancel", className="job-button", hidden=True, n_clicks=0),
            html.Button("Download CSV", id=f"{prefix}-download-button", className="job-button", disabled=True,
                        n_clicks=0),
        ], className="job-buttons")], className="job-controls"),
        html.Div([
            html.Progress(id=f"{prefix}-progress", value="0", max="1"),
            html.Span("", id=f"{prefix}-progress-text", className="progress-text", role="status"),
        ], id=f"{prefix}-progress-area", className="job-progress", hidden=True),
        html.Div(id=f"{prefix}-message", role="alert", className="settings-message", hidden=True),
        html.Div([
            html.Span(SERVER_FAULT_TEXT, id=f"{prefix}-failure-text"),
            html.Button("Retry", id=f"{prefix}-retry", className="job-button", n_clicks=0),
        ], id=f"{prefix}-failure", role="alert", className="settings-message job-failure", hidden=True),
        html.P(empty_note, id=f"{prefix}-empty", className="section-note job-empty"),
        dcc.Download(id=f"{prefix}-download"),
        dcc.Interval(id=f"{prefix}-poll", interval=POLL_INTERVAL_MS, disabled=True),
    ]


def job_stores() -> list[dcc.Store]:
    """Each job's handle and shown result, the replay's frames, and the page's token and own random
    id (assets/table_requests.js): in the page from the start."""
    return [dcc.Store(id=f"{prefix}-{role}") for prefix in (SWEEP, STABILITY) for role in ("job", "shown")
            ] + [dcc.Store(id="replay-frames"), dcc.Store(id="page-token"), dcc.Store(id="page-id")]


def _graph(id_: str, class_name: str) -> dcc.Graph:
    # Hidden until it has a result (callbacks/jobs.py shows it): no empty boxes.
    return dcc.Graph(id=id_, className=class_name, config=GRAPH_CONFIG, style={"display": "none"})


def _sweep_panel() -> html.Div:
    low, high = N_CLUSTERS_RANGE
    fields = [_number("k-sweep-min", "From k", low, f"{low}–{high - 1}"),
              _number("k-sweep-max", "To k", high, f"{low + 1}–{high}")]
    return html.Div([
        html.H3("Which k? A sweep", className="panel-title"),
        html.P("Every k in the range fitted on the table's features at the current init, n_init and seed. "
               "Click a point to select that k.", className="section-note"),
        *_job_controls(SWEEP, fields, "Run sweep", "No sweep yet: run one to plot inertia and the scores against k."),
        html.Div(id="k-sweep-caption", className="section-note job-caption"),
        _graph("k-sweep-graph", "job-graph sweep-graph"),
    ], className="job-panel")


def _stability_panel() -> html.Div:
    fields = [_number("stability-seeds", "Seeds", STABILITY_DEFAULT_SEEDS, "{}–{}".format(*STABILITY_SEEDS_RANGE))]
    return html.Div([
        html.H3("Is the winner real? Seed stability", className="panel-title"),
        html.P("Each init refitted over N seeds at the current k and n_init: the spread a seed alone "
               "can cause.", className="section-note"),
        *_job_controls(STABILITY, fields, "Run seeds", "No run yet: run the seeds to see each metric's spread."),
        html.Div(id="stability-table", className="job-table"),
        _graph("stability-graph", "job-graph stability-graph"),
    ], className="job-panel")


def _replay_panel() -> html.Div:
    return html.Div([html.Div([
        html.H3("How K-means gets there: Lloyd's steps", className="panel-title"),
        html.P("The map's 2-D fit replayed from the initial centres scikit-learn drew: assign every point "
               "to its nearest centre, move each centre to its cluster's mean, repeat.", className="section-note"),
        html.Div([
            html.Button("Replay the current settings", id="replay-load", className="job-button primary", n_clicks=0),
            html.Button("▶ Play", id="replay-play", className="job-button", n_clicks=0, disabled=True),
        ], className="job-buttons"),
        html.Div(id="replay-caption", className="section-note job-caption"),
        html.Div(dcc.Slider(id="replay-slider", min=0, max=1, step=1, value=0, marks=None, updatemode="drag",
                            disabled=True), className="replay-slider", **{"aria-label": "Replay step"}),
        html.Div("", id="replay-step", className="replay-step", **{"aria-live": "polite"}),
    ], className="replay-side"),
        # Empty until a replay is asked for: more points to draw would slow every first render.
        dcc.Graph(id="replay-graph", className="job-graph replay-graph",
                  config={**GRAPH_CONFIG, "displayModeBar": False}, style={"display": "none"}),
        dcc.Interval(id="replay-timer", interval=700, disabled=True),
    ], className="job-panel replay-panel")


def jobs_panels() -> list[html.Div]:
    return [_sweep_panel(), _stability_panel(), _replay_panel()]


def jobs_section(panels: list | None = None) -> html.Section:
    """The section with `panels` (default: all of them; [] for a page that mounts them later)."""
    return html.Section([
        html.Div([html.H2("Choose k and trust the result", className="section-title"),
                  html.Span("Slow questions run as background jobs: the map and table stay live.",
                            className="section-note")], className="section-head"),
        html.Div(jobs_panels() if panels is None else panels, id="jobs-panels", className="jobs-grid"),
    ], className="card jobs-card", id="jobs-section")
