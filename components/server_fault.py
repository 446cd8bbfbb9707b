"""The box a view shows when the server could not compute it (a killed or stuck worker, a timeout):
a server fault, said as one, with a retry that sends the same settings again. Never a hint that the
settings were wrong: they were valid (invalid ones are refused before any fit, with their own message)."""

from __future__ import annotations

from dash import html

SERVER_FAULT_TEXT = "The server could not compute this (server error)."
FAILED_CLASS = "failed"  # added to the view's card: its content, from before, is faded


def server_fault(prefix: str) -> html.Div:
    """Hidden until `<prefix>`'s view fails; `<prefix>-retry` re-sends the same request."""
    return html.Div([
        html.Span(SERVER_FAULT_TEXT),
        html.Button("Retry", id=f"{prefix}-retry", className="job-button", n_clicks=0),
    ], id=f"{prefix}-fault", role="alert", className="settings-message server-fault", hidden=True)


def card_class(base: str, failed: bool) -> str:
    return f"{base} {FAILED_CLASS}" if failed else base


BUSY_ID = "server-busy"
BUSY_TEXT = "The server is busy: retrying in"  # then "N s"; assets/busy_retry.js counts down


def busy_notice() -> html.Div:
    """Shown while a request the server refused as busy (503, its queue of fits full) waits to be
    sent again: assets/busy_retry.js shows it, counts down the server's Retry-After, and resends.
    A busy server is not the user's fault and needs no click: it retries by itself."""
    return html.Div([
        html.Span(BUSY_TEXT + " "), html.Span("", id=f"{BUSY_ID}-seconds"), html.Span(" s"),
    ], id=BUSY_ID, role="status", className="server-busy", hidden=True)
