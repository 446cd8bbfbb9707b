"""Colour the regions of a map from per-region palettes so that touching regions differ by a
perceptual distance (CIEDE2000 in practice), found by a small exact search.

Some regions are fixed (a cluster matched to a digit keeps its digit's own tint); the others pick
from their own ordered list of palette entries (best-liked first). The search is backtracking with
forward checking and the most-constrained region first (fewest entries left, then most touching
regions), so it is exact: if an assignment with every touching pair >= the threshold exists, it
finds one (within `node_limit` steps, which keeps a hostile or unlucky map from taking long).
Everything is ordered by region number and list position, so the same map always gets the same
colours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

NODE_LIMIT = 2_000  # search steps per threshold; real maps need about one step per free region


def neighbour_sets(n_regions: int, touching_pairs: Iterable[tuple[int, int]]) -> list[set[int]]:
    neighbours: list[set[int]] = [set() for _ in range(n_regions)]
    for a, b in touching_pairs:
        if a < n_regions and b < n_regions and a != b:
            neighbours[a].add(b)
            neighbours[b].add(a)
    return neighbours


def colouring_at(neighbours: list[set[int]], choices: Mapping[int, Sequence[int]], fixed: Mapping[int, int],
                 differences: np.ndarray, threshold: float, node_limit: int = NODE_LIMIT) -> dict[int, int] | None:
    """An entry for every region in `choices` such that every touching pair involving one of them
    differs by >= threshold, or None if there is none (or the search ran out of steps)."""
    apart = differences >= threshold
    domains: dict[int, list[int]] = {}
    for region, entries in choices.items():
        domains[region] = [e for e in entries if all(apart[e, fixed[n]] for n in neighbours[region] if n in fixed)]
        if not domains[region]:
            return None
    assignment: dict[int, int] = {}
    steps = 0

    def search(domains: dict[int, list[int]]) -> bool:
        nonlocal steps
        steps += 1
        if steps > node_limit:
            return False
        if not domains:
            return True
        region = min(domains, key=lambda r: (len(domains[r]), -len(neighbours[r]), r))
        rest = {r: entries for r, entries in domains.items() if r != region}
        for entry in domains[region]:
            narrowed = dict(rest)
            for other in neighbours[region] & rest.keys():
                narrowed[other] = [e for e in rest[other] if apart[entry, e]]
                if not narrowed[other]:
                    break
            else:
                assignment[region] = entry
                if search(narrowed):
                    return True
                del assignment[region]
            if steps > node_limit:
                return False
        return False

    return dict(assignment) if search(domains) else None


def smallest_last_colouring(neighbours: list[set[int]], choices: Mapping[int, Sequence[int]],
                            fixed: Mapping[int, int], differences: np.ndarray) -> dict[int, int]:
    """The fallback that always succeeds when every list has >= 6 entries: greedy colouring in
    smallest-last order (a planar map's regions then meet at most 5 coloured neighbours each), each
    region taking, among entries no touching region has, the one farthest from its neighbours."""
    remaining = {r: neighbours[r] & choices.keys() for r in choices}
    set_aside = []
    while remaining:
        region = min(remaining, key=lambda r: (len(remaining[r]), r))
        set_aside.append(region)
        for other in remaining.pop(region):
            remaining[other].discard(region)
    colours = dict(fixed)
    for region in reversed(set_aside):
        around = [colours[n] for n in sorted(neighbours[region]) if n in colours]
        free = [e for e in choices[region] if e not in around] or list(choices[region])
        colours[region] = max(free, key=lambda e: min((differences[e, n] for n in around), default=np.inf))
    return {r: colours[r] for r in choices}


def most_distinct_colouring(n_regions: int, touching_pairs: Iterable[tuple[int, int]],
                            choices: Mapping[int, Sequence[int]], fixed: Mapping[int, int],
                            differences: np.ndarray, target: float) -> dict[int, int]:
    """Every region's entry: touching pairs >= target where any assignment allows it (the search
    tries each region's entries in list order, so the best-liked ones win where they fit); else
    the largest threshold below target that a bisection finds (to 1/64 of target); else
    smallest_last_colouring. Fixed regions keep theirs."""
    neighbours = neighbour_sets(n_regions, touching_pairs)
    found = colouring_at(neighbours, choices, fixed, differences, target)
    if found is None:
        low, high = 0.0, target
        for _ in range(6):
            middle = (low + high) / 2
            attempt = colouring_at(neighbours, choices, fixed, differences, middle)
            if attempt is not None:
                low, found = middle, attempt
            else:
                high = middle
        if found is None:  # (any threshold > 0 already keeps touching regions' entries distinct)
            found = smallest_last_colouring(neighbours, choices, fixed, differences)
    return {**fixed, **found}
