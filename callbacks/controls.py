"""Browser-only control behaviour: what disables what, stepping within range, Enter and blur.

All clientside: none of it computes a result, and every value still reaches the server's
validation (callbacks/refresh.py) before anything is fitted.
"""

import json

from dash import Dash, Input, Output, State

from components.controls import N_INIT_HINT, N_INIT_PCA_HINT, SEED_HINT, stepper_ids

NUMBER_FIELDS = ("n-init", "n-clusters", "random-seed", "mesh-step")

# The − and + buttons are stepped in assets/steppers.js, straight from the click (no callback in
# between: the refit's request leaves sooner). Enter and blur send what is typed at once: with a
# numeric debounce, dcc.Input waits out its typing pause even then (it flushes only when
# debounce=True). The field's own text is read from the DOM because that pending value is not in
# its props yet; a number input's value is not React-controlled, so the pending pause then finds
# nothing new to send.
_SEND = """function (submit, blur, value) {
    const field = document.getElementById(%s);
    const typed = field && field.value !== "" ? Number(field.value) : null;
    return typed === value ? dash_clientside.no_update : typed;
}"""


def register(app: Dash) -> None:
    # It only greys out fields, and the server ignores n_init and the seed for PCA-based anyway
    # (a bad value left in them never blocks: core.settings.validate), so nothing to validate here.
    app.clientside_callback(
        f"""function (method) {{
            const pca = method === "PCA-based";
            const hint = {N_INIT_PCA_HINT!r};
            return [pca, pca, pca, pca ? hint : {N_INIT_HINT!r},
                    pca, pca, pca, pca ? hint : {SEED_HINT!r}];
        }}""",
        *[output
          for field in ("n-init", "random-seed")
          for output in (Output(field, "disabled"), *(Output(button, "disabled") for button in stepper_ids(field)),
                         Output(f"{field}-description", "children"))],
        Input("init-method", "value"),
    )
    for field in NUMBER_FIELDS:
        app.clientside_callback(
            _SEND % json.dumps(field),
            Output(field, "value", allow_duplicate=True),
            Input(field, "n_submit"), Input(field, "n_blur"),
            State(field, "value"),
            prevent_initial_call=True,
        )
