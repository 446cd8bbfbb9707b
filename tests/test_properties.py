"""Property tests: server-side validation, mesh sizing and region colouring, over generated input."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.palette import TINT_VARIANTS, neighbouring_clusters, variant_slots
from core import data
from core.boundary import mesh
from core.region_colouring import most_distinct_colouring
from core.settings import (
    DEFAULTS,
    INIT_METHODS,
    MAX_MESH_CELLS,
    MESH_STEP_MAX,
    N_CLUSTERS_RANGE,
    N_INIT_RANGE,
    SEED_RANGE,
    InvalidSettings,
    Settings,
    mesh_shape,
    min_mesh_step,
    validate,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXTENT = data.load().extent
FINEST = min_mesh_step(EXTENT)

# --- Raw control values: anything a JSON body can carry, plus near misses -------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**450), max_value=10**450)
    | st.sampled_from([2**53 + 1, 2**63, 2**64])
    # Ints past 4,300 digits, which Python refuses to print (built by map: Hypothesis reprs sampled values).
    | st.integers(min_value=4_301, max_value=6_000).map(
        lambda digits: -(10**digits) if digits % 2 else 10**digits
    )
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def _near(low: float, high: float):
    """Values in, at and just outside [low, high], as ints and floats."""
    return (
        st.integers(min_value=int(low) - 3, max_value=int(high) + 3)
        | st.floats(min_value=low - 2, max_value=high + 2)
        | st.sampled_from(
            [low, high, float(low), float(high), low - 0.5, high + 0.5, math.nextafter(high, math.inf)]
        )
    )


init_values = (
    st.sampled_from(INIT_METHODS) | st.sampled_from(["", "kmeans", "K-MEANS++", "pca-based"]) | json_values
)
n_init_values = _near(*N_INIT_RANGE) | json_values
n_clusters_values = _near(*N_CLUSTERS_RANGE) | json_values
seed_values = _near(*SEED_RANGE) | json_values
mesh_step_values = (
    st.floats(min_value=0, max_value=2 * MESH_STEP_MAX)
    | st.sampled_from(
        [FINEST, MESH_STEP_MAX, math.nextafter(FINEST, 0), math.nextafter(MESH_STEP_MAX, 2), 1, 0]
    )
    | json_values
)

FIELD_NAMES = {
    "init_method": "Init method",
    "n_init": "n_init",
    "n_clusters": "k (clusters)",
    "seed": "Random seed",
    "mesh_step": "Mesh step",
}


# An independent statement of the documented rules, to compare validate() against.
def _is_whole_in(value, low: int, high: int) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer() and low <= value <= high
    return low <= value <= high


def _expected_bad(values: dict) -> set[str]:
    bad = set()
    if not (isinstance(values["init_method"], str) and values["init_method"] in INIT_METHODS):
        bad.add("init_method")
    for name, bounds in (("n_init", N_INIT_RANGE), ("n_clusters", N_CLUSTERS_RANGE), ("seed", SEED_RANGE)):
        # PCA-based disables n_init and the seed: a value left there never blocks (it is replaced).
        disabled = values["init_method"] == "PCA-based" and name in ("n_init", "seed")
        if not disabled and not _is_whole_in(values[name], *bounds):
            bad.add(name)
    step = values["mesh_step"]
    if (
        isinstance(step, bool)
        or not isinstance(step, (int, float))
        or (isinstance(step, int) and abs(step) > 2**53)
        or not math.isfinite(step)
        or not FINEST <= step <= MESH_STEP_MAX
    ):
        bad.add("mesh_step")
    return bad


@FAST
@given(
    init_method=init_values,
    n_init=n_init_values,
    n_clusters=n_clusters_values,
    seed=seed_values,
    mesh_step=mesh_step_values,
)
@example(init_method="k-means++", n_init=10, n_clusters=10, seed=0, mesh_step=0.02)
@example(init_method=[[0, 0], [1, 1]], n_init=float("nan"), n_clusters=10**400, seed=-1, mesh_step=1e-9)
@example(init_method="PCA-based", n_init=1.0, n_clusters=30.0, seed=2**32 - 1, mesh_step=1)
@example(init_method="random", n_init=True, n_clusters=False, seed=None, mesh_step=float("inf"))
def test_validate_accepts_exactly_the_documented_ranges(init_method, n_init, n_clusters, seed, mesh_step):
    values = {
        "init_method": init_method,
        "n_init": n_init,
        "n_clusters": n_clusters,
        "seed": seed,
        "mesh_step": mesh_step,
    }
    expected_bad = _expected_bad(values)
    try:
        result = validate(**values, extent=EXTENT)
    except InvalidSettings as invalid:
        assert expected_bad, f"valid values refused: {invalid}"
        assert len(invalid.problems) == len(expected_bad), invalid.problems
        for name in expected_bad:
            assert any(problem.startswith(FIELD_NAMES[name]) for problem in invalid.problems), (name, invalid)
        for problem in invalid.problems:
            assert isinstance(problem, str) and len(problem) < 300, problem
        if hasattr(invalid, "by_field"):  # problems keyed by Settings field
            assert set(invalid.by_field) == expected_bad
        return
    # Anything other than InvalidSettings propagates and fails the test.
    assert not expected_bad, f"{sorted(expected_bad)} accepted: {values!r}"
    assert isinstance(result, Settings)
    assert result.init_method in INIT_METHODS
    for name, (low, high) in (
        ("n_init", N_INIT_RANGE),
        ("n_clusters", N_CLUSTERS_RANGE),
        ("seed", SEED_RANGE),
    ):
        value = getattr(result, name)
        assert type(value) is int and low <= value <= high
        if _is_whole_in(values[name], low, high):
            assert value == values[name]
        else:  # only a disabled field's value is ever replaced, by the default
            assert result.init_method == "PCA-based" and value == DEFAULTS[name]
    assert type(result.mesh_step) is float and FINEST <= result.mesh_step <= MESH_STEP_MAX
    assert math.prod(mesh_shape(EXTENT, result.mesh_step)) <= MAX_MESH_CELLS
    hash(result)  # it keys the caches


@pytest.mark.parametrize("field", sorted(FIELD_NAMES))
def test_an_int_too_long_to_print_is_refused_with_a_message(field):
    values = {"init_method": "k-means++", "n_init": 10, "n_clusters": 10, "seed": 0, "mesh_step": 0.02}
    values[field] = 10**5000
    with pytest.raises(InvalidSettings) as refused:
        validate(**values, extent=EXTENT)
    (problem,) = refused.value.problems
    assert problem.startswith(FIELD_NAMES[field]) and len(problem) < 300


@FAST
@given(st.floats(min_value=FINEST, max_value=MESH_STEP_MAX))
def test_every_accepted_mesh_step_stays_within_the_cell_budget(step):
    settings_ = validate(
        init_method="k-means++", n_init=1, n_clusters=2, seed=0, mesh_step=step, extent=EXTENT
    )
    assert math.prod(mesh_shape(EXTENT, settings_.mesh_step)) <= MAX_MESH_CELLS


# --- Mesh sizing ---------------------------------------------------------------------------------

extents = st.tuples(
    st.floats(min_value=-50, max_value=50),
    st.floats(min_value=0.05, max_value=60),
    st.floats(min_value=-50, max_value=50),
    st.floats(min_value=0.05, max_value=60),
).map(lambda t: (t[0], t[0] + t[1], t[2], t[2] + t[3]))


@FAST
@given(extents)
@example(EXTENT)
def test_min_mesh_step_is_the_finest_step_within_the_budget(extent):
    step = min_mesh_step(extent)
    assert step > 0 and round(step, 3) == step
    assert math.prod(mesh_shape(extent, step)) <= MAX_MESH_CELLS
    finer = round(step - 0.001, 3)
    if finer > 0:
        assert math.prod(mesh_shape(extent, finer)) > MAX_MESH_CELLS


@FAST
@given(extents, st.floats(min_value=0.05, max_value=5))
def test_mesh_shape_matches_the_mesh_numpy_builds(extent, step):
    xs, ys = mesh(extent, step)
    assert mesh_shape(extent, step) == (len(ys), len(xs))


# --- Region colouring ------------------------------------------------------------------------------

SLOTS = TINT_VARIANTS


def _assert_touching_regions_differ(labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """The worst case for the variants: every cluster an extra of one digit (k > 10 can do it)."""
    slots = variant_slots(neighbouring_clusters(labels), np.zeros(n_clusters, dtype=int))
    assert slots.shape == (n_clusters,)
    assert all(0 <= int(slot) < SLOTS for slot in slots)
    clashes = [(a, b) for a, b in sorted(neighbouring_clusters(labels)) if slots[a] == slots[b]]
    assert not clashes, f"touching clusters share a tint: {clashes}"
    return slots


@st.composite
def label_grids(draw, max_clusters: int):
    n_clusters = draw(st.integers(min_value=1, max_value=max_clusters))
    rows = draw(st.integers(min_value=1, max_value=12))
    columns = draw(st.integers(min_value=1, max_value=12))
    cells = draw(st.lists(st.integers(0, n_clusters - 1), min_size=rows * columns, max_size=rows * columns))
    return np.array(cells, dtype=np.uint8).reshape(rows, columns), n_clusters


@FAST
@given(label_grids(max_clusters=SLOTS))
def test_touching_clusters_of_one_digit_never_share_a_tint(grid):
    labels, n_clusters = grid
    _assert_touching_regions_differ(labels, n_clusters)


def _voronoi_labels(points: np.ndarray, size: int = 80) -> np.ndarray:
    axis = np.linspace(0.0, 1.0, size)
    xx, yy = np.meshgrid(axis, axis)
    grid = np.c_[xx.ravel(), yy.ravel()]
    distances = ((grid[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1).astype(np.uint8).reshape(xx.shape)


points_2d = st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1)),
    min_size=N_CLUSTERS_RANGE[0],
    max_size=N_CLUSTERS_RANGE[1],
    unique=True,
).map(np.array)


@settings(max_examples=60, deadline=None)
@given(points_2d)
def test_voronoi_regions_of_up_to_thirty_centroids_never_share_a_tint_with_a_neighbour(points):
    """The map's regions are Voronoi cells of k ≤ 30 centroids (what the app draws)."""
    _assert_touching_regions_differ(_voronoi_labels(points), len(points))


