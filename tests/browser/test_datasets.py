"""Switching the dataset (issue 25): the picker changes the table, the headline, the map and the
matrix together; at k = the number of classes the table's numbers are scikit-learn's and the
headline's matched accuracy is the Hungarian matching's; the address holds the dataset; and a k
that PCA-based seeding cannot take on a dataset is explained, not failed."""

from __future__ import annotations

import pytest

from core.datasets import DATASETS
from tests.browser import sklearn_reference as sk
from tests.browser.pages import (
    choose_dataset,
    choose_init,
    dataset_shown,
    number_in,
    open_dashboard,
    table_cells,
    type_into,
    wait_for_map_caption,
    wait_for_message,
    wait_for_table_caption,
    wait_for_text,
)

N_INIT, SEED = 4, 0
POINTS = "() => document.querySelector('#boundary-graph .js-plotly-plot').data[0].x.length"
MATRIX_CLASSES = "() => document.querySelectorAll('#cluster-digit-matrix thead th').length - 2"  # Cluster, Size


def n_classes(dataset: str) -> int:
    return len(set(sk.standardized(dataset)[1].tolist()))


def n_samples(dataset: str) -> int:
    return len(sk.standardized(dataset)[1])


@pytest.mark.parametrize("dataset", ["iris", "wine", "breast_cancer"])
def test_a_dataset_switch_shows_scikit_learns_table_and_matched_accuracy(page, dataset):
    info, k, n = DATASETS[dataset], n_classes(dataset), n_samples(dataset)
    choose_dataset(page, info.title)
    wait_for_table_caption(page, f"{info.title}, standardized")
    assert dataset_shown(page) == info.title
    type_into(page, "#n-init", str(N_INIT))
    type_into(page, "#n-clusters", str(k))
    type_into(page, "#random-seed", str(SEED))
    wait_for_table_caption(page, f"{info.title}, standardized · k = {k}, n_init = {N_INIT}, seed = {SEED}")
    wait_for_map_caption(page, f"k-means++ (n_init {N_INIT}) · k {k} · seed {SEED}")

    assert k <= sk.n_features(dataset)  # so PCA-based seeding has its row
    differences = sk.table_differences(table_cells(page), sk.table(dataset, k, N_INIT, SEED))
    assert not differences, f"the {dataset} table is not scikit-learn's:\n" + "\n".join(differences)

    headline = wait_for_text(page, "#matched-accuracy", f" of the {n:,} {info.samples} ")
    accuracy = sk.matched_accuracy(dataset, "k-means++", k, N_INIT, SEED)
    shown = number_in(page.inner_text("#matched-accuracy strong")) / 100
    assert abs(shown - accuracy) <= 0.0005 + 1e-12, f"headline {headline!r}; Hungarian matching {accuracy:.4%}"

    page.wait_for_function(f"() => ({POINTS})() === {n}")  # the map shows this dataset's points
    assert page.evaluate(MATRIX_CLASSES) == k, "the matrix does not have a column per class"
    assert f"data={dataset}" in page.evaluate("location.search")


def test_an_address_with_a_dataset_opens_on_it(browser, app):
    info, k = DATASETS["iris"], n_classes("iris")
    with open_dashboard(browser, app.url, path=f"/?data=iris&k={k}&n_init={N_INIT}&seed={SEED}") as page:
        wait_for_table_caption(page, f"{info.title}, standardized · k = {k}, n_init = {N_INIT}, seed = {SEED}")
        assert dataset_shown(page) == info.title
        wait_for_text(page, "#matched-accuracy", f" of the {n_samples('iris'):,} {info.samples} ")
        page.wait_for_function(f"() => ({POINTS})() === {n_samples('iris')}")
        assert sk.table_differences(table_cells(page), sk.table("iris", k, N_INIT, SEED)) == []


def test_a_k_pca_based_cannot_take_is_explained_not_failed(page):
    features = sk.n_features("iris")
    choose_init(page, "PCA-based")
    wait_for_map_caption(page, "PCA-based (deterministic, 1 run) · k 10")
    # Switching to a dataset with fewer features brings k within PCA-based's reach, and says so.
    choose_dataset(page, DATASETS["iris"].title)
    note = wait_for_text(page, "#dataset-note", f"it is now {features}")
    assert "k was 10" in note and "PCA-based" in note, note
    wait_for_table_caption(page, f"{DATASETS['iris'].title}, standardized · k = {features},")
    assert page.input_value("#n-clusters") == str(features)

    # Typed past it: the message names the limit and why; nothing fails.
    type_into(page, "#n-clusters", "10")
    message = wait_for_message(page)
    assert f"k must be at most {features} (the number of features); got 10" in message, message
    assert page.locator("#table-fault").is_hidden() and page.locator("#map-fault").is_hidden()

    # With another init, that k is fine: the table says PCA-based is not available, and why.
    choose_init(page, "k-means++")
    wait_for_message(page, shown=False)
    wait_for_table_caption(page, "k = 10,")
    unavailable = page.inner_text("#metrics-table tr[data-unavailable='PCA-based']")
    assert "Not available" in unavailable and f"k ≤ {features}" in unavailable, unavailable
    assert set(table_cells(page)) == {"k-means++", "random"}
