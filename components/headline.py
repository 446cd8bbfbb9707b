"""The top of the page, one message: how well the selected init recovered the true classes, then
how it compares with the other two inits (by ARI)."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from core.clustering import InitBenchmark
from core.datasets import Dataset
from core.matching import ClusterMatching
from core.ranking import SCORE_MARGIN, clear_best


def cluster_split(init_method: str, matching: ClusterMatching, silhouette: float | None,
                  dataset: Dataset) -> list:
    """Data without labels: how K-means split the rows, and the one score that needs no labels."""
    sizes = matching.sizes
    shown, meaning = (("undefined", " (its sample of rows holds a single cluster). ") if silhouette is None else
                      (f"{silhouette:.3f}", " (−1 to 1, higher is better separated). "))
    score = [html.Strong(shown, className="headline-figure"), meaning]
    return [
        f"K-means ({init_method}) split the {matching.n_samples:,} {dataset.info.samples} into "
        f"{matching.n_clusters} clusters of {int(sizes.min()):,} to {int(sizes.max()):,}. Silhouette ",
        *score,
        html.Span("The file has no label column, so nothing here says which grouping is the right one.",
                  className="chance"),
    ]


def matched_accuracy(init_method: str, matching: ClusterMatching, chance: float, dataset: Dataset) -> list:
    """"K-means (k-means++) put 59.4% of the 1,797 digits in the cluster matched to their digit."""
    label = dataset.info.label
    sentence = [
        f"K-means ({init_method}) put ",
        html.Strong(f"{matching.accuracy:.1%}", className="headline-figure"),
        f" of the {matching.n_samples:,} {dataset.info.samples} in the cluster matched to their {label}. ",
        html.Span(f"Chance is about {chance:.0%}.", className="chance"),
    ]
    if matching.n_clusters != matching.n_classes:
        sentence += [" ", html.Span(
            f"Purity (majority vote, several clusters may share a {label}): {matching.purity:.1%}.",
            className="purity")]
    return sentence


NO_CLEAR_WINNER = "No clear winner at these settings"


def _yours(name: str, selected: str) -> str:
    return f"{name} (selected)" if name == selected else name


def verdict(results: Sequence[InitBenchmark], selected: str, dataset: Dataset, spread: dict | None = None) -> str:
    """How the selected init compares with the others on agreement with the true classes (ARI);
    closer than SCORE_MARGIN is "about equal". With `spread` ({init: {"adjusted_rand": (low,
    high)}}, 95% of seeds from a seed-stability run at these k and n_init) a winner is named only
    when its interval overlaps no other one."""
    if not dataset.labelled:
        return shape_verdict(results, selected)
    truth = f"the true {dataset.info.labels}"
    scores = [result.adjusted_rand for result in results]
    names = [result.init_method for result in results]
    mine = names.index(selected)
    ranked = sorted(range(len(results)), key=lambda i: scores[i], reverse=True)
    if spread is not None:
        intervals = [spread[name]["adjusted_rand"] for name in names]
        def spread_text(i: int) -> str:
            low, high = intervals[i]
            return f"{names[i]} {low:.3f}–{high:.3f}" if low != high else f"{names[i]} {low:.3f} (deterministic)"

        ranges = ", ".join(spread_text(i) for i in ranked)
        best = clear_best(scores, higher_is_better=True, margin=SCORE_MARGIN, intervals=intervals)
        if best is None:
            return f"{NO_CLEAR_WINNER}: the inits' ARI overlap across seeds (95% of seeds: {ranges})."
        return (f"Of the three inits, {_yours(names[best], selected)} agrees best with {truth}, beyond the seed "
                f"spread: ARI {scores[best]:.3f} here (95% of seeds: {ranges}).")
    best = clear_best(scores, higher_is_better=True, margin=SCORE_MARGIN)
    if best is None:
        tied = [i for i in ranked if scores[ranked[0]] - scores[i] < SCORE_MARGIN]
        rest = [i for i in ranked if i not in tied]
        text = (" and ".join(_yours(names[i], selected) for i in tied) + f" agree about equally with {truth} (ARI "
                + ", ".join(f"{scores[i]:.3f}" for i in tied) + f": under {SCORE_MARGIN} apart)")
        if rest:
            text += "; " + ", ".join(f"{_yours(names[i], selected)} trails at {scores[i]:.3f}" for i in rest)
        return text + "."
    if best == mine:
        runner_up = ranked[1]
        return (f"Of the three inits, {selected} (selected) agrees best with {truth}: ARI {scores[best]:.3f}, "
                f"{scores[best] - scores[runner_up]:.3f} above {names[runner_up]} ({scores[runner_up]:.3f}).")
    return (f"Of the three inits, {names[best]} agrees best with {truth}: ARI {scores[best]:.3f}, against "
            f"{scores[mine]:.3f} for the selected {selected}. "
            f"Select {names[best]} under Init method to see its clusters.")


def shape_verdict(results: Sequence[InitBenchmark], selected: str) -> str:
    """Without labels, the inits compared by silhouette: which one's clusters are best separated."""
    scores = [result.silhouette for result in results]
    names = [result.init_method for result in results]
    listed = ", ".join(f"{_yours(name, selected)} {'undefined' if score is None else f'{score:.3f}'}"
                       for name, score in zip(names, scores, strict=True))
    if any(score is None for score in scores):
        return (f"{NO_CLEAR_WINNER}: a silhouette is undefined where its sample of rows holds a single cluster "
                f"(silhouette {listed}).")
    best = clear_best(scores, higher_is_better=True, margin=SCORE_MARGIN)
    if best is None:
        return f"{NO_CLEAR_WINNER}: the inits' clusters are about equally separated (silhouette {listed})."
    return (f"Of the three inits, {_yours(names[best], selected)} finds the best separated clusters "
            f"(silhouette {listed}).")
