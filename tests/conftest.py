import os

# As app.py does, before numpy loads: one OpenMP/BLAS thread, so that a fit's CPU time (the
# table's "Fit time") is all on the calling thread and parallel tests do not oversubscribe the cores.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
