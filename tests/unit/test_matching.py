"""Clusters matched to classes (Hungarian), named, and named honestly: "mostly N" and "mixed"."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics.cluster import contingency_matrix

from core import datasets
from core.clustering import fit_cached
from core.matching import chance_accuracy, cluster_members, confusions, match_clusters, matching_for

DIGITS = tuple(str(d) for d in range(10))


def _matching(truth, labels, k, names=("a", "b", "c"), suffix=""):
    return match_clusters(np.asarray(truth), np.asarray(labels), k, names, suffix)


def test_the_matched_accuracy_is_scipys_hungarian_on_sklearns_contingency():
    data = datasets.load()
    labels = KMeans(n_clusters=10, n_init=4, random_state=0).fit(data.scaled).labels_
    matching = matching_for(data, labels, 10)
    table = contingency_matrix(data.target, labels)
    rows, columns = linear_sum_assignment(table, maximize=True)
    assert matching.matched_count == table[rows, columns].sum()
    assert matching.accuracy == pytest.approx(table[rows, columns].sum() / len(labels))
    assert matching.purity == pytest.approx(table.max(axis=0).sum() / len(labels))


def test_a_cluster_matched_to_a_class_it_mostly_lacks_says_what_it_mostly_holds():
    # Cluster 0: 6 b and 4 a; cluster 1: 5 b. The matching gives cluster 0 to a (4) and cluster 1 to
    # b (5), the best total; so cluster 0 is "a", yet mostly b.
    truth = [0] * 4 + [1] * 6 + [1] * 5
    labels = [0] * 10 + [1] * 5
    matching = _matching(truth, labels, 2, ("a", "b"))
    assert matching.names == ("a", "b")
    assert matching.mostly(0) == "mostly b" and matching.label(0) == "a · mostly b"
    assert matching.mixed(0)  # its own class is 40% of it
    assert matching.mostly(1) == "" and matching.label(1) == "b" and not matching.mixed(1)


def test_a_tie_names_both_classes():
    truth = [0, 0, 1, 1, 2]
    labels = [0, 0, 0, 0, 1]
    matching = _matching(truth, labels, 2, ("1", "8", "9"), "s")
    assert int(matching.stands_for[0]) in (0, 1)
    assert matching.majority(0) == (0, 1)
    assert matching.mostly(0) == "mostly 1s and 8s"


def test_extras_are_named_after_their_majority_larger_first():
    truth = [0] * 10 + [0] * 6 + [0] * 3 + [1] * 8
    labels = [0] * 10 + [1] * 6 + [2] * 3 + [3] * 8
    matching = _matching(truth, labels, 4, ("7", "9"), "s")
    assert sorted(matching.names) == ["7", "7′", "7″", "9"]
    assert matching.names[1] == "7′" and matching.names[2] == "7″"


def test_names_follow_the_clusters_not_their_numbers():
    # The same partition numbered otherwise gets the same names, cluster for cluster.
    data = datasets.load()
    labels = fit_cached("digits", "k-means++", 10, 4, 0).labels
    renumbered = (labels + 3) % 10
    first, second = matching_for(data, labels, 10), matching_for(data, renumbered, 10)
    for cluster in range(10):
        assert first.names[cluster] == second.names[(cluster + 3) % 10]


def test_every_digit_cluster_label_is_true_to_its_contents():
    data = datasets.load()
    for init, seed in (("k-means++", 0), ("random", 3), ("PCA-based", 0)):
        fitted = fit_cached("digits", init, 10, 10 if init != "PCA-based" else 1, seed if init != "PCA-based" else 0)
        matching = matching_for(data, fitted.labels, 10)
        for cluster in range(10):
            counts = np.bincount(data.target[fitted.labels == cluster], minlength=10)
            most = set(np.flatnonzero(counts == counts.max()).tolist())
            named = int(matching.stands_for[cluster])
            if most == {named}:
                assert "mostly" not in matching.label(cluster)
            else:
                for digit in most:
                    assert f"{digit}s" in matching.mostly(cluster)
            assert matching.mixed(cluster) == (counts[named] / counts.sum() < 0.5)


def test_confusions_name_the_cluster_they_landed_in():
    truth = [0] * 5 + [1] * 3 + [1] * 4
    labels = [0] * 8 + [1] * 4
    matching = _matching(truth, labels, 2, ("a", "b"))
    assert confusions(matching) == [(3, 1, 0)]


def test_chance_is_near_one_over_the_classes_for_equal_clusters():
    data = datasets.load()
    labels = np.arange(len(data.target)) % 10
    assert 0.10 <= chance_accuracy(data.target, labels, 10, 10) <= 0.16


def test_members_are_the_nearest_first_and_misfits_are_the_other_classes():
    features = np.array([[0.0], [3.0], [1.0], [2.0], [9.0]])
    labels = np.array([0, 0, 0, 0, 1])
    truth = np.array([0, 1, 0, 0, 1])
    members = cluster_members(features, np.array([0.0]), labels, truth, 0, 0, limit=3)
    assert members.typical == (0, 2, 3) and members.misfits == (1,) and members.size == 4
