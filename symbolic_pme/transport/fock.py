"""Fock space of a few fermionic orbitals: occupation basis, sectors and ladder operators.

Conventions (docs/conventions.md, the same as QmeQ's):

* A *mode* is a spin-orbital.  Without spin the modes are the orbitals.  With spin every orbital
  ``o`` carries the modes ``o_up`` and ``o_down``, ordered all spin-up first, then all spin-down.
* A Fock state is an integer; mode 0 is its most significant bit:
  ``|n_0 n_1 ...> = (d_0^+)^{n_0} (d_1^+)^{n_1} ... |0>``.
* ``d_i^+`` and ``d_i`` carry the Jordan–Wigner sign ``(-1)^{sum_{j<i} n_j}``.
* Basis states are ordered by charge, then by their integer.

This module is written from scratch rather than on ``sympy.physics.secondquant``: that module
treats orbital 0 as a hole state and its ``InnerProduct`` of kets with different particle numbers
is wrong (SymPy 1.14), which a finite Fock basis cannot afford.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

import numpy as np
import sympy
from numpy.typing import ArrayLike

__all__ = ["FockSpace", "LadderOp"]

#: A ladder operator: (mode index, is_creation).  Products are written left to right as in
#: the operator algebra, ``[(m, True), (n, False)]`` meaning ``d_m^+ d_n``.
LadderOp = tuple[int, bool]

_SPIN_SUFFIXES = ("_up", "_down")
#: Most spin-orbitals a Fock space may have: 14 modes (16 384 many-body states) is what the
#: block path solves within its targets on a 2-core machine (spinless 14 and spinful 7 orbitals,
#: benchmarks/scaling.py); a larger space is refused before anything is built.
MAX_MODES = 14


def _orbital_names(orbitals: int | Sequence[str]) -> tuple[str, ...]:
    if isinstance(orbitals, bool):
        raise TypeError("orbitals: expected a count or a sequence of names, got a bool")
    if isinstance(orbitals, int):
        if orbitals < 1:
            raise ValueError(f"orbitals: need at least one orbital, got {orbitals}")
        return tuple(str(i) for i in range(orbitals))
    if isinstance(orbitals, str):
        raise TypeError("orbitals: expected a count or a sequence of names, got a single string")
    names = tuple(orbitals)
    if not names:
        raise ValueError("orbitals: need at least one orbital")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"orbitals: every orbital name must be a non-empty string, got {name!r}")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"orbitals: names must be unique, repeated: {', '.join(duplicates)}")
    return names


class FockSpace:
    """The occupation-number basis of a few orbitals, optionally with spin.

    Conventions (docs/conventions.md): mode 0 is the most significant bit of a Fock state's
    integer, ladder operators carry the Jordan–Wigner sign ``(-1)^{sum_{j<i} n_j}``, and the
    basis is ordered by charge, then by integer.  With spin the modes are all spin-up
    orbitals, then all spin-down ones.

    Parameters
    ----------
    orbitals : int or sequence of str
        The number of orbitals (named ``"0"``, ``"1"``, ...) or their names (unique, non-empty,
        and with spin not ending in ``_up``/``_down``).
    spin : bool, optional
        With ``True`` every orbital carries two modes, ``<name>_up`` and ``<name>_down``.
        Keyword-only; default ``False``.

    Attributes
    ----------
    orbitals : tuple of str
        The orbital names.
    spin : bool
        Whether the orbitals carry spin.
    modes : tuple of str
        The spin-orbital names, in mode order (the orbitals themselves without spin).
    n_modes : int
        Number of modes.
    states : tuple of int
        The basis states (Fock-state integers), ordered by charge, then by integer.

    Raises
    ------
    TypeError
        If ``orbitals`` is a bool or a single string, or ``spin`` is not a bool.
    ValueError
        If there are no orbitals, names are empty, repeated or (with spin) end in
        ``_up``/``_down``, or there are more than ``MAX_MODES`` (14) modes.

    Examples
    --------
    >>> space = FockSpace(["a", "b"])
    >>> [space.label(s) for s in space.states]
    ['00', '01', '10', '11']
    >>> FockSpace(["a"], spin=True).modes
    ('a_up', 'a_down')
    """

    def __init__(self, orbitals: int | Sequence[str], *, spin: bool = False):
        if not isinstance(spin, bool):
            raise TypeError(f"spin: expected True or False, got {spin!r}")
        self.orbitals: tuple[str, ...] = _orbital_names(orbitals)
        self.spin = spin
        if spin:
            clashes = [o for o in self.orbitals if o.endswith(_SPIN_SUFFIXES)]
            if clashes:
                raise ValueError(
                    f"orbitals: with spin, names may not end in _up/_down (they name spin-orbitals): {clashes}"
                )
            self.modes: tuple[str, ...] = tuple(f"{o}{s}" for s in _SPIN_SUFFIXES for o in self.orbitals)
        else:
            self.modes = self.orbitals
        if len(self.modes) > MAX_MODES:
            raise ValueError(f"orbitals: {len(self.modes)} modes is more than the {MAX_MODES} supported")
        self.n_modes = len(self.modes)
        self._mode_index = {name: i for i, name in enumerate(self.modes)}
        size = 1 << self.n_modes
        #: Basis states (integers) ordered by charge, then by integer.
        self.states: tuple[int, ...] = tuple(sorted(range(size), key=lambda s: (s.bit_count(), s)))
        self._position = {state: i for i, state in enumerate(self.states)}

    def __repr__(self) -> str:
        return f"FockSpace({list(self.orbitals)!r}, spin={self.spin})"

    @property
    def dimension(self) -> int:
        """Number of Fock states, ``2**n_modes``."""
        return len(self.states)

    # ----------------------------------------------------------------------------- names and modes
    def mode(self, name: str) -> int:
        """Index of a mode given by name.

        Parameters
        ----------
        name : str
            An orbital name without spin, a spin-orbital name (``"a_up"``) with spin.

        Returns
        -------
        int
            The mode index (its bit position counted from the most significant bit).

        Raises
        ------
        ValueError
            If the name is unknown, or names an orbital that has two spin-orbitals.

        Examples
        --------
        >>> FockSpace(["a", "b"], spin=True).mode("a_down")
        2
        """
        if name in self._mode_index:
            return self._mode_index[name]
        if self.spin and name in self.orbitals:
            raise ValueError(f"orbital {name!r} has two spin-orbitals here: name {name}_up or {name}_down")
        raise ValueError(f"unknown orbital {name!r}; known: {', '.join(self.modes)}")

    def modes_of(self, name: str) -> tuple[int, ...]:
        """Modes named by ``name``: an orbital (both spins with spin) or a single spin-orbital.

        Parameters
        ----------
        name : str
            An orbital name or, with spin, a spin-orbital name.

        Returns
        -------
        tuple of int
            The mode indices, ``(up, down)`` for an orbital with spin.

        Raises
        ------
        ValueError
            If the name is unknown.

        Examples
        --------
        >>> FockSpace(["a", "b"], spin=True).modes_of("a")
        (0, 2)
        """
        if self.spin and name in self.orbitals:
            i = self.orbitals.index(name)
            return (i, i + len(self.orbitals))
        if name in self._mode_index:
            return (self._mode_index[name],)
        known = ", ".join(self.orbitals + (self.modes if self.spin else ()))
        raise ValueError(f"unknown orbital {name!r}; known: {known}")

    def mode_spin(self, mode: int) -> sympy.Rational | None:
        """S_z of a mode.

        Parameters
        ----------
        mode : int
            A mode index.

        Returns
        -------
        sympy.Rational or None
            ``+1/2`` for a spin-up mode, ``-1/2`` for a spin-down one, None without spin.
        """
        if not self.spin:
            return None
        return sympy.Rational(1, 2) if mode < len(self.orbitals) else sympy.Rational(-1, 2)

    # ----------------------------------------------------------------------------- state properties
    def _bit(self, mode: int) -> int:
        return 1 << (self.n_modes - 1 - mode)

    def occupation(self, state: int, mode: int) -> int:
        """Occupation of one mode in a Fock state.

        Parameters
        ----------
        state : int
            A Fock state (its integer).
        mode : int
            A mode index.

        Returns
        -------
        int
            0 or 1.
        """
        return 1 if state & self._bit(mode) else 0

    def occupations(self, state: int) -> tuple[int, ...]:
        """Occupations of all modes, in mode order.

        Parameters
        ----------
        state : int
            A Fock state (its integer).

        Returns
        -------
        tuple of int
            One 0 or 1 per mode.

        Examples
        --------
        >>> FockSpace(3).occupations(0b011)
        (0, 1, 1)
        """
        return tuple(self.occupation(state, m) for m in range(self.n_modes))

    def charge(self, state: int) -> int:
        """Number of electrons in a Fock state.

        Parameters
        ----------
        state : int
            A Fock state (its integer).

        Returns
        -------
        int
            The number of occupied modes.
        """
        return state.bit_count()

    def sz(self, state: int) -> sympy.Rational | None:
        """Spin projection S_z of a Fock state, in units of hbar.

        Parameters
        ----------
        state : int
            A Fock state (its integer).

        Returns
        -------
        sympy.Rational or None
            ``(N_up - N_down) / 2``, or None without spin.
        """
        if not self.spin:
            return None
        n = len(self.orbitals)
        up = sum(self.occupation(state, m) for m in range(n))
        down = sum(self.occupation(state, m) for m in range(n, 2 * n))
        return sympy.Rational(up - down, 2)

    def position(self, state: int) -> int:
        """Index of a Fock state in the ordered basis :attr:`states`.

        Parameters
        ----------
        state : int
            A Fock state (its integer).

        Returns
        -------
        int
            Its position in :attr:`states`.
        """
        return self._position[state]

    def label(self, state: int) -> str:
        """Readable label of a Fock state.

        Parameters
        ----------
        state : int
            A Fock state (its integer).

        Returns
        -------
        str
            One character per orbital: ``'010'`` without spin; with spin ``0``, ``↑``, ``↓`` or ``2``
            (doubly occupied).

        Examples
        --------
        >>> space = FockSpace(["a", "b"], spin=True)
        >>> space.label(0b1001)
        '↑↓'
        """
        occupations = self.occupations(state)
        if not self.spin:
            return "".join(str(n) for n in occupations)
        n = len(self.orbitals)
        symbols = {(0, 0): "0", (1, 0): "↑", (0, 1): "↓", (1, 1): "2"}
        return "".join(symbols[occupations[i], occupations[i + n]] for i in range(n))

    def charge_sectors(self) -> dict[int, tuple[int, ...]]:
        """Fock states grouped by charge, in basis order.

        Returns
        -------
        dict of int to tuple of int
            ``{charge: Fock states}``.
        """
        sectors: dict[int, list[int]] = {}
        for state in self.states:
            sectors.setdefault(self.charge(state), []).append(state)
        return {n: tuple(s) for n, s in sectors.items()}

    # ----------------------------------------------------------------------------- operators
    def apply(self, operators: Sequence[LadderOp], state: int) -> tuple[int, int] | None:
        """Apply a product of ladder operators to a Fock state.

        Parameters
        ----------
        operators : sequence of LadderOp
            ``(mode, is_creation)`` pairs written left to right as in ``d_m^+ d_n``; the rightmost
            acts first.
        state : int
            A Fock state (its integer).

        Returns
        -------
        tuple of (int, int) or None
            ``(sign, new_state)``, the Jordan–Wigner sign (+1 or -1) and the resulting Fock state, or
            None when the result vanishes.

        Raises
        ------
        ValueError
            If a mode index is out of range.

        Examples
        --------
        >>> space = FockSpace(["a", "b"])
        >>> space.apply([(1, True)], 0b10)  # d_b^+ |10> = -|11>
        (-1, 3)
        >>> space.apply([(0, True)], 0b10) is None
        True
        """
        sign = 1
        for mode, creation in reversed(operators):
            if not 0 <= mode < self.n_modes:
                raise ValueError(f"mode index {mode} out of range 0..{self.n_modes - 1}")
            bit = self._bit(mode)
            occupied = bool(state & bit)
            if occupied == creation:
                return None
            if (state >> (self.n_modes - mode)).bit_count() % 2:
                sign = -sign
            state ^= bit
        return sign, state

    def apply_all(self, operators: Sequence[LadderOp]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`apply` to every basis state at once, with integer arithmetic on arrays.

        This is how operators of large Fock spaces are built without one Python call (or one SymPy
        object) per matrix element.

        Parameters
        ----------
        operators : sequence of LadderOp
            ``(mode, is_creation)`` pairs written left to right; the rightmost acts first.

        Returns
        -------
        rows, columns : numpy.ndarray
            Positions (in :attr:`states` order) of the results and of the states they came from,
            for the states that the product does not annihilate.
        signs : numpy.ndarray
            The Jordan–Wigner signs (+1 or -1, ``int8``).

        Raises
        ------
        ValueError
            If a mode index is out of range.
        """
        states = self.state_array
        alive = np.ones(states.shape, dtype=bool)
        parity = np.zeros(states.shape, dtype=np.int64)
        for mode, creation in reversed(operators):
            if not 0 <= mode < self.n_modes:
                raise ValueError(f"mode index {mode} out of range 0..{self.n_modes - 1}")
            bit = self._bit(mode)
            occupied = (states & bit) != 0
            alive &= occupied != creation
            parity += np.bitwise_count(states >> (self.n_modes - mode))
            states = states ^ bit
        columns = np.flatnonzero(alive)
        rows = self.positions_of(states[columns])
        signs = np.where(parity[columns] % 2, -1, 1).astype(np.int8)
        return rows, columns, signs

    def creation_action(self, mode: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``apply_all([(mode, True)])``, computed once per mode.

        Parameters
        ----------
        mode : int
            A mode index.

        Returns
        -------
        tuple of numpy.ndarray
            ``(rows, columns, signs)`` as from :meth:`apply_all`.
        """
        cache = self.__dict__.setdefault("_creation_actions", {})
        if mode not in cache:
            cache[mode] = self.apply_all([(mode, True)])
        return cache[mode]

    @cached_property
    def state_array(self) -> np.ndarray:
        """:attr:`states` as an integer array."""
        return np.array(self.states, dtype=np.int64)

    @cached_property
    def _position_array(self) -> np.ndarray:
        lookup = np.empty(self.dimension, dtype=np.int64)
        lookup[self.state_array] = np.arange(self.dimension)
        return lookup

    def positions_of(self, states: ArrayLike) -> np.ndarray:
        """Positions in :attr:`states` of an array of Fock states (the array form of :meth:`position`).

        Parameters
        ----------
        states : numpy.typing.ArrayLike
            Fock states (integers).

        Returns
        -------
        numpy.ndarray
            Their positions, with the shape of ``states``.
        """
        return self._position_array[np.asarray(states, dtype=np.int64)]

    @cached_property
    def charge_array(self) -> np.ndarray:
        """Charge of every basis state, in :attr:`states` order."""
        return np.bitwise_count(self.state_array).astype(np.int64)

    @cached_property
    def twice_sz_array(self) -> np.ndarray | None:
        """``2 S_z`` of every basis state (None without spin)."""
        if not self.spin:
            return None
        n = len(self.orbitals)
        up = np.bitwise_count(self.state_array >> n).astype(np.int64)
        return up - (self.charge_array - up)

    def operator_matrix(self, terms: Iterable[tuple[sympy.Expr, Sequence[LadderOp]]]) -> sympy.SparseMatrix:
        """Matrix of ``sum_k c_k * (product of ladder operators)_k`` in the ordered basis.

        Parameters
        ----------
        terms : iterable of (sympy.Expr, sequence of LadderOp)
            Coefficients and their operator products (written left to right).

        Returns
        -------
        sympy.SparseMatrix
            Entry ``[i, j]`` is ``<states[i]| O |states[j]>``.
        """
        entries: dict[tuple[int, int], sympy.Expr] = {}
        terms = list(terms)
        for j, state in enumerate(self.states):
            for coefficient, operators in terms:
                result = self.apply(operators, state)
                if result is None:
                    continue
                sign, new_state = result
                key = (self._position[new_state], j)
                entries[key] = entries.get(key, sympy.S.Zero) + sign * coefficient
        entries = {k: v for k, v in entries.items() if v != 0}
        return sympy.SparseMatrix(self.dimension, self.dimension, entries)

    def creation(self, name: str | int) -> sympy.SparseMatrix:
        """Exact matrix of ``d^+`` for one mode.

        Parameters
        ----------
        name : str or int
            A mode name or a mode index.

        Returns
        -------
        sympy.SparseMatrix
            The matrix in the ordered basis.

        Examples
        --------
        >>> FockSpace(["a"]).creation("a")
        Matrix([
        [0, 0],
        [1, 0]])
        """
        return self.operator_matrix([(sympy.S.One, [(self._index(name), True)])])

    def annihilation(self, name: str | int) -> sympy.SparseMatrix:
        """Exact matrix of ``d`` for one mode.

        Parameters
        ----------
        name : str or int
            A mode name or a mode index.

        Returns
        -------
        sympy.SparseMatrix
            The matrix in the ordered basis.
        """
        return self.operator_matrix([(sympy.S.One, [(self._index(name), False)])])

    def number(self, name: str | int) -> sympy.SparseMatrix:
        """Exact matrix of ``n = d^+ d`` for one mode.

        Parameters
        ----------
        name : str or int
            A mode name or a mode index.

        Returns
        -------
        sympy.SparseMatrix
            The (diagonal) matrix in the ordered basis.
        """
        m = self._index(name)
        return self.operator_matrix([(sympy.S.One, [(m, True), (m, False)])])

    def _index(self, name: str | int) -> int:
        if isinstance(name, int) and not isinstance(name, bool):
            if not 0 <= name < self.n_modes:
                raise ValueError(f"mode index {name} out of range 0..{self.n_modes - 1}")
            return name
        return self.mode(name)

    @cached_property
    def charge_operator(self) -> sympy.SparseMatrix:
        """Exact matrix of the total number operator N."""
        return self.operator_matrix([(sympy.S.One, [(m, True), (m, False)]) for m in range(self.n_modes)])
