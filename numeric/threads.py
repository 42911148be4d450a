"""BLAS threads while batched chunks are solved: one thread for a batch of many points.

A chunk of many grid points is solved by loops of LAPACK and BLAS calls on small or medium
matrices (``numpy.linalg.solve`` over a stack, a GEMM of a few rows).  Threaded BLAS gains
little on those, and OpenBLAS's waiting threads spin: when another process holds a core they
stall every call.  Measured on a 2-core machine with the other core busy, a 101-point bias sweep
of 1024 states took 40 s with OpenBLAS's two threads and 2.85 s with one; the triangle's 100 x 100
map 37 ms against 15 ms.  A single point of a large model (a few dense factorizations of
hundreds of states) keeps the library's threads, and so does a small solve (see
:data:`SMALL_WORK`).  Parallelism over grid points is the
executors' (:mod:`~symbolic_pme.numeric.distributed`), one process per core.

The limit is set with threadpoolctl (maintained with joblib and scikit-learn: it finds the BLAS
and OpenMP libraries loaded in the process, whichever NumPy and SciPy were built with).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache

from threadpoolctl import ThreadpoolController

__all__ = ["SMALL_WORK", "blas_threads_for"]


@cache
def _controller() -> ThreadpoolController:
    """The process's thread pools, inspected once (about 2 ms)."""
    return ThreadpoolController()


#: Points times states below which the BLAS threads are left alone: the calls are then too
#: small for OpenBLAS to thread, and switching the limit (0.2-0.3 ms with the pools' resync,
#: measured on a 201-point sweep of the 8-state triangle) would cost more than it saves.
SMALL_WORK = 4096


def blas_threads_for(points: int, states: int) -> AbstractContextManager:
    """A context in which BLAS runs with the threads right for solving ``points`` points together.

    Parameters
    ----------
    points : int
        Grid points solved together.
    states : int
        States of the model.

    Returns
    -------
    contextlib.AbstractContextManager
        For more than one point and at least :data:`SMALL_WORK` points times states, a limit
        of one BLAS thread; otherwise a context that changes nothing.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads_for(10_000, 8):  # the triangle's 100 x 100 map: one thread
    ...     product = np.ones((2, 2)) @ np.ones((2, 2))
    >>> product.tolist()
    [[2.0, 2.0], [2.0, 2.0]]
    """
    if points <= 1 or points * states < SMALL_WORK:
        return nullcontext()
    return _controller().limit(limits=1, user_api="blas")
