"""Full counting statistics per lead: current, noise, Fano factor and skewness on whole grids.

The cumulant generating function of the quantity q transferred from lead alpha into the dot
grows as ``lambda(chi) t``, with ``lambda`` the eigenvalue of the tilted generator
``W(chi) = W + sum_k (i chi)^k / k! W_k`` that vanishes at ``chi = 0`` (``W_k``: lead alpha's jump
rates times ``q^k``, see :mod:`~symbolic_pme.numeric.jumps`).  Its derivatives
``C_k = d^k lambda / d(i chi)^k`` at zero follow without diagonalizing, from the
Rayleigh–Schrödinger recursion (Flindt et al., PRB 77, 2008) with the steady state ``P`` and the
pseudo-inverse ``R`` of :mod:`~symbolic_pme.numeric.resolvent`:

* ``C_1 = 1^T W_1 P`` (the current),
* ``C_2 = 1^T W_2 P - 2 1^T W_1 R W_1 P`` (the zero-frequency noise, half the symmetrized
  spectral density ``S(0) = 2 C_2``),
* ``C_3 = 1^T W_3 P - 3 1^T W_2 R W_1 P - 3 1^T W_1 R W_2 P + 6 1^T W_1 R W_1 R W_1 P
  - 6 C_1 1^T W_1 R R W_1 P``.

With ``a = R W_1 P`` (one solve per lead) and ``u = R^T W_1^T 1`` (one transposed solve per
lead) every term is a product: C_2 costs one application of ``R`` per lead, C_3 one more of
``R^T``, for all leads at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from symbolic_pme.quantities import CHARGE

from .blocks import TransportBlocks
from .inputs import Grid, row_chunks
from .jumps import BlockJumps, FlatJumps, check_quantity
from .memory import MemoryEstimate
from .resolvent import DenseResolvent, LevelResolvent, check_method, chunk_operators, work_per_point

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = ["CountingStatistics", "counting_statistics", "transport_blocks"]

#: Budget of work numbers per chunk (64 MB of float64), as for steady states.
CHUNK_NUMBERS = 1 << 23


@dataclass(frozen=True)
class CountingStatistics:
    """Cumulants of the transfer of one quantity from each lead into the dot, on a grid.

    Attributes
    ----------
    quantity:
        The counted quantity (``"charge"``: particles, ``"energy"``, ``"heat"``, ``"spin"``).
    axes:
        ``{parameter: values}`` of the sweep axes, in axis order.
    shape:
        Grid shape (``()`` for one point).
    cumulants:
        ``{lead: array (order,) + shape}``: the cumulant rates ``C_1 ... C_order`` (units of the
        quantity to the power k per unit time; hbar = e = k_B = 1).  With spin, the total over
        both spin channels of the lead.
    probabilities:
        The steady state, ``shape + (n_states,)``.
    parameters:
        The parameter values used.
    """

    quantity: str
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    cumulants: dict[str, np.ndarray]
    probabilities: np.ndarray
    parameters: dict[str, np.ndarray] = field(default_factory=dict)

    def cumulant(self, order: int) -> dict[str, np.ndarray]:
        """``{lead: C_order}``.

        Parameters
        ----------
        order:
            1 to the number of cumulants computed.

        Returns
        -------
        dict
            ``{lead: array of shape}``.

        Raises
        ------
        ValueError
            For an order that was not computed.
        """
        available = next(iter(self.cumulants.values())).shape[0]
        if not 1 <= order <= available:
            raise ValueError(f"order: cumulants 1 to {available} were computed, not {order}")
        return {lead: c[order - 1] for lead, c in self.cumulants.items()}

    @property
    def current(self) -> dict[str, np.ndarray]:
        """``C_1``: the mean flow from each lead into the dot."""
        return self.cumulant(1)

    @property
    def noise(self) -> dict[str, np.ndarray]:
        """``C_2``: the growth rate of the variance of the transferred amount."""
        return self.cumulant(2)

    @property
    def fano(self) -> dict[str, np.ndarray]:
        """``C_2 / C_1`` (NaN where both vanish, infinite where only the current does)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return {lead: c[1] / c[0] for lead, c in self.cumulants.items()}

    @property
    def skewness(self) -> dict[str, np.ndarray]:
        """``C_3``: the third cumulant rate."""
        return self.cumulant(3)


