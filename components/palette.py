"""Colours chosen for colour-blind viewers, one per digit, the same in every view.

Digits use Petroff's 10-colour sequence (designed and tested for colour-vision deficiency;
matplotlib's "petroff10"). A cluster takes the colour of the digit it stands for: its centroid
disc, its name chip in the gallery and matrix, and its region on the map, in a pale tint of that
colour. Extra clusters of one digit (k > 10) take other members of the digit's colour family
(lighter or deeper, the hue turned by at most 10°), chosen per map by an exact search so that
touching regions differ by CIEDE2000 >= 10 (on every map we measured, k 11-30) and every dot
colour stays >= 12 from every region. Hue is never the only cue: every cluster carries its name
("3", "3′").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from core.colour import ciede2000_array, hex_to_rgb, lab_to_srgb_array, srgb_to_lab_array
from core.region_colouring import most_distinct_colouring

DIGIT_COLOURS = (
    "#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6",
    "#a96b59", "#e76300", "#b9ac70", "#717581", "#92dadd",
)
# How much of its digit's colour each matched region's tint keeps (the rest is white): chosen by
# search so that any two digits' tints differ by CIEDE2000 >= 10 (touching regions of different
# digits stay apart) while every digit's point colour differs from every tint by >= 12 (the dots
# stay legible on any region). Digit 3's grey must stay near white to be told from 8's.
BASE_STRENGTHS = (0.389, 0.372, 0.468, 0.05, 0.49, 0.4, 0.429, 0.363, 0.365, 0.356)
TOUCHING_MIN_DIFFERENCE = 10.0  # CIEDE2000 between touching regions' tints
DOT_MIN_DIFFERENCE = 12.0  # CIEDE2000 between any digit's dot colour and any region tint
# An extra's region is mostly its own digit's dots: those keep a wider margin.
OWN_DOT_MIN_DIFFERENCE = 16.0

# Extras of a digit (k > 10) take other members of its colour family: the digit's colour, its hue
# turned by up to 10° and its chroma scaled by 0.8-1.25 (in CIE LCh), mixed with white (a tint)
# or with up to 60% black (a shade). Only members >= DOT_MIN_DIFFERENCE from every dot colour
# qualify. 25 variants a digit (250 palette entries: a PNG palette holds 256).
TINT_VARIANTS = 25
_HUE_TURNS = (-10.0, -5.0, 0.0, 5.0, 10.0)
_CHROMA_SCALES = (0.8, 1.0, 1.25)
_WHITE_STRENGTHS = np.round(np.arange(0.04, 0.99, 0.02), 2)  # share of the colour, the rest white
# A tint with less than this share of its digit's own tint's chroma is near-white, no longer
# its digit's colour: only greys (3 and 8, chroma below _GREY_CHROMA) may be that pale.
_MIN_CHROMA_SHARE = 0.5
_GREY_CHROMA = 10.0
FROM_WHITE_MIN = 8.0  # CIEDE2000 from white: a region must read as a region, not as blank
_BLACK_SHARES = np.round(np.arange(0.04, 0.41, 0.04), 2)  # shades: share of black (none so deep it dominates)
# A digit's own tint where mixing its colour with white leaves no visible region: 3's grey would
# be near-white. Light sage instead: CIEDE2000 16 from white, >= 10 from every other digit's tint,
# >= 12 from every dot colour (found by a search over sRGB under those constraints).
OWN_TINTS = {3: (186, 208, 194)}
# The colour a digit's extras are mixed from, where it is not its dot colour: 3's extras are
# lighter and deeper sages, its own tint's family (a grey's mixes were near-white or too dark).
FAMILY_BASES = {3: "#6f9a80"}


def own_tint(digit: int) -> tuple[int, int, int]:
    """A matched cluster's region colour: its digit's colour mixed with white, or OWN_TINTS's."""
    return OWN_TINTS.get(digit) or _tint(DIGIT_COLOURS[digit], BASE_STRENGTHS[digit])


def _tint(colour: str, strength: float) -> tuple[int, int, int]:
    """A matched cluster's tint: `strength` of the colour, the rest white."""
    strength = min(max(strength, 0.02), 0.95)
    return tuple(round(255 - (255 - channel) * strength) for channel in hex_to_rgb(colour))  # type: ignore


