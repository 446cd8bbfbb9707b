"""Colour differences: CIEDE2000 against Sharma, Wu & Dalal's published test pairs, and the
palette's promises (touching regions of different digits differ by >= 10; dots legible on tints)."""

from __future__ import annotations

import pytest

from components.boundary_figure import region_tint_indices
from components.palette import (
    DIGIT_COLOURS,
    TINT_VARIANTS,
    digit_tint,
    tint_differences,
)
from core.boundary import decision_boundary
from core.colour import ciede2000, hex_to_rgb, srgb_to_lab
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
    assert ciede2000(first, second) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(second, first) == pytest.approx(expected, abs=1e-4)


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
    boundary = decision_boundary(Settings(init, 4, k, seed, 0.05))
    tints = region_tint_indices(boundary.plane)
    differences = tint_differences()
    for a, b in boundary.plane.touching:
        assert differences[tints[a], tints[b]] >= 10, (boundary.matching.names[a], boundary.matching.names[b])
