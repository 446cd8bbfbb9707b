"""The settings as a person uses them: the first table, a step with "+", a refused value, PCA-based,
the steppers' range, and Reset. Numbers on screen are compared with scikit-learn's, computed here."""

from __future__ import annotations

import pytest

from core.datasets import DATASETS
from core.settings import DEFAULTS, N_CLUSTERS_RANGE
from core.sweeps import STABILITY_DEFAULT_SEEDS
from tests.browser import sklearn_reference as sk
from tests.browser.pages import (
    choose_dataset,
    choose_init,
    dataset_shown,
    field_values,
    map_note,
    selected_init,
    settings_message,
    table_caption,
    table_cells,
    type_into,
    wait_for_map_caption,
    wait_for_message,
    wait_for_quiet,
    wait_for_table_caption,
)

K, N_INIT, SEED = DEFAULTS["n_clusters"], DEFAULTS["n_init"], DEFAULTS["seed"]
REGIONS_PICTURE = "() => document.getElementById('map-regions-canvas').toDataURL()"
STALE_NOTES = "() => [...document.querySelectorAll('#results .stale-note')].filter(n => n.checkVisibility())" \
              ".map(n => n.textContent)"
OUTLINED = "id => !!document.getElementById(id).closest('.invalid')"
LOW_K, HIGH_K = N_CLUSTERS_RANGE


def what_is_shown(page) -> dict:
    """Everything a refused value must leave alone."""
    return {"table": table_cells(page), "table caption": table_caption(page), "map": map_note(page),
            "regions": page.evaluate(REGIONS_PICTURE), "headline": page.inner_text("#matched-accuracy"),
            "address": page.evaluate("location.search")}


def assert_table_is_scikit_learns(page, dataset: str, k: int, n_init: int, seed: int) -> None:
    differences = sk.table_differences(table_cells(page), sk.table(dataset, k, n_init, seed))
    assert not differences, "the table is not scikit-learn's:\n" + "\n".join(differences)


def test_the_first_table_is_scikit_learns(page):
    caption = table_caption(page)
    assert f"k = {K}, n_init = {N_INIT}, seed = {SEED}" in caption, caption
    assert_table_is_scikit_learns(page, "digits", K, N_INIT, SEED)
    cells = table_cells(page)
    assert all(row["Fit time"].endswith(" ms") for row in cells.values()), cells
    selected = page.eval_on_selector_all("#metrics-table tr[aria-selected='true']",
                                         "rows => rows.map(r => r.dataset.init)")
    assert selected == [DEFAULTS["init_method"]]
    assert page.locator("#settings-message").is_hidden()


def test_plus_steps_k_and_the_map_and_table_follow(page):
    page.click("#n-clusters-increment")
    k = K + 1
    assert page.input_value("#n-clusters") == str(k)
    wait_for_map_caption(page, f"· k {k} ·")
    wait_for_table_caption(page, f"k = {k}, n_init = {N_INIT}, seed = {SEED}")
    assert_table_is_scikit_learns(page, "digits", k, N_INIT, SEED)
    # The centroids' discs follow the caption: drawn in the page from the fit's answer.
    page.wait_for_function("k => JSON.parse(document.getElementById('map-markers-canvas').dataset.centroids"
                           " || '[]').length === k", arg=k)


@pytest.mark.parametrize(("field", "typed", "says"), [
    ("n-clusters", "99", f"k (clusters) must be a whole number from {LOW_K} to {HIGH_K}; got 99."),
    ("n-clusters", "1", f"k (clusters) must be a whole number from {LOW_K} to {HIGH_K}; got 1."),
    ("mesh-step", "5", "Mesh step must be at most 1"),
])
def test_an_out_of_range_value_is_explained_and_changes_nothing_else(page, field, typed, says):
    before = what_is_shown(page)
    assert not page.evaluate(STALE_NOTES)
    type_into(page, f"#{field}", typed)
    message = wait_for_message(page)
    assert says in message, message
    assert page.get_attribute("#settings-message", "role") == "alert"
    assert page.evaluate(OUTLINED, field), f"#{field} is not outlined as refused"
    assert not page.evaluate(OUTLINED, "n-init"), "a field that holds a good value is outlined"
    stale = page.evaluate(STALE_NOTES)
    assert stale and all("last valid settings" in note for note in stale), stale
    wait_for_quiet(page)  # every request the change set off has been answered
    assert what_is_shown(page) == before, "a refused value changed what the page shows"
    assert page.input_value(f"#{field}") == typed, "the refused value was replaced"

    type_into(page, f"#{field}", "9" if field == "n-clusters" else "0.05")
    wait_for_message(page, shown=False)
    wait_for_map_caption(page, "· k 9 ·" if field == "n-clusters" else "step 0.05 =")
    assert not page.evaluate(OUTLINED, field)
    assert not page.evaluate(STALE_NOTES)


