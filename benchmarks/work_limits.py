"""The heaviest table rows the work limits let through (core/work.py), against the row timeout.

    python benchmarks/work_limits.py

For a few upload shapes at the size limits, n_init set to the largest core.work allows at k 30, on
random noise (no clusters to find, so every init runs up to KMeans' max_iter): one k-means++ row
(the fit and its scores, core.clustering.table_row), single-threaded as the table's processes run
it, timed here on an idle machine. Prints each row's seconds, its units of work, and the worst
row's share of serving.table_fits.ROW_TIMEOUT_S: a busy machine (other rows and a job on the same
cores) must still fit within it.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as the table's processes run

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from benchmarks.harness import print_footer, print_header  # noqa: E402
from core import datasets, work  # noqa: E402
from core.clustering import table_row  # noqa: E402
from core.settings import N_CLUSTERS_RANGE, N_INIT_RANGE  # noqa: E402
from serving.table_fits import ROW_TIMEOUT_S  # noqa: E402

SHAPES = ((100_000, 10), (100_000, 200), (20_000, 100))
K = N_CLUSTERS_RANGE[1]


def noise(rows: int, features: int) -> datasets.Dataset:
    key = f"upload-bench-{rows}x{features}"
    values = np.random.default_rng(0).normal(size=(rows, features))
    info = datasets.DatasetInfo(key, f"noise {rows:,} × {features}", "rows", "", "")
    return datasets.prepare(info, values, None, (), tuple(f"c{i}" for i in range(features)))


def main() -> int:
    begun = time.perf_counter()
    print_header("The heaviest table rows the work limits allow", {"dashboard": Path(__file__).resolve().parent.parent})
    made: dict[str, datasets.Dataset] = {}
    datasets.add_source(made.get)
    worst = 0.0
    for rows, features in SHAPES:
        data = noise(rows, features)
        made[data.key] = data
        n_init = work.largest_n_init(rows, features, K, N_INIT_RANGE[1])
        units = work.row_work(rows, features, K, n_init)
        with threadpool_limits(1):
            started = time.perf_counter()
            table_row(data.key, "k-means++", K, n_init, 0)
            took = time.perf_counter() - started
        worst = max(worst, took)
        print(f"  {rows:,} × {features} noise, k {K}, n_init {n_init} (the largest allowed): {took:.1f} s, "
              f"{units:.2e} units ({took / units:.1e} s a unit)", flush=True)
    print(f"\nThe worst row: {worst:.1f} s, {worst / ROW_TIMEOUT_S:.0%} of the row timeout ({ROW_TIMEOUT_S:.0f} s)")
    print_footer(begun)
    return 0


if __name__ == "__main__":
    sys.exit(main())
