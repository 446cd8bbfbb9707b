"""Sharing and export without a browser: the address's query string, the CSV, the reproduce snippet."""

from __future__ import annotations

import io
import subprocess
import sys

import pandas as pd
import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks.refresh import ADDRESS_TITLE, map_view
from callbacks.share import EXPORT_FAILED, export_csv, restore_from_address
from components.cluster_views import _heat
from components.metrics_table import COLUMNS
from components.share_panel import CSV_HEADERS, table_csv
from core import data
from core.clustering import benchmark_inits
from core.reproduce import reproduce_snippet
from core.settings import DEFAULTS, Settings
from core.share import format_query, parse_query

EXTENT = data.load().extent


def _text(component) -> str:
    if isinstance(component, (list, tuple)):
        return " ".join(_text(child) for child in component)
    if isinstance(component, str):
        return component
    return _text(getattr(component, "children", "") or "")


@pytest.mark.parametrize("settings", [
    Settings("random", 4, 10, 0, 0.02),
    Settings("k-means++", 50, 30, 2**32 - 1, 1.0),
    Settings("PCA-based", 1, 2, 0, 0.0213456789),
])
def test_an_address_restores_exactly_the_settings_it_was_made_from(settings):
    query = format_query(settings)
    assert query.startswith("?init=")
    assert parse_query(query, EXTENT).settings == settings
    assert parse_query(query, EXTENT).notes == ()


def test_the_address_format_is_the_documented_one():
    assert format_query(Settings("random", 4, 10, 0, 0.02)) == "?init=random&n_init=4&k=10&seed=0&mesh=0.02"


@pytest.mark.parametrize(("query", "named", "field"), [
    ("?k=abc", "k='abc'", "n_clusters"),
    ("?k=31", "k='31'", "n_clusters"),
    ("?n_init=2.5", "n_init='2.5'", "n_init"),
    ("?seed=-1", "seed='-1'", "seed"),
    ("?mesh=0", "mesh='0'", "mesh_step"),
    ("?mesh=nan", "mesh='nan'", "mesh_step"),
    ("?init=kmeans", "init='kmeans'", "init_method"),
    ("?init=PCA-based&n_init=0", "n_init='0'", "n_init"),  # disabled for PCA-based, but still named
])
def test_a_bad_value_falls_back_to_its_default_and_is_named(query, named, field):
    address = parse_query(query, EXTENT)
    assert getattr(address.settings, field) == DEFAULTS[field]
    assert len(address.notes) == 1 and named in address.notes[0] and str(DEFAULTS[field]) in address.notes[0]


def test_unknown_parameters_are_named_and_the_rest_still_applies():
    address = parse_query("?k=7&<script>alert(1)</script>=1&colour=red", EXTENT)
    assert address.settings == Settings(**{**DEFAULTS, "n_clusters": 7})
    assert len(address.notes) == 2 and "'colour'" in address.notes[1]
    assert "'<script>alert(1)</script>'" in address.notes[0]  # plain text; the page escapes it


def test_too_many_parameters_give_the_defaults_and_say_so():
    address = parse_query("?" + "&".join(f"p{i}=1" for i in range(50)), EXTENT)
    assert address.settings == Settings(**DEFAULTS) and "too many" in address.notes[0]


def test_opening_an_address_sets_the_controls_and_its_notes():
    restored = restore_from_address("?init=random&k=abc&seed=5")
    assert restored["values"] == {**DEFAULTS, "init_method": "random", "seed": 5}
    assert len(restored["notes"]) == 1 and "k='abc'" in restored["notes"][0]
    for nothing in ("", "?", None, 42, ["?k=3"], "k-means++"):
        with pytest.raises(PreventUpdate):
            restore_from_address(nothing)
    too_long = restore_from_address("?k=3&x=" + "a" * 5000)
    assert too_long["values"] == DEFAULTS and "too long" in too_long["notes"][0]


def test_address_notes_reach_the_settings_message_once():
    notes = ["The address's k='abc' was ignored"]
    out = map_view(*DEFAULTS.values(), address_notes=notes)
    assert out["message_hidden"] is False
    assert ADDRESS_TITLE in _text(out["message"]) and "k='abc'" in _text(out["message"])
    assert out["query"] == format_query(Settings(**DEFAULTS))  # the address is normalised
    # Without notes (any later change) a valid configuration clears the message.
    later = map_view(*DEFAULTS.values(), shown={"message_hidden": False, "field_classes": [], "applied": None})
    assert later["message_hidden"] is True and later["message"] == []


def test_the_csv_holds_the_settings_and_exactly_the_tables_numbers():
    settings = Settings("random", 3, 7, 11, 0.05)
    results = benchmark_inits(7, 3, 11)
    name, text = table_csv(results, settings)
    assert name == "kmeans-digits_k7_n_init3_seed11.csv"
    first, second = text.splitlines()[:2]
    assert first.startswith("# K-means on handwritten digits")
    assert second == "# k=7, n_init=3, seed=11, selected init=random"
    frame = pd.read_csv(io.StringIO(text), comment="#")
    assert list(frame.columns) == CSV_HEADERS
    assert list(frame["Init"]) == [result.init_method for result in results]
    for row, result in zip(frame.itertuples(index=False), results, strict=True):
        for value, column in zip(row[1:], COLUMNS, strict=True):
            assert value == column.value(result), (result.init_method, column.header)  # full precision


def test_the_csv_callback_refuses_forged_settings_and_reports_a_fault(monkeypatch):
    download = export_csv(1, dict(DEFAULTS))
    assert download["status"] == "" and download["download"]["filename"].endswith(".csv")
    for forged in (None, {}, {**DEFAULTS, "n_clusters": 99}, {**DEFAULTS, "extra": 1}):
        with pytest.raises(PreventUpdate):
            export_csv(1, forged)
    for clicks in (None, 0, True, "1"):
        with pytest.raises(PreventUpdate):
            export_csv(clicks, dict(DEFAULTS))

    def broken(*args):
        raise RuntimeError("worker died")

    monkeypatch.setattr("callbacks.share.benchmark_inits", broken)
    failed = export_csv(1, dict(DEFAULTS))
    assert failed == {"download": no_update, "status": EXPORT_FAILED}


def run_snippet(snippet: str) -> dict[str, list[str]]:
    """Run a reproduce snippet as is in a fresh interpreter; its printed rows by init."""
    done = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True, timeout=300, check=True)
    rows = {}
    for line in done.stdout.splitlines()[1:]:
        name, fit_ms, ms, *numbers = line.split()
        assert ms == "ms" and float(fit_ms) >= 0
        rows[name] = numbers  # inertia, then the six scores
    return rows


def test_the_reproduce_snippet_prints_the_tables_numbers():
    settings = Settings("k-means++", 4, 6, 3, 0.02)
    printed = run_snippet(reproduce_snippet(settings))
    for result in benchmark_inits(6, 4, 3):
        # Every column but the fit time (a timing, never the same twice), as the table shows it.
        expected = [column.text(column.value(result)) for column in COLUMNS[1:]]
        assert printed[result.init_method] == expected


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
