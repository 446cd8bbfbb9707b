"""What the upload tests share: the files they make (make_blobs and pandas), scikit-learn's numbers
for them, and a person's steps (choose the file, choose the columns)."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pandas as pd
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
    type_into,
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


