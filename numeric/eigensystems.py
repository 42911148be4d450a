"""``numpy.linalg.eigh`` without its per-call overhead, for the many small blocks of a sweep.

A 16-state model's sweep diagonalizes its sectors of 4-6 states: ``numpy.linalg.eigh`` takes
about 9 us a call there, nearly all of it its own checks and copies.  :func:`eigh` gives the
same numbers (LAPACK's ``dsyevd`` on the lower triangle, as NumPy calls it: bitwise equal, the
tests compare them) by the compiled loop (SciPy's LAPACK) in about 3 us, for real symmetric
matrices; complex ones, and everything where the loops are not built, go to NumPy.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .loops import compiled_loops

__all__ = ["eigh"]


def eigh(matrices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and eigenvectors (columns) of Hermitian matrices, as ``numpy.linalg.eigh``.

    Parameters
    ----------
    matrices : numpy.ndarray
        ``(..., m, m)``; only the lower triangle is read.

    Returns
    -------
    values : numpy.ndarray
        ``(..., m)`` float64.
    vectors : numpy.ndarray
        ``(..., m, m)``, ``vectors[..., :, k]`` the k-th eigenvector.

    Raises
    ------
    numpy.linalg.LinAlgError
        If the eigenvalues do not converge.
    """
    loops = compiled_loops()
    if loops is None or matrices.dtype != np.float64 or matrices.ndim < 2 or matrices.shape[-1] == 0:
        return np.linalg.eigh(matrices)
    m, shape = matrices.shape[-1], matrices.shape[:-2]
    batch = math.prod(shape)
    values, vectors = np.empty(shape + (m,)), np.empty(shape + (m, m))
    try:
        loops.symmetric_eigensystems(np.ascontiguousarray(matrices), values, vectors, m, batch, _syevd())
    except ArithmeticError as error:
        raise np.linalg.LinAlgError(str(error)) from None
    return values, vectors


@functools.cache
def _syevd() -> object:
    """The capsule of LAPACK's ``dsyevd`` in ``scipy.linalg.cython_lapack``."""
    from scipy.linalg.cython_lapack import __pyx_capi__ as lapack

    return lapack["dsyevd"]
