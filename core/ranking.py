"""When one init strategy clearly beats the others on a metric, and when it does not."""

from __future__ import annotations

from collections.abc import Sequence

SCORE_MARGIN = 0.01  # scores (ARI, AMI, ...) closer than this are "about equal"
RELATIVE_MARGIN = 0.01  # inertia and fit time: within 1% of each other are about equal


def clear_best(values: Sequence[float], higher_is_better: bool, margin: float,
               intervals: Sequence[tuple[float, float]] | None = None) -> int | None:
    """The index of the best value when it beats every other by at least `margin`, else None.

    With `intervals` (each value's spread over seeds, (low, high), from a seed-stability run), the
    best must also lie beyond the seed spread: its interval overlaps no other one.
    """
    if len(values) < 2:
        return 0 if values else None
    signed = [value if higher_is_better else -value for value in values]
    ranked = sorted(range(len(values)), key=lambda i: signed[i], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    if signed[best] - signed[runner_up] < margin:
        return None
    if intervals is not None and not beyond_spread(best, intervals, higher_is_better):
        return None
    return best


def beyond_spread(best: int, intervals: Sequence[tuple[float, float]], higher_is_better: bool) -> bool:
    """Whether interval `best` lies wholly on the better side of every other interval."""
    low, high = intervals[best]
    others = [interval for index, interval in enumerate(intervals) if index != best]
    if higher_is_better:
        return all(low > other_high for _, other_high in others)
    return all(high < other_low for other_low, _ in others)


def relative_margin(values: Sequence[float]) -> float:
    """RELATIVE_MARGIN of the best value's size, for quantities without a natural scale."""
    return RELATIVE_MARGIN * min(abs(value) for value in values)
