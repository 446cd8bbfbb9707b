"""The callbacks called as functions: valid values redraw, bad values only explain."""

from __future__ import annotations

import pytest
from dash import Patch
from dash.exceptions import PreventUpdate

from callbacks.refresh import map_view, settings_message, table_view
from core.settings import DEFAULTS


def _values(**changes):
    values = {**DEFAULTS, **changes}
    return values["init_method"], values["n_init"], values["n_clusters"], values["seed"], values["mesh_step"]


def _message_text(children) -> str:
    title, problems = children
    return " ".join([title.children] + [item.children for item in problems.children])


def test_valid_settings_redraw_table_and_map_and_hide_the_message():
    values = _values(n_clusters=6, init_method="random", seed=3)
    rows = table_view(*values).children[1].children
    assert [row.className for row in rows] == [None, "selected", None]
    figure, caption = map_view(*values)
    assert isinstance(figure, Patch)
    operations = {tuple(op["location"]): op["params"]["value"] for op in figure.to_plotly_json()["operations"]}
    shown = [number["text"] for number in operations["layout", "annotations"] if number["opacity"]]
    assert shown == ["1", "2", "3", "4", "5", "6"]
    assert sum(disc["opacity"] for disc in operations["layout", "shapes"]) == 6
    assert "random" in caption and "k 6" in caption and "seed 3" in caption
    assert settings_message(*values) == ([], True, False, False, False, False)


def test_integral_floats_are_accepted_as_whole_numbers():
    assert settings_message(*_values(n_clusters=6.0, n_init=2.0))[:2] == ([], True)


@pytest.mark.parametrize(
    ("changes", "mentions"),
    [
        ({"n_clusters": 1}, "k (clusters) must be a whole number from 2 to 30"),
        ({"n_clusters": 31}, "got 31"),
        ({"n_clusters": 2.5}, "k (clusters)"),
        ({"n_clusters": None}, "got nothing"),
        ({"n_clusters": "10"}, "k (clusters)"),
        ({"n_init": 0}, "n_init must be a whole number from 1 to 50"),
        ({"n_init": 10**9}, "n_init"),
        ({"n_init": True}, "n_init"),
        ({"seed": -1}, "Random seed"),
        ({"seed": 2**32}, "Random seed"),
        ({"mesh_step": 0}, "Mesh step must be a number from 0.014 to 1"),
        ({"mesh_step": 1e-9}, "more than 2,000,000 cells"),
        ({"mesh_step": float("nan")}, "got nan"),
        ({"mesh_step": float("inf")}, "Mesh step"),
        ({"mesh_step": [0.02]}, "Mesh step"),
        ({"init_method": "kmeans"}, "Init method must be one of k-means++, random, PCA-based"),
        ({"init_method": [[0, 0], [1, 1]]}, "Init method"),
        ({"init_method": "<script>alert(1)</script>"}, "<script>alert(1)</script>"),
    ],
)
def test_bad_values_change_nothing_but_the_message(changes, mentions):
    values = _values(**changes)
    for view in (table_view, map_view):
        with pytest.raises(PreventUpdate):
            view(*values)
    message, hidden, *_ = settings_message(*values)
    assert hidden is False
    assert mentions in _message_text(message)


def test_every_bad_value_is_named_at_once():
    message, hidden, *field_errors = settings_message(*_values(n_clusters=0, mesh_step=-1))
    text = _message_text(message)
    assert hidden is False and "k (clusters)" in text and "Mesh step" in text
    # n-init, n-clusters, random-seed, mesh-step: the two bad fields are outlined.
    assert field_errors == [False, True, False, True]


def test_pca_based_ignores_n_init_for_its_fit():
    _, caption = map_view(*_values(init_method="PCA-based", n_init=7))
    assert "deterministic, 1 run" in caption
