"""Work limits: a table row or a job too heavy to finish in time is refused before it starts, with a
message naming the data's size and the largest setting that fits; the built-in datasets keep their full
ranges; the page lowers a too-heavy n_init when the dataset changes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from callbacks.controls import dataset_entry
from core import datasets, work
from core.limits import N_CLUSTERS_RANGE, N_INIT_RANGE, limits
from core.settings import (
    DEFAULTS,
    STABILITY_SEEDS_RANGE,
    InvalidSettings,
    validate,
    validate_k_range,
    validate_n_seeds,
)
from core.uploads import MAX_COLUMNS, MAX_ROWS

HEAVY = "upload-test-heavy"  # 20,000 rows × 100 columns: n_init 50 is too heavy for it at k 30
ROWS, COLUMNS = 20_000, 100
CONTROLS_JS = Path(__file__).resolve().parents[2] / "assets" / "controls.js"


@pytest.fixture(scope="module")
def heavy() -> datasets.Dataset:
    features = np.random.default_rng(0).normal(size=(ROWS, COLUMNS))
    info = datasets.DatasetInfo(HEAVY, "Heavy", "rows", "", "")
    return datasets.prepare(info, features, None, (), tuple(f"c{i}" for i in range(COLUMNS)))


@pytest.fixture
def registered(heavy, dataset_source):
    return dataset_source(heavy)


def test_the_largest_upload_takes_one_init_at_the_largest_k_and_not_two():
    most = work.largest_n_init(MAX_ROWS, MAX_COLUMNS, N_CLUSTERS_RANGE[1], N_INIT_RANGE[1])
    assert most == 1
    assert work.row_work(MAX_ROWS, MAX_COLUMNS, N_CLUSTERS_RANGE[1], 1) <= work.FIT_WORK_MAX


@pytest.mark.parametrize("key", sorted(datasets.DATASETS))
def test_the_built_in_datasets_keep_their_full_ranges(key):
    allowed = limits(key)
    low, high = allowed.k_range
    assert [allowed.largest_n_init(k) for k in range(low, high + 1)] == [N_INIT_RANGE[1]] * (high - low + 1)
    heaviest = N_INIT_RANGE[1]
    for init in ("k-means++", "PCA-based"):
        top = allowed.pca_max_k if init == "PCA-based" else high
        assert validate_k_range(low, top, key, init, heaviest) == (low, top)
    settings = validate({**DEFAULTS, "dataset": key, "n_clusters": high, "n_init": heaviest})
    assert validate_n_seeds(STABILITY_SEEDS_RANGE[1], settings) == STABILITY_SEEDS_RANGE[1]


def test_too_heavy_an_n_init_is_refused_naming_the_size_k_and_the_largest(registered):
    most = limits(HEAVY).largest_n_init(30)
    assert 1 < most < N_INIT_RANGE[1]
    assert work.row_work(ROWS, COLUMNS, 30, most) <= work.FIT_WORK_MAX < work.row_work(ROWS, COLUMNS, 30, most + 1)
    raw = {**DEFAULTS, "dataset": HEAVY, "n_clusters": 30}
    assert validate({**raw, "n_init": most}).n_init == most
    with pytest.raises(InvalidSettings) as refused:
        validate({**raw, "n_init": most + 1})
    assert refused.value.by_field == {"n_init": f"n_init {most + 1} is too heavy for 20,000 rows × 100 columns at "
                                                f"k 30: at most {most} here; lower n_init or k."}
    assert validate({**raw, "n_init": N_INIT_RANGE[1], "n_clusters": 2}).n_init == N_INIT_RANGE[1]


def test_pca_based_never_blocks_on_too_heavy_an_n_init(registered):
    most = limits(HEAVY).largest_n_init(30)
    raw = {**DEFAULTS, "dataset": HEAVY, "n_clusters": 30, "init_method": "PCA-based", "n_init": 50}
    assert validate(raw, fallback={"n_init": most - 1}).n_init == most - 1
    # The last applied n_init is too heavy too: the default, or the largest when that is lower.
    assert validate(raw, fallback={"n_init": 50}).n_init == min(DEFAULTS["n_init"], most)


def test_too_heavy_a_k_sweep_is_refused_with_the_largest_k_that_fits(registered):
    allowed = limits(HEAVY)
    top = allowed.largest_k_max(2, 30, 50)
    assert top is not None and 2 < top < 30
    assert allowed.sweep_work(2, top, 50) <= work.JOB_WORK_MAX < allowed.sweep_work(2, top + 1, 50)
    assert validate_k_range(2, top, HEAVY, "k-means++", 50) == (2, top)
    with pytest.raises(InvalidSettings) as refused:
        validate_k_range(2, 30, HEAVY, "random", 50)
    assert refused.value.by_field == {"k_max": f"A k sweep from 2 to 30 at n_init 50 is too heavy for 20,000 rows × "
                                               f"100 columns: from 2, up to k {top} at most here; sweep to a lower k "
                                               f"or lower n_init."}
    # PCA-based runs once at every k, whatever n_init says.
    assert validate_k_range(2, 30, HEAVY, "PCA-based", 50) == (2, 30)
    # Without n_init (a caller that does not pass it) only the range is checked.
    assert validate_k_range(2, 30, HEAVY, "random") == (2, 30)


def test_too_heavy_a_stability_run_is_refused_with_the_most_seeds_that_fit(registered):
    settings = validate({**DEFAULTS, "dataset": HEAVY, "n_clusters": 30, "n_init": 10})
    allowed = limits(HEAVY)
    most = allowed.largest_n_seeds(30, 10, STABILITY_SEEDS_RANGE[1])
    assert STABILITY_SEEDS_RANGE[0] <= most < STABILITY_SEEDS_RANGE[1]
    # Two seeded inits per seed, PCA-based once.
    one = work.row_work(ROWS, COLUMNS, 30, 10)
    assert allowed.stability_work(30, 10, most) == 2 * most * one + work.row_work(ROWS, COLUMNS, 30, 1)
    assert allowed.stability_work(30, 10, most) <= work.JOB_WORK_MAX < allowed.stability_work(30, 10, most + 1)
    assert validate_n_seeds(most, settings) == most
    with pytest.raises(InvalidSettings) as refused:
        validate_n_seeds(most + 1, settings)
    assert refused.value.by_field == {"n_seeds": f"{most + 1} seeds at k 30 with n_init 10 are too heavy for 20,000 "
                                                 f"rows × 100 columns: at most {most} seeds here; use fewer seeds, or "
                                                 f"lower n_init or k."}
    assert validate_n_seeds(STABILITY_SEEDS_RANGE[1]) == STABILITY_SEEDS_RANGE[1]  # without settings: the range


def test_the_dataset_entry_names_the_largest_n_init(registered):
    allowed = limits(HEAVY)
    entry = dataset_entry(HEAVY)
    assert entry["n_init_max"] == allowed.largest_n_init(allowed.default_k)
    assert entry["n_init_max_by_k"]["30"] == allowed.largest_n_init(30) < N_INIT_RANGE[1]
    assert set(entry["n_init_max_by_k"]) == {str(k) for k in range(2, 31)}
    assert entry["size"] == "20,000 rows × 100 columns"
    assert dataset_entry("digits")["n_init_max"] == N_INIT_RANGE[1]


def _switch(*args) -> list:
    """controls.switchDataset run by Node, as the page runs it (no_update stands as the string "no_update")."""
    script = (f"global.window = {{}}; require({json.dumps(str(CONTROLS_JS))});"
              "const ns = window.dash_clientside; ns.no_update = 'no_update';"
              f"console.log(JSON.stringify(ns.controls.switchDataset(...{json.dumps(list(args))})));")
    done = subprocess.run(["node", "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_switching_to_a_heavy_dataset_lowers_n_init_at_the_k_it_will_use(registered):
    entries = {HEAVY: dataset_entry(HEAVY), "digits": dataset_entry("digits")}
    at_30 = entries[HEAVY]["n_init_max_by_k"]["30"]
    dataset, k, note, n_init = _switch(HEAVY, 30, "k-means++", entries, 50)
    assert (dataset, k, n_init) == (HEAVY, "no_update", at_30)
    assert f"n_init was 50; it is now {at_30}" in note and "20,000 rows × 100 columns at k 30" in note
    # Within the largest: left alone.
    assert _switch(HEAVY, 30, "k-means++", entries, at_30)[3] == "no_update"
    assert _switch("digits", 30, "k-means++", entries, 50)[3] == "no_update"
    # A k brought within range is the k n_init is checked at: PCA-based stops at the features.
    entries[HEAVY] = {**entries[HEAVY], "pca_max_k": 5, "n_init_max_by_k": {**entries[HEAVY]["n_init_max_by_k"],
                                                                          "5": 3}}
    dataset, k, note, n_init = _switch(HEAVY, 30, "PCA-based", entries, 50)
    assert (k, n_init) == (5, 3)


def test_the_job_callbacks_refuse_a_too_heavy_job_before_it_starts(registered):
    from callbacks.jobs import stability_params, sweep_params

    applied = validate({**DEFAULTS, "dataset": HEAVY, "n_clusters": 30, "n_init": 10}).as_store()
    allowed = limits(HEAVY)
    light = validate({**DEFAULTS, "dataset": HEAVY, "n_clusters": 2, "n_init": 50}).as_store()
    with pytest.raises(InvalidSettings) as refused:
        sweep_params(light, 2, 30)
    assert "too heavy for 20,000 rows × 100 columns" in refused.value.by_field["k_max"]
    most = allowed.largest_n_seeds(30, 10, STABILITY_SEEDS_RANGE[1])
    assert stability_params(applied, most)["n_seeds"] == most
    with pytest.raises(InvalidSettings) as refused:
        stability_params(applied, most + 1)
    assert f"at most {most} seeds here" in refused.value.by_field["n_seeds"]
