"""Colour differences: CIEDE2000 against Sharma, Wu & Dalal's published test pairs, and the
palette's promises (touching regions differ by >= 10, for every k; dots legible on every tint;
each tint in its digit's colour family)."""

from __future__ import annotations

import numpy as np
import pytest

from components.boundary_figure import region_tint_indices, region_tints
from components.palette import (
    DIGIT_COLOURS,
    OWN_TINTS,
    TINT_VARIANTS,
    digit_tint,
    region_palette,
    tint_differences,
    variant_slots,
)
from core.boundary import decision_boundary, plane_map
from core.colour import (
    ciede2000,
    ciede2000_array,
    hex_to_rgb,
    lab_to_srgb_array,
    srgb_to_lab,
    srgb_to_lab_array,
)
from core.settings import Settings

SHARMA_PAIRS = [  # (Lab 1, Lab 2, ΔE00) from Sharma, Wu & Dalal (2005), table 1
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, 2.8361, -74.0200), (50.0, 0.0, -82.7485), 3.4412),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
]


@pytest.mark.parametrize(("first", "second", "expected"), SHARMA_PAIRS)
def test_ciede2000_matches_the_published_pairs(first, second, expected):
    # ciede2000 is ciede2000_array for one pair; the array form on the pairs at once, too.
    assert ciede2000(first, second) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(second, first) == pytest.approx(expected, abs=1e-4)
    assert ciede2000_array([first, second], [second, first]) == pytest.approx([expected, expected], abs=1e-4)


def test_the_array_conversions_agree_with_the_scalar_ones_and_round_trip():
    rgbs = np.random.default_rng(0).integers(0, 256, size=(200, 3))
    labs = srgb_to_lab_array(rgbs)
    for rgb, lab in zip(rgbs, labs, strict=True):
        assert tuple(lab) == pytest.approx(srgb_to_lab(tuple(int(c) for c in rgb)), abs=1e-9)
    np.testing.assert_allclose(lab_to_srgb_array(labs), rgbs, atol=1e-6)
    pairs = [(tuple(a), tuple(b)) for a, b in zip(labs[:100], labs[100:], strict=True)]
    np.testing.assert_allclose(ciede2000_array(labs[:100], labs[100:]), [ciede2000(a, b) for a, b in pairs], atol=1e-9)


def test_srgb_white_and_black():
    assert srgb_to_lab((255, 255, 255)) == pytest.approx((100.0, 0.0, 0.0), abs=1e-3)
    assert srgb_to_lab((0, 0, 0)) == pytest.approx((0.0, 0.0, 0.0), abs=1e-9)


def test_any_two_digits_matched_tints_differ_by_at_least_ten():
    differences = tint_differences()
    for a in range(10):
        for b in range(a + 1, 10):
            assert differences[a * TINT_VARIANTS, b * TINT_VARIANTS] >= 10, (a, b)


def test_every_digits_dots_stay_legible_on_every_matched_tint():
    for colour in DIGIT_COLOURS:
        for digit in range(10):
            assert ciede2000(srgb_to_lab(hex_to_rgb(colour)), srgb_to_lab(hex_to_rgb(digit_tint(digit)))) >= 12


@pytest.mark.parametrize(("init", "k", "seed"), [("k-means++", 2, 0), ("random", 6, 1), ("k-means++", 10, 0),
                                                 ("random", 10, 3), ("PCA-based", 9, 0)])
def test_touching_regions_differ_by_at_least_ten_up_to_ten_clusters(init, k, seed):
    boundary = decision_boundary(Settings("digits", init, 4, k, seed, 0.05))
    tints = region_tint_indices(boundary.plane)
    differences = tint_differences()
    for a, b in boundary.plane.touching:
        assert differences[tints[a], tints[b]] >= 10, (boundary.matching.names[a], boundary.matching.names[b])


