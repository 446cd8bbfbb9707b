"""Colours chosen for colour-blind viewers, one per digit, the same in every view.

Digits use Petroff's 10-colour sequence (designed and tested for colour-vision deficiency;
matplotlib's "petroff10"). A cluster takes the colour of the digit it stands for: its centroid
disc, its name chip in the gallery and matrix, and its region on the map, in a pale tint of that
colour. Extra clusters of one digit (k > 10) take other tints of it, and touching regions never
share a tint (and differ by CIEDE2000 >= 10 wherever the palette allows: always for regions of
different digits). Hue is never the only cue: every cluster carries its name ("3", "3′").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from core.colour import ciede2000, hex_to_rgb, srgb_to_lab

DIGIT_COLOURS = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)
# How much of its digit's colour each matched region's tint keeps (the rest is white): chosen by
# search so that any two digits' tints differ by CIEDE2000 >= 10 (touching regions of different
# digits stay apart) while every digit's point colour differs from every tint by >= 12 (the dots
# stay legible on any region). Digit 3's grey must stay near white to be told from 8's.
BASE_STRENGTHS = (0.389, 0.372, 0.468, 0.05, 0.49, 0.4, 0.429, 0.363, 0.365, 0.356)
# Extras of a digit (k > 10) take deeper or lighter tints of the same colour. Six per digit: the
# greedy colouring below always finds one that no touching region of the digit has.
VARIANT_STEPS = (0.0, -0.25, 0.25, -0.12, 0.4, 0.12)
TINT_VARIANTS = len(VARIANT_STEPS)
TOUCHING_MIN_DIFFERENCE = 10.0  # CIEDE2000 between touching regions' tints, where the palette allows


def _tint(colour: str, strength: float) -> tuple[int, int, int]:
    strength = min(max(strength, 0.02), 0.95)
    return tuple(round(255 - (255 - channel) * strength) for channel in hex_to_rgb(colour))  # type: ignore


def digit_tint(digit: int, variant: int = 0) -> str:
    """A region tint of a digit's colour, as #rrggbb (variant 0: its matched cluster's)."""
    return "#{:02x}{:02x}{:02x}".format(*_tint(DIGIT_COLOURS[digit], BASE_STRENGTHS[digit] + VARIANT_STEPS[variant]))


def region_palette() -> list[int]:
    """A PNG palette: entry digit × TINT_VARIANTS + variant is that tint, as flat r, g, b."""
    return [channel for digit in range(len(DIGIT_COLOURS)) for variant in range(TINT_VARIANTS)
            for channel in hex_to_rgb(digit_tint(digit, variant))]


@lru_cache(maxsize=1)
def tint_differences() -> np.ndarray:
    """CIEDE2000 between every two palette entries (60 × 60)."""
    labs = [srgb_to_lab(hex_to_rgb(digit_tint(d, v)))
            for d in range(len(DIGIT_COLOURS)) for v in range(TINT_VARIANTS)]
    return np.array([[ciede2000(a, b) for b in labs] for a in labs])


def ink_on(colour: str) -> str:
    """Black or white text, whichever reads better on `colour` (WCAG relative luminance)."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in hex_to_rgb(colour))
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


def variant_slots(touching_pairs, groups: np.ndarray, preferred: np.ndarray | None = None) -> np.ndarray:
    """A tint variant (0..TINT_VARIANTS-1) per cluster such that touching clusters' tints differ.

    `touching_pairs` are the pairs (a, b) of clusters whose regions touch (core.boundary's
    geometry, or neighbouring_clusters of a raster); `groups` is each cluster's digit. Greedy colouring in smallest-last order over the touching
    clusters of one digit: repeatedly set aside the cluster with the fewest such neighbours left,
    then colour in reverse. Regions on a plane form a planar map, so each cluster then meets at most
    5 coloured neighbours of its digit and one of the 6 variants is always free: touching regions
    never share a tint. The matched clusters (`preferred`) are coloured first and keep variant 0.
    Among its free variants an extra takes the first (from 1 on) whose tint differs from every
    coloured touching region's by TOUCHING_MIN_DIFFERENCE, else the one that differs most.
    """
    n_clusters = len(groups)
    touching: dict[int, set[int]] = {cluster: set() for cluster in range(n_clusters)}
    for a, b in touching_pairs:
        if a < n_clusters and b < n_clusters:
            touching[a].add(b)
            touching[b].add(a)
    same = {c: {o for o in others if groups[o] == groups[c]} for c, others in touching.items()}
    remaining = {cluster: set(others) for cluster, others in same.items()}
    set_aside = []
    while remaining:
        cluster = min(remaining, key=lambda c: (len(remaining[c]), c))
        set_aside.append(cluster)
        for other in remaining.pop(cluster):
            remaining[other].discard(cluster)
    differences = tint_differences()
    slots = np.zeros(n_clusters, dtype=np.uint8)
    coloured: set[int] = set()
    # The matched clusters first: each keeps its digit's own tint (those differ by >= 10 already).
    smallest_last = set_aside[::-1]
    matched_first = sorted(smallest_last, key=lambda c: not (preferred is not None and preferred[c]))
    for cluster in matched_first:
        digit = int(groups[cluster])
        taken = {int(slots[other]) for other in same[cluster] & coloured}
        free = [v for v in range(TINT_VARIANTS) if v not in taken] or list(range(TINT_VARIANTS))
        if not (preferred is not None and preferred[cluster]):
            free = [v for v in free if v != 0] + [v for v in free if v == 0]  # extras leave 0 to the match
        neighbours = [int(groups[o]) * TINT_VARIANTS + int(slots[o]) for o in touching[cluster] & coloured]

        def nearest(variant: int, digit: int = digit, neighbours: list[int] = neighbours) -> float:
            own = digit * TINT_VARIANTS + variant
            return min((differences[own, other] for other in neighbours), default=np.inf)

        slot = next((v for v in free if nearest(v) >= TOUCHING_MIN_DIFFERENCE), None)
        slots[cluster] = slot if slot is not None else max(free, key=nearest)
        coloured.add(cluster)
    return slots
