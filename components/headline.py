"""The sentences above the table: how many digits K-means got right, and which init agrees best."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from core.clustering import InitBenchmark
from core.matching import ClusterMatching
from core.ranking import SCORE_MARGIN, clear_best


def matched_accuracy(init_method: str, matching: ClusterMatching, chance: float) -> list:
    """"K-means (k-means++) put 59.4% of the 1,797 digits in the cluster matched to their digit."""
    n = matching.n_samples
    sentence = [
        f"K-means ({init_method}) put ",
        html.Strong(f"{matching.accuracy:.1%}", className="headline-figure"),
        f" of the {n:,} digits in the cluster matched to their digit. ",
        html.Span(f"Chance is about {chance:.0%}.", className="chance"),
    ]
    if matching.n_clusters != 10:
        sentence += [" ", html.Span(
            f"Purity (majority vote, several clusters may share a digit): {matching.purity:.1%}.",
            className="purity")]
    return sentence


NO_CLEAR_WINNER = "No clear winner at these settings"


def verdict(results: Sequence[InitBenchmark], spread: dict | None = None) -> str:
    """Which init agrees best with the true digits (by ARI), and by how much; "about equal" under 0.01.

    With `spread` ({init: {"adjusted_rand": (low, high), ...}}, 95% of seeds from a seed-stability
    run at these k and n_init), a winner is named only when its interval overlaps no other one.
    """
    scores = [result.adjusted_rand for result in results]
    names = [result.init_method for result in results]
    ranked = sorted(range(len(results)), key=lambda i: scores[i], reverse=True)
    if spread is not None:
        intervals = [spread[name]["adjusted_rand"] for name in names]
        ranges = ", ".join(f"{names[i]} {intervals[i][0]:.3f}–{intervals[i][1]:.3f}" if intervals[i][0] != intervals[i][1]
                           else f"{names[i]} {intervals[i][0]:.3f} (deterministic)" for i in ranked)
        best = clear_best(scores, higher_is_better=True, margin=SCORE_MARGIN, intervals=intervals)
        if best is None:
            return f"{NO_CLEAR_WINNER}: the inits' ARI overlap across seeds (95% of seeds: {ranges})."
        return (f"{names[best]} agrees best with the true digits, beyond the seed spread: ARI {scores[best]:.3f} "
                f"here (95% of seeds: {ranges}).")
    best = clear_best(scores, higher_is_better=True, margin=SCORE_MARGIN)
    if best is None:
        tied = [i for i in ranked if scores[ranked[0]] - scores[i] < SCORE_MARGIN]
        rest = [i for i in ranked if i not in tied]
        text = (" and ".join(names[i] for i in tied) + " agree about equally with the true digits (ARI "
                + ", ".join(f"{scores[i]:.3f}" for i in tied) + f": under {SCORE_MARGIN} apart)")
        if rest:
            text += "; " + ", ".join(f"{names[i]} trails at {scores[i]:.3f}" for i in rest)
        return text + "."
    runner_up = ranked[1]
    return (f"{names[best]} agrees best with the true digits: ARI {scores[best]:.3f}, "
            f"{scores[best] - scores[runner_up]:.3f} above {names[runner_up]} ({scores[runner_up]:.3f}).")
