"""The columns a user picks from an uploaded CSV (core.uploads.ParsedCsv), as the arrays a fit needs:
rows with a non-finite feature cell or an empty label dropped and counted, the label's classes
named and sorted. Every refusal is an UploadRefused that names the problem and the limit."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.settings import describe
from core.uploads import MAX_CLASSES, MAX_COLUMNS, MIN_ROWS, ParsedCsv, UploadRefused, to_float

MIN_FEATURES = 2  # the map projects the features onto a plane
# The map's plane spans at most the diagonal of the features' ranges (a projection never
# stretches): past this many units its mesh would need a step over core.settings.MESH_STEP_MAX.
MAX_SPAN = 1_000.0


@dataclass(frozen=True, eq=False)
class Choice:
    """What a fit needs from an upload: the kept rows of the chosen columns, read-only."""

    features: np.ndarray  # (n, d) float64, every cell finite
    feature_names: tuple[str, ...]
    target: np.ndarray | None  # (n,) int64 codes 0..c-1 in class_names' order; None without a label
    class_names: tuple[str, ...]  # () without a label
    label_name: str | None
    standardize: bool
    dropped: int  # rows dropped for a non-finite feature cell or an empty label
    notes: tuple[str, ...]


def _classes(cells: pd.Series, decimal: str, name: str) -> tuple[tuple[str, ...], np.ndarray]:
    """(class names, codes) of the kept label cells. Classes sort as numbers when all are numbers, else as text;
    a number names its class as 1.0 -> "1", 0.5 -> "0.5" (or "0,5", as the file writes it)."""
    values = pd.unique(cells)
    if not 2 <= len(values) <= MAX_CLASSES:
        raise UploadRefused(f"The label column {describe(name)} has {len(values):,} class{'es' * (len(values) != 1)} "
                            f"in the rows kept; a label column needs 2 to {MAX_CLASSES}.")
    if cells.dtype.kind == "f":
        ordered = sorted(values)
        names = [str(int(value)) if value.is_integer() else repr(float(value)).replace(".", decimal)
                 for value in ordered]
        return tuple(names), pd.Index(ordered).get_indexer(cells)
    numbers = [to_float(value, decimal) for value in values]
    if all(number is not None and not math.isnan(number) for number in numbers):
        ordered = [value for _, value in sorted(zip(numbers, values))]
    else:
        ordered = sorted(values)
    return tuple(ordered), pd.Index(ordered).get_indexer(cells)


def choose(parsed: ParsedCsv, features, label=None, standardize=True) -> Choice:
    """The chosen feature columns (and label) of an upload as arrays, rows with a non-finite feature cell or an
    empty label dropped; UploadRefused when the choice cannot be fitted."""
    if isinstance(features, str) or not isinstance(features, (list, tuple)) or not features:
        raise UploadRefused(f"Choose at least {MIN_FEATURES} columns of numbers as features; got {describe(features)}.")
    if len(features) < MIN_FEATURES:
        raise UploadRefused(f"Choose at least {MIN_FEATURES} columns of numbers as features (the map projects them "
                            f"onto a plane); got {len(features)}.")
    if len(features) > MAX_COLUMNS:
        raise UploadRefused(f"{len(features):,} feature columns were chosen; the limit is {MAX_COLUMNS}.")
    columns = set(parsed.frame.columns)
    for number, name in enumerate(features):
        if not isinstance(name, str) or name not in columns:
            raise UploadRefused(f"There is no column {describe(name)} in the file; features must be among its "
                                f"columns of numbers.")
        if name not in parsed.numeric:
            raise UploadRefused(f"Column {describe(name)} is not a column of numbers, so it cannot be a feature; "
                                f"features must be columns of numbers.")
        if name in features[:number]:
            raise UploadRefused(f"Column {describe(name)} is chosen twice as a feature; choose each column once.")
    label = None if label == "" else label
    if label is not None and (not isinstance(label, str) or label not in columns):
        raise UploadRefused(f"There is no column {describe(label)} in the file to use as the label.")
    if label in features:
        raise UploadRefused(f"Column {describe(label)} is chosen both as a feature and as the label; the label must "
                            f"be another column.")
    if not isinstance(standardize, (bool, np.bool_)):
        raise UploadRefused(f"Standardize must be true or false; got {describe(standardize)}.")

    values = parsed.frame.loc[:, list(features)].to_numpy(dtype=np.float64)
    keep = np.isfinite(values).all(axis=1)
    if label is not None:
        keep &= parsed.frame[label].notna().to_numpy()
    kept = int(keep.sum())
    dropped = keep.size - kept
    why = "empty, NaN or infinite cells in the chosen columns"
    if kept < MIN_ROWS:
        raise UploadRefused(f"Only {kept} row{'s' * (kept != 1)} remain{'s' * (kept == 1)} after dropping "
                            f"{dropped:,} with {why}; K-means needs at least {MIN_ROWS}.")
    notes = (f"{dropped:,} rows were dropped: they had {why}." if dropped > 1 else
             f"1 row was dropped: it had {why}.",) if dropped else ()
    target, class_names = None, ()
    if label is not None:
        class_names, codes = _classes(parsed.frame[label][keep], parsed.decimal, label)
        target = codes.astype(np.int64)
        target.setflags(write=False)
    matrix = np.ascontiguousarray(values[keep])
    if not (matrix != matrix[0]).any():
        raise UploadRefused(f"Every one of the {kept:,} rows kept is the same in the chosen columns; K-means needs "
                            "at least two different rows.")
    with np.errstate(over="ignore", invalid="ignore"):  # values near float64's limit: refused below
        spread = matrix.max(axis=0) - matrix.min(axis=0)
        if standardize:
            deviation = matrix.std(axis=0)
            spread = np.where(np.isfinite(deviation), spread / np.where(deviation > 0, deviation, 1.0), np.inf)
        span = float(np.sqrt(np.sum(np.square(np.minimum(spread, 1e150)))))
    if not span <= MAX_SPAN:  # inf and NaN (an overflow) included
        advice = ("outliers too far from the rest" if standardize
                  else "columns on very different scales; turn Standardize on")
        shown = f"{span:,.0f}" if span < 1e9 else f"{span:.3g}"
        raise UploadRefused(f"These columns span {shown} units, too wide for the map (at most {MAX_SPAN:,.0f}): "
                            f"{advice}, or choose other columns.")
    matrix.setflags(write=False)
    return Choice(matrix, tuple(features), target, class_names, label, bool(standardize), dropped, notes)
