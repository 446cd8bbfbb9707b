"""Server-side validation of every control value.

The callback endpoint is public and browser-side min/max are not enforced there, so each
value is checked here for type, finiteness, range and allowed values before any fitting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

INIT_METHODS = ("k-means++", "random", "PCA-based")
N_INIT_RANGE = (1, 50)
N_CLUSTERS_RANGE = (2, 30)
SEED_RANGE = (0, 2**32 - 1)  # what numpy's RandomState accepts
MESH_STEP_MAX = 1.0
MAX_MESH_CELLS = 2_000_000  # ~2 MB of uint8 labels; finer steps are refused

DEFAULTS = {
    "init_method": "k-means++",
    "n_init": 10,
    "n_clusters": 10,
    "seed": 0,
    "mesh_step": 0.02,
}


@dataclass(frozen=True)
class Settings:
    """One validated configuration of the dashboard; hashable, so it can key caches."""

    init_method: str
    n_init: int
    n_clusters: int
    seed: int
    mesh_step: float

    @property
    def fit_key(self) -> tuple[str, int, int, int]:
        """(init, k, n_init, seed) as the fit depends on them: the key of its cache."""
        return (self.init_method, self.n_clusters, *fit_parameters(self.init_method, self.n_init, self.seed))


def fit_parameters(init_method: str, n_init: int, seed: int) -> tuple[int, int]:
    """The (n_init, seed) a fit really uses. PCA-based seeding is deterministic: one run, and
    the seed changes nothing (tests/test_core.py checks), so every seed shares one fit."""
    return (1, 0) if init_method == "PCA-based" else (n_init, seed)


class InvalidSettings(ValueError):
    """Raised with one readable message per bad value, keyed by the Settings field it is about."""

    def __init__(self, by_field: dict[str, str]):
        super().__init__(" ".join(by_field.values()))
        self.by_field = dict(by_field)
        self.problems = tuple(by_field.values())


def mesh_shape(extent: tuple[float, float, float, float], step: float) -> tuple[int, int]:
    """(rows, columns) of the mesh core.boundary.mesh builds:
    `np.meshgrid(np.arange(x_min, x_max + step / 2, step), np.arange(y_min, y_max + step / 2, step))`."""
    x_min, x_max, y_min, y_max = extent
    # The same float expression np.arange sizes itself with.
    return math.ceil((y_max + step / 2 - y_min) / step), math.ceil((x_max + step / 2 - x_min) / step)


def min_mesh_step(extent: tuple[float, float, float, float]) -> float:
    """The finest step (in thousandths) whose mesh stays within MAX_MESH_CELLS."""
    x_min, x_max, y_min, y_max = extent
    step = math.ceil(1000 * math.sqrt((x_max - x_min) * (y_max - y_min) / MAX_MESH_CELLS)) / 1000
    while math.prod(mesh_shape(extent, step)) > MAX_MESH_CELLS:
        step = round(step + 0.001, 3)
    return step


def _whole_number(value: object, low: int, high: int) -> int | None:
    """`value` as an int within [low, high], or None."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    # Compare ints exactly: float() of a 400-digit int would overflow.
    whole = value if isinstance(value, int) else _integral(float(value))
    return int(whole) if whole is not None and low <= whole <= high else None


def _integral(number: float) -> int | None:
    return int(number) if math.isfinite(number) and number.is_integer() else None


def _finite_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    if isinstance(value, int) and abs(value) > 2**53:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _received(value: object) -> str:
    """"; got <value>" for the message, or nothing when no value came. A number field sends no
    value both when empty and when its text is no number ("abc"): the browser keeps that text
    to itself, so the message gives the rule alone rather than a wrong "got nothing"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    return f"; got {_describe(value)}"


def _describe(value: object) -> str:
    """A short, safe rendering of what was received (the UI shows it as text, never as HTML)."""
    try:
        text = repr(value)
    except ValueError:  # ints past Python's digit limit refuse to print
        return "an oversized number"
    return text if len(text) <= 40 else text[:37] + "..."


def _mesh_step_rule(value: float | None, finest: float) -> str:
    """The rule a refused mesh step broke, in the words that fit it."""
    if value is not None and value <= 0:
        return f"Mesh step must be a positive number, from {finest:g} to {MESH_STEP_MAX:g}"
    if value is not None and value < finest:
        return (f"Mesh step must be at least {finest:g}: a finer mesh would draw more than "
                f"{MAX_MESH_CELLS:,} cells")
    if value is not None and value > MESH_STEP_MAX:
        return f"Mesh step must be at most {MESH_STEP_MAX:g}: a coarser mesh shows nothing"
    return f"Mesh step must be a number from {finest:g} to {MESH_STEP_MAX:g}"


def disabled_fields(init_method: object) -> tuple[str, ...]:
    """The fields the page disables for this init method: PCA-based seeding is deterministic, so
    it ignores n_init and the seed (see fit_parameters)."""
    return ("n_init", "seed") if init_method == "PCA-based" else ()


def validate(
    *,
    init_method: object,
    n_init: object,
    n_clusters: object,
    seed: object,
    mesh_step: object,
    extent: tuple[float, float, float, float],
    fallback: dict | None = None,
) -> Settings:
    """Return the Settings these raw values describe, or raise InvalidSettings naming each bad one.

    A value in a field the page disables (n_init and the seed for PCA-based) is not the user's
    to fix, so it never blocks: a bad one is replaced by `fallback`'s value for that field (the
    settings applied last), or the default. The table still needs an n_init and a seed for its
    other two rows.
    """
    finest = min_mesh_step(extent)
    step = _finite_float(mesh_step)
    checked_step = step if step is not None and finest <= step <= MESH_STEP_MAX else None
    checked = {
        "init_method": init_method if isinstance(init_method, str) and init_method in INIT_METHODS else None,
        "n_init": _whole_number(n_init, *N_INIT_RANGE),
        "n_clusters": _whole_number(n_clusters, *N_CLUSTERS_RANGE),
        "seed": _whole_number(seed, *SEED_RANGE),
        "mesh_step": checked_step,
    }
    rules = {
        "init_method": f"Init method must be one of {', '.join(INIT_METHODS)}",
        "n_init": "n_init must be a whole number from {} to {}".format(*N_INIT_RANGE),
        "n_clusters": "k (clusters) must be a whole number from {} to {}".format(*N_CLUSTERS_RANGE),
        "seed": "Random seed must be a whole number from {} to {}".format(*SEED_RANGE),
        "mesh_step": _mesh_step_rule(step, finest),
    }
    ranges = {"n_init": N_INIT_RANGE, "seed": SEED_RANGE}
    for field in disabled_fields(checked["init_method"]):
        if checked[field] is None:
            kept = _whole_number((fallback or {}).get(field), *ranges[field])
            checked[field] = DEFAULTS[field] if kept is None else kept
    received = {"init_method": init_method, "n_init": n_init, "n_clusters": n_clusters, "seed": seed,
                "mesh_step": mesh_step}
    problems = {
        field: f"{rules[field]}{_received(received[field])}."
        for field, value in checked.items()
        if value is None
    }
    if problems:
        raise InvalidSettings(problems)
    return Settings(**checked)  # type: ignore[arg-type]
