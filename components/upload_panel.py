"""The "Your data" part of the settings: upload a CSV, choose its columns, forget it.

The file goes to the server's own route by assets/uploads.js (not through a callback); what the
server found in it arrives in `upload-received`, and the column choice below is made from that.
Column names are the user's data: every one is shown as text.
"""

from __future__ import annotations

from dash import dcc, html

from core.uploads import MAX_BYTES, MAX_COLUMNS, MAX_ROWS

UPLOAD_HINT = (f"A CSV of up to {MAX_ROWS:,} rows, {MAX_COLUMNS} columns and {MAX_BYTES // 2**20} MB. "
               "It stays on the server only for this tab, for an hour at most.")
# The label picker's "no label column". A column may be named so; it then cannot be picked as the
# label (it can still be a feature).
NO_LABEL = "__none__"


def upload_panel() -> html.Div:
    return html.Div([
        html.Div([
            html.Button("Upload CSV", id="data-upload", type="button", className="upload-button",
                        **{"aria-describedby": "upload-hint"}),
            html.Button("Forget this data", id="upload-forget", type="button", className="upload-forget",
                        hidden=True),
        ], className="upload-actions"),
        html.Div(UPLOAD_HINT, id="upload-hint", className="field-description"),
        html.Div(id="upload-status", className="upload-status", role="status"),
        html.Div(id="upload-error", className="upload-error", role="alert", hidden=True),
        html.Div([
            html.Div("Feature columns", id="upload-features-label", className="field-label"),
            dcc.Checklist(id="upload-features", options=[], value=[], className="upload-features",
                          inputClassName="upload-check"),
            html.Label("Label column (optional: only to score the clusters)", htmlFor="upload-label",
                       className="field-label", id="upload-label-label"),
            dcc.Dropdown(id="upload-label", options=[], value=NO_LABEL, clearable=False, className="upload-label"),
            dcc.Checklist(id="upload-standardize", options=[{"label": "Standardize the features", "value": "on"}],
                          value=["on"], className="upload-standardize"),
            html.Button("Cluster these columns", id="upload-apply", type="button", className="upload-apply"),
        ], id="upload-columns", className="upload-columns", hidden=True),
        dcc.Store(id="upload-received"),
        dcc.Store(id="upload-snippet"),  # the reproduce snippet's template for the chosen columns
    ], className="field upload-field", id="upload-field")


def received_summary(received: dict) -> str:
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}.get(received.get("delimiter"), "?")
    decimal = "decimal comma" if received.get("decimal") == "," else "decimal point"
    return (f"{received.get('filename')}: {received.get('rows', 0):,} rows, {len(received.get('columns', []))} "
            f"columns ({delimiter}-separated, {decimal}).")


CHOOSE = "Choose the columns to cluster."
RECHOOSE = "To cluster other columns, change them below and press \u201cCluster these columns\u201d."


def label_options(received: dict) -> list[dict]:
    return [{"label": "No label column", "value": NO_LABEL}] + [
        {"label": name, "value": name} for name in received.get("label_candidates", [])]


def feature_options(received: dict) -> list[dict]:
    return [{"label": name, "value": name} for name in received.get("numeric", [])]


def guessed_label(received: dict) -> str:
    """A text column with few classes is most likely the label; numbers are features by default."""
    numeric = set(received.get("numeric", []))
    text = [name for name in received.get("label_candidates", []) if name not in numeric]
    return text[-1] if text else NO_LABEL
