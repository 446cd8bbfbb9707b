"""Browser-only control behaviour: PCA-based seeding disables n_init, with the reason."""

from dash import Dash, Input, Output

from components.controls import N_INIT_HINT, N_INIT_PCA_HINT


def register(app: Dash) -> None:
    # Runs in the browser: it only greys out a field, and the server ignores n_init for
    # PCA-based anyway, so there is nothing to validate here.
    app.clientside_callback(
        f"""function (method) {{
            const pca = method === "PCA-based";
            return [pca, pca ? {N_INIT_PCA_HINT!r} : {N_INIT_HINT!r}];
        }}""",
        Output("n-init", "disabled"),
        Output("n-init-description", "children"),
        Input("init-method", "value"),
    )
