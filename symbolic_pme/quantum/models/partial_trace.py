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


def partial_trace(rho: sympy.MatrixBase, dims: tuple[int, int], keep: int = 0) -> sympy.Matrix:
    """Trace out one factor of a bipartite density matrix.

    ``rho`` acts on a space of dimension ``dims[0] * dims[1]`` (factor 0 first: basis index
    ``i * dims[1] + e``); ``keep`` is the factor that remains (0 or 1).
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

    ``amplitudes`` are the c_i; ``environment_states`` one vector E_i per system state, all of
    the same dimension (complex entries allowed, e.g. ``exp(I*theta)``).  Neither needs to be
    normalized; the overlaps are used as given.
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
    """The system's density matrix after tracing out the environment from
    :func:`entangled_state`: ``rho_ij = c_i c_j^* <E_j|E_i>``."""
    psi = entangled_state(amplitudes, environment_states)
    d_env = len(environment_states[0])
    rho = psi * psi.H
    return partial_trace(rho, (len(amplitudes), d_env), keep=0).applyfunc(sympy.expand)
