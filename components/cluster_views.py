"""What K-means found, as digits: the centroid gallery, the cluster × digit matrix, the members.

Every view lists clusters in the matching's stable order (by the digit each stands for) and
shows each in its digit's colour, so "3" looks and reads the same everywhere, after every click.
Clusters are picked by name (the `data-pick-*` attributes that assets/cluster_views.js reads on a
click): a name still means the same digit after a refit, and a name that no longer exists simply
matches nothing. The gallery and the matrix are sent as HTML (components/html_string.py).
"""

from __future__ import annotations

import numpy as np
from dash import html

from components.digit_images import digit_png, sprite_style
from components.palette import DIGIT_COLOURS, ink_on
from core.matching import N_DIGITS, ClusterMatching, Members, confusions

MODEL, MAP = "model", "map"  # the 64-D model behind the table; the 2-D refit on the map
SOURCE_TITLES = {MODEL: "cluster", MAP: "map cluster"}


def pick_attributes(view: str, source: str, name: str) -> dict:
    """What makes an element open a cluster's members when clicked (assets/cluster_views.js)."""
    return {"data-pick-view": view, "data-pick-source": source, "data-pick-name": name}


def name_chip(name: str, digit: int) -> html.Span:
    colour = DIGIT_COLOURS[digit]
    return html.Span(name, className="name-chip", style={"background": colour, "color": ink_on(colour)})


def centroid_gallery(matching: ClusterMatching, pixels: np.ndarray) -> list:
    """One button per cluster: its centroid as an 8×8 image, its name, size and purity."""
    cards = []
    for cluster in matching.order:
        name, digit = matching.names[cluster], int(matching.digit[cluster])
        size, purity = int(matching.sizes[cluster]), matching.cluster_purity(cluster)
        described = f"Cluster {name}: {size} digits, {purity:.0%} are {digit}s. Show its members."
        cards.append(html.Button(
            [html.Img(src=digit_png(pixels[cluster]), alt="", className="centroid-image"),
             html.Span([name_chip(name, digit)], className="centroid-name"),
             html.Span(f"{size} · {purity:.0%}", className="centroid-stats")],
            className="centroid-card", title=described,
            **{"aria-label": described, **pick_attributes("gallery", MODEL, name)},
        ))
    return cards


def _heat(share: float) -> dict:
    """A cell's shade: the share of its row, on one dark hue, with text that stays readable."""
    style = {"background": f"rgba(29, 60, 110, {share:.3f})"}
    # WCAG AA (4.5:1) at every share: black text up to 0.70, white beyond (both 4.58:1 there);
    # the page's ink colour falls short between ~0.6 and 0.7 (issue 11, tests/test_share.py).
    if share > 0.45:
        style["color"] = "#ffffff" if share > 0.70 else "#000000"
    return style


def digit_matrix(matching: ClusterMatching) -> html.Table:
    """Clusters (rows, stable order) × true digits (columns): counts, shaded by share of the row;
    the cell of the digit each cluster stands for is outlined."""
    header = html.Tr([html.Th("Cluster", scope="col"), html.Th("Size", scope="col")]
                     + [html.Th(str(digit), scope="col", style={"borderBottomColor": DIGIT_COLOURS[digit]},
                                className="digit-col") for digit in range(N_DIGITS)])
    rows = []
    for cluster in matching.order:
        name, digit = matching.names[cluster], int(matching.digit[cluster])
        counts = matching.contingency[cluster]
        size = int(counts.sum())
        cells = [
            html.Th(html.Button(name_chip(name, digit), className="row-pick",
                                title=f"Show the members of cluster {name}",
                                **{"aria-label": f"Cluster {name}: show its members",
                                   **pick_attributes("matrix", MODEL, name)}), scope="row"),
            html.Td(f"{size:,}", className="size"),
        ]
        for column, count in enumerate(counts.tolist()):
            marked = column == digit
            cells.append(html.Td(
                f"{count:,}" if count else "·",
                className="matched" if marked else None,
                style=_heat(count / size) if count else None,
                title=f"{count} of cluster {name}'s {size} digits are {column}s"
                      + (f" (cluster {name} stands for {digit})" if marked else ""),
            ))
        rows.append(html.Tr(cells))
    return html.Table([html.Thead(header), html.Tbody(rows)], className="digit-matrix")


def matrix_summary(matching: ClusterMatching) -> str:
    """One sentence under the matrix: which digits were found, missed and most confused."""
    clean = sorted({int(matching.digit[c]) for c in range(matching.n_clusters)
                    if matching.matched[c] and matching.cluster_purity(c) >= 0.9})
    missed = sorted(set(range(N_DIGITS)) - {int(d) for d, m in zip(matching.digit, matching.matched, strict=True)
                                            if m})
    parts = [f"Found cleanly (≥ 90% pure): {', '.join(map(str, clean)) or 'none'}."]
    if missed:
        parts.append(f"No cluster of its own: {', '.join(map(str, missed))}.")
    worst = confusions(matching)
    if worst:
        parts.append("Most mixed up: " + "; ".join(f"{count} {true}s in a {found}s cluster"
                                                    for count, true, found in worst) + ".")
    return " ".join(parts)


def _digit_tiles(indices: tuple[int, ...], truth: np.ndarray) -> list:
    return [html.Figure([html.Span(className="digit-sprite", style=sprite_style(index)),
                         html.Figcaption(str(int(truth[index])))],
                        className="digit-tile", title=f"Sample #{index}: a {int(truth[index])}")
            for index in indices]


def members_panel(source: str, name: str, digit: int, members: Members, truth: np.ndarray) -> list:
    """A cluster's typical members and misfits, each an 8×8 digit with its true label."""
    share = 1 - members.n_misfits / members.size
    title = f"{SOURCE_TITLES[source].capitalize()} {name}"
    misfits_title = (f"Misfits: members that are not {digit}s "
                     f"({len(members.misfits)} of {members.n_misfits} shown)")
    return [
        html.Div([
            html.H3([title, " ", name_chip(name, digit)], className="members-title"),
            html.Span(f"{members.size:,} members · {share:.0%} are {digit}s", className="section-note"),
        ], className="members-head"),
        html.H4(f"Typical: the {len(members.typical)} nearest its centroid"),
        html.Div(_digit_tiles(members.typical, truth), className="digit-tiles"),
        html.H4(misfits_title),
        html.Div(_digit_tiles(members.misfits, truth), className="digit-tiles")
        if members.misfits else html.P(f"None: every member is a {digit}.", className="section-note"),
    ]
