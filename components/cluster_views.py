"""What K-means found, as the data: the centroid gallery, the cluster × class matrix, the members.

Every view lists clusters in the matching's stable order (by the class each stands for) and shows
each in its class's colour, so "3" looks and reads the same everywhere, after every click. Where a
cluster's name is not what it mostly holds, every view says so in words ("9 · mostly 7s"), and a
mixed cluster (its own class under half of it) carries the word "mixed", not only a colour.

Clusters are picked by name through `data-pick-*` attributes (assets/cluster_views.js reads them on
a click): a name still means the same class after a refit, and a name that no longer exists
simply matches nothing.
"""

from __future__ import annotations

import numpy as np
from dash import html

from components.boundary_figure import class_colours
from components.digit_images import digit_png, sprite_style
from components.palette import ink_on
from core.datasets import Dataset
from core.matching import ClusterMatching, Members, confusions

MODEL, MAP = "model", "map"  # the full model behind the table; the 2-D refit on the map
SOURCE_TITLES = {MODEL: "cluster", MAP: "map cluster"}


def pick_attributes(view: str, source: str, name: str) -> dict:
    """What makes an element open a cluster's members when clicked (assets/cluster_views.js)."""
    return {"data-pick-view": view, "data-pick-source": source, "data-pick-name": name}


def name_chip(matching: ClusterMatching, cluster: int) -> html.Span:
    """The cluster's name on its class's colour, then what it mostly holds, and "mixed"."""
    colour = class_colours(matching.n_classes)[matching.stands_for[cluster]]
    parts = [html.Span(matching.names[cluster], className="name-chip",
                       style={"background": colour, "color": ink_on(colour)})]
    mostly = matching.mostly(cluster)
    if mostly:
        parts.append(html.Span([html.Span(" · ", className="mostly-separator"), mostly], className="mostly"))
    if matching.mixed(cluster):
        parts.append(html.Span("mixed", className="mixed-tag"))
    return html.Span(parts, className="cluster-name")


def _described(matching: ClusterMatching, cluster: int) -> str:
    if not matching.labelled:
        return f"Cluster {matching.names[cluster]}: {int(matching.sizes[cluster])} members"
    own = int(matching.stands_for[cluster])
    size, purity = int(matching.sizes[cluster]), matching.cluster_purity(cluster)
    text = f"Cluster {matching.label(cluster)}: {size} members, {purity:.0%} are {matching.plural(own)}"
    return text + (" (mixed)" if matching.mixed(cluster) else "")


def _profile(values: np.ndarray, feature_names: tuple[str, ...], low: np.ndarray, high: np.ndarray) -> html.Div:
    """A centroid without an image: one bar per feature, its height the centroid's value between
    the feature's smallest and largest value in the data; the value and unit on hover."""
    span = np.where(high > low, high - low, 1.0)
    shares = np.clip((values - low) / span, 0, 1)
    bars = [html.Span(className="profile-bar", style={"height": f"{4 + 96 * share:.0f}%"},
                      title=f"{name}: {value:.3g}")
            for name, value, share in zip(feature_names, values.tolist(), shares.tolist(), strict=True)]
    return html.Div(bars, className="centroid-profile", role="img",
                    **{"aria-label": "Centroid profile: " + ", ".join(
                        f"{name} {value:.3g}" for name, value in zip(feature_names, values.tolist(), strict=True))})


def centroid_gallery(matching: ClusterMatching, centroids: np.ndarray, dataset: Dataset) -> list:
    """One button per cluster: its centroid (an image for the digits, else a profile of its
    features in their own units), its name, size and purity."""
    cards = []
    low, high = dataset.features.min(axis=0), dataset.features.max(axis=0)
    for cluster in matching.order:
        size, purity = int(matching.sizes[cluster]), matching.cluster_purity(cluster)
        if dataset.images is not None:
            picture = html.Img(src=digit_png(centroids[cluster]), alt="", className="centroid-image")
        else:
            picture = _profile(centroids[cluster], dataset.feature_names, low, high)
        described = _described(matching, cluster) + ". Show its members."
        cards.append(html.Button(
            [picture, html.Span(name_chip(matching, cluster), className="centroid-name"),
             html.Span(f"{size:,} · {purity:.0%}" if matching.labelled else f"{size:,}", className="centroid-stats")],
            className="centroid-card mixed" if matching.mixed(cluster) else "centroid-card", title=described,
            **{"aria-label": described, **pick_attributes("gallery", MODEL, matching.names[cluster])},
        ))
    return cards


def _heat(share: float) -> dict:
    """A cell's shade: the share of its row, on one dark hue, with text that stays readable."""
    style = {"background": f"rgba(29, 60, 110, {share:.3f})"}
    # WCAG AA (4.5:1) at every share: black text up to 0.70, white beyond (both 4.58:1 there).
    if share > 0.45:
        style["color"] = "#ffffff" if share > 0.70 else "#000000"
    return style


