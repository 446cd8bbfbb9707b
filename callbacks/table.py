"""The table and the views of its fits (headline, verdict, gallery, matrix), for every change.

The page sends a table request beside the map's, from the same control values, naming the page
and counting its requests (assets/table_requests.js). The server validates it as the map callback
does (a refused value anywhere changes nothing here: the map's message says why) and fits the
rows off the web threads (`services().table_rows`). A presenter clicking "+" ten times sends ten
requests, but each one drops the rows of the page's previous table that have not started (one
already running finishes and is kept): the previous request is answered with no update.
"""

from __future__ import annotations

import logging

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.results_views import results
from callbacks.services import UNKNOWN_ROW, Busy, Superseded, services
from components.server_fault import fault_cleared, fault_shown
from components.table_progress import progress_text
from core import datasets
from core.settings import InvalidSettings, Settings, validate
from core.sweeps import Stability

log = logging.getLogger(__name__)

TABLE_CARD = ("table-card", "card table-card")
RESULTS_OUTPUTS = {
    "table": ("metrics-table", "children"),
    "accuracy": ("matched-accuracy", "children"),
    "verdict": ("verdict", "children"),
    "gallery": ("centroid-gallery", "children"),
    "matrix": ("cluster-digit-matrix", "children"),
    "matrix_summary": ("matrix-summary", "children"),
    "model_clusters": ("model-clusters", "data"),
}


MAX_PAGE_CHARS = 64


def _page_and_seq(request: dict) -> tuple[str | None, int | None]:
    """The page's name and the request's number, when they are plain (anything else: no page)."""
    page, seq = request.get("page"), request.get("seq")
    if not isinstance(page, str) or not 0 < len(page) <= MAX_PAGE_CHARS:
        return None, None
    return page, seq if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq < 2**53 else None


def seed_spread(stability: dict | None, settings: Settings) -> dict | None:
    """{init: {metric: (low, high)}} from the stability run the page shows, when it ran at these
    settings' dataset, k and n_init (the seeds' spread does not depend on the table's seed)."""
    if not isinstance(stability, dict):
        return None
    params = {"dataset": settings.dataset, "n_clusters": settings.n_clusters, "n_init": settings.n_init}
    if any(stability.get(key) != value for key, value in params.items()):
        return None
    stored = services().jobs.stored("stability", stability)
    if stored is None:
        return None
    result = Stability.from_dict(stored)
    return {row.init_method: {name: (spread.low, spread.high) for name, spread in row.metrics.items()}
            for row in result.inits}


def _requested(request) -> Settings:
    """The settings a table request asks for: PreventUpdate when it is malformed, InvalidSettings
    when they are refused."""
    if not isinstance(request, dict) or not isinstance(request.get("values"), dict):
        raise PreventUpdate
    fallback = request.get("fallback")
    return validate(request["values"], fallback=fallback if isinstance(fallback, dict) else None)


def progress_view(_tick, request) -> tuple:
    """The progress line of the table the page last asked for: its text, whether it is hidden, and
    whether its tick stops. A refused request fits nothing, so its line goes (the map says why). A
    row this web process does not know (fitted by another one) leaves the line as it is."""
    try:
        settings = _requested(request)
    except InvalidSettings:
        return no_update, True, True
    states = services().table_progress(settings.table_key) if services().table_progress else ()
    if not states or any(state == UNKNOWN_ROW for _, state in states):
        raise PreventUpdate
    dataset = datasets.load(settings.dataset)
    return progress_text(dataset.n_samples, dataset.n_features, states), no_update, no_update


def table_view(request, stability=None, fault_hidden=None) -> dict:
    """The table callback. `request` is the page's {"values": control values, "fallback": the
    applied settings, "page": its name, "seq": its number}; `stability` the params of the
    seed-stability run the page shows, if any. A table the server cannot take now is answered busy
    (503, sent again); one the page has since asked again for is answered with no update; rows
    that fail show the table's fault box, whose Retry asks again."""
    try:
        settings = _requested(request)
    except InvalidSettings:
        raise PreventUpdate from None
    page, seq = _page_and_seq(request)
    try:
        rows = services().table_rows(settings.table_key, page, seq)
        views = results(settings, rows, seed_spread(stability, settings))
    except Superseded:
        raise PreventUpdate from None
    except Busy:
        raise  # 503 with Retry-After: the page waits and sends the same request again
    except Exception:  # a server fault: the settings were validated above
        log.exception("table refit failed for %s", settings)
        return {**{name: no_update for name in RESULTS_OUTPUTS}, **fault_shown(TABLE_CARD[1])}
    return {**views, **fault_cleared(TABLE_CARD[1], fault_hidden)}


def register(app: Dash) -> None:
    # A request shows the progress line (visible once a table takes over a second: CSS) and starts
    # its tick; the table's answer, or its fault box, ends both. Dash drops the answer to a request
    # the page has sent again, so an older table never hides a newer one's line.
    app.clientside_callback(
        ClientsideFunction("tableRequests", "request"),
        Output("table-request", "data"),
        Output("table-progress", "hidden"),
        Output("table-progress", "children"),
        Output("table-progress-tick", "disabled"),
        Input("dataset-choice", "data"), Input("init-method", "value"), Input("n-init", "value"),
        Input("n-clusters", "value"), Input("random-seed", "value"),
        # A mesh step the page sent for checking: once it is good again, so are the others.
        Input("mesh-check", "data"),
        Input("table-retry", "n_clicks"), Input("stability-shown", "data"),
        State("mesh-step", "value"), State("applied-settings", "data"), State("dataset", "value"),
        prevent_initial_call=True,
    )
    app.callback(
        output={**{key: Output(*target) for key, target in RESULTS_OUTPUTS.items()},
                "fault_hidden": Output("table-fault", "hidden"), "card_class": Output(TABLE_CARD[0], "className")},
        inputs={"request": Input("table-request", "data")},
        state={"stability": State("stability-shown", "data"), "fault_hidden": State("table-fault", "hidden")},
        prevent_initial_call=True,
    )(table_view)
    app.clientside_callback(
        ClientsideFunction("tableRequests", "answered"),
        Output("table-progress", "hidden", allow_duplicate=True),
        Output("table-progress-tick", "disabled", allow_duplicate=True),
        Input("metrics-table", "children"), Input("table-fault", "hidden"),
        prevent_initial_call=True,
    )
    app.callback(
        Output("table-progress", "children", allow_duplicate=True),
        Output("table-progress", "hidden", allow_duplicate=True),
        Output("table-progress-tick", "disabled", allow_duplicate=True),
        Input("table-progress-tick", "n_intervals"),
        State("table-request", "data"),
        prevent_initial_call=True,
    )(progress_view)
