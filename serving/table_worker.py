"""What every table process starts with: the maths imported and the datasets loaded.

serving/table_fits.py has multiprocessing's forkserver import this module once, so each table
process forked from it begins ready to fit, whether it is the first or a replacement (after a
row's timeout or a crash).
"""

from __future__ import annotations

import os
import threading
import time

from core import clustering, datasets  # noqa: F401  (imported here so that every fork has it)
from serving import uploads

for _key in datasets.DATASETS:
    datasets.load(_key)
uploads.install_from_environment()  # an upload's rows read it from the store the web process wrote

NICENESS = 10  # the map first: the table takes what the web threads leave


def _exit_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)  # pylint: disable=protected-access  (the documented way to leave at once)


def started() -> None:
    """A table process's first step: lower its priority, and leave when its parent (the
    forkserver, which leaves with the web process) is gone."""
    os.nice(NICENESS)
    threading.Thread(target=_exit_with, args=(os.getppid(),), name="exit-with-parent", daemon=True).start()
