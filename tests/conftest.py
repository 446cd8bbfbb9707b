import os

import pytest

# As app.py does, before numpy loads: one OpenMP/BLAS thread, so that a fit's CPU time (the
# table's "Fit time") is all on the calling thread and parallel tests do not oversubscribe the cores.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


@pytest.fixture
def dataset_source():
    """`dataset_source(source)` adds a source to core.datasets for this test alone, and
    `dataset_source(dataset)` a dataset under its own key; each is removed when the test ends."""
    from core import datasets

    added = []

    def add(what):
        source = what if callable(what) else (lambda key, data=what: data if key == data.info.key else None)
        datasets.add_source(source)
        added.append(source)
        return what

    yield add
    for source in added:
        datasets.remove_source(source)
