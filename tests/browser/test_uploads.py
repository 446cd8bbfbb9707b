"""Upload your own CSV (issue 26), as a person does it: the file chooser, the column choice, the
table and the headline on scikit-learn's numbers (computed here from the same file), the refusals
named in #upload-error with nothing else changed, the upload private to its tab, and "Forget this
data". Every file is made here with make_blobs and pandas."""

from __future__ import annotations

import struct
import urllib.request
import zlib

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn import metrics
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.metrics.cluster import contingency_matrix
from sklearn.preprocessing import StandardScaler

from tests.browser import sklearn_reference as sk
from tests.browser.pages import (
    dataset_shown,
    number_in,
    open_dashboard,
    show_every_job_result,
    table_caption,
    table_cells,
    type_into,
    wait_for_map_caption,
    wait_for_message,
    wait_for_table_caption,
    wait_for_text,
)

K, N_INIT, SEED = 3, 4, 0
DIGITS = "Handwritten digits"
LABELLED_HEADERS = ["Fit time", "Inertia", "Homog.", "Compl.", "V-meas.", "ARI", "AMI", "Silhouette"]
UNLABELLED_METRICS = {"Inertia": "inertia", "Silhouette": "silhouette", "Calinski–H.": "calinski_harabasz",
                      "Davies–B.": "davies_bouldin"}
REFUSED = "status of 400"  # Chromium logs each refused upload (a 400 answer) as a console error


# ---------------------------------------------------------------- files


def blobs_csv(path, n=300, features=4, label=True, empty_cells=0):
    """make_blobs as a CSV: columns x1..xd, and with `label` a text column "kind" (class names, not
    codes); `empty_cells` feature cells left empty (rows the app must drop)."""
    X, y = make_blobs(n_samples=n, n_features=features, centers=K, cluster_std=2.0, random_state=7)
    frame = pd.DataFrame(X, columns=[f"x{i + 1}" for i in range(features)])
    if label:
        frame["kind"] = np.array(["alpha", "beta", "gamma"])[y]
    for row in range(empty_cells):
        frame.iloc[5 * row + 1, row % features] = np.nan
    frame.to_csv(path, index=False)
    return path


