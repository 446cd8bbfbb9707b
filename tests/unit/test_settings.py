"""The one validator: every control value, the applied-settings store and the jobs' fields."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.settings import (
    DEFAULTS,
    N_CLUSTERS_RANGE,
    InvalidSettings,
    Settings,
    available_inits,
    limits,
    mesh_shape,
    min_mesh_step,
    validate,
    validate_k_range,
    validate_n_seeds,
    validate_store,
)


def test_the_defaults_are_valid():
    assert validate(DEFAULTS) == Settings(**DEFAULTS)


@pytest.mark.parametrize(("field", "value", "words"), [
    ("n_clusters", 99, "k (clusters) must be a whole number from 2 to 30; got 99."),
    ("n_clusters", None, "k (clusters) must be a whole number from 2 to 30; the field holds no number."),
    ("n_init", 2.5, "n_init must be a whole number from 1 to 50; got 2.5."),
    ("seed", -1, "Random seed must be a whole number from 0 to 4294967295; got -1."),
    ("init_method", "kmeans", "Init method must be one of k-means++, random, PCA-based; got 'kmeans'."),
    ("dataset", "mnist", "Dataset must be one of digits, iris, wine, breast_cancer; got 'mnist'."),
    ("mesh_step", 0, "Mesh step must be a positive number"),
    ("mesh_step", 5, "Mesh step must be at most 1: a coarser mesh shows nothing; got 5."),
])
def test_a_bad_value_is_named_with_what_was_received_and_the_range(field, value, words):
    with pytest.raises(InvalidSettings) as refused:
        validate({**DEFAULTS, field: value})
    assert words in refused.value.by_field[field]


@pytest.mark.parametrize("value", [True, "10", float("nan"), float("inf"), 10**400, [10], {"k": 10}])
def test_values_of_the_wrong_type_are_refused(value):
    with pytest.raises(InvalidSettings) as refused:
        validate({**DEFAULTS, "n_clusters": value})
    assert set(refused.value.by_field) == {"n_clusters"}


def test_every_problem_is_named_at_once():
    with pytest.raises(InvalidSettings) as refused:
        validate({**DEFAULTS, "n_clusters": 1, "seed": "x", "mesh_step": None})
    assert set(refused.value.by_field) == {"n_clusters", "seed", "mesh_step"}


def test_pca_based_never_blocks_on_the_fields_it_ignores():
    settings = validate({**DEFAULTS, "init_method": "PCA-based", "n_init": "junk", "seed": None},
                        fallback={"n_init": 7, "seed": 3})
    assert (settings.n_init, settings.seed) == (7, 3)


def test_pca_based_is_refused_past_the_number_of_features():
    with pytest.raises(InvalidSettings) as refused:
        validate({**DEFAULTS, "dataset": "iris", "init_method": "PCA-based", "n_clusters": 5})
    assert "at most 4 (the number of features); got 5" in refused.value.by_field["n_clusters"]
    assert available_inits("iris", 5) == ("k-means++", "random")
    assert validate({**DEFAULTS, "dataset": "iris", "n_clusters": 5}).n_clusters == 5


def test_the_store_must_hold_exactly_the_settings():
    assert validate_store(Settings(**DEFAULTS).as_store()) == Settings(**DEFAULTS)
    for forged in (None, [], {"n_clusters": 10}, {**DEFAULTS, "extra": 1}, {**DEFAULTS, "n_clusters": 999}):
        with pytest.raises(InvalidSettings):
            validate_store(forged)


def test_the_jobs_fields():
    assert validate_k_range(2, 30) == (2, 30)
    assert validate_k_range(2, 4, "iris", "PCA-based") == (2, 4)
    with pytest.raises(InvalidSettings) as refused:
        validate_k_range(None, 5, "iris", "PCA-based")
    assert refused.value.by_field == {
        "k_min": "Sweep from k must be a whole number from 2 to 3; the field holds no number.",
        "k_max": "Sweep to k must be a whole number from 3 to 4; got 5."}
    with pytest.raises(InvalidSettings, match="larger than sweep from k"):
        validate_k_range(9, 9)
    assert validate_n_seeds(20) == 20
    with pytest.raises(InvalidSettings, match="Seeds must be a whole number from 2 to 100; got 1000000000.0"):
        validate_n_seeds(1e9)


@given(st.sampled_from(["digits", "iris", "wine", "breast_cancer"]))
def test_the_finest_mesh_step_keeps_the_mesh_within_its_cell_budget(key):
    allowed = limits(key)
    finest = allowed.mesh_range[0]
    from core.datasets import load

    extent = load(key).extent
    assert math.prod(mesh_shape(extent, finest)) <= 2_000_000
    assert math.prod(mesh_shape(extent, round(finest - 0.001, 3))) > 2_000_000 or finest <= 0.001
    assert allowed.k_range == N_CLUSTERS_RANGE
    assert min_mesh_step(extent) == finest


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
                 st.lists(st.integers(), max_size=2)))
def test_any_value_is_either_validated_or_refused_with_a_message(value):
    try:
        settings = validate({**DEFAULTS, "n_clusters": value})
    except InvalidSettings as refused:
        assert refused.by_field["n_clusters"].startswith("k (clusters) must be")
    else:
        assert isinstance(settings.n_clusters, int) and 2 <= settings.n_clusters <= 30
