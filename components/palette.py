"""Colours chosen for colour-blind viewers.

Digits use Petroff's 10-colour sequence (designed and tested for colour-vision deficiency;
matplotlib's "petroff10"). Regions use pale tints from Paul Tol's "light" and "pale" schemes,
and neighbouring regions always get different tints. Hue is never the only cue: every region
carries its cluster number at its centroid.
"""

from __future__ import annotations

import numpy as np

DIGIT_COLOURS = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)

REGION_COLOURS = (
    "#bbccee", "#eeeebb", "#ccddaa", "#ffcccc", "#cceeff", "#e6d3f0",
    "#ddeedd", "#f5dcc0", "#dddddd", "#c8e6e0", "#f0e0ea", "#e8e8d0",
)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def region_rgb() -> list[int]:
    """REGION_COLOURS as a flat [r, g, b, r, g, b, ...] list, a PNG palette."""
    return [channel for colour in REGION_COLOURS for channel in _hex_to_rgb(colour)]


def neighbouring_clusters(labels: np.ndarray) -> set[tuple[int, int]]:
    """Pairs (a, b), a < b, of clusters whose regions touch on the mesh."""
    pairs = set()
    for here, there in ((labels[:, :-1], labels[:, 1:]), (labels[:-1, :], labels[1:, :])):
        differ = here != there
        if differ.any():
            a, b = here[differ].astype(np.int16), there[differ].astype(np.int16)
            codes = np.unique(np.minimum(a, b) * 256 + np.maximum(a, b))
            pairs.update((int(code) // 256, int(code) % 256) for code in codes)
    return pairs


def region_colour_slots(labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """A REGION_COLOURS index per cluster such that touching regions differ.

    Greedy colouring in smallest-last order: repeatedly set aside the cluster with the fewest
    neighbours left, then colour in reverse. Regions on a plane form a planar map, so each
    cluster then meets at most 5 coloured neighbours and one of the 12 tints is always free.
    The least-used free tint keeps all tints distinct up to 12 clusters.
    """
    neighbours: dict[int, set[int]] = {cluster: set() for cluster in range(n_clusters)}
    for a, b in neighbouring_clusters(labels):
        neighbours[a].add(b)
        neighbours[b].add(a)
    remaining = {cluster: set(others) for cluster, others in neighbours.items()}
    set_aside = []
    while remaining:
        cluster = min(remaining, key=lambda c: (len(remaining[c]), c))
        set_aside.append(cluster)
        for other in remaining.pop(cluster):
            remaining[other].discard(cluster)
    slots = np.zeros(n_clusters, dtype=np.uint8)
    uses = [0] * len(REGION_COLOURS)
    coloured: set[int] = set()
    for cluster in reversed(set_aside):
        taken = {int(slots[other]) for other in neighbours[cluster] & coloured}
        free = [slot for slot in range(len(REGION_COLOURS)) if slot not in taken]
        slot = min(free, key=lambda s: (uses[s], s)) if free else cluster % len(REGION_COLOURS)
        slots[cluster] = slot
        uses[slot] += 1
        coloured.add(cluster)
    return slots
