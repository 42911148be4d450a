"""Batched steady states of rate networks.

The steady state of ``dP/dt = W P`` with ``sum P = 1`` solves ``A P = e_0``, where A is W with
its first row replaced by ones.  A is invertible exactly when the steady state is unique (W has
rank n - 1; its rows are orthogonal to the steady state while the row of ones is not), so a
singular A is reported as a non-unique steady state instead of being papered over.  Small
systems are solved with one batched LAPACK call (``numpy.linalg.solve``) over all grid points.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from symbolic_pme.errors import NonUniqueSteadyState

from .loops import GTH_STATES, compiled_loops

if TYPE_CHECKING:
    from .chunks import Workspace

__all__ = [
    "GTH_MAX_STATES",
    "NEGATIVE_TOLERANCE",
    "censored_level",
    "solve_normalized",
    "steady_state",
    "steady_state_gth",
    "steady_state_levels",
]

#: Networks with up to this many states are solved by GTH state reduction vectorized across the
#: grid (faster than LAPACK's per-matrix calls for small matrices: 8 states, 10^4 points: 3.4 ms
#: against 7.9 ms measured in one run), transport models on the flat layout; larger ones by the
#: batched LU solve or the block elimination.  16 since the compiled loops (:mod:`.loops`, which
#: take up to 16 states): an 11-point sweep of a 16-state random dot takes 0.29 ms on the flat
#: layout against 2.9 ms by block elimination (1.05 ms with the NumPy loops).
GTH_MAX_STATES = 16

#: Probabilities in [-NEGATIVE_TOLERANCE, 0) are rounding noise and are set to zero; anything more
#: negative means the solve lost accuracy and is reported.
NEGATIVE_TOLERANCE = 1e-9


def steady_state(generator: ArrayLike) -> np.ndarray:
    """Steady-state probabilities for a stack of generators.

    Parameters
    ----------
    generator : array_like
        Array ``(..., n, n)`` with ``generator[..., j, i]`` = rate i -> j and columns summing to 0.

    Returns
    -------
    numpy.ndarray
        Array ``(..., n)`` of probabilities summing to one.

    Raises
    ------
    NonUniqueSteadyState
        At grid points where the network is reducible (more than one closed class); the message
        gives the number of such points and the first one's index.
    FloatingPointError
        When the result is not finite or clearly negative (an ill-conditioned network).

    Examples
    --------
    >>> steady_state(np.array([[-2.0, 1.0], [2.0, -1.0]])).round(6)
    array([0.333333, 0.666667])
    """
    a = np.array(generator, dtype=float)
    a[..., 0, :] = 1.0
    return solve_normalized(a)


def solve_normalized(a: np.ndarray) -> np.ndarray:
    """Solve ``a P = e_0`` for stacked generators whose first row is already replaced by ones.

    Parameters
    ----------
    a : numpy.ndarray
        Array ``(..., n, n)``: generators with their first row set to ones (the normalization).

    Returns
    -------
    numpy.ndarray
        Array ``(..., n)`` of probabilities summing to one.

    Raises
    ------
    NonUniqueSteadyState
        Where ``a`` is singular; its ``indices`` list the grid indices of the singular points.
    FloatingPointError
        When the result is not finite or clearly negative (as :func:`steady_state`).
    """
    n = a.shape[-1]
    rhs = np.zeros((n, 1))
    rhs[0, 0] = 1.0
    try:
        p = np.linalg.solve(a, rhs)[..., 0]
    except np.linalg.LinAlgError:
        raise _non_unique(a) from None
    if not np.all(np.isfinite(p)):
        bad = np.argwhere(~np.all(np.isfinite(p), axis=-1))
        raise FloatingPointError(f"steady state not finite at {len(bad)} grid point(s), first at index {tuple(bad[0])}")
    if np.any(p < 0):
        worst = p.min()
        if worst < -NEGATIVE_TOLERANCE:
            index = np.unravel_index(np.argmin(p), p.shape)
            raise FloatingPointError(
                f"steady state lost accuracy: probability {worst:.3g} at grid index {index[:-1]} (state {index[-1]}); "
                "the rates span too many orders of magnitude for a dense solve"
            )
        np.maximum(p, 0.0, out=p)
    return p


def _non_unique(a: np.ndarray) -> NonUniqueSteadyState:
    """The error for singular systems, with the grid indices of the singular ones."""
    singular_values = np.linalg.svd(a, compute_uv=False)
    threshold = singular_values[..., :1] * a.shape[-1] * np.finfo(float).eps
    bad = [tuple(int(i) for i in index) for index in np.argwhere(np.any(singular_values <= threshold, axis=-1))]
    where = f"at {len(bad)} grid point(s), first at index {bad[0]}" if bad else ""
    return NonUniqueSteadyState(
        f"the steady state is not unique {where}: the rates there split the network into disconnected "
        "closed classes (for example, every coupling is zero)",
        indices=bad,
    )


def steady_state_gth(transfer: np.ndarray, *, work: Workspace | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Steady states by Grassmann–Taksar–Heyman state reduction, vectorized over the grid.

    Parameters
    ----------
    transfer : numpy.ndarray
        Array ``(n, n, batch)`` with ``transfer[j, i]`` = rate i -> j for i != j (the diagonal is
        ignored).  It is overwritten.
    work : Workspace, optional
        Where the NumPy version keeps its ``(n, n, batch)`` buffer of the elimination's updates
        (buffer ``"gth"``; a fresh one of a large batch costs page faults comparable to the
        arithmetic).  The compiled loops need none.

    Returns
    -------
    probabilities : numpy.ndarray
        ``(n, batch)``, each column summing to one.
    failed : numpy.ndarray
        ``(batch,)`` booleans: the points whose probabilities are meaningless (see below).

    Notes
    -----
    States are eliminated from the last to the first: eliminating k censors the chain on the
    states before it (rate i -> j gains rate(i -> k) * rate(k -> j) / s_k, with s_k the rate
    from k to the states before it), then back-substitution gives the steady state. Only
    non-negative numbers are added, multiplied and divided (the diagonal of the generator is
    never formed), so the probabilities are non-negative and accurate relative to themselves,
    even when they span hundreds of orders of magnitude. Where some s_k is zero (a state that
    cannot reach the states before it: a reducible network, or an absorbing state at T = 0) the
    point is flagged in ``failed`` and its probabilities are meaningless; solve those points
    with :func:`solve_normalized`.

    Where the compiled loops are built (:mod:`.loops`), a C-contiguous float64 ``transfer`` of
    at most :data:`~symbolic_pme.numeric.loops.GTH_STATES` states is reduced by them, with the
    same operations in the same order (bitwise the same result), point by point in chunks that
    stay in the cache.
    """
    loops = compiled_loops()
    if (
        loops is not None
        and transfer.dtype == np.float64
        and transfer.flags.c_contiguous
        and transfer.shape[0] <= GTH_STATES
    ):
        n, batch = transfer.shape[0], transfer.shape[2]
        probabilities, failed = np.empty((n, batch)), np.empty(batch, dtype=np.uint8)
        loops.steady_state_gth(transfer, probabilities, failed, n, batch)
        return probabilities, failed.view(bool)
    n, batch = transfer.shape[0], transfer.shape[2]
    return _steady_state_gth_numpy(transfer, work=None if work is None else work.array("gth", (n, n, batch)))