def test_a_cell_ringed_by_twelve_earlier_clusters_differs_from_all_of_them():
    """Twelve centroids around a thirteenth, numbered last: it touches every one of them.

    A Voronoi layout k-means can produce for any k ≥ 13 (the app allows k up to 30).
    """
    angles = np.linspace(0, 2 * np.pi, 13)[:-1]
    ring = np.c_[0.5 + 0.35 * np.cos(angles), 0.5 + 0.35 * np.sin(angles)]
    points = np.vstack([ring, [[0.5, 0.5]]])
    labels = _voronoi_labels(points, size=200)
    assert {(a, 12) for a in range(12)} <= neighbouring_clusters(labels)  # the set-up is what it claims
    _assert_touching_regions_differ(labels, len(points))


@pytest.mark.parametrize("n_clusters", [1, 2, 12, 30])
def test_a_single_region_or_no_borders_is_fine(n_clusters):
    slots = _assert_touching_regions_differ(np.zeros((5, 5), dtype=np.uint8), n_clusters)
    assert len(slots) == n_clusters


@st.composite
def colouring_problems(draw):
    """A small map: regions, touching pairs, a symmetric difference table over 10 entries, some
    regions fixed, the others each with an ordered list of entries to choose from."""
    n_regions = draw(st.integers(min_value=2, max_value=6))
    all_pairs = list(itertools.combinations(range(n_regions), 2))
    touching = draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=len(all_pairs)))
    upper = draw(st.lists(st.floats(0.5, 20), min_size=45, max_size=45))
    table = np.zeros((10, 10))
    table[np.triu_indices(10, 1)] = upper
    table = table + table.T
    fixed = {r: draw(st.integers(0, 9)) for r in range(n_regions) if draw(st.booleans())}
    choices = {r: draw(st.lists(st.integers(0, 9), min_size=1, max_size=4, unique=True))
               for r in range(n_regions) if r not in fixed}
    return n_regions, touching, table, fixed, choices


def _smallest_free_difference(touching, table, colours, fixed) -> float:
    return min((table[colours[a], colours[b]] for a, b in touching if a not in fixed or b not in fixed),
               default=np.inf)


@FAST
@given(colouring_problems())
def test_the_tint_search_is_exact_against_brute_force(problem):
    """Where some choice keeps every touching pair >= 10 apart, the search finds one; where none
    does, its smallest difference is the best possible to within the bisection's step (10/64)."""
    n_regions, touching, table, fixed, choices = problem
    free = sorted(choices)
    best = max(_smallest_free_difference(touching, table, {**fixed, **dict(zip(free, pick, strict=True))}, fixed)
               for pick in itertools.product(*(choices[r] for r in free)))
    colours = most_distinct_colouring(n_regions, touching, choices, fixed, table, 10.0)
    assert all(colours[r] == entry for r, entry in fixed.items())
    assert all(colours[r] in choices[r] for r in free)
    found = _smallest_free_difference(touching, table, colours, fixed)
    if best >= 10:
        assert found >= 10
    else:
        assert found >= best - 10 / 64
    # The same problem, its pairs given in another order, gets the same colours.
    assert most_distinct_colouring(n_regions, touching[::-1], choices, fixed, table, 10.0) == colours
