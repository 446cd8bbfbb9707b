"""The pure core against direct scikit-learn calls for the same configuration and seed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.preprocessing import scale

from core import data
from core.boundary import decision_boundary, fit_plane, mesh
from core.clustering import benchmark_inits, fit_full
from core.settings import Settings, mesh_shape


@pytest.fixture(scope="module")
def digits():
    return data.load()


def test_data_is_the_standardized_digits(digits):
    raw = load_digits()
    assert digits.scaled.shape == (1797, 64)
    np.testing.assert_allclose(digits.scaled, scale(raw.data), atol=1e-12)
    np.testing.assert_array_equal(digits.target, raw.target)
    np.testing.assert_allclose(digits.reduced, PCA(n_components=2).fit_transform(scale(raw.data)), atol=1e-9)


def test_shared_arrays_are_read_only(digits):
    for array in (digits.scaled, digits.target, digits.reduced, digits.distances):
        with pytest.raises(ValueError):
            array[0] = 0


def _direct_row(init, k, n_init, seed, features, truth):
    """The example's bench_k_means, written out with scikit-learn calls only."""
    if init == "PCA-based":
        estimator = KMeans(init=PCA(n_components=k).fit(features).components_, n_clusters=k, n_init=1,
                           random_state=seed)
    else:
        estimator = KMeans(init=init, n_clusters=k, n_init=n_init, random_state=seed)
    found = estimator.fit(features).labels_
    return {
        "inertia": estimator.inertia_,
        "homogeneity": metrics.homogeneity_score(truth, found),
        "completeness": metrics.completeness_score(truth, found),
        "v_measure": metrics.v_measure_score(truth, found),
        "adjusted_rand": metrics.adjusted_rand_score(truth, found),
        "adjusted_mutual_info": metrics.adjusted_mutual_info_score(truth, found),
        "silhouette": metrics.silhouette_score(features, found, metric="euclidean"),
    }


@pytest.mark.parametrize(("k", "n_init", "seed"), [(10, 10, 0), (7, 3, 42)])
def test_table_equals_scikit_learn(digits, k, n_init, seed):
    rows = benchmark_inits(k, n_init, seed)
    assert [row.init_method for row in rows] == ["k-means++", "random", "PCA-based"]
    for row in rows:
        expected = _direct_row(row.init_method, k, n_init, seed, digits.scaled, digits.target)
        for name, value in expected.items():
            # Same fit, same labels: equal to the last bit, except the silhouette, which
            # sums precomputed distances in another order.
            tolerance = 1e-12 if name == "silhouette" else 0
            assert getattr(row, name) == pytest.approx(value, rel=tolerance, abs=tolerance), name
        assert 0 < row.fit_seconds < 30


def test_more_runs_never_raise_the_best_inertia():
    # n_init keeps the best of its runs, and the first run uses the same seed stream.
    assert fit_full("k-means++", 10, 10, 0).inertia <= fit_full("k-means++", 10, 1, 0).inertia


def test_pca_based_is_deterministic_and_ignores_the_seed():
    fit_full.cache_clear()
    first = fit_full("PCA-based", 10, 1, 0)
    fit_full.cache_clear()
    again = fit_full("PCA-based", 10, 1, 0)
    other_seed = fit_full("PCA-based", 10, 1, 12345)
    for fit in (again, other_seed):
        np.testing.assert_array_equal(fit.labels, first.labels)
        np.testing.assert_array_equal(fit.centers, first.centers)
        assert fit.inertia == first.inertia


@pytest.mark.parametrize("extra", [0, 1, 255, 257, 100_003])
def test_predicting_a_mesh_in_halves_gives_exactly_predict_s_labels(digits, extra):
    from core.boundary import SPLIT_FROM, predict_mesh

    model = KMeans(n_clusters=7, n_init=1, random_state=3).fit(digits.reduced)
    rng = np.random.default_rng(extra)
    points = rng.uniform(-8, 8, size=(2 * SPLIT_FROM + extra, 2))
    np.testing.assert_array_equal(predict_mesh(model, points), model.predict(points))


def test_seed_changes_the_randomly_seeded_fits():
    a, b = fit_full("random", 10, 1, 0), fit_full("random", 10, 1, 1)
    assert not np.array_equal(a.labels, b.labels)


@pytest.mark.parametrize(
    "settings",
    [Settings("k-means++", 10, 10, 0, 0.02), Settings("random", 3, 5, 7, 0.25), Settings("PCA-based", 10, 12, 0, 0.1)],
    ids=lambda s: f"{s.init_method}-k{s.n_clusters}-h{s.mesh_step}",
)
def test_boundary_labels_equal_kmeans_predict_on_the_mesh(digits, settings):
    boundary = decision_boundary(settings)
    if settings.init_method == "PCA-based":
        seeds = digits.pca_plane.transform(fit_full("PCA-based", settings.n_clusters, 1, settings.seed).centers)
        model = KMeans(init=seeds, n_clusters=settings.n_clusters, n_init=1, random_state=settings.seed)
    else:
        model = KMeans(init=settings.init_method, n_clusters=settings.n_clusters, n_init=settings.n_init,
                       random_state=settings.seed)
    model.fit(digits.reduced)
    xs, ys = mesh(digits.extent, settings.mesh_step)
    xx, yy = np.meshgrid(xs, ys)
    expected = model.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    np.testing.assert_array_equal(boundary.labels, expected)
    assert boundary.labels.shape == mesh_shape(digits.extent, settings.mesh_step)
    np.testing.assert_allclose(boundary.centroids, model.cluster_centers_)
    assert boundary.cluster_sizes.sum() == digits.n_samples
    assert len(boundary.centroids) == settings.n_clusters


def test_pca_based_plane_starts_from_the_projected_64d_centroids(digits):
    fit_plane.cache_clear()
    first = fit_plane("PCA-based", 10, 1, 0).cluster_centers_
    fit_plane.cache_clear()
    np.testing.assert_array_equal(fit_plane("PCA-based", 10, 1, 99).cluster_centers_, first)


def test_mesh_step_changes_resolution_but_not_the_fit():
    fine = decision_boundary(Settings("k-means++", 10, 10, 0, 0.05))
    coarse = decision_boundary(Settings("k-means++", 10, 10, 0, 0.5))
    np.testing.assert_array_equal(fine.centroids, coarse.centroids)
    assert fine.labels.size > 50 * coarse.labels.size


def test_repeated_settings_reuse_the_cached_result():
    settings = Settings("random", 4, 6, 3, 0.3)
    assert decision_boundary(settings) is decision_boundary(Settings("random", 4, 6, 3, 0.3))
    assert benchmark_inits(6, 4, 3) is benchmark_inits(6, 4, 3)
