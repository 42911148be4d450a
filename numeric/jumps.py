"""The jump operators of each lead, weighted by what a jump carries, batched over grids.

For a lead alpha and a carried quantity q (into the dot: +1 for an electron entering, -1 for one
leaving; ``+-(E_b - E_a)`` for energy; ``+-(E_b - E_a - mu_alpha)`` for heat; ``+-sigma`` for S_z),
``W_k`` is the matrix of that lead's jump rates, each times ``q^k``.  The counting statistics and
the exact derivatives need only four operations on such weighted rates, each for every lead at
once: ``1^T W_k x`` (:meth:`~BlockJumps.totals`), ``W_k x`` (:meth:`~BlockJumps.apply`),
``1^T W_k`` (:meth:`~BlockJumps.column_sums`) and the generator-like net flow ``sum_alpha (W_0 -
diag(1^T W_0)) x`` (:meth:`~BlockJumps.flow`).  With spin, a lead's jumps include both spin
channels (the totals are over the lead).

Two layouts with one interface: :class:`FlatJumps` on the flat transition axis of small models
(:class:`~symbolic_pme.numeric.flat.FlatRates`: every operation one product with a constant
incidence matrix), :class:`BlockJumps` on the tunnelling blocks of large ones (one batched
matrix product per block).  Vectors are ``(batch, n, m)``; where ``m`` equals the number of leads,
column ``alpha`` belongs to lead alpha (lead-diagonal operations), and ``m = 1`` broadcasts.
"""

from __future__ import annotations

import math
import weakref

import numpy as np
from scipy import sparse

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN

from .blocks import TransportBlocks

__all__ = ["BlockJumps", "FlatIncidence", "FlatJumps", "QUANTITIES"]

#: The quantities whose transfer can be counted.
QUANTITIES = (CHARGE, ENERGY, HEAT, SPIN)


def check_quantity(blocks: TransportBlocks, quantity: str) -> None:
    """ValueError naming the choices unless ``quantity`` can be counted in this model."""
    if quantity not in blocks.quantities:
        raise ValueError(f"quantity: {quantity!r} is not carried here; choose from {', '.join(blocks.quantities)}")


class FlatIncidence:
    """The constant sparse matrices of a small model's flat layout, made once per model.

    Every operation of :class:`FlatJumps` is one gather and one product with one of these over
    all 2K transitions of all leads (batch last).  They are sparse (one or two entries a column):
    their products cost O(2K batch) and run in one thread, where a threaded BLAS product of such
    thin matrices is slower by an order of magnitude on a loaded machine.

    Parameters
    ----------
    blocks:
        The model's blocks (``blocks.flat`` must exist).
    """

    def __init__(self, blocks: TransportBlocks):
        flat, n, leads = blocks.flat, blocks.n_states, len(blocks.lead_names)
        transitions = np.arange(len(flat.source))
        lead = np.concatenate([flat.lead, flat.lead])
        self.n, self.leads, self.source = n, leads, flat.source
        #: Per transition, the row of its lead's column of a ``(leads * n, batch)`` vector at its source.
        self.lead_source = lead * n + flat.source
        #: ``(leads, 2K)``: the transitions of each lead.
        self.lead_matrix = sparse.csr_array(np.abs(flat.signs))
        #: ``(leads * n, 2K)``: into its target, and out of its source, in its lead's column.
        self.into = _incidence(lead * n + flat.target, leads * n)
        self.out_of = _incidence(self.lead_source, leads * n)
        net = np.zeros((n, len(transitions)))  # into its target minus out of its source
        net[flat.target, transitions] += 1.0
        net[flat.source, transitions] -= 1.0
        #: ``(n, 2K)``: the generator-like net flow of each transition.
        self.net = sparse.csr_array(net)
        #: ``(n * n, 2K)``: the rates placed into the GTH transfer matrix (:attr:`FlatRates.transfer`).
        self.transfer = sparse.csr_array(flat.transfer)

    @staticmethod
    def of(blocks: TransportBlocks) -> FlatIncidence:
        """The model's incidence matrices (made at the first call, kept while ``blocks`` lives).

        Parameters
        ----------
        blocks:
            The model's blocks (``blocks.flat`` must exist).

        Returns
        -------
        FlatIncidence
        """
        incidence = _INCIDENCES.get(blocks)
        if incidence is None:
            incidence = _INCIDENCES[blocks] = FlatIncidence(blocks)
        return incidence


