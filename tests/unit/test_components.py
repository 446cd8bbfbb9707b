"""Components: pure functions from core results to Dash components and figures."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.datasets import make_blobs

from components.boundary_figure import (
    POINTS_TRACE,
    boundary_figure,
    class_colours,
    class_key,
    map_caption,
    map_png_stem,
    map_regions,
)
from components.cluster_views import centroid_gallery, class_matrix, matrix_summary, members_panel
from components.headline import matched_accuracy, verdict
from components.html_text import html_view, to_html
from components.jobs_section import jobs_panels
from components.metrics_table import COLUMNS, metrics_table
from components.stability_view import stability_frame
from components.sweep_figure import sweep_caption, sweep_figure
from core import datasets
from core.boundary import decision_boundary
from core.clustering import row_keys, table_row
from core.matching import cluster_members, matching_for
from core.pixels import centroid_pixels
from core.settings import DEFAULTS, Settings
from core.sweeps import k_sweep, seed_stability


def _text(component) -> str:
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(_text(child) for child in component)
    children = getattr(component, "children", None)
    return "" if children is None else _text(children)


def _scores(settings):
    return [table_row(*key).scores for key in row_keys(*settings.table_key)]


def _body_rows(table):
    table, _caption = table.children
    _head, body = table.children
    return body.children


def test_metrics_table_formats_for_reading_and_says_what_it_was_computed_at():
    settings = Settings(**{**DEFAULTS, "init_method": "random"})
    results = _scores(settings)
    table = metrics_table(results, settings)
    rows = _body_rows(table)
    assert [row.children[0].children for row in rows] == ["k-means++", "random", "PCA-based"]
    assert [row.className for row in rows] == [None, "selected", None]
    cells = [cell.children for cell in rows[0].children[1:]]
    first = results[0]
    assert cells[0] == f"{first.fit_seconds * 1000:.0f} ms"
    assert cells[1] == f"{first.inertia:,.0f}"
    assert cells[2:] == [f"{v:.3f}" for v in (first.homogeneity, first.completeness, first.v_measure,
                                              first.adjusted_rand, first.adjusted_mutual_info, first.silhouette)]
    caption = table.children[1].children
    assert "Handwritten digits" in caption and "k = 10, n_init = 10, seed = 0" in caption


def test_metrics_table_bolds_only_a_clear_winner():
    for k, seed in ((10, 0), (4, 3)):
        settings = Settings(**{**DEFAULTS, "n_clusters": k, "seed": seed})
        results = _scores(settings)
        rows = _body_rows(metrics_table(results, settings))
        for index, column in enumerate(COLUMNS, start=1):
            values = [column.value(result) for result in results]
            bold = [i for i, row in enumerate(rows) if row.children[index].className == "best"]
            ordered = sorted(values, reverse=column.higher_is_better)
            expected = [values.index(ordered[0])] if abs(ordered[0] - ordered[1]) >= column.margin(values) else []
            assert bold == expected, (column.header, values)


def test_an_init_that_cannot_run_at_this_k_says_so_in_its_row():
    settings = Settings("iris", "random", 10, 6, 0, 0.02)
    rows = _body_rows(metrics_table(_scores(settings), settings))
    assert [row.children[0].children for row in rows] == ["k-means++", "random", "PCA-based"]
    assert "needs k ≤ 4 (the number of features)" in _text(rows[2])


def test_the_verdict_speaks_of_the_selected_init():
    data = datasets.load()
    results = _scores(Settings(**DEFAULTS))
    best = max(results, key=lambda r: r.adjusted_rand).init_method
    for selected in ("k-means++", "random", "PCA-based"):
        text = verdict(results, selected, data)
        assert text.startswith("Of the three inits") or "agree about equally" in text
        assert selected in text
        if best != selected and "agree about equally" not in text:
            assert f"Select {best} under Init method" in text


def test_the_headline_is_the_hungarian_accuracy_in_the_datasets_words():
    for key, k in (("digits", 10), ("iris", 4)):
        data = datasets.load(key)
        fitted = table_row(*row_keys(key, k, 4, 0)[0]).fit
        matching = matching_for(data, fitted.labels, k)
        text = _text(matched_accuracy("k-means++", matching, 0.1, data))
        assert f"{matching.accuracy:.1%}" in text and f"{data.n_samples:,} {data.info.samples}" in text
        assert ("Purity" in text) == (k != data.n_classes)


def test_gallery_matrix_and_members_say_mostly_and_mixed_in_words():
    data = datasets.load()
    fitted = table_row(*row_keys("digits", 10, 10, 0)[0]).fit
    matching = matching_for(data, fitted.labels, 10)
    gallery = centroid_gallery(matching, centroid_pixels(fitted.centers, data.scaler, 8), data)
    labels = [card.title for card in gallery]
    for card, cluster in zip(gallery, matching.order, strict=True):
        assert matching.label(cluster) in card.title
        assert ("mixed" in card.className) == matching.mixed(cluster)
        assert ("MIXED" in _text(card).upper()) == matching.mixed(cluster)
    assert any("mostly" in label for label in labels)  # this fit has such a cluster
    matrix_text = _text(class_matrix(matching))
    summary = matrix_summary(matching)
    for cluster in range(10):
        if matching.mostly(cluster):
            assert matching.mostly(cluster) in matrix_text
    assert "Most mixed up:" in summary and "in cluster" in summary
    cluster = matching.order[0]
    members = cluster_members(data.scaled, fitted.centers[cluster], fitted.labels, data.target, cluster,
                              int(matching.stands_for[cluster]))
    assert matching.names[cluster] in _text(members_panel("model", matching, cluster, members, data))


def test_without_images_centroids_are_profiles_and_members_are_rows():
    data = datasets.load("wine")
    fitted = table_row(*row_keys("wine", 3, 4, 0)[0]).fit
    matching = matching_for(data, fitted.labels, 3)
    gallery = centroid_gallery(matching, data.scaler.inverse_transform(fitted.centers), data)
    profile = gallery[0].children[0]
    assert profile.className == "centroid-profile" and len(profile.children) == data.n_features
    assert all(bar.title.split(":")[0] in data.feature_names for bar in profile.children)
    members = cluster_members(data.scaled, fitted.centers[0], fitted.labels, data.target, 0, 0)
    assert "member-rows" in str(members_panel("model", matching, 0, members, data))


def test_the_map_is_the_points_alone_over_a_transparent_plot_area():
    data = datasets.load()
    figure = boundary_figure(data)
    assert [trace["name"] for trace in figure["data"]] == [POINTS_TRACE]
    go.Figure(figure)  # a valid figure, as Plotly checks it
    sent = json.loads(json.dumps(figure))  # as Dash sends it
    assert "template" not in sent["layout"] and not sent["layout"].get("images") and not sent["layout"].get("shapes")
    assert all(isinstance(sent["data"][0][key], list) for key in ("x", "y", "customdata"))
    assert figure["layout"]["plot_bgcolor"] == "rgba(0,0,0,0)"  # the regions' canvas shows through
    np.testing.assert_array_equal(np.asarray(figure["data"][0]["customdata"])[:, 1], data.target)


def test_the_markers_say_mostly_in_words_and_mixed_by_their_ring():
    plane = decision_boundary(Settings(**DEFAULTS)).plane
    markers = map_regions(plane)["markers"]
    matching = plane.matching
    assert [m["cluster"] for m in markers] == list(matching.order)
    for marker in markers:
        cluster = marker["cluster"]
        assert marker["name"] == matching.names[cluster]
        assert marker["colour"] == class_colours(10)[matching.stands_for[cluster]]
        assert (marker["x"], marker["y"]) == tuple(plane.centroids[cluster])
        assert marker["mixed"] == matching.mixed(cluster)
        assert marker["note"] == matching.mostly(cluster)
    assert any(m["mixed"] for m in markers) and any(m["note"] for m in markers)  # both cases seen


def test_the_map_sends_centroids_and_tints_not_a_raster():
    plane = decision_boundary(Settings(**DEFAULTS)).plane
    regions = map_regions(plane)
    assert len(regions["centers"]) == 10 and len(regions["tints"]) == 10
    assert regions["mesh_range"][0] == pytest.approx(0.014) and regions["images"] is True
    assert len(json.dumps(regions)) < 30_000


def test_the_maps_png_is_named_after_its_fit_and_an_upload_never_by_its_key():
    plane = decision_boundary(Settings(**DEFAULTS)).plane
    assert map_regions(plane)["png_stem"] == map_png_stem(plane.fit_key) == \
        "kmeans-map_digits_k-means++_k-10_n_init-10_seed-0"
    assert map_regions(plane)["title"] == datasets.load("digits").info.title  # the PNG's title names the data
    assert map_png_stem(("upload-s3cr3t", "random", 4, 1, 7)) == "kmeans-map_upload_random_k-4_n_init-1_seed-7"


def test_job_plots_start_hidden_and_sweeps_read_at_a_glance():
    panels = str(jobs_panels())
    assert panels.count("'display': 'none'") >= 3  # no empty boxes before a job has run
    sweep = sweep_figure(k_sweep("digits", "k-means++", (2, 4), 1, 0), 3)
    assert "Inertia" in [trace.name for trace in sweep.data if trace.showlegend is not False]
    assert sweep.layout.paper_bgcolor == "rgba(0,0,0,0)"  # sits on the card in either theme


def test_views_as_html_text_escape_everything_and_keep_attributes():
    from dash import dcc, html

    text = to_html(html.Td("<script>x</script>", title='a "b"', style={"backgroundColor": "red"},
                           className="c", colSpan=2, **{"data-pick-name": "7′"}))
    assert text == ('<td class="c" colspan="2" style="background-color: red" title="a &#34;b&#34;" '
                    'data-pick-name="7′">&lt;script&gt;x&lt;/script&gt;</td>')
    assert to_html(html.Img(src="data:x", alt="")) == '<img alt="" src="data:x" />'
    assert html_view(html.B("x"), "grid") == '<div class="grid"><b>x</b></div>'
    with pytest.raises(TypeError):
        to_html(html.Div(children=[dcc.Graph()]))


def test_a_big_dataset_draws_a_stated_sample_of_its_rows_and_each_dot_is_its_own_row():
    features, target = make_blobs(n_samples=12_000, centers=3, n_features=4, random_state=0)
    info = datasets.DatasetInfo("upload-test", "big.csv", "rows", "kind", "kind classes")
    data = datasets.prepare(info, features, target, ("0", "1", "2"), ("a", "b", "c", "d"))
    trace = boundary_figure(data)["data"][0]
    rows = np.asarray(trace["customdata"])[:, 0]
    assert len(rows) == datasets.MAP_POINTS_MAX == len(set(rows.tolist())) and rows.max() < 12_000
    np.testing.assert_array_equal(trace["x"], data.reduced[rows, 0])
    np.testing.assert_array_equal(np.asarray(trace["customdata"])[:, 1], target[rows])
    assert "a random 5,000 of the 12,000 rows" in str(class_key(data))
    small = datasets.prepare(info, features[:900], target[:900], ("0", "1", "2"), ("a", "b", "c", "d"))
    assert len(boundary_figure(small)["data"][0]["x"]) == 900 and "random" not in str(class_key(small))


def test_the_matrix_card_speaks_of_true_classes_only_when_the_data_has_them():
    import numpy as np

    from components.layout import matrix_heading
    from core.datasets import DatasetInfo, load, prepare

    title, note = matrix_heading(load("digits"))
    assert "true classes" in title and "named after" in note
    points = np.random.default_rng(0).normal(size=(40, 3))
    unlabelled = prepare(DatasetInfo("upload-test", "points.csv", "rows", "", ""), points, None, (),
                         ("a", "b", "c"), standardize=True)
    title, note = matrix_heading(unlabelled)
    assert title == "Clusters × true classes: none here" and "no label column" in note


def test_the_stability_csv_writes_seeds_as_whole_numbers_and_leaves_the_deterministic_seed_empty():
    result = seed_stability("iris", 3, 1, 7, 2)
    lines = stability_frame(result).to_csv(index=False).splitlines()
    seeds = {(line.split(",")[0], line.split(",")[1]) for line in lines[1:]}
    assert seeds == {("k-means++", "7"), ("k-means++", "8"), ("random", "7"), ("random", "8"), ("PCA-based", "")}


@pytest.mark.parametrize("init", ["k-means++", "random", "PCA-based"])
def test_the_maps_caption_names_a_seed_only_for_the_inits_that_use_one(init):
    caption = map_caption(decision_boundary(Settings(**{**DEFAULTS, "init_method": init, "seed": 7})).plane)
    assert ("· seed 7 ·" in caption) == (init != "PCA-based") and "seed 0" not in caption
    assert caption.startswith(f"2-D refit · {init} (")


@pytest.mark.parametrize("init", ["k-means++", "PCA-based"])
def test_the_sweeps_caption_says_what_was_clustered_and_names_a_seed_only_when_used(init):
    caption = sweep_caption(k_sweep("iris", init, (2, 3), 1, 5))
    assert caption.startswith(f"Iris flowers, all 4 features, standardized · {init} (") and caption.endswith("k 2–3")
    assert ("· seed 5 ·" in caption) == (init != "PCA-based")
