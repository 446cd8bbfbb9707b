"""The one validator: every control value, the applied-settings store and the jobs' fields."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning

from core import datasets
from core.datasets import DISTINCT_COUNTED, count_distinct_rows, load
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


# --- k past the distinct rows ------------------------------------------------------------------

FEW = "upload-test-few-distinct"


@pytest.fixture
def few_distinct(dataset_source):
    """60 rows, 12 of them distinct (one written with -0.0 where its twin has 0.0), in their own units."""
    base = np.random.default_rng(1).integers(-5, 5, size=(12, 3)).astype(float)
    base[0, 0] = 0.0
    twin = base[:1].copy()
    twin[0, 0] = -0.0
    features = np.vstack([np.repeat(base, 5, axis=0)[:-1], twin])
    info = datasets.DatasetInfo(FEW, "Few", "rows", "", "")
    data = datasets.prepare(info, features, None, (), ("a", "b", "c"), standardize=False)
    return dataset_source(data)


def test_k_stops_at_the_distinct_rows_and_the_message_names_their_count(few_distinct):
    data = few_distinct
    assert data.n_samples == 60 and data.distinct_rows == 12 == len(np.unique(data.scaled + 0.0, axis=0))
    assert limits(FEW).k_range == (2, 12)
    # scikit-learn finds 12 clusters, none empty, at k 12, and says at k 13 that it found only 12.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = KMeans(n_clusters=12, n_init=1, random_state=0).fit(data.scaled).labels_
    assert np.bincount(found, minlength=12).min() > 0
    with pytest.warns(ConvergenceWarning, match=r"Number of distinct clusters \(12\) found smaller than n_clusters"):
        KMeans(n_clusters=13, n_init=1, random_state=0).fit(data.scaled)
    assert validate({**DEFAULTS, "dataset": FEW, "n_clusters": 12}).n_clusters == 12
    with pytest.raises(InvalidSettings) as refused:
        validate({**DEFAULTS, "dataset": FEW, "n_clusters": 30})
    assert refused.value.by_field == {
        "n_clusters": "k (clusters) must be a whole number from 2 to 12 (this data has only 12 distinct rows); got 30."}
    with pytest.raises(InvalidSettings) as refused:
        validate_k_range(2, 13, FEW)
    assert refused.value.by_field == {
        "k_max": "Sweep to k must be a whole number from 3 to 12 (this data has only 12 distinct rows); got 13."}


@pytest.mark.parametrize("key", ["digits", "iris", "wine", "breast_cancer"])
def test_the_built_in_datasets_count_their_distinct_rows(key):
    data = load(key)
    assert data.distinct_rows == min(len(np.unique(data.scaled, axis=0)), DISTINCT_COUNTED)
    assert limits(key).k_range == N_CLUSTERS_RANGE  # every one has more than 30
    assert limits(key).k_reason == ""


@pytest.mark.parametrize("distinct", [12, DISTINCT_COUNTED - 1, DISTINCT_COUNTED + 5])
def test_distinct_rows_are_counted_exactly_up_to_enough_even_when_the_first_rows_repeat(distinct):
    rows = np.random.default_rng(1).normal(size=(distinct, 3))
    # The first 4 × DISTINCT_COUNTED rows hold one row only; the others come after them.
    scaled = np.vstack([np.repeat(rows[:1], 4 * DISTINCT_COUNTED, axis=0), rows[1:], rows[1:]])
    assert count_distinct_rows(scaled) == min(distinct, DISTINCT_COUNTED)


def test_a_sweep_needs_two_values_of_k(dataset_source):
    info = datasets.DatasetInfo("upload-test-two", "Two", "rows", "", "")
    data = datasets.prepare(info, np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]), None, (), ("a", "b"))
    dataset_source(data)
    assert limits("upload-test-two").k_range == (2, 2)
    with pytest.raises(InvalidSettings) as refused:
        validate_k_range(2, 3, "upload-test-two")
    assert refused.value.by_field == {
        "k_max": "A k sweep needs two values of k or more; this data allows only k 2 (this data has only 2 distinct "
                 "rows)."}


def test_a_pca_based_sweep_on_two_features_blames_pca_based_not_the_data(dataset_source):
    info = datasets.DatasetInfo("upload-test-plane", "Plane", "rows", "", "")
    data = datasets.prepare(info, np.random.default_rng(0).normal(size=(50, 2)), None, (), ("a", "b"))
    dataset_source(data)
    assert validate_k_range(2, 5, "upload-test-plane", "k-means++") == (2, 5)
    with pytest.raises(InvalidSettings) as refused:
        validate_k_range(2, 5, "upload-test-plane", "PCA-based")
    assert refused.value.by_field == {"k_max": "A k sweep needs two values of k or more; PCA-based seeding, which "
                                               "takes k ≤ the number of features, allows only k 2."}
