"""When one init strategy clearly beats the others on a metric, and when it does not."""

from __future__ import annotations

from collections.abc import Sequence

SCORE_MARGIN = 0.01  # scores (ARI, AMI, ...) closer than this are "about equal"
RELATIVE_MARGIN = 0.01  # inertia and fit time: within 1% of each other are about equal


def clear_best(values: Sequence[float], higher_is_better: bool, margin: float) -> int | None:
    """The index of the best value when it beats every other by at least `margin`, else None."""
    if len(values) < 2:
        return 0 if values else None
    signed = [value if higher_is_better else -value for value in values]
    ranked = sorted(range(len(values)), key=lambda i: signed[i], reverse=True)
    best, runner_up = ranked[0], ranked[1]
    return best if signed[best] - signed[runner_up] >= margin else None


def relative_margin(values: Sequence[float]) -> float:
    """RELATIVE_MARGIN of the best value's size, for quantities without a natural scale."""
    return RELATIVE_MARGIN * min(abs(value) for value in values)
