"""Which class each cluster stands for: the contingency table, Hungarian matching, honest names.

K-means numbers its clusters arbitrarily, and the numbers reshuffle with every seed. Naming each
cluster after the class it is matched to makes "the 3s" mean the same thing after every click.
A matched class need not be what most of a cluster is, though: then the cluster's label says what
it mostly holds ("9 · mostly 7s"), and a cluster whose own class is under half of it is mixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.metrics.cluster import contingency_matrix

EXTRA_MARKS = ("′", "″", "‴", "⁗")  # the 1st to 4th extra cluster of one class; then ′5, ′6, ...
CHANCE_SHUFFLES = 32  # label permutations averaged for the chance level
CHANCE_SEED = 0  # fixed, so the same clustering always shows the same chance figure
MIXED_BELOW = 0.5  # a cluster whose own class is under this share of it is marked mixed


@dataclass(frozen=True, eq=False)
class ClusterMatching:
    """Clusters matched one to one to classes; arrays are indexed by cluster number (read-only)."""

    contingency: np.ndarray  # (k, n_classes) members of each cluster by true class
    stands_for: np.ndarray  # (k,) the class each cluster is named after: its match, or an extra's majority
    matched: np.ndarray  # (k,) bool: matched one to one (at most n_classes clusters are)
    names: tuple[str, ...]  # by cluster: "3", or "3′", "3″"... for extra clusters of the same class
    order: tuple[int, ...]  # cluster numbers in display order: by class, the matched one first
    matched_count: int  # samples in the cluster matched to their class
    majority_count: int  # samples in a cluster whose majority class is theirs
    class_names: tuple[str, ...]
    plural_suffix: str  # "s" for digits ("7s"); "" for names that read as plurals already
    # False: data without labels. Each cluster is then its own "class" (numbered by size), which
    # gives it a name and a colour and nothing else: no view may speak of purity or accuracy.
    labelled: bool = True

    @property
    def n_samples(self) -> int:
        return int(self.contingency.sum())

    @property
    def n_clusters(self) -> int:
        return self.contingency.shape[0]

    @property
    def n_classes(self) -> int:
        return self.contingency.shape[1]

    @property
    def accuracy(self) -> float:
        """Matched count / samples: each class may be credited to one cluster only."""
        return self.matched_count / self.n_samples

    @property
    def purity(self) -> float:
        """Majority vote: several clusters may stand for one class."""
        return self.majority_count / self.n_samples

    @property
    def sizes(self) -> np.ndarray:
        return self.contingency.sum(axis=1)

    def cluster_purity(self, cluster: int) -> float:
        """Share of a cluster's members whose class is the one it is named after."""
        row = self.contingency[cluster]
        size = row.sum()
        return float(row[self.stands_for[cluster]] / size) if size else 0.0

    def majority(self, cluster: int) -> tuple[int, ...]:
        """The classes with the most members in this cluster (several on a tie)."""
        row = self.contingency[cluster]
        return tuple(int(c) for c in np.flatnonzero(row == row.max())) if row.sum() else ()

    def plural(self, class_index: int) -> str:
        return f"{self.class_names[class_index]}{self.plural_suffix}"

    def mostly(self, cluster: int) -> str:
        """"mostly 7s" (or "mostly 1s and 8s" on a tie) when the class a cluster is named after is
        not (alone) its most common class; "" when it is."""
        top = self.majority(cluster)
        if not top or top == (int(self.stands_for[cluster]),):
            return ""
        return "mostly " + " and ".join(self.plural(c) for c in top)

    def mixed(self, cluster: int) -> bool:
        """Whether the class a cluster is named after is under half of it."""
        return self.cluster_purity(cluster) < MIXED_BELOW

    def label(self, cluster: int) -> str:
        """The cluster's name with what it mostly holds, when that differs: "9 · mostly 7s"."""
        mostly = self.mostly(cluster)
        return f"{self.names[cluster]} · {mostly}" if mostly else self.names[cluster]

    def cluster_named(self, name: str) -> int | None:
        return self.names.index(name) if name in self.names else None


def class_contingency(truth: np.ndarray, labels: np.ndarray, n_clusters: int, n_classes: int) -> np.ndarray:
    """(k, n_classes) counts of cluster × true class, with a row for every cluster number."""
    table = np.zeros((n_clusters, n_classes), dtype=np.int64)
    found = contingency_matrix(labels, truth)  # rows: the clusters present; columns: the classes present
    table[np.ix_(np.unique(labels), np.unique(truth))] = found
    return table


def _extra_name(name: str, rank: int) -> str:
    mark = EXTRA_MARKS[rank - 1] if rank <= len(EXTRA_MARKS) else f"′{rank}"
    return f"{name}{mark}"


