"""The one validator of everything a page sends: the controls, the applied-settings store and the
jobs' own fields.

The callback endpoint is public and browser-side limits are not enforced there, so each value is
checked here for type, finiteness, range and allowed values, and for weight (a table row or a job
that could not finish in time, core.work), before anything is fitted. A refused value gets one
readable message per field, which quotes what was received (or says the field holds no number) and
names the allowed range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from core.datasets import DATASETS, DEFAULT_DATASET, UPLOAD_PREFIX, file_part, find

# The ranges and a dataset's limits are core.limits', the raw-value readers core.raw_values'; both stay importable
# from here, where callers look for them.
from core.limits import (  # noqa: F401
    INIT_METHODS,
    MAX_MESH_CELLS,
    MESH_STEP_MAX,
    N_CLUSTERS_RANGE,
    N_INIT_RANGE,
    Limits,
    available_inits,
    fit_parameters,
    limits,
    mesh_shape,
    min_mesh_step,
)
from core.raw_values import describe, finite_float, received, whole_number
from core.work import JOB_WORK_MAX

SEED_RANGE = (0, 2**32 - 1)  # what numpy's RandomState accepts
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


def disabled_fields(init_method: object) -> tuple[str, ...]:
    """The fields the page disables for this init method (PCA-based ignores them)."""
    return ("n_init", "seed") if init_method == "PCA-based" else ()


class InvalidSettings(ValueError):
    """Raised with one readable message per bad value, keyed by the field it is about."""

    def __init__(self, by_field: Mapping[str, str]):
        super().__init__(" ".join(by_field.values()))
        self.by_field = dict(by_field)
        self.problems = tuple(by_field.values())


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
    n_init is bad, too, past the largest whose table rows fit in time at this k.
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
        "n_clusters": "k (clusters) must be a whole number from {} to {}{}".format(*allowed.k_range,
                                                                                  allowed.k_reason),
        "seed": "Random seed must be a whole number from {} to {}".format(*SEED_RANGE),
        "mesh_step": _mesh_step_rule(step, finest),
    }
    k = checked["n_clusters"]
    most = allowed.largest_n_init(k) if k is not None else N_INIT_RANGE[1]
    ranges = {"n_init": (N_INIT_RANGE[0], most), "seed": SEED_RANGE}
    for field in disabled_fields(checked["init_method"]):
        low, high = ranges[field]
        if checked[field] is None or not low <= checked[field] <= high:
            kept = whole_number((fallback or {}).get(field), low, high)
            checked[field] = min(DEFAULTS[field], high) if kept is None else kept
    problems = {field: f"{rules[field]}{received(raw.get(field))}."
                for field, value in checked.items() if value is None}
    if checked["n_init"] is not None and checked["n_init"] > most:
        problems["n_init"] = (f"n_init {checked['n_init']} is too heavy for {allowed.size} at k {k}: at most "
                              f"{most} here; lower n_init or k.")
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
                     init_method: str = "k-means++", n_init: int | None = None) -> tuple[int, int]:
    """A k sweep's range, within the dataset's k range (for PCA-based, up to its number of
    features) and at least two values wide; given the page's n_init, light enough to finish in time."""
    allowed = limits(dataset)
    low, high = allowed.k_range[0], allowed.pca_max_k if init_method == "PCA-based" else allowed.k_range[1]
    reason = allowed.k_reason if high == allowed.k_range[1] else ""
    if high <= low:
        pca_bound = init_method == "PCA-based" and allowed.pca_max_k < allowed.k_range[1]
        which = ("PCA-based seeding, which takes k ≤ the number of features, allows only k " if pca_bound
                 else "this data allows only k ")
        raise InvalidSettings({"k_max": f"A k sweep needs two values of k or more; {which}{low}{reason}."})
    checked_min, checked_max = whole_number(k_min, low, high - 1), whole_number(k_max, low + 1, high)
    problems = {}
    if checked_min is None:
        problems["k_min"] = f"Sweep from k must be a whole number from {low} to {high - 1}{received(k_min)}."
    if checked_max is None:
        problems["k_max"] = f"Sweep to k must be a whole number from {low + 1} to {high}{reason}{received(k_max)}."
    if not problems and checked_min >= checked_max:
        problems["k_max"] = (f"Sweep to k must be larger than sweep from k ({checked_min}); "
                             f"got {describe(k_max)}.")
    if not problems and n_init is not None:
        problems.update(_sweep_weight(allowed, checked_min, checked_max, high,
                                      fit_parameters(init_method, n_init, 0)[0]))
    if problems:
        raise InvalidSettings(problems)
    return checked_min, checked_max


def _sweep_weight(allowed: Limits, k_min: int, k_max: int, high: int, n_init: int) -> dict[str, str]:
    """A problem when the sweep is too heavy to finish in time; `n_init` as its fits use it."""
    if allowed.sweep_work(k_min, k_max, n_init) <= JOB_WORK_MAX:
        return {}
    what = f"A k sweep from {k_min} to {k_max}" + (f" at n_init {n_init}" if n_init > 1 else "")
    lower = " or lower n_init" if n_init > 1 else ""
    most = allowed.largest_k_max(k_min, high, n_init)
    if most is None:
        return {"k_min": f"{what} is too heavy for {allowed.size}: even {k_min} to {k_min + 1} is; sweep from a "
                         f"lower k{lower}."}
    return {"k_max": f"{what} is too heavy for {allowed.size}: from {k_min}, up to k {most} at most here; sweep to "
                     f"a lower k{lower}."}


def validate_n_seeds(n_seeds: object, settings: Settings | None = None) -> int:
    """A stability run's number of seeds; given the page's settings, light enough to finish in time."""
    checked = whole_number(n_seeds, *STABILITY_SEEDS_RANGE)
    if checked is None:
        raise InvalidSettings({"n_seeds": "Seeds must be a whole number from {} to {}{}.".format(
            *STABILITY_SEEDS_RANGE, received(n_seeds))})
    if settings is None:
        return checked
    allowed, k, n_init = limits(settings.dataset), settings.n_clusters, settings.n_init
    if allowed.stability_work(k, n_init, checked) <= JOB_WORK_MAX:
        return checked
    most = allowed.largest_n_seeds(k, n_init, STABILITY_SEEDS_RANGE[1])
    what = f"{checked} seeds at k {k} with n_init {n_init} are too heavy for {allowed.size}"
    if most < STABILITY_SEEDS_RANGE[0]:
        raise InvalidSettings({"n_seeds": f"{what}: even {STABILITY_SEEDS_RANGE[0]} are; lower n_init or k."})
    raise InvalidSettings({"n_seeds": f"{what}: at most {most} seeds here; use fewer seeds, or lower n_init or k."})


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
