"""First-order coherent kernels of dots and leads: Lindblad, Redfield and 1vN Liouvillians, batched.

The density matrix keeps the coherences between eigenstates of one sector (equal charge and,
where H conserves it, equal S_z): it is block diagonal over the sectors of
:class:`~symbolic_pme.numeric.blocks.TransportBlocks`, and its real parameters
(:class:`~symbolic_pme.numeric.coherent_layout.DensityLayout`, ``M = sum_s d_s^2`` of them) are
the unknowns.  The equations are QmeQ's (``qmeq/approach/base/{lindblad,redfield,neumann1}.py``),
conventions as in ``docs/conventions.md`` (hbar = e = k_B = 1), from the eigenenergies and the
tunnelling amplitudes ``T^l_ba = <b| sum_i t_i d_i^+ |a>`` of every link (one lead, one spin
channel, two sectors) and the lead factors ``u = i F0 = pi f + i PV0`` and ``v = -i F1 =
pi (1 - f) - i PV1`` of :mod:`~symbolic_pme.numeric.lead_integrals` (f at each transition's own
energy; principal parts optional).

Every approach has the same two parts per link and direction, an electron in (``P = T``,
``w = u``) or out (``P = T^+``, ``w = v^+``), mapping a source sector's ``rho`` (index y) to a
target sector (index x); ``o`` is the elementwise product, sums run over the links of a sector
pair:

- the gain ``gain[x, y, x', y']`` on the target, ``d rho_t[x, x']/dt = sum gain rho_s[y, y']``:
  ``"lindblad"`` ``sum J (x) conj(J)`` with ``J = sqrt(2 Re w) o P`` (QmeQ's first-order
  Lindblad jump operators); ``"redfield"`` ``sum (P o w) (x) conj(P) + P (x) conj(P o w)`` (the
  lead factor at the energy of the transition the term acts on); ``"1vn"`` ``K1 + K1^+`` with
  ``K1[x, y, x', y'] = sum P[x, y] w[x, y'] conj(P[x', y'])`` (the factor at the energy of the
  other index);
- the loss on the source, ``d rho_s[p, q]/dt = sum_r loss[p, r, q] rho_s[r, q] + h.c. part``:
  ``-1/2 J^+ J``; ``-P^+ (P o w)``; ``loss[i, j, k] = -sum_x conj(P[x, i]) P[x, j] w[x, k]``.

The gains are GEMMs over the stacked links of a group of sector pairs, zero-padded to one shape
(:class:`~symbolic_pme.numeric.coherent_layout.PairGroup`): one per pair for small source
sectors (the whole tensor), one per target row pair ``x <= x'`` for large ones.  One sparse
product (:class:`~symbolic_pme.numeric.coherent_layout.LiouvilleMap`, applied to the entries
that are not zero by structure) turns them, the losses and ``-i [H, rho]`` into the real
Liouvillian directly.  Tunnelling amplitudes and energies are stacked once per eigensystem (a
bias sweep stacks them once).  A small model (dense kernel) on a chunk of one eigensystem (a bias
sweep) takes instead the factored kernels of :mod:`~symbolic_pme.numeric.coherent_factored`:
sparse matrices summed from the amplitudes once per eigensystem, times the lead-factor
monomials of each point (the product not taken: the compiled loop makes each point's kernel
from them in its own work array, :class:`FactoredKernels`).  The steady state solves ``L rho =
0`` with ``Tr rho = 1``: for small models (``M <=`` :data:`DENSE_MAX`) as one dense system per
point (by the compiled loop where it is built: four points at a time, one per AVX2 lane, see
:data:`LANE_LU`, or SciPy's LAPACK point by point), otherwise by block elimination
down the charge levels, since ``L`` links a sector only to itself and to sectors one charge up or
down (one LU per level block, batched over the grid points of a chunk, not one ``M x M``
system); with real amplitudes and no principal parts the blocks between levels do not mix
symmetric and antisymmetric parameters, and the elimination's products are taken half by half.
"""

from __future__ import annotations

import functools
import math
import weakref
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_array

from symbolic_pme.errors import NonUniqueSteadyState

from .blocks import TransportBlocks, coefficient_keys
from .chunks import broadcast
from .coherent_factored import FactoredMatrices, FactoredTerms
from .coherent_layout import DensityLayout, LiouvilleMap, PairGroup, pair_groups, work_numbers
from .functions import golden_rule_pair
from .lead_integrals import principal_values
from .loops import compiled_loops

__all__ = ["APPROACHES", "CoherentKernel", "GroupTerms", "complex_sources"]

#: The coherent approaches, by the names :meth:`CompiledNetwork.steady_state` takes.
APPROACHES = ("lindblad", "redfield", "1vn")

#: Liouville spaces of at most this many real parameters are solved as one dense kernel (and, on
#: a chunk of one eigensystem, built from the factored matrices of
#: :mod:`~symbolic_pme.numeric.coherent_factored`): numpy's batched LU of ``M^3 / 3`` flops per
#: point costs less than a Python step per charge level; at M = 70 (16 states, spinless, 11
#: points) the dense solve took 0.43 ms and the elimination 0.40-0.60 ms, and the factored
#: kernels need the dense layout.
DENSE_MAX = 100

#: Output entries of one point's Liouvillian above which the sparse map is applied point by
#: point (each point's sources and blocks stay in cache) rather than to the whole chunk at once.
POINTWISE_OUTPUTS = 1 << 14


@dataclass(frozen=True)
class GroupTerms:
    """What one group of sector pairs contributes to a coherent kernel at the points of a chunk.

    Leading axes broadcast to the chunk's grid shape; then G pairs and L links per pair.

    Attributes
    ----------
    group : PairGroup
        The sector pairs (and their links).
    amplitude : numpy.ndarray
        ``T`` ``(..., G, L, m_upper, m_lower)``, real or complex.
    energy : numpy.ndarray
        ``E_upper - E_lower``, ``(..., G, 1, m_upper, m_lower)``.
    particle : numpy.ndarray
        ``u = i F0 = pi f + i PV0``, ``(..., G, L, m_upper, m_lower)``, real without principal parts.
    hole : numpy.ndarray
        ``v = -i F1 = pi (1 - f) - i PV1``, the same shape.
    """

    group: PairGroup
    amplitude: np.ndarray
    energy: np.ndarray
    particle: np.ndarray
    hole: np.ndarray

    @property
    def jumps(self) -> tuple[np.ndarray, np.ndarray]:
        """The Lindblad jump amplitudes ``sqrt(2 pi f) o T`` (in) and ``sqrt(2 pi (1 - f)) o T`` (out).

        Returns
        -------
        entering : numpy.ndarray
            ``(..., G, L, m_upper, m_lower)``; the jump operator in is this matrix.
        leaving : numpy.ndarray
            The same shape; the jump operator out is its conjugate transpose.
        """
        # Re u = pi f and Re v = pi (1 - f): the golden-rule parts, whatever the principal parts
        entering = np.sqrt(np.maximum(2.0 * self.particle.real, 0.0)) * self.amplitude
        leaving = np.sqrt(np.maximum(2.0 * self.hole.real, 0.0)) * self.amplitude
        return entering, leaving


