import os

# As app.py does, before numpy loads: one OpenMP/BLAS thread, so a fit's CPU time (the table's
# "Fit time") is all on the calling thread, and parallel tests do not oversubscribe the cores.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


import pytest


@pytest.fixture(scope="session", autouse=True)
def _table_workers():
    """Fork the table's worker processes before any test starts threads (as app.py does at start-up)."""
    from core import clustering

    clustering.start_workers()
