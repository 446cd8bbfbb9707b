"""The table's progress line, called as functions: what it says for a table being fitted, and that
a malformed or refused request changes nothing."""

from __future__ import annotations

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks.services import Services, install
from callbacks.table import progress_view
from components.table_progress import progress_text
from core.datasets import load
from core.settings import DEFAULTS


@pytest.fixture
def asked():
    keys = []

    def progress(table_key):
        keys.append(table_key)
        return (("k-means++", "done"), ("random", "running"), ("PCA-based", "waiting"))

    install(Services(table_rows=None, jobs=None, table_progress=progress))
    return keys


def test_the_line_names_the_data_and_each_inits_state(asked):
    digits = load("digits")
    text, hidden, stopped = progress_view(3, {"values": {**DEFAULTS, "n_clusters": 7, "seed": 4}, "page": "p"})
    assert hidden is no_update and stopped is no_update
    assert asked == [("digits", 7, DEFAULTS["n_init"], 4)]
    assert text == (f"Fitting {digits.n_samples:,} rows × {digits.n_features} columns: k-means++ done, "
                    "random fitting, PCA-based waiting for a process (1 of 3 done)")


@pytest.mark.parametrize("request_", [None, "x", {"values": "x"}])
def test_a_malformed_request_changes_nothing(asked, request_):
    with pytest.raises(PreventUpdate):
        progress_view(1, request_)
    assert asked == []


def test_a_refused_request_hides_the_line_and_stops_its_tick(asked):
    # Nothing is fitted for refused settings (the map's message says why).
    assert progress_view(1, {"values": {**DEFAULTS, "n_clusters": 999}}) == (no_update, True, True)
    assert asked == []


def test_rows_another_web_process_fits_leave_the_line_as_it_is():
    states = (("k-means++", "done"), ("random", "unknown"), ("PCA-based", "unknown"))
    install(Services(table_rows=None, jobs=None, table_progress=lambda key: states))
    with pytest.raises(PreventUpdate):
        progress_view(2, {"values": DEFAULTS})


def test_two_rows_without_pca_based():
    text = progress_text(100_000, 20, (("k-means++", "done"), ("random", "done")))
    assert text.endswith("k-means++ done, random done (2 of 2 done)")