def match_clusters(truth: np.ndarray, labels: np.ndarray, n_clusters: int,
                   class_names: tuple[str, ...], plural_suffix: str = "") -> ClusterMatching:
    """Hungarian matching of clusters to classes on the contingency table (most samples kept).

    With more clusters than classes, the clusters left unmatched stand for their majority class
    and are named as extras of it, the larger first ("7′", then "7″"). Ties are broken by cluster
    number, so the result depends only on the clustering.
    """
    table = class_contingency(truth, labels, n_clusters, len(class_names))
    rows, columns = linear_sum_assignment(table, maximize=True)
    stands_for = table.argmax(axis=1)
    stands_for[rows] = columns
    matched = np.zeros(n_clusters, dtype=bool)
    matched[rows] = True
    sizes = table.sum(axis=1)
    # By class; within a class the matched cluster, then extras by size (larger first), then number.
    order = sorted(range(n_clusters), key=lambda c: (int(stands_for[c]), not matched[c], -int(sizes[c]), c))
    names = [""] * n_clusters
    rank_by_class: dict[int, int] = {}
    for cluster in order:
        own = int(stands_for[cluster])
        if matched[cluster]:
            names[cluster] = class_names[own]
        else:
            rank_by_class[own] = rank_by_class.get(own, 0) + 1
            names[cluster] = _extra_name(class_names[own], rank_by_class[own])
    for array in (table, stands_for, matched):
        array.setflags(write=False)
    return ClusterMatching(
        contingency=table, stands_for=stands_for, matched=matched, names=tuple(names), order=tuple(order),
        matched_count=int(table[rows, columns].sum()), majority_count=int(table.max(axis=1).sum()),
        class_names=tuple(class_names), plural_suffix=plural_suffix,
    )


def chance_accuracy(truth: np.ndarray, labels: np.ndarray, n_clusters: int, n_classes: int) -> float:
    """The matched accuracy of clusters of the same sizes filled at random (mean over shuffles).

    The honest baseline for the headline: with 10 equal clusters it is a little above 10%,
    because the matching picks the best class for each cluster even by chance.
    """
    shuffled = np.random.default_rng(CHANCE_SEED)
    counts = []
    for _ in range(CHANCE_SHUFFLES):
        # The contingency table by bincount: the same counts as class_contingency, much faster.
        table = np.bincount(shuffled.permutation(labels) * n_classes + truth, minlength=n_clusters * n_classes)
        table = table.reshape(n_clusters, n_classes)
        rows, columns = linear_sum_assignment(table, maximize=True)
        counts.append(table[rows, columns].sum())
    return float(np.mean(counts)) / len(labels)


def confusions(matching: ClusterMatching, limit: int = 3) -> list[tuple[int, int, int]]:
    """The largest off-diagonal cells: (count, true class, cluster they landed in)."""
    off = [(int(count), column, cluster)
           for cluster in range(matching.n_clusters)
           for column, count in enumerate(matching.contingency[cluster])
           if column != matching.stands_for[cluster] and count]
    return sorted(off, key=lambda item: (-item[0], item[1], item[2]))[:limit]


@dataclass(frozen=True)
class Members:
    """A cluster's typical members and misfits, sample indices nearest the centroid first."""

    cluster: int
    size: int
    typical: tuple[int, ...]
    misfits: tuple[int, ...]
    n_misfits: int


def cluster_members(features: np.ndarray, center: np.ndarray, labels: np.ndarray, truth: np.ndarray | None,
                    cluster: int, own_class: int, limit: int = 24) -> Members:
    """Up to `limit` members nearest the centroid, and up to `limit` whose class is not `own_class`."""
    members = np.flatnonzero(labels == cluster)
    distances = np.linalg.norm(features[members] - center, axis=1)
    nearest_first = members[np.argsort(distances, kind="stable")]
    # Without labels (truth None) no member is a misfit: there is no class to miss.
    misfits = nearest_first[:0] if truth is None else nearest_first[truth[nearest_first] != own_class]
    return Members(
        cluster=cluster, size=len(members),
        typical=tuple(int(i) for i in nearest_first[:limit]),
        misfits=tuple(int(i) for i in misfits[:limit]),
        n_misfits=len(misfits),
    )


def numbered_clusters(labels: np.ndarray, n_clusters: int) -> ClusterMatching:
    """Clusters of data without labels, named 1..k from the largest (ties by cluster number)."""
    sizes = np.bincount(labels, minlength=n_clusters)
    order = sorted(range(n_clusters), key=lambda c: (-int(sizes[c]), c))
    rank = np.empty(n_clusters, dtype=np.int64)
    rank[order] = np.arange(n_clusters)
    table = np.zeros((n_clusters, n_clusters), dtype=np.int64)
    table[np.arange(n_clusters), rank] = sizes
    matched = np.ones(n_clusters, dtype=bool)
    for array in (table, rank, matched):
        array.setflags(write=False)
    return ClusterMatching(
        contingency=table, stands_for=rank, matched=matched, names=tuple(str(r + 1) for r in rank),
        order=tuple(order), matched_count=0, majority_count=0,
        class_names=tuple(str(r + 1) for r in range(n_clusters)), plural_suffix="", labelled=False,
    )


def matching_for(dataset, labels: np.ndarray, n_clusters: int) -> ClusterMatching:
    """match_clusters against a core.datasets.Dataset's true classes and names (numbered clusters
    for data without labels)."""
    if dataset.target is None:
        return numbered_clusters(labels, n_clusters)
    return match_clusters(dataset.target, labels, n_clusters, dataset.class_names, dataset.info.plural_suffix)
