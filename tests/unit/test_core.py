"""The pure core against direct scikit-learn calls for the same configuration and seed."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import datasets as sklearn_datasets
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import scale

from core import datasets
from core.boundary import decision_boundary, fit_plane, mesh
from core.clustering import SILHOUETTE_SAMPLE, SILHOUETTE_SEED, fit_cached, row_keys, silhouette, table_row
from core.settings import Settings, mesh_shape

LOADERS = {"digits": sklearn_datasets.load_digits, "iris": sklearn_datasets.load_iris,
           "wine": sklearn_datasets.load_wine, "breast_cancer": sklearn_datasets.load_breast_cancer}


@pytest.mark.parametrize("key", sorted(LOADERS))
def test_each_dataset_is_scikit_learns_standardized(key):
    raw, data = LOADERS[key](), datasets.load(key)
    np.testing.assert_allclose(data.scaled, scale(raw.data), atol=1e-12)
    np.testing.assert_array_equal(data.target, raw.target)
    np.testing.assert_allclose(np.abs(data.reduced), np.abs(PCA(n_components=2).fit_transform(scale(raw.data))),
                               atol=1e-9)
    assert data.n_classes == len(np.unique(raw.target))
    assert (data.images is not None) == (key == "digits")


def test_shared_arrays_are_read_only():
    data = datasets.load()
    for array in (data.scaled, data.target, data.reduced, data.distances, data.features):
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


@pytest.mark.parametrize(("key", "k", "n_init", "seed"),
                         [("digits", 10, 10, 0), ("digits", 7, 3, 42), ("iris", 3, 4, 0), ("wine", 3, 4, 0),
                          ("breast_cancer", 2, 4, 0)])
def test_table_rows_equal_scikit_learn(key, k, n_init, seed):
    data = datasets.load(key)
    rows = [table_row(*row_key) for row_key in row_keys(key, k, n_init, seed)]
    assert [row.fit.init_method for row in rows] == ["k-means++", "random", "PCA-based"]
    for row in rows:
        expected = _direct_row(row.fit.init_method, k, n_init, seed, data.scaled, data.target)
        for name, value in expected.items():
            # Same fit, same labels: equal to the last bit, except the silhouette, which sums
            # precomputed distances in another order.
            tolerance = 1e-12 if name == "silhouette" else 0
            assert getattr(row.scores, name) == pytest.approx(value, rel=tolerance, abs=tolerance), name
        assert 0 < row.scores.fit_seconds < 30


def test_pca_based_is_left_out_past_the_number_of_features():
    assert [key[1] for key in row_keys("iris", 4, 10, 0)] == ["k-means++", "random", "PCA-based"]
    assert [key[1] for key in row_keys("iris", 5, 10, 0)] == ["k-means++", "random"]


def test_pca_based_is_deterministic_and_ignores_the_seed():
    keys = [row_keys("digits", 10, n_init, seed)[2] for n_init, seed in ((10, 0), (3, 12345))]
    assert keys[0] == keys[1]  # the same row, whatever n_init and seed say
    first, again = table_row(*keys[0]), table_row(*keys[1])
    np.testing.assert_array_equal(first.fit.labels, again.fit.labels)
    assert first.fit.inertia == again.fit.inertia


def test_the_seed_changes_the_randomly_seeded_fits():
    a, b = fit_cached("digits", "random", 10, 1, 0), fit_cached("digits", "random", 10, 1, 1)
    assert not np.array_equal(a.labels, b.labels)


@pytest.mark.parametrize(
    "settings",
    [Settings("digits", "k-means++", 10, 10, 0, 0.02), Settings("digits", "random", 3, 5, 7, 0.25),
     Settings("digits", "PCA-based", 10, 12, 0, 0.1), Settings("iris", "k-means++", 4, 3, 1, 0.05)],
    ids=lambda s: f"{s.dataset}-{s.init_method}-k{s.n_clusters}-h{s.mesh_step}",
)
def test_boundary_labels_equal_kmeans_predict_on_the_mesh(settings):
    data = datasets.load(settings.dataset)
    boundary = decision_boundary(settings)
    if settings.init_method == "PCA-based":
        full = KMeans(init=PCA(n_components=settings.n_clusters).fit(data.scaled).components_,
                      n_clusters=settings.n_clusters, n_init=1, random_state=0).fit(data.scaled)
        model = KMeans(init=data.pca_plane.transform(full.cluster_centers_), n_clusters=settings.n_clusters,
                       n_init=1, random_state=settings.seed)
    else:
        model = KMeans(init=settings.init_method, n_clusters=settings.n_clusters, n_init=settings.n_init,
                       random_state=settings.seed)
    model.fit(data.reduced)
    xs, ys = mesh(data.extent, settings.mesh_step)
    xx, yy = np.meshgrid(xs, ys)
    np.testing.assert_array_equal(boundary.labels, model.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape))
    assert boundary.labels.shape == mesh_shape(data.extent, settings.mesh_step)
    np.testing.assert_allclose(boundary.centroids, model.cluster_centers_)
    assert boundary.cluster_sizes.sum() == data.n_samples


def test_mesh_step_changes_resolution_but_not_the_fit():
    fine = decision_boundary(Settings("digits", "k-means++", 10, 10, 0, 0.05))
    coarse = decision_boundary(Settings("digits", "k-means++", 10, 10, 0, 0.5))
    np.testing.assert_array_equal(fine.centroids, coarse.centroids)
    assert fine.labels.size > 50 * coarse.labels.size


def test_the_pca_based_map_ignores_n_init_and_the_seed():
    one = Settings("digits", "PCA-based", 4, 10, 0, 0.02)
    other = Settings("digits", "PCA-based", 30, 10, 99, 0.02)
    assert one.fit_key == other.fit_key
    seeded = [fit_plane(*Settings("digits", "random", n, 10, seed, 0.02).fit_key).inertia_
              for n, seed in ((4, 0), (4, 99))]
    assert seeded[0] != seeded[1]  # whereas a seeded init does depend on them


def _sampled_rows_data(n_rows: int) -> datasets.Dataset:
    """A dataset past SILHOUETTE_SAMPLE rows, so that its silhouette is sampled."""
    features = np.random.default_rng(3).normal(size=(n_rows, 2))
    return datasets.prepare(datasets.DatasetInfo("sampled", "Sampled", "rows", "", ""), features, None, (), ("a", "b"))


def test_a_sampled_silhouette_is_scikit_learns_own():
    data = _sampled_rows_data(3 * SILHOUETTE_SAMPLE)
    found = (data.scaled[:, 0] > 0).astype(int)
    assert silhouette(data, found) == metrics.silhouette_score(
        data.scaled, found, metric="euclidean", sample_size=SILHOUETTE_SAMPLE, random_state=SILHOUETTE_SEED)


def _lone_row(data: datasets.Dataset, sampled: bool) -> tuple[np.ndarray, float | None]:
    """Labels with one row in a cluster of its own, that row inside scikit-learn's silhouette sample or
    outside it, and scikit-learn's sampled silhouette for them (None: it refuses, "Number of labels is 1")."""
    for row in range(data.n_samples):
        found = np.zeros(data.n_samples, dtype=int)
        found[row] = 1
        try:
            score = metrics.silhouette_score(data.scaled, found, metric="euclidean", sample_size=SILHOUETTE_SAMPLE,
                                             random_state=SILHOUETTE_SEED)
        except ValueError as refused:
            assert "Number of labels is 1" in str(refused)
            score = None
        if (score is not None) == sampled:
            return found, score
    pytest.fail(f"no row {'inside' if sampled else 'outside'} the sample")


def test_a_sample_holding_one_cluster_has_no_silhouette_rather_than_an_error():
    data = _sampled_rows_data(3 * SILHOUETTE_SAMPLE)
    found, _ = _lone_row(data, sampled=False)  # the sample misses the lone row: scikit-learn refuses
    assert silhouette(data, found) is None


def test_a_sample_that_catches_the_one_row_cluster_has_scikit_learns_silhouette():
    data = _sampled_rows_data(3 * SILHOUETTE_SAMPLE)
    found, expected = _lone_row(data, sampled=True)
    assert silhouette(data, found) == expected
