"""Browser-only control behaviour: what disables what, stepping within range, Enter and blur.

All clientside: none of it computes a result, and every value still reaches the server's
validation (callbacks/refresh.py) before anything is fitted.
"""

import json

from dash import Dash, Input, Output, State

from components.controls import N_INIT_HINT, N_INIT_PCA_HINT, SEED_HINT, stepper_ids
from core.settings import N_CLUSTERS_RANGE, N_INIT_RANGE, SEED_RANGE

STEPPED_FIELDS = {"n-init": N_INIT_RANGE, "n-clusters": N_CLUSTERS_RANGE, "random-seed": SEED_RANGE}
TYPED_FIELDS = ("mesh-step",)  # no steppers: ±1 makes no sense for a step of 0.02

# A stepper steps from what the field shows (typed, maybe not sent yet) and lands within the
# range, so 99 then − gives 50. Enter and blur send what is typed at once: with a numeric
# debounce, dcc.Input waits out its typing pause even then (it flushes only when debounce=True).
# The field's own text is read from the DOM because that pending value is not in its props yet;
# a number input's value is not React-controlled, so writing it back is safe, and the pending
# pause then finds nothing new to send.
_STEP_OR_SEND = """function (decrement, increment, submit, blur, value) {
    const [id, low, high] = %s;
    const field = document.getElementById(id);
    const typed = field && field.value !== "" ? Number(field.value) : null;
    // A click blurs the field first: both can arrive in one call, and the click wins.
    const trigger = (dash_clientside.callback_context.triggered || []).map(t => t.prop_id)
        .find(id => id.endsWith("crement.n_clicks")) || "";
    let next = typed;
    if (trigger) {
        const from = Number.isFinite(typed) ? Math.round(typed)
                   : Number.isFinite(value) ? value : low;
        const stepped = from + (trigger.endsWith("-increment.n_clicks") ? 1 : -1);
        next = Math.min(high, Math.max(low, stepped));
        if (field) field.value = String(next);
    }
    return next === value ? dash_clientside.no_update : next;
}"""
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
    for field, (low, high) in STEPPED_FIELDS.items():
        decrement, increment = stepper_ids(field)
        app.clientside_callback(
            _STEP_OR_SEND % json.dumps([field, low, high]),
            Output(field, "value", allow_duplicate=True),
            Input(decrement, "n_clicks"), Input(increment, "n_clicks"),
            Input(field, "n_submit"), Input(field, "n_blur"),
            State(field, "value"),
            prevent_initial_call=True,
        )
    for field in TYPED_FIELDS:
        app.clientside_callback(
            _SEND % json.dumps(field),
            Output(field, "value", allow_duplicate=True),
            Input(field, "n_submit"), Input(field, "n_blur"),
            State(field, "value"),
            prevent_initial_call=True,
        )
