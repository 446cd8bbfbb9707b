"""The control panel. Component ids are a public contract for tests and scripts: keep them."""

from __future__ import annotations

import dash_mantine_components as dmc

from core.settings import DEFAULTS, INIT_METHODS, MESH_STEP_MAX, N_CLUSTERS_RANGE, N_INIT_RANGE, SEED_RANGE

N_INIT_HINT = "Runs from different seeds; the lowest inertia wins"
N_INIT_PCA_HINT = "Disabled: PCA-based seeding is deterministic, so it runs once"
TYPING_PAUSE_MS = 350  # refit when typing pauses, not on every keystroke


def _number(
    id_: str, label: str, description: str, low: float, high: float, step: float, value: float, **extra
) -> dmc.NumberInput:
    return dmc.NumberInput(
        id=id_,
        label=label,
        description=description,
        value=value,
        min=low,
        max=high,
        step=step,
        debounce=TYPING_PAUSE_MS,
        # Keep what was typed: clamping on blur would silently refit with another value.
        clampBehavior="none",
        size="sm",
        **extra,
    )


def control_panel(finest_mesh_step: float) -> dmc.Stack:
    return dmc.Stack(
        [
            dmc.Stack(
                [
                    dmc.Text("Init method", size="sm", fw=500),
                    dmc.SegmentedControl(
                        id="init-method",
                        data=list(INIT_METHODS),
                        value=DEFAULTS["init_method"],
                        fullWidth=True,
                        size="sm",
                        color="blue",
                    ),
                ],
                gap=4,
            ),
            _number("n-init", "n_init", N_INIT_HINT, *N_INIT_RANGE, 1, DEFAULTS["n_init"],
                    allowDecimal=False),
            _number("n-clusters", "k (clusters)", "Number of clusters KMeans looks for", *N_CLUSTERS_RANGE, 1,
                    DEFAULTS["n_clusters"], allowDecimal=False),
            _number("random-seed", "Random seed", "Same settings, same screen", *SEED_RANGE, 1,
                    DEFAULTS["seed"], allowDecimal=False),
            _number("mesh-step", "Mesh step", "Map resolution in PCA units: smaller is sharper",
                    finest_mesh_step, MESH_STEP_MAX, 0.01, DEFAULTS["mesh_step"], decimalScale=3),
        ],
        gap="md",
    )
