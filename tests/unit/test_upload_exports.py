"""What an uploaded file's table leaves the page as: the reproduce snippet (run as is, beside the
file, it prints the table's numbers) and the CSV export (the file's name as text, never its key)."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs

from components.metrics_table import columns_for
from components.share_panel import csv_headers, table_csv
from core import datasets
from core.clustering import row_keys, table_row
from core.reproduce import filled, upload_template
from core.settings import Settings


def semicolon_file(path, rows: int, labelled: bool) -> list[str]:
    """A file as a spreadsheet in a decimal-comma locale writes it, with an incomplete row and
    column names a spreadsheet would run; the names of its feature columns."""
    features, classes = make_blobs(n_samples=rows, centers=3, n_features=3, random_state=4)
    names = ["=width", "<b>height</b>", "depth"]
    frame = pd.DataFrame(features, columns=names)
    if labelled:
        frame["kind"] = np.array(["north", "south", "east"])[classes]
    frame.iloc[5, 1] = np.nan  # dropped, here and in the snippet
    frame.to_csv(path, sep=";", decimal=",", index=False)
    return names


def printed_rows(snippet: str, directory) -> dict[str, list[str]]:
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=300, check=True,
                          cwd=directory)
    rows = {}
    for line in done.stdout.splitlines()[1:]:
        name, fit_ms, ms, *numbers = line.split()
        assert ms == "ms" and float(fit_ms) >= 0
        rows[name] = numbers
    return rows


def snippet_prints_the_table(key: str, upload_id: str, path, delimiter: str, decimal: str):
    """Runs the upload's snippet beside its file and checks it prints the table's numbers; (settings, rows)."""
    data = datasets.load(key)
    settings = Settings(key, "k-means++", 2, 3, 7, 0.02)
    table = [table_row(*row) for row in row_keys(*settings.table_key)]
    template = upload_template(path.name, delimiter, decimal, data.feature_names, data.info.label or None,
                               data.standardized, data.n_samples)
    assert key not in template and upload_id not in template
    printed = printed_rows(filled(template, settings), path.parent)
    for row in table:
        # Every column but the fit time (a timing, never the same twice), as the table shows it.
        expected = [column.text(column.value(row.scores)) for column in columns_for(data)[1:]]
        assert printed[row.scores.init_method] == expected, row.scores.init_method
    return settings, table


@pytest.mark.parametrize(("rows", "labelled"), [(300, True), (10_400, False)])  # the second: a sampled silhouette
def test_an_uploads_snippet_run_beside_the_file_prints_the_tables_numbers(store, tmp_path, rows, labelled):
    path = tmp_path / "my data.csv"
    names = semicolon_file(path, rows, labelled)
    received = store.receive(path.read_bytes(), path.name)
    assert (received.parsed.delimiter, received.parsed.decimal) == (";", ",")
    key, notes = store.choose(received.upload_id, names, "kind" if labelled else None, True)
    assert notes and "1 row" in notes[0]
    settings, table = snippet_prints_the_table(key, received.upload_id, path, ";", ",")
    data = datasets.load(key)
    columns = columns_for(data)

    name, text = table_csv([row.scores for row in table], settings)
    assert name == "kmeans-upload_k3_n_init2_seed7.csv" and received.upload_id not in text
    assert text.splitlines()[0].startswith("# K-means on an uploaded CSV (your file 'my data.csv'")
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns) == csv_headers(columns)
    for line, row in zip(frame.itertuples(index=False), table, strict=True):
        assert list(line[1:]) == [column.value(row.scores) for column in columns]


def test_a_label_column_of_numbers_is_read_as_numbers_by_the_snippet_as_by_the_page(store, tmp_path):
    """Cells 1 and 1.0 are one class on the page (a column of numbers), so in the snippet too; a "nan" or
    empty label drops its row in both."""
    features, classes = make_blobs(n_samples=240, centers=3, n_features=3, random_state=5)
    frame = pd.DataFrame(features, columns=["x", "y", "z"])
    frame["grade"] = np.where(classes == 0, np.where(np.arange(240) % 2 == 0, "1", "1.0"),
                              np.where(classes == 1, "2", " 3 "))
    frame.loc[7, "grade"], frame.loc[8, "grade"] = "nan", ""
    path = tmp_path / "grades.csv"
    frame.to_csv(path, index=False)
    received = store.receive(path.read_bytes(), path.name)
    assert "grade" in received.parsed.numeric
    key, notes = store.choose(received.upload_id, ["x", "y", "z"], "grade", True)
    data = datasets.load(key)
    assert data.class_names == ("1", "2", "3") and data.n_samples == 238 and "2 rows" in notes[0]
    snippet_prints_the_table(key, received.upload_id, path, ",", ".")


def test_names_and_cells_with_runs_of_spaces_or_invisible_characters_read_alike_in_the_snippet(store, tmp_path):
    """The page makes each run of spaces and unprintable characters one space (core.uploads.one_line) in
    names and cells; the snippet must too, or it fails on the name or counts other classes."""
    features, classes = make_blobs(n_samples=240, centers=3, n_features=3, random_state=8)
    frame = pd.DataFrame(features, columns=["x  one", "y\ttwo", "z"])
    frame["kind"] = np.where(classes == 0, np.where(np.arange(240) % 2 == 0, "a b", "a  b"),
                             np.where(classes == 1, "c\u200bd", "e"))
    frame["z"] = frame["z"].map(lambda value: f"{value}\u200b")  # a zero-width space after each number
    path = tmp_path / "spaced.csv"
    frame.to_csv(path, index=False)
    received = store.receive(path.read_bytes(), path.name)
    assert received.parsed.numeric[:3] == ("x one", "y two", "z")
    key, _ = store.choose(received.upload_id, ["x one", "y two", "z"], "kind", True)
    data = datasets.load(key)
    assert data.class_names == ("a b", "c d", "e") and data.n_samples == 240
    snippet_prints_the_table(key, received.upload_id, path, ",", ".")