def class_matrix(matching: ClusterMatching) -> html.Table:
    """Clusters (rows, stable order) × true classes (columns): counts, shaded by share of the row;
    the cell of the class each cluster is named after is outlined."""
    colours = class_colours(matching.n_classes)
    header = html.Tr([html.Th("Cluster", scope="col"), html.Th("Size", scope="col")]
                     + [html.Th(name, scope="col", style={"borderBottomColor": colours[index]},
                                className="class-col") for index, name in enumerate(matching.class_names)])
    rows = []
    for cluster in matching.order:
        name, own = matching.names[cluster], int(matching.stands_for[cluster])
        counts = matching.contingency[cluster]
        size = int(counts.sum())
        cells = [
            html.Th(html.Button(name_chip(matching, cluster), className="row-pick",
                                title=f"Show the members of cluster {name}",
                                **{"aria-label": f"{_described(matching, cluster)}: show its members",
                                   **pick_attributes("matrix", MODEL, name)}), scope="row"),
            html.Td(f"{size:,}", className="size"),
        ]
        for column, count in enumerate(counts.tolist()):
            marked = column == own
            cells.append(html.Td(
                f"{count:,}" if count else "·",
                className="matched" if marked else None,
                style=_heat(count / size) if count else None,
                title=f"{count} of cluster {name}'s {size} members are {matching.plural(column)}"
                      + (f" (cluster {name} is named after them)" if marked else ""),
            ))
        rows.append(html.Tr(cells, className="mixed" if matching.mixed(cluster) else None))
    return html.Table([html.Thead(header), html.Tbody(rows)], className="class-matrix")


def no_classes_note() -> html.P:
    return html.P("No label column: there are no classes to cross the clusters with. The gallery above shows "
                  "each cluster's centroid and size.", className="section-note")


def matrix_summary(matching: ClusterMatching) -> str:
    """One sentence above the matrix: which classes were found cleanly, missed and most mixed up."""
    clean = [matching.class_names[int(matching.stands_for[c])] for c in matching.order
             if matching.matched[c] and matching.cluster_purity(c) >= 0.9]
    found = {int(c) for c, m in zip(matching.stands_for, matching.matched, strict=True) if m}
    missed = [name for index, name in enumerate(matching.class_names) if index not in found]
    parts = [f"Found cleanly (≥ 90% pure): {', '.join(clean) or 'none'}."]
    if missed:
        parts.append(f"No cluster of its own: {', '.join(missed)}.")
    worst = confusions(matching)
    if worst:
        parts.append("Most mixed up: " + "; ".join(
            f"{count} {matching.plural(true)} in cluster {matching.label(cluster)}"
            for count, true, cluster in worst) + ".")
    return " ".join(parts)


def _tiles(indices: tuple[int, ...], dataset: Dataset) -> list:
    truth = dataset.target
    if truth is None:
        header = html.Tr([html.Th("#", scope="col")] + [html.Th(name, scope="col") for name in dataset.feature_names])
        rows = [html.Tr([html.Td(str(index))] + [html.Td(f"{value:.3g}") for value in dataset.features[index].tolist()])
                for index in indices]
        return [html.Div(html.Table([html.Thead(header), html.Tbody(rows)], className="member-rows"),
                         className="table-scroll")]
    if dataset.images is not None:
        names = [dataset.class_names[int(truth[index])] for index in indices]
        return [html.Figure([html.Span(className="digit-sprite", style=sprite_style(index)), html.Figcaption(name)],
                            className="digit-tile", title=f"Sample #{index}: a {name}")
                for index, name in zip(indices, names, strict=True)]
    header = html.Tr([html.Th("#", scope="col"), html.Th(dataset.info.label, scope="col")]
                     + [html.Th(name, scope="col") for name in dataset.feature_names])
    rows = [html.Tr([html.Td(str(index)), html.Td(dataset.class_names[int(truth[index])])]
                    + [html.Td(f"{value:.3g}") for value in dataset.features[index].tolist()])
            for index in indices]
    return [html.Div(html.Table([html.Thead(header), html.Tbody(rows)], className="member-rows"),
                     className="table-scroll")]


def members_panel(source: str, matching: ClusterMatching, cluster: int, members: Members,
                  dataset: Dataset) -> list:
    """A cluster's typical members and misfits: digits as 8×8 images, other data as table rows."""
    noun = dataset.info.samples
    if not matching.labelled:
        return [
            html.Div([html.H3([f"{SOURCE_TITLES[source].capitalize()} ", name_chip(matching, cluster)],
                              className="members-title"),
                      html.Span(f"{members.size:,} {noun}", className="section-note")], className="members-head"),
            html.H4(f"Typical: the {len(members.typical)} nearest its centroid"),
            html.Div(_tiles(members.typical, dataset), className="digit-tiles"),
        ]
    own = int(matching.stands_for[cluster])
    share = 1 - members.n_misfits / members.size if members.size else 0.0
    misfits_title = (f"Misfits: members that are not {matching.plural(own)} "
                     f"({len(members.misfits)} of {members.n_misfits} shown)")
    return [
        html.Div([
            html.H3([f"{SOURCE_TITLES[source].capitalize()} ", name_chip(matching, cluster)],
                    className="members-title"),
            html.Span(f"{members.size:,} {noun} · {share:.0%} are {matching.plural(own)}", className="section-note"),
        ], className="members-head"),
        html.H4(f"Typical: the {len(members.typical)} nearest its centroid"),
        html.Div(_tiles(members.typical, dataset), className="digit-tiles"),
        html.H4(misfits_title),
        html.Div(_tiles(members.misfits, dataset), className="digit-tiles")
        if members.misfits else html.P(f"None: every member is one of the {matching.plural(own)}.",
                                       className="section-note"),
    ]
