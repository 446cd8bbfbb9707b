"""The core of "what K-means found": contingency, Hungarian matching, names, accuracy, purity,
chance, members and centroid pixels, each recomputed here with direct scipy / scikit-learn calls."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.metrics.cluster import contingency_matrix
from sklearn.preprocessing import StandardScaler

from core import data
from core.clustering import make_kmeans
from core.matching import (
    CHANCE_SEED,
    CHANCE_SHUFFLES,
    chance_accuracy,
    cluster_members,
    confusions,
    match_clusters,
)
from core.pixels import centroid_pixels

CASES = [("k-means++", 10, 4, 0), ("random", 10, 2, 42), ("PCA-based", 10, 1, 0),
         ("k-means++", 2, 2, 3), ("random", 30, 1, 7), ("k-means++", 13, 2, 1)]


@pytest.fixture(scope="module")
def digits():
    return data.load()


def _labels(digits, init, k, n_init, seed) -> np.ndarray:
    return make_kmeans(init, k, n_init, seed, digits.scaled).fit(digits.scaled).labels_


@pytest.fixture(scope="module")
def fitted(digits):
    return {case: _labels(digits, *case) for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_matching_is_the_hungarian_method_on_the_contingency_table(digits, fitted, case):
    k = case[1]
    labels, truth = fitted[case], digits.target
    matching = match_clusters(truth, labels, k)
    direct = contingency_matrix(labels, truth)  # every cluster of a KMeans fit has members
    np.testing.assert_array_equal(matching.contingency, direct)
    rows, columns = linear_sum_assignment(direct, maximize=True)
    assert matching.matched_count == direct[rows, columns].sum()
    assert matching.accuracy == direct[rows, columns].sum() / 1797
    assert matching.purity == direct.max(axis=1).sum() / 1797
    # Matched clusters stand for their assigned digit; any other for its majority digit.
    np.testing.assert_array_equal(matching.digit[rows], columns)
    unmatched = np.setdiff1d(np.arange(k), rows)
    np.testing.assert_array_equal(matching.digit[unmatched], direct[unmatched].argmax(axis=1))
    assert matching.matched.sum() == min(k, 10)


@pytest.mark.parametrize("case", CASES)
def test_names_say_which_digit_and_mark_extras(fitted, digits, case):
    k = case[1]
    matching = match_clusters(digits.target, fitted[case], k)
    assert len(set(matching.names)) == k
    for cluster, name in enumerate(matching.names):
        digit = str(matching.digit[cluster])
        if matching.matched[cluster]:
            assert name == digit
        else:  # "7′", "7″", ...: the digit, then a prime mark
            assert name.startswith(digit) and name != digit and name[1] in "′″‴⁗"
    # Display order: by digit, the matched cluster first, then extras larger first.
    ordered = [matching.names[c] for c in matching.order]
    assert [int(name[0]) for name in ordered] == sorted(int(name[0]) for name in ordered)
    sizes = matching.sizes
    for first, second in zip(matching.order, matching.order[1:]):
        if matching.digit[first] == matching.digit[second]:
            assert matching.matched[first] or not matching.matched[second]
            if not matching.matched[first]:
                assert sizes[first] >= sizes[second]


def test_extras_appear_only_past_ten_clusters(fitted, digits):
    assert not any("′" in name for name in match_clusters(digits.target, fitted["k-means++", 10, 4, 0], 10).names)
    thirty = match_clusters(digits.target, fitted["random", 30, 1, 7], 30)
    assert sorted(name for name in thirty.names if len(name) == 1) == [str(d) for d in range(10)]
    assert sum(len(name) > 1 for name in thirty.names) == 20


def test_names_do_not_depend_on_how_kmeans_numbered_its_clusters(fitted, digits):
    labels = fitted["k-means++", 13, 2, 1]
    renumber = np.random.default_rng(5).permutation(13)
    before = match_clusters(digits.target, labels, 13)
    after = match_clusters(digits.target, renumber[labels], 13)
    for cluster in range(13):
        assert after.names[renumber[cluster]] == before.names[cluster]
        assert after.digit[renumber[cluster]] == before.digit[cluster]


@pytest.mark.parametrize("seeds", [(0, 12), (1, 2), (9, 10)])
def test_two_seeds_that_find_the_same_digits_give_them_the_same_names(digits, seeds):
    """Seeds whose fits agree (ARI > 0.99) but number their clusters differently: each cluster
    keeps its name, so its colour, in every view."""
    fits = [KMeans(n_clusters=10, n_init=10, random_state=seed).fit(digits.scaled).labels_ for seed in seeds]
    assert (fits[0] != fits[1]).mean() > 0.5, "KMeans numbered the clusters alike: nothing to test"
    first, second = (match_clusters(digits.target, labels, 10) for labels in fits)
    for cluster in range(10):
        counterpart = np.bincount(fits[1][fits[0] == cluster], minlength=10).argmax()
        assert first.names[cluster] == second.names[counterpart]
        assert first.digit[cluster] == second.digit[counterpart]


@pytest.mark.parametrize("case", [CASES[0], CASES[3], CASES[4]])
def test_chance_is_the_matched_accuracy_of_shuffled_clusters(fitted, digits, case):
    labels, k = fitted[case], case[1]
    rng = np.random.default_rng(CHANCE_SEED)
    scores = []
    for _ in range(CHANCE_SHUFFLES):
        table = contingency_matrix(rng.permutation(labels), digits.target)
        rows, columns = linear_sum_assignment(table, maximize=True)
        scores.append(table[rows, columns].sum() / 1797)
    assert chance_accuracy(digits.target, labels, k) == pytest.approx(np.mean(scores), abs=1e-12)
    assert 0.05 < np.mean(scores) < 0.25


def test_confusions_are_the_largest_off_target_cells(fitted, digits):
    matching = match_clusters(digits.target, fitted["k-means++", 10, 4, 0], 10)
    off = matching.contingency.copy()
    off[np.arange(10), matching.digit] = 0
    top = sorted(off.ravel().tolist(), reverse=True)[:3]
    assert [count for count, _, _ in confusions(matching)] == top
    for count, true, found in confusions(matching):
        cluster = int(np.flatnonzero(matching.digit == found)[0])
        assert matching.contingency[cluster, true] == count


def test_members_are_the_nearest_to_the_centroid_and_misfits_are_other_digits(digits):
    model = KMeans(n_clusters=10, n_init=2, random_state=0).fit(digits.scaled)
    matching = match_clusters(digits.target, model.labels_, 10)
    for cluster in (0, 5):
        digit = int(matching.digit[cluster])
        found = cluster_members(digits.scaled, model.cluster_centers_[cluster], model.labels_, digits.target,
                                cluster, digit)
        members = np.flatnonzero(model.labels_ == cluster)
        distances = ((digits.scaled[members] - model.cluster_centers_[cluster]) ** 2).sum(axis=1)
        nearest = members[np.argsort(distances, kind="stable")]
        assert found.typical == tuple(nearest[:24].tolist())
        wrong = nearest[digits.target[nearest] != digit]
        assert found.misfits == tuple(wrong[:24].tolist()) and found.n_misfits == len(wrong)
        assert found.size == len(members)


def test_centroid_pixels_are_the_scalers_inverse(digits):
    raw = load_digits().data
    scaler = StandardScaler().fit(raw)
    model = KMeans(n_clusters=4, n_init=1, random_state=0).fit(scaler.transform(raw))
    pixels = centroid_pixels(model.cluster_centers_, digits.scaler)
    np.testing.assert_allclose(pixels, np.clip(scaler.inverse_transform(model.cluster_centers_), 0, 16)
                               .reshape(4, 8, 8))
    # A centroid's image is its members' mean image.
    np.testing.assert_allclose(pixels[0].ravel(), raw[model.labels_ == 0].mean(axis=0), atol=0.05)