# The matched clusters' tints: a digit's colour stays put (3's is a light sage: its grey mixed
# with white was near-white, and its region read as none).
MATCHED_TINTS = ("#b4d4f1", "#ffdfa5", "#e09688", "#bad0c2", "#c298db",
                 "#ddc4bd", "#f5bc92", "#e6e1cb", "#cbcdd1", "#d8f2f3")


def _lab(colour: str) -> np.ndarray:
    return srgb_to_lab_array(hex_to_rgb(colour))


def test_matched_tints_are_unchanged_and_the_palette_fits_a_png():
    assert tuple(digit_tint(digit) for digit in range(10)) == MATCHED_TINTS
    assert len(region_palette()) == 3 * 10 * TINT_VARIANTS <= 3 * 256


def test_every_region_colour_reads_as_a_region_not_as_blank():
    white = _lab("#ffffff")
    for digit in range(10):
        for variant in range(TINT_VARIANTS):
            assert ciede2000(_lab(digit_tint(digit, variant)), white) >= 8, (digit, variant)


@pytest.mark.parametrize("digit", range(10))
def test_every_variant_is_a_distinct_tint_or_shade_of_its_digits_colour(digit):
    """In the family: for a coloured digit, a CIE hue within 25° of its dot's (a 10° turn, plus the
    drift of mixing with white in sRGB: 13° for digit 0's own tint); greys (3, 8) stay as grey as
    their dot. Chromatic tints keep at least half the chroma of the digit's own tint (none
    near-white)."""
    variants = [digit_tint(digit, v) for v in range(TINT_VARIANTS)]
    assert len(set(variants)) == TINT_VARIANTS
    dot = _lab(DIGIT_COLOURS[digit])
    labs = np.array([_lab(v) for v in variants])
    chroma = np.hypot(labs[:, 1], labs[:, 2])
    if np.hypot(dot[1], dot[2]) < 10 and digit not in OWN_TINTS:
        assert chroma.max() <= np.hypot(dot[1], dot[2])
    elif np.hypot(dot[1], dot[2]) < 10:  # a grey whose own tint is set (OWN_TINTS): a light, soft colour
        assert chroma[0] <= 2 * 6.1 and len(set(variants)) == TINT_VARIANTS
    else:
        turn = (np.degrees(np.arctan2(labs[:, 2], labs[:, 1]) - np.arctan2(dot[2], dot[1])) + 180) % 360 - 180
        assert np.abs(turn).max() <= 25
        assert chroma[1:].min() >= 0.5 * chroma[0]


# k 11-30, two fits each (init and seed vary with k): every touching pair >= 10 apart.
MANY_MAPS = [(("k-means++", "random", "PCA-based")[(k + i) % 3], k, (k + 2 * i) % 5) for k in range(11, 31)
             for i in range(2)]


@pytest.mark.parametrize(("init", "k", "seed"), MANY_MAPS)
def test_touching_regions_differ_by_at_least_ten_for_any_k(init, k, seed):
    plane = plane_map("digits", init, k, 1 if init == "PCA-based" else 4, 0 if init == "PCA-based" else seed)
    tints = region_tint_indices(plane)
    differences = tint_differences()
    below = [(plane.matching.names[a], plane.matching.names[b], round(float(differences[tints[a], tints[b]]), 1))
             for a, b in plane.touching if differences[tints[a], tints[b]] < 10]
    assert not below
    matched = plane.matching.matched
    np.testing.assert_array_equal(tints[matched], plane.matching.stands_for[matched] * TINT_VARIANTS)
    np.testing.assert_array_equal(tints // TINT_VARIANTS, plane.matching.stands_for)
    assert region_tints(plane) == [digit_tint(index // TINT_VARIANTS, index % TINT_VARIANTS)
                                   for index in tints.tolist()]
    # Deterministic: the same map, its pairs in another order, gets the same tints.
    again = variant_slots(sorted(plane.touching, reverse=True), plane.matching.stands_for.copy(), matched.copy())
    np.testing.assert_array_equal(plane.matching.stands_for * TINT_VARIANTS + again, tints)
