"""Many-body Hamiltonian of a dot (a molecule, a quantum dot) in its Fock basis.

H = sum_i eps_i n_i
  + sum_{i != j} (Omega_ij d_i^+ d_j + Omega_ij^* d_j^+ d_i)      (hoppings; h.c. added)
  + sum U_ij n_i n_j                                              (density-density Coulomb)
  + sum U_mnkl d_m^+ d_n^+ d_k d_l                                (general interaction, as given)

Coefficients are numbers or SymPy expressions (symbols are real, see :mod:`symbolic_pme.parsing`).
With spin, an orbital name in ``onsite``, ``hopping`` and ``coulomb`` acts on both spins; a Coulomb
term that names one orbital twice is ``U n_up n_down``; a general interaction with orbital names is the
spin-independent ``sum_{s,s'} U d_ms^+ d_ns'^+ d_ks' d_ls``.  Spin-orbital names (``a_up``) address
one mode.  QmeQ's ``hsingle[(i, j)]`` is the coefficient of ``d_j^+ d_i``, the transpose of
``Omega_ij`` here, and QmeQ adds the Hermitian conjugate of every ``coulomb`` entry by default;
this module adds nothing to the general interaction and rejects a result that is not Hermitian.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy

from symbolic_pme.checks import hermitian, label_pairs
from symbolic_pme.parsing import Value, to_expr
from symbolic_pme.transport.fock import FockSpace, LadderOp

__all__ = ["Hamiltonian"]

Term = tuple[sympy.Expr, tuple[LadderOp, ...]]
SectorKey = tuple  # (N,) or (N, Sz)


@dataclass(frozen=True, eq=False)
class TermAction:
    """One coefficient's operator on the whole basis: ``<rows|O|columns> = signs``.

    ``H = sum over actions of coefficient * O``; positions index :attr:`FockSpace.states`.  Terms
    with the same coefficient share one action, so a numeric kernel evaluates tens of
    coefficients and assembles any block from these integer arrays.

    Attributes
    ----------
    coefficient : sympy.Expr
        The coefficient shared by the terms.
    rows, columns : numpy.ndarray
        Basis positions of the non-zero entries of ``O``, sorted by column, then row.
    signs : numpy.ndarray
        The integer entries of ``O`` at those positions (summed Jordan–Wigner signs, never 0).
    """

    coefficient: sympy.Expr
    rows: np.ndarray
    columns: np.ndarray
    signs: np.ndarray


def _real_where_finite(value: sympy.Expr) -> bool:
    """Whether ``value`` is real, or a quotient of real expressions (real wherever it is finite)."""
    if value.is_extended_real:
        return True
    numerator, denominator = sympy.fraction(sympy.together(value))
    return bool(numerator.is_extended_real and denominator.is_extended_real)


def _number(mode: int) -> tuple[LadderOp, ...]:
    return ((mode, True), (mode, False))


class Hamiltonian:
    """The dot Hamiltonian, exact and stored per charge (and, with spin, S_z) block.

    All energies share one unit, that of the lead temperatures and chemical potentials
    (hbar = e = k_B = 1, docs/conventions.md).  Numbers and SymPy expressions are accepted as
    coefficients; strings are parsed safely (:func:`symbolic_pme.parsing.to_expr`).

    Parameters
    ----------
    space : FockSpace
        The Fock space.
    onsite : mapping of str to Value, optional
        ``{orbital: eps}``, on-site energies ``eps n_i``.  Keyword-only, like the other tables.
    hopping : mapping of (str, str) to Value, optional
        ``{(i, j): Omega}``, hoppings ``Omega d_i^+ d_j + Omega^* d_j^+ d_i`` (i != j); complex
        values allowed.  QmeQ's ``hsingle[(i, j)]`` is the transpose of this ``Omega_ij``.
    coulomb : mapping of (str, str) to Value, optional
        ``{(i, j): U}``, density-density terms ``U n_i n_j``; ``(i, i)`` with spin is
        ``U n_up n_down``.
    interaction : mapping of (str, str, str, str) to Value, optional
        ``{(m, n, k, l): U}``, general terms ``U d_m^+ d_n^+ d_k d_l`` added exactly as given
        (include both a term and its conjugate partner; a non-Hermitian total is an error).

    Attributes
    ----------
    space : FockSpace
        The Fock space.
    terms : tuple of (sympy.Expr, tuple of LadderOp)
        Every term as a coefficient and its operator product.
    actions : tuple of TermAction
        The terms grouped by coefficient, applied to the whole basis.
    conserves_sz : bool
        True when the space has spin and every term conserves S_z.
    sectors : dict of tuple to tuple of int
        Fock states of each block, keyed by ``(N,)`` or, when H conserves S_z, ``(N, S_z)``.

    Raises
    ------
    TypeError
        If ``space`` is not a :class:`FockSpace`.
    ValueError
        If a key or value is malformed, names an unknown orbital, mixes orbital and spin-orbital
        names, or the total is not Hermitian.

    Examples
    --------
    >>> space = FockSpace(["a", "b"])
    >>> h = Hamiltonian(space, onsite={"a": "e"}, hopping={("a", "b"): "w"})
    >>> h.block((1,))
    Matrix([
    [0, w],
    [w, e]])
    """

    def __init__(
        self,
        space: FockSpace,
        *,
        onsite: Mapping[str, Value] | None = None,
        hopping: Mapping[tuple[str, str], Value] | None = None,
        coulomb: Mapping[tuple[str, str], Value] | None = None,
        interaction: Mapping[tuple[str, str, str, str], Value] | None = None,
    ):
        if not isinstance(space, FockSpace):
            raise TypeError(f"space: expected a FockSpace, got {type(space).__name__}")
        self.space = space
        self._has_interaction = bool(interaction)
        self.terms: tuple[Term, ...] = tuple(
            self._onsite_terms(onsite or {})
            + self._hopping_terms(hopping or {})
            + self._coulomb_terms(coulomb or {})
            + self._interaction_terms(interaction or {})
        )
        #: The terms grouped by coefficient, applied to the whole basis (what kernels assemble).
        self.actions: tuple[TermAction, ...] = self._actions()
        if not self._hermitian_by_construction():
            self._check_hermitian()
        self.conserves_sz: bool = space.spin and self._conserves_sz()
        #: Fock states of each block, keyed by (N,) or, when H conserves S_z, by (N, S_z).
        self.sectors: dict[SectorKey, tuple[int, ...]] = self._sectors()

    def __repr__(self) -> str:
        return f"Hamiltonian({self.space!r}, {len(self.terms)} terms)"

    # ----------------------------------------------------------------------------- public views
    @cached_property
    def matrix(self) -> sympy.SparseMatrix:
        """Exact matrix in the ordered Fock basis (``space.states``); built on first use (a large Fock
        space is only ever used through :attr:`actions` and its blocks).
        """
        entries: dict[tuple[int, int], sympy.Expr] = {}
        for action in self.actions:
            for i, j, sign in zip(action.rows.tolist(), action.columns.tolist(), action.signs.tolist()):
                entries[(i, j)] = entries.get((i, j), sympy.S.Zero) + sign * action.coefficient
        entries = {k: v for k, v in entries.items() if v != 0}
        return sympy.SparseMatrix(self.space.dimension, self.space.dimension, entries)

    @property
    def parameters(self) -> set[sympy.Symbol]:
        """Free symbols of the Hamiltonian."""
        return set().union(set(), *(a.coefficient.free_symbols for a in self.actions))

    @cached_property
    def diagonal_actions(self) -> tuple[TermAction, ...]:
        """The actions that are diagonal in the Fock basis (on-site and density terms)."""
        return tuple(a for a in self.actions if np.array_equal(a.rows, a.columns))

    def fock_energy(self, position: int) -> sympy.Expr:
        """The exact diagonal element ``<s|H|s>`` of a basis state.

        Parameters
        ----------
        position : int
            The state's position in ``space.states``.

        Returns
        -------
        sympy.Expr
            The sum of the on-site and density-density terms of that state.
        """
        terms = []
        for action in self.diagonal_actions:
            hit = np.searchsorted(action.columns, position)
            if hit < len(action.columns) and action.columns[hit] == position:
                terms.append(int(action.signs[hit]) * action.coefficient)
        if all(term.is_Number for term in terms):
            return _number_sum(terms)
        return sympy.Add(*terms)

    def block(self, key: SectorKey) -> sympy.Matrix:
        """Exact Hamiltonian block of a sector.

        Parameters
        ----------
        key : tuple
            A key of :attr:`sectors`: ``(N,)`` or ``(N, S_z)``.

        Returns
        -------
        sympy.Matrix
            Rows and columns in ``sectors[key]`` order.

        Raises
        ------
        ValueError
            If there is no such sector.
        """
        if key not in self.sectors:
            raise ValueError(f"no sector {key!r}; sectors: {list(self.sectors)}")
        return self.submatrix([self.space.position(s) for s in self.sectors[key]])

    def submatrix(self, positions: Sequence[int]) -> sympy.Matrix:
        """Exact matrix over some basis states, from the actions (never the whole matrix).

        Parameters
        ----------
        positions : sequence of int
            Positions in ``space.states``; rows and columns follow this order.

        Returns
        -------
        sympy.Matrix
            ``<states[p]|H|states[q]>`` for p, q in ``positions``.
        """
        local = {p: k for k, p in enumerate(positions)}
        block = sympy.zeros(len(positions), len(positions))
        wanted = np.array(sorted(local), dtype=np.int64)
        for action in self.actions:
            keep = np.isin(action.rows, wanted) & np.isin(action.columns, wanted)
            rows, columns, signs = (a[keep].tolist() for a in (action.rows, action.columns, action.signs))
            for i, j, sign in zip(rows, columns, signs):
                block[local[i], local[j]] += sign * action.coefficient
        return block

    @property
    def blocks(self) -> dict[SectorKey, sympy.Matrix]:
        """All blocks, ``{sector key: exact matrix}``."""
        return {key: self.block(key) for key in self.sectors}

    def element(self, bra: int, ket: int) -> sympy.Expr:
        """``<bra|H|ket>`` for two Fock states.

        Parameters
        ----------
        bra, ket : int
            Fock states (integers, not positions).

        Returns
        -------
        sympy.Expr
            The matrix element (builds :attr:`matrix`).
        """
        return self.matrix[self.space.position(bra), self.space.position(ket)]

    # ----------------------------------------------------------------------------- term builders
    def _onsite_terms(self, onsite: Mapping[str, Value]) -> list[Term]:
        terms = []
        for name, value in onsite.items():
            eps = to_expr(value, f"onsite energy of {name!r}")
            terms += [(eps, _number(m)) for m in self.space.modes_of(name)]
        return terms

    def _paired_modes(self, names: Sequence[str], what: str) -> list[tuple[int, ...]]:
        """Modes addressed by a tuple of names: one tuple per spin (orbital names) or one tuple
        (spin-orbital names).  Mixing the two kinds is ambiguous and rejected."""
        space = self.space
        kinds = {space.spin and name in space.orbitals for name in names}
        if len(kinds) > 1:
            raise ValueError(f"{what}: mix of orbital and spin-orbital names {tuple(names)}; use one kind")
        per_name = [space.modes_of(name) for name in names]
        return [tuple(modes) for modes in zip(*per_name)]

    def _hopping_terms(self, hopping: Mapping[tuple[str, str], Value]) -> list[Term]:
        terms = []
        for i, j, omega in label_pairs(hopping, None, what="hopping", kind="orbital"):
            for mi, mj in self._paired_modes((i, j), f"hopping {(i, j)!r}"):
                terms.append((omega, ((mi, True), (mj, False))))
                terms.append((sympy.conjugate(omega), ((mj, True), (mi, False))))
        return terms

    def _coulomb_terms(self, coulomb: Mapping[tuple[str, str], Value]) -> list[Term]:
        space = self.space
        terms = []
        for key, value in coulomb.items():
            i, j = _pair(key, "coulomb")
            what = f"coulomb {key!r}"
            u = to_expr(value, what)
            if i == j:
                if not (space.spin and i in space.orbitals):
                    raise ValueError(
                        f"{what}: n_i n_i = n_i is an on-site energy; the same orbital twice needs spin=True"
                    )
                up, down = space.modes_of(i)
                terms.append((u, ((up, True), (up, False), (down, True), (down, False))))
                continue
            modes_i, modes_j = space.modes_of(i), space.modes_of(j)
            if set(modes_i) & set(modes_j):
                raise ValueError(f"{what}: {i!r} and {j!r} share a spin-orbital")
            terms += [(u, _number(m) + _number(k)) for m in modes_i for k in modes_j]
        return terms

    def _interaction_terms(self, interaction: Mapping[tuple[str, str, str, str], Value]) -> list[Term]:
        space = self.space
        terms = []
        for key, value in interaction.items():
            if not (isinstance(key, tuple) and len(key) == 4 and all(isinstance(k, str) for k in key)):
                raise ValueError(f"interaction {key!r}: expected a tuple of four orbital names (m, n, k, l)")
            what = f"interaction {key!r}"
            u = to_expr(value, what)
            m, n, k, l = key  # noqa: E741 (the indices of U_mnkl)
            if space.spin and m in space.orbitals:
                self._paired_modes(key, what)  # rejects a mix of orbital and spin-orbital names
                spins = range(2)
                for s in spins:
                    for s2 in spins:
                        ms, ns = space.modes_of(m)[s], space.modes_of(n)[s2]
                        ks, ls = space.modes_of(k)[s2], space.modes_of(l)[s]
                        terms.append((u, ((ms, True), (ns, True), (ks, False), (ls, False))))
            else:
                (modes,) = self._paired_modes(key, what)
                terms.append((u, tuple(zip(modes, (True, True, False, False)))))
        return terms

    # ----------------------------------------------------------------------------- checks and blocks
    def _actions(self) -> tuple[TermAction, ...]:
        """The terms applied to the whole basis, merged per coefficient (entries that cancel
        within one coefficient are dropped; terms with coefficient 0 contribute nothing)."""
        by_coefficient: dict[sympy.Expr, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        for coefficient, operators in self.terms:
            if coefficient != 0:
                by_coefficient.setdefault(coefficient, []).append(self.space.apply_all(operators))
        actions = []
        size = self.space.dimension
        for coefficient, parts in by_coefficient.items():
            rows = np.concatenate([p[0] for p in parts])
            columns = np.concatenate([p[1] for p in parts])
            signs = np.concatenate([p[2] for p in parts]).astype(np.int64)
            keys, inverse = np.unique(columns * size + rows, return_inverse=True)
            summed = np.bincount(inverse, weights=signs, minlength=len(keys)).astype(np.int64)
            keep = summed != 0
            keys, summed = keys[keep], summed[keep]
            # sorted by column, then row: diagonal actions are searchable by position
            actions.append(TermAction(coefficient, keys % size, keys // size, summed.astype(np.int8)))
        return tuple(actions)

    def _hermitian_by_construction(self) -> bool:
        """True when the terms are Hermitian whatever the symbols: only on-site, hopping (added
        with its conjugate) and density terms, with real diagonal coefficients.  The general
        interaction, or a coefficient not known to be real on the diagonal, gets the full check.
        A quotient of real expressions counts as real (``0.1/gate``, a tip's ``R*V/d``): SymPy
        cannot call it real only because the denominator may vanish, where it is not finite at all
        (and a solve refuses it)."""
        if self._has_interaction:
            return False
        return all(_real_where_finite(a.coefficient) for a in self.diagonal_actions)

    def _check_hermitian(self) -> None:
        hermitian(
            self.matrix,
            [self.space.label(s) for s in self.space.states],
            what="the Hamiltonian",
            hint="give each general interaction term together with its conjugate partner",
        )

    def _conserves_sz(self) -> bool:
        sz = self.space.twice_sz_array
        return all(np.array_equal(sz[a.rows], sz[a.columns]) for a in self.actions)

    def _sectors(self) -> dict[SectorKey, tuple[int, ...]]:
        space = self.space
        keys = space.charge_array
        if self.conserves_sz:
            # one integer per (N, S_z): N * (2 * n_modes + 1) + 2 S_z + n_modes
            keys = keys * (2 * space.n_modes + 1) + space.twice_sz_array + space.n_modes
        sectors: dict[SectorKey, tuple[int, ...]] = {}
        for key in np.unique(keys):
            positions = np.flatnonzero(keys == key)
            first = space.states[int(positions[0])]
            sector = (space.charge(first),) + ((space.sz(first),) if self.conserves_sz else ())
            sectors[sector] = tuple(space.state_array[positions].tolist())
        return dict(sorted(sectors.items()))


def _pair(key, table: str) -> tuple[str, str]:
    if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
        raise ValueError(f"{table} {key!r}: expected a pair of orbital names")
    return key


def _number_sum(numbers: list[sympy.Number]) -> sympy.Number:
    """``sympy.Add(*numbers)`` without ``Add``, whose first call imports ``sympy.tensor`` (55 ms
    of a numeric model's first load): the same steps (zeros dropped, one number as it is, the
    rest accumulated in order from zero), so the same number of the same type."""
    numbers = [n for n in numbers if n is not sympy.S.Zero]
    if len(numbers) == 1:
        return numbers[0]
    total = sympy.S.Zero
    for number in numbers:
        total = total + number
    return total
