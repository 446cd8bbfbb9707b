"""The one validator of everything a page sends: the controls, the applied-settings store and the
jobs' own fields.

The callback endpoint is public and browser-side limits are not enforced there, so each value is
checked here for type, finiteness, range and allowed values before anything is fitted. A refused
value gets one readable message per field, which quotes what was received (or says the field holds
no number) and names the allowed range.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

from core.datasets import DATASETS, DEFAULT_DATASET, UPLOAD_PREFIX, file_part, find, load

INIT_METHODS = ("k-means++", "random", "PCA-based")
N_INIT_RANGE = (1, 50)
N_CLUSTERS_RANGE = (2, 30)
SEED_RANGE = (0, 2**32 - 1)  # what numpy's RandomState accepts
MESH_STEP_MAX = 1.0
MAX_MESH_CELLS = 2_000_000  # ~2 MB of uint8 labels; finer steps are refused
STABILITY_SEEDS_RANGE = (2, 100)

DEFAULTS = {
    "dataset": DEFAULT_DATASET,
    "init_method": "k-means++",
    "n_init": 10,
    "n_clusters": 10,
    "seed": 0,
    "mesh_step": 0.02,
}
FIELD_LABELS = {
    "dataset": "Dataset",
    "init_method": "Init method",
    "n_init": "n_init",
    "n_clusters": "k (clusters)",
    "seed": "Random seed",
    "mesh_step": "Mesh step",
    "k_min": "Sweep from k",
    "k_max": "Sweep to k",
    "n_seeds": "Seeds",
}


@dataclass(frozen=True)
class Settings:
    """One validated configuration of the dashboard; hashable, so it can key caches."""

    dataset: str
    init_method: str
    n_init: int
    n_clusters: int
    seed: int
    mesh_step: float

    @property
    def fit_key(self) -> tuple[str, str, int, int, int]:
        """(dataset, init, k, n_init, seed) as a fit depends on them: the key of its caches."""
        return (self.dataset, self.init_method, self.n_clusters,
                *fit_parameters(self.init_method, self.n_init, self.seed))

    @property
    def table_key(self) -> tuple[str, int, int, int]:
        """What the table of all three inits depends on: dataset, k, n_init and seed."""
        return self.dataset, self.n_clusters, self.n_init, self.seed

    def as_store(self) -> dict:
        """The applied-settings store's value."""
        return dataclasses.asdict(self)

    def __repr__(self) -> str:
        # Settings go into log lines: an upload's key is its secret, so it is never written out.
        shown = {**dataclasses.asdict(self), "dataset": file_part(self.dataset)}
        return "Settings(" + ", ".join(f"{name}={value!r}" for name, value in shown.items()) + ")"


SETTINGS_FIELDS = frozenset(field.name for field in dataclasses.fields(Settings))


def fit_parameters(init_method: str, n_init: int, seed: int) -> tuple[int, int]:
    """The (n_init, seed) a fit really uses. PCA-based seeding is deterministic: one run, and
    the seed changes nothing, so every seed shares one fit."""
    return (1, 0) if init_method == "PCA-based" else (n_init, seed)


def disabled_fields(init_method: object) -> tuple[str, ...]:
    """The fields the page disables for this init method (PCA-based ignores them)."""
    return ("n_init", "seed") if init_method == "PCA-based" else ()


class InvalidSettings(ValueError):
    """Raised with one readable message per bad value, keyed by the field it is about."""

    def __init__(self, by_field: Mapping[str, str]):
        super().__init__(" ".join(by_field.values()))
        self.by_field = dict(by_field)
        self.problems = tuple(by_field.values())


# --- limits that depend on the dataset --------------------------------------------------------

def mesh_shape(extent: tuple[float, float, float, float], step: float) -> tuple[int, int]:
    """(rows, columns) of the mesh core.boundary.mesh builds (the float expression np.arange
    sizes itself with)."""
    x_min, x_max, y_min, y_max = extent
    return math.ceil((y_max + step / 2 - y_min) / step), math.ceil((x_max + step / 2 - x_min) / step)