#: One :class:`FlatIncidence` per model.
_INCIDENCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class FlatJumps:
    """Weighted jump rates of a small model on the flat transition axis.

    Parameters
    ----------
    blocks:
        The model's blocks (``blocks.flat`` must exist).
    rates:
        ``(2K, batch)`` from :meth:`TransportBlocks.flat_rates` (entering, then leaving).
    carried:
        ``(2K, batch)`` or ``(2K, 1)``: what each transition carries into the dot.
    """

    def __init__(self, blocks: TransportBlocks, rates: np.ndarray, carried: np.ndarray):
        self._incidence = FlatIncidence.of(blocks)
        self.rates, self.carried, self.leads = rates, carried, self._incidence.leads
        self.delta = None  # the entries' E_upper - E_lower, where :meth:`of` built the jumps
        self._weights: dict[int, np.ndarray] = {}
        self._steady: np.ndarray | None = None  # the steady states at each transition's source, (2K, batch)

    @classmethod
    def of(cls, blocks: TransportBlocks, coefficients: list, shape: tuple[int, ...], quantity: str) -> FlatJumps:
        """The jumps at a chunk's parameter values, weighted by ``quantity``.

        Parameters
        ----------
        blocks:
            The model's blocks (``blocks.flat`` must exist).
        coefficients, shape:
            The chunk's compiled parameter expressions and grid shape.
        quantity:
            The carried quantity.

        Returns
        -------
        FlatJumps
        """
        rates, delta = blocks.flat_rates(coefficients, shape)
        jumps = cls(blocks, rates, flat_carried(blocks, coefficients, delta, shape, quantity))
        jumps.delta, jumps._inputs = delta, (blocks, coefficients, shape)
        return jumps

    def counting(self, quantity: str) -> FlatJumps:
        """The same jumps weighted by another quantity (jumps built by :meth:`of`), in the same steady state.

        Parameters
        ----------
        quantity:
            One of :attr:`TransportBlocks.quantities`.

        Returns
        -------
        FlatJumps
        """
        blocks, coefficients, shape = self._inputs
        jumps = FlatJumps(blocks, self.rates, flat_carried(blocks, coefficients, self.delta, shape, quantity))
        jumps.delta, jumps._inputs, jumps._steady = self.delta, self._inputs, self._steady
        return jumps

    def set_steady_state(self, probabilities: np.ndarray) -> None:
        """Keep the steady states: ``x=None`` of :meth:`totals`, :meth:`apply` and :meth:`flow`.

        Parameters
        ----------
        probabilities:
            ``(batch, n)``; a transposed view of ``(n, batch)`` memory is gathered without a copy.
        """
        self._steady = np.take(np.ascontiguousarray(probabilities.T), self._incidence.source, axis=0)

    def steady_currents(self, probabilities: np.ndarray) -> dict[str, np.ndarray]:
        """Every lead's currents in a steady state (:meth:`TransportBlocks.flat_currents`).

        Parameters
        ----------
        probabilities : numpy.ndarray
            The steady states ``(batch, n)`` (jumps built by :meth:`of`).

        Returns
        -------
        dict of str to numpy.ndarray
            ``{quantity: (leads, batch)}``, positive from the lead into the dot.
        """
        blocks, coefficients, shape = self._inputs
        return blocks.flat_currents(coefficients, self.rates, self.delta, probabilities.T, shape, conserve=True)

    def derivative_weights(self, d_rates: np.ndarray, d_carried: np.ndarray | None) -> np.ndarray:
        """The derivative of the rates times ``q``.

        Parameters
        ----------
        d_rates:
            Derivatives of the rates, ``(2K, batch)``.
        d_carried:
            Derivatives of what the entering transitions carry, ``(K, batch)`` (None: constant).

        Returns
        -------
        numpy.ndarray
            ``(2K, batch)``, for :meth:`totals` and :meth:`apply`.
        """
        weights = d_rates * self.carried
        if d_carried is not None:
            weights = weights + self.rates * np.concatenate([d_carried, -d_carried])
        return weights

    def weights(self, power: int) -> np.ndarray:
        """Rates times ``q^power``.

        Parameters
        ----------
        power:
            k >= 0.

        Returns
        -------
        numpy.ndarray
            ``(2K, batch)``.
        """
        if power == 0:
            return self.rates
        if power not in self._weights:  # kept: the cumulants and the derivatives share them
            factor = self.carried**power
            unit = factor.shape[1] == 1 and np.all(factor == 1.0)  # charge counted, an even power
            self._weights[power] = self.rates if unit else self.rates * factor
        return self._weights[power]

    def _flows(self, weights: np.ndarray, x: np.ndarray | None) -> np.ndarray:
        """``(2K, batch)``: each transition's weight times ``x`` of its lead's column at its source."""
        if x is None:
            return weights * self._steady
        if x.shape[2] == 1:
            return weights * np.take(np.ascontiguousarray(x[:, :, 0].T), self._incidence.source, axis=0)
        by_lead = np.ascontiguousarray(np.moveaxis(x, 0, -1).swapaxes(0, 1))  # (leads, n, batch)
        return weights * np.take(by_lead.reshape(-1, x.shape[0]), self._incidence.lead_source, axis=0)

    def _by_lead(self, matrix: sparse.csr_array, values: np.ndarray) -> np.ndarray:
        """``matrix (leads * n, 2K) @ values (2K, batch)`` as ``(batch, n, leads)``."""
        return np.moveaxis((matrix @ values).reshape(self.leads, self._incidence.n, -1), (0, 2), (2, 0))

    def totals(self, weights: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """``1^T W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, leads)``.
        """
        return (self._incidence.lead_matrix @ self._flows(weights, x)).T

    def apply(self, weights: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """``W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        return self._by_lead(self._incidence.into, self._flows(weights, x))

    def column_sums(self, weights: np.ndarray) -> np.ndarray:
        """``1^T W_alpha`` per lead, as columns.

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        return self._by_lead(self._incidence.out_of, weights)

    def flow(self, weights: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """``(W - diag(1^T W)) x`` summed over leads (``W`` the weighted rates).

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, m)``; None: the steady states (:meth:`set_steady_state`), ``m = 1``.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``.
        """
        net, source = self._incidence.net, self._incidence.source
        if x is None:
            return (net @ (weights * self._steady)).T[:, :, None]
        columns = np.ascontiguousarray(np.moveaxis(x, 0, -1).swapaxes(0, 1))  # (m, n, batch)
        flows = np.stack([net @ (weights * np.take(column, source, axis=0)) for column in columns])
        return np.moveaxis(flows, (0, 2), (2, 0))


def _incidence(rows: np.ndarray, size: int) -> sparse.csr_array:
    """``(size, len(rows))`` with a 1 at ``(rows[t], t)`` for every transition t."""
    columns = np.arange(len(rows))
    return sparse.csr_array((np.ones(len(rows)), (rows, columns)), shape=(size, len(rows)))


def flat_carried(
    blocks: TransportBlocks, coefficients: list, delta: np.ndarray, shape: tuple[int, ...], quantity: str
) -> np.ndarray:
    """What each transition of the flat layout carries into the dot, ``(2K, batch)`` or ``(2K, 1)``."""
    flat, batch = blocks.flat, math.prod(shape)
    size = len(flat.upper)
    if quantity == CHARGE:
        q = np.ones((size, 1))
    elif quantity == SPIN:
        q = blocks.flat_spins[:, None]
    else:
        q = np.broadcast_to(delta, (size,) + shape).reshape(size, batch) if delta.size != size else delta.reshape(-1, 1)
        if quantity == HEAT:
            mus = [np.broadcast_to(coefficients[s[0]], shape).reshape(1, batch) for s in blocks.lead_slots]
            q = q - np.concatenate([mus[lead] for lead in flat.lead.tolist()], axis=0)
    return np.concatenate([q, -q])


class BlockJumps:
    """Weighted jump rates of a large model, block by block.

    Parameters
    ----------
    blocks:
        The model's blocks.
    rates:
        ``(rates_in, rates_out, deltas)`` from :meth:`TransportBlocks.rates`.
    coefficients, shape:
        The chunk's compiled parameter expressions and grid shape.
    quantity:
        The carried quantity.
    """

    def __init__(
        self, blocks: TransportBlocks, rates: tuple, coefficients: list, shape: tuple[int, ...], quantity: str
    ):
        rates_in, rates_out, deltas = rates
        batch = math.prod(shape)
        self._inputs = (blocks, rates, coefficients, shape)
        self.leads, self.n_states = len(blocks.lead_names), blocks.n_states
        self.rates_in, self.rates_out = rates_in, rates_out
        #: Per block: (lead, lower states, upper states).
        self.places = [
            (link.lead, blocks.sectors[link.lower].states, blocks.sectors[link.upper].states) for link in blocks.links
        ]
        self.carried = []
        for link, delta in zip(blocks.links, deltas):
            if quantity == CHARGE:
                q = np.ones((1, 1, 1))
            elif quantity == SPIN:
                q = np.full((1, 1, 1), 0.0 if link.spin is None else float(link.spin))
            else:
                q = np.broadcast_to(delta, shape + delta.shape[-2:]).reshape((batch,) + delta.shape[-2:])
                if quantity == HEAT:
                    mu = np.broadcast_to(coefficients[blocks.lead_slots[link.lead][0]], shape).reshape(batch, 1, 1)
                    q = q - mu
            self.carried.append(q)
        self._steady: np.ndarray | None = None  # (batch, n, 1), from :meth:`set_steady_state`

    def counting(self, quantity: str) -> BlockJumps:
        """The same jumps weighted by another quantity.

        Parameters
        ----------
        quantity:
            One of :attr:`TransportBlocks.quantities`.

        Returns
        -------
        BlockJumps
        """
        jumps = BlockJumps(*self._inputs, quantity)
        jumps._steady = self._steady
        return jumps

    def set_steady_state(self, probabilities: np.ndarray) -> None:
        """Keep the steady states: ``x=None`` of :meth:`totals`, :meth:`apply` and :meth:`flow`.

        Parameters
        ----------
        probabilities:
            ``(batch, n)``.
        """
        self._steady = probabilities[:, :, None]

    def steady_currents(self, probabilities: np.ndarray) -> dict[str, np.ndarray]:
        """Every lead's currents in a steady state (:meth:`TransportBlocks.currents`).

        Parameters
        ----------
        probabilities : numpy.ndarray
            The steady states ``(batch, n)``.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{quantity: (leads, batch)}``, positive from the lead into the dot.
        """
        blocks, rates, coefficients, shape = self._inputs
        return blocks.currents(coefficients, rates, probabilities, shape, conserve=True)

    def derivative_weights(self, d_rates: list, d_carried: list | None) -> list[tuple[np.ndarray, np.ndarray]]:
        """The derivative of the rates times ``q``, per block.

        Parameters
        ----------
        d_rates:
            ``[(d rates in, d rates out)]`` per block.
        d_carried:
            Per block, the derivative of what the entering jumps carry (None: constant).

        Returns
        -------
        list
            ``[(in, out)]`` per block, for :meth:`totals` and :meth:`apply`.
        """
        weights = []
        for k, ((d_in, d_out), q) in enumerate(zip(d_rates, self.carried)):
            w_in, w_out = d_in * q, -d_out * q
            if d_carried is not None:
                w_in, w_out = w_in + self.rates_in[k] * d_carried[k], w_out - self.rates_out[k] * d_carried[k]
            weights.append((w_in, w_out))
        return weights

    def weights(self, power: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per block, rates in and out times ``q^power`` (``(-q)^power`` for jumps out).

        Parameters
        ----------
        power:
            k >= 0.

        Returns
        -------
        list
            ``[(in, out)]``, each ``(batch, m_upper, m_lower)``.
        """
        if power == 0:
            return list(zip(self.rates_in, self.rates_out))
        sign = (-1.0) ** power
        return [
            (r_in * q**power, sign * r_out * q**power)
            for r_in, r_out, q in zip(self.rates_in, self.rates_out, self.carried)
        ]

    def totals(self, weights: list, x: np.ndarray | None = None) -> np.ndarray:
        """``1^T W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, leads)``.
        """
        x = self._steady if x is None else x
        out = np.zeros((x.shape[0], self.leads))
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            column = x[:, :, lead if x.shape[2] > 1 else 0]
            out[:, lead] += np.einsum("bij,bj->b", w_in, column[:, lower])
            out[:, lead] += np.einsum("bij,bi->b", w_out, column[:, upper])
        return out

    def apply(self, weights: list, x: np.ndarray | None = None) -> np.ndarray:
        """``W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        x = self._steady if x is None else x
        out = np.zeros((x.shape[0], self.n_states, self.leads))
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            column = x[:, :, lead if x.shape[2] > 1 else 0]
            out[:, upper, lead] += (w_in @ column[:, lower, None])[..., 0]
            out[:, lower, lead] += (column[:, None, upper] @ w_out)[:, 0]
        return out

    def column_sums(self, weights: list) -> np.ndarray:
        """``1^T W_alpha`` per lead, as columns.

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        batch = weights[0][0].shape[0]
        out = np.zeros((batch, self.n_states, self.leads))
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            out[:, lower, lead] += w_in.sum(axis=1)
            out[:, upper, lead] += w_out.sum(axis=2)
        return out

    def flow(self, weights: list, x: np.ndarray | None = None) -> np.ndarray:
        """``(W - diag(1^T W)) x`` summed over leads (``W`` the weighted rates).

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, m)``; None: the steady states (:meth:`set_steady_state`), ``m = 1``.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``.
        """
        x = self._steady if x is None else x
        out = np.zeros(x.shape)
        for (_, lower, upper), (w_in, w_out) in zip(self.places, weights):
            x_lower, x_upper = x[:, lower], x[:, upper]
            out[:, upper] += w_in @ x_lower
            out[:, lower] -= w_in.sum(axis=1)[:, :, None] * x_lower
            out[:, lower] += np.swapaxes(w_out, 1, 2) @ x_upper
            out[:, upper] -= w_out.sum(axis=2)[:, :, None] * x_upper
        return out
