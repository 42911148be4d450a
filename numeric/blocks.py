"""Golden-rule rate groups evaluated as matrices, batched over parameter grids.

The numeric twin of :mod:`symbolic_pme.transport.rate_groups`.  Only the model's parameter expressions are
compiled (the Hamiltonian's coefficients, the leads' mu, T, band edges and amplitudes: tens of
expressions); everything else is built numerically, each stage batched along the grid axes it
depends on:

1. sector Hamiltonians ``H = sum_k c_k M_k`` from the exact integer actions ``M_k``;
2. ``eigh`` per mixed component (batched; exact components are read off the diagonal), only
   along the axes of the Hamiltonian's parameters, and cached between calls with equal values
   (a bias sweep never re-diagonalizes);
3. tunnelling blocks ``T = U_b^+ D U_a`` by GEMM, ``D = sum_i t_i <b|d_i^+|a>`` exact and sparse;
4. rates ``2 pi |T|^2 f`` and ``2 pi |T|^2 (1 - f)`` elementwise;
5. currents summed over each lead's own blocks (see :meth:`TransportBlocks.currents`).

Arrays of a chunk of grid points have the batch axis first: ``(batch, m_target, m_source)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np
import sympy
from scipy.sparse import csr_array

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN
from symbolic_pme.transport.rate_groups import TunnellingGroup
from symbolic_pme.transport.spectrum import Sector, Spectrum

from . import eigensystems
from .chunks import Workspace, broadcast
from .flat import FlatRates
from .functions import boltzmann_factor, chemical_factor, golden_rule_pair, golden_rule_pair_factored, modulus_squared
from .kernel import ExpressionKernel
from .loops import compiled_loops
from .solver import GTH_MAX_STATES, steady_state_levels
from .symmetry import (
    Eigensystems,
    LumpedLink,
    SpinFlip,
    couplings_symmetric,
    expanded_levels,
    flip_symmetric_eigensystem,
    flipped_hamiltonian_matches,
    lumped_level_blocks,
    lumped_links,
)

__all__ = [
    "Coefficients",
    "LeadSlots",
    "Link",
    "SMALL_BLOCK",
    "SectorPlan",
    "SparseCreation",
    "TransportBlocks",
    "coefficient_keys",
    "entry_matrix",
    "joined_entries",
    "place_entries",
]


Entries = tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray], ...]  # (slot, rows, columns, signs)

#: Largest memory (bytes) of the kept Boltzmann factors ``exp(E/T)`` (:meth:`TransportBlocks.boltzmann_factors`):
#: 32 MiB, 4 million rates (a bias sweep of spinless 10 or spinful 6 orbitals keeps them).
FACTOR_MEMORY = 32 * 2**20

#: Lower sectors of at least this many states take the sparse product for ``D U_a`` (below it, making
#: the sparse matrix, about 100 us a link, costs more than the dense GEMM).
SPARSE_MIN_STATES = 32


class LeadSlots(NamedTuple):
    """Where one lead's parameters sit among the compiled expressions (:meth:`TransportBlocks.coefficients`).

    Attributes
    ----------
    mu : int
        The slot of the lead's chemical potential.
    temperature : int
        The slot of its temperature.
    band : tuple of int or None
        The slots of the band edges ``(D-, D+)``; None for an infinite band.
    """

    mu: int
    temperature: int
    band: tuple[int, int] | None


#: Largest sector (states) whose blocks of H and D are made by one product with a kept matrix
#: of entries (:func:`joined_entries`: the small sectors' blocks of H together, and the small
#: links' D together).
SMALL_BLOCK = 32


def entry_matrix(entries: Entries, shape: tuple[int, int]) -> np.ndarray:
    """``(slots, rows * columns)``: each slot's signs at its entries in the flattened block.

    Parameters
    ----------
    entries : tuple of (int, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``(slot, rows, columns, signs)`` per coefficient slot.
    shape : tuple of int
        The block's ``(rows, columns)``.

    Returns
    -------
    numpy.ndarray
    """
    matrix = np.zeros((len(entries), shape[0] * shape[1]))
    for row, (_, rows, columns, signs) in enumerate(entries):
        np.add.at(matrix[row], rows * shape[1] + columns, signs)
    return matrix


def joined_entries(blocks: Mapping[int, tuple[Entries, tuple[int, int]]]) -> tuple[tuple[int, ...], np.ndarray, dict]:
    """One entry matrix for several blocks, their entries side by side (:func:`_placed_blocks` makes
    them all from one product).

    Parameters
    ----------
    blocks : mapping of int to (entries, (rows, columns))
        Each block's ``(slot, rows, columns, signs)`` entries and shape, by a key.

    Returns
    -------
    slots : tuple of int
        The coefficient slots any block takes, ascending.
    matrix : numpy.ndarray
        ``(slots, sum rows * columns)``: each slot's signs at its entries, block after block.
    places : dict
        ``{key: (offset, (rows, columns))}``: where each block's entries start in the columns.
    """
    slots = tuple(sorted({k for entries, _ in blocks.values() for k, *_ in entries}))
    places, offset = {}, 0
    for key, (_, (rows, columns)) in blocks.items():
        places[key], offset = (offset, (rows, columns)), offset + rows * columns
    matrix = np.zeros((len(slots), offset))
    for key, (entries, shape) in blocks.items():
        start = places[key][0]
        for row, (k, *_) in zip(entry_matrix(entries, shape), entries):
            matrix[slots.index(k), start : start + shape[0] * shape[1]] += row
    return slots, matrix, places


def place_entries(entries: Entries, coefficients: list[np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """The block ``sum_slot c_slot * signs`` at the entries, over the grid axes its coefficients have.

    Each slot's entries are added in turn (a fancy-indexed update per slot): for the large blocks;
    the small ones are made together from :func:`joined_entries` by one product.

    Parameters
    ----------
    entries : tuple of (int, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``(slot, rows, columns, signs)`` per coefficient slot.
    coefficients : list of numpy.ndarray
        The compiled parameter expressions.
    shape : tuple of int
        The block's ``(rows, columns)``.

    Returns
    -------
    numpy.ndarray
        ``(..., rows, columns)``, real, or complex where a coefficient is.
    """
    used = [coefficients[k] for k, *_ in entries]
    dtype = np.result_type(*used, float) if used else float
    grid = np.broadcast_shapes(*(c.shape for c in used)) if used else ()
    block = np.zeros(grid + shape, dtype=dtype)
    for k, rows, columns, signs in entries:
        block[..., rows, columns] += coefficients[k][..., None] * signs
    return block


def _placed_blocks(
    slots: tuple[int, ...], coefficients: list[np.ndarray], matrix: np.ndarray, places
) -> list[np.ndarray]:
    """Blocks ``sum_slot c_slot * signs``, ``(..., rows, columns)`` each, by one product of the
    coefficients with their joined entry matrix (``places``: each block's ``(offset, (rows,
    columns))`` in its columns)."""
    used = [coefficients[k] for k in slots]
    dtype = np.result_type(*used, float) if used else float
    if all(c.ndim == 0 for c in used):  # one point: no broadcasting (numpy's costs 40 us here)
        joined = np.array(used, dtype=dtype) @ matrix if used else np.zeros(matrix.shape[1], dtype)
    else:
        joined = np.stack(np.broadcast_arrays(*used), axis=-1).astype(dtype, copy=False) @ matrix
    size = joined.shape[:-1]
    return [joined[..., offset : offset + math.prod(shape)].reshape(size + shape) for offset, shape in places]


@dataclass(frozen=True)
class SectorPlan:
    """What the kernel needs of one sector, computed once.

    Attributes
    ----------
    entries : tuple of (int, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The Hamiltonian's entries per coefficient slot, ``(slot, rows, columns, signs)``
        (positions within the sector's Fock states).
    states : numpy.ndarray
        The sector's eigenstates (network indices).
    components : tuple of (numpy.ndarray, numpy.ndarray) or None
        For a sector with numeric eigenstates, each component's Fock positions and state
        positions within the sector; None where every eigenstate is a Fock state, in basis order.
    occupations : numpy.ndarray
        ``(m_fock, modes)`` occupations of its Fock states.
    """

    entries: Entries
    states: np.ndarray
    components: tuple[tuple[np.ndarray, np.ndarray], ...] | None
    occupations: np.ndarray

    def hamiltonian(self, coefficients: list[np.ndarray]) -> np.ndarray:
        """The sector's block of H, ``(..., m, m)``, over the grid axes its coefficients have.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions.

        Returns
        -------
        numpy.ndarray
            Real, or complex where a coefficient is (see :func:`place_entries`).
        """
        m = len(self.occupations)
        return place_entries(self.entries, coefficients, (m, m))

    @cached_property
    def whole(self) -> bool:
        """True when one component spans the sector with its Fock states and its eigenstates in
        order: ``U`` is then the block's ``eigh`` itself."""
        if self.components is None or len(self.components) != 1:
            return False
        fock, members = self.components[0]
        size = len(self.occupations)
        return len(fock) == size and bool(np.all(fock == np.arange(size)) and np.all(members == np.arange(size)))


@dataclass(frozen=True)
class Link:
    """One (lower sector, upper sector, lead, spin channel): the tunnelling block both directions share.

    Attributes
    ----------
    lower, upper : int
        The indices of its sectors in :attr:`TransportBlocks.sectors`.
    lead : int
        The index of its lead in :attr:`TransportBlocks.lead_names`.
    spin : sympy.Rational or None
        The S_z an electron in carries (None without spin).
    creation : tuple of (int, numpy.ndarray, numpy.ndarray, numpy.ndarray)
        ``D = sum_i t_i <b|d_i^+|a>`` as ``(amplitude slot, rows, columns, signs)`` entries
        (positions within the sectors' Fock states).
    level : int
        The charge level of the lower sector (the block sits between ``level`` and ``level + 1``).
    up_index, down_index : tuple
        Indices placing a ``(batch, m_upper, m_lower)`` block into ``up[level]`` and its
        transpose into ``down[level]`` (basic slices where the sectors' states are contiguous
        in their levels).
    """

    lower: int
    upper: int
    lead: int
    spin: sympy.Rational | None
    creation: Entries
    level: int
    up_index: tuple
    down_index: tuple


class Coefficients(list):
    """The compiled parameter expressions of one evaluation; each entry's memo key is made once.

    A list of arrays (what :meth:`TransportBlocks.coefficients` returns): the memos of the
    blocks key their values by the bytes of the entries they depend on, and six memos read
    overlapping slots, so the keys are kept per entry (64 ``tobytes`` calls of a 16-state
    model's sweep became 21).  Its entries are not to be changed in place.

    Parameters
    ----------
    arrays : iterable of numpy.ndarray
        The expressions' values, in the kernel's slot order.
    """

    __slots__ = ("_keys",)

    def __init__(self, arrays) -> None:
        super().__init__(arrays)
        self._keys: list[tuple | None] = [None] * len(self)

    def __reduce__(self):  # pickled as its arrays (a worker makes its own keys)
        return Coefficients, (list(self),)

    def keys(self, slots: Sequence[int]) -> tuple:
        """The memo keys of the entries at ``slots``.

        Parameters
        ----------
        slots : sequence of int
            Entry indices.

        Returns
        -------
        tuple
            ``(shape, dtype, bytes)`` per slot, made on first request and kept.
        """
        keys = self._keys
        for k in [k for k in slots if keys[k] is None]:
            a = self[k]
            keys[k] = (a.shape, a.dtype, a.tobytes())
        return tuple([keys[k] for k in slots])


def coefficient_keys(coefficients: list[np.ndarray], slots: Sequence[int]) -> tuple:
    """The memo keys of ``coefficients[k]`` for ``k`` in ``slots``.

    Parameters
    ----------
    coefficients : list of numpy.ndarray
        A :class:`Coefficients` (its keys are kept per entry) or any list of arrays.
    slots : sequence of int
        Entry indices.

    Returns
    -------
    tuple
        ``(shape, dtype, bytes)`` per slot: equal keys, equal values bit for bit.
    """
    if isinstance(coefficients, Coefficients):
        return coefficients.keys(slots)
    return tuple((a.shape, a.dtype, a.tobytes()) for a in (coefficients[k] for k in slots))


class _Memo:
    """The last value computed, kept while its key (the inputs' bytes) is unchanged."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._value = None

    def get(self, coefficients: list[np.ndarray], slots: Sequence[int], compute, *, also: tuple = ()):
        """``compute()``, or the kept value if the coefficients at ``slots`` (and ``also``) are unchanged."""
        key = (also,) + coefficient_keys(coefficients, slots)
        if key != self._key:
            self._value, self._key = compute(), key
        return self._value


@dataclass(frozen=True)
class SparseCreation:
    """The fixed CSR structure of one link's ``D = sum_i t_i <b|d_i^+|a>``; only its values change.

    Made once per link: a COO-to-CSR conversion sorted the entries at every evaluation (about
    0.5 ms a link, 80 ms of a 4096-state spinful model's solve).  Each row and mode has at most
    one entry, and two modes never share an entry (they add different electrons).

    Attributes
    ----------
    shape : tuple of int
        ``(m_upper, m_lower)``.
    indptr, indices : numpy.ndarray
        The CSR row pointers and column indices.
    slots : tuple of int
        The amplitude slots that enter ``D``.
    positions : numpy.ndarray
        For each stored entry (in CSR order), the position of its slot in :attr:`slots`.
    signs : numpy.ndarray
        The Jordan–Wigner sign of each stored entry.
    """

    shape: tuple[int, int]
    indptr: np.ndarray
    indices: np.ndarray
    slots: tuple[int, ...]
    positions: np.ndarray
    signs: np.ndarray

    @classmethod
    def of(cls, creation: Entries, m_upper: int, m_lower: int) -> SparseCreation:
        """The structure of ``(slot, rows, columns, signs)`` entries (a :class:`Link`'s ``creation``).

        Parameters
        ----------
        creation : tuple of (int, numpy.ndarray, numpy.ndarray, numpy.ndarray)
            The link's entries, per amplitude.
        m_upper, m_lower : int
            The sectors' numbers of Fock states.

        Returns
        -------
        SparseCreation
        """
        rows = np.concatenate([r for _, r, _, _ in creation])
        columns = np.concatenate([c for _, _, c, _ in creation])
        slots = np.concatenate([np.full(len(r), k) for k, r, _, _ in creation])
        signs = np.concatenate([np.asarray(g, dtype=float) for *_, g in creation])
        order = np.lexsort((columns, rows))
        indptr = np.searchsorted(rows[order], np.arange(m_upper + 1))
        present, positions = np.unique(slots[order], return_inverse=True)
        return cls((m_upper, m_lower), indptr, columns[order], tuple(present.tolist()), positions, signs[order])

    def matrix(self, coefficients: list[np.ndarray]) -> csr_array:
        """``D`` at scalar coefficient values.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions (0-d arrays: one grid point).

        Returns
        -------
        scipy.sparse.csr_array
            ``(m_upper, m_lower)``.
        """
        values = np.array([coefficients[k] for k in self.slots])  # complex if an amplitude is
        return csr_array((values[self.positions] * self.signs, self.indices, self.indptr), shape=self.shape)


class TransportBlocks:
    """Evaluates a network of :class:`~symbolic_pme.transport.rate_groups.TunnellingGroup` objects.

    Rates follow ``docs/conventions.md``: ``2 pi |T^alpha_ba|^2 f_alpha(E_b - E_a)`` for an
    electron in from lead alpha, ``2 pi |T^alpha_ba|^2 (1 - f_alpha)`` out (hbar = e = k_B = 1).

    Parameters
    ----------
    groups : sequence of TunnellingGroup
        The network's groups (all of one spectrum).
    arguments : sequence of sympy.Symbol
        The parameter symbols, in the order the compiled functions take them.
    """

    def __init__(self, groups: Sequence[TunnellingGroup], arguments: Sequence[sympy.Symbol]):
        self.spectrum: Spectrum = groups[0].spectrum
        spectrum = self.spectrum
        self.n_states = len(spectrum.states)
        leads = list({g.lead.name: g.lead for g in groups}.values())
        self.lead_names = tuple(lead.name for lead in leads)
        slots: dict[sympy.Expr, int] = {}

        def slot(expr: sympy.Expr) -> int:
            return slots.setdefault(sympy.sympify(expr), len(slots))

        actions = spectrum.hamiltonian.actions
        action_slots = [slot(a.coefficient) for a in actions]
        self._lead_slots = tuple(
            LeadSlots(
                slot(lead.mu), slot(lead.temperature), None if lead.band is None else tuple(slot(b) for b in lead.band)
            )
            for lead in leads
        )
        # levels: the charges, each with its states sector by sector, so that every rate block
        # is a contiguous (sliced, not fancy-indexed) part of its level blocks
        by_charge: dict[int, list[int]] = {}
        for sector in spectrum.sectors:
            by_charge.setdefault(sector.charge, []).extend(sector.states)
        self.levels = [np.array(by_charge[c], dtype=np.int64) for c in sorted(by_charge)]
        level_of = np.empty(self.n_states, dtype=np.int64)
        level_position = np.empty(self.n_states, dtype=np.int64)
        for n, members in enumerate(self.levels):
            level_of[members] = n
            level_position[members] = np.arange(len(members))
        entries = _sector_entries(spectrum, actions, action_slots)
        self._sectors = tuple(self._plan(sector, entries[k]) for k, sector in enumerate(spectrum.sectors))
        links: dict[tuple, Link] = {}
        positions: dict[tuple, int] = {}  # each key's place in links (list(links).index(key) per group was O(links^2))
        self._group_links: dict[int, int] = {}
        link_modes: list[tuple[int, ...]] = []  # each link's modes, in the order of its creation entries
        for group in groups:
            key = (group.lower.index, group.upper.index, group.lead.name, group.spin)
            if key not in links:
                creation = tuple(
                    (slot(t),) + spectrum.creation_pattern(group.lower, group.upper, mode)
                    for mode, t in group.amplitudes.items()
                )
                rows = level_position[np.array(group.upper.states)]
                columns = level_position[np.array(group.lower.states)]
                lead = self.lead_names.index(group.lead.name)
                level = int(level_of[group.lower.states[0]])
                links[key] = Link(key[0], key[1], lead, group.spin, creation, level, *_placements(rows, columns))
                link_modes.append(tuple(group.amplitudes))
                positions[key] = len(positions)
            self._group_links[id(group)] = positions[key]
        self._links = tuple(links.values())
        self._link_modes = tuple(link_modes)
        #: The spin flip of the sectors and eigenstates (None without spin, or where it does not
        #: map the sectors and the tunnelling blocks onto each other; see :mod:`.symmetry`).
        self._mirror_links: tuple[int, ...] | None = None
        self._lumped_links: tuple[LumpedLink, ...] = ()
        self.spin_flip = self._spin_flip(level_position)
        self._kernel = ExpressionKernel(list(slots), arguments)
        self._hamiltonian_slots = tuple(sorted(set(action_slots)))
        self._amplitude_slots = tuple(sorted({k for link in self._links for k, *_ in link.creation}))
        self._eigensystems, self._state_values, self._deltas, self._tunnelling = (_Memo() for _ in range(4))
        self._amplitudes, self._boltzmann = _Memo(), _Memo()
        self._creation_matrices: dict[int, SparseCreation] = {}
        self._flat_gammas, self._flat_deltas, self._flat_factors = _Memo(), _Memo(), _Memo()
        self.spin = spectrum.space.spin and any(g.spin is not None for g in groups)
        entries = sum(len(self._sectors[k.lower].states) * len(self._sectors[k.upper].states) for k in self._links)
        self._rate_entries = entries
        sizes = [len(m) for m in self.levels]
        self._work_dense = 4 * entries + self.n_states**2
        self._work_levels = 4 * entries + sum(3 * a * b + 2 * b * b for a, b in zip(sizes, sizes[1:]))
        # per level pair, the first link whose block is the whole pair (None if there is none)
        self._covering: list[int | None] = [None] * (len(self.levels) - 1)
        for k, link in enumerate(self._links):
            whole = (slice(None), slice(0, len(self.levels[link.level + 1])), slice(0, len(self.levels[link.level])))
            sliced = all(isinstance(i, slice) for i in link.up_index)
            if self._covering[link.level] is None and sliced and link.up_index == whole:
                self._covering[link.level] = k
        #: The flat layout of small models (None above ``GTH_MAX_STATES`` states).
        self.flat: FlatRates | None = None
        self._flat_spins: np.ndarray | None = None
        if self.n_states <= GTH_MAX_STATES:
            layout = [(self._sectors[k.upper].states, self._sectors[k.lower].states, k.lead) for k in self._links]
            self.flat = FlatRates(layout, self.n_states, len(leads))
            spins = [0.0 if k.spin is None else float(k.spin) for k in self._links]
            self._flat_spins = np.concatenate([np.full(len(u) * len(l_), s) for (u, l_, _), s in zip(layout, spins)])

    def _spin_flip(self, level_position: np.ndarray) -> SpinFlip | None:
        """The model's spin flip where its sectors and couplings respect it (:mod:`.symmetry`);
        ``level_position`` is each state's position within its charge level."""
        plans = self._sectors
        if not self.spectrum.space.spin or not all(p.components is None or p.whole for p in plans):
            return None
        exact = [p.components is None for p in plans]
        flip = SpinFlip.of([p.occupations for p in plans], [p.states for p in plans], exact, self.levels)
        if flip is None:
            return None
        links = [
            ((k.lower, k.upper, k.lead, k.spin), dict(zip(modes, (slot for slot, *_ in k.creation))))
            for k, modes in zip(self._links, self._link_modes)
        ]
        mirrors = couplings_symmetric(flip, links, self.spectrum.space.n_modes)
        if mirrors is None:
            return None
        # a mirror's rates are its link's elementwise where both sectors keep their state order
        # under the flip: mixed sectors (eigenstate k <-> k) and exact ones the flip leaves in place
        in_order = [
            p.components is not None or np.array_equal(m, np.arange(len(m))) for p, m in zip(plans, flip.fock_maps)
        ]
        self._mirror_links = tuple(
            m if in_order[link.lower] and in_order[link.upper] else k
            for k, (link, m) in enumerate(zip(self._links, mirrors))
        )
        self._lumped_links = lumped_links(
            flip,
            [
                (k.level, level_position[plans[k.lower].states], level_position[plans[k.upper].states])
                for k in self._links
            ],
        )
        return flip

    def _plan(self, sector: Sector, entries: Entries) -> SectorPlan:
        spectrum, space = self.spectrum, self.spectrum.space
        positions = np.array(sector.fock_positions, dtype=np.int64)
        states = np.array(sector.states, dtype=np.int64)
        components = None
        if not all(spectrum.states[s].exact for s in sector.states):
            by_component: dict[int, list[int]] = {}
            for local, s in enumerate(sector.states):
                by_component.setdefault(spectrum.states[s].component, []).append(local)
            components = tuple(
                (
                    np.searchsorted(positions, space.positions_of(np.array(spectrum.components[c].fock_states))),
                    np.array(members),
                )
                for c, members in by_component.items()
            )
        bits = space.state_array[positions][:, None] >> (space.n_modes - 1 - np.arange(space.n_modes))[None, :]
        return SectorPlan(entries, states, components, (bits & 1).astype(float))

    @property
    def expressions(self) -> tuple[sympy.Expr, ...]:
        """The compiled parameter expressions, in the order of :meth:`coefficients` (their slots)."""
        return tuple(self._kernel.expressions)

    @property
    def lead_slots(self) -> tuple[LeadSlots, ...]:
        """Per lead (in the order of :attr:`lead_names`), the slots of its mu, T and band edges."""
        return self._lead_slots

    @property
    def hamiltonian_slots(self) -> tuple[int, ...]:
        """The slots of the Hamiltonian's coefficients (what the eigensystems depend on)."""
        return self._hamiltonian_slots

    @property
    def amplitude_slots(self) -> tuple[int, ...]:
        """The slots of the lead coupling amplitudes (what ``|T|^2`` depends on besides the eigenvectors)."""
        return self._amplitude_slots

    @property
    def sectors(self) -> tuple[SectorPlan, ...]:
        """The plans of the spectrum's sectors, in the order of ``spectrum.sectors``."""
        return self._sectors

    @property
    def links(self) -> tuple[Link, ...]:
        """The tunnelling blocks, in the order of the per-link lists of :meth:`rates`."""
        return self._links

    @property
    def flat_spins(self) -> np.ndarray | None:
        """The S_z each entry of the flat layout carries in (``(K,)``; None without a flat layout)."""
        return self._flat_spins

    @property
    def quantities(self) -> tuple[str, ...]:
        """The quantities whose currents :meth:`currents` returns."""
        return (CHARGE, ENERGY, HEAT) + ((SPIN,) if self.spin else ())

    def link_of(self, group: TunnellingGroup) -> int:
        """Index of the tunnelling block a group uses.

        Parameters
        ----------
        group : TunnellingGroup
            One of the groups the blocks were built from.

        Returns
        -------
        int
            The index of its link (its position in the per-link lists of :meth:`rates`).
        """
        return self._group_links[id(group)]

    def work_per_point(self, *, dense: bool) -> int:
        """Numbers held per grid point while a chunk is solved.

        Parameters
        ----------
        dense : bool
            True for a dense solve (the generator), False for block elimination (the level
            blocks).

        Returns
        -------
        int
            Rates in and out with two temporaries per link, plus the level blocks (or the dense
            generator).
        """
        return self._work_dense if dense else self._work_levels

    def escape_rates(self, rates_in: list[np.ndarray], rates_out: list[np.ndarray], batch: int) -> np.ndarray:
        """Total rate out of each state (its lifetime broadening, hbar = 1).

        Parameters
        ----------
        rates_in : list of numpy.ndarray
            Per link, rates lower -> upper, ``(batch, m_upper, m_lower)`` (from :meth:`rates`).
        rates_out : list of numpy.ndarray
            Per link, rates upper -> lower in the same layout.
        batch : int
            Number of grid points.

        Returns
        -------
        numpy.ndarray
            ``(batch, n)``.
        """
        escape = np.zeros((batch, self.n_states))
        for link, r_in, r_out in zip(self._links, rates_in, rates_out):
            escape[:, self._sectors[link.lower].states] += r_in.sum(axis=1)
            escape[:, self._sectors[link.upper].states] += r_out.sum(axis=2)
        return escape

    # ----------------------------------------------------------------------------- stages
    def coefficients(self, values: Mapping[sympy.Symbol, np.ndarray]) -> Coefficients:
        """Every compiled parameter expression.

        Parameters
        ----------
        values : mapping of sympy.Symbol to numpy.ndarray
            Parameter values by symbol (arrays that broadcast).

        Returns
        -------
        Coefficients
            A list of arrays: the Hamiltonian's coefficients and the leads' mu, T, band edges and
            amplitudes, each broadcastable to the grid.
        """
        return Coefficients(v if type(v) is np.ndarray else np.asarray(v) for v in self._kernel(values))

    def eigensystems(self, coefficients: list[np.ndarray]) -> Eigensystems:
        """Eigensystem of every sector; kept while the Hamiltonian's coefficients are unchanged.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        Eigensystems
            A list: ``[(energies (..., m), U (..., m_fock, m) or None)]`` per sector; None where
            every eigenstate is a Fock state (in basis order).  Its ``flip_symmetric`` says
            whether they respect the spin flip (:mod:`.symmetry`).
        """
        return self._eigensystems.get(
            coefficients, self._hamiltonian_slots, lambda: self._compute_eigensystems(coefficients)
        )

    def _compute_eigensystems(self, coefficients: list[np.ndarray]) -> Eigensystems:
        """Every sector's eigensystem (:mod:`.symmetry`): a mixed sector whose flip image came
        first and whose block is the image's with the Fock states mapped takes the image's, and a
        mixed sector of S_z = 0 that commutes with the flip is diagonalized by its even and odd
        parts."""
        flip, systems, blocks = self.spin_flip, Eigensystems(), {}
        systems.flip_symmetric = flip is not None
        if flip is None:  # no images to look up (a spinless model or a field): each sector alone
            systems.extend(map(self._eigensystem, self._sectors, self.hamiltonians(coefficients)))
            return systems
        for s, (plan, h) in enumerate(zip(self._sectors, self.hamiltonians(coefficients))):
            blocks[s] = h
            image = None if plan.components is None else flip.partners[s]
            if image is not None and image < s and flipped_hamiltonian_matches(h, blocks[image], flip.fock_maps[s]):
                energies, vectors = systems[image]
                systems.append((energies.copy(), vectors[..., flip.fock_maps[s], :]))
            elif image == s and flipped_hamiltonian_matches(h, h, flip.fock_maps[s]):
                systems.append(flip_symmetric_eigensystem(h, flip.fock_maps[s]))
            else:
                systems.flip_symmetric &= image is None or image > s  # an image's own eigh is fine
                systems.append(self._eigensystem(plan, h))
            if flip.partners[s] <= s:  # no later sector needs this block
                del blocks[s]
        return systems

    def hamiltonians(self, coefficients: list[np.ndarray]) -> list[np.ndarray]:
        """Every sector's block of H in its Fock states, ``(..., m, m)``, the grid axes its coefficients have.

        The blocks of the sectors of at most :data:`SMALL_BLOCK` states come from one product
        (one per sector cost a list, a dtype and a product each: 60 us of a 16-state model's
        cold sweep), larger ones from :meth:`SectorPlan.hamiltonian`.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        list of numpy.ndarray
            In the order of :attr:`sectors`; real, or complex where a coefficient is.
        """
        slots, matrix, places = self._small_hamiltonian_entries
        small = dict(zip(places, _placed_blocks(slots, coefficients, matrix, places.values()))) if places else {}
        return [small[s] if s in small else plan.hamiltonian(coefficients) for s, plan in enumerate(self._sectors)]

    @cached_property
    def _small_hamiltonian_entries(self) -> tuple[tuple[int, ...], np.ndarray, dict[int, tuple]]:
        """:func:`joined_entries` of the sectors of at most :data:`SMALL_BLOCK` states."""
        sizes = [len(plan.occupations) for plan in self._sectors]
        return joined_entries(
            {s: (plan.entries, (m, m)) for s, (plan, m) in enumerate(zip(self._sectors, sizes)) if m <= SMALL_BLOCK}
        )

    @cached_property
    def _small_link_entries(self) -> tuple[tuple[int, ...], np.ndarray, dict[int, tuple]]:
        """:func:`joined_entries` of the links' ``D`` blocks of at most :data:`SMALL_BLOCK` states on
        either side."""
        sizes = [len(plan.occupations) for plan in self._sectors]
        shapes = [(sizes[link.upper], sizes[link.lower]) for link in self._links]
        return joined_entries(
            {
                index: (link.creation, shape)
                for index, (link, shape) in enumerate(zip(self._links, shapes))
                if max(shape) <= SMALL_BLOCK
            }
        )

    @staticmethod
    def _eigensystem(plan: SectorPlan, h: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """``(energies, U or None)`` of one sector from its Hamiltonian block ``h``."""
        if h.dtype.kind == "c" and not h.imag.any():
            h = h.real
        if plan.components is None:  # one Fock state per eigenstate, in the same (basis) order
            diagonal = h.diagonal(0, -2, -1)
            return (diagonal.real if diagonal.dtype.kind == "c" else diagonal).copy(), None
        if plan.whole:  # one component, in basis and energy order: no gather, no scatter
            return eigensystems.eigh(h)
        m, shape = len(plan.occupations), h.shape[:-2]
        energies = np.empty(shape + (m,))
        vectors = np.zeros(shape + (m, m), dtype=h.dtype)
        for fock, members in plan.components:
            values, eigenvectors = eigensystems.eigh(h[..., fock[:, None], fock[None, :]])
            energies[..., members] = values
            vectors[..., fock[:, None], members[None, :]] = eigenvectors
        return energies, vectors

    def tunnelling_rates(self, coefficients: list[np.ndarray]) -> list[np.ndarray]:
        """``2 pi |T|^2`` per link, in the eigenbasis.

        Kept while the Hamiltonian's and the amplitudes' coefficients are unchanged.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        list of numpy.ndarray
            ``(..., m_upper, m_lower)`` per link.
        """
        slots = self._hamiltonian_slots + self._amplitude_slots
        return self._tunnelling.get(coefficients, slots, lambda: self._tunnelling_rates(coefficients))

    def tunnelling_amplitudes(self, coefficients: list[np.ndarray]) -> list[np.ndarray]:
        """Many-body tunnelling amplitudes ``T^alpha_ba = <b| sum_i t_i d_i^+ |a>`` per link, in the eigenbasis.

        ``U_b^+ D U_a`` (``docs/conventions.md``); what the coherent kernels of
        :mod:`~symbolic_pme.numeric.coherent` need besides the energies.  Kept while the
        Hamiltonian's and the amplitudes' coefficients are unchanged.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        list of numpy.ndarray
            ``(..., m_upper, m_lower)`` per link, real or complex.
        """
        slots = self._hamiltonian_slots + self._amplitude_slots
        return self._amplitudes.get(coefficients, slots, lambda: self._tunnelling_amplitudes(coefficients))

    def _tunnelling_rates(self, coefficients: list[np.ndarray]) -> list[np.ndarray]:
        # the amplitudes themselves are not kept: a Pauli solve needs only their moduli, and
        # keeping both would hold a complex copy of every block (38 MiB more at 4096 states)
        # a link's mirror (see .symmetry) has the same |T|^2 in the same eigenstate order: with
        # flip-symmetric eigensystems T' = +-T (signs per eigenstate of S_z = 0), so it is read, not made
        mirrors = self.mirror_links(coefficients)
        rates: list[np.ndarray] = []
        for index, d in enumerate(self._tunnelling_amplitudes(coefficients, mirrors=mirrors)):
            if d is None:
                rates.append(rates[mirrors[index]])
                continue
            # a real block is squared in place (it is this call's own array): no temporaries
            rate = modulus_squared(d) if np.iscomplexobj(d) else np.multiply(d, d, out=d)
            rate *= 2 * np.pi
            rates.append(rate)
        return rates

    def mirror_links(self, coefficients: list[np.ndarray]) -> tuple[int, ...] | None:
        """Per link, the earlier link with the same rates by the spin flip (its own index if none).

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        tuple of int or None
            None unless the model's couplings and these eigensystems respect the flip
            (:mod:`.symmetry`); then a link ``k`` with ``mirrors[k] < k`` has the rates of link
            ``mirrors[k]``, in both directions, and its energy differences, elementwise in
            eigenstate order.
        """
        if self._mirror_links is None or not self.eigensystems(coefficients).flip_symmetric:
            return None
        return self._mirror_links

    def _tunnelling_amplitudes(
        self, coefficients: list[np.ndarray], *, mirrors: tuple[int, ...] | None = None
    ) -> list[np.ndarray | None]:
        """``T = U_b^+ D U_a`` per link; None for a link whose ``mirrors`` entry is an earlier link."""
        systems = self.eigensystems(coefficients)
        # the D of the small links from one product (one each cost a list, a dtype and a product)
        slots, matrix, places = self._small_link_entries
        small = dict(zip(places, _placed_blocks(slots, coefficients, matrix, places.values()))) if places else {}
        result: list[np.ndarray | None] = []
        for index, link in enumerate(self._links):
            if mirrors is not None and mirrors[index] < index:
                result.append(None)
                continue
            m_upper, m_lower = len(self._sectors[link.upper].occupations), len(self._sectors[link.lower].occupations)
            u_upper, u_lower = systems[link.upper][1], systems[link.lower][1]
            if (
                u_lower is not None
                and m_lower >= SPARSE_MIN_STATES
                and all(coefficients[k].ndim == 0 for k, *_ in link.creation)
            ):
                # D has at most one entry per row and mode: a sparse product costs nnz(D) m_a, not
                # the m_b m_a^2 of a dense GEMM (and a Python gather of rows of U_a was slower still);
                # below SPARSE_MIN_STATES, making the sparse matrix costs more than the GEMM
                sparse = self._creation_matrix(index, m_upper, m_lower).matrix(coefficients)
                stacked = np.moveaxis(u_lower, -2, 0)  # (m_a, ..., m_a): U_a of every grid point side by side
                d = np.moveaxis((sparse @ stacked.reshape(m_lower, -1)).reshape((m_upper,) + stacked.shape[1:]), 0, -2)
            else:
                d = small[index] if index in small else place_entries(link.creation, coefficients, (m_upper, m_lower))
                if u_lower is not None:
                    d = d @ u_lower
            if u_upper is not None:
                adjoint = np.swapaxes(u_upper, -1, -2)  # a view; conjugating a real U would copy it
                d = (np.conj(adjoint) if np.iscomplexobj(adjoint) else adjoint) @ d
            result.append(d)
        return result

    def _creation_matrix(self, index: int, m_upper: int, m_lower: int) -> SparseCreation:
        """The CSR structure of link ``index``'s ``D``, made on first use and kept."""
        if index not in self._creation_matrices:
            self._creation_matrices[index] = SparseCreation.of(self._links[index].creation, m_upper, m_lower)
        return self._creation_matrices[index]

    def rates(
        self, coefficients: list[np.ndarray], shape: tuple[int, ...]
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Golden-rule rates of every link, in both directions.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.
        shape : tuple of int
            The grid shape (of the chunk).

        Returns
        -------
        rates_in : list of numpy.ndarray
            Per link, rates lower -> upper (an electron in from the lead),
            ``(batch, m_upper, m_lower)``.
        rates_out : list of numpy.ndarray
            Per link, rates upper -> lower in the same layout.
        deltas : list of numpy.ndarray
            Per link, ``E_upper - E_lower`` (broadcastable to ``shape + (m_upper, m_lower)``).
        """
        gammas = self.tunnelling_rates(coefficients)
        deltas = self.energy_differences(coefficients)
        mirrors = self.mirror_links(coefficients)
        factors = self.boltzmann_factors(coefficients)
        batch = math.prod(shape)
        rates_in: list[np.ndarray] = []
        rates_out: list[np.ndarray] = []
        for k, (link, gamma, delta) in enumerate(zip(self._links, gammas, deltas)):
            if mirrors is not None and mirrors[k] < k:  # the same lead, |T|^2 and energies
                rates_in.append(rates_in[mirrors[k]])
                rates_out.append(rates_out[mirrors[k]])
                continue
            mu_slot, t_slot, band = self._lead_slots[link.lead]
            chemical = (
                None if factors[k] is None else chemical_factor(coefficients[mu_slot], float(coefficients[t_slot]))
            )
            if chemical is not None:  # exp(E/T) kept: one product per rate
                chemical = np.broadcast_to(chemical, shape).reshape(batch, 1, 1)
                block = gamma.shape[-2:]
                weight, boltzmann = (
                    a if a.ndim == 2 else _batched(a, shape, block, batch) for a in (gamma, factors[k])
                )
                entering, leaving = golden_rule_pair_factored(weight, boltzmann, chemical)
                rates_in.append(entering)
                rates_out.append(leaving)
                continue
            x = delta - coefficients[mu_slot][..., None, None]
            temperature = coefficients[t_slot][..., None, None]
            if band is not None:
                low, high = (coefficients[b][..., None, None] for b in band)
                gamma = gamma * ((delta >= low) & (delta <= high))
            block = gamma.shape[-2:]
            entering, leaving = golden_rule_pair(gamma, x, temperature)
            rates_in.append(_batched(entering, shape, block, batch))
            rates_out.append(_batched(leaving, shape, block, batch))
        return rates_in, rates_out, deltas

    def boltzmann_factors(self, coefficients: list[np.ndarray]) -> list[np.ndarray | None]:
        """``exp((E_upper - E_lower)/T)`` per link, where the golden rule may use it as a factor.

        Kept while the Hamiltonian's coefficients and the temperatures are unchanged (a bias
        sweep: see :func:`~.functions.golden_rule_pair_factored`).

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        list of numpy.ndarray or None
            ``(..., m_upper, m_lower)`` per link (the energies' grid axes); None where the lead's
            temperature changes along the grid or is not positive, the lead has band edges,
            ``|E/T|`` exceeds :data:`~.functions.FACTOR_LIMIT`, or the link is a mirror (its
            rates are read, see :meth:`mirror_links`).  All None for a model whose factors
            would hold more than :data:`FACTOR_MEMORY` (they are kept beside the energy
            differences: at 16 384 spinless states 570 MiB more for a single solve).
        """
        if self._rate_entries * 8 > FACTOR_MEMORY:
            return [None] * len(self._links)

        def compute() -> list[np.ndarray | None]:
            deltas, mirrors = self.energy_differences(coefficients), self.mirror_links(coefficients)
            factors: list[np.ndarray | None] = []
            for k, (link, delta) in enumerate(zip(self._links, deltas)):
                _, t_slot, band = self._lead_slots[link.lead]
                usable = band is None and (mirrors is None or mirrors[k] == k)
                factors.append(boltzmann_factor(delta, coefficients[t_slot]) if usable else None)
            return factors

        return self._boltzmann.get(coefficients, self._hamiltonian_slots + self._temperature_slots, compute)

    def energy_differences(self, coefficients: list[np.ndarray]) -> list[np.ndarray]:
        """``E_upper - E_lower`` per link; kept while the Hamiltonian's coefficients are unchanged.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        list of numpy.ndarray
            ``(..., m_upper, m_lower)`` per link.
        """

        def compute() -> list[np.ndarray]:
            systems, mirrors = self.eigensystems(coefficients), self.mirror_links(coefficients)
            deltas: list[np.ndarray] = []
            for k, link in enumerate(self._links):
                if mirrors is not None and mirrors[k] < k:  # the same energies, in the same order
                    deltas.append(deltas[mirrors[k]])
                else:
                    deltas.append(systems[link.upper][0][..., :, None] - systems[link.lower][0][..., None, :])
            return deltas

        return self._deltas.get(coefficients, self._hamiltonian_slots, compute)

    def flat_rates(
        self, coefficients: list[np.ndarray], shape: tuple[int, ...], *, out: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Rates of every transition of a small model in the :class:`FlatRates` layout.

        Each factor keeps the grid axes it depends on (energies and ``|T|^2`` not those of the
        bias) until the evaluation of the Fermi functions, one call per lead.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.
        shape : tuple of int
            The grid shape (of the chunk).
        out : numpy.ndarray, optional
            A reused ``(2K, batch)`` buffer for the rates.

        Returns
        -------
        rates : numpy.ndarray
            ``(2K, batch)`` in the :class:`FlatRates` order (entering, then leaving).
        delta : numpy.ndarray
            The entries' ``E_upper - E_lower``, ``(K,)`` plus the grid axes the energies depend
            on (length one along the others).
        """
        flat, batch, ndim = self.flat, math.prod(shape), len(shape)

        def deltas() -> np.ndarray:
            energies = self.state_values(coefficients)[ENERGY]
            return _entry_major(energies[..., flat.upper] - energies[..., flat.lower], ndim)

        # kept entry-major for this number of grid axes (the layout depends on it)
        delta = self._flat_deltas.get(coefficients, self._hamiltonian_slots, deltas, also=(ndim,))
        gamma = self._flat_gammas.get(
            coefficients,
            self._hamiltonian_slots + self._amplitude_slots,
            lambda: _entry_major(flat.concatenate(self.tunnelling_rates(coefficients)), ndim),
            also=(ndim,),
        )
        size = len(flat.upper)
        rates = (np.empty((2 * size, batch)) if out is None else out).reshape((2 * size,) + shape)
        factors = self._flat_factors.get(
            coefficients,
            self._hamiltonian_slots + self._temperature_slots,
            lambda: self._flat_boltzmann(delta, coefficients),
            also=(ndim,),
        )
        for (t_slot, leads, entries), factor in zip(self._flat_temperature_runs, factors):
            weight = gamma[entries]
            if factor is not None and self._flat_factored(coefficients, t_slot, leads, entries, factor, rates):
                entering, leaving = rates[entries], rates[size + entries.start : size + entries.stop]
                np.add(leaving, 1.0, out=entering)
                np.divide(weight, entering, out=entering)
                np.multiply(entering, leaving, out=leaving)
                continue
            for lead in leads:
                mu_slot, _, band = self._lead_slots[lead]
                own = flat.lead_entries[lead]
                # written in place: x = delta - mu in the leaving rows, then both rates over it
                np.subtract(delta[own], coefficients[mu_slot], out=rates[size + own.start : size + own.stop])
                if band is not None:  # (a run with band edges has one lead)
                    low, high = coefficients[band[0]], coefficients[band[1]]
                    weight = weight * ((delta[own] >= low) & (delta[own] <= high))
            leaving = rates[size + entries.start : size + entries.stop]
            golden_rule_pair(weight, leaving, coefficients[t_slot], out=(rates[entries], leaving))
        return rates.reshape(2 * size, batch), delta

    def _flat_boltzmann(self, delta: np.ndarray, coefficients: list[np.ndarray]) -> list[np.ndarray | None]:
        """Per temperature run of the flat layout, ``exp(delta/T)`` of its entries (with the grid
        axes of the energies), where ``T`` is one positive number, the run has no band edges and
        ``|delta/T| <= FACTOR_LIMIT`` (see :func:`~.functions.golden_rule_pair_factored`).  The
        choice does not depend on how the grid is chunked, except where some ``|delta/T|`` or
        ``|mu/T|`` exceeds the limit."""
        factors: list[np.ndarray | None] = []
        for t_slot, leads, entries in self._flat_temperature_runs:
            usable = all(self._lead_slots[lead][2] is None for lead in leads)
            factors.append(boltzmann_factor(delta[entries], coefficients[t_slot]) if usable else None)
        return factors

    def _flat_factored(
        self, coefficients: list[np.ndarray], t_slot: int, leads: list[int], entries: slice, factor, rates
    ) -> bool:
        """Write ``z = exp(delta/T) exp(-mu/T)`` into the leaving rows of a temperature run; False
        (nothing written) where some ``|mu/T|`` exceeds :data:`~.functions.FACTOR_LIMIT`."""
        temperature, size = float(coefficients[t_slot]), len(self.flat.upper)
        chemical = [chemical_factor(coefficients[self._lead_slots[lead][0]], temperature) for lead in leads]
        if any(c is None for c in chemical):
            return False
        for lead, c in zip(leads, chemical):
            own = self.flat.lead_entries[lead]
            local = slice(own.start - entries.start, own.stop - entries.start)
            np.multiply(factor[local], c, out=rates[size + own.start : size + own.stop])
        return True

    @cached_property
    def _temperature_slots(self) -> tuple[int, ...]:
        """The slots of the leads' temperatures."""
        return tuple(sorted({t_slot for _, t_slot, _ in self._lead_slots}))

    @cached_property
    def _flat_temperature_runs(self) -> list[tuple[int, list[int], slice]]:
        """Consecutive leads of one temperature and no band edges, whose rates are one
        :func:`golden_rule_pair` call (NumPy's per-call overhead is most of a small model's
        sweep): ``[(temperature slot, leads, their entries)]``; a lead with band edges is a run
        of its own."""
        runs: list[tuple[int, list[int], slice]] = []
        for lead, ((_, t_slot, band), entries) in enumerate(zip(self._lead_slots, self.flat.lead_entries)):
            last = runs[-1] if runs else None
            joins = last is not None and last[0] == t_slot and band is None
            joins = joins and self._lead_slots[last[1][-1]][2] is None and last[2].stop == entries.start
            if joins:
                runs[-1] = (t_slot, last[1] + [lead], slice(last[2].start, entries.stop))
            else:
                runs.append((t_slot, [lead], entries))
        return runs

    def flat_currents(
        self,
        coefficients: list[np.ndarray],
        rates: np.ndarray,
        delta: np.ndarray,
        probabilities: np.ndarray,
        shape: tuple[int, ...],
        *,
        conserve: bool,
        work: np.ndarray | None = None,
    ) -> dict[str, np.ndarray]:
        """:meth:`currents` of a small model, from :meth:`flat_rates`.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.
        rates : numpy.ndarray
            ``(2K, batch)``, from :meth:`flat_rates`.
        delta : numpy.ndarray
            The entries' ``E_upper - E_lower``, from :meth:`flat_rates`.
        probabilities : numpy.ndarray
            ``(n, batch)``.
        shape : tuple of int
            The grid shape (of the chunk).
        conserve : bool
            Remove the rounding residual of the conservation laws (a steady state), as in
            :meth:`currents`.
        work : numpy.ndarray, optional
            A reused ``(2K, batch)`` buffer for the flows.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{quantity: (leads, batch)}``, positive from the lead into the system.
        """
        size = len(delta)
        if delta.size == size:  # the same energies at every point: kept (K, 1)
            delta = delta.reshape(size, 1)
        else:
            delta = np.broadcast_to(delta, (size,) + shape).reshape(size, -1)
        charge, energy, gross = self.flat.currents(rates, delta, probabilities, work=work)
        net = {CHARGE: charge, ENERGY: energy}
        if self.spin:
            spins = np.concatenate([self._flat_spins, self._flat_spins])
            net[SPIN] = (self.flat.signs * spins) @ (rates * probabilities[self.flat.source])
        return self._completed(net, gross, coefficients, shape, conserve=conserve)

    def state_values(self, coefficients: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Energies, charges, S_z and mode occupations of every state.

        Kept while the Hamiltonian's coefficients are unchanged.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{"energy", "charge"[, "spin"], "n_<mode>"...: (..., n)}``.
        """
        return self._state_values.get(
            coefficients, self._hamiltonian_slots, lambda: self._compute_state_values(coefficients)
        )

    @cached_property
    def _fixed_state_values(self) -> dict[str, np.ndarray]:
        """Charge (and S_z) of every state: the same at all parameters (each distinct S_z, a
        sympy.Rational, converted once: 4096 conversions took 10-20 ms)."""
        states, space = self.spectrum.states, self.spectrum.space
        values = {CHARGE: np.array([float(s.charge) for s in states])}
        if space.spin:
            as_float = {sz: float(sz) for sz in {s.sz for s in states if s.sz is not None}}
            values[SPIN] = np.array([as_float[s.sz] if s.sz is not None else np.nan for s in states])
        for array in values.values():
            array.setflags(write=False)  # shared by every evaluation
        return values

    def _compute_state_values(self, coefficients: list[np.ndarray]) -> dict[str, np.ndarray]:
        space = self.spectrum.space
        systems = self.eigensystems(coefficients)
        order, fock_occupations = self._state_order
        if all(e.ndim == 1 for e, _ in systems):  # one eigensystem (a bias sweep): no broadcasting
            shape = ()
            energies = np.concatenate([e for e, _ in systems])[order]
        else:
            shape = np.broadcast_shapes(*(e.shape[:-1] for e, _ in systems))
            energies = np.concatenate([np.broadcast_to(e, shape + e.shape[-1:]) for e, _ in systems], axis=-1)
            energies = energies[..., order]
        # the Fock sectors' occupations are the same at every point: a kept copy, the others' |U|^2
        occupations = broadcast(fock_occupations, shape + fock_occupations.shape).copy()
        for plan, (_, u) in zip(self._sectors, systems):
            if u is not None:
                weights = u.real * u.real + u.imag * u.imag if u.dtype.kind == "c" else u * u
                occupations[..., plan.states, :] = np.swapaxes(weights, -1, -2) @ plan.occupations
        values = {ENERGY: energies, **self._fixed_state_values}
        for m, name in enumerate(space.modes):
            values[f"n_{name}"] = occupations[..., m]
        return values

    @cached_property
    def _state_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Where each state sits among the sectors' states one after the other, and the mode
        occupations of the states of Fock sectors ``(n, modes)`` (zeros for the others)."""
        states = np.concatenate([plan.states for plan in self._sectors])
        order = np.empty(self.n_states, dtype=np.int64)
        order[states] = np.arange(self.n_states)
        fock = np.zeros((self.n_states, self.spectrum.space.n_modes))
        for plan in self._sectors:
            if plan.components is None:
                fock[plan.states] = plan.occupations
        return order, fock

    # ----------------------------------------------------------------------------- generator and solve
    def level_blocks(
        self, rates_in: list[np.ndarray], rates_out: list[np.ndarray], batch: int, *, work: Workspace | None = None
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Rate blocks between neighbouring charge levels, for block elimination.

        Parameters
        ----------
        rates_in : list of numpy.ndarray
            Per link, rates lower -> upper, ``(batch, m_upper, m_lower)`` (from :meth:`rates`).
        rates_out : list of numpy.ndarray
            Per link, rates upper -> lower in the same layout.
        batch : int
            Number of grid points.
        work : Workspace, optional
            Where to keep the blocks between calls (a fresh set costs page faults on every
            chunk); the blocks are then valid until the next call with the same workspace.

        Returns
        -------
        up : list of numpy.ndarray
            ``up[N]`` ``(batch, m_{N+1}, m_N)``: rates N -> N+1.
        down : list of numpy.ndarray
            ``down[N]`` ``(batch, m_N, m_{N+1})``: rates N+1 -> N.
        """
        sizes = [len(m) for m in self.levels]
        up, down = [], []
        for n in range(len(sizes) - 1):
            for blocks, shape, name in (
                (up, (batch, sizes[n + 1], sizes[n]), "up"),
                (down, (batch, sizes[n], sizes[n + 1]), "down"),
            ):
                covered = self._covering[n] is not None  # one link covering the pair whole overwrites it
                if work is not None:
                    block = work.array(f"{name} {n}", shape)
                    if not covered:
                        block.fill(0.0)
                else:  # np.zeros takes pages the system zeroed: no pass over blocks that stay zero
                    block = np.empty(shape) if covered else np.zeros(shape)
                blocks.append(block)
        for k, (link, r_in, r_out) in enumerate(zip(self._links, rates_in, rates_out)):
            if self._covering[link.level] == k:
                up[link.level][...] = r_in
                down[link.level][...] = np.swapaxes(r_out, -1, -2)
            else:
                up[link.level][link.up_index] += r_in
                down[link.level][link.down_index] += np.swapaxes(r_out, -1, -2)
        return up, down

    def level_steady_state(
        self,
        coefficients: list[np.ndarray],
        rates_in: list[np.ndarray],
        rates_out: list[np.ndarray],
        batch: int,
        *,
        work: Workspace | None = None,
    ) -> list[np.ndarray]:
        """The steady state by block elimination down the charge levels (:func:`.solver.steady_state_levels`).

        Where the spin flip holds (the couplings and these eigensystems respect it, see
        :mod:`.symmetry`) the chain lumped on the orbits ``{a, pi a}`` is solved instead: its
        level blocks, about half as large, are made straight from the links whose lower states
        are orbits' first states, and each orbit's weight is shared by its states.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.
        rates_in, rates_out : list of numpy.ndarray
            Per link, from :meth:`rates`.
        batch : int
            Number of grid points.
        work : Workspace, optional
            Where to keep the full level blocks between calls (see :meth:`level_blocks`).

        Returns
        -------
        list of numpy.ndarray
            ``[P_0, P_1, ...]``, each ``(batch, m_N)`` in level order.

        Raises
        ------
        numpy.linalg.LinAlgError
            Where a level block is singular (see :func:`.solver.steady_state_levels`).
        """
        flip = self.spin_flip
        if flip is not None and self.eigensystems(coefficients).flip_symmetric:
            lumped = lumped_level_blocks(rates_in, rates_out, self._lumped_links, flip)
            return expanded_levels(steady_state_levels(*lumped), flip)
        return steady_state_levels(*self.level_blocks(rates_in, rates_out, batch, work=work))

    def generator(self, rates_in: list[np.ndarray], rates_out: list[np.ndarray], batch: int) -> np.ndarray:
        """Dense generators (for small models and inspection).

        Parameters
        ----------
        rates_in : list of numpy.ndarray
            Per link, rates lower -> upper, ``(batch, m_upper, m_lower)`` (from :meth:`rates`).
        rates_out : list of numpy.ndarray
            Per link, rates upper -> lower in the same layout.
        batch : int
            Number of grid points.

        Returns
        -------
        numpy.ndarray
            ``(batch, n, n)``, ``W[..., j, i]`` = rate i -> j, columns summing to zero.
        """
        n = self.n_states
        w = np.zeros((batch, n, n))
        for link, r_in, r_out in zip(self._links, rates_in, rates_out):
            lower, upper = self._sectors[link.lower].states, self._sectors[link.upper].states
            w[:, upper[:, None], lower[None, :]] += r_in
            w[:, lower[:, None], upper[None, :]] += np.swapaxes(r_out, -1, -2)
        index = np.arange(n)
        w[:, index, index] = -w.sum(axis=1)
        return w

    @cached_property
    def _link_spins(self) -> tuple[float | None, ...]:
        """Each link's :attr:`Link.spin` as a float (a sympy.Rational's conversion took microseconds
        per link and sweep)."""
        return tuple(None if link.spin is None else float(link.spin) for link in self._links)

    def currents(
        self,
        coefficients: list[np.ndarray],
        rates: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]],
        probabilities: np.ndarray,
        shape: tuple[int, ...],
        *,
        conserve: bool,
    ) -> dict[str, np.ndarray]:
        """Particle, energy, heat (and S_z) currents of each lead, ``{quantity: (leads, batch)}``.

        Each lead's current is summed over its own blocks (jumps through that lead only), so a
        weakly coupled lead's small current is not the difference of large totals.  With
        ``conserve`` (a steady state), the rounding residual of ``sum_lead I = 0`` (and of
        ``sum J = 0`` and, where H conserves S_z, of the spin currents) is removed in proportion
        to each lead's gross particle flux (in plus out): the leads whose fluxes are large carry
        the rounding error, a weakly coupled lead keeps its own accurate value.  The heat current
        is ``Q = J - mu I`` of the corrected currents, so ``sum_lead (Q + mu I) = 0`` holds too.
        Signs as in ``docs/conventions.md``: positive from the lead into the dot.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`coefficients`.
        rates : (list of numpy.ndarray, list of numpy.ndarray, list of numpy.ndarray)
            ``(rates_in, rates_out, deltas)``, from :meth:`rates`.
        probabilities : numpy.ndarray
            ``(batch, n)``.
        shape : tuple of int
            The grid shape (of the chunk).
        conserve : bool
            Remove the rounding residual of the conservation laws (a steady state).

        Returns
        -------
        dict of str to numpy.ndarray
            ``{quantity: (leads, batch)}`` in the order of :attr:`quantities`.
        """
        rates_in, rates_out, deltas = rates
        batch = probabilities.shape[0]
        leads = len(self.lead_names)
        net = {q: np.zeros((leads, batch)) for q in self.quantities}
        gross = np.zeros((leads, batch))
        # each sector's probabilities gathered once (a sector has many links)
        sectors = [probabilities[:, plan.states] for plan in self._sectors]
        for link, spin, r_in, r_out, delta in zip(self._links, self._link_spins, rates_in, rates_out, deltas):
            lower, upper = sectors[link.lower], sectors[link.upper]
            # flows summed state by state: sum_ij r_ij P_j = sum_j P_j (sum_i r_ij)
            charge_in = np.einsum("bj,bj->b", lower, r_in.sum(axis=1))
            charge_out = np.einsum("bi,bi->b", upper, r_out.sum(axis=2))
            if delta.ndim == 2:  # one eigensystem: the same energies at every point
                energy_in = np.einsum("bj,bij,ij->b", lower, r_in, delta)
                energy_out = np.einsum("bi,bij,ij->b", upper, r_out, delta)
            else:
                delta = _batched(delta, shape, delta.shape[-2:], batch)
                energy_in = np.einsum("bj,bij,bij->b", lower, r_in, delta)
                energy_out = np.einsum("bi,bij,bij->b", upper, r_out, delta)
            net[CHARGE][link.lead] += charge_in - charge_out
            net[ENERGY][link.lead] += energy_in - energy_out
            gross[link.lead] += charge_in + charge_out
            if SPIN in net and spin is not None:
                net[SPIN][link.lead] += spin * (charge_in - charge_out)
        del net[HEAT]
        return self._completed(net, gross, coefficients, shape, conserve=conserve)

    def _completed(
        self, net: dict[str, np.ndarray], gross: np.ndarray, coefficients: list[np.ndarray], shape, *, conserve: bool
    ) -> dict[str, np.ndarray]:
        """Currents with the conservation residual removed (``conserve``) and the heat current
        ``Q = J - mu I`` added, in the order of :attr:`quantities`."""
        if conserve:
            names = (CHARGE, ENERGY) + ((SPIN,) if SPIN in net and self.spectrum.hamiltonian.conserves_sz else ())
            _remove_residuals([net[name] for name in names], gross)
        mus = np.empty((len(self._lead_slots),) + tuple(shape))
        for lead, (mu_slot, _, _) in enumerate(self._lead_slots):
            mus[lead] = coefficients[mu_slot]  # broadcast to the grid
        net[HEAT] = net[ENERGY] - mus.reshape(len(mus), -1) * net[CHARGE]
        return {q: net[q] for q in self.quantities}


def _sector_entries(spectrum: Spectrum, actions, action_slots) -> list[Entries]:
    """The Hamiltonian's entries split by sector: per sector, ``(slot, rows, columns, signs)`` with
    positions within the sector's Fock states (H never links two sectors)."""
    space = spectrum.space
    sector_of = np.empty(space.dimension, dtype=np.int64)
    local_of = np.empty(space.dimension, dtype=np.int64)
    for k, sector in enumerate(spectrum.sectors):
        sector_of[list(sector.fock_positions)] = k
        local_of[list(sector.fock_positions)] = np.arange(len(sector.fock_positions))
    entries: list[list] = [[] for _ in spectrum.sectors]
    for action, slot in zip(actions, action_slots):
        sectors = sector_of[action.columns]
        order = np.argsort(sectors, kind="stable")
        present, starts = np.unique(sectors[order], return_index=True)
        for k, part in zip(present.tolist(), np.split(order, starts[1:])):
            rows, columns = local_of[action.rows[part]], local_of[action.columns[part]]
            entries[k].append((slot, rows, columns, action.signs[part].astype(float)))
    return [tuple(e) for e in entries]


def _remove_residuals(currents: list[np.ndarray], gross: np.ndarray) -> None:
    """Make each conserved current ``(leads, batch)`` sum to zero over the leads, in place.

    The residual (the sum over the leads, per point) is subtracted in proportion to each lead's
    gross flux ``gross``; the lead of the largest gross flux then takes minus the sum of the
    others, so that the sum vanishes to the rounding of the small values, not of the residual.
    The shares and the strongest leads depend on ``gross`` only: found once for all currents.
    The compiled loops (:mod:`.loops`), where built, do the same arithmetic point by point."""
    loops = compiled_loops()
    if loops is not None and gross.dtype == np.float64 and gross.flags.c_contiguous:
        if all(v.dtype == np.float64 and v.flags.c_contiguous and v.shape == gross.shape for v in currents):
            for values in currents:
                loops.remove_residuals(values, gross, *gross.shape)
            return
    _remove_residuals_numpy(currents, gross)


def _remove_residuals_numpy(currents: list[np.ndarray], gross: np.ndarray) -> None:
    """:func:`_remove_residuals` in NumPy calls: the reference of the compiled loops."""
    total = gross.sum(axis=0)
    share = np.divide(gross, total, out=np.zeros_like(gross), where=total > 0)
    strongest = (np.argmax(gross, axis=0), np.arange(gross.shape[1]))
    for values in currents:
        values -= share * values.sum(axis=0)
        values[strongest] = 0.0
        values[strongest] = -values.sum(axis=0)


def _placements(rows: np.ndarray, columns: np.ndarray) -> tuple[tuple, tuple]:
    """Indices placing a ``(batch, rows, columns)`` block and its transpose into level blocks:
    basic slices (no copy) when both runs of positions are contiguous, else open meshes."""
    if all(len(p) and np.all(np.diff(p) == 1) for p in (rows, columns)):
        rows_, columns_ = (slice(int(p[0]), int(p[-1]) + 1) for p in (rows, columns))
        return (slice(None), rows_, columns_), (slice(None), columns_, rows_)
    return (slice(None), rows[:, None], columns[None, :]), (slice(None), columns[:, None], rows[None, :])


def _entry_major(array: np.ndarray, ndim: int) -> np.ndarray:
    """``array`` of shape ``grid-like + (K,)`` as ``(K,) + grid-like`` with ``ndim`` grid axes
    (missing leading axes of length one), so that grid arrays broadcast against it."""
    array = np.asarray(array)
    padded = array.reshape((1,) * (ndim + 1 - array.ndim) + array.shape)
    return np.moveaxis(padded, -1, 0)


def _batched(array: np.ndarray, grid: tuple[int, ...], trailing: tuple[int, ...], batch: int) -> np.ndarray:
    """``array`` broadcast to ``grid + trailing`` with the grid axes flattened into one batch axis."""
    return broadcast(array, grid + trailing).reshape((batch,) + trailing)