class CoherentKernel:
    """The Lindblad, Redfield and 1vN Liouvillians of a transport model, on its block structure.

    Cheap to build (index maps are made on first use, once per kind of source); kept per
    compiled model by :func:`~symbolic_pme.numeric.coherent_steady.coherent_kernel`.

    Parameters
    ----------
    blocks : TransportBlocks
        The compiled model's blocks (eigensystems per sector, tunnelling amplitudes per link).

    Attributes
    ----------
    layout : DensityLayout
        Where the density-matrix parameters sit.
    groups : tuple of PairGroup
        The sector pairs, grouped by shape.
    map : LiouvilleMap
        From each point's sources to its real level blocks.
    """

    def __init__(self, blocks: TransportBlocks):
        # a weak reference: the kernel is cached per blocks (coherent_steady.coherent_kernel), and
        # a strong one from the cache's value would keep every compiled model alive for ever
        self._blocks = weakref.ref(blocks)
        charges = [sector.charge for sector in blocks.spectrum.sectors]
        sizes = [len(plan.states) for plan in blocks.sectors]
        self.layout = DensityLayout(sizes, charges)
        self.groups = pair_groups(blocks.links, sizes)
        self.map = LiouvilleMap(self.layout, self.groups, dense=self.layout.size <= DENSE_MAX)
        lead_of_link = np.array([link.lead for link in blocks.links], dtype=np.int64)
        #: Per group, the lead of each of its links, ``(G, L)``.
        self._group_leads = tuple(lead_of_link[group.links] for group in self.groups)
        spin_of_link = np.array([0.0 if link.spin is None else float(link.spin) for link in blocks.links])
        #: Per group, the S_z an electron in through each of its links carries, ``(G, L)``.
        self._group_spins = tuple(spin_of_link[group.links] for group in self.groups)
        self._factored_terms: dict[tuple, FactoredTerms] = {}  # per kind: the terms, listed once
        self._factored_matrices: dict[tuple, tuple] = {}  # per kind: (the stacked arrays, their matrices)
        self._factored_of: tuple = (None, None, None)  # (the chunk's terms, the approach, what factored gave)
        self._monomials: tuple = (None, None, None)  # (the chunk's lead factors, the terms, its monomials)
        self._occupations_of: tuple = (None, None)  # (the eigensystems, their occupation functionals)
        self._leads_of: tuple = (None, None)  # (the last coefficients, their leads' mu and T)
        self._trace = self.layout.trace_row()
        self._stacking()
        self._stacked: tuple | None = None  # (the blocks' lists they come from, the stacked arrays)
        self._outputs: dict[tuple, np.ndarray] = {}  # per kind of map: the last chunk's Liouvillian
        self._work = work_numbers(self.layout, self.groups, rank=3)
        self._gathers()

    def _stacking(self) -> None:
        """Index arrays stacking each group's links and energies into its zero-padded arrays.

        ``_creations[g]``: ``(slots, entries)``, the coefficient slots of the group's
        ``D = sum_i t_i <b|d_i^+|a>`` and each slot's signs in its flat padded ``(G, L, m_u, m_l)``
        array (``D`` of every link of the group is one product, ``values @ entries``).
        ``_energy_places[g]``: ``(upper, lower)``, ``(G, 1, m_u, m_l)`` each, the eigenenergies
        (indices into the sectors' energies one after the other) of each transition's upper and
        lower state; both 0 in the padding, where ``E_upper - E_lower`` is then exactly zero.
        """
        offsets = self.map.state_offsets
        size = max(len(plan.states) for plan in self.blocks.sectors)
        #: ``(sectors, m, m)``: the identity of each sector of Fock eigenstates, zeros elsewhere.
        self._identities = np.zeros((len(self.blocks.sectors), size, size))
        for k, plan in enumerate(self.blocks.sectors):
            if plan.components is None:
                self._identities[k, : len(plan.states), : len(plan.states)] = np.eye(len(plan.states))
        self._creations, self._energy_places = [], []
        for group in self.groups:
            m_u, m_l = group.m_upper, group.m_lower
            creation = [self.blocks.links[k].creation for k in group.links.ravel()]
            slots = sorted({slot for entries in creation for slot, *_ in entries})
            entries = np.zeros((len(slots), group.links.size * m_u * m_l))
            for k, link_entries in enumerate(creation):  # link k of the group's links raveled
                for slot, rows, columns, signs in link_entries:
                    np.add.at(entries[slots.index(slot)], (k * m_u + rows) * m_l + columns, signs)
            self._creations.append((tuple(slots), entries))
            upper = np.zeros((group.pairs, 1, m_u, m_l), dtype=np.int64)
            lower = np.zeros((group.pairs, 1, m_u, m_l), dtype=np.int64)
            for g, (u, low, d_u, d_l) in enumerate(zip(group.upper, group.lower, group.upper_sizes, group.lower_sizes)):
                upper[g, 0, :d_u, :d_l] = (offsets[u] + np.arange(d_u))[:, None]
                lower[g, 0, :d_u, :d_l] = offsets[low] + np.arange(d_l)
            self._energy_places.append((upper, lower))

    def _gathers(self) -> None:
        """Index arrays from the solved parameters ``x`` (all levels, one after the other) to the
        density matrices: per element ``rho = x[re] + i sign x[im]`` (index M is a zero)."""
        layout = self.layout
        real, imaginary, signs, populations, offsets = [], [], [], [], [0]
        for k, sector in enumerate(layout.sectors):
            index = np.append(layout.index[k], layout.size)  # -1: the zero after all parameters
            p, q = (a.ravel() for a in np.indices((sector.size, sector.size)))
            low, high = np.minimum(p, q), np.maximum(p, q)
            real.append(index[sector.real_index[low, high]])
            imaginary.append(index[sector.imaginary_index[low, high]])
            signs.append(np.sign(q - p).astype(float))
            populations.append(index[: sector.size])
            offsets.append(offsets[-1] + sector.size**2)
        self._real, self._imaginary = np.concatenate(real), np.concatenate(imaginary)
        self._signs, self._populations = np.concatenate(signs), np.concatenate(populations)
        #: Where each sector's block starts in the flat densities of :meth:`densities`.
        self.density_offsets = tuple(offsets)
        order = np.empty(self.blocks.n_states, dtype=np.int64)
        order[np.concatenate([plan.states for plan in self.blocks.sectors])] = self._populations
        #: The parameter of each state's population, in the network's state order.
        self.population_parameters = order
        zero = offsets[-1]  # the index of a zero appended to the flat densities
        self._stacked_densities = []
        for group in self.groups:
            ends = []
            for sectors, pad in ((group.lower, group.m_lower), (group.upper, group.m_upper)):
                index = np.full((group.pairs, pad, pad), zero, dtype=np.int64)
                for g, k in enumerate(sectors):
                    d = layout.sectors[k].size
                    index[g, :d, :d] = offsets[k] + np.arange(d * d).reshape(d, d)
                ends.append(index)
            self._stacked_densities.append(tuple(ends))
        links = [self.blocks.links[k] for group in self.groups for k in group.links.ravel()]
        #: ``(links, leads)``: which lead each link of the groups (in their stacked order) belongs to.
        self.link_leads = np.zeros((len(links), len(self.blocks.lead_names)))
        self.link_leads[np.arange(len(links)), [link.lead for link in links]] = 1.0
        #: ``(links,)``: the S_z an electron in through each link carries (0 without spin).
        self.link_spins = np.array([0.0 if link.spin is None else float(link.spin) for link in links])

    @property
    def blocks(self) -> TransportBlocks:
        """The compiled model's blocks (eigensystems per sector, tunnelling amplitudes per link)."""
        blocks = self._blocks()
        if blocks is None:  # pragma: no cover - the caller holds the compiled model
            raise ReferenceError("the compiled model of this coherent kernel is gone")
        return blocks

    def work_per_point(self) -> int:
        """Float64 numbers held per grid point while a chunk is solved.

        Returns
        -------
        int
            Sources, level blocks and the elimination's work (see
            :func:`~symbolic_pme.numeric.coherent_layout.work_numbers`).
        """
        return self._work

    # ----------------------------------------------------------------------------- terms
    def group_terms(
        self, coefficients: list[np.ndarray], *, principal_parts: bool
    ) -> tuple[np.ndarray, list[GroupTerms]]:
        """Eigenenergies, and amplitudes, energies and lead factors of every group at the points of a chunk.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`TransportBlocks.coefficients`.
        principal_parts : bool
            Include the principal-value integrals (every lead needs a band).

        Returns
        -------
        energies : numpy.ndarray
            ``(..., n_states)``: every sector's eigenenergies, sector after sector.
        terms : list of GroupTerms
            In the order of :attr:`groups`.

        Raises
        ------
        ValueError
            With ``principal_parts`` for a lead without a band, or a temperature that is not
            positive.
        """
        blocks = self.blocks
        slots = blocks.lead_slots
        if principal_parts:
            for name, slot in zip(blocks.lead_names, slots):
                if slot.band is None:
                    raise ValueError(
                        f"principal parts: lead {name!r} has an infinite band, where they diverge as "
                        "log(bandwidth); give it a band (e.g. band = [-1e4, 1e4]) or neglect them"
                    )
        energies, stacked = self._stacked_terms(coefficients)
        mus, temperatures = self.lead_parameters(coefficients)
        banded = any(s.band is not None for s in slots)
        if banded:
            lows = _by_lead([np.asarray(-np.inf) if s.band is None else coefficients[s.band[0]] for s in slots])
            highs = _by_lead([np.asarray(np.inf) if s.band is None else coefficients[s.band[1]] for s in slots])
        terms = []
        for group, (amplitude, energy), leads in zip(self.groups, stacked, self._group_leads):
            # each link's lead values, (..., G, L, 1, 1) against the (..., G, 1, m_u, m_l) energies
            mu, temperature = mus[..., leads, None, None], temperatures[..., leads, None, None]
            weight = np.pi
            if banded:
                low, high = lows[..., leads, None, None], highs[..., leads, None, None]
                weight = np.pi * ((energy >= low) & (energy <= high))
            particle, hole = golden_rule_pair(weight, energy - mu, temperature)
            if principal_parts:
                real_particle, real_hole = principal_values(energy, mu, temperature, (low, high))
                particle, hole = particle + 1j * real_particle, hole - 1j * real_hole
            terms.append(GroupTerms(group, amplitude, energy, particle, hole))
        return energies, terms

    def lead_parameters(self, coefficients: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Every lead's chemical potential and temperature, the leads along the last axis.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`TransportBlocks.coefficients`.

        Returns
        -------
        mus, temperatures : numpy.ndarray
            ``(..., leads)`` each (the grid axes they depend on), leads in the order of
            :attr:`TransportBlocks.lead_names`; kept for the same list of coefficients (not to be
            written to).
        """
        if self._leads_of[0] is coefficients:  # a chunk's terms and currents ask alike
            return self._leads_of[1]
        slots = self.blocks.lead_slots
        values = _by_lead([coefficients[s.mu] for s in slots]), _by_lead([coefficients[s.temperature] for s in slots])
        self._leads_of = (coefficients, values)
        return values

    def _stacked_terms(self, coefficients: list[np.ndarray]) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Energies, and per group T ``(..., G, L, m_u, m_l)`` and E_u - E_l ``(..., G, 1, m_u, m_l)``.

        Each group's amplitudes ``T = U_u^+ D U_l`` are made in its zero-padded arrays by two
        batched products (:func:`_group_amplitudes`), and its energy differences taken from the
        eigenenergies by index (:meth:`_stacking`).

        Kept while the blocks' memoised eigensystems are the same object and the amplitudes'
        coefficients unchanged (a bias sweep stacks them once).
        """
        blocks = self.blocks
        systems = blocks.eigensystems(coefficients)
        inputs = coefficient_keys(coefficients, blocks.amplitude_slots)
        sources = (systems, inputs)
        if self._stacked is not None and self._stacked[0][0] is systems and self._stacked[0][1] == inputs:
            return self._stacked[1]
        energies = np.concatenate(_common_shape([e for e, _ in systems]), axis=-1)
        vectors = _padded_vectors(systems, self._identities)
        stacked = []
        for group, creation, (upper, lower) in zip(self.groups, self._creations, self._energy_places):
            amplitude = _group_amplitudes(group, creation, vectors, coefficients)
            energy = energies[..., upper] - energies[..., lower]  # E_upper - E_lower, zero in the padding
            stacked.append((amplitude, energy))
        self._stacked = (sources, (energies, stacked))
        return energies, stacked

    # ----------------------------------------------------------------------------- Liouvillian
    def liouvillian(
        self, energies: np.ndarray, terms: list[GroupTerms], shape: tuple[int, ...], *, approach: str
    ) -> np.ndarray:
        """The real Liouvillian of the points of one chunk, in the layout of :attr:`map`.

        ``d rho/dt = L rho`` only links a sector to itself and to sectors one charge up or down,
        so on the real parameters it is block tridiagonal over the levels, with blocks
        diagonal over the sectors of each level: the map holds those blocks, or (small models)
        the whole dense kernel; :meth:`level_blocks` views either as blocks.

        Parameters
        ----------
        energies : numpy.ndarray
            ``(..., n_states)``, from :meth:`group_terms`.
        terms : list of GroupTerms
            From :meth:`group_terms`.
        shape : tuple of int
            The chunk's grid shape.
        approach : {"lindblad", "redfield", "1vn"}
            The kernel.

        Returns
        -------
        numpy.ndarray or FactoredKernels
            ``(batch, map.output_size)``: the kernels, in a work array kept for the next chunk (one
            per kind of map; overwritten by the next call of the same batch size, its entries
            that are zero by structure never written) or, from the factored matrices, their
            product not yet taken (:meth:`steady_state` takes it point by point).

        Raises
        ------
        ValueError
            For an unknown approach.
        """
        if approach not in APPROACHES:
            raise ValueError(f"approach: unknown coherent approach {approach!r}; choose from {', '.join(APPROACHES)}")
        factored = self.factored(energies, terms, approach=approach)
        if factored is not None:
            return self._factored_liouvillian(*factored, terms, math.prod(shape))
        rank = 3 if approach == "1vn" else 2
        complex_ = complex_sources(terms)
        rows, columns, matrix = self.map.compressed(rank=rank, complex_sources=complex_)
        sections = self.map.source_sections(rank=rank, complex_sources=complex_)
        batch = math.prod(shape)
        sources = np.empty((batch, self.map.source_size(rank=rank, complex_sources=complex_)))
        states = energies.shape[-1]
        _reshaped(sources[:, :states], shape + (states,))[...] = energies
        sources[:, states : self.map.energy_width] = 0.0
        build = _BUILDERS[approach]
        for term, placed in zip(terms, sections):
            views = []
            for start, stop, tail in placed:
                view = sources[:, start:stop]
                views.append(_reshaped(view.view(complex) if complex_ else view, shape + tail))
            group, t = term.group, term.amplitude
            # an electron in: P = T, w = u; out: P = T^+, w = v^+
            build(t, term.particle, views[0], views[2], whole=group.whole_gain(0))
            build(_adjoint(t), _adjoint(term.hole), views[1], views[3], whole=group.whole_gain(1))
        out = self._outputs.get((rank, complex_))
        if out is None or out.shape[0] != batch:  # entries outside ``rows`` stay zero: never written
            out = self._outputs[rank, complex_] = np.zeros((batch, self.map.output_size))
        _apply(matrix, rows, columns, sources, out)
        return out

    def factored(
        self, energies: np.ndarray, terms: list[GroupTerms], *, approach: str
    ) -> tuple[FactoredTerms, FactoredMatrices] | None:
        """The kernel and currents of one eigensystem as sparse matrices (:mod:`.coherent_factored`).

        For a dense kernel (small models) on a chunk whose amplitudes and energies are the same
        at every point (a sweep that does not change the Hamiltonian): the terms are listed once
        per kind and summed into matrices once per eigensystem.

        Parameters
        ----------
        energies : numpy.ndarray
            ``(..., n_states)``, from :meth:`group_terms`.
        terms : list of GroupTerms
            From :meth:`group_terms`.
        approach : {"lindblad", "redfield", "1vn"}
            The kernel.

        Returns
        -------
        (FactoredTerms, FactoredMatrices) or None
            None where the chunk's eigensystems differ from point to point, or the kernel is
            not dense.
        """
        if self._factored_of[0] is terms and self._factored_of[1] == approach:  # the chunk's kernel asked
            return self._factored_of[2]
        if not self.map.dense or energies.ndim != 1 or any(t.amplitude.ndim != 4 for t in terms):
            return None
        key = (approach, complex_sources(terms))
        listed = self._factored_terms.get(key)
        if listed is None:
            listed = self._factored_terms[key] = FactoredTerms(
                self.layout,
                self.groups,
                self._group_leads,
                self._group_spins,
                leads=len(self.blocks.lead_names),
                approach=approach,
                complex_sources=key[1],
            )
        sources = (energies,) + tuple(t.amplitude for t in terms)
        kept = self._factored_matrices.get(key)
        if kept is None or len(kept[0]) != len(sources) or not all(a is b for a, b in zip(kept[0], sources)):
            amplitudes = np.concatenate([t.amplitude.ravel() for t in terms])
            gaps = np.empty(len(amplitudes))  # each group's E_u - E_l repeated over its links, by assignment
            start = 0
            for t in terms:
                gaps[start : start + t.amplitude.size].reshape(t.amplitude.shape)[...] = t.energy
                start += t.amplitude.size
            kept = self._factored_matrices[key] = (sources, listed.matrices(amplitudes, energies, gaps))
        self._factored_of = (terms, approach, (listed, kept[1]))
        return listed, kept[1]

    def monomials(self, listed: FactoredTerms, terms: list[GroupTerms], batch: int) -> np.ndarray:
        """The lead-factor monomials of the points of a chunk, ``(listed.monomials + 1, batch)``.

        Parameters
        ----------
        listed : FactoredTerms
            From :meth:`factored`.
        terms : list of GroupTerms
            From :meth:`group_terms`.
        batch : int
            The chunk's points.

        Returns
        -------
        numpy.ndarray
            See :meth:`FactoredTerms.monomial_values`.
        """
        if self._monomials[0] is terms[0].particle and self._monomials[1] is listed:  # the chunk's kernel had them
            return self._monomials[2]

        def flat(factors: list[np.ndarray]) -> np.ndarray:  # (batch, transitions), group after group
            rows = [a.reshape(batch, -1) for a in _common_shape(factors, trailing=4)]
            return rows[0] if len(rows) == 1 else np.concatenate(rows, axis=1)  # one group: a view, no copy

        particle, hole = flat([t.particle for t in terms]), flat([t.hole for t in terms])
        values = listed.monomial_values(particle, hole)
        self._monomials = (terms[0].particle, listed, values)
        return values

    def _factored_liouvillian(
        self, listed: FactoredTerms, matrices: FactoredMatrices, terms: list[GroupTerms], batch: int
    ) -> FactoredKernels:
        """The dense kernels of a chunk from the factored matrices, as the product not yet taken."""
        return FactoredKernels(matrices.kernel, self.monomials(listed, terms, batch))

    def level_blocks(self, liouvillian: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Views of a Liouvillian as its blocks between charge levels.

        Parameters
        ----------
        liouvillian : numpy.ndarray
            ``(batch, map.output_size)``, from :meth:`liouvillian`.

        Returns
        -------
        diagonal : list of numpy.ndarray
            ``diagonal[n]`` ``(batch, r_n, r_n)``: level n to itself.
        up : list of numpy.ndarray
            ``up[n]`` ``(batch, r_{n+1}, r_n)``: level n to level n + 1 (an electron in).
        down : list of numpy.ndarray
            ``down[n]`` ``(batch, r_n, r_{n+1})``: level n + 1 to level n.
        """
        batch, sizes, live = liouvillian.shape[0], self.layout.level_sizes, self.map
        pairs = list(zip(sizes, sizes[1:]))
        if live.dense:
            kernel, starts = liouvillian.reshape(batch, self.layout.size, self.layout.size), live.level_starts
            levels = [slice(a, b) for a, b in zip(starts, starts[1:])]
            diagonal = [kernel[:, level, level] for level in levels]
            up = [kernel[:, b, a] for a, b in zip(levels, levels[1:])]
            down = [kernel[:, a, b] for a, b in zip(levels, levels[1:])]
            return diagonal, up, down
        diagonal = [liouvillian[:, o : o + r * r].reshape(batch, r, r) for o, r in zip(live.diagonal_offsets, sizes)]
        up = [liouvillian[:, o : o + a * b].reshape(batch, b, a) for o, (a, b) in zip(live.up_offsets, pairs)]
        down = [liouvillian[:, o : o + a * b].reshape(batch, a, b) for o, (a, b) in zip(live.down_offsets, pairs)]
        return diagonal, up, down

    # ----------------------------------------------------------------------------- solve
    def steady_state(self, liouvillian: np.ndarray, *, separable: bool = False) -> np.ndarray:
        """Steady density matrices (trace one): one dense solve, or block elimination down the levels.

        A dense kernel (small models) is solved at once with its first equation (a population's)
        replaced by ``Tr rho = 1``.  Level blocks are eliminated: with ``S_n`` the kernel
        censored on the levels >= n (``S_top`` its diagonal block), the parameters of level n
        are ``x_n = -X_n x_{n-1}``, ``X_n = S_n^{-1} up[n-1]``, and ``S_{n-1} = diagonal[n-1] -
        down[n-1] X_n``; the lowest level (the empty dot, one population) is then 1 before the
        normalization.  Cost: one LU of each level's block (``r_n = sum d_s^2`` over its
        sectors), not of the whole Liouville space.  Where a level block is singular (a level
        nothing leaves, e.g. at T = 0), the whole kernel is solved densely.

        Parameters
        ----------
        liouvillian : numpy.ndarray or FactoredKernels
            ``(batch, map.output_size)``, from :meth:`liouvillian` (left as it is).
        separable : bool, optional
            The blocks between levels map symmetric parameters onto symmetric ones and
            antisymmetric onto antisymmetric (:class:`DensityLayout`; real sources, see
            :func:`complex_sources`): their products are then taken half by half.

        Returns
        -------
        numpy.ndarray
            ``(batch, M)``: the real parameters of every level, one level after the other
            (:meth:`densities` makes the density matrices of them).

        Raises
        ------
        NonUniqueSteadyState
            Where the kernel has more than one steady state (its ``indices`` give the points of
            the chunk).
        """
        layout, trace = self.layout, self._trace
        if isinstance(liouvillian, FactoredKernels):
            parameters = liouvillian.solved(trace)
        elif self.map.dense:
            parameters = _solved(_reshaped(liouvillian, (-1, layout.size, layout.size)), trace)
        else:
            blocks = self.level_blocks(liouvillian)
            halves = layout.symmetric_sizes if separable else None
            try:
                parameters = np.concatenate(_eliminated(*blocks, trace[: layout.level_starts[1]], halves), axis=1)
            except np.linalg.LinAlgError:
                parameters = _solved(_assembled(*blocks, layout), trace)
        parameters /= parameters[:, self._populations].sum(axis=1, keepdims=True)
        return parameters

    def densities(self, parameters: np.ndarray) -> np.ndarray:
        """Every sector's density-matrix block, flat.

        Parameters
        ----------
        parameters : numpy.ndarray
            ``(batch, M)``, from :meth:`steady_state`.

        Returns
        -------
        numpy.ndarray
            ``(batch, sum_s d_s^2)`` complex: sector s's block, row-major, at
            ``density_offsets[s]``.
        """
        loops = compiled_loops()
        if loops is not None and parameters.dtype == np.float64 and parameters.flags.c_contiguous:
            batch, size = parameters.shape
            rho = np.empty((batch, len(self._signs)), dtype=complex)
            real, imaginary = self._index_pairs
            loops.gather_densities(parameters, real, imaginary, self._signs, rho.view(float), size, batch)
            return rho
        padded = np.concatenate([parameters, np.zeros((parameters.shape[0], 1))], axis=1)
        return padded[:, self._real] + 1j * (padded[:, self._imaginary] * self._signs)

    @functools.cached_property
    def _index_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`densities`' gathers as int32, for the compiled loop."""
        return self._real.astype(np.int32), self._imaginary.astype(np.int32)

    def occupations(self, densities: np.ndarray, coefficients: list[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
        """``Tr(rho n_mode)`` of every mode, with the coherences.

        Per sector, the Fock-basis populations ``diag(U rho U^+)`` (``U`` its eigenvectors over
        its Fock states) times the Fock states' occupations; with one eigensystem for the whole
        chunk, one product of the flat densities with :meth:`_occupation_matrix`.

        Parameters
        ----------
        densities : numpy.ndarray
            ``(batch, sum_s d_s^2)``, from :meth:`densities`.
        coefficients : list of numpy.ndarray
            The compiled parameter expressions of the chunk (for the eigenvectors).
        shape : tuple of int
            The chunk's grid shape.

        Returns
        -------
        numpy.ndarray
            ``(batch, modes)``, modes in the order of the Fock space's.
        """
        systems = self.blocks.eigensystems(coefficients)
        if all(vectors is None or vectors.ndim == 2 for _, vectors in systems):  # one eigensystem
            return np.ascontiguousarray(densities).view(float) @ self._occupation_matrix(systems)
        batch = densities.shape[0]
        total = np.zeros((batch, self.blocks.spectrum.space.n_modes))
        offsets = self.density_offsets
        for k, (plan, (_, vectors)) in enumerate(zip(self.blocks.sectors, systems)):
            d = len(plan.states)
            rho = densities[:, offsets[k] : offsets[k + 1]].reshape(batch, d, d)
            if vectors is None:  # Fock states: the populations are the Fock-basis diagonal
                fock = np.diagonal(rho, axis1=1, axis2=2).real
            else:
                rotated = vectors @ rho.reshape(shape + (d, d))  # (..., fock, d)
                fock = np.sum(rotated * np.conj(vectors), axis=-1).real.reshape(batch, -1)
            total += fock @ plan.occupations
        return total

    def _occupation_matrix(self, systems: list) -> np.ndarray:
        """``(2 sum_s d_s^2, modes)``: ``Tr(rho n_mode)`` as a functional of the flat densities (real
        and imaginary parts side by side), ``sum_pq rho[p, q] A[p, q]`` with ``A[p, q] = sum_f
        U[f, p] conj(U[f, q]) n_mode(f)``; kept while the eigensystems are the same object."""
        if self._occupations_of[0] is systems:
            return self._occupations_of[1]
        offsets = self.density_offsets
        matrix = self._fock_occupations.copy()
        for k, (plan, (_, vectors)) in enumerate(zip(self.blocks.sectors, systems)):
            if vectors is None:
                continue
            d = len(plan.states)
            conjugate = np.conj(vectors) if vectors.dtype.kind == "c" else vectors
            pairs = (vectors[:, :, None] * conjugate[:, None, :]).reshape(d, d * d)  # U[f, p] conj(U[f, q])
            weights = pairs.T @ plan.occupations  # (d d, modes)
            if np.iscomplexobj(weights):
                matrix[2 * offsets[k] + 1 : 2 * offsets[k + 1] : 2] = -weights.imag
                weights = weights.real
            matrix[2 * offsets[k] : 2 * offsets[k + 1] : 2] = weights
        self._occupations_of = (systems, matrix)
        return matrix

    @functools.cached_property
    def _fock_occupations(self) -> np.ndarray:
        """The part of :meth:`_occupation_matrix` the eigensystem does not change: the diagonals of
        the sectors of Fock eigenstates (zeros elsewhere)."""
        offsets = self.density_offsets
        matrix = np.zeros((2 * offsets[-1], self.blocks.spectrum.space.n_modes))
        for k, plan in enumerate(self.blocks.sectors):
            if plan.components is None:  # Fock states, in basis order: the diagonal
                d = len(plan.states)
                matrix[2 * (offsets[k] + np.arange(d) * (d + 1))] = plan.occupations
        return matrix

    def stacked_densities(self, densities: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every group's lower and upper density-matrix blocks, stacked and zero-padded like its terms.

        Parameters
        ----------
        densities : numpy.ndarray
            ``(batch, sum_s d_s^2)``, from :meth:`densities`.

        Returns
        -------
        list of (numpy.ndarray, numpy.ndarray)
            Per group in the order of :attr:`groups`, ``(batch, G, m_lower, m_lower)`` and
            ``(batch, G, m_upper, m_upper)`` complex.
        """
        padded = np.concatenate([densities, np.zeros((densities.shape[0], 1))], axis=1)
        return [(padded[:, lower], padded[:, upper]) for lower, upper in self._stacked_densities]


def _padded_vectors(systems: list, identities: np.ndarray) -> np.ndarray:
    """Every sector's eigenvectors over its Fock states, zero-padded: ``(..., sectors, m, m)``
    (``identities``: the identity for sectors of Fock eigenstates, zeros elsewhere, copied first)."""
    given = [v for _, v in systems if v is not None]
    if not all(v.ndim == 2 for v in given):  # grid axes: broadcast them (one eigensystem: none)
        shape = np.broadcast_shapes(*(v.shape[:-2] for v in given))
    else:
        shape = ()
    dtype = np.result_type(float, *given) if any(v.dtype.kind == "c" for v in given) else identities.dtype
    padded = broadcast(identities, shape + identities.shape).astype(dtype)  # a copy
    for k, (energies, vectors) in enumerate(systems):
        if vectors is not None:
            m = energies.shape[-1]
            padded[..., k, :m, :m] = vectors
    return padded


def _group_amplitudes(
    group: PairGroup, creation: tuple, vectors: np.ndarray, coefficients: list[np.ndarray]
) -> np.ndarray:
    """``T = U_upper^+ D U_lower`` of every link of a group, zero-padded: ``(..., G, L, m_u, m_l)``.

    ``D`` of all the group's links is one product of the coefficients with the group's entry
    matrix; the eigenvectors of each pair's sectors (from :func:`_padded_vectors`) are gathered
    and multiplied in by two batched products.
    """
    slots, entries = creation
    used = [coefficients[k] for k in slots]
    if all(c.ndim == 0 for c in used):  # one point: no broadcasting
        values = np.array(used, dtype=np.result_type(*used, float))
    else:
        values = np.stack(np.broadcast_arrays(*used), axis=-1).astype(np.result_type(*used, float), copy=False)
    m_u, m_l = group.m_upper, group.m_lower
    d = (values @ entries).reshape(values.shape[:-1] + group.links.shape + (m_u, m_l))
    lower = vectors[..., group.lower, None, :m_l, :m_l]  # (..., G, 1, m_l, m_l)
    upper = np.swapaxes(vectors[..., group.upper, None, :m_u, :m_u], -1, -2)
    return (np.conj(upper) if np.iscomplexobj(upper) else upper) @ (d @ lower)


def _common_shape(arrays: list[np.ndarray], *, trailing: int = 1) -> list[np.ndarray]:
    """The arrays broadcast to their common leading shape (the last ``trailing`` axes kept); the
    arrays themselves where they have it already (a bias sweep: no NumPy call)."""
    if len({a.shape[:-trailing] for a in arrays}) == 1:
        return arrays
    shape = np.broadcast_shapes(*(a.shape[:-trailing] for a in arrays))
    return [np.broadcast_to(a, shape + a.shape[-trailing:]) for a in arrays]


def _by_lead(values: list[np.ndarray]) -> np.ndarray:
    """One value per lead, stacked along a new last axis (broadcast first only where the shapes differ)."""
    if len({v.shape for v in values}) > 1:
        values = np.broadcast_arrays(*values)
    return np.moveaxis(np.array(values), 0, -1) if values[0].ndim > 1 else np.array(values).T  # no np.stack: 7 calls


def complex_sources(terms: list[GroupTerms]) -> bool:
    """Whether a chunk's gains and losses are complex: complex tunnelling amplitudes or principal parts.

    Parameters
    ----------
    terms : list of GroupTerms
        From :meth:`CoherentKernel.group_terms`.

    Returns
    -------
    bool
        False where every amplitude and lead factor is real; then the imaginary parts of the
        sources vanish and the blocks between levels are separable (:class:`DensityLayout`).
    """
    return any(t.amplitude.dtype.kind == "c" or t.particle.dtype.kind == "c" for t in terms)  # arrays: no iscomplexobj


@dataclass(frozen=True)
class FactoredKernels:
    """The dense kernels of a chunk as the product ``(matrix @ monomials).T`` (``(batch, M^2)``), not
    taken: the compiled solve makes each point's kernel from them in its own work array.

    Attributes
    ----------
    matrix : scipy.sparse.csr_array
        ``B`` of :class:`~.coherent_factored.FactoredMatrices`, ``(M^2, monomials + 1)``.
    monomials : numpy.ndarray
        ``(monomials + 1, batch)`` C-contiguous, from :meth:`CoherentKernel.monomials`.
    """

    matrix: csr_array
    monomials: np.ndarray

    def array(self) -> np.ndarray:
        """The kernels ``(batch, M^2)``: a transposed view of the product (no scatter, no copy)."""
        return (self.matrix @ self.monomials).T

    def solved(self, trace: np.ndarray) -> np.ndarray:
        """The steady states' parameters ``(batch, M)``, as :func:`_solved` gives them of :meth:`array`.

        Parameters
        ----------
        trace : numpy.ndarray
            ``(M,)``: ``Tr rho`` on the parameters, which replaces the first equation.

        Returns
        -------
        numpy.ndarray
            ``(batch, M)``, ``Tr rho = 1`` at every point.

        Raises
        ------
        NonUniqueSteadyState
            Where a kernel is singular (see :func:`_check_condition`).
        """
        size = len(trace)
        loops = compiled_loops()
        if loops is None:
            return _solved(_reshaped(self.array(), (-1, size, size)), trace)
        batch = self.monomials.shape[1]
        solutions, estimates = np.empty((batch, size)), np.empty(batch)
        m = self.matrix
        kernels = (m.indptr, m.indices, m.data, self.monomials, size, batch)
        loops.factored_steady(*kernels, trace, _probe(size), solutions, estimates, *_lu(), LANE_LU)
        _check_estimates(estimates)
        return solutions


def _eliminated(
    diagonal: list[np.ndarray],
    up: list[np.ndarray],
    down: list[np.ndarray],
    lowest_trace: np.ndarray,
    halves: tuple[int, ...] | None = None,
) -> list[np.ndarray]:
    """Level parameters (unnormalized) by elimination from the top level down; with ``halves``
    (each level's symmetric parameters), ``down`` is block diagonal and multiplied half by half.

    A steady state that is not unique has a closed part that never reaches the lowest level (the
    empty dot: one state), so the kernel censored on the levels above it is singular: its solve
    takes the condition probe of :func:`_solved` as one more right-hand side."""
    levels, batch = len(diagonal), diagonal[0].shape[0]
    transfer: list[np.ndarray] = [np.empty(0)] * levels
    censored = diagonal[-1]
    for n in range(levels - 1, 0, -1):
        if n == 1:
            probe = np.broadcast_to(_probe(censored.shape[-1]), (batch, censored.shape[-1], PROBES))
            solved = np.linalg.solve(censored, np.concatenate([up[0], probe], axis=-1))
            _check_condition(censored, solved[..., -PROBES:])
            transfer[1] = solved[..., :-PROBES]
        else:
            transfer[n] = np.linalg.solve(censored, up[n - 1])
        block, x = down[n - 1], transfer[n]
        if halves is None:
            censored = np.matmul(block, x)
        else:
            below, here = halves[n - 1], halves[n]
            censored = np.empty(block.shape[:-1] + x.shape[-1:])
            np.matmul(block[:, :below, :here], x[:, :here], out=censored[:, :below])
            np.matmul(block[:, below:, here:], x[:, here:], out=censored[:, below:])
        np.subtract(diagonal[n - 1], censored, out=censored)
    if censored.shape[-1] == 1:
        lowest = np.ones((batch, 1))
    else:
        lowest = _solved(censored, lowest_trace)  # probed too: a lowest level of several states may hold one
    result = [lowest]
    for n in range(1, levels):
        result.append(-(transfer[n] @ result[-1][..., None])[..., 0])
    return result


def _assembled(
    diagonal: list[np.ndarray], up: list[np.ndarray], down: list[np.ndarray], layout: DensityLayout
) -> np.ndarray:
    """The whole kernel ``(batch, M, M)`` from its level blocks."""
    sizes, batch = layout.level_sizes, diagonal[0].shape[0]
    starts = np.cumsum((0,) + sizes)
    kernel = np.zeros((batch, layout.size, layout.size))
    for n, block in enumerate(diagonal):
        kernel[:, starts[n] : starts[n + 1], starts[n] : starts[n + 1]] = block
    for n, (u, d) in enumerate(zip(up, down)):
        kernel[:, starts[n + 1] : starts[n + 2], starts[n] : starts[n + 1]] = u
        kernel[:, starts[n] : starts[n + 1], starts[n + 1] : starts[n + 2]] = d
    return kernel


#: A kernel whose condition estimate (:func:`_check_condition`) exceeds this has more than one steady
#: state in floating point.  The estimate is a lower bound, 0.002-0.08 of the condition number on the
#: kernels measured; those of the reference models are below 1e3, and where a coupling vanishes
#: it was 2.5e14-3e17 (conditions 1e17-1e18): 1/(100 eps), 4.5e13, lies between.
SINGULAR_ESTIMATE = 1 / (100 * np.finfo(float).eps)

#: Random right-hand sides solved with each kernel for its condition estimate.
PROBES = 2

#: Whether the compiled loops solve kernels of up to 150 parameters four points at a time, one per
#: lane of an AVX2 vector (``_loops.c``: ``lane_steady``; a 70 x 70 kernel in about half of
#: LAPACK's time), where the processor has AVX2; False: LAPACK's LU point by point.  Both factor
#: with partial pivoting by rows and take the same condition probes; their solutions agree to
#: rounding (the tests compare them).
LANE_LU = True


def _solved(kernel: np.ndarray, trace: np.ndarray) -> np.ndarray:
    """Parameters of a whole kernel ``(batch, M, M)``, its first equation replaced by the trace.

    Where the steady state is not unique the matrix is singular, but rounding may leave LU no
    exact zero pivot (Redfield, a coupling zero at a point), and the solve would return one of
    the steady states: so the same LU also solves the condition probes
    (:func:`_check_condition`), a few more right-hand sides.  The kernel is left as it is.  By
    the compiled loop (one LU per point by SciPy's LAPACK) where it is built, else by NumPy."""
    loops = compiled_loops()
    if loops is not None and kernel.dtype == np.float64:
        return _compiled_solved(loops, kernel, trace)
    return _solved_numpy(kernel, trace)


def _solved_numpy(kernel: np.ndarray, trace: np.ndarray) -> np.ndarray:
    """:func:`_solved` in NumPy calls: the reference of the compiled loop (and the fallback).

    The first row is replaced in place and put back after the solve (NumPy's solve copies the
    matrices into its own work arrays, so the kernel itself is never copied)."""
    size = kernel.shape[-1]
    first = kernel[:, 0, :].copy()
    kernel[:, 0, :] = trace  # the first population's equation follows from the others
    rhs = np.zeros((size, 1 + PROBES))
    rhs[0, 0] = 1.0
    rhs[:, 1:] = _probe(size)
    try:
        try:
            solved = np.linalg.solve(kernel, rhs)
        except np.linalg.LinAlgError:
            singular = np.linalg.cond(kernel) > 1 / np.finfo(float).eps
            raise _not_unique([(int(i),) for i in np.flatnonzero(singular)]) from None
        _check_condition(kernel, solved[..., 1:])
        return solved[..., 0]
    finally:
        kernel[:, 0, :] = first


def _compiled_solved(loops, kernel: np.ndarray, trace: np.ndarray) -> np.ndarray:
    """:func:`_solved` by the compiled loop: one LU per point, four points at a time by the lane LU
    (:data:`LANE_LU`) or by LAPACK (SciPy's), no copies of the kernels beyond the LU's own, the
    kernel left as it is."""
    batch, size = kernel.shape[0], kernel.shape[-1]
    solutions, estimates = np.empty((batch, size)), np.empty(batch)
    trace = np.ascontiguousarray(trace, dtype=float)
    loops.dense_steady(kernel, trace, _probe(size), solutions, estimates, *_lu(), LANE_LU)
    _check_estimates(estimates)
    return solutions


def _check_estimates(estimates: np.ndarray) -> None:
    """NonUniqueSteadyState for the points whose condition estimate exceeds :data:`SINGULAR_ESTIMATE`
    (infinite where LU met an exact zero pivot, NaN where a value was not finite)."""
    if not np.all(estimates <= SINGULAR_ESTIMATE):  # a NaN counts too
        raise _not_unique([(int(i),) for i in np.flatnonzero(~(estimates <= SINGULAR_ESTIMATE))])


@functools.cache
def _lu() -> tuple[object, object]:
    """The capsules of LAPACK's ``dgetrf`` and ``dgetrs`` in ``scipy.linalg.cython_lapack``."""
    from scipy.linalg.cython_lapack import __pyx_capi__ as functions

    return functions["dgetrf"], functions["dgetrs"]


def _check_condition(matrix: np.ndarray, probed: np.ndarray) -> None:
    """NonUniqueSteadyState for the points whose ``(batch, m, m)`` matrix has a condition estimate
    above :data:`SINGULAR_ESTIMATE`.

    ``probed`` ``(batch, m, PROBES)``: the matrix's solves for :func:`_probe`, by the same LU as the
    steady state.  ``max |A^-1 r| / max |r|`` bounds ``|A^-1|`` from below (a small component of
    some ``r`` along the singular direction is still multiplied by ``1/sigma_min``), and the
    largest diagonal entry (the scale of the rates) stands for ``|A|``."""
    _check_estimates(np.abs(probed).max(axis=(1, 2)) * np.abs(np.diagonal(matrix, axis1=1, axis2=2)).max(axis=1))


@functools.cache
def _probe(size: int) -> np.ndarray:
    """:data:`PROBES` fixed random vectors of ``size`` entries, ``(size, PROBES)``, largest entry one."""
    r = np.random.default_rng(20261202).standard_normal((size, PROBES))
    r /= np.abs(r).max(axis=0)
    r.setflags(write=False)
    return r


def _not_unique(bad: list[tuple[int]]) -> NonUniqueSteadyState:
    """The error for the points ``bad`` of a chunk, whose kernels are singular."""
    return NonUniqueSteadyState(
        f"the coherent steady state is not unique at {len(bad)} point(s) of this chunk: "
        "the couplings there split the density matrix into disconnected parts",
        indices=bad,
    )


def _apply(matrix: csr_array, rows: np.ndarray, columns: np.ndarray, sources: np.ndarray, out: np.ndarray) -> None:
    """``out[z, rows] = matrix @ sources[z, columns]`` for every point z."""
    batch = sources.shape[0]
    if batch == 1 or matrix.shape[0] > POINTWISE_OUTPUTS:
        for z in range(batch):
            out[z, rows] = matrix @ sources[z, columns]
    else:  # the read sources gathered straight into the (columns, batch) operand the product needs
        out[:, rows] = (matrix @ sources.T[columns]).T


def _reshaped(view: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``view`` with a new shape, still writing into the same memory (ValueError if that needs a copy)."""
    out = view.view()
    try:
        out.shape = shape
    except AttributeError as error:  # pragma: no cover - source sections and kernels always split cleanly
        raise ValueError(f"cannot view {view.shape} as {shape} without a copy") from error
    return out


def _adjoint(a: np.ndarray) -> np.ndarray:
    """The conjugate transpose of the last two axes (a view for real arrays)."""
    a = np.swapaxes(a, -1, -2)
    return np.conj(a) if np.iscomplexobj(a) else a


def _conj(a: np.ndarray) -> np.ndarray:
    """The complex conjugate (the array itself when real)."""
    return np.conj(a) if np.iscomplexobj(a) else a


def _matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray, scale: float | None = None) -> None:
    """``out[...] = scale * (a @ b)``, the product written in place where the shapes allow."""
    if np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) == out.shape[:-2] and (
        np.iscomplexobj(out) or not (np.iscomplexobj(a) or np.iscomplexobj(b))
    ):
        np.matmul(a, b, out=out)
    else:
        out[...] = a @ b
    if scale is not None:
        out *= scale


def _flat(a: np.ndarray) -> np.ndarray:
    """``(..., X, Y)`` as ``(..., X Y)``."""
    return a.reshape(a.shape[:-2] + (-1,))


@functools.cache
def _row_pairs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """The row pairs ``x <= x'`` of a target sector, in ``numpy.triu_indices`` order."""
    return np.triu_indices(size)


def _pairs_of_rows(a: np.ndarray, rows: np.ndarray, *, left: bool) -> np.ndarray:
    """Rows of ``(..., G, T, X, Y)`` per row pair: ``(..., G, P, Y, T)`` (left) or ``(..., G, P, T, Y)``."""
    return np.moveaxis(a, -3, -1 if left else -2)[..., rows, :, :]


# Each builder fills one direction's gain, whole ``(..., G, X Y, X Y)`` or per row pair
# ``gain[..., g, p, y, y'] = sum_t U[x, y] V[x', y']`` ``(..., G, P, Y, Y)``, and loss
# (``(..., G, Y, Y)``, or ``(..., G, Y Y, Y)`` for the 1vN ``loss[i, j, k]``) from P and w
# ``(..., G, L, X, Y)`` (module docstring).
def _kronecker_gain(a: np.ndarray, b: np.ndarray, gain: np.ndarray, *, whole: bool) -> None:
    """``gain = sum_t a[t, x, y] conj(b[t, x', y'])`` for a, b ``(..., G, T, X, Y)``: whole,
    ``(..., G, X Y, X Y)``, by one GEMM per pair, or ``(..., G, P, Y, Y)`` by one GEMM per row pair."""
    if whole:
        _matmul(np.swapaxes(_flat(a), -1, -2), _conj(_flat(b)), gain)
    else:
        first, second = _row_pairs(a.shape[-2])
        _matmul(_pairs_of_rows(a, first, left=True), _pairs_of_rows(_conj(b), second, left=False), gain)


def _lindblad(p: np.ndarray, w: np.ndarray, gain: np.ndarray, loss: np.ndarray, *, whole: bool) -> None:
    jump = np.sqrt(np.maximum(2.0 * w.real, 0.0)) * p
    _kronecker_gain(jump, jump, gain, whole=whole)
    columns = jump.reshape(jump.shape[:-4] + (jump.shape[-4], -1, jump.shape[-1]))  # (..., G, L X, Y)
    _matmul(_adjoint(columns), columns, loss, scale=-0.5)


def _redfield(p: np.ndarray, w: np.ndarray, gain: np.ndarray, loss: np.ndarray, *, whole: bool) -> None:
    weighted = p * w
    both = np.broadcast_to(p, weighted.shape)
    left, right = np.concatenate([weighted, both], axis=-3), np.concatenate([both, weighted], axis=-3)
    _kronecker_gain(left, right, gain, whole=whole)
    columns = p.shape[-4], -1, p.shape[-1]  # (G, L X, Y)
    shared = _adjoint(p.reshape(p.shape[:-4] + columns))
    _matmul(shared, weighted.reshape(weighted.shape[:-4] + columns), loss, scale=-1.0)


def _neumann(p: np.ndarray, w: np.ndarray, gain: np.ndarray, loss: np.ndarray, *, whole: bool) -> None:
    x, y = p.shape[-2:]
    pc, wc = _conj(p), _conj(w)
    first, second = _row_pairs(x)
    # gain = K1[x, y, x', y'] + conj(K1[x', y', x, y]), K1 = sum_L P[x, y] w[x, y'] conj(P[x', y'])
    if whole:  # K1 by one product over L per x, for (Y) x (X' Y')
        outer = w[..., :, :, None, :] * pc[..., None, :, :]  # (..., G, L, X, X', Y')
        outer = np.moveaxis(outer.reshape(outer.shape[:-3] + (x, x * y)), -3, -2)  # (..., G, X, L, X' Y')
        k1 = np.matmul(np.moveaxis(p, -3, -1), outer)  # (..., G, X, Y, X' Y')
        k1 = k1.reshape(k1.shape[:-3] + (x * y, x * y))
        if k1.shape == gain.shape:
            np.add(k1, _adjoint(k1), out=gain)
        else:
            gain[...] = k1 + _adjoint(k1)
    else:  # per row pair, U = (P[x], P[x] conj(w[x'])) and V = (w[x] conj(P[x']), conj(P[x']))
        p_first, w_first = _pairs_of_rows(p, first, left=True), _pairs_of_rows(w, first, left=True)  # (..., G, P, Y, L)
        pc_second, wc_second = _pairs_of_rows(pc, second, left=True), _pairs_of_rows(wc, second, left=True)
        p_first = np.broadcast_to(p_first, np.broadcast_shapes(p_first.shape, wc_second.shape))
        pc_second = np.broadcast_to(pc_second, p_first.shape)
        left = np.concatenate([p_first, p_first * wc_second], axis=-1)
        right = np.concatenate([w_first * pc_second, pc_second], axis=-1)
        _matmul(left, np.swapaxes(right, -1, -2), gain)
    # loss[i, j, k] = -sum_{L, x} conj(P[x, i]) P[x, j] w[x, k], as (..., G, Y Y, Y)
    pairs = pc[..., :, None] * p[..., None, :]  # (..., G, L, X, Y, Y)
    pairs = pairs.reshape(pairs.shape[:-5] + (pairs.shape[-5], -1, y * y))  # (..., G, L X, Y Y)
    w = w.reshape(w.shape[:-4] + (w.shape[-4], -1, y))  # (..., G, L X, Y)
    _matmul(np.swapaxes(pairs, -1, -2), w, loss, scale=-1.0)


#: The builder of each approach's gains and losses.
_BUILDERS = {"lindblad": _lindblad, "redfield": _redfield, "1vn": _neumann}
