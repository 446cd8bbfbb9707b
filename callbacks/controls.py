"""Browser-only control behaviour: what disables what, stepping within range, Enter and blur.

All clientside: none of it computes a result, and every value still reaches the server's
validation (callbacks/refresh.py) before anything is fitted.
"""

from dash import Dash, Input, Output

from components.controls import N_INIT_HINT, N_INIT_PCA_HINT, SEED_HINT, stepper_ids

# The − and + buttons, Enter and the typing pause are handled in assets/steppers.js, straight from
# the DOM event (no callback in between: the refit's request leaves sooner). Leaving a field is
# dcc.Input's own (debounce=True: it sends what is typed on blur, and on Enter).


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

