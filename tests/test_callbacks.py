"""The callbacks called as functions: valid values redraw, bad values only explain."""

from __future__ import annotations

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from callbacks.refresh import applied_settings, map_view, results_view
from components.controls import number_input_class
from core.boundary import plane_map
from core.settings import DEFAULTS, Settings
from tests.html_views import sent_view

VALID, INVALID = number_input_class(False), number_input_class(True)
CLEAR = {"message_hidden": True, "field_classes": [VALID] * 4}  # what a fresh page shows


def _values(**changes):
    values = {**DEFAULTS, **changes}
    return values["init_method"], values["n_init"], values["n_clusters"], values["seed"], values["mesh_step"]


def _message_text(children) -> str:
    title, problems = children
    return " ".join([title.children] + [item.children for item in problems.children])


def test_valid_settings_redraw_the_map_and_hand_the_table_its_settings():
    values = _values(n_clusters=6, init_method="random", seed=3)
    out = map_view(*values, shown={**CLEAR, "applied": applied_settings(Settings(**DEFAULTS))})
    # The regions' inputs: the 2-D fit's centroids and the named markers (the page rasterizes).
    plane = plane_map("random", 6, 10, 3)
    assert out["regions"]["centers"] == plane.centroids.tolist()
    shown = [name["text"] for name in out["regions"]["annotations"] if name["opacity"]]
    matching = plane.matching
    assert shown == [matching.names[cluster] for cluster in matching.order] and len(shown) == 6
    assert sum(disc["opacity"] for disc in out["regions"]["shapes"]) == 6
    assert "random" in out["caption"] and "k 6" in out["caption"] and "seed 3" in out["caption"]
    # The message was already clear: left alone.
    assert out["message"] is out["message_hidden"] is no_update and out["field_classes"] == [no_update] * 4
    # The table callback gets the settings, and redraws the table for them.
    assert out["applied"] == applied_settings(Settings(*values))
    rows = sent_view(results_view(out["applied"]), "metrics-table").find_all("tbody")[0].find_all("tr")
    assert [row.class_name for row in rows] == [None, "selected", None]


def test_valid_settings_clear_a_message_or_flag_still_shown():
    values = _values(n_clusters=6)
    for shown in ({"message_hidden": False, "field_classes": [VALID] * 4},
                  {"message_hidden": True, "field_classes": [VALID, INVALID, VALID, VALID]}):
        out = map_view(*values, shown=shown)
        assert (out["message"], out["message_hidden"], out["field_classes"]) == ([], True, [VALID] * 4)


def test_a_mesh_step_change_does_not_touch_the_table():
    before = applied_settings(Settings(**DEFAULTS))
    out = map_view(*_values(mesh_step=0.1), shown={**CLEAR, "applied": before})
    assert out["applied"] is no_update and out["regions"] is not no_update
    # Any other setting, the init method included (its row is highlighted), does.
    for changes in ({"init_method": "random"}, {"n_init": 3}, {"n_clusters": 4}, {"seed": 5}):
        assert map_view(*_values(**changes), shown={**CLEAR, "applied": before})["applied"] != no_update, changes


def test_integral_floats_are_accepted_as_whole_numbers():
    out = map_view(*_values(n_clusters=6.0, n_init=2.0))
    assert out["message_hidden"] is True and out["applied"]["n_clusters"] == 6


@pytest.mark.parametrize(
    ("changes", "mentions"),
    [
        ({"n_clusters": 1}, "k (clusters) must be a whole number from 2 to 30"),
        ({"n_clusters": 31}, "got 31"),
        ({"n_clusters": 2.5}, "k (clusters)"),
        ({"n_clusters": None}, "k (clusters) must be a whole number from 2 to 30."),
        ({"n_clusters": "10"}, "k (clusters)"),
        ({"n_init": 0}, "n_init must be a whole number from 1 to 50"),
        ({"n_init": 10**9}, "n_init"),
        ({"n_init": True}, "n_init"),
        ({"seed": -1}, "Random seed"),
        ({"seed": 2**32}, "Random seed"),
        ({"mesh_step": 0}, "Mesh step must be a positive number, from 0.014 to 1; got 0."),
        ({"mesh_step": -1}, "Mesh step must be a positive number, from 0.014 to 1; got -1."),
        ({"mesh_step": 1.5}, "Mesh step must be at most 1"),
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
    out = map_view(*_values(**changes), shown=CLEAR)
    assert out["regions"] is out["caption"] is out["applied"] is no_update
    assert out["message_hidden"] is False
    assert mentions in _message_text(out["message"])


def test_every_bad_value_is_named_at_once():
    out = map_view(*_values(n_clusters=0, mesh_step=-1))
    text = _message_text(out["message"])
    assert out["message_hidden"] is False and "k (clusters)" in text and "Mesh step" in text
    # n-init, n-clusters, random-seed, mesh-step: the two bad fields are outlined.
    assert out["field_classes"] == [VALID, INVALID, VALID, INVALID]


@pytest.mark.parametrize(
    "forged",
    [None, "k-means++", [], {}, {**DEFAULTS, "n_clusters": 31}, {**DEFAULTS, "extra": 1},
     {k: v for k, v in DEFAULTS.items() if k != "seed"}, {**DEFAULTS, "mesh_step": float("nan")}],
)
def test_the_table_refuses_settings_the_map_never_applied(forged):
    """The store is set by the map callback only, but the endpoint is public."""
    with pytest.raises(PreventUpdate):
        results_view(forged)


def test_pca_based_ignores_n_init_for_its_fit():
    assert "deterministic, 1 run" in map_view(*_values(init_method="PCA-based", n_init=7))["caption"]


def test_a_bad_value_in_a_field_pca_based_disables_never_blocks():
    """n_init 0 left in the (disabled) field: PCA-based still applies, the table keeps the last n_init."""
    before = {**DEFAULTS, "n_init": 7, "seed": 3}
    out = map_view(*_values(init_method="PCA-based", n_init=0, seed=-5, n_clusters=5),
                   shown={**CLEAR, "applied": before})
    assert out["message_hidden"] is no_update and out["regions"] is not no_update  # no message: applied
    assert out["applied"] == {**DEFAULTS, "init_method": "PCA-based", "n_clusters": 5, "n_init": 7, "seed": 3}
    # Back to k-means++, the same n_init is the user's to fix again.
    out = map_view(*_values(init_method="k-means++", n_init=0), shown=CLEAR)
    assert out["message_hidden"] is False and "n_init must be a whole number from 1 to 50" in _message_text(
        out["message"])


def test_the_table_callback_reads_the_controls_and_refuses_what_the_map_refuses():
    from dash.exceptions import PreventUpdate

    from callbacks.refresh import table_view

    out = table_view("random", 4, 6, 3, 0.02)
    table = sent_view(out, "metrics-table")
    assert "k = 6, n_init = 4, seed = 3" in table.find_all("caption")[0].text
    assert [row.class_name for row in table.find_all("tbody")[0].find_all("tr")] == [None, "selected", None]
    for refused in (("random", 4, 99, 3, 0.02), ("random", 4, 6, 3, 5.0), ("kmeans", 4, 6, 3, 0.02)):
        with pytest.raises(PreventUpdate):
            table_view(*refused)
