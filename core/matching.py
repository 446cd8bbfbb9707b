"""Which digit each cluster stands for: the contingency table, Hungarian matching, stable names.

K-means numbers its clusters arbitrarily, and the numbers reshuffle with every seed. Naming each
cluster after the digit it is matched to makes "the 3s" mean the same thing after every click.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix

N_DIGITS = 10
EXTRA_MARKS = ("′", "″", "‴", "⁗")  # the 1st to 4th extra cluster of one digit; then ′5, ′6, ...
CHANCE_SHUFFLES = 32  # label permutations averaged for the chance level
CHANCE_SEED = 0  # fixed, so the same clustering always shows the same chance figure


@dataclass(frozen=True, eq=False)
class ClusterMatching:
    """Clusters matched one to one to digits; arrays are indexed by cluster number (read-only)."""

    contingency: np.ndarray  # (k, 10) members of each cluster by true digit
    digit: np.ndarray  # (k,) the digit each cluster stands for: its match, or for an extra its majority
    matched: np.ndarray  # (k,) bool: matched one to one (at most 10 clusters are)
    names: tuple[str, ...]  # by cluster: "3", or "3′", "3″"... for extra clusters of the same digit
    order: tuple[int, ...]  # cluster numbers in display order: by digit, the matched one first
    matched_count: int  # digits that sit in the cluster matched to their digit
    majority_count: int  # digits that sit in a cluster whose majority digit is theirs

    @property
    def n_samples(self) -> int:
        return int(self.contingency.sum())

    @property
    def n_clusters(self) -> int:
        return self.contingency.shape[0]

    @property
    def accuracy(self) -> float:
        """Matched count / samples: each digit may be credited to one cluster only."""
        return self.matched_count / self.n_samples

    @property
    def purity(self) -> float:
        """Majority vote: several clusters may stand for one digit."""
        return self.majority_count / self.n_samples

    @property
    def sizes(self) -> np.ndarray:
        return self.contingency.sum(axis=1)

    def cluster_purity(self, cluster: int) -> float:
        """Share of a cluster's members whose digit is the one it stands for."""
        row = self.contingency[cluster]
        return float(row[self.digit[cluster]] / row.sum())

    def cluster_named(self, name: str) -> int | None:
        return self.names.index(name) if name in self.names else None


def digit_contingency(truth: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """(k, 10) counts of cluster × true digit, with a row for every cluster number (empty or not)."""
    table = np.zeros((n_clusters, N_DIGITS), dtype=np.int64)
    found = contingency_matrix(labels, truth)  # rows: the clusters present; columns: the digits present
    table[np.ix_(np.unique(labels), np.unique(truth))] = found
    return table


def _extra_name(digit: int, rank: int) -> str:
    mark = EXTRA_MARKS[rank - 1] if rank <= len(EXTRA_MARKS) else f"′{rank}"
    return f"{digit}{mark}"


def match_clusters(truth: np.ndarray, labels: np.ndarray, n_clusters: int) -> ClusterMatching:
    """Hungarian matching of clusters to digits on the contingency table (most digits kept).

    With k > 10, the clusters left unmatched stand for their majority digit and are named as
    extras of it, the larger first ("7′", then "7″"). Ties are broken by cluster number, so the
    result depends only on the clustering.
    """
    table = digit_contingency(truth, labels, n_clusters)
    rows, columns = linear_sum_assignment(table, maximize=True)
    digit = table.argmax(axis=1)
    digit[rows] = columns
    matched = np.zeros(n_clusters, dtype=bool)
    matched[rows] = True
    sizes = table.sum(axis=1)
    # By digit; within a digit the matched cluster, then extras by size (larger first), then number.
    order = sorted(range(n_clusters), key=lambda c: (int(digit[c]), not matched[c], -int(sizes[c]), c))
    names = [""] * n_clusters
    rank_by_digit: dict[int, int] = {}
    for cluster in order:
        d = int(digit[cluster])
        if matched[cluster]:
            names[cluster] = str(d)
        else:
            rank_by_digit[d] = rank_by_digit.get(d, 0) + 1
            names[cluster] = _extra_name(d, rank_by_digit[d])
    for array in (table, digit, matched):
        array.setflags(write=False)
    return ClusterMatching(
        contingency=table,
        digit=digit,
        matched=matched,
        names=tuple(names),
        order=tuple(order),
        matched_count=int(table[rows, columns].sum()),
        majority_count=int(table.max(axis=1).sum()),
    )


def chance_accuracy(truth: np.ndarray, labels: np.ndarray, n_clusters: int) -> float:
    """The matched accuracy of clusters of the same sizes filled at random (mean over shuffles).

    The honest baseline for the headline: with 10 equal clusters it is a little above 10%,
    because the matching picks the best digit for each cluster even by chance.
    """
    shuffled = np.random.default_rng(CHANCE_SEED)
    counts = []
    for _ in range(CHANCE_SHUFFLES):
        # The contingency table by bincount: the same counts as digit_contingency, ~20× faster.
        table = np.bincount(shuffled.permutation(labels) * N_DIGITS + truth, minlength=n_clusters * N_DIGITS)
        table = table.reshape(n_clusters, N_DIGITS)
        rows, columns = linear_sum_assignment(table, maximize=True)
        counts.append(table[rows, columns].sum())
    return float(np.mean(counts)) / len(labels)


def confusions(matching: ClusterMatching, limit: int = 3) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells: (count, true digit, digit of the cluster they landed in)."""
    off = [(int(count), column, int(matching.digit[cluster]))
           for cluster in range(matching.n_clusters)
           for column, count in enumerate(matching.contingency[cluster])
           if column != matching.digit[cluster] and count]
    return sorted(off, reverse=True)[:limit]


@dataclass(frozen=True)
class Members:
    """A cluster's typical members and misfits, sample indices nearest the centroid first."""

    cluster: int
    size: int
    typical: tuple[int, ...]
    misfits: tuple[int, ...]
    n_misfits: int


def cluster_members(features: np.ndarray, center: np.ndarray, labels: np.ndarray, truth: np.ndarray,
                    cluster: int, digit: int, limit: int = 24) -> Members:
    """Up to `limit` members nearest the centroid, and up to `limit` whose digit is not `digit`."""
    members = np.flatnonzero(labels == cluster)
    distances = np.linalg.norm(features[members] - center, axis=1)
    nearest_first = members[np.argsort(distances, kind="stable")]
    misfits = nearest_first[truth[nearest_first] != digit]
    return Members(
        cluster=cluster,
        size=len(members),
        typical=tuple(int(i) for i in nearest_first[:limit]),
        misfits=tuple(int(i) for i in misfits[:limit]),
        n_misfits=len(misfits),
    )
