"""Server-side validation of the jobs' own parameters (the k range of a sweep, the seed count of a
stability run), in core/settings.py's style: one readable message per bad value, naming the field
and the allowed range; nothing runs until every value is valid."""

from __future__ import annotations

from core.settings import N_CLUSTERS_RANGE, InvalidSettings, _describe, _whole_number
from core.sweeps import STABILITY_SEEDS_RANGE


def validate_k_range(k_min: object, k_max: object) -> tuple[int, int]:
    low, high = N_CLUSTERS_RANGE
    checked_min, checked_max = _whole_number(k_min, low, high - 1), _whole_number(k_max, low + 1, high)
    problems = {}
    if checked_min is None:
        problems["k_min"] = f"Sweep from k must be a whole number from {low} to {high - 1}; got {_describe(k_min)}."
    if checked_max is None:
        problems["k_max"] = f"Sweep to k must be a whole number from {low + 1} to {high}; got {_describe(k_max)}."
    if not problems and checked_min >= checked_max:
        problems["k_max"] = (f"Sweep to k must be larger than sweep from k ({checked_min}); "
                             f"got {_describe(k_max)}.")
    if problems:
        raise InvalidSettings(problems)
    return checked_min, checked_max


def validate_n_seeds(n_seeds: object) -> int:
    checked = _whole_number(n_seeds, *STABILITY_SEEDS_RANGE)
    if checked is None:
        raise InvalidSettings({"n_seeds": "Seeds must be a whole number from {} to {}; got {}.".format(
            *STABILITY_SEEDS_RANGE, _describe(n_seeds))})
    return checked
