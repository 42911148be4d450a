"""Many-body eigenstates of a Hamiltonian: exact where possible, placeholders where not.

Each charge (and S_z) block of H is split into its connected components (Fock states linked by
structurally non-zero matrix elements).  A 1x1 component is an exact eigenstate: a Fock state
whose energy is the diagonal element.  A larger component (hoppings mix its Fock states) has
eigenstates that are computed numerically, inside the compiled kernel and batched over the
parameter grid.  Symbolically they are represented by *placeholder symbols*:

* ``E_{label}``                the eigenenergy,
* ``<b|d_m^+|a>``              the many-body matrix element of a creation operator,
* ``<s|n_m|s>``                the occupation of a mode,

so that every other part of the pipeline (rates, generator, currents) stays an exact expression.
Placeholder eigenstates are labelled ``N=<charge>:<k>`` (with S_z blocks ``N=<charge>,Sz=<sz>:<k>``),
k counting the block's numeric eigenstates in ascending energy per component.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components

from symbolic_pme.transport.hamiltonian import Hamiltonian, SectorKey

__all__ = ["Component", "ManyBodyState", "Placeholder", "Sector", "Spectrum"]


@dataclass(frozen=True)
class Component:
    """A connected block of H: Fock states (basis order) and, on request, the exact matrix over them.

    Attributes
    ----------
    sector : tuple
        The key of the block of H the component lies in, ``(N,)`` or ``(N, S_z)``.
    fock_states : tuple of int
        Its Fock states (integers), in basis order.
    source : Hamiltonian
        The Hamiltonian it is a block of.
    """

    sector: SectorKey
    fock_states: tuple[int, ...]
    source: Hamiltonian = field(repr=False, compare=False)

    @property
    def exact(self) -> bool:
        """True for a single Fock state (an exact eigenstate)."""
        return len(self.fock_states) == 1

    @cached_property
    def hamiltonian(self) -> sympy.Matrix:
        """The exact block of H over :attr:`fock_states` (built on first use)."""
        space = self.source.space
        return self.source.submatrix([space.position(f) for f in self.fock_states])


@dataclass(frozen=True)
class Sector:
    """A charge (and S_z) block of H as the rate network sees it: its eigenstates and Fock states.

    The eigenvectors of the block are one object, ``U[fock, state]`` (block diagonal over the
    components; the identity where every component is a single Fock state), computed by the
    numeric layer.

    Attributes
    ----------
    key : tuple
        ``(N,)`` or, when H conserves S_z, ``(N, S_z)``.
    states : tuple of int
        Indices into :attr:`Spectrum.states` of the block's eigenstates (ascending).
    fock_positions : tuple of int
        Basis positions (in ``FockSpace.states``) of the block's Fock states (ascending).
    index : int
        Its position in :attr:`Spectrum.sectors` (what caches are keyed by: hashing a key's
        ``sympy.Rational`` S_z costs about a microsecond, and large models look sectors up
        thousands of times).
    """

    key: SectorKey
    states: tuple[int, ...]
    fock_positions: tuple[int, ...]
    index: int

    @property
    def charge(self) -> int:
        """The number of electrons N of the block."""
        return self.key[0]

    @property
    def label(self) -> str:
        """Readable name of the block: ``N=<charge>`` or ``N=<charge>,Sz=<sz>``."""
        return f"N={self.key[0]}" + (f",Sz={self.key[1]}" if len(self.key) > 1 else "")


@dataclass(frozen=True)
class ManyBodyState:
    """A many-body eigenstate: exact Fock state, or eigenvector ``index`` of a component.

    Attributes
    ----------
    label : str
        The Fock-state label (exact states) or ``N=<charge>[,Sz=<sz>]:<k>`` (numeric ones).
    charge : int
        Number of electrons.
    sz : sympy.Rational or None
        S_z, or None without spin.
    component : int
        Index into :attr:`Spectrum.components`.
    index : int
        Which eigenvector of its component (0 for an exact state), in ascending energy.
    exact : bool
        True for a Fock state that is an eigenstate.

    See Also
    --------
    Spectrum.energy : the state's energy, exact or a placeholder symbol (made on request).
    """

    label: str
    charge: int
    sz: sympy.Rational | None
    component: int
    index: int
    exact: bool


@dataclass(frozen=True)
class Placeholder:
    """What a placeholder symbol stands for; the numeric layer computes it.

    Attributes
    ----------
    kind : str
        ``"energy"`` (``states=(s,)``), ``"creation"`` (``states=(b, a)``, ``<b|d_mode^+|a>``)
        or ``"occupation"`` (``states=(s,)``, ``<s|n_mode|s>``).
    states : tuple of int
        Indices into :attr:`Spectrum.states`.
    mode : int or None, optional
        The mode of a creation or occupation element; None for an energy.
    """

    kind: str
    states: tuple[int, ...]
    mode: int | None = None


class Spectrum:
    """Eigenstates of a :class:`Hamiltonian`, exact where the block structure allows.

    Parameters
    ----------
    hamiltonian : Hamiltonian
        The dot Hamiltonian.

    Attributes
    ----------
    hamiltonian : Hamiltonian
        The Hamiltonian.
    space : FockSpace
        Its Fock space.
    components : tuple of Component
        The connected components of H, ordered by charge, then by their first Fock state.
    states : tuple of ManyBodyState
        The eigenstates, ordered by component (hence by charge).
    placeholders : dict of sympy.Symbol to Placeholder
        Every placeholder symbol made so far and what it stands for (filled as elements are
        requested).

    Examples
    --------
    >>> from symbolic_pme.transport import FockSpace
    >>> h = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": "e"}, hopping={("a", "b"): "w"})
    >>> Spectrum(h).labels
    ('00', 'N=1:0', 'N=1:1', '11')
    """

    def __init__(self, hamiltonian: Hamiltonian):
        self.hamiltonian = hamiltonian
        self.space = hamiltonian.space
        self.components: tuple[Component, ...] = self._components()
        self.placeholders: dict[sympy.Symbol, Placeholder] = {}
        self._exact_energies: dict[int, sympy.Expr] = {}
        self._energy_symbols: dict[int, sympy.Symbol] = {}
        self.states: tuple[ManyBodyState, ...] = self._states()
        self._creation_cache: dict[tuple[int, int, int], sympy.Expr] = {}

    # ----------------------------------------------------------------------------- construction
    def _components(self) -> tuple[Component, ...]:
        """Connected components of the off-diagonal pattern of H (from its actions, never the
        SymPy matrix), ordered by charge, then by their first Fock state."""
        space, size = self.space, self.space.dimension
        empty = [np.zeros(0, np.int64)]
        rows = np.concatenate([a.rows[a.rows != a.columns] for a in self.hamiltonian.actions] + empty)
        columns = np.concatenate([a.columns[a.rows != a.columns] for a in self.hamiltonian.actions] + empty)
        graph = coo_array((np.ones(len(rows)), (rows, columns)), shape=(size, size)).tocsr()
        _, labels = connected_components(graph, directed=False)
        sector_of = {}
        for key, states in self.hamiltonian.sectors.items():
            for state in states:
                sector_of[state] = key
        order = np.argsort(labels, kind="stable")
        boundaries = np.flatnonzero(np.diff(labels[order])) + 1
        components = []
        for group in np.split(order, boundaries):
            fock = tuple(space.state_array[np.sort(group)].tolist())
            components.append(Component(sector_of[fock[0]], fock, self.hamiltonian))
        components.sort(key=lambda c: (space.charge(c.fock_states[0]), space.position(c.fock_states[0])))
        return tuple(components)

    def creation_pattern(self, lower: Sector, upper: Sector, mode: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``<fock_b|d_mode^+|fock_a>`` between two sectors, computed once per sector pair and mode.

        Parameters
        ----------
        lower, upper : Sector
            The sectors of charge N (``fock_a``) and N + 1 (``fock_b``).
        mode : int
            The mode index.

        Returns
        -------
        rows, columns : numpy.ndarray
            Positions within ``upper.fock_positions`` and ``lower.fock_positions``.
        signs : numpy.ndarray
            The Jordan–Wigner signs (+1 or -1).
        """
        cache = self.__dict__.setdefault("_creation_patterns", {})
        key = (lower.index, upper.index, mode)
        if key not in cache:
            cache[key] = _creation_pattern(self.space, lower, upper, mode)
        return cache[key]

    def component_links(
        self, lower: Sector, upper: Sector, modes: tuple[int, ...]
    ) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """The pairs of components that ``d_m^+`` for some m in ``modes`` links.

        Every upper state of a pair is linked to every lower one, since a numeric eigenvector spreads
        over its whole component.  Computed once per sector pair and set of modes (the entering and
        leaving groups of a lead share it).

        Parameters
        ----------
        lower, upper : Sector
            The sectors of charge N and N + 1.
        modes : tuple of int
            The modes of the channel.

        Returns
        -------
        tuple of (numpy.ndarray, numpy.ndarray)
            ``(upper states, lower states)`` per linked pair, as positions within the sectors'
            ``states``.
        """
        cache = self.__dict__.setdefault("_component_links", {})
        key = (lower.index, upper.index, modes)
        if key not in cache:
            upper_fock = self.component_of_position[np.array(upper.fock_positions)]
            lower_fock = self.component_of_position[np.array(lower.fock_positions)]
            count = len(self.components)
            linked = [np.zeros(0, dtype=np.int64)]
            for mode in modes:
                rows, columns, _ = self.creation_pattern(lower, upper, mode)
                linked.append(upper_fock[rows] * count + lower_fock[columns])  # one integer per pair
            pairs = np.unique(np.concatenate(linked))
            upper_members = _members(self.component_of_state[list(upper.states)])
            lower_members = _members(self.component_of_state[list(lower.states)])
            cache[key] = tuple((upper_members[p // count], lower_members[p % count]) for p in pairs.tolist())
        return cache[key]

    @cached_property
    def component_of_position(self) -> np.ndarray:
        """The component of every basis state, by basis position."""
        space = self.space
        result = np.empty(space.dimension, dtype=np.int64)
        for c, component in enumerate(self.components):
            result[space.positions_of(np.array(component.fock_states))] = c
        return result

    @cached_property
    def component_of_state(self) -> np.ndarray:
        """The component of every eigenstate, by state index."""
        return np.array([s.component for s in self.states], dtype=np.int64)

    @cached_property
    def sectors(self) -> tuple[Sector, ...]:
        """The blocks of H with their eigenstates, in the order of :attr:`Hamiltonian.sectors`."""
        states: dict[SectorKey, list[int]] = {}
        for index, state in enumerate(self.states):
            states.setdefault(self.components[state.component].sector, []).append(index)
        space = self.space
        return tuple(
            Sector(key, tuple(states[key]), tuple(sorted(space.position(f) for f in fock)), index)
            for index, (key, fock) in enumerate(self.hamiltonian.sectors.items())
        )

    def _states(self) -> tuple[ManyBodyState, ...]:
        space = self.space
        states = []
        numeric_count: dict[SectorKey, int] = {}
        for c, component in enumerate(self.components):
            first = component.fock_states[0]
            charge, sz = space.charge(first), space.sz(first)
            if component.exact:
                self._exact_energies[len(states)] = self.hamiltonian.fock_energy(space.position(first))
                states.append(ManyBodyState(space.label(first), charge, sz, c, 0, True))
                continue
            sector = f"N={charge}" + (f",Sz={sz}" if len(component.sector) > 1 else "")
            first_number = numeric_count.get(component.sector, 0)  # hashed once: S_z is a sympy.Rational
            numeric_count[component.sector] = first_number + len(component.fock_states)
            for k in range(len(component.fock_states)):
                states.append(ManyBodyState(f"{sector}:{first_number + k}", charge, sz, c, k, False))
        return tuple(states)

    # ----------------------------------------------------------------------------- views
    @property
    def exact(self) -> bool:
        """True when every eigenstate is an exact Fock state (every block diagonal)."""
        return all(c.exact for c in self.components)

    @property
    def labels(self) -> tuple[str, ...]:
        """State labels, in :attr:`states` order."""
        return tuple(s.label for s in self.states)

    @property
    def energies(self) -> tuple[sympy.Expr, ...]:
        """Eigenenergies (exact, or placeholder symbols ``E_{label}``), in :attr:`states` order."""
        return tuple(self.energy(s) for s in range(len(self.states)))

    def energy(self, s: int) -> sympy.Expr:
        """The energy of an eigenstate: exact, or the placeholder symbol ``E_{label}``.

        A placeholder is made on the first request (a model of thousands of numeric eigenstates
        makes none unless its transitions are expanded into scalars).

        Parameters
        ----------
        s : int
            Index into :attr:`states`.

        Returns
        -------
        sympy.Expr
            The exact energy of a Fock eigenstate, otherwise a real placeholder symbol.

        Examples
        --------
        >>> from symbolic_pme.transport import FockSpace
        >>> h = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": "e"}, hopping={("a", "b"): "w"})
        >>> [Spectrum(h).energy(s) for s in range(4)]
        [0, E_{N=1:0}, E_{N=1:1}, e]
        """
        if s in self._exact_energies:
            return self._exact_energies[s]
        if s not in self._energy_symbols:
            symbol = sympy.Symbol(f"E_{{{self.states[s].label}}}", real=True)
            self._energy_symbols[s] = symbol
            self.placeholders[symbol] = Placeholder("energy", (s,))
        return self._energy_symbols[s]

    def index(self, label: str) -> int:
        """Position of the state with a given label.

        Parameters
        ----------
        label : str
            A label from :attr:`labels`.

        Returns
        -------
        int
            Its index in :attr:`states`.

        Raises
        ------
        ValueError
            If no state has this label.
        """
        for i, state in enumerate(self.states):
            if state.label == label:
                return i
        raise ValueError(f"unknown state {label!r}; states: {', '.join(self.labels)}")

    def creation_element(self, b: int, a: int, mode: int) -> sympy.Expr:
        """``<b|d_mode^+|a>`` for two many-body states.

        Parameters
        ----------
        b, a : int
            Indices into :attr:`states` (``b`` has one electron more than ``a`` for a non-zero result).
        mode : int
            The mode index.

        Returns
        -------
        sympy.Expr
            The exact element (a Jordan–Wigner sign) between exact states, a placeholder symbol
            ``<b|d^+_mode|a>`` (complex) involving a numeric eigenstate, or 0.
        """
        key = (b, a, mode)
        if key not in self._creation_cache:
            self._creation_cache[key] = self._creation_element(b, a, mode)
        return self._creation_cache[key]

    def _creation_element(self, b: int, a: int, mode: int) -> sympy.Expr:
        state_b, state_a = self.states[b], self.states[a]
        if state_b.charge != state_a.charge + 1:
            return sympy.S.Zero
        fock_b = self.components[state_b.component].fock_states
        fock_a = self.components[state_a.component].fock_states
        overlaps = {}
        for fa in fock_a:
            result = self.space.apply([(mode, True)], fa)
            if result is not None and result[1] in fock_b:
                overlaps[(result[1], fa)] = result[0]
        if not overlaps:
            return sympy.S.Zero
        if state_a.exact and state_b.exact:
            return sympy.Integer(next(iter(overlaps.values())))
        symbol = sympy.Symbol(f"<{state_b.label}|d^+_{self.space.modes[mode]}|{state_a.label}>", complex=True)
        self.placeholders[symbol] = Placeholder("creation", (b, a), mode)
        return symbol

    def occupation(self, s: int, mode: int) -> sympy.Expr:
        """``<s|n_mode|s>``, the occupation of a mode in an eigenstate.

        Parameters
        ----------
        s : int
            Index into :attr:`states`.
        mode : int
            The mode index.

        Returns
        -------
        sympy.Expr
            Exactly 0 or 1 for a Fock state (or a component that is uniformly empty or filled in the
            mode), otherwise a real placeholder symbol ``<s|n_mode|s>``.
        """
        state = self.states[s]
        fock = self.components[state.component].fock_states
        if state.exact:
            return sympy.Integer(self.space.occupation(fock[0], mode))
        occupied = [self.space.occupation(f, mode) for f in fock]
        if not any(occupied):
            return sympy.S.Zero
        if all(occupied):
            return sympy.S.One
        symbol = sympy.Symbol(f"<{state.label}|n_{self.space.modes[mode]}|{state.label}>", real=True)
        self.placeholders[symbol] = Placeholder("occupation", (s,), mode)
        return symbol

    @cached_property
    def parameters(self) -> set[sympy.Symbol]:
        """Free symbols of the Hamiltonian (placeholders excluded)."""
        return self.hamiltonian.parameters


def _creation_pattern(space, lower: Sector, upper: Sector, mode: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows, columns, signs = space.creation_action(mode)
    lower_positions = np.array(lower.fock_positions, dtype=np.int64)
    upper_positions = np.array(upper.fock_positions, dtype=np.int64)
    # basis positions are ordered by charge, so each sector lies in one range of columns
    start, stop = np.searchsorted(columns, [lower_positions[0], lower_positions[-1] + 1])
    rows, columns, signs = rows[start:stop], columns[start:stop], signs[start:stop]
    keep = _contains(lower_positions, columns) & _contains(upper_positions, rows)
    return (
        np.searchsorted(upper_positions, rows[keep]),
        np.searchsorted(lower_positions, columns[keep]),
        signs[keep],
    )


def _contains(sorted_values: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``numpy.isin(items, sorted_values)`` for sorted values, by binary search."""
    where = np.minimum(np.searchsorted(sorted_values, items), len(sorted_values) - 1)
    return sorted_values[where] == items


def _members(components: np.ndarray) -> dict[int, np.ndarray]:
    """``{component: positions}`` of an array of component numbers."""
    order = np.argsort(components, kind="stable")
    values, starts = np.unique(components[order], return_index=True)
    return {int(v): part for v, part in zip(values, np.split(order, starts[1:]))}
