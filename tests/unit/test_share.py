"""Sharing and export without a browser: the address's query string, the CSV, the reproduce snippet."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest

from components.cluster_views import _heat
from components.metrics_table import COLUMNS
from components.share_panel import csv_headers, table_csv
from core.clustering import row_keys, table_row
from core.reproduce import reproduce_snippet
from core.settings import DEFAULTS, Settings
from core.share import format_query, parse_query


@pytest.mark.parametrize("settings", [
    Settings("digits", "random", 4, 10, 0, 0.02),
    Settings("digits", "k-means++", 50, 30, 2**32 - 1, 1.0),
    Settings("digits", "PCA-based", 1, 2, 0, 0.0213456789),
    Settings("iris", "PCA-based", 3, 4, 7, 0.05),
])
def test_an_address_restores_exactly_the_settings_it_was_made_from(settings):
    query = format_query(settings)
    assert parse_query(query).settings == settings
    assert parse_query(query).notes == ()


def test_the_address_format_is_the_documented_one():
    assert (format_query(Settings("iris", "random", 4, 3, 0, 0.02))
            == "?data=iris&init=random&n_init=4&k=3&seed=0&mesh=0.02")


@pytest.mark.parametrize(("query", "named", "field"), [
    ("?k=abc", "k='abc'", "n_clusters"),
    ("?k=31", "k='31'", "n_clusters"),
    ("?n_init=2.5", "n_init='2.5'", "n_init"),
    ("?seed=-1", "seed='-1'", "seed"),
    ("?mesh=0", "mesh='0'", "mesh_step"),
    ("?mesh=nan", "mesh='nan'", "mesh_step"),
    ("?init=kmeans", "init='kmeans'", "init_method"),
    ("?data=mnist", "data='mnist'", "dataset"),
    ("?init=PCA-based&n_init=0", "n_init='0'", "n_init"),  # disabled for PCA-based, but still named
])
def test_a_bad_value_falls_back_to_its_default_and_is_named(query, named, field):
    address = parse_query(query)
    assert getattr(address.settings, field) == DEFAULTS[field]
    assert len(address.notes) == 1 and named in address.notes[0] and str(DEFAULTS[field]) in address.notes[0]


def test_unknown_parameters_are_named_and_the_rest_still_applies():
    address = parse_query("?k=7&<script>alert(1)</script>=1&colour=red")
    assert address.settings == Settings(**{**DEFAULTS, "n_clusters": 7})
    assert len(address.notes) == 2 and "'colour'" in address.notes[1]
    assert "'<script>alert(1)</script>'" in address.notes[0]  # plain text; the page shows it as text


def test_an_impossible_combination_gives_the_defaults_and_says_why():
    address = parse_query("?data=iris&init=PCA-based&k=9")
    assert address.settings == Settings(**DEFAULTS)
    assert "at most 4" in " ".join(address.notes)


def test_too_many_parameters_give_the_defaults_and_say_so():
    address = parse_query("?" + "&".join(f"p{i}=1" for i in range(50)))
    assert address.settings == Settings(**DEFAULTS) and "too many" in address.notes[0]


def _rows(settings):
    return [table_row(*key) for key in row_keys(*settings.table_key)]


def test_the_csv_holds_the_settings_and_exactly_the_tables_numbers_in_shortest_form():
    settings = Settings("digits", "random", 3, 7, 11, 0.05)
    results = [row.scores for row in _rows(settings)]
    name, text = table_csv(results, settings)
    assert name == "kmeans-digits_k7_n_init3_seed11.csv"
    first, second = text.splitlines()[:2]
    assert first.startswith("# K-means on handwritten digits")
    assert second == "# dataset=digits, k=7, n_init=3, seed=11, selected init=random"
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns) == csv_headers(COLUMNS)
    assert list(frame["Init"]) == [result.init_method for result in results]
    for row, result in zip(frame.itertuples(index=False), results, strict=True):
        for value, column in zip(row[1:], COLUMNS, strict=True):
            assert value == column.value(result), (result.init_method, column.header)  # reads back exactly
    for line in text.splitlines()[3:]:
        for cell in line.split(",")[1:]:
            assert cell == repr(float(cell)), cell  # the shortest form that reads back the same


def run_snippet(snippet: str) -> dict[str, list[str]]:
    """Run a reproduce snippet as is in a fresh interpreter; its printed rows by init."""
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=300, check=True)
    rows = {}
    for line in done.stdout.splitlines()[1:]:
        name, fit_ms, ms, *numbers = line.split()
        assert ms == "ms" and float(fit_ms) >= 0
        rows[name] = numbers  # inertia, then the six scores
    return rows


@pytest.mark.parametrize("settings", [Settings("digits", "k-means++", 4, 6, 3, 0.02),
                                      Settings("wine", "random", 4, 3, 0, 0.02)])
def test_the_reproduce_snippet_prints_the_tables_numbers(settings):
    printed = run_snippet(reproduce_snippet(settings))
    for row in _rows(settings):
        # Every column but the fit time (a timing, never the same twice), as the table shows it.
        expected = [column.text(column.value(row.scores)) for column in COLUMNS[1:]]
        assert printed[row.scores.init_method] == expected


def test_matrix_text_meets_aa_contrast_at_every_share():
    def luminance(rgb):
        channels = [c / 255 for c in rgb]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    ink = (0x1D, 0x23, 0x30)  # style.css --ink, the text colour when the cell sets none
    for step in range(1001):
        share = step / 1000
        style = _heat(share)
        background = [(1 - share) * 255 + share * c for c in (29, 60, 110)]
        text = ink if "color" not in style else tuple(int(style["color"][i:i + 2], 16) for i in (1, 3, 5))
        lighter, darker = sorted([luminance(background), luminance(text)], reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (share, style)
