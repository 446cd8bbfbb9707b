"""Lloyd's steps replayed in numpy against scikit-learn's fit of the same configuration."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from core.replay import replay

# The replay reproduces KMeans.fit's draws with scikit-learn's public kmeans_plusplus; if a release
# ever draws otherwise, the first test below fails (the last frame would differ from the fit).

X = StandardScaler().fit_transform(load_digits().data)
PLANE = PCA(n_components=2).fit(X)
REDUCED = PLANE.transform(X)


def direct_plane_fit(init: str, k: int, n_init: int, seed: int) -> KMeans:
    """The map's model, built from scratch with scikit-learn."""
    if init == "PCA-based":
        full = KMeans(init=PCA(n_components=k).fit(X).components_, n_clusters=k, n_init=1).fit(X)
        return KMeans(init=PLANE.transform(full.cluster_centers_), n_clusters=k, n_init=1).fit(REDUCED)
    return KMeans(init=init, n_clusters=k, n_init=n_init, random_state=seed).fit(REDUCED)


@pytest.mark.parametrize("init, k, n_init, seed", [
    ("k-means++", 10, 10, 0), ("k-means++", 3, 4, 42), ("random", 10, 10, 0), ("random", 30, 3, 5),
    ("PCA-based", 10, 1, 0), ("PCA-based", 7, 1, 0),
])
def test_last_frame_is_scikit_learns_fit(init, k, n_init, seed):
    model = direct_plane_fit(init, k, n_init, seed)
    run = replay("digits", init, k, n_init, seed)
    np.testing.assert_allclose(run.centers[-1], model.cluster_centers_, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(run.final_labels, model.labels_)
    assert run.n_iter == model.n_iter_
    assert run.inertia == pytest.approx(model.inertia_, rel=1e-9)
    assert len(run.centers) == run.n_iter + 1 and 0 <= run.run_index < run.n_runs


def test_first_frame_is_the_kept_runs_initial_centres():
    # With n_init=1 the kept run is the only one: a fit from our initial centres, with one run,
    # is the same model.
    run = replay("digits", "random", 8, 1, 3)
    again = KMeans(init=run.centers[0], n_clusters=8, n_init=1).fit(REDUCED)
    np.testing.assert_allclose(again.cluster_centers_, run.centers[-1], atol=1e-6, rtol=0)
    # And they are data points, as random init picks them.
    assert all(np.isclose(REDUCED, centre, atol=1e-9).all(axis=1).any() for centre in run.centers[0])


def test_each_update_moves_centres_to_their_clusters_means():
    run = replay("digits", "k-means++", 5, 2, 1)
    for labels, centers in zip(run.labels, run.centers[1:]):
        for cluster in range(5):
            np.testing.assert_allclose(centers[cluster], REDUCED[labels == cluster].mean(axis=0), atol=1e-9)


def test_replay_regions_are_kmeans_predict_on_the_replay_mesh():
    from sklearn.cluster import KMeans

    from core import datasets
    from core.replay import nearest_centre_labels, replay_mesh

    digits = datasets.load("digits")
    model = KMeans(n_clusters=7, n_init=1, random_state=0).fit(digits.reduced)
    xs, ys, _ = replay_mesh(digits.extent, 160)
    labels = nearest_centre_labels(xs, ys, model.cluster_centers_)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    np.testing.assert_array_equal(labels.ravel(), model.predict(grid))