@pytest.mark.parametrize(("field", "typed", "label"), [
    ("n-clusters", "abc", "k (clusters)"),
    ("random-seed", "1e", "Random seed"),
])
def test_a_field_holding_no_number_says_so(page, field, typed, label):
    before = what_is_shown(page)
    type_into(page, f"#{field}", typed)
    message = wait_for_message(page)
    assert f"{label} must be a whole number" in message and "the field holds no number" in message, message
    assert page.evaluate(OUTLINED, field)
    wait_for_quiet(page)
    assert what_is_shown(page) == before


def test_pca_based_disables_n_init_and_the_seed(page):
    controls = ("#n-init", "#n-init-decrement", "#n-init-increment",
                "#random-seed", "#random-seed-decrement", "#random-seed-increment")
    assert all(page.is_enabled(control) for control in controls)
    choose_init(page, "PCA-based")
    page.wait_for_function("() => document.getElementById('n-init').disabled"
                           " && document.getElementById('random-seed').disabled")
    assert all(page.is_disabled(control) for control in controls)
    assert "deterministic" in page.inner_text("#n-init-description")
    wait_for_map_caption(page, "PCA-based (deterministic, 1 run)")
    page.wait_for_selector("#metrics-table tr[data-init='PCA-based'][aria-selected='true']")
    assert page.locator("#settings-message").is_hidden()

    choose_init(page, "k-means++")
    page.wait_for_function("() => !document.getElementById('n-init').disabled"
                           " && !document.getElementById('random-seed').disabled")
    assert all(page.is_enabled(control) for control in controls)
    wait_for_map_caption(page, f"k-means++ (n_init {N_INIT})")


def test_the_steppers_stay_within_the_range(page):
    type_into(page, "#n-clusters", str(HIGH_K))
    wait_for_map_caption(page, f"· k {HIGH_K} ·")
    page.click("#n-clusters-increment")
    wait_for_quiet(page)
    assert page.input_value("#n-clusters") == str(HIGH_K)
    assert settings_message(page) == ""

    type_into(page, "#n-clusters", str(LOW_K))
    wait_for_map_caption(page, f"· k {LOW_K} ·")
    page.click("#n-clusters-decrement")
    wait_for_quiet(page)
    assert page.input_value("#n-clusters") == str(LOW_K)
    assert settings_message(page) == ""

    # A refused value, then a step: the step starts from what is typed, brought within the range.
    type_into(page, "#n-clusters", "99")
    wait_for_message(page)
    page.click("#n-clusters-decrement")
    assert page.input_value("#n-clusters") == str(HIGH_K)
    wait_for_message(page, shown=False)
    wait_for_map_caption(page, f"· k {HIGH_K} ·")


def test_reset_restores_every_setting_but_the_theme_and_presenter_mode(page):
    page.click("#theme-toggle")
    page.click("#presenter-toggle")
    choose_dataset(page, DATASETS["wine"].title)
    wait_for_table_caption(page, DATASETS["wine"].title)
    choose_init(page, "random")
    type_into(page, "#n-init", "3")
    type_into(page, "#n-clusters", "4")
    type_into(page, "#random-seed", "5")
    type_into(page, "#mesh-step", "0.1")
    type_into(page, "#k-sweep-min", "3")
    type_into(page, "#k-sweep-max", "12")
    type_into(page, "#stability-seeds", "7")
    wait_for_map_caption(page, "random (n_init 3) · k 4 · seed 5", "step 0.1 =")
    wait_for_table_caption(page, DATASETS["wine"].title, "k = 4, n_init = 3, seed = 5")

    page.click("#reset-settings")
    defaults = f"{DEFAULTS['init_method']} (n_init {N_INIT}) · k {K} · seed {SEED}"
    wait_for_map_caption(page, defaults, f"step {DEFAULTS['mesh_step']:g} =")
    wait_for_table_caption(page, DATASETS["digits"].title, f"k = {K}, n_init = {N_INIT}, seed = {SEED}")
    assert dataset_shown(page) == DATASETS["digits"].title
    assert selected_init(page) == DEFAULTS["init_method"]
    assert field_values(page, "n-init", "n-clusters", "random-seed", "mesh-step") == {
        "n-init": str(N_INIT), "n-clusters": str(K), "random-seed": str(SEED),
        "mesh-step": f"{DEFAULTS['mesh_step']:g}"}
    assert field_values(page, "k-sweep-min", "k-sweep-max", "stability-seeds") == {
        "k-sweep-min": str(LOW_K), "k-sweep-max": str(HIGH_K), "stability-seeds": str(STABILITY_DEFAULT_SEEDS)}
    assert_table_is_scikit_learns(page, "digits", K, N_INIT, SEED)
    # The theme and presenter mode are how the page looks, not settings: they stay.
    assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("() => document.documentElement.classList.contains('presenter')")
    assert page.get_attribute("#theme-toggle", "aria-pressed") == "true"
    assert page.get_attribute("#presenter-toggle", "aria-pressed") == "true"