def counting_statistics(
    compiled: CompiledNetwork, grid: Grid, *, quantity: str = CHARGE, order: int = 3, method: str = "auto"
) -> CountingStatistics:
    """Cumulants ``C_1 .. C_order`` of ``quantity`` through every lead, batched over ``grid``.

    Parameters
    ----------
    compiled:
        A compiled transport model (rate groups).
    grid:
        Validated parameter values (:meth:`CompiledNetwork.grid`).
    quantity:
        What is counted: ``"charge"`` (particles, the default), ``"energy"``, ``"heat"`` or, with
        spin, ``"spin"``.
    order:
        1, 2 or 3.
    method:
        ``"auto"`` (dense for models of at most 12 states, block elimination down the charge
        levels above), ``"dense"`` or ``"levels"``.

    Returns
    -------
    CountingStatistics

    Raises
    ------
    ValueError
        For a network without rate groups, an unknown quantity, order or method.
    GridTooLarge
        When the results and one chunk's work arrays would not fit in memory.
    """
    blocks = transport_blocks(compiled, "counting statistics")
    check_quantity(blocks, quantity)
    check_method(method)
    if order not in (1, 2, 3):
        raise ValueError(f"order: 1, 2 or 3 cumulants can be computed, not {order!r}")
    n, leads, shape = blocks.n_states, blocks.lead_names, grid.shape
    total = math.prod(shape)
    per_point = work_per_point(blocks, method, 8 * len(leads))
    chunk = int(np.clip(CHUNK_NUMBERS // per_point, 1, 1 << 16))
    what = f"counting statistics of {total} grid point(s) x {n} states"
    MemoryEstimate.of_arrays(what, total * (n + order * len(leads)) + min(total, chunk) * per_point).check()
    values = compiled._symbol_values(grid.values)
    probabilities = np.empty(shape + (n,))
    cumulants = np.empty((len(leads), order) + shape)
    for rows, part, part_shape in row_chunks(values, shape, chunk):
        coefficients = blocks.coefficients(part)
        jumps, resolvent = chunk_operators(blocks, coefficients, part_shape, quantity, method)
        p = resolvent.probabilities
        probabilities[rows] = p.reshape(part_shape + (n,))
        where = (slice(None), slice(None)) + ((rows,) if shape else ())
        cumulants[where] = np.moveaxis(_cumulants(jumps, resolvent, order), 0, -1).reshape(
            (len(leads), order) + part_shape
        )
    return CountingStatistics(
        quantity=quantity,
        axes=grid.axes,
        shape=shape,
        cumulants=dict(zip(leads, cumulants)),
        probabilities=probabilities,
        parameters=grid.values,
    )


def _cumulants(jumps: FlatJumps | BlockJumps, resolvent: DenseResolvent | LevelResolvent, order: int) -> np.ndarray:
    """``(batch, leads, order)``: the recursion of the module docstring for one chunk."""
    p = resolvent.probabilities[:, :, None]
    w = [jumps.weights(k) for k in range(1, order + 1)]
    c1 = jumps.totals(w[0], p)
    result = [c1]
    if order >= 2:
        a = resolvent.right(jumps.apply(w[0], p))
        result.append(jumps.totals(w[1], p) - 2 * jumps.totals(w[0], a))
    if order >= 3:
        u = resolvent.left(jumps.column_sums(w[0]))
        v2p, v1a = jumps.apply(w[1], p), jumps.apply(w[0], a)
        result.append(
            jumps.totals(w[2], p)
            - 3 * jumps.totals(w[1], a)
            - 3 * _dot(u, v2p)
            + 6 * _dot(u, v1a)
            - 6 * c1 * _dot(u, a)
        )
    return np.stack(result, axis=-1)


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Column-wise ``u . v`` of ``(batch, n, leads)`` arrays, ``(batch, leads)``."""
    return np.einsum("bnl,bnl->bl", u, v)


def transport_blocks(compiled: CompiledNetwork, what: str) -> TransportBlocks:
    """The compiled model's :class:`TransportBlocks`.

    Parameters
    ----------
    compiled:
        A compiled network.
    what:
        What needs them (for the message).

    Returns
    -------
    TransportBlocks

    Raises
    ------
    ValueError
        For networks of scalar transitions or with sources and sinks.
    """
    blocks = compiled._blocks
    if blocks is None or compiled._closed is not None:
        raise ValueError(
            f"{what}: available for compiled transport models (rate groups between charge sectors); "
            "this network has scalar transitions or sources and sinks"
        )
    return blocks
