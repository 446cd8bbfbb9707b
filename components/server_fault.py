"""The box a view shows when the server could not compute it (a killed or stuck worker, a timeout):
a server fault, said as one, with a retry that sends the same settings again. Never a hint that the
settings were wrong: they were valid (invalid ones are refused before any fit, with their own message)."""

from __future__ import annotations

from dash import html, no_update

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


def fault_shown(base: str) -> dict:
    """A view's fault box and card when the server failed to compute it: shown, and faded."""
    return {"fault_hidden": False, "card_class": card_class(base, failed=True)}


def fault_cleared(base: str, fault_hidden: object = False) -> dict:
    """A view's fault box and card once it is computed: hidden and unfaded if the box was shown
    (its `hidden` is False), else left as they are (nothing to redraw)."""
    if fault_hidden is False:
        return {"fault_hidden": True, "card_class": base}
    return {"fault_hidden": no_update, "card_class": no_update}


BUSY_ID = "server-busy"
BUSY_TEXT = "The server is busy: retrying in"  # then "N s"; assets/busy_retry.js counts down
LOST_TEXT = "The connection to the server was lost: retrying in"  # then "N s"
UNREACHABLE_TEXT = "The server cannot be reached. Your last change was not applied: make it again."


def busy_notice() -> html.Div:
    """Shown while a request waits to be sent again: assets/busy_retry.js shows it, counts down
    and resends. Either the server refused it as busy (503 with Retry-After, its queue of fits
    full), or the connection was lost before the answer (the web worker serving it was killed or
    restarted; a proxy's 502/504): the same request goes to another worker. Neither is the user's
    fault, and neither needs a click. The texts live here; the script picks one."""
    return html.Div([
        html.Span(BUSY_TEXT, id=f"{BUSY_ID}-reason"),
        html.Span([" ", html.Span("", id=f"{BUSY_ID}-seconds"), " s"], id=f"{BUSY_ID}-countdown"),
    ], id=BUSY_ID, role="status", className="server-busy", hidden=True,
        **{"data-busy-text": BUSY_TEXT, "data-lost-text": LOST_TEXT, "data-unreachable-text": UNREACHABLE_TEXT})
