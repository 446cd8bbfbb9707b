"""The cluster views as functions: gallery, matrix, headline, verdict, members, the sprite sheet,
and the callbacks that produce them (from the table's cached fits; forged input changes nothing)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from dash.exceptions import PreventUpdate
from PIL import Image
from scipy.optimize import linear_sum_assignment
from sklearn.datasets import load_digits
from sklearn.metrics.cluster import contingency_matrix

from callbacks.clusters import CLOSED, members_view
from callbacks.refresh import applied_settings, map_view, results_view
from callbacks.results_views import results
from components.cluster_views import centroid_gallery, digit_matrix, matrix_summary
from components.digit_images import SPRITE_COLUMNS, SPRITE_PATH, sprite_sheet, sprite_style
from components.headline import verdict
from components.palette import DIGIT_COLOURS
from core import data
from core.boundary import decision_boundary
from core.clustering import InitBenchmark, fitted_inits
from core.matching import match_clusters
from core.pixels import centroid_pixels
from core.settings import DEFAULTS, INIT_METHODS, Settings


def _text(component) -> str:
    if isinstance(component, (str, int, float)):
        return str(component)
    if isinstance(component, (list, tuple)):
        return "".join(_text(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _decode(uri: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("L"))


@pytest.fixture(scope="module")
def digits():
    return data.load()


def _selected_fit(settings: Settings):
    return fitted_inits(settings.n_clusters, settings.n_init, settings.seed)[
        INIT_METHODS.index(settings.init_method)].fit


def test_the_sprite_asset_holds_every_digit_and_is_small():
    picture = Image.open(SPRITE_PATH)
    levels = np.asarray(picture)  # palette index = intensity 0..16
    images = load_digits().images
    for index in (0, 59, 60, 1000, 1796):
        row, column = divmod(index, SPRITE_COLUMNS)
        np.testing.assert_array_equal(levels[row * 8:row * 8 + 8, column * 8:column * 8 + 8], images[index])
    assert SPRITE_PATH.read_bytes() == sprite_sheet(images), "assets/digit-sprite.png is stale: regenerate it"
    assert SPRITE_PATH.stat().st_size <= 60_000
    assert sprite_style(0)["backgroundPosition"] == "0.0000% 0.0000%"
    assert sprite_style(1796)["backgroundPosition"] == f"{56 / 59 * 100:.4f}% {29 / 29 * 100:.4f}%"


@pytest.mark.parametrize(("init", "k", "n_init", "seed"), [("k-means++", 2, 3, 0), ("random", 30, 2, 5),
                                                          ("PCA-based", 10, 1, 0)])
def test_gallery_draws_each_centroid_with_its_name_size_and_purity(digits, init, k, n_init, seed):
    fit = _selected_fit(Settings(init, n_init, k, seed, 0.02))
    matching = match_clusters(digits.target, fit.labels, k)
    cards = centroid_gallery(matching, centroid_pixels(fit.centers, digits.scaler))
    assert len(cards) == k
    direct = contingency_matrix(fit.labels, digits.target)
    for card, cluster in zip(cards, matching.order, strict=True):
        image, name, stats = card.children
        assert getattr(card, "data-pick-name") == _text(name) == matching.names[cluster]
        members = direct[cluster]
        digit = matching.digit[cluster]
        assert _text(stats) == f"{members.sum()} · {members[digit] / members.sum():.0%}"
        # The image is the centroid through the scaler's inverse, as grey ink on white.
        expected = np.clip(digits.scaler.inverse_transform(fit.centers[cluster:cluster + 1]), 0, 16).reshape(8, 8)
        np.testing.assert_array_equal(_decode(image.src), (255 - expected / 16 * 255).astype(np.uint8))
        assert name.children[0].style["background"] == DIGIT_COLOURS[digit]


def test_matrix_rows_are_the_clusters_in_stable_order_with_counts_and_the_match_marked(digits):
    fit = _selected_fit(Settings("random", 10, 12, 3, 0.02))
    matching = match_clusters(digits.target, fit.labels, 12)
    table = digit_matrix(matching)
    rows = table.children[1].children
    direct = contingency_matrix(fit.labels, digits.target)
    rows_matched, columns_matched = linear_sum_assignment(direct, maximize=True)
    assert len(rows) == 12
    for row, cluster in zip(rows, matching.order, strict=True):
        name_cell, size_cell, *cells = row.children
        assert _text(name_cell) == matching.names[cluster]
        assert size_cell.children == f"{direct[cluster].sum():,}"
        assert [int(c.children.replace(",", "")) if c.children != "·" else 0 for c in cells] == direct[cluster].tolist()
        marked = [i for i, c in enumerate(cells) if c.className == "matched"]
        assert marked == [int(matching.digit[cluster])]
        if cluster in rows_matched:
            assert marked == [int(columns_matched[list(rows_matched).index(cluster)])]
    assert "Most mixed up" in matrix_summary(matching)


def test_k_of_two_gives_a_two_by_ten_matrix_and_names_missing_digits(digits):
    fit = _selected_fit(Settings("k-means++", 3, 2, 0, 0.02))
    matching = match_clusters(digits.target, fit.labels, 2)
    assert len(digit_matrix(matching).children[1].children) == 2
    assert "No cluster of its own:" in matrix_summary(matching)


def test_headline_is_the_hungarian_accuracy_with_purity_when_k_is_not_ten(digits):
    for settings in (Settings("k-means++", 10, 10, 0, 0.02), Settings("random", 4, 14, 2, 0.02)):
        out = results(settings)
        fit = _selected_fit(settings)
        table = contingency_matrix(fit.labels, digits.target)
        rows, columns = linear_sum_assignment(table, maximize=True)
        text = _text(out["accuracy"])
        assert f"K-means ({settings.init_method}) put {table[rows, columns].sum() / 1797:.1%} of the 1,797 digits" in text
        assert "Chance is about" in text
        purity = f"{table.max(axis=1).sum() / 1797:.1%}"
        assert ("Purity" in text and purity in text) == (settings.n_clusters != 10)


def _row(init: str, ari: float) -> InitBenchmark:
    return InitBenchmark(init, 0.1, 1000.0, 0.5, 0.5, 0.5, ari, 0.5, 0.1)


def test_verdict_names_a_winner_only_by_a_margin_of_at_least_a_hundredth():
    clear = verdict([_row("k-means++", 0.470), _row("random", 0.455), _row("PCA-based", 0.40)])
    assert clear.startswith("k-means++ agrees best") and "0.015 above random" in clear
    close = verdict([_row("k-means++", 0.470), _row("random", 0.462), _row("PCA-based", 0.40)])
    assert "about equally" in close and "k-means++ and random" in close and "PCA-based trails" in close
    assert "about equally" in verdict([_row("k-means++", 0.5), _row("random", 0.5), _row("PCA-based", 0.495)])


def test_the_views_come_from_the_tables_own_fits(digits):
    """No extra fit: the names in the tooltip store are the matching of the table row's labels."""
    settings = Settings("random", 5, 8, 1, 0.02)
    out = results_view(applied_settings(settings))
    fit = _selected_fit(settings)
    assert out["model_clusters"]["labels"] == fit.labels.tolist()
    assert out["model_clusters"]["names"] == list(match_clusters(digits.target, fit.labels, 8).names)
    assert out["model_clusters"]["init"] == "random"


