"""The k sweep and seed stability against direct scikit-learn calls (small ranges: CI time)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from core import datasets, sweeps
from core.limits import limits
from core.work import JOB_WORK_MAX

DIGITS = load_digits()
X = StandardScaler().fit_transform(DIGITS.data)
Y = DIGITS.target


def direct(init: str, k: int, n_init: int, seed: int) -> dict[str, float]:
    """The metrics the way scikit-learn's example computes them, from scratch."""
    if init == "PCA-based":
        model = KMeans(init=PCA(n_components=k).fit(X).components_, n_clusters=k, n_init=1).fit(X)
    else:
        model = KMeans(init=init, n_clusters=k, n_init=n_init, random_state=seed).fit(X)
    labels = model.labels_
    # Clusters matched one to one to digits (Hungarian), on scikit-learn's contingency table.
    table = metrics.cluster.contingency_matrix(labels, Y)
    rows, columns = linear_sum_assignment(table, maximize=True)
    return {
        "matched_accuracy": table[rows, columns].sum() / len(Y),
        "inertia": model.inertia_,
        "silhouette": metrics.silhouette_score(X, labels, metric="euclidean"),
        "adjusted_rand": metrics.adjusted_rand_score(Y, labels),
        "adjusted_mutual_info": metrics.adjusted_mutual_info_score(Y, labels),
    }


@pytest.mark.parametrize("init", ["k-means++", "random", "PCA-based"])
def test_k_sweep_equals_scikit_learn_at_every_k(init):
    seen = []
    sweep = sweeps.k_sweep("digits", init, (2, 5), n_init=2, seed=7,
                           progress=lambda done, total: seen.append((done, total)))
    assert sweep.ks == [2, 3, 4, 5]
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    for point in sweep.points:
        expected = direct(init, point.n_clusters, 2, 7)
        for name, value in expected.items():
            assert getattr(point, name) == pytest.approx(value, rel=1e-9, abs=1e-12), (point.n_clusters, name)


def test_k_sweep_is_cancelled_between_fits():
    calls = []

    def cancelled():
        calls.append(1)
        return len(calls) > 2  # let two fits run, stop before the third

    progress = []
    with pytest.raises(sweeps.JobCancelled):
        sweeps.k_sweep("digits", "k-means++", (2, 30), 1, 0, progress=lambda d, t: progress.append(d),
                       cancelled=cancelled)
    assert progress == [1, 2]


@pytest.mark.parametrize("k_range", [(1, 5), (5, 5), (6, 3), (2, 31)])
def test_k_sweep_refuses_a_bad_range(k_range):
    with pytest.raises(ValueError):
        sweeps.k_sweep("digits", "k-means++", k_range, 1, 0)


def test_stability_statistics_equal_direct_calls():
    progress = []
    result = sweeps.seed_stability("digits", n_clusters=4, n_init=1, first_seed=2**32 - 2, n_seeds=3,
                                   progress=lambda done, total: progress.append((done, total)))
    assert result.seeds == (2**32 - 2, 2**32 - 1, 0)  # wraps past the largest seed
    # Three seeds for each seeded init, one fit for PCA-based.
    assert progress == [(i, 7) for i in range(1, 8)]
    by_init = result.by_init()
    for init in ("k-means++", "random"):
        per_seed = [direct(init, 4, 1, seed) for seed in result.seeds]
        for name in sweeps.METRICS:
            values = np.array([row[name] for row in per_seed])
            got = by_init[init].metrics[name]
            assert got.values == pytest.approx(values.tolist(), rel=1e-9)
            assert got.mean == pytest.approx(values.mean(), rel=1e-9)
            assert got.sd == pytest.approx(values.std(ddof=1), rel=1e-9)
            assert (got.low, got.high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])), rel=1e-9)
        assert not by_init[init].deterministic


def test_stability_fits_pca_based_once_with_zero_spread():
    result = sweeps.seed_stability("digits", n_clusters=3, n_init=1, first_seed=0, n_seeds=2)
    pca = result.by_init()["PCA-based"]
    assert pca.deterministic
    expected = direct("PCA-based", 3, 1, 0)
    for name in sweeps.METRICS:
        value, spread = expected[name], pca.metrics[name]
        assert len(spread.values) == 1
        assert spread.mean == pytest.approx(value, rel=1e-9)
        assert spread.sd == 0 and spread.low == spread.high == spread.mean


@pytest.mark.parametrize("n_seeds", [1, 101])
def test_stability_refuses_a_bad_seed_count(n_seeds):
    with pytest.raises(ValueError):
        sweeps.seed_stability("digits", 3, 1, 0, n_seeds)


def test_results_travel_as_json_and_come_back_equal():
    import dataclasses
    import json

    sweep = sweeps.k_sweep("digits", "k-means++", (2, 4), 1, 0)
    assert sweeps.KSweep.from_dict(json.loads(json.dumps(dataclasses.asdict(sweep)))) == sweep
    stability = sweeps.seed_stability("iris", 3, 1, 0, 2)
    assert sweeps.Stability.from_dict(json.loads(json.dumps(dataclasses.asdict(stability)))) == stability


def test_stability_leaves_out_pca_based_past_the_number_of_features():
    result = sweeps.seed_stability("iris", 5, 1, 0, 2)
    assert [row.init_method for row in result.inits] == ["k-means++", "random"]
    assert sweeps.stability_fit_count("iris", 5, 2) == 4


HEAVY = "upload-test-heavy-job"


@pytest.fixture
def heavy(dataset_source):
    """20,000 rows × 100 columns: a full sweep at n_init 50, or 100 seeds at k 30, n_init 13, is too heavy."""
    features = np.random.default_rng(0).normal(size=(20_000, 100))
    data = datasets.prepare(datasets.DatasetInfo(HEAVY, "Heavy", "rows", "", ""), features, None, (),
                            tuple(f"c{i}" for i in range(100)))
    return dataset_source(data)


def _never_asked():
    raise AssertionError("a job too heavy to finish must stop before its first fit")


def test_a_job_too_heavy_to_finish_stops_before_its_first_fit(heavy):
    allowed = limits(HEAVY)
    assert allowed.sweep_work(2, 30, 50) > JOB_WORK_MAX and allowed.stability_work(30, 13, 100) > JOB_WORK_MAX
    with pytest.raises(ValueError, match="JOB_WORK_MAX"):
        sweeps.k_sweep(HEAVY, "k-means++", (2, 30), 50, 0, progress=lambda d, t: _never_asked(),
                       cancelled=_never_asked)
    with pytest.raises(ValueError, match="JOB_WORK_MAX"):
        sweeps.seed_stability(HEAVY, 30, 13, 0, 100, progress=lambda d, t: _never_asked(), cancelled=_never_asked)
