"""The table executor when a presenter clicks faster than tables fit (serving/table_fits.py).

    python benchmarks/table_superseding.py [--rounds 6] [--clicks 7] [--gap-ms 50]

Prints, with TableFits as the web process uses it (its own forkserver and processes):
- a k 17, n_init 17 table alone (three new rows);
- `--clicks` tables from one page, `--gap-ms` apart, each a new seed, as the "+" of a seed does:
  the time from the last one to its rows, the figure a presenter waits for;
- the two costs the executor weighs when a table is superseded: the heaviest row the settings
  allow (k 30, n_init 50, k-means++), which a running row may have left, against ending a running
  process with pebble's `future.cancel()` and having the pool answer the next task.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # as gunicorn.conf.py sets it

import argparse  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pebble import ProcessPool  # noqa: E402

from benchmarks.harness import print_footer, print_header  # noqa: E402
from callbacks.services import Superseded  # noqa: E402
from core.clustering import table_row  # noqa: E402
from core.settings import N_CLUSTERS_RANGE, N_INIT_RANGE  # noqa: E402
from serving import table_worker  # noqa: E402
from serving.table_fits import TableFits  # noqa: E402

K, N_INIT = 17, 17
HEAVIEST = ("digits", "k-means++", N_CLUSTERS_RANGE[1], N_INIT_RANGE[1], 0)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def clicks(fits: TableFits, first_seed: int, count: int, gap_s: float) -> float:
    """`count` tables from one page, `gap_s` apart; seconds from the last request to its rows."""
    took: dict[int, float] = {}

    def ask(seq: int) -> None:
        started = time.monotonic()
        try:
            fits.rows(("digits", K, N_INIT, first_seed + seq), page="presenter", seq=first_seed + seq)
        except Superseded:
            return
        took[seq] = time.monotonic() - started

    threads = []
    for seq in range(count):
        threads.append(threading.Thread(target=ask, args=(seq,)))
        threads[-1].start()
        time.sleep(gap_s)
    for thread in threads:
        thread.join()
    return took[count - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clicks", type=int, default=7)
    parser.add_argument("--gap-ms", type=float, default=50)
    args = parser.parse_args()
    began = time.perf_counter()
    print_header("table executor under superseding tables", {"this checkout": REPO})

    fits = TableFits()
    fits.start()
    alone = []
    for seed in range(1, 4):
        started = time.monotonic()
        fits.rows(("digits", K, N_INIT, seed))
        alone.append(time.monotonic() - started)
    last = [clicks(fits, 1000 * (round_ + 1), args.clicks, args.gap_ms / 1000) for round_ in range(args.rounds)]
    print(f"k {K}, n_init {N_INIT}, {fits.workers} table processes")
    print(f"  table alone: median {ms(statistics.median(alone))}  ({', '.join(map(ms, alone))})")
    print(f"  {args.clicks} tables {args.gap_ms:.0f} ms apart, last one: median {ms(statistics.median(last))}"
          f"  ({', '.join(map(ms, last))})")

    fits.close()
    context = multiprocessing.get_context("forkserver")  # one process, started as TableFits starts them
    context.set_forkserver_preload([table_worker.__name__])
    pool = ProcessPool(max_workers=1, initializer=table_worker.started, context=context)
    pool.schedule(os.getpid).result(timeout=120)
    heaviest = []
    for _ in range(3):
        started = time.monotonic()
        pool.schedule(table_row, args=HEAVIEST).result()
        heaviest.append(time.monotonic() - started)
    replaced = []
    for _ in range(3):
        running = pool.schedule(time.sleep, args=(60,))
        while not running.running():  # handed to the process
            time.sleep(0.01)
        started = time.monotonic()
        running.cancel()
        pool.schedule(os.getpid).result()
        replaced.append(time.monotonic() - started)
    print(f"  heaviest row (k {HEAVIEST[2]}, n_init {HEAVIEST[3]}, k-means++): "
          f"median {ms(statistics.median(heaviest))}")
    print(f"  ending a running process and the pool answering again: median {ms(statistics.median(replaced))}"
          f"  ({', '.join(map(ms, replaced))})")
    pool.stop()
    pool.join(timeout=10)
    print_footer(began)


if __name__ == "__main__":
    main()
