"""Browser-only control behaviour: what PCA-based disables, and switching the dataset.

All clientside: none of it computes a result, and every value still reaches the server's
validation (core.settings.validate) before anything is fitted.
"""

from dash import ClientsideFunction, Dash, Input, Output, State

from components.controls import N_INIT_HINT, N_INIT_PCA_HINT, SEED_HINT, stepper_ids
from core import datasets
from core.datasets import DATASETS
from core.limits import limits


def dataset_entry(key: str) -> dict:
    """What the page needs to adjust the settings to one dataset: its k range, PCA-based's largest
    k, the k it suggests, the largest n_init whose table fits in time (at that k, and at each k),
    its size as messages name it, and the note shown under the picker when it is chosen."""
    dataset, allowed = datasets.load(key), limits(key)
    if dataset.labelled:
        note = (f"{dataset.info.title}: {dataset.n_classes} {dataset.info.labels}, so k = {dataset.n_classes} "
                f"matches them." if allowed.default_k == dataset.n_classes else
                f"{dataset.info.title}: {dataset.n_classes} classes of {dataset.info.label}.")
    else:
        note = f"{dataset.info.title}: {dataset.n_samples:,} rows, no label column."
    low, high = allowed.k_range
    return {"title": dataset.info.title, "k": list(allowed.k_range), "pca_max_k": allowed.pca_max_k,
            "classes": allowed.default_k, "note": note, "size": allowed.size,
            "n_init_max": allowed.largest_n_init(allowed.default_k),
            "n_init_max_by_k": {str(k): allowed.largest_n_init(k) for k in range(low, high + 1)}}


def dataset_limits() -> dict:
    """dataset_entry for each built-in dataset (an upload's is added when it is chosen)."""
    return {key: dataset_entry(key) for key in DATASETS}


def register(app: Dash) -> None:
    # It only greys out fields, and the server ignores n_init and the seed for PCA-based anyway.
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
    # A new dataset: a k it cannot take is brought within its range, an n_init too heavy for it at
    # that k is lowered to the largest that fits in time, and the note says so; then the dataset
    # goes to the map and the table together with them (assets/controls.js).
    app.clientside_callback(
        ClientsideFunction("controls", "switchDataset"),
        Output("dataset-choice", "data"), Output("n-clusters", "value", allow_duplicate=True),
        Output("dataset-note", "children"), Output("n-init", "value", allow_duplicate=True),
        Input("dataset", "value"),
        State("n-clusters", "value"), State("init-method", "value"), State("dataset-limits", "data"),
        State("n-init", "value"),
        prevent_initial_call=True,
    )

