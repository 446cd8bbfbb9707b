"""Sharing: the address holds the settings, opening one restores them, reset, and exports.

The address is read with dcc.Location and written with history.replaceState: dcc.Location
can only push, and a history entry per keystroke would make Back useless.
"""

from __future__ import annotations

import json
import logging

from dash import Dash, Input, Output, State, dcc, no_update
from dash.exceptions import PreventUpdate

from callbacks.services import Busy, services
from callbacks.settings_map import ADDRESS_NOTES, APPLIED_SETTINGS, SETTINGS_QUERY
from components.share_panel import THEMES, table_csv
from core.datasets import UPLOAD_PREFIX
from core.reproduce import LOADER_PLACEHOLDER, LOADERS, PLACEHOLDERS, TEMPLATE
from core.settings import DEFAULTS, N_CLUSTERS_RANGE, InvalidSettings, validate_store
from core.share import parse_query
from core.sweeps import STABILITY_DEFAULT_SEEDS

log = logging.getLogger(__name__)

CONTROL_VALUES = {"dataset": "dataset", "init_method": "init-method", "n_init": "n-init",
                  "n_clusters": "n-clusters", "seed": "random-seed", "mesh_step": "mesh-step"}
# The jobs' own fields, reset with the settings (they are mounted below the fold: set by id).
JOB_FIELD_DEFAULTS = {"k-sweep-min": N_CLUSTERS_RANGE[0], "k-sweep-max": N_CLUSTERS_RANGE[1],
                      "stability-seeds": STABILITY_DEFAULT_SEEDS}
MAX_SEARCH_CHARS = 2000  # far beyond any address this page writes


def restore_from_address(search) -> dict:
    """The controls' values an opened address asks for, and notes on what it asked for in vain."""
    # location.search is "" or starts with "?"; anything else was not sent by a browser.
    if not isinstance(search, str) or not search.startswith("?") or search == "?":
        raise PreventUpdate  # the page is served with the defaults already
    if len(search) > MAX_SEARCH_CHARS:
        address = parse_query("")
        notes = ["The address is too long to hold settings; the default settings are shown."]
    else:
        address = parse_query(search)
        notes = list(address.notes)
    values = {field: getattr(address.settings, field) for field in CONTROL_VALUES}
    return {"values": values, "notes": notes}


EXPORT_FAILED = "The CSV could not be made: a fault on the server. Try again."


def export_csv(clicks, applied) -> dict:
    """The table for the applied settings as a CSV download. The store is public input too."""
    if not isinstance(clicks, int) or isinstance(clicks, bool) or clicks < 1:
        raise PreventUpdate
    try:
        settings = validate_store(applied)
    except InvalidSettings:
        raise PreventUpdate from None
    try:
        rows = services().table_rows(settings.table_key)
        name, text = table_csv([row.scores for row in rows], settings)
    except Busy:
        raise
    except Exception:  # a server fault, said as such, never a 500
        log.exception("CSV export failed for %s", settings)
        return {"download": no_update, "status": EXPORT_FAILED}
    return {"download": dcc.send_string(text, name, type="text/csv"), "status": ""}


def _fill_snippet_js() -> str:
    """The browser's copy of core.reproduce.reproduce_snippet: the same template, the same
    placeholders, filled with the applied (validated) settings."""
    return f"""function (applied, uploadTemplate) {{
        if (!applied) return dash_clientside.no_update;
        const uploaded = String(applied.dataset).startsWith({json.dumps(UPLOAD_PREFIX)});
        if (uploaded && !uploadTemplate) return dash_clientside.no_update;
        const loaders = {json.dumps(LOADERS)};
        let snippet = uploaded ? uploadTemplate : {json.dumps(TEMPLATE)}.split({json.dumps(LOADER_PLACEHOLDER)})
            .join(loaders[applied.dataset] || loaders.digits);
        const placeholders = {json.dumps(PLACEHOLDERS)};
        for (const [field, placeholder] of Object.entries(placeholders)) {{
            snippet = snippet.split(placeholder).join(String(Math.trunc(Number(applied[field]))));
        }}
        return snippet;
    }}"""