def test_members_of_a_picked_cluster_and_of_a_map_region(digits):
    settings = Settings("k-means++", 10, 10, 0, 0.02)
    applied = applied_settings(settings)
    fit = _selected_fit(settings)
    matching = match_clusters(digits.target, fit.labels, 10)
    out = members_view({"source": "model", "name": "3", "at": 1}, applied)
    assert out["hidden"] is False
    cluster = matching.names.index("3")
    members = np.flatnonzero(fit.labels == cluster)
    nearest = members[np.argsort(np.linalg.norm(digits.scaled[members] - fit.centers[cluster], axis=1),
                                 kind="stable")]
    _head, _h_typical, typical, _h_misfits, misfits = out["members"]
    assert [tile.title for tile in typical.children] == [
        f"Sample #{i}: a {digits.target[i]}" for i in nearest[:24]]
    wrong = nearest[digits.target[nearest] != 3][:24]
    assert [tile.title for tile in misfits.children] == [f"Sample #{i}: a {digits.target[i]}" for i in wrong]
    # A map region: the 2-D fit's cluster of that name.
    boundary = decision_boundary(settings)
    out = members_view({"source": "map", "name": "0"}, applied)
    region = boundary.matching.names.index("0")
    assert f"{int((boundary.point_clusters == region).sum()):,} members" in _text(out["members"][0])


@pytest.mark.parametrize("forged", [None, "3", [], {}, {"source": "model"}, {"source": "x", "name": "3"},
                                    {"source": "model", "name": 3}, {"source": "model", "name": "9" * 400},
                                    {"source": "model", "name": "<b>3</b>"}, {"source": "map", "name": "12"}])
def test_forged_or_stale_picks_close_the_panel(forged):
    assert members_view(forged, applied_settings(Settings(**DEFAULTS))) == CLOSED


def test_a_pick_after_k_shrank_shows_nothing_stale():
    assert members_view({"source": "model", "name": "7′"}, applied_settings(Settings("random", 2, 12, 0, 0.02))
                        )["hidden"] is False
    assert members_view({"source": "model", "name": "7′"}, applied_settings(Settings("random", 2, 5, 0, 0.02))
                        ) == CLOSED


def test_members_refuse_a_forged_settings_store():
    with pytest.raises(PreventUpdate):
        members_view({"source": "model", "name": "3"}, {**DEFAULTS, "n_clusters": 31})


def test_a_refused_setting_marks_the_views_stale_and_a_valid_one_clears_it():
    bad = map_view("k-means++", 10, 99, 0, 0.02)
    assert bad["results_class"] == "content stale" and bad["clusters"] is bad["regions"]
    good = map_view("k-means++", 10, 9, 0, 0.02, shown={"message_hidden": False, "field_classes": []})
    assert good["results_class"] == "content"
    boundary = decision_boundary(Settings("k-means++", 10, 9, 0, 0.02))
    assert good["clusters"]["labels"] == boundary.point_clusters.tolist()
    assert good["clusters"]["names"] == list(boundary.matching.names)
