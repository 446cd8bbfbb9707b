"""The control panel. Component ids are a public contract for tests and scripts: keep them.

Plain dcc/html controls styled in assets/style.css: light to render on a first load.
"""

from __future__ import annotations

from dash import dcc, html

from components.upload_panel import upload_panel
from core import datasets
from core.datasets import DATASETS
from core.settings import DEFAULTS, INIT_METHODS, MESH_STEP_MAX, N_CLUSTERS_RANGE, N_INIT_RANGE, SEED_RANGE

N_INIT_HINT = "Seeded runs ({}–{}); the lowest inertia wins".format(*N_INIT_RANGE)
N_INIT_PCA_HINT = "Disabled: PCA-based seeding is deterministic, so it runs once"
SEED_HINT = "Same seed, same screen (0 to 2³²−1)"
TYPING_PAUSE_MS = 350  # refit when typing pauses, not on every keystroke
NUMBER_INPUT_CLASS = "number-input"


def number_input_class(invalid: bool) -> str:
    """The number field's class: outlined in red when its value was refused."""
    return f"{NUMBER_INPUT_CLASS} invalid" if invalid else NUMBER_INPUT_CLASS


def _field(id_: str, label: str, description: str, control, class_name: str = "field") -> html.Div:
    return html.Div(
        [
            html.Label(label, htmlFor=id_, className="field-label", id=f"{id_}-label"),
            html.Div(description, id=f"{id_}-description", className="field-description"),
            control,
        ],
        className=class_name,
    )


def stepper_ids(id_: str) -> tuple[str, str]:
    """The ids of a number field's − and + buttons."""
    return f"{id_}-decrement", f"{id_}-increment"


def _stepper(id_: str, text: str, action: str, label: str, field: str, bounds: tuple[int, int]) -> html.Button:
    # Out of the tab order: one tab stop per field; the arrow keys step from the field itself.
    # assets/steppers.js steps the field on a click, within `bounds`.
    return html.Button(text, id=id_, type="button", tabIndex="-1", className="stepper",
                       **{"aria-label": f"{action} {label}", "data-field": field,
                          "data-delta": "1" if action == "Increase" else "-1",
                          "data-low": str(bounds[0]), "data-high": str(bounds[1])})


def _number(id_: str, label: str, description: str, value: float, bounds: tuple[int, int] | None = None) -> html.Div:
    # No min, max or step constraint: dcc.Input sends null for a value the browser deems invalid,
    # and the message must name what was typed ("got 99"). The server validates every value and
    # nothing typed is clamped; the description gives the range. The − and + buttons (and the
    # arrow keys) step within it (assets/steppers.js).
    # debounce=True: dcc.Input sends on Enter and on leaving the field; the pause while typing is
    # assets/steppers.js's own timer, which Enter, a step or leaving the field cancels, so a
    # typed value is never sent again after a Reset.
    field = dcc.Input(id=id_, type="number", value=value, step="any", debounce=True,
                      className=number_input_class(False))
    if bounds is not None:
        decrement, increment = stepper_ids(id_)
        field = html.Div([_stepper(decrement, "−", "Decrease", label, id_, bounds), field,
                          _stepper(increment, "+", "Increase", label, id_, bounds)], className="stepped")
    return _field(id_, label, description, field, class_name="field" if bounds is not None else "field no-stepper")


def mesh_description(finest_mesh_step: float) -> str:
    return f"PCA units per cell ({finest_mesh_step:g}–{MESH_STEP_MAX:g}): smaller is sharper"


def dataset_options(upload: str | None = None) -> list[dict]:
    """The dataset picker's choices: the built-in datasets, and the page's upload once it has one."""
    options = [{"label": info.title, "value": key} for key, info in DATASETS.items()]
    if upload is not None:
        options.append({"label": f"Your CSV: {datasets.load(upload).info.title}", "value": upload})
    return options


def control_panel(finest_mesh_step: float) -> html.Div:
    dataset = dcc.Dropdown(
        id="dataset",
        options=dataset_options(),
        value=DEFAULTS["dataset"],
        clearable=False,
        searchable=False,
        className="dataset-picker",
    )
    init_method = dcc.RadioItems(
        id="init-method",
        options=[{"label": method, "value": method} for method in INIT_METHODS],
        value=DEFAULTS["init_method"],
        inline=True,
        className="segmented",
    )
    return html.Div(
        [
            html.Div([html.Label("Dataset", htmlFor="dataset", id="dataset-label", className="field-label"),
                      dataset, html.Div("", id="dataset-note", className="field-description", role="status")],
                     className="field dataset-field"),
            upload_panel(),
            html.Div([html.Div("Init method", id="init-method-label", className="field-label"), init_method],
                     className="field init-field"),
            _number("n-init", "n_init", N_INIT_HINT, DEFAULTS["n_init"], N_INIT_RANGE),
            _number("n-clusters", "k (clusters)",
                    "Number of clusters KMeans looks for ({}–{})".format(*N_CLUSTERS_RANGE), DEFAULTS["n_clusters"],
                    N_CLUSTERS_RANGE),
            _number("random-seed", "Random seed", SEED_HINT, DEFAULTS["seed"], SEED_RANGE),
            # Typed, not stepped: ±1 makes no sense for a step of 0.02.
            _number("mesh-step", "Mesh step", mesh_description(finest_mesh_step), DEFAULTS["mesh_step"]),
        ],
        className="controls",
        **{"data-typing-pause-ms": TYPING_PAUSE_MS},  # assets/steppers.js
    )
