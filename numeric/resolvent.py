"""The pseudo-inverse of a generator on the complement of its steady state, batched over grids.

Counting statistics and exact derivatives need ``R``, the group (Drazin) inverse of the generator
``W``: ``R W = W R = 1 - P 1^T``, ``R P = 0``, ``1^T R = 0``.  ``R y`` is the solution ``x`` of
``W x = y - P (1^T y)`` with ``1^T x = 0``; ``R^T v`` the solution ``u`` of
``W^T u = v - 1 (P^T v)`` with ``P^T u = 0``.  Two batched implementations, one interface
(:attr:`probabilities`, :meth:`right`, :meth:`left`):

* :class:`DenseResolvent` for small networks: the gauge fixed in the most probable state ``s``
  (its equation replaced by ``x_s = 0``; the dropped equation is implied because ``1^T y = 0``),
  its factorization, and the projections.  No explicit inverse: a pass over a grid applies ``R``
  once (to the right-hand sides of the cumulants and of every derivative together) and ``R^T``
  at most once (the third cumulant).  Up to :data:`SMALL` states the factors are computed and
  applied with the batch axis last (:class:`BatchLastLU`: each elimination step one NumPy
  operation over all points, spanning only the rows and columns its pivot's fill-in reaches);
  the matrix is column diagonally dominant, so Gaussian elimination needs no pivoting (partial
  pivoting would choose the diagonal anyway).  On the triangle's 10^4 8 x 8 systems (one run,
  numpy 2.4, one BLAS thread): factorization about 2 ms and a three-column solve about 1.7 ms
  (the dense elimination took 3.5 ms), against 36 ms for LAPACK's batched solve (per-matrix
  call overhead) and 57 + 11 ms for ``inv`` and its product.  Above, one batched LAPACK solve
  per application.
* :class:`LevelResolvent` for transport models of thousands of states: the generator is block
  tridiagonal in the charge levels with diagonal diagonal blocks, so it factors as ``W = M L``
  (``L`` unit lower block-bidiagonal, ``M`` upper block-bidiagonal) by the elimination from the top
  level that :func:`~symbolic_pme.numeric.solver.steady_state_levels` performs.  Here the
  inverses ``A_N^{-1}`` of the level blocks are kept (one batched ``inv`` per level instead of
  one ``solve``), so every later application of ``R`` or ``R^T`` is a sweep of matrix-vector
  products down and up the levels: the cumulants and any number of derivatives cost one
  elimination.  The steady state comes from the same factors.  Measured on random 256-state
  dots (three points, C_1 to C_3 of both leads, one run): 0.17-0.23 s by levels against
  0.57-0.66 s with the dense resolvent; the gap grows as ``n^3`` against ``sum_N m_N^3``, and a
  sparse LU fills in (the eigenstates of mixed blocks make every rate block dense; see the
  choice recorded in :mod:`~symbolic_pme.numeric.solver`).

Arrays have the batch axis first; vectors are ``(batch, n, m)`` (``m`` right-hand sides), those
of the flat layout batch-last in memory (``(m, n, batch)`` seen as ``(batch, n, m)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from symbolic_pme.errors import NonUniqueSteadyState

from .blocks import TransportBlocks
from .chunks import Workspace
from .jumps import BlockJumps, FlatIncidence, FlatJumps
from .memory import MemoryEstimate
from .solver import GTH_MAX_STATES, censored_level, solve_normalized, steady_state, steady_state_gth

__all__ = ["BatchLastLU", "DenseResolvent", "LevelResolvent", "chunk_operators"]

#: The largest dense resolvent factorized batch-last (:class:`BatchLastLU`); LAPACK above.
SMALL = GTH_MAX_STATES


class BatchLastLU:
    """LU factors, without pivoting, of column diagonally dominant matrices, the batch axis last.

    (The gauge-fixed generators of :class:`DenseResolvent`: their pivots are those of an
    M-matrix up to the sign, so Gaussian elimination needs no pivoting; partial pivoting would
    choose the diagonal anyway.)

    Parameters
    ----------
    matrices : numpy.ndarray
        ``(n, n, batch)``; overwritten by the factors (``L`` unit lower below the diagonal,
        ``U`` on and above it).
    pattern : numpy.ndarray, optional
        ``(n, n)`` booleans: the entries that may be non-zero (default: all).  Each elimination
        step and each step of a solve then spans only the rows and columns that its pivot's
        fill-in reaches: a transport generator ordered by charge is block tridiagonal, and the
        triangle's 8 states take 73 multiply-adds a point to factorize instead of 140.

    work : Workspace, optional
        Reused buffers (the elimination's updates in ``"lu update"``; default: a fresh one).

    Raises
    ------
    NonUniqueSteadyState
        Where a pivot is zero or not finite (the gauge-fixed generator is singular).
    """

    def __init__(self, matrices: np.ndarray, *, pattern: np.ndarray | None = None, work: Workspace | None = None):
        a, n = matrices, matrices.shape[0]
        self._below, self._right, self._above, self._left = _fill_ranges(n, pattern)
        sizes = [(r.stop - r.start, c.stop - c.start) for r, c in zip(self._below, self._right)]
        # one buffer for every step's update (a fresh temporary a step costs its page faults)
        work = Workspace() if work is None else work
        update = work.array("lu update", (max(r * c for r, c in sizes) * a.shape[2],))
        with np.errstate(divide="ignore", invalid="ignore"):
            for k in range(n - 1):
                rows, columns = self._below[k], self._right[k]
                a[rows, k] /= a[k, k]
                step = update[: sizes[k][0] * sizes[k][1] * a.shape[2]].reshape(sizes[k] + (a.shape[2],))
                a[rows, columns] -= np.multiply(a[rows, k, None], a[k, None, columns], out=step)
        pivots = np.diagonal(a)
        if not np.all(np.isfinite(pivots) & (pivots != 0)):
            raise _singular()
        self._a = a

    def solve(self, b: np.ndarray, *, transposed: bool) -> np.ndarray:
        """``x`` of ``A x = b`` (or ``A^T x = b``), in place.

        Parameters
        ----------
        b : numpy.ndarray
            ``(n, m, batch)`` (any strides); overwritten by the solution.
        transposed : bool
            Solve with ``A^T``.

        Returns
        -------
        numpy.ndarray
            ``b``, now the solution.
        """
        a, n = self._a, self._a.shape[0]
        if transposed:  # U^T then L^T
            for k in range(n):
                b[k] /= a[k, k]
                b[self._right[k]] -= a[k, self._right[k], None] * b[k, None]
            for k in range(n - 1, 0, -1):
                b[self._left[k]] -= a[k, self._left[k], None] * b[k, None]
            return b
        for k in range(n - 1):  # L then U
            b[self._below[k]] -= a[self._below[k], k, None] * b[k, None]
        for k in range(n - 1, -1, -1):
            b[k] /= a[k, k]
            b[self._above[k]] -= a[self._above[k], k, None] * b[k, None]
        return b


def _fill_ranges(n: int, pattern: np.ndarray | None) -> tuple[list[slice], list[slice], list[slice], list[slice]]:
    """Per pivot k, the spans of the non-zeros of the LU factors (fill-in included) of a matrix
    with that ``pattern``: ``L`` below k in column k, ``U`` right of k in row k, ``U`` above k in
    column k and ``L`` left of k in row k, each as one slice (contiguous, possibly wider)."""
    filled = np.ones((n, n), dtype=bool) if pattern is None else np.array(pattern, dtype=bool) | np.eye(n, dtype=bool)
    for k in range(n - 1):  # the symbolic elimination
        rows, columns = k + 1 + np.flatnonzero(filled[k + 1 :, k]), k + 1 + np.flatnonzero(filled[k, k + 1 :])
        filled[np.ix_(rows, columns)] = True

    def span(members: np.ndarray, empty: int) -> slice:
        return slice(int(members[0]), int(members[-1]) + 1) if len(members) else slice(empty, empty)

    below = [span(k + 1 + np.flatnonzero(filled[k + 1 :, k]), k + 1) for k in range(n)]
    right = [span(k + 1 + np.flatnonzero(filled[k, k + 1 :]), k + 1) for k in range(n)]
    above = [span(np.flatnonzero(filled[:k, k]), 0) for k in range(n)]
    left = [span(np.flatnonzero(filled[k, :k]), 0) for k in range(n)]
    return below, right, above, left


class DenseResolvent:
    """``R`` of dense generators by one batched factorization with the gauge fixed per point.

    Parameters
    ----------
    generators:
        ``(batch, n, n)``, ``generators[b, j, i]`` = rate i -> j, columns summing to zero; the
        resolvent takes them over (they are overwritten at the first application).  Up to
        :data:`SMALL` states, a batch-last memory layout (a transposed view of ``(n, n,
        batch)``) is factorized in place.
    probabilities:
        The steady states ``(batch, n)``; None solves them (batched LU, first row replaced by
        the normalization).
    pattern:
        ``(n, n)`` booleans: the entries of the generators that may be non-zero (default: all;
        see :class:`BatchLastLU`).
    work:
        Reused buffers for the factorization's updates and the vectors of :meth:`right` and
        :meth:`left` (default: the resolvent's own).  The vectors returned live in them: each is
        valid until the next application of the same kind.

    Raises
    ------
    NonUniqueSteadyState
        Where the generator's steady state is not unique.
    """

    def __init__(
        self,
        generators: np.ndarray,
        probabilities: np.ndarray | None = None,
        *,
        pattern: np.ndarray | None = None,
        work: Workspace | None = None,
    ):
        if probabilities is None:
            normalized = generators.copy()
            normalized[:, 0, :] = 1.0
            probabilities = solve_normalized(normalized)
        #: Steady states ``(batch, n)``.
        self.probabilities = probabilities
        self._generators, self._pattern = generators, pattern
        self._work = Workspace() if work is None else work
        # the gauge-fixed -W, factorized when first needed: batch-last factors up to SMALL
        # states, else the matrices for LAPACK
        self._factors: BatchLastLU | np.ndarray | None = None

    def _factorize(self) -> None:
        """The gauge-fixed generators, factorized (they are overwritten)."""
        generators, self._generators = self._generators, None
        batch, n = generators.shape[:2]
        if n > SMALL:
            self._points, self._gauge, self._factors = _gauge_fixed(generators, self.probabilities)
            return
        self._points, self._gauge = np.arange(batch), np.argmax(self.probabilities, axis=1)
        # W itself (no pass to negate it), with only the gauge state's row replaced (by x_s = 0):
        # its column then multiplies x_s = 0 alone and never enters the other rows' elimination,
        # so it is left as it is (after a transposed solve, the gauge component is set to zero)
        fixed = np.ascontiguousarray(np.moveaxis(generators, 0, -1))  # (n, n, batch): no copy if batch-last
        row = (self._gauge * n * batch + self._points)[None, :] + (np.arange(n) * batch)[:, None]
        fixed.reshape(-1)[row] = 0.0  # by flat index: faster than advanced indexing of strided rows
        fixed.reshape(-1)[self._gauge * ((n + 1) * batch) + self._points] = 1.0
        self._factors = BatchLastLU(fixed, pattern=self._pattern, work=self._work)

    def _solve(self, rhs: np.ndarray, *, transposed: bool) -> np.ndarray:
        """``x`` of ``W x = rhs`` (or ``W^T x = rhs``) off the gauge state, ``x_s = 0``; ``rhs``
        is overwritten."""
        if self._factors is None:
            self._factorize()
        rhs[self._points, self._gauge] = 0.0
        if isinstance(self._factors, BatchLastLU):
            self._factors.solve(np.moveaxis(rhs, 0, -1), transposed=transposed)
            if transposed:
                rhs[self._points, self._gauge] = 0.0
            return rhs
        try:  # the factors are -W, gauge-fixed
            return -np.linalg.solve(np.swapaxes(self._factors, 1, 2) if transposed else self._factors, rhs)
        except np.linalg.LinAlgError:
            raise _singular() from None

    def right(self, y: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """``R y``: the solution x of ``W x = y - P (1^T y)`` with ``1^T x = 0``.

        Parameters
        ----------
        y:
            ``(batch, n, m)``: ``m`` right-hand sides per point, or parts ``(batch, n, m_i)`` of
            them side by side (stacked straight into the work buffer).

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``, each column summing to zero (in the work buffer ``"right"``).
        """
        p = self.probabilities[:, :, None]
        x = self._columns("right", y)
        x -= self._product(p, x.sum(axis=1, keepdims=True), x)
        x = self._solve(x, transposed=False)
        x -= self._product(p, x.sum(axis=1, keepdims=True), x)
        return x

    def left(self, v: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """``R^T v``: the solution u of ``W^T u = v - 1 (P^T v)`` with ``P^T u = 0``.

        Parameters
        ----------
        v:
            ``(batch, n, m)``: ``m`` right-hand sides per point, or parts of them side by side.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``, each column orthogonal to the steady state (in the work buffer
            ``"left"``).
        """
        u = self._columns("left", v)
        u -= np.einsum("bn,bnm->bm", self.probabilities, u)[:, None, :]
        u = self._solve(u, transposed=True)
        u -= np.einsum("bn,bnm->bm", self.probabilities, u)[:, None, :]
        return u

    def _columns(self, name: str, parts: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """The right-hand sides copied into the work buffer ``name``, batch-last in memory
        (``(m, n, batch)`` seen as ``(batch, n, m)``: the factors' layout; never a fresh array
        of mixed layouts, which numpy iterates an order of magnitude slower)."""
        parts = [parts] if isinstance(parts, np.ndarray) else list(parts)
        batch, n = parts[0].shape[:2]
        buffer = self._work.array(name, (sum(part.shape[2] for part in parts), n, batch))
        start = 0
        for part in parts:
            buffer[start : start + part.shape[2]] = part.transpose(2, 1, 0)
            start += part.shape[2]
        return buffer.transpose(2, 1, 0)

    def _product(self, p: np.ndarray, sums: np.ndarray, like: np.ndarray) -> np.ndarray:
        """``p * sums`` in a work buffer of the memory layout of ``like``."""
        out = self._work.array("projection", like.shape[::-1]).transpose(2, 1, 0)
        return np.multiply(p, sums, out=out)


def _gauge_fixed(generators: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(points, gauge, -W with the gauge state's row and column replaced by e_s)``, in place.

    The gauge ``s`` is each point's most probable state; the matrix is block-diagonal
    ``(1, -W without s)``, a column diagonally dominant M-matrix.
    """
    points, gauge = np.arange(generators.shape[0]), np.argmax(probabilities, axis=1)
    fixed = np.negative(generators, out=generators)
    fixed[points, gauge, :] = 0.0
    fixed[points, :, gauge] = 0.0
    fixed[points, gauge, gauge] = 1.0
    return points, gauge, fixed


def _inverse(matrices: np.ndarray) -> np.ndarray:
    """Inverses of ``(batch, n, n)`` matrices by LAPACK."""
    try:
        return np.linalg.inv(matrices)
    except np.linalg.LinAlgError:
        raise _singular() from None


def _singular() -> NonUniqueSteadyState:
    return NonUniqueSteadyState(
        "the steady state is not unique at some grid point: the rates split the network into "
        "disconnected closed classes"
    )


class LevelResolvent:
    """``R`` and the steady state of block-tridiagonal generators by elimination down the levels.

    Parameters
    ----------
    up, down:
        ``up[N] (batch, m_{N+1}, m_N)`` rates from level N to N + 1 and ``down[N] (batch, m_N,
        m_{N+1})`` rates back, as :meth:`TransportBlocks.level_blocks` gives them.
    levels:
        The network indices of each level's states.

    Raises
    ------
    numpy.linalg.LinAlgError
        Where a level block is singular (a state with no way down, e.g. at T = 0); fall back to
        :class:`DenseResolvent`.

    Notes
    -----
    With ``A_N = D_N - down[N] X_{N+1}`` (``D_N`` the escape rates of level N, its diagonal formed
    GTH-like from non-negative terms) and ``X_N = A_N^{-1} up[N-1]``, the generator is ``W = M L``:
    ``(L x)_N = x_N - X_N x_{N-1}`` and ``(M z)_N = -A_N z_N + down[N] z_{N+1}``.  ``W x = y`` is
    one sweep up (``M z = y``) and one down (``L x = z``); ``W^T u = v`` is the transposed pair.
    ``A_0`` is singular (the censored chain on level 0); its gauge is fixed in the most probable
    state of level 0.
    """

    def __init__(self, up: Sequence[np.ndarray], down: Sequence[np.ndarray], levels: Sequence[np.ndarray]):
        self._levels, self._up, self._down = list(levels), list(up), list(down)
        count = len(self._levels)
        batch = up[0].shape[0]
        self._x: list[np.ndarray] = [np.empty(0)] * count
        self._inverse: list[np.ndarray] = [np.empty(0)] * count
        returns = None  # down[N] X_{N+1}: rates of excursions above N returning to each state of N
        for n in range(count - 1, 0, -1):
            self._inverse[n] = np.linalg.inv(censored_level(down[n - 1], returns))
            self._x[n] = self._inverse[n] @ up[n - 1]
            returns = np.matmul(down[n - 1], self._x[n])
        size = up[0].shape[2]
        censored = returns - np.eye(size) * returns.sum(axis=1)[:, None, :]  # generator on level 0
        p0 = np.ones((batch, 1)) if size == 1 else steady_state(censored)
        points, gauge, fixed = _gauge_fixed(censored, p0)
        self._inverse[0] = -_inverse(fixed)  # gauge-fixed inverse of -A_0, zero in the gauge state
        self._inverse[0][points, gauge, gauge] = 0.0
        levels_p = [p0]
        for n in range(1, count):
            levels_p.append((self._x[n] @ levels_p[-1][..., None])[..., 0])
        total = sum(p.sum(axis=1) for p in levels_p)
        n_states = sum(len(m) for m in self._levels)
        probabilities = np.empty((batch, n_states))
        for members, p in zip(self._levels, levels_p):
            probabilities[:, members] = p / total[:, None]
        #: Steady states ``(batch, n)``.
        self.probabilities = probabilities

    def right(self, y: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """``R y``: the solution x of ``W x = y - P (1^T y)`` with ``1^T x = 0``.

        Parameters
        ----------
        y:
            ``(batch, n, m)``: ``m`` right-hand sides per point, or parts ``(batch, n, m_i)`` of
            them side by side.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``, each column summing to zero.
        """
        p = self.probabilities[:, :, None]
        y = y if isinstance(y, np.ndarray) else np.concatenate(y, axis=2)
        y = y - p * y.sum(axis=1, keepdims=True)
        parts = [y[:, members] for members in self._levels]
        top = len(parts) - 1
        z: list[np.ndarray] = [np.empty(0)] * len(parts)
        z[top] = -(self._inverse[top] @ parts[top])
        for n in range(top - 1, 0, -1):
            z[n] = self._inverse[n] @ (self._down[n] @ z[n + 1] - parts[n])
        z[0] = -(self._inverse[0] @ (self._down[0] @ z[1] - parts[0]))  # inverse[0] inverts -A_0
        x = np.empty_like(y)
        previous = z[0]
        x[:, self._levels[0]] = previous
        for n in range(1, len(parts)):
            previous = self._x[n] @ previous + z[n]
            x[:, self._levels[n]] = previous
        return x - p * x.sum(axis=1, keepdims=True)

    def left(self, v: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
        """``R^T v``: the solution u of ``W^T u = v - 1 (P^T v)`` with ``P^T u = 0``.

        Parameters
        ----------
        v:
            ``(batch, n, m)``: ``m`` right-hand sides per point, or parts of them side by side.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``, each column orthogonal to the steady state.
        """
        p = self.probabilities[:, :, None]
        v = v if isinstance(v, np.ndarray) else np.concatenate(v, axis=2)
        v = v - (p * v).sum(axis=1, keepdims=True)
        parts = [v[:, members] for members in self._levels]
        top = len(parts) - 1
        a: list[np.ndarray] = [np.empty(0)] * len(parts)
        a[top] = parts[top]
        for n in range(top - 1, -1, -1):
            a[n] = parts[n] + np.swapaxes(self._x[n + 1], 1, 2) @ a[n + 1]
        u = np.empty_like(v)
        previous = np.swapaxes(self._inverse[0], 1, 2) @ a[0]  # -A_0^T u_0 = a_0
        u[:, self._levels[0]] = previous
        for n in range(1, len(parts)):
            previous = np.swapaxes(self._inverse[n], 1, 2) @ (np.swapaxes(self._down[n - 1], 1, 2) @ previous - a[n])
            u[:, self._levels[n]] = previous
        return u - (p * u).sum(axis=1, keepdims=True)


#: The methods of :func:`chunk_operators`.
METHODS = ("auto", "dense", "levels")


def check_method(method: str) -> None:
    """ValueError naming the choices unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"method: unknown method {method!r}; choose from {', '.join(map(repr, METHODS))}")


def work_per_point(blocks: TransportBlocks, method: str, columns: int) -> int:
    """Numbers held per grid point by :func:`chunk_operators` and ``columns`` vectors of ``n``."""
    n = blocks.n_states
    if _dense(blocks, method):
        return blocks.work_per_point(dense=True) + 3 * n * n + columns * n
    sizes = [len(m) for m in blocks.levels]
    return blocks.work_per_point(dense=False) + sum(m * m for m in sizes) + columns * n


def chunk_operators(
    blocks: TransportBlocks,
    coefficients: list,
    shape: tuple[int, ...],
    quantity: str,
    method: str,
    *,
    work: Workspace | None = None,
) -> tuple[FlatJumps | BlockJumps, DenseResolvent | LevelResolvent]:
    """The weighted jumps and the resolvent of one chunk of grid points.

    ``"auto"``: small models (``blocks.flat``) on the flat layout with the dense resolvent, the
    steady state by GTH; larger ones by block elimination down the charge levels (falling back to
    the dense resolvent where a level block is singular).  ``"dense"``: blocks and the dense
    resolvent at any size; ``"levels"``: block elimination at any size.

    Parameters
    ----------
    blocks:
        The compiled model's blocks.
    coefficients, shape:
        The chunk's compiled parameter expressions and grid shape.
    quantity:
        What the jumps are weighted by.
    method:
        One of :data:`METHODS`.
    work:
        Reused buffers for the large arrays of the flat layout (the model's, shared with its
        plain steady states; default: fresh ones).  The jumps and the resolvent returned use
        them until the next call with the same buffers.

    Returns
    -------
    tuple
        ``(jumps, resolvent)``: :class:`FlatJumps` or :class:`BlockJumps` (with the steady
        states set), and :class:`DenseResolvent` or :class:`LevelResolvent` (whose
        ``probabilities`` are the steady states).
    """
    batch = math.prod(shape)
    if blocks.flat is not None and method == "auto":
        # the plain steady state's steps and buffers (TransportBlocks.flat_rates, the transfer
        # matrix, GTH): fresh (2K, batch) or (n, n, batch) arrays would cost page faults comparable
        # to the arithmetic
        work = Workspace() if work is None else work
        jumps = FlatJumps.of(blocks, coefficients, shape, quantity, work=work)
        n = blocks.n_states
        transfer = blocks.flat.transfer_matrix(jumps.rates, out=work.array("transfer", (n * n, batch)))
        transfer = transfer.reshape(n, n, batch)
        # the generators from the same matrix (GTH overwrites it), batch-last in memory as the
        # resolvent factorizes them, the diagonal minus the column sums (no transition stays put)
        generators = work.array("resolvent", (n, n, batch))
        np.copyto(generators, transfer)
        index = np.arange(n)
        generators[index, index] = -generators.sum(axis=0)
        probabilities, failed = steady_state_gth(transfer, work=work)
        probabilities = probabilities.T  # batch-last in memory, as the factors and the jumps use it
        pattern = FlatIncidence.of(blocks).pattern
        resolvent = DenseResolvent(
            np.moveaxis(generators, -1, 0), None if failed.any() else probabilities, pattern=pattern, work=work
        )
        jumps.set_steady_state(resolvent.probabilities)
        return jumps, resolvent
    rates = blocks.rates(coefficients, shape)
    jumps = BlockJumps(blocks, rates, coefficients, shape, quantity)
    resolvent = None
    if not _dense(blocks, method):
        try:
            resolvent = LevelResolvent(*blocks.level_blocks(rates[0], rates[1], batch), blocks.levels)
        except np.linalg.LinAlgError:
            n = blocks.n_states
            MemoryEstimate.of_arrays(f"the dense fallback of {batch} point(s)", 4 * batch * n * n).check()
    if resolvent is None:
        resolvent = DenseResolvent(blocks.generator(rates[0], rates[1], batch))
    jumps.set_steady_state(resolvent.probabilities)
    return jumps, resolvent


def _dense(blocks: TransportBlocks, method: str) -> bool:
    return method == "dense" or (method == "auto" and blocks.flat is not None)
