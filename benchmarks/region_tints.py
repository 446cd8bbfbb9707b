"""How far apart touching regions' tints are on real maps (CIEDE2000), how legible the dots are,
and how long choosing the tints takes.

    python benchmarks/region_tints.py

Maps: k = 11..30 × seeds 0-4 × k-means++ and random (n_init 4), and PCA-based for each k: 220
maps. For each, every pair of touching regions (PlaneMap.touching, from the geometry): how many
differ by less than 10 and the smallest difference, for the tints the app draws (variant_slots:
an exact search) and, as the baseline in the same run, for a greedy colouring of the same palette
(smallest-last, each region taking the free variant farthest from its coloured neighbours). Then
the smallest difference between any dot colour and any tint, and the time variant_slots takes
per map (the palette is built once per process, timed separately).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from components.palette import DIGIT_COLOURS, TINT_VARIANTS, digit_tint, tint_differences, variant_slots
from core.boundary import plane_map
from core.colour import ciede2000_array, hex_to_rgb, srgb_to_lab_array
from core.region_colouring import neighbour_sets, smallest_last_colouring

REPEATS = 5  # per map; the fastest run counts (the machine is shared)


def _maps():
    for k in range(11, 31):
        for init in ("k-means++", "random"):
            for seed in range(5):
                yield plane_map(init, k, 4, seed)
        yield plane_map("PCA-based", k, 1, 0)


def _greedy(plane) -> np.ndarray:
    digits, matched = plane.matching.digit, plane.matching.matched
    fixed = {c: int(digits[c]) * TINT_VARIANTS for c in range(len(digits)) if matched[c]}
    choices = {c: [int(digits[c]) * TINT_VARIANTS + v for v in range(1, TINT_VARIANTS)]
               for c in range(len(digits)) if c not in fixed}
    colours = {**fixed, **smallest_last_colouring(neighbour_sets(len(digits), plane.touching), choices, fixed,
                                                  tint_differences())}
    return np.array([colours[c] for c in range(len(digits))])


def main() -> None:
    started = time.perf_counter()
    differences = tint_differences()
    print(f"palette (250 tints, their 250 × 250 differences): built in {time.perf_counter() - started:.2f} s, "
          "once per process")
    tallies = {"search": [0, float("inf")], "greedy": [0, float("inf")]}
    pairs, n_maps, times, dark, extras = 0, 0, [], 0, 0
    for plane in _maps():
        n_maps += 1
        digits, matched = plane.matching.digit, plane.matching.matched
        runs = []
        for _ in range(REPEATS):
            start = time.perf_counter()
            slots = variant_slots(plane.touching, digits, matched)
            runs.append(time.perf_counter() - start)
        times.append((min(runs), len(digits)))
        searched = digits * TINT_VARIANTS + slots
        for name, tints in (("search", searched), ("greedy", _greedy(plane))):
            apart = [differences[tints[a], tints[b]] for a, b in plane.touching]
            tallies[name][0] += sum(d < 10 for d in apart)
            tallies[name][1] = min(tallies[name][1], min(apart))
        pairs += len(plane.touching)
        for cluster in np.flatnonzero(~matched):
            extras += 1
            dark += srgb_to_lab_array(hex_to_rgb(digit_tint(int(digits[cluster]), int(slots[cluster]))))[0] < 60
    print(f"{n_maps} maps, k 11-30: {pairs:,} touching pairs")
    for name, (below, worst) in tallies.items():
        label = "variant_slots (exact search)" if name == "search" else "greedy baseline, same palette"
        print(f"  {label}: {below} below CIEDE2000 10 ({below / pairs:.2%}), smallest {worst:.2f}")
    print(f"  extras drawn in a shade darker than L* 60: {dark} of {extras} ({dark / extras:.0%})")
    dots = srgb_to_lab_array([hex_to_rgb(colour) for colour in DIGIT_COLOURS])
    tints = srgb_to_lab_array([hex_to_rgb(digit_tint(d, v)) for d in range(10) for v in range(TINT_VARIANTS)])
    apart = ciede2000_array(tints[:, None, :], dots[None, :, :])
    own = min(apart[d * TINT_VARIANTS + v, d] for d in range(10) for v in range(1, TINT_VARIANTS))
    print(f"dots: smallest difference between any dot colour and any of the 250 tints {apart.min():.1f}; "
          f"an extra's tint and its own digit's dots {own:.1f}")
    seconds = np.array([t for t, _ in times])
    at_30 = np.array([t for t, k in times if k == 30])
    print(f"variant_slots per map (fastest of {REPEATS}): median {np.median(seconds) * 1e3:.2f} ms, "
          f"max {seconds.max() * 1e3:.2f} ms; at k = 30: median {np.median(at_30) * 1e3:.2f} ms, "
          f"max {at_30.max() * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
