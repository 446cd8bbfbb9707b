"""Mounts the parts of the page below the fold once the map is drawn (components/below_fold.py)."""

from dash import ClientsideFunction, Dash, Input, State

from components.below_fold import CONTENT_STORE, MOUNT_SIGNAL, PLACEHOLDERS


def register(app: Dash) -> None:
    # assets/below_fold.js sets the signal once. The content goes in with `set_props`, not as the
    # callback's outputs: Dash treats the inputs in new output children as changed and fires their
    # callbacks (a k-sweep run, a replay load... each a request answered "no update").
    # A placeholder that something has filled in the meantime is left as it is.
    app.clientside_callback(
        ClientsideFunction("belowFold", "mount"),
        Input(MOUNT_SIGNAL, "data"),
        State(CONTENT_STORE, "data"),
        [State(placeholder, "children") for placeholder in PLACEHOLDERS],
        prevent_initial_call=True,
    )