def _steady_state_gth_numpy(transfer: np.ndarray, *, work: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`steady_state_gth` in NumPy calls vectorized over the grid: the reference of the
    compiled loops (:mod:`.loops`), and what runs where they are not built."""
    n, batch = transfer.shape[0], transfer.shape[2]
    escape = np.empty((n, batch))
    scale = np.empty(batch)
    product = np.empty((n, batch))
    update = np.empty((n, n, batch)) if work is None else work.reshape(-1)[: n * n * batch].reshape(n, n, batch)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k in range(n - 1, 0, -1):
            escape[k] = transfer[:k, k].sum(axis=0)
            np.divide(1.0, escape[k], out=scale)
            weight = transfer[:k, k] * scale  # rate k -> j per unit rate out of k, for j < k
            # rate i -> j gains rate(i -> k) * rate(k -> j) / s_k, for all i, j < k at once
            np.multiply(weight[:, None, :], transfer[k, None, :k], out=update[:k, :k])
            transfer[:k, :k] += update[:k, :k]
        probabilities = np.empty((n, batch))
        probabilities[0] = 1.0
        for j in range(1, n):
            np.multiply(probabilities[:j], transfer[j, :j], out=product[:j])
            np.divide(product[:j].sum(axis=0), escape[j], out=probabilities[j])
        probabilities /= probabilities.sum(axis=0)
    failed = ~np.all(np.isfinite(probabilities), axis=0)
    if n > 1:
        failed |= ~np.all(escape[1:] > 0, axis=0)
    return probabilities, failed


def censored_level(down: np.ndarray, returns: np.ndarray | None) -> np.ndarray:
    """``A_N``, the negated generator of the chain censored on the levels up to N, within level N.

    Parameters
    ----------
    down : numpy.ndarray
        ``(batch, m_{N-1}, m_N)``: the rates from level N down.
    returns : numpy.ndarray or None
        ``(batch, m_N, m_N)``: the rates of excursions above N returning to each state of N
        (``down[N] X_{N+1}``); None at the top level.

    Returns
    -------
    numpy.ndarray
        ``(batch, m_N, m_N)``: ``-returns`` off the diagonal; on it, the rates down plus the
        returns' column sums off the diagonal (formed without subtraction, as in GTH: the
        censored chain conserves probability).
    """
    batch, size = down.shape[0], down.shape[2]
    diagonal = down.sum(axis=1)  # rates from each state of level N down
    if returns is None:
        a = np.zeros((batch, size, size))
    else:
        a = -returns
        diagonal += returns.sum(axis=1) - np.diagonal(returns, axis1=1, axis2=2)
    index = np.arange(size)
    a[:, index, index] = diagonal
    return a


def steady_state_levels(up: list[np.ndarray], down: list[np.ndarray]) -> list[np.ndarray]:
    """Steady states of block-tridiagonal generators by block elimination down the levels.

    Rates only connect neighbouring levels (charge N with N ± 1 in a Pauli master equation), and
    no rate stays within a level, so ``W`` is block tridiagonal with diagonal diagonal blocks.

    Parameters
    ----------
    up : list of numpy.ndarray
        ``up[N]`` ``(batch, m_{N+1}, m_N)``: rates from level N to level N + 1 (target, source).
    down : list of numpy.ndarray
        ``down[N]`` ``(batch, m_N, m_{N+1})``: rates from level N + 1 to level N.  There is at
        least one level pair; if level 0 has several states, its censored generator is solved
        densely at the end.

    Returns
    -------
    list of numpy.ndarray
        ``[P_0, P_1, ...]``, each ``(batch, m_N)``, normalized over all levels.

    Raises
    ------
    numpy.linalg.LinAlgError
        Where a level block is singular (a state with no way down, e.g. at T = 0); callers fall
        back to a dense solve.

    Notes
    -----
    Levels are eliminated from the top: with ``A_N = -S_N`` the negated generator of the chain
    censored on levels <= N, ``P_N = X_N P_{N-1}`` with ``X_N = A_N^{-1} up[N-1]``, and
    ``A_{N-1} = diag(escape) - down[N-1] X_N``.  As in GTH, the diagonal of each ``A`` is not
    formed by subtraction but as the column sums of its off-diagonal part plus the rates down
    (the censored chain conserves probability), so ``A`` stays a column diagonally dominant
    M-matrix, ``X >= 0`` and the probabilities keep their relative accuracy.  Cost: one LU of
    each level's block (sizes m_N, not the whole space), batched over the grid.  Chosen over a
    sparse LU of the whole generator (``benchmarks/level_solver.py``, random dots at one point:
    4096 spinless states 0.29 s, against 10.2 s for SuperLU with ``MMD_AT_PLUS_A``, 1.75 s with
    ``COLAMD`` and 1.18 s for a dense LU; 4096 spinful states 0.26 s against 4.5, 2.4 and 1.4 s):
    the eigenstates of mixed blocks make every rate block dense, so the sparse factors fill in,
    and only the block elimination batches over grid points and keeps the GTH accuracy.
    """
    levels = len(up) + 1
    batch = up[0].shape[0]
    x: list[np.ndarray] = [np.empty(0)] * levels
    returns = None  # down[N] X_{N+1}: rates of excursions above N returning to each state of N
    for n in range(levels - 1, 0, -1):
        x[n] = np.linalg.solve(censored_level(down[n - 1], returns), up[n - 1])
        returns = np.matmul(down[n - 1], x[n])
    if up[0].shape[2] == 1:
        p0 = np.ones((batch, 1))
    else:
        p0 = steady_state(returns - np.eye(returns.shape[-1]) * returns.sum(axis=1)[:, None, :])
    probabilities = [p0]
    for n in range(1, levels):
        probabilities.append(np.matmul(x[n], probabilities[-1][..., None])[..., 0])
    total = sum(p.sum(axis=1) for p in probabilities)
    return [p / total[:, None] for p in probabilities]