def _family(digit: int) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """Every qualifying member of a digit's colour family: sRGB rows, and per row how far it
    strays (share of black, hue turn, chroma change): the mildest are liked best."""
    lightness, a, b = srgb_to_lab_array(hex_to_rgb(FAMILY_BASES.get(digit, DIGIT_COLOURS[digit])))
    chroma, hue = np.hypot(a, b), np.arctan2(b, a)
    rows, strays = [], []
    for turn in _HUE_TURNS:
        for scale in _CHROMA_SCALES:
            angle = hue + np.radians(turn)
            base = lab_to_srgb_array([lightness, chroma * scale * np.cos(angle), chroma * scale * np.sin(angle)])
            if np.any(base < -0.5) or np.any(base > 255.5):
                continue  # outside sRGB
            base = np.clip(base, 0, 255)
            for strength in _WHITE_STRENGTHS:
                rows.append(np.round(255 - (255 - base) * strength))
                strays.append((0.0, abs(turn), abs(scale - 1)))
            for share in _BLACK_SHARES:
                rows.append(np.round(base * (1 - share)))
                strays.append((float(share), abs(turn), abs(scale - 1)))
    rgbs = np.array(rows, dtype=int)
    dots = srgb_to_lab_array([hex_to_rgb(colour) for colour in DIGIT_COLOURS])
    apart = ciede2000_array(srgb_to_lab_array(rgbs)[:, None, :], dots[None, :, :])
    legible = (apart.min(axis=1) >= DOT_MIN_DIFFERENCE) & (apart[:, digit] >= OWN_DOT_MIN_DIFFERENCE)
    legible &= ciede2000_array(srgb_to_lab_array(rgbs), srgb_to_lab_array((255, 255, 255))) >= FROM_WHITE_MIN
    if chroma >= _GREY_CHROMA:
        own = srgb_to_lab_array(own_tint(digit))
        labs = srgb_to_lab_array(rgbs)
        legible &= np.hypot(labs[:, 1], labs[:, 2]) >= _MIN_CHROMA_SHARE * np.hypot(own[1], own[2])
    return rgbs[legible], [stray for stray, keep in zip(strays, legible, strict=True) if keep]


@lru_cache(maxsize=1)
def _variants() -> np.ndarray:
    """(10, TINT_VARIANTS, 3) sRGB: variant 0 is the digit's own tint (own_tint); the others
    are picked from its family one by one, each the member farthest (CIEDE2000) from those picked
    so far (spread out, so some are far from any neighbour), then ordered mildest first."""
    variants = []
    for digit in range(len(DIGIT_COLOURS)):
        rgbs, strays = _family(digit)
        labs = srgb_to_lab_array(rgbs)
        own = own_tint(digit)
        nearest = ciede2000_array(labs, srgb_to_lab_array(own))
        picked: list[int] = []
        for _ in range(TINT_VARIANTS - 1):
            picked.append(int(np.argmax(nearest)))
            nearest = np.minimum(nearest, ciede2000_array(labs, labs[picked[-1]]))
        mildest_first = sorted(range(len(picked)), key=lambda rank: (strays[picked[rank]], rank))
        variants.append([own, *(tuple(int(c) for c in rgbs[picked[rank]]) for rank in mildest_first)])
    return np.array(variants, dtype=int)


def digit_tint(digit: int, variant: int = 0) -> str:
    """A region tint of a digit's colour, as #rrggbb (variant 0: its matched cluster's)."""
    return "#{:02x}{:02x}{:02x}".format(*(int(c) for c in _variants()[digit, variant]))


def region_palette() -> list[int]:
    """A PNG palette: entry digit × TINT_VARIANTS + variant is that tint, as flat r, g, b."""
    return [int(channel) for channel in _variants().reshape(-1)]


@lru_cache(maxsize=1)
def tint_differences() -> np.ndarray:
    """CIEDE2000 between every two palette entries (250 × 250)."""
    labs = srgb_to_lab_array(_variants().reshape(-1, 3))
    return ciede2000_array(labs[:, None, :], labs[None, :, :])


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
    """A tint variant (0..TINT_VARIANTS-1) per cluster: touching clusters' tints differ by
    CIEDE2000 >= TOUCHING_MIN_DIFFERENCE wherever the palette allows it.

    `touching_pairs` are the pairs (a, b) of clusters whose regions touch (core.boundary's
    geometry, or neighbouring_clusters of a raster); `groups` is each cluster's digit. The matched
    clusters (`preferred`) keep variant 0, their digit's own tint (any two of those differ by
    >= 10). The others, extras of a digit, get variants 1.. from an exact search
    (core.region_colouring): if some choice keeps every touching pair >= 10 apart, they get one,
    mildest variants first; if none does, the largest minimum a bisection finds; touching regions
    never share a tint. The same input always gives the same variants.
    """
    n_clusters = len(groups)
    digits = [int(group) for group in groups]
    fixed = {c: digits[c] * TINT_VARIANTS for c in range(n_clusters) if preferred is not None and preferred[c]}
    choices = {c: [digits[c] * TINT_VARIANTS + v for v in range(1, TINT_VARIANTS)]
               for c in range(n_clusters) if c not in fixed}
    entries = most_distinct_colouring(n_clusters, touching_pairs, choices, fixed, tint_differences(),
                                      TOUCHING_MIN_DIFFERENCE)
    return np.array([entries[c] - digits[c] * TINT_VARIANTS for c in range(n_clusters)], dtype=np.uint8)
