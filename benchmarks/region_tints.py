"""How far apart touching regions' tints are on real maps (CIEDE2000), and how legible the dots are.

    python benchmarks/region_tints.py

For k = 12, 15, 20, 25, 30 × seeds 0, 1, 2 × k-means++ and random (n_init 4, mesh 0.05): every
pair of touching regions, the share whose tints differ by less than 10, and the smallest
difference; then the smallest difference between a digit's dot colour and any tint. Up to k = 10
every touching pair is >= 10 (tests/test_colour.py); past 10, extras of one digit crowd the palette.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def main() -> None:
    differences = tint_differences()
    pairs, below, worst = 0, 0, float("inf")
    for init in ("k-means++", "random"):
        for k in (12, 15, 20, 25, 30):
            for seed in (0, 1, 2):
                boundary = decision_boundary(Settings(init, 4, k, seed, 0.05))
                tints = region_tint_indices(boundary.plane)
                for a, b in boundary.plane.touching:
                    difference = differences[tints[a], tints[b]]
                    pairs += 1
                    below += difference < 10
                    worst = min(worst, difference)
    print(f"30 maps, k 12-30: {pairs:,} touching pairs, {below} below CIEDE2000 10 "
          f"({below / pairs:.1%}), smallest {worst:.1f}")
    dots = [srgb_to_lab(hex_to_rgb(colour)) for colour in DIGIT_COLOURS]
    for variant in range(TINT_VARIANTS):
        legible = min(ciede2000(dot, srgb_to_lab(hex_to_rgb(digit_tint(d, variant)))) for dot in dots for d in range(10))
        print(f"tint variant {variant}: smallest dot-to-tint difference {legible:.1f}")


if __name__ == "__main__":
    main()