def min_mesh_step(extent: tuple[float, float, float, float]) -> float:
    """The finest step (in thousandths) whose mesh stays within MAX_MESH_CELLS."""
    x_min, x_max, y_min, y_max = extent
    step = math.ceil(1000 * math.sqrt((x_max - x_min) * (y_max - y_min) / MAX_MESH_CELLS)) / 1000
    while math.prod(mesh_shape(extent, step)) > MAX_MESH_CELLS:
        step = round(step + 0.001, 3)
    return step


@dataclass(frozen=True)
class Limits:
    """What a dataset allows."""

    k_range: tuple[int, int]
    pca_max_k: int  # PCA-based seeding takes k principal axes: k <= the number of features
    mesh_range: tuple[float, float]
    default_k: int  # the number of true classes (within the k range)


def limits(dataset: str) -> Limits:
    data = load(dataset)
    k_max = min(N_CLUSTERS_RANGE[1], data.n_samples - 1)
    # The number of true classes, within range; without labels, the smallest k worth a look.
    default_k = min(max(data.n_classes, N_CLUSTERS_RANGE[0]), k_max) if data.labelled else min(3, k_max)
    return Limits((N_CLUSTERS_RANGE[0], k_max), min(k_max, data.n_features),
                  (min_mesh_step(data.extent), MESH_STEP_MAX), default_k)


def available_inits(dataset: str, n_clusters: int) -> tuple[str, ...]:
    """The inits that can run at this k: PCA-based only up to the number of features."""
    return tuple(method for method in INIT_METHODS
                 if method != "PCA-based" or n_clusters <= limits(dataset).pca_max_k)


# --- reading raw values -------------------------------------------------------------------------

def whole_number(value: object, low: int, high: int) -> int | None:
    """`value` as an int within [low, high], or None (bools, strings and fractions are not)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    # Compare ints exactly: float() of a 400-digit int would overflow.
    if isinstance(value, int):
        whole = value
    else:
        number = float(value)
        whole = int(number) if math.isfinite(number) and number.is_integer() else None
    return int(whole) if whole is not None and low <= whole <= high else None


def finite_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    if isinstance(value, int) and abs(value) > 2**53:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def describe(value: object) -> str:
    """A short, safe rendering of a received value (the page shows it as text, never as HTML)."""
    try:
        text = repr(value)
    except ValueError:  # ints past Python's digit limit refuse to print
        return "an oversized number"
    return text if len(text) <= 40 else text[:37] + "..."


def received(value: object) -> str:
    """The end of a message: what was received. A number field sends nothing both when it is
    empty and when its text is no number ("abc"): the browser keeps that text to itself."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "; the field holds no number"
    return f"; got {describe(value)}"


def _mesh_step_rule(value: float | None, finest: float) -> str:
    if value is not None and value <= 0:
        return f"Mesh step must be a positive number, from {finest:g} to {MESH_STEP_MAX:g}"
    if value is not None and value < finest:
        return (f"Mesh step must be at least {finest:g}: a finer mesh would draw more than "
                f"{MAX_MESH_CELLS:,} cells")
    if value is not None and value > MESH_STEP_MAX:
        return f"Mesh step must be at most {MESH_STEP_MAX:g}: a coarser mesh shows nothing"
    return f"Mesh step must be a number from {finest:g} to {MESH_STEP_MAX:g}"


def dataset_key(value: object) -> str | None:
    return value if find(value) is not None else None


def _dataset_rule(value: object) -> str:
    if isinstance(value, str) and value.startswith(UPLOAD_PREFIX):
        # Never repeat the key: it is the upload's only secret.
        return ("The uploaded data is no longer kept here (forgotten, expired, or uploaded in another tab); "
                "choose a dataset or upload the file again.")
    return f"Dataset must be one of {', '.join(DATASETS)}{received(value)}."


