"""An upload at scale and everything else on it: 100,000 rows (a sampled silhouette, a stated
sample of dots), the jobs and the replay in the job worker, and axe with the upload panel open."""

from __future__ import annotations

import pytest

from tests.browser.pages import show_every_job_result, table_cells, wait_for_map_caption, wait_for_table_caption
from tests.browser.uploads import (
    N_INIT,
    SEED,
    K,
    blobs_csv,
    reference,
    set_fit,
    unlabelled_differences,
    upload_and_apply,
)


def test_axe_finds_no_serious_violation_in_the_upload_panel_open_in_either_theme(page, kept, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.pages import set_display
    from tests.browser.test_a11y import serious

    upload_and_apply(page, blobs_csv(tmp_path / "blobs.csv", label=False), kept)
    page.wait_for_selector("#upload-forget", state="visible")
    found = {}
    for name, dark in (("light", False), ("dark", True)):
        set_display(page, dark=dark, presenter=False)
        found[name] = serious(Axe().run(page, context="#settings").response["violations"])
    assert all(not violations for violations in found.values()), found


@pytest.mark.slow
def test_a_100000_row_upload_gets_scikit_learns_numbers_a_sampled_silhouette_and_a_stated_map_sample(
        page, kept, tmp_path):
    path = blobs_csv(tmp_path / "big.csv", n=100_000, features=4, label=False)
    # The settings first, on the digits: the upload is then fitted once, not once per field typed
    # (the suite's other sessions share these two cores).
    set_fit(page, n_init=1)
    wait_for_table_caption(page, f"k = {K}, n_init = 1, seed = {SEED}")
    upload_and_apply(page, path, kept)
    caption = wait_for_table_caption(page, f"big.csv, standardized · k = {K}, n_init = 1, seed = {SEED}")
    assert "silhouette sampled: 10,000 of 100,000 rows" in caption, caption
    wait_for_map_caption(page, f"k-means++ (n_init 1) · k {K} · seed {SEED}")
    expected, _, _ = reference(path, None, n_init=1)
    differences = unlabelled_differences(table_cells(page), expected)
    assert not differences, "the upload's table is not scikit-learn's:\n" + "\n".join(differences)
    assert "dots: a random 5,000 of the 100,000 rows (every fit uses all)" in page.inner_text("#class-key-slot")
    dots = page.evaluate("() => document.querySelector('#boundary-graph .js-plotly-plot').data[0].x.length")
    assert dots == 5_000


def test_the_jobs_and_the_replay_run_on_an_upload_without_labels(page, kept, tmp_path):
    # The k sweep and the seed stability run in the job worker (another process): it reads the
    # upload from the store the web process wrote.
    upload_and_apply(page, blobs_csv(tmp_path / "points.csv", n=200, features=3, label=False), kept)
    set_fit(page)
    wait_for_table_caption(page, f"points.csv, standardized · k = {K}, n_init = {N_INIT}, seed = {SEED}")
    show_every_job_result(page)
    sweep = page.inner_text("#k-sweep-caption")
    assert sweep.startswith("points.csv, all 3 features, standardized · k-means++"), sweep
    traces = page.evaluate("() => document.querySelector('#k-sweep-graph .js-plotly-plot').data.map(t => t.name)")
    assert traces == ["Inertia", "Silhouette"]  # no agreement with labels the file does not have
    rows = page.locator("#stability-table tbody th").all_inner_texts()
    assert rows == ["Inertia", "Silhouette", "Calinski–Harabasz", "Davies–Bouldin"]
    assert page.inner_text("#stability-table").count("points.csv") == 1
