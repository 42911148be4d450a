"""The jump operators of each lead, weighted by what a jump carries, batched over grids.

For a lead alpha and a carried quantity q (into the dot: +1 for an electron entering, -1 for one
leaving; ``+-(E_b - E_a)`` for energy; ``+-(E_b - E_a - mu_alpha)`` for heat; ``+-sigma`` for S_z),
``W_k`` is the matrix of that lead's jump rates, each times ``q^k``.  The counting statistics and
the exact derivatives need only four operations on such weighted rates, each for every lead at
once: ``1^T W_k x`` (:meth:`~BlockJumps.totals`), ``W_k x`` (:meth:`~BlockJumps.apply`),
``1^T W_k`` (:meth:`~BlockJumps.column_sums`) and the generator-like net flow ``sum_alpha (W_0 -
diag(1^T W_0)) x`` (:meth:`~BlockJumps.flow`), with ``x=None`` for the steady state ``P`` (kept
by ``set_steady_state``) and ``W_k`` given by its power ``k`` or by weights (the rates'
derivatives: :meth:`~BlockJumps.derivative_weights`, :meth:`~BlockJumps.derivative_totals`).
With spin, a lead's jumps include both spin channels (the totals are over the lead).

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
from .chunks import Workspace

__all__ = ["BlockJumps", "FlatIncidence", "FlatJumps", "QUANTITIES", "stack_columns"]

#: The quantities whose transfer can be counted.
QUANTITIES = (CHARGE, ENERGY, HEAT, SPIN)


def stack_columns(parts: list[np.ndarray]) -> np.ndarray:
    """Vectors ``(batch, n, m_i)`` side by side, ``(batch, n, sum m_i)``, in the parts' memory layout.

    The flat layout's vectors are batch-last in memory (``(m, n, batch)`` seen as ``(batch, n,
    m)``: every operation runs along the batch), the blocks' batch-first; a stack keeps the
    layout of its parts, so that the resolvent and the jumps never meet mixed layouts.

    Parameters
    ----------
    parts : list of numpy.ndarray
        ``(batch, n, m_i)`` each.

    Returns
    -------
    numpy.ndarray
        ``(batch, n, sum m_i)`` (the part itself if there is one).

    Examples
    --------
    >>> a = np.arange(6.0).reshape(1, 2, 3).transpose(2, 1, 0)  # batch-last memory
    >>> stacked = stack_columns([a, a])
    >>> stacked.shape, stacked.strides[0] == stacked.itemsize
    ((3, 2, 2), True)
    """
    if len(parts) == 1:
        return parts[0]
    if all(part.strides[0] == part.itemsize for part in parts):
        return np.concatenate([part.transpose(2, 1, 0) for part in parts]).transpose(2, 1, 0)
    return np.concatenate(parts, axis=2)


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
        #: ``(n, n)``: the entries of the generator that may be non-zero (the diagonal and the transitions).
        self.pattern = np.eye(n, dtype=bool)
        self.pattern[flat.target, flat.source] = True
        size = len(flat.upper)
        #: Per lead, its transitions: the slices of its entering and of its leaving ones.
        self.lead_transitions = [
            (entries, slice(size + entries.start, size + entries.stop)) for entries in flat.lead_entries
        ]
        self._scaled: dict[tuple, sparse.csr_array] = {}

    def scaled(self, name: str, factors: np.ndarray) -> sparse.csr_array:
        """The matrix ``name`` with its columns times ``factors`` (kept: what a jump carries of a
        quantity that does not change from point to point, to a power, is the same at every call).

        Parameters
        ----------
        name:
            ``"lead_matrix"``, ``"into"``, ``"out_of"`` or ``"net"``.
        factors:
            ``(2K,)``, one per transition.

        Returns
        -------
        scipy.sparse.csr_array
        """
        key = (name, factors.tobytes())
        if key not in self._scaled:
            self._scaled[key] = sparse.csr_array(getattr(self, name).multiply(factors))
        return self._scaled[key]

    def slices(self, leads: tuple[int, ...]) -> list[slice]:
        """The transitions of some leads, as slices of the 2K (entering ones, then leaving ones).

        Parameters
        ----------
        leads:
            Lead indices, ascending.

        Returns
        -------
        list of slice
        """
        return [pair[0] for pair in (self.lead_transitions[k] for k in leads)] + [
            pair[1] for pair in (self.lead_transitions[k] for k in leads)
        ]

    def restricted(self, name: str, leads: tuple[int, ...], factors: np.ndarray | None = None) -> sparse.csr_array:
        """The columns of the matrix ``name`` of some leads' transitions, in the order of
        :meth:`slices`, optionally times ``factors`` (kept).

        Parameters
        ----------
        name:
            ``"lead_matrix"``, ``"into"``, ``"out_of"`` or ``"net"``.
        leads:
            Lead indices, ascending.
        factors:
            ``(2K,)``, one per transition (None: ones).

        Returns
        -------
        scipy.sparse.csr_array
        """
        key = (name, leads, None if factors is None else factors.tobytes())
        if key not in self._scaled:
            columns = np.concatenate([np.arange(part.start, part.stop) for part in self.slices(leads)] + [[]])
            columns = columns.astype(np.intp)
            matrix = getattr(self, name)
            if factors is not None:
                matrix = matrix.multiply(factors)
            self._scaled[key] = sparse.csr_array(sparse.csc_array(matrix)[:, columns])
        return self._scaled[key]

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

    Where a jump carries the same amount at every point (charge, S_z), ``q^k`` is folded into
    the constant incidence matrices, and in the steady state every product starts from the
    transitions' flows ``rates * P_source``, made once: ``1^T W_k P``, ``W_k P`` and ``1^T W_k``
    each cost one sparse product and no pass over ``(2K, batch)`` arrays.

    Parameters
    ----------
    blocks:
        The model's blocks (``blocks.flat`` must exist).
    rates:
        ``(2K, batch)`` from :meth:`TransportBlocks.flat_rates` (entering, then leaving).
    carried:
        ``(2K, batch)`` or ``(2K, 1)``: what each transition carries into the dot.
    work:
        Reused buffers for the ``(2K, batch)`` flows (default: fresh arrays; a fresh array of a
        large batch costs page faults comparable to the arithmetic).
    """

    def __init__(
        self, blocks: TransportBlocks, rates: np.ndarray, carried: np.ndarray, *, work: Workspace | None = None
    ):
        self._incidence = FlatIncidence.of(blocks)
        self.rates, self.carried, self.leads = rates, carried, self._incidence.leads
        self.delta = None  # the entries' E_upper - E_lower, where :meth:`of` built the jumps
        self._work = Workspace() if work is None else work
        self._tag = ""  # what the names of the buffers of jumps of another quantity end in (counting)
        self._counting: dict[str, FlatJumps] = {}
        self._weights: dict[int, np.ndarray] = {}
        self._column_sums: dict[int, np.ndarray] = {}
        self._steady_products: dict[int, np.ndarray] = {}  # by the id of a kept folded matrix
        self._steady: np.ndarray | None = None  # the steady states (n, batch)
        self._flux_array: np.ndarray | None = None  # rates * P_source, (2K, batch), made when first needed
        self._last_flows: tuple | None = None  # (weights, leads, weights * P_source)

    @classmethod
    def of(
        cls,
        blocks: TransportBlocks,
        coefficients: list,
        shape: tuple[int, ...],
        quantity: str,
        *,
        work: Workspace | None = None,
    ) -> FlatJumps:
        """The jumps at a chunk's parameter values, weighted by ``quantity``.

        Parameters
        ----------
        blocks:
            The model's blocks (``blocks.flat`` must exist).
        coefficients, shape:
            The chunk's compiled parameter expressions and grid shape.
        quantity:
            The carried quantity.
        work:
            Reused buffers (the rates in ``"rates"``, as the plain steady state keeps them).

        Returns
        -------
        FlatJumps
        """
        out = None if work is None else work.array("rates", (2 * len(blocks.flat.upper), math.prod(shape)))
        rates, delta = blocks.flat_rates(coefficients, shape, out=out)
        jumps = cls(blocks, rates, flat_carried(blocks, coefficients, delta, shape, quantity), work=work)
        jumps.delta, jumps._inputs = delta, (blocks, coefficients, shape)
        return jumps

    def buffer(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reused work array (uninitialized) of the jumps' :class:`~symbolic_pme.numeric.chunks.Workspace`.

        Parameters
        ----------
        name:
            The buffer's name (arrays of one name share memory).
        shape:
            Its shape.

        Returns
        -------
        numpy.ndarray
        """
        return self._work.array(name, shape)

    def counting(self, quantity: str) -> FlatJumps:
        """The same jumps weighted by another quantity (jumps built by :meth:`of`), in the same steady
        state (made once per quantity: they share these jumps' buffers under names of their own).

        Parameters
        ----------
        quantity:
            One of :attr:`TransportBlocks.quantities`.

        Returns
        -------
        FlatJumps
        """
        if quantity not in self._counting:
            blocks, coefficients, shape = self._inputs
            tag = f" {quantity}"
            out = self._work.array("carried" + tag, self.rates.shape)
            carried = flat_carried(blocks, coefficients, self.delta, shape, quantity, out=out)
            jumps = FlatJumps(blocks, self.rates, carried, work=self._work)
            jumps.delta, jumps._inputs, jumps._tag = self.delta, self._inputs, tag
            jumps._steady, jumps._flux_array = self._steady, self._flux
            self._counting[quantity] = jumps
        return self._counting[quantity]

    def set_steady_state(self, probabilities: np.ndarray) -> None:
        """Keep the steady states (``x=None`` of :meth:`totals`, :meth:`apply` and :meth:`flow`).

        Parameters
        ----------
        probabilities:
            ``(batch, n)``; a transposed view of ``(n, batch)`` memory is gathered without a copy.
        """
        self._steady, self._flux_array = np.ascontiguousarray(probabilities.T), None
        self._counting, self._steady_products, self._last_flows = {}, {}, None  # of the former steady state

    @property
    def _flux(self) -> np.ndarray:
        """``rates * P_source`` (made at the first use: a plain steady state needs none)."""
        if self._flux_array is None:
            self._flux_array = self._gathered(self._work.array("flux", self.rates.shape))
            self._flux_array *= self.rates
        return self._flux_array

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
        flows = self._work.array("flows", self.rates.shape)
        return blocks.flat_currents(
            coefficients, self.rates, self.delta, probabilities.T, shape, conserve=True, work=flows
        )

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
        if power not in self._weights:  # kept: the powers of q that are not folded into the matrices
            shape = np.broadcast_shapes(self.rates.shape, self.carried.shape)
            weights = np.power(self.carried, power, out=self._work.array(f"weights {power}{self._tag}", shape))
            self._weights[power] = np.multiply(weights, self.rates, out=weights)
        return self._weights[power]

    def _matrix(self, name: str, power: int) -> sparse.csr_array | None:
        """The incidence matrix ``name`` with ``q^power`` folded into its columns (None where ``q``
        changes from point to point)."""
        if self.carried.shape[1] != 1:
            return None
        return self._incidence.scaled(name, self.carried[:, 0] ** power)

    def _gathered(self, out: np.ndarray) -> np.ndarray:
        """The steady states at each transition's source, ``(2K, batch)``, into ``out``."""
        return np.take(self._steady, self._incidence.source, axis=0, out=out, mode="clip")  # "raise" buffers

    def _steady_flows(self, weights: np.ndarray, leads: tuple[int, ...] | None = None) -> np.ndarray:
        """``weights * P_source`` in a reused buffer, of the transitions of ``leads`` only (in the
        order of :meth:`FlatIncidence.slices`; None: all).  The last one is kept (a direction's
        flow and its totals share it); it never leaves the jumps."""
        if self._last_flows is not None and self._last_flows[0] is weights and self._last_flows[1] == leads:
            return self._last_flows[2]
        if leads is None:
            flows = self._gathered(self._work.array("steady flows" + self._tag, weights.shape))
            flows *= weights
        else:
            parts = self._incidence.slices(leads)
            rows = sum(p.stop - p.start for p in parts)
            flows = self._work.array("steady flows" + self._tag, (rows, weights.shape[1]))
            start = 0
            for part in parts:
                rows = flows[start : start + part.stop - part.start]
                np.take(self._steady, self._incidence.source[part], axis=0, out=rows, mode="clip")
                rows *= weights[part]
                start += part.stop - part.start
        self._last_flows = (weights, leads, flows)
        return flows

    def _product(self, name: str, weights: int | np.ndarray, x: np.ndarray | None) -> np.ndarray:
        """The incidence matrix ``name`` times each transition's weight times ``x`` of its lead's
        column at its source (``(rows, batch)``); a power's ``q^k`` folded into the matrix where
        it is constant."""
        matrix = getattr(self._incidence, name)
        if isinstance(weights, int):
            folded = self._matrix(name, weights)
            if folded is not None:
                matrix, weights = folded, self.rates
            else:
                weights = self.weights(weights)
            if x is None and weights is self.rates:  # kept per matrix: for charge, W_3 P is W_1 P
                if id(matrix) not in self._steady_products:
                    self._steady_products[id(matrix)] = matrix @ self._flux
                return self._steady_products[id(matrix)].copy()
        if x is None:
            return matrix @ self._steady_flows(weights)
        flows = self._work.array("flows of x" + self._tag, weights.shape)
        if x.shape[2] == 1:
            np.take(np.ascontiguousarray(x[:, :, 0].T), self._incidence.source, axis=0, out=flows, mode="clip")
        else:
            by_lead = np.ascontiguousarray(np.moveaxis(x, 0, -1).swapaxes(0, 1))  # (leads, n, batch)
            np.take(by_lead.reshape(-1, x.shape[0]), self._incidence.lead_source, axis=0, out=flows, mode="clip")
        flows *= weights
        return matrix @ flows

    def _by_lead(self, values: np.ndarray) -> np.ndarray:
        """``(leads * n, batch)`` as ``(batch, n, leads)``."""
        return np.moveaxis(values.reshape(self.leads, self._incidence.n, -1), (0, 2), (2, 0))

    def totals(self, weights: int | np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """``1^T W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            A power k (``W_k``: the rates times ``q^k``), or weights from :meth:`weights` or
            :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, leads)``.
        """
        return self._product("lead_matrix", weights, x).T

    def derivative_totals(
        self, d_rates: np.ndarray, d_carried: np.ndarray | None, *, leads: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """``1^T dW_alpha P`` per lead in the steady states: :meth:`totals` of :meth:`derivative_weights`.

        Parameters
        ----------
        d_rates, d_carried:
            As in :meth:`derivative_weights`.
        leads:
            The leads whose rates change (the others' ``d_rates`` are zero); None: any.

        Returns
        -------
        numpy.ndarray
            ``(batch, leads)``.
        """
        if self.carried.shape[1] == 1 and d_carried is None:  # q folded into the matrix
            flows = self._steady_flows(d_rates, leads)  # shared with the flow of the same direction
            if leads is None:
                return (self._matrix("lead_matrix", 1) @ flows).T
            return (self._incidence.restricted("lead_matrix", leads, self.carried[:, 0]) @ flows).T
        flows = self._steady_flows(d_rates)
        weighted = np.multiply(flows, self.carried, out=self._work.array("derivative flows" + self._tag, flows.shape))
        if d_carried is not None:  # + rates d(q) P_source, d(q) = +-d(E_b - E_a)
            size = len(d_carried)
            change = self._work.array("carried flows" + self._tag, flows.shape)
            np.multiply(self._flux[:size], d_carried, out=change[:size])
            np.multiply(self._flux[size:], d_carried, out=change[size:])
            np.negative(change[size:], out=change[size:])
            weighted += change
        return (self._incidence.lead_matrix @ weighted).T

    def apply(self, weights: int | np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
        """``W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            A power k (``W_k``: the rates times ``q^k``), or weights from :meth:`weights` or
            :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        return self._by_lead(self._product("into", weights, x))

    def column_sums(self, power: int) -> np.ndarray:
        """``1^T W_power`` per lead, as columns (kept: the cumulants and the derivatives share them).

        Parameters
        ----------
        power:
            k >= 1.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        if power not in self._column_sums:
            matrix = self._matrix("out_of", power)
            if matrix is None:
                self._column_sums[power] = self._by_lead(self._incidence.out_of @ self.weights(power))
            else:
                self._column_sums[power] = self._by_lead(matrix @ self.rates)
        return self._column_sums[power]

    def flow(
        self, weights: np.ndarray, x: np.ndarray | None = None, *, leads: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """``(W - diag(1^T W)) x`` summed over leads (``W`` the weighted rates).

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, m)``; None: the steady states (:meth:`set_steady_state`), ``m = 1``.
        leads:
            In the steady states, the leads whose weights are not zero (only their transitions
            are summed); None: all.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``.
        """
        net, source = self._incidence.net, self._incidence.source
        if x is None:
            if leads is not None:
                net = self._incidence.restricted("net", leads)
            return (net @ self._steady_flows(weights, leads)).T[:, :, None]
        columns = np.ascontiguousarray(np.moveaxis(x, 0, -1).swapaxes(0, 1))  # (m, n, batch)
        flows = np.stack([net @ (weights * np.take(column, source, axis=0)) for column in columns])
        return np.moveaxis(flows, (0, 2), (2, 0))


def _incidence(rows: np.ndarray, size: int) -> sparse.csr_array:
    """``(size, len(rows))`` with a 1 at ``(rows[t], t)`` for every transition t."""
    columns = np.arange(len(rows))
    return sparse.csr_array((np.ones(len(rows)), (rows, columns)), shape=(size, len(rows)))


def flat_carried(
    blocks: TransportBlocks,
    coefficients: list,
    delta: np.ndarray,
    shape: tuple[int, ...],
    quantity: str,
    *,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """What each transition of the flat layout carries into the dot, ``(2K, batch)`` (into
    ``out``, a reused ``(2K, batch)`` buffer, if given) or ``(2K, 1)`` (the same at every point)."""
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
    if out is None or q.shape[1] == 1:
        return np.concatenate([q, -q])
    np.negative(q, out=out[size:])
    out[:size] = q
    return out


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

    def totals(self, weights: int | list, x: np.ndarray | None = None) -> np.ndarray:
        """``1^T W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            A power k (``W_k``: the rates times ``q^k``), or weights from :meth:`weights` or
            :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, leads)``.
        """
        x = self._steady if x is None else x
        weights = self.weights(weights) if isinstance(weights, int) else weights
        out = np.zeros((x.shape[0], self.leads))
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            column = x[:, :, lead if x.shape[2] > 1 else 0]
            out[:, lead] += np.einsum("bij,bj->b", w_in, column[:, lower])
            out[:, lead] += np.einsum("bij,bi->b", w_out, column[:, upper])
        return out

    def apply(self, weights: int | list, x: np.ndarray | None = None) -> np.ndarray:
        """``W_alpha x_alpha`` per lead.

        Parameters
        ----------
        weights:
            A power k (``W_k``: the rates times ``q^k``), or weights from :meth:`weights` or
            :meth:`derivative_weights`.
        x:
            ``(batch, n, leads)`` (column alpha for lead alpha) or ``(batch, n, 1)``; None: the
            steady states (:meth:`set_steady_state`).

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        x = self._steady if x is None else x
        weights = self.weights(weights) if isinstance(weights, int) else weights
        out = np.zeros((x.shape[0], self.n_states, self.leads))
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            column = x[:, :, lead if x.shape[2] > 1 else 0]
            out[:, upper, lead] += (w_in @ column[:, lower, None])[..., 0]
            out[:, lower, lead] += (column[:, None, upper] @ w_out)[:, 0]
        return out

    def derivative_totals(
        self, d_rates: list, d_carried: list | None, *, leads: tuple[int, ...] | None = None
    ) -> np.ndarray:
        """``1^T dW_alpha P`` per lead in the steady states: :meth:`totals` of :meth:`derivative_weights`.

        Parameters
        ----------
        d_rates, d_carried:
            As in :meth:`derivative_weights`.
        leads:
            The leads whose rates change (accepted for the interface of
            :meth:`FlatJumps.derivative_totals`; every block is summed).

        Returns
        -------
        numpy.ndarray
            ``(batch, leads)``.
        """
        return self.totals(self.derivative_weights(d_rates, d_carried))

    def column_sums(self, power: int) -> np.ndarray:
        """``1^T W_power`` per lead, as columns.

        Parameters
        ----------
        power:
            k >= 1.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, leads)``.
        """
        weights = self.weights(power)
        batch = weights[0][0].shape[0]
        out = np.zeros((batch, self.n_states, self.leads))
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            out[:, lower, lead] += w_in.sum(axis=1)
            out[:, upper, lead] += w_out.sum(axis=2)
        return out

    def flow(self, weights: list, x: np.ndarray | None = None, *, leads: tuple[int, ...] | None = None) -> np.ndarray:
        """``(W - diag(1^T W)) x`` summed over leads (``W`` the weighted rates).

        Parameters
        ----------
        weights:
            From :meth:`weights` or :meth:`derivative_weights`.
        x:
            ``(batch, n, m)``; None: the steady states (:meth:`set_steady_state`), ``m = 1``.
        leads:
            The leads whose weights are not zero (only their blocks are summed); None: all.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, m)``.
        """
        x = self._steady if x is None else x
        out = np.zeros(x.shape)
        for (lead, lower, upper), (w_in, w_out) in zip(self.places, weights):
            if leads is not None and lead not in leads:
                continue
            x_lower, x_upper = x[:, lower], x[:, upper]
            out[:, upper] += w_in @ x_lower
            out[:, lower] -= w_in.sum(axis=1)[:, :, None] * x_lower
            out[:, lower] += np.swapaxes(w_out, 1, 2) @ x_upper
            out[:, upper] -= w_out.sum(axis=2)[:, :, None] * x_upper
        return out
