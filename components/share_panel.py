"""Share, export and present: the header toolbar, the reproduce panel and the CSV export (pure)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
from dash import dcc, html

from components.metrics_table import columns_for
from core import datasets
from core.clustering import InitBenchmark
from core.datasets import UPLOAD_PREFIX, file_part
from core.reproduce import reproduce_snippet
from core.settings import Settings
from core.share import format_query
from core.uploads import spreadsheet_safe

THEMES = ("light", "dark")


def _toggle(id_: str, text: str, title: str) -> html.Button:
    # aria-pressed says the state to screen readers; callbacks/share.py keeps it current.
    return html.Button(text, id=id_, type="button", className="tool-button", title=title,
                       **{"aria-pressed": "false"})


def toolbar() -> html.Div:
    """Export, presenter mode and theme, for the page header."""
    return html.Div(
        [
            html.Button("CSV", id="export-csv", type="button", className="tool-button",
                        title="Download the table as CSV, with the settings in its first rows and its name",
                        **{"aria-label": "Download the table as CSV"}),
            dcc.Download(id="csv-download"),
            _toggle("presenter-toggle", "Presenter", "Larger text and less chrome, for a projector"),
            _toggle("theme-toggle", "Dark theme", "Switch between the light and the dark theme"),
            html.Span(id="export-status", role="status", className="export-status"),
            dcc.Store(id="presenter-mode", storage_type="local", data=False),
            dcc.Store(id="theme", storage_type="local", data=THEMES[0]),
            dcc.Store(id="display-applied"),  # a sink: clientside display callbacks need an output
        ],
        className="toolbar",
        role="toolbar",
        **{"aria-label": "Share and present"},
    )


def address_stores(settings: Settings) -> list:
    """The address bar, read (dcc.Location) and written (replaceState, from settings-query)."""
    return [
        dcc.Location(id="url", refresh=False),
        # The query string, passed on only when there is one: a page opened without one sends no
        # request for it (dcc.Location sets its search on mount, so the server was asked each load).
        dcc.Store(id="address-search"),
        dcc.Store(id="address-notes"),
        dcc.Store(id="settings-query", data=format_query(settings)),
    ]


def reproduce_panel(settings: Settings) -> html.Details:
    """The snippet that prints the table's numbers: a wide monospace block, its copy button beside
    the title rather than over the code."""
    return html.Details(
        [
            html.Summary([html.Span("Reproduce the table in Python", className="reproduce-title"),
                          dcc.Clipboard(target_id="reproduce-code", title="Copy the code", className="copy-code")]),
            # Focusable, so the keyboard can scroll it (it scrolls when longer than its box).
            html.Pre(reproduce_snippet(settings), id="reproduce-code", className="code-block", tabIndex="0",
                     **{"aria-label": "Python code that reproduces the table"}),
        ],
        className="card reproduce", id="reproduce-card",
    )


def reset_button() -> html.Button:
    return html.Button("Reset", id="reset-settings", type="button", className="reset-button",
                       title="Back to the default settings")


def csv_headers(columns) -> list[str]:
    return ["Init", *(f"{column.header} (s)" if column.key == "fit-time" else column.header for column in columns)]


def table_csv(results: Sequence[InitBenchmark], settings: Settings) -> tuple[str, str]:
    """(file name, CSV text) of the table: the settings in the name and in the first (comment) rows,
    then one row per init with every value at full precision. An upload is named by its file's
    name (as text a spreadsheet shows, never runs), never by its key."""
    dataset = datasets.load(settings.dataset)
    columns = columns_for(dataset)
    rows = [[result.init_method, *(column.value(result) for column in columns)] for result in results]
    frame = pd.DataFrame(rows, columns=csv_headers(columns))
    text = io.StringIO()
    uploaded = settings.dataset.startswith(UPLOAD_PREFIX)
    name_in_file = file_part(settings.dataset)
    scaled = "standardized" if dataset.standardized else "in its own units"
    source = (f"your file {spreadsheet_safe(dataset.info.title)!r}" if uploaded
              else f"scikit-learn's {settings.dataset} dataset")
    text.write(f"# K-means on {dataset.info.title.lower() if not uploaded else 'an uploaded CSV'} ({source}, "
               f"{scaled}): init strategies compared\n")
    text.write(f"# dataset={name_in_file}, k={settings.n_clusters}, n_init={settings.n_init}, "
               f"seed={settings.seed}, selected init={settings.init_method}\n")
    # Python's shortest repr of each float: it reads back to the same number.
    frame.to_csv(text, index=False)
    name = f"kmeans-{name_in_file}_k{settings.n_clusters}_n_init{settings.n_init}_seed{settings.seed}.csv"
    return name, text.getvalue()
