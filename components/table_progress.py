"""The table's progress line: shown over the table from each table request until its answer
(assets/table_requests.js), visible only once a table takes over a second (assets/server_fault.css),
and told each row's state by the server about once a second."""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

TICK_MS = 1000
STATE_WORDS = {"done": "done", "running": "fitting", "waiting": "waiting for a process"}


def table_progress() -> list:
    """The line (hidden while no table is fitted) and the tick that asks for the rows' states."""
    return [
        html.P(id="table-progress", className="table-progress", hidden=True, role="status",
               **{"aria-live": "polite"}),
        dcc.Interval(id="table-progress-tick", interval=TICK_MS, disabled=True),
    ]


def progress_text(n_rows: int, n_features: int, states: Sequence[tuple[str, str]]) -> str:
    """What the line says: the data's size and each init's row, e.g. "Fitting 100,000 rows × 20
    columns: k-means++ done, random fitting, PCA-based waiting for a process (1 of 3 done)"."""
    done = sum(state == "done" for _, state in states)
    rows = ", ".join(f"{init} {STATE_WORDS[state]}" for init, state in states)
    return (f"Fitting {n_rows:,} rows × {n_features} columns: {rows} "
            f"({done} of {len(states)} done)")