def validate(raw: Mapping[str, object], fallback: Mapping | None = None) -> Settings:
    """The Settings the raw control values describe, or InvalidSettings naming each bad one.

    A value in a field the page disables (n_init and the seed for PCA-based) is not the user's
    to fix, so it never blocks: a bad one is replaced by `fallback`'s value for that field (the
    settings applied last), or the default. The table still needs them for its other two rows.
    """
    dataset = dataset_key(raw.get("dataset", DEFAULT_DATASET))
    if dataset is None:
        raise InvalidSettings({"dataset": _dataset_rule(raw.get("dataset", DEFAULT_DATASET))})
    allowed = limits(dataset)
    step = finite_float(raw.get("mesh_step"))
    finest, coarsest = allowed.mesh_range
    init_method = raw.get("init_method")
    checked = {
        "dataset": dataset,
        "init_method": init_method if isinstance(init_method, str) and init_method in INIT_METHODS else None,
        "n_init": whole_number(raw.get("n_init"), *N_INIT_RANGE),
        "n_clusters": whole_number(raw.get("n_clusters"), *allowed.k_range),
        "seed": whole_number(raw.get("seed"), *SEED_RANGE),
        "mesh_step": step if step is not None and finest <= step <= coarsest else None,
    }
    rules = {
        "init_method": f"Init method must be one of {', '.join(INIT_METHODS)}",
        "n_init": "n_init must be a whole number from {} to {}".format(*N_INIT_RANGE),
        "n_clusters": "k (clusters) must be a whole number from {} to {}".format(*allowed.k_range),
        "seed": "Random seed must be a whole number from {} to {}".format(*SEED_RANGE),
        "mesh_step": _mesh_step_rule(step, finest),
    }
    ranges = {"n_init": N_INIT_RANGE, "seed": SEED_RANGE}
    for field in disabled_fields(checked["init_method"]):
        if checked[field] is None:
            kept = whole_number((fallback or {}).get(field), *ranges[field])
            checked[field] = DEFAULTS[field] if kept is None else kept
    problems = {field: f"{rules[field]}{received(raw.get(field))}."
                for field, value in checked.items() if value is None}
    if (checked["init_method"] == "PCA-based" and checked["n_clusters"] is not None
            and checked["n_clusters"] > allowed.pca_max_k):
        problems["n_clusters"] = (f"PCA-based seeding takes k principal axes, so k must be at most "
                                  f"{allowed.pca_max_k} (the number of features); got {checked['n_clusters']}.")
    if problems:
        raise InvalidSettings(problems)
    return Settings(**checked)  # type: ignore[arg-type]


def validate_store(value: object) -> Settings:
    """The applied-settings store's value (only ever written with valid settings, but posted by
    anyone): exactly the Settings fields, each valid."""
    if not isinstance(value, Mapping) or set(value) != SETTINGS_FIELDS:
        raise InvalidSettings({"settings": "The page's settings are not valid; fix them above first."})
    return validate(value)


def validate_k_range(k_min: object, k_max: object, dataset: str = DEFAULT_DATASET,
                     init_method: str = "k-means++") -> tuple[int, int]:
    """A k sweep's range, within the dataset's k range (for PCA-based, up to its number of
    features) and at least two values wide."""
    allowed = limits(dataset)
    low, high = allowed.k_range[0], allowed.pca_max_k if init_method == "PCA-based" else allowed.k_range[1]
    checked_min, checked_max = whole_number(k_min, low, high - 1), whole_number(k_max, low + 1, high)
    problems = {}
    if checked_min is None:
        problems["k_min"] = f"Sweep from k must be a whole number from {low} to {high - 1}{received(k_min)}."
    if checked_max is None:
        problems["k_max"] = f"Sweep to k must be a whole number from {low + 1} to {high}{received(k_max)}."
    if not problems and checked_min >= checked_max:
        problems["k_max"] = (f"Sweep to k must be larger than sweep from k ({checked_min}); "
                             f"got {describe(k_max)}.")
    if problems:
        raise InvalidSettings(problems)
    return checked_min, checked_max


def validate_n_seeds(n_seeds: object) -> int:
    checked = whole_number(n_seeds, *STABILITY_SEEDS_RANGE)
    if checked is None:
        raise InvalidSettings({"n_seeds": "Seeds must be a whole number from {} to {}{}.".format(
            *STABILITY_SEEDS_RANGE, received(n_seeds))})
    return checked


def validated_together(*checks) -> tuple:
    """Run each zero-argument check; every problem of all of them is raised at once."""
    problems, results = {}, []
    for check in checks:
        try:
            results.append(check())
        except InvalidSettings as invalid:
            problems.update(invalid.by_field)
            results.append(None)
    if problems:
        raise InvalidSettings(problems)
    return tuple(results)