def png_bytes() -> bytes:
    """A 1×1 grey PNG: binary junk as far as a CSV reader is concerned."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))


# ---------------------------------------------------------------- scikit-learn's side


def reference(path, label: str | None, standardize=True, k=K, n_init=N_INIT, seed=SEED):
    """({init: {metric: value}}, k-means++ labels, truth or None) as the app should compute them from
    the file: the x-columns as float64, rows with an empty cell dropped, standardized or not."""
    frame = pd.read_csv(path)
    columns = [c for c in frame.columns if c != label]
    X = frame[columns].to_numpy(dtype=np.float64)
    keep = np.isfinite(X).all(axis=1)
    X = StandardScaler().fit_transform(X[keep]) if standardize else X[keep]
    truth = frame[label][keep].astype(str).to_numpy() if label else None
    rows, found_pp = {}, None
    for init in sk.INITS:
        if init == "PCA-based":
            if k > X.shape[1]:
                continue
            model = KMeans(init=PCA(n_components=k).fit(X).components_, n_clusters=k, n_init=1, random_state=seed)
        else:
            model = KMeans(init=init, n_clusters=k, n_init=n_init, random_state=seed)
        found = model.fit(X).labels_
        found_pp = found if init == "k-means++" else found_pp
        # Past 10,000 rows the app samples the silhouette (10,000 rows, seed 0), and says so.
        sample = {"sample_size": 10_000, "random_state": 0} if len(X) > 10_000 else {}
        row = {"inertia": float(model.inertia_),
               "silhouette": metrics.silhouette_score(X, found, metric="euclidean", **sample)}
        if truth is not None:
            row["homogeneity"], row["completeness"], row["v_measure"] = \
                metrics.homogeneity_completeness_v_measure(truth, found)
            row["adjusted_rand"] = metrics.adjusted_rand_score(truth, found)
            row["adjusted_mutual_info"] = metrics.adjusted_mutual_info_score(truth, found)
        else:
            row["calinski_harabasz"] = metrics.calinski_harabasz_score(X, found)
            row["davies_bouldin"] = metrics.davies_bouldin_score(X, found)
        rows[init] = row
    return rows, found_pp, truth


def hungarian_accuracy(truth, found) -> float:
    """As sklearn_reference.matched_accuracy, on these arrays: one cluster per class, the best matching."""
    counts = contingency_matrix(truth, found)
    classes, clusters = linear_sum_assignment(counts, maximize=True)
    return counts[classes, clusters].sum() / len(truth)


def unlabelled_differences(shown, expected) -> list[str]:
    """As sklearn_reference.table_differences, for the columns of data without labels."""
    problems = [] if sorted(shown) == sorted(expected) else [f"rows {sorted(shown)} shown, {sorted(expected)} expected"]
    for init, values in expected.items():
        for header, metric in UNLABELLED_METRICS.items():
            text, value = shown.get(init, {}).get(header), values[metric]
            if text is None or abs(number_in(text) - value) > sk.shown_precision(text) + 1e-9 * max(1.0, abs(value)):
                problems.append(f"{init} {header}: shown {text}, scikit-learn {value!r}")
    return problems


# ---------------------------------------------------------------- the page's side


@pytest.fixture
def kept(app):
    """The ids of this test's uploads, forgotten afterwards: the deployment keeps only a few at once."""
    ids: list[str] = []
    yield ids
    for upload_id in ids:
        request = urllib.request.Request(app.url + "/upload/forget", data=upload_id.encode(), method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


def upload(page, path, kept: list[str]) -> dict:
    """Choose the file as a person does; the server's answer (with the id only the page's script holds,
    read on its way: Chromium may drop a response's body before a test asks for it)."""
    answers: list[dict] = []

    def pass_on(route):
        response = route.fetch()
        answers.append(response.json())
        route.fulfill(response=response)

    page.route("**/upload", pass_on)
    try:
        with page.expect_response(lambda r: r.url.endswith("/upload") and r.request.method == "POST"):
            with page.expect_file_chooser() as chooser:
                page.click("#data-upload")
            chooser.value.set_files(str(path))
    finally:
        page.unroute("**/upload", pass_on)
    received = answers[0]
    if "id" in received:
        kept.append(received["id"])
    return received


def upload_and_apply(page, path, kept: list[str], standardize=True) -> None:
    """Upload, wait for the column choice, cluster the columns; waited until the table shows the file."""
    upload(page, path, kept)
    page.wait_for_selector("#upload-columns", state="visible")
    wait_for_text(page, "#upload-status", f"{path.name}: ")
    if not standardize:
        page.locator("#upload-standardize").get_by_text("Standardize the features").click()
    page.click("#upload-apply")
    wait_for_table_caption(page, f"{path.name}, {'standardized' if standardize else 'in its own units'} · ")
    assert dataset_shown(page) == f"Your CSV: {path.name}"


def set_fit(page, k=K, n_init=N_INIT, seed=SEED) -> None:
    type_into(page, "#n-init", str(n_init))
    type_into(page, "#n-clusters", str(k))
    type_into(page, "#random-seed", str(seed))


def picker_titles(page) -> list[str]:
    page.click("#dataset")
    titles = [option.inner_text().strip() for option in page.get_by_role("option").all()]
    page.keyboard.press("Escape")
    return titles


# ---------------------------------------------------------------- tests


def test_a_labelled_csv_is_clustered_as_scikit_learn_clusters_it(page, kept, tmp_path):
    path = blobs_csv(tmp_path / "blobs.csv")
    received = upload(page, path, kept)
    page.wait_for_selector("#upload-columns", state="visible")
    status = wait_for_text(page, "#upload-status", "blobs.csv: 300 rows, 5 columns (comma-separated, decimal point)")
    assert received["numeric"] == ["x1", "x2", "x3", "x4"] and "kind" in received["label_candidates"], received
    assert page.locator("#upload-features input:checked").count() == 4, status  # every number, not the label
    assert page.inner_text("#upload-label").strip() == "kind"  # the text column is guessed as the label
    page.click("#upload-apply")
    wait_for_table_caption(page, "blobs.csv, standardized · ")
    assert dataset_shown(page) == "Your CSV: blobs.csv"
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
    upload(page, tmp_path / "one_class.csv", kept)
    page.wait_for_selector("#upload-error", state="hidden")
    wait_for_text(page, "#upload-status", "one_class.csv: 30 rows")
    assert page.inner_text("#upload-label").strip() == "kind"
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
    upload_and_apply(page, path, kept)
    set_fit(page, n_init=1)
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
    assert sweep.startswith("points.csv, all features · k-means++"), sweep
    traces = page.evaluate("() => document.querySelector('#k-sweep-graph .js-plotly-plot').data.map(t => t.name)")
    assert traces == ["Inertia", "Silhouette"]  # no agreement with labels the file does not have
    rows = page.locator("#stability-table tbody th").all_inner_texts()
    assert rows == ["Inertia", "Silhouette", "Calinski–Harabasz", "Davies–Bouldin"]
    assert page.inner_text("#stability-table").count("points.csv") == 1
