"""Small transport models: every rate block laid out along one transition axis.

For a model of a few states (the seed's triangle has 8 states in 12 blocks), NumPy's per-call
overhead on a dozen small blocks costs more than the arithmetic.  :class:`FlatRates` lays the
entries of all tunnelling blocks end to end once (``K`` entries; transition ``k`` enters through
entry ``k``, transition ``K + k`` leaves through it), so that a solve is a handful of calls on
``(2K, batch)`` arrays, whatever the number of blocks:

* the rates of all blocks in one :func:`~symbolic_pme.numeric.functions.golden_rule_pair`,
* the GTH transfer matrix by placing the rates at their ``(target, source)`` slots
  (``n <= GTH_MAX_STATES``, so it stays small),
* each lead's currents in one product of the flows with a ``(leads, 2K)`` matrix of signs
  (its own jumps only, as in :meth:`TransportBlocks.currents`).

Where the compiled loops are built (:mod:`.loops`), the transfer matrix, the GTH reduction and
the currents are one call each into them instead (the same sums, without NumPy's per-call
overhead: the seed triangle's 201-point sweep went from 1.25 ms to 0.32 ms with them).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array

from .chunks import broadcast
from .loops import compiled_loops

__all__ = ["FlatRates"]


class FlatRates:
    """The flat layout of the tunnelling blocks of a small model.

    Parameters
    ----------
    blocks : list of (numpy.ndarray, numpy.ndarray, int)
        ``[(upper states, lower states, lead)]`` per block: the network indices of its rows and
        columns and the index of its lead; the blocks of each lead must be consecutive.
    n_states : int
        Number of states of the model.
    n_leads : int
        Number of leads of the model.

    Raises
    ------
    ValueError
        If the blocks of one lead are not consecutive.

    Examples
    --------
    >>> flat = FlatRates([(np.array([1]), np.array([0]), 0)], 2, 1)
    >>> flat.source.tolist(), flat.target.tolist()  # entering 0 -> 1, then leaving 1 -> 0
    ([0, 1], [1, 0])
    >>> flat.signs.tolist()
    [[1.0, -1.0]]
    """

    def __init__(self, blocks: list[tuple[np.ndarray, np.ndarray, int]], n_states: int, n_leads: int):
        upper, lower, lead = [], [], []
        for rows, columns, index in blocks:
            mesh_rows, mesh_columns = np.meshgrid(rows, columns, indexing="ij")
            upper.append(mesh_rows.ravel())
            lower.append(mesh_columns.ravel())
            lead.append(np.full(mesh_rows.size, index))
        self.upper, self.lower, self.lead = (np.concatenate(a).astype(np.int64) for a in (upper, lower, lead))
        size = len(self.upper)
        #: The entries of each lead, as slices of the K entries.
        self.lead_entries = [slice(0, 0)] * n_leads
        for index in range(n_leads):
            members = np.flatnonzero(self.lead == index)
            if len(members) and not np.array_equal(members, np.arange(members[0], members[-1] + 1)):
                raise ValueError("FlatRates: the blocks of one lead must be consecutive")
            if len(members):
                self.lead_entries[index] = slice(int(members[0]), int(members[-1]) + 1)
        #: Source and target of each transition: entering ones first, then leaving ones.
        self.source = np.concatenate([self.lower, self.upper])
        self.target = np.concatenate([self.upper, self.lower])
        slots = self.target * n_states + self.source
        self._slots, self._cells = slots.astype(np.int64), n_states**2
        #: ``(n*n, 2K)``, sparse: one 1 per transition, at ``target * n + source``; its product with
        #: the rates is the transfer matrix (:meth:`transfer_matrix`).
        self.transfer = csr_array((np.ones(2 * size), (slots, np.arange(2 * size))), shape=(n_states**2, 2 * size))
        self.signs = np.zeros((n_leads, 2 * size))
        self.signs[self.lead, np.arange(size)] = 1.0
        self.signs[self.lead, size + np.arange(size)] = -1.0
        self._signs_and_gross = np.concatenate([self.signs, np.abs(self.signs)])

    @staticmethod
    def concatenate(blocks: list[np.ndarray]) -> np.ndarray:
        """Blocks laid end to end along one entry axis.

        Parameters
        ----------
        blocks : list of numpy.ndarray
            Blocks ``(..., m_upper, m_lower)`` whose leading axes broadcast, in the order of the
            layout's blocks.

        Returns
        -------
        numpy.ndarray
            One ``(..., K)`` array, each block flattened row by row.
        """
        leading = {b.shape[:-2] for b in blocks}
        shape = next(iter(leading)) if len(leading) == 1 else np.broadcast_shapes(*leading)
        return np.concatenate([broadcast(b, shape + b.shape[-2:]).reshape(shape + (-1,)) for b in blocks], -1)

    def transfer_matrix(self, rates: np.ndarray, *, out: np.ndarray | None = None) -> np.ndarray:
        """The GTH transfer matrices ``T[target * n + source]`` of rates in this layout.

        One sparse product with :attr:`transfer`: an index sum (on the triangle's 100 x 100 map
        0.7 ms, where a dense GEMM took 3.3 ms and placing the rates by slot into a kept buffer
        as fast in the pipeline, but twice as slow for a 201-point sweep).

        Parameters
        ----------
        rates : numpy.ndarray
            Rates of every transition, ``(2K, batch)``: entering ones, then leaving ones.
        out : numpy.ndarray, optional
            A reused buffer of at least ``n * n * batch`` floats for the result, used where the
            compiled loops (:mod:`.loops`) place the rates.

        Returns
        -------
        numpy.ndarray
            ``(n*n, batch)``: the sum of the rates of the transitions from each state to each
            other one, zero where none links them.

        Examples
        --------
        >>> flat = FlatRates([(np.array([1]), np.array([0]), 0)], 2, 1)
        >>> flat.transfer_matrix(np.array([[2.0], [3.0]])).ravel().tolist()  # 0 -> 1 at 2, 1 -> 0 at 3
        [0.0, 3.0, 2.0, 0.0]
        """
        loops = compiled_loops()
        if loops is None or rates.dtype != np.float64 or not rates.flags.c_contiguous:
            return self.transfer @ rates
        batch = rates.shape[1]
        size = self._cells * batch
        matrix = np.empty(size) if out is None or out.size < size else out.reshape(-1)[:size]
        loops.transfer_matrix(rates, self._slots, matrix, len(self._slots), self._cells, batch)
        return matrix.reshape(self._cells, batch)

    def currents(
        self, rates: np.ndarray, delta: np.ndarray, probabilities: np.ndarray, *, work: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Net particle and energy currents and gross particle flux of each lead.

        Currents are positive from the lead into the system (``docs/conventions.md``); each
        lead's sums run over its own jumps only.

        Parameters
        ----------
        rates : numpy.ndarray
            Rates of every transition, ``(2K, batch)``: entering ones, then leaving ones.
        delta : numpy.ndarray
            The entries' ``E_upper - E_lower``, ``(K, batch)``, or ``(K, 1)`` when the energies
            are the same at every point (a bias sweep: then the energies fold into the matrix of
            signs and the energy current costs no pass over the flows).
        probabilities : numpy.ndarray
            State probabilities, ``(n, batch)``.
        work : numpy.ndarray, optional
            A reused ``(2K, batch)`` buffer for the flows.

        Returns
        -------
        charge, energy, gross : numpy.ndarray
            Net particle current, net energy current and gross particle flux (in plus out) of
            each lead, each ``(leads, batch)``.

        Notes
        -----
        The compiled loops (:mod:`.loops`), where built, sum each entry's net flow (in - out)
        and its energy ``(in - out) * delta`` entry by entry; the NumPy version sums the flows
        by a product with the signs (the same sums in another order).
        """
        loops = compiled_loops()
        if loops is not None and rates.flags.c_contiguous and probabilities.flags.c_contiguous:
            batch, size = rates.shape[1], len(self.upper)
            charge, energy, gross = np.empty((3, len(self.signs), batch))
            delta = np.ascontiguousarray(delta, dtype=float)
            loops.flat_currents(
                rates, probabilities, self.lower, self.upper, self.lead, delta, charge, energy, gross,
                size, len(probabilities), len(self.signs), batch, delta.shape[1],
            )  # fmt: skip
            return charge, energy, gross
        return self._currents_numpy(rates, delta, probabilities, work=work)

    def _currents_numpy(
        self, rates: np.ndarray, delta: np.ndarray, probabilities: np.ndarray, *, work: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`currents` in NumPy calls: the reference of the compiled loops (:mod:`.loops`),
        and what runs where they are not built."""
        flux = np.take(probabilities, self.source, axis=0, out=work, mode="clip")  # "raise" buffers `out`
        flux *= rates
        if delta.shape[1] == 1:
            carried = np.concatenate([delta[:, 0], delta[:, 0]])
            charge, gross, energy = np.split(np.concatenate([self._signs_and_gross, self.signs * carried]) @ flux, 3)
        else:
            charge, gross = np.split(self._signs_and_gross @ flux, 2)
            # each entry's net flow times its energy, in place: (in - out) delta, one pass over K
            size = len(delta)
            net = np.subtract(flux[:size], flux[size:], out=flux[:size])
            net *= delta
            energy = self.signs[:, :size] @ net
        return charge, energy, gross
