"""BLAS threads for the small linear algebra of the model fits.

NumPy's and SciPy's OpenBLAS start a thread pool per process (one thread per core). The fits
here call BLAS on tiny arrays (L-BFGS-B's 3–4 parameters, Markov's channel-square matrices),
where waking the pool costs far more than the arithmetic: on the 2-core machine under load
each L-BFGS-B iteration spent ~4 ms in it. Inside one_blas_thread() BLAS runs on the calling
thread; the results are the same.
"""

from __future__ import annotations

from contextlib import contextmanager

_controller = None


@contextmanager
def one_blas_thread():
    """Run the block with every loaded BLAS library limited to one thread."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()  # scans the loaded libraries once per process
    with _controller.limit(limits=1, user_api="blas"):
        yield
