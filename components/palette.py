"""Colours chosen for colour-blind viewers, one per digit, the same in every view.

Digits use Petroff's 10-colour sequence (designed and tested for colour-vision deficiency;
matplotlib's "petroff10"). A cluster takes the colour of the digit it stands for: its centroid
disc, its name chip in the gallery and matrix, and its region on the map, in a pale tint of that
colour. Extra clusters of one digit (k > 10) take other tints of it, and touching regions never
share a tint. Hue is never the only cue: every cluster carries its name ("3", "3′").
"""

from __future__ import annotations

import numpy as np

DIGIT_COLOURS = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)
# How much of the digit's colour each tint keeps (the rest is white). Variant 0 is the matched
# cluster's; extras take the others. Six suffice: regions on a plane need at most six colours
# under smallest-last greedy colouring, whatever the number of extras of one digit.
TINT_STRENGTHS = (0.30, 0.46, 0.17, 0.38, 0.24, 0.54)
TINT_VARIANTS = len(TINT_STRENGTHS)


def _hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _tint(colour: str, strength: float) -> tuple[int, int, int]:
    return tuple(round(255 - (255 - channel) * strength) for channel in _hex_to_rgb(colour))  # type: ignore


def digit_tint(digit: int, variant: int = 0) -> str:
    """The pale region tint of a digit's colour, as #rrggbb."""
    return "#{:02x}{:02x}{:02x}".format(*_tint(DIGIT_COLOURS[digit], TINT_STRENGTHS[variant]))


def region_palette() -> list[int]:
    """A PNG palette: entry digit × TINT_VARIANTS + variant is that tint, as flat r, g, b."""
    return [channel for colour in DIGIT_COLOURS for strength in TINT_STRENGTHS
            for channel in _tint(colour, strength)]


def ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on `colour` (WCAG relative luminance)."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in _hex_to_rgb(colour))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with black is (L + 0.05) / 0.05, with white 1.05 / (L + 0.05): pick the larger.
    return "#000000" if (luminance + 0.05) ** 2 > 0.05 * 1.05 else "#ffffff"


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


def variant_slots(labels: np.ndarray, groups: np.ndarray, preferred: np.ndarray | None = None) -> np.ndarray:
    """A tint variant (0..TINT_VARIANTS-1) per cluster such that touching clusters of one group differ.

    `groups` is each cluster's digit: clusters of different digits already differ in hue. Greedy
    colouring in smallest-last order: repeatedly set aside the cluster with the fewest same-group
    neighbours left, then colour in reverse. Regions on a plane form a planar map, so each cluster
    then meets at most 5 coloured neighbours and one of the 6 variants is always free. A cluster
    whose `preferred` flag is set (the matched one) keeps variant 0 when it is free; the others
    take the least-used free variant.
    """
    n_clusters = len(groups)
    neighbours: dict[int, set[int]] = {cluster: set() for cluster in range(n_clusters)}
    for a, b in neighbouring_clusters(labels):
        if a < n_clusters and b < n_clusters and groups[a] == groups[b]:
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
    uses = np.zeros((int(groups.max(initial=0)) + 1, TINT_VARIANTS), dtype=int)
    uses[:, 0] = 1  # variant 0 is kept for the matched cluster while another is free
    coloured: set[int] = set()
    for cluster in reversed(set_aside):
        taken = {int(slots[other]) for other in neighbours[cluster] & coloured}
        free = [slot for slot in range(TINT_VARIANTS) if slot not in taken]
        group_uses = uses[groups[cluster]]
        if preferred is not None and preferred[cluster] and 0 in free:
            slot = 0
        else:
            slot = min(free, key=lambda s: (group_uses[s], s)) if free else cluster % TINT_VARIANTS
        slots[cluster] = slot
        group_uses[slot] += 1
        coloured.add(cluster)
    return slots
