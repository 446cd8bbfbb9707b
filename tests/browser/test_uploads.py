"""Upload your own CSV (issue 26), as a person does it: the file chooser, the column choice, the
table and the headline on scikit-learn's numbers (computed from the same file), the refusals named
in #upload-error with nothing else changed, the upload private to its tab, and "Forget this data"."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.browser import sklearn_reference as sk
from tests.browser.pages import (
    dataset_shown,
    load_replay,
    number_in,
    open_dashboard,
    run_job,
    set_job_fields,
    table_caption,
    table_cells,
    wait_for_jobs_panels,
    wait_for_map_caption,
    wait_for_message,
    wait_for_table_caption,
    wait_for_text,
)
from tests.browser.uploads import (
    DIGITS,
    LABELLED_HEADERS,
    N_INIT,
    REFUSED,
    SEED,
    K,
    blobs_csv,
    hungarian_accuracy,
    picker_titles,
    png_bytes,
    reference,
    set_fit,
    unlabelled_differences,
    upload,
    upload_and_apply,
)


def test_a_labelled_csv_is_clustered_as_scikit_learn_clusters_it(page, kept, tmp_path):
    path = blobs_csv(tmp_path / "blobs.csv")
    received = upload(page, path, kept)
    page.wait_for_selector("#upload-columns", state="visible")
    status = wait_for_text(page, "#upload-status", "blobs.csv: 300 rows, 5 columns (comma-separated, decimal point)")
    assert received["numeric"] == ["x1", "x2", "x3", "x4"] and "kind" in received["label_candidates"], received
    assert page.locator("#upload-features input:checked").count() == 4, status  # every number, not the label
    assert page.inner_text("#upload-label").strip() == "kind"  # the text column is guessed as the label
    # That choice is clustered at once: no click between the file and its map.
    wait_for_table_caption(page, "blobs.csv, standardized · ")
    assert dataset_shown(page) == "Your CSV: blobs.csv"
    wait_for_text(page, "#upload-status", "Clustered: 300 rows × 4 columns of blobs.csv (label 'kind'; standardized).",
                  "To cluster other columns")
    assert page.locator("#upload-forget").is_visible()

    set_fit(page)
    wait_for_table_caption(page, f"blobs.csv, standardized · k = {K}, n_init = {N_INIT}, seed = {SEED}")
    wait_for_map_caption(page, f"k-means++ (n_init {N_INIT}) · k {K} · seed {SEED}")
    expected, found, truth = reference(path, "kind")
    shown = table_cells(page)
    assert all(list(row) == LABELLED_HEADERS for row in shown.values()), shown
    differences = sk.table_differences(shown, expected)
    assert not differences, "the upload's table is not scikit-learn's:\n" + "\n".join(differences)

    headline = wait_for_text(page, "#matched-accuracy", "K-means (k-means++) put ",
                             " of the 300 rows in the cluster matched to their kind")
    accuracy = hungarian_accuracy(truth, found)
    assert abs(number_in(page.inner_text("#matched-accuracy strong")) / 100 - accuracy) <= 0.0005 + 1e-12, \
        f"headline {headline!r}; Hungarian matching {accuracy:.4%}"

    page.wait_for_function("() => new URLSearchParams(location.search).get('data') === 'upload'")
    assert "upload-" not in page.url and received["id"] not in page.url, page.url


def test_a_csv_without_labels_gets_the_scores_that_need_none(page, kept, tmp_path):
    # Clustered in its own units, two rows with an empty cell dropped.
    path = blobs_csv(tmp_path / "points.csv", n=400, features=3, label=False, empty_cells=2)
    upload_and_apply(page, path, kept, standardize=False)
    set_fit(page)
    wait_for_table_caption(page, f"points.csv, in its own units · k = {K}, n_init = {N_INIT}, seed = {SEED}")
    wait_for_map_caption(page, f"k-means++ (n_init {N_INIT}) · k {K} · seed {SEED}")
    expected, found, _ = reference(path, None, standardize=False)
    shown = table_cells(page)
    headers = ["Fit time", "Inertia", "Silhouette", "Calinski–H.", "Davies–B."]
    assert all(list(row) == headers for row in shown.values()), shown
    differences = unlabelled_differences(shown, expected)
    assert not differences, "the upload's table is not scikit-learn's:\n" + "\n".join(differences)

    sizes = np.bincount(found)
    headline = wait_for_text(page, "#matched-accuracy", f"K-means (k-means++) split the {len(found):,} rows into "
                             f"{K} clusters of {sizes.min():,} to {sizes.max():,}. Silhouette ")
    assert len(found) == 398, headline
    silhouette = expected["k-means++"]["silhouette"]
    assert page.inner_text("#matched-accuracy strong").strip() == f"{silhouette:.3f}", headline


def test_files_that_cannot_be_clustered_are_refused_and_nothing_changes(page, kept, tmp_path):
    page.problems.expect(REFUSED)
    caption = wait_for_table_caption(page, f"{DIGITS}, standardized")
    blobs = pd.read_csv(blobs_csv(tmp_path / "blobs.csv", n=30))
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "picture.csv").write_bytes(png_bytes())
    blobs[["kind"]].assign(other=blobs["kind"] + "!").to_csv(tmp_path / "words.csv", index=False)
    blobs.rename(columns={"x2": "x1"}).to_csv(tmp_path / "twice.csv", index=False)
    blobs.iloc[:0].to_csv(tmp_path / "header.csv", index=False)
    refusals = {"empty.csv": "The file is empty", "picture.csv": "not a UTF-8 text CSV",
                "words.csv": "no column of numbers", "twice.csv": "names the column",
                "header.csv": "no data rows; K-means needs at least 3"}
    for name, message in refusals.items():
        upload(page, tmp_path / name, kept)
        shown = wait_for_text(page, "#upload-error", message)
        assert page.locator("#upload-error").is_visible(), f"{name}: {shown!r} is hidden"
        if name == "twice.csv":
            assert "twice" in shown and "columns 1 and 2" in shown, shown
        assert table_caption(page) == caption and dataset_shown(page) == DIGITS, name
        assert page.locator("#upload-forget").is_hidden(), name

    # A label left with one class once the rows with an empty feature cell are dropped.
    one_class = blobs.assign(kind=np.where(np.arange(len(blobs)) < 3, "beta", "alpha"))
    one_class.loc[:2, "x1"] = np.nan
    one_class.to_csv(tmp_path / "one_class.csv", index=False)
    # Its default choice (the guessed label) is refused at once, and again when applied.
    upload(page, tmp_path / "one_class.csv", kept)
    wait_for_text(page, "#upload-status", "one_class.csv: 30 rows", "Choose the columns to cluster.")
    assert page.inner_text("#upload-label").strip() == "kind"
    for applied in (False, True):
        if applied:
            with page.expect_response(lambda r: "_dash-update-component" in r.url
                                      and "upload-apply" in (r.request.post_data or "")):
                page.click("#upload-apply")
        shown = wait_for_text(page, "#upload-error", "kind", "1 class", "needs 2 to 100")
        assert page.locator("#upload-error").is_visible(), shown
        assert table_caption(page) == caption and dataset_shown(page) == DIGITS
    titles = picker_titles(page)
    assert DIGITS in titles and not any(title.startswith("Your CSV") for title in titles), titles


def test_an_upload_stays_private_to_its_tab(page, kept, browser, app, tmp_path):
    path = blobs_csv(tmp_path / "private.csv", n=60)
    upload_and_apply(page, path, kept)
    page.wait_for_function("() => new URLSearchParams(location.search).get('data') === 'upload'")
    address = page.url
    assert "upload-" not in address, address

    with open_dashboard(browser, app.url, log_tail=app.log_tail) as other:
        assert not any(title.startswith("Your CSV") for title in picker_titles(other))
    path_and_query = address[len(app.url):]
    with open_dashboard(browser, app.url, path=path_and_query, log_tail=app.log_tail) as other:
        message = wait_for_message(other)
        assert "uploaded in another tab" in message, message
        wait_for_table_caption(other, f"{DIGITS}, standardized")
        assert dataset_shown(other) == DIGITS

    page.click("#upload-forget")
    wait_for_table_caption(page, f"{DIGITS}, standardized")
    assert dataset_shown(page) == DIGITS
    answer = page.request.post(app.url + "/upload/forget", data=kept[-1])
    assert answer.ok and answer.json() == {"forgotten": False}, answer.text()


def test_forget_deletes_the_upload_and_goes_back_to_the_digits(page, kept, tmp_path):
    path = blobs_csv(tmp_path / "forget_me.csv", n=60)
    upload_and_apply(page, path, kept)
    page.evaluate("""() => { const status = document.getElementById('upload-status');
        window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(status.innerText))
            .observe(status, {childList: true, characterData: true, subtree: true}); }""")
    page.click("#upload-forget")
    wait_for_table_caption(page, f"{DIGITS}, standardized")
    assert dataset_shown(page) == DIGITS
    assert not any(title.startswith("Your CSV") for title in picker_titles(page))
    assert page.locator("#upload-forget").is_hidden() and page.locator("#upload-columns").is_hidden()
    try:  # the person is told what happened to their file, and it stays said
        wait_for_text(page, "#upload-status", "Forgotten", timeout_ms=5_000)
    except AssertionError as shown:
        raise AssertionError(f"{shown}; it showed in turn {page.evaluate('window.__statuses')!r}") from None


def test_forgetting_an_upload_takes_its_job_results_and_replay_with_it(page, kept, tmp_path):
    upload_and_apply(page, blobs_csv(tmp_path / "with_jobs.csv", n=60), kept)
    wait_for_jobs_panels(page)
    set_job_fields(page, k_sweep_min=2, k_sweep_max=3)
    run_job(page, "k-sweep")
    load_replay(page)
    assert page.inner_text("#replay-caption").startswith("with_jobs.csv · ")  # the steps name their data
    page.click("#upload-forget")
    wait_for_text(page, "#k-sweep-message", "forgotten")
    assert page.locator("#k-sweep-graph").is_hidden() and page.locator("#k-sweep-download-button").is_disabled()
    wait_for_text(page, "#replay-caption", "forgotten")
    assert page.locator("#replay-graph").is_hidden() and page.locator("#replay-play").is_disabled()
