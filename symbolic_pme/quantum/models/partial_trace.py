"""Decoherence by entanglement: a system coupled to a small environment, and the partial trace.

A system in the superposition ``sum_i c_i |i>`` interacts with an environment that records which
state it is in: ``|i>|E> -> |i>|E_i>``.  The total state stays pure, but the system's reduced
density matrix (the environment traced out) is

    rho_ij = c_i c_j^*  <E_j|E_i>,

its coherences multiplied by the overlap of the environment states: orthogonal records destroy
them, identical ones leave them.  Everything here is exact SymPy; the system is the first factor
of the tensor product (basis index ``i * d_env + e``).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from symbolic_pme.parsing import Value, to_expr

__all__ = ["entangled_state", "partial_trace", "reduced_density_matrix"]


def partial_trace(rho: sympy.MatrixBase, dims: tuple[int, int], *, keep: int = 0) -> sympy.Matrix:
    """Trace out one factor of a bipartite density matrix.

    Parameters
    ----------
    rho : sympy.MatrixBase
        A matrix on a space of dimension ``dims[0] * dims[1]`` (factor 0 first: basis index
        ``i * dims[1] + e``).
    dims : (int, int)
        The dimensions of the two factors.
    keep : {0, 1}, optional
        The factor that remains (default 0, the system).

    Returns
    -------
    sympy.Matrix
        The reduced matrix, ``dims[keep]`` square.

    Raises
    ------
    ValueError
        For dimensions that are not positive, a shape of ``rho`` that does not match them, or
        ``keep`` other than 0 or 1.

    Examples
    --------
    >>> psi = entangled_state([1, 1], [[1, 0], [0, 1]])
    >>> partial_trace(psi * psi.H, (2, 2), keep=1)
    Matrix([
    [1, 0],
    [0, 1]])
    """
    d0, d1 = (int(d) for d in dims)
    if d0 < 1 or d1 < 1:
        raise ValueError(f"dims: expected two positive dimensions, got {dims}")
    if rho.shape != (d0 * d1, d0 * d1):
        raise ValueError(f"rho: shape {rho.shape}, expected ({d0 * d1}, {d0 * d1}) for dims {dims}")
    if keep == 0:
        return sympy.Matrix(d0, d0, lambda i, j: sum(rho[i * d1 + e, j * d1 + e] for e in range(d1)))
    if keep == 1:
        return sympy.Matrix(d1, d1, lambda e, f: sum(rho[i * d1 + e, i * d1 + f] for i in range(d0)))
    raise ValueError(f"keep: expected 0 or 1, got {keep!r}")


def entangled_state(amplitudes: Sequence[Value], environment_states: Sequence[Sequence[Value]]) -> sympy.Matrix:
    """The pure state ``sum_i c_i |i> (x) |E_i>`` as a column vector (system first).

    Parameters
    ----------
    amplitudes : sequence of values
        The c_i, one per system state (need not be normalized).
    environment_states : sequence of sequences of values
        One vector E_i per system state, all of the same dimension (complex entries allowed,
        e.g. ``exp(I*theta)``; need not be normalized: the overlaps are used as given).

    Returns
    -------
    sympy.Matrix
        The column vector, basis index ``i * d_env + e``.

    Raises
    ------
    ValueError
        For a number of environment vectors other than of amplitudes, or vectors that are empty
        or of different dimensions.

    Examples
    --------
    >>> entangled_state([1, 1], [[1, 0], [0, 1]]).T
    Matrix([[1, 0, 0, 1]])
    """
    amplitudes = [to_expr(c, f"amplitude {k}") for k, c in enumerate(amplitudes)]
    vectors = [[to_expr(v, f"environment state {k}") for v in e] for k, e in enumerate(environment_states)]
    if len(vectors) != len(amplitudes):
        raise ValueError(f"environment_states: {len(vectors)} vectors for {len(amplitudes)} system states")
    dims = {len(v) for v in vectors}
    if len(dims) != 1 or 0 in dims:
        raise ValueError("environment_states: vectors must be non-empty and of one dimension")
    return sympy.Matrix([c * e for c, vector in zip(amplitudes, vectors) for e in vector])


def reduced_density_matrix(amplitudes: Sequence[Value], environment_states: Sequence[Sequence[Value]]) -> sympy.Matrix:
    """The system's density matrix after tracing out the environment from :func:`entangled_state`.

    Parameters
    ----------
    amplitudes : sequence of values
        The c_i, as for :func:`entangled_state`.
    environment_states : sequence of sequences of values
        The E_i, as for :func:`entangled_state`.

    Returns
    -------
    sympy.Matrix
        ``rho_ij = c_i c_j^* <E_j|E_i>``, expanded.

    Raises
    ------
    ValueError
        As for :func:`entangled_state`.

    Examples
    --------
    Orthogonal records destroy the coherences, identical ones leave them:

    >>> reduced_density_matrix([1, 1], [[1, 0], [0, 1]])
    Matrix([
    [1, 0],
    [0, 1]])
    >>> reduced_density_matrix([1, 1], [[1, 0], [1, 0]])
    Matrix([
    [1, 1],
    [1, 1]])
    """
    psi = entangled_state(amplitudes, environment_states)
    d_env = len(environment_states[0])
    rho = psi * psi.H
    return partial_trace(rho, (len(amplitudes), d_env), keep=0).applyfunc(sympy.expand)