def register(app: Dash) -> None:
    app.callback(
        output={
            "values": {field: Output(control, "value", allow_duplicate=True)
                       for field, control in CONTROL_VALUES.items()},
            "notes": Output(ADDRESS_NOTES, "data"),
        },
        inputs={"search": Input("address-search", "data")},
        prevent_initial_call=True,
    )(restore_from_address)
    app.clientside_callback(
        """function (search) {
            return search && search !== "?" ? search : dash_clientside.no_update;
        }""",
        Output("address-search", "data"), Input("url", "search"),
        prevent_initial_call=True,
    )

    # The address always holds the applied settings, without a history entry per change. A page
    # opened with a query string of its own keeps it until restore_from_address has read it.
    # Written once the new map is painted, off the frame that paints it.
    app.clientside_callback(
        """function (query) {
            const triggered = dash_clientside.callback_context.triggered || [];
            const initial = !triggered.length || triggered[0].prop_id === ".";
            if (!query || (initial && window.location.search)) return;
            requestAnimationFrame(() => setTimeout(() => {
                // The mesh step is the one drawn now, for this dataset: the page may have drawn
                // another since this fit's request left (assets/map_layers.js writes each step
                // it draws, and the fit it drew on the canvas).
                const params = new URLSearchParams(query);
                const canvas = document.getElementById("map-regions-canvas");
                const fit = canvas && canvas.dataset.fit ? JSON.parse(canvas.dataset.fit) : null;
                if (fit && fit[0] === params.get("data") && params.has("mesh")) params.set("mesh", canvas.dataset.step);
                const search = "?" + params.toString();
                if (window.location.search !== search) {
                    window.history.replaceState(window.history.state, "",
                                                window.location.pathname + search + window.location.hash);
                }
            }, 0));
        }""",
        Input(SETTINGS_QUERY, "data"),
    )

    # Every setting on the page, the jobs' fields included; theme and presenter mode stay.
    app.clientside_callback(
        f"""function (clicks) {{
            const jobs = {json.dumps(JOB_FIELD_DEFAULTS)};
            for (const [id, value] of Object.entries(jobs)) {{
                if (document.getElementById(id)) dash_clientside.set_props(id, {{value: value}});
            }}
            return {json.dumps([DEFAULTS[field] for field in CONTROL_VALUES])};
        }}""",
        *[Output(control, "value", allow_duplicate=True) for control in CONTROL_VALUES.values()],
        Input("reset-settings", "n_clicks"),
        prevent_initial_call=True,
    )

    app.callback(
        output={"download": Output("csv-download", "data"), "status": Output("export-status", "children")},
        inputs={"clicks": Input("export-csv", "n_clicks"), "applied": State(APPLIED_SETTINGS, "data")},
        prevent_initial_call=True,
    )(export_csv)
    app.clientside_callback(
        _fill_snippet_js(), Output("reproduce-code", "children"), Input(APPLIED_SETTINGS, "data"),
        State("upload-snippet", "data"),
        prevent_initial_call=True,
    )

    # Presenter mode and theme: classes on <html>, styled in assets/presenter.css and themes.css. Nothing is refit
    # or redrawn by the server; the choice persists in local storage.
    for toggle, store, on, off in (("presenter-toggle", "presenter-mode", True, False),
                                   ("theme-toggle", "theme", THEMES[1], THEMES[0])):
        app.clientside_callback(
            f"function (clicks, current) {{ return current === {json.dumps(on)} ? {json.dumps(off)} "
            f": {json.dumps(on)}; }}",
            Output(store, "data"), Input(toggle, "n_clicks"), State(store, "data"),
            prevent_initial_call=True,
        )
    app.clientside_callback(
        """function (presenter, theme) {
            const root = document.documentElement;
            root.classList.toggle("presenter", presenter === true);
            root.dataset.theme = theme === "dark" ? "dark" : "light";
            window.dispatchEvent(new Event("resize"));  // the map refits its box to the new layout
            return [String(presenter === true), String(theme === "dark"), root.className + " " + theme];
        }""",
        Output("presenter-toggle", "aria-pressed"), Output("theme-toggle", "aria-pressed"),
        Output("display-applied", "data"),
        Input("presenter-mode", "data"), Input("theme", "data"),
    )
