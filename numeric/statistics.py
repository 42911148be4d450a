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
``R^T``, for all leads at once.  :func:`chunk_cumulant_sources` gives the right-hand sides
``W_1 P`` (so that the pass over the grid, :func:`~symbolic_pme.numeric.analysis.analyse`, solves
them together with those of the derivatives), :func:`chunk_cumulants` the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .jumps import BlockJumps, FlatJumps
from .resolvent import DenseResolvent, LevelResolvent

__all__ = ["CountingStatistics", "chunk_cumulant_sources", "chunk_cumulants"]


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


def chunk_cumulant_sources(jumps: FlatJumps | BlockJumps) -> np.ndarray:
    """``W_1 P`` per lead: the right-hand sides of ``a = R W_1 P``.

    Parameters
    ----------
    jumps : FlatJumps or BlockJumps
        The chunk's jumps, weighted by the counted quantity, with their steady states
        (``set_steady_state``).

    Returns
    -------
    numpy.ndarray
        ``(batch, n, leads)``.
    """
    return jumps.apply(1)


def chunk_cumulants(
    jumps: FlatJumps | BlockJumps,
    resolvent: DenseResolvent | LevelResolvent,
    a: np.ndarray | None,
    order: int,
) -> np.ndarray:
    """The cumulants ``C_1 .. C_order`` of one chunk (the recursion of the module docstring).

    Parameters
    ----------
    jumps : FlatJumps or BlockJumps
        The chunk's jumps, weighted by the counted quantity, with their steady states
        (``set_steady_state``).
    resolvent : DenseResolvent or LevelResolvent
        The chunk's resolvent (its ``probabilities`` are the steady states).
    a : numpy.ndarray or None
        ``R W_1 P`` per lead, ``(batch, n, leads)`` (None for ``order`` 1).
    order : int
        1, 2 or 3.

    Returns
    -------
    numpy.ndarray
        ``(batch, leads, order)``.
    """
    c1 = jumps.totals(1)
    result = [c1]
    if order >= 2:  # 1^T W_1 a = (1^T W_1) . a
        result.append(jumps.totals(2) - 2 * _dot(jumps.column_sums(1), a))
    if order >= 3:  # the terms of u = R^T W_1^T 1 in one product: u . (W_2 P - 2 W_1 a + 2 C_1 a)
        u = resolvent.left(jumps.column_sums(1))
        z = jumps.apply(1, a)
        z *= -2.0
        z += jumps.apply(2)
        z += 2.0 * c1[:, None, :] * a
        result.append(jumps.totals(3) - 3 * _dot(jumps.column_sums(2), a) - 3 * _dot(u, z))
    return np.stack(result, axis=-1)


def _dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Column-wise ``u . v`` of ``(batch, n, leads)`` arrays, ``(batch, leads)``."""
    return np.einsum("bnl,bnl->bl", u, v)
