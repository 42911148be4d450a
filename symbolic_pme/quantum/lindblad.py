"""Lindblad master equations, symbolic: Hamiltonian, jump operators, Liouvillian, equations of motion.

A :class:`LindbladModel` holds a density matrix over labelled states and its equation of motion

    d rho/dt = -(i/hbar) [H, rho] + sum_k r_k ( L_k rho L_k^+ - 1/2 {L_k^+ L_k, rho} ),

with a Hermitian Hamiltonian H (energies), jump operators L_k (dimensionless matrices) and rates
r_k >= 0 (probability per unit time).  hbar = 1 unless given (e.g. as a symbol): then H is an
energy and rates and frequencies are per unit time, ``omega = E / hbar``.  All symbols are real
(``to_expr``); complex couplings are written from real parameters, e.g. ``V * exp(I * phi)``.

Dephasing convention (docs/conventions.md): a dephasing rate gamma is the decay rate of the coherence
rho_12 it causes.  :func:`dephasing` adds the jump ``|a><a|`` with rate gamma for every dephased
state a: a coherence between two dephased states decays at gamma (for two levels this is the
Lindblad operator sqrt(gamma/2) sigma_z), one between a dephased and an undephased state at
gamma/2; populations are untouched.

Jumps may name a *channel* and the quantities one jump *carries* into the system (as transitions
of a :class:`~symbolic_pme.networks.network.RateNetwork` do), so that currents of the Lindblad equation and of
a rate network reduced from it compare directly: the current of quantity q from channel c is
``sum_{k in c} q_k r_k Tr(L_k rho L_k^+)``, positive into the system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from symbolic_pme.checks import hermitian, state_labels
from symbolic_pme.checks import rate as checked_rate
from symbolic_pme.parsing import Value, to_expr

__all__ = ["Jump", "LindbladModel", "decay", "dephasing", "projector", "two_level"]

Pair = tuple[str, str]


@dataclass(frozen=True)
class Jump:
    """One dissipator ``rate * D[operator]``: ``D[L] rho = L rho L^+ - {L^+ L, rho}/2``.

    Attributes
    ----------
    operator : sympy.ImmutableMatrix
        The jump operator L, an n x n dimensionless matrix over the model's states.
    rate : sympy.Expr
        The rate r >= 0, a probability per unit time.
    channel : str or None
        An optional tag (a lead, a bath) that currents are resolved by.
    carries : mapping of str to sympy.Expr
        The quantities one jump moves into the system from ``channel`` (positive into the
        system, ``docs/conventions.md``).
    """

    operator: sympy.ImmutableMatrix
    rate: sympy.Expr
    channel: str | None = None
    carries: Mapping[str, sympy.Expr] = field(default_factory=dict)

    def __str__(self) -> str:
        via = f" [{self.channel}]" if self.channel is not None else ""
        return f"{self.rate} * D[{self.operator.tolist()}]{via}"


class LindbladModel:
    """A density-matrix (Lindblad) model over labelled states.

    Parameters
    ----------
    states : sequence of str
        Unique state labels; they index rows and columns of every matrix.
    hamiltonian : sympy.MatrixBase or sequence of sequences of values
        Hermitian n x n matrix (energies), as a SymPy matrix or nested lists of values.
    jumps : iterable of Jump, optional
        :class:`Jump` objects (see :func:`decay`, :func:`dephasing`).
    hbar : value, optional
        Reduced Planck constant (keyword only), 1 by default (``docs/conventions.md``); a
        positive number or a symbol.  Then H is an energy and rates and frequencies are per
        unit time, ``omega = E / hbar``.

    Raises
    ------
    ValueError
        Naming the argument, for a non-square, wrongly sized or non-Hermitian Hamiltonian, a
        jump operator of the wrong size, a negative or non-real rate, or hbar <= 0.
    TypeError
        For a jump that is not a :class:`Jump`.

    Examples
    --------
    A decaying two-level atom (E = energy of ``e``, G = decay rate of its population):

    >>> atom = LindbladModel(["g", "e"], [[0, 0], [0, "E"]], [decay(["g", "e"], "e", "g", "G")])
    >>> atom
    LindbladModel(2 states, 1 jumps)
    >>> atom.equations()
    {('g', 'g'): G*rho_ee, ('g', 'e'): I*E*rho_ge - G*rho_ge/2, ('e', 'e'): -G*rho_ee}
    """

    def __init__(
        self,
        states: Sequence[str],
        hamiltonian: sympy.MatrixBase | Sequence[Sequence[Value]],
        jumps: Iterable[Jump] = (),
        *,
        hbar: Value = 1,
    ):
        self.states: tuple[str, ...] = state_labels(states)
        self._index = {label: i for i, label in enumerate(self.states)}
        n = len(self.states)
        self.hamiltonian: sympy.ImmutableMatrix = _matrix(hamiltonian, n, "hamiltonian")
        hermitian(self.hamiltonian, self.states, what="hamiltonian")
        self.hbar: sympy.Expr = to_expr(hbar, "hbar")
        if self.hbar.is_positive is False:
            raise ValueError(f"hbar must be positive, got {self.hbar}")
        self.jumps: tuple[Jump, ...] = tuple(self._jump(k, jump) for k, jump in enumerate(jumps))
        self._liouvillians: dict[tuple, sympy.Matrix] = {}  # parts of L already built

    def _jump(self, k: int, jump: Jump) -> Jump:
        if not isinstance(jump, Jump):
            raise TypeError(f"jump {k}: expected a Jump, got {type(jump).__name__}")
        what = f"jump {k}" + (f" [{jump.channel}]" if jump.channel is not None else "")
        operator = _matrix(jump.operator, len(self.states), f"{what}: operator")
        rate = checked_rate(jump.rate, f"{what}: rate")
        carries = {str(q): to_expr(v, f"{what}: carried {q!r}") for q, v in jump.carries.items()}
        return Jump(operator, rate, None if jump.channel is None else str(jump.channel), carries)

    def __repr__(self) -> str:
        return f"LindbladModel({len(self.states)} states, {len(self.jumps)} jumps)"

    # ----------------------------------------------------------------------------- structure
    def index(self, label: str) -> int:
        """Position of a state.

        Parameters
        ----------
        label : str
            A state label.

        Returns
        -------
        int
            Its index in :attr:`states` (the row and column of every matrix).

        Raises
        ------
        ValueError
            For an unknown state.
        """
        try:
            return self._index[label]
        except KeyError:
            raise ValueError(f"unknown state {label!r}; states: {', '.join(self.states)}") from None

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel tags of the jumps, in order of first appearance."""
        return tuple(dict.fromkeys(j.channel for j in self.jumps if j.channel is not None))

    @property
    def quantities(self) -> tuple[str, ...]:
        """Quantities the jumps carry, in order of first appearance."""
        return tuple(dict.fromkeys(q for j in self.jumps for q in j.carries))

    @property
    def parameters(self) -> set[sympy.Symbol]:
        """Free symbols of H, hbar, the jump operators, rates and carried quantities."""
        exprs = [self.hamiltonian, self.hbar]
        for jump in self.jumps:
            exprs += [jump.operator, jump.rate, *jump.carries.values()]
        return set().union(*(e.free_symbols for e in exprs))

    def subs(self, values: Mapping[sympy.Symbol | str, Value]) -> LindbladModel:
        """A copy with parameters replaced.

        Parameters
        ----------
        values : mapping of sympy.Symbol or str to value
            ``{parameter: value}``; keys are symbols or their names.  Names that are not
            parameters are ignored.

        Returns
        -------
        LindbladModel
            The model with the values substituted in H, hbar, the jump operators, rates and
            carried quantities.

        Raises
        ------
        ValueError
            When a substituted rate is negative or hbar not positive (as for the constructor).
        """
        by_name = {str(k): v for k, v in values.items()}
        mapping = {s: to_expr(by_name[s.name], s.name) for s in self.parameters if s.name in by_name}

        def sub(expr):
            return expr.xreplace(mapping)

        jumps = [
            Jump(sub(j.operator), sub(j.rate), j.channel, {q: sub(v) for q, v in j.carries.items()}) for j in self.jumps
        ]
        return LindbladModel(self.states, sub(self.hamiltonian), jumps, hbar=sub(self.hbar))

    # ----------------------------------------------------------------------------- dynamics
    def apply(self, rho: sympy.MatrixBase) -> sympy.Matrix:
        """The right-hand side of the Lindblad equation.

        Parameters
        ----------
        rho : sympy.MatrixBase
            A density matrix (any n x n SymPy matrix over :attr:`states`).

        Returns
        -------
        sympy.Matrix
            ``d rho/dt``, expanded.
        """
        h = self.hamiltonian
        result = -sympy.I / self.hbar * (h * rho - rho * h)
        for jump in self.jumps:
            op = jump.operator
            k = op.H * op
            result += jump.rate * (op * rho * op.H - (k * rho + rho * k) / 2)
        return result.applyfunc(sympy.expand)

    def density_matrix(self) -> sympy.Matrix:
        """A general Hermitian density matrix of symbols.

        Returns
        -------
        sympy.Matrix
            Real populations ``rho_aa`` and complex coherences ``rho_ab`` (a before b), with
            ``rho_ba = conjugate(rho_ab)``; a comma separates the labels unless all are one
            character long (``rho_12``, ``rho_L,R``).
        """
        n = len(self.states)
        rho = sympy.zeros(n, n)
        for i, a in enumerate(self.states):
            rho[i, i] = sympy.Symbol(self._element_name(a, a), real=True)
            for j in range(i + 1, n):
                element = sympy.Symbol(self._element_name(a, self.states[j]), complex=True)
                rho[i, j], rho[j, i] = element, sympy.conjugate(element)
        return rho

    def _element_name(self, a: str, b: str) -> str:
        separator = "" if all(len(s) == 1 for s in self.states) else ","
        return f"rho_{a}{separator}{b}"

    def equations(self) -> dict[Pair, sympy.Expr]:
        """Equations of motion of the density-matrix elements.

        Returns
        -------
        dict of (str, str) to sympy.Expr
            ``{(a, b): d rho_ab/dt}`` for populations (a == b) and coherences (a before b), in
            the symbols of :meth:`density_matrix`.

        Examples
        --------
        The coherence of the dephased two-level system decays at gamma (``docs/conventions.md``):

        >>> two_level("w0", "V", "gamma").equations()[("1", "2")]
        I*V*rho_11 - I*V*rho_22 - gamma*rho_12 - I*rho_12*w0
        """
        rhs = self.apply(self.density_matrix())
        n = len(self.states)
        return {(self.states[i], self.states[j]): rhs[i, j] for i in range(n) for j in range(i, n)}

    @property
    def elements(self) -> tuple[Pair, ...]:
        """The density-matrix elements ``(a, b)`` in the order of :meth:`liouvillian` (row-major)."""
        return tuple((a, b) for a in self.states for b in self.states)

    def liouvillian(
        self, *, hamiltonian: bool = True, jumps: Iterable[Jump] | None = None, dissipator: str = "full"
    ) -> sympy.Matrix:
        """The Liouvillian superoperator on row-major vec(rho): ``d vec(rho)/dt = L vec(rho)``.

        Row and column ``a * n + b`` belong to ``rho_ab`` (see :attr:`elements`).  The coefficient
        of rho_mn in d rho_kl/dt is ``-(i/hbar)(H_km d_nl - d_km H_nl)`` plus, for each jump,
        ``r (L_km conj(L_ln) - (K_km d_nl + d_km K_nl)/2)`` with ``K = L^+ L``.  The parts
        selected by the options add up to L.

        Parameters
        ----------
        hamiltonian : bool, optional
            Include the commutator (default); False leaves it out.
        jumps : iterable of Jump, optional
            The jumps whose dissipators are included (default: all).
        dissipator : {"full", "jump", "decay"}, optional
            ``"full"`` (default); ``"jump"``: only the jump term ``r L rho L^+`` (what moves the
            system and carries quantities); ``"decay"``: only ``-r {K, rho}/2`` (the decay of
            what the jump leaves).

        Returns
        -------
        sympy.Matrix
            The n^2 x n^2 superoperator.

        Raises
        ------
        ValueError
            For an unknown ``dissipator``.
        """
        if dissipator not in ("full", "jump", "decay"):
            raise ValueError(f"dissipator: expected 'full', 'jump' or 'decay', got {dissipator!r}")
        selected = self.jumps if jumps is None else tuple(jumps)
        key = (hamiltonian, tuple(self.jumps.index(j) if j in self.jumps else -1 for j in selected), dissipator)
        if -1 not in key[1] and key in self._liouvillians:
            return self._liouvillians[key].copy()
        matrix = self._liouvillian(hamiltonian, selected, dissipator)
        if -1 not in key[1]:
            self._liouvillians[key] = matrix.copy()
        return matrix

    def _liouvillian(self, hamiltonian: bool, jumps: tuple[Jump, ...], dissipator: str) -> sympy.Matrix:
        n = len(self.states)
        entries: dict[tuple[int, int], sympy.Expr] = {}

        def add(row: int, col: int, value: sympy.Expr) -> None:
            if value != 0:
                entries[row, col] = entries.get((row, col), sympy.S.Zero) + value

        def nonzero(matrix: sympy.MatrixBase) -> list[tuple[int, int, sympy.Expr]]:
            return [(a, b, matrix[a, b]) for a in range(n) for b in range(n) if matrix[a, b] != 0]

        factor = -sympy.I / self.hbar
        for k, m, value in nonzero(self.hamiltonian) if hamiltonian else ():
            for l in range(n):
                add(k * n + l, m * n + l, factor * value)  # H rho
                add(l * n + m, l * n + k, -factor * value)  # rho H
        for jump in jumps:
            op, r = jump.operator, jump.rate
            entries_op = nonzero(op)
            for k, m, a in entries_op if dissipator != "decay" else ():
                for l, q, b in entries_op:
                    add(k * n + l, m * n + q, r * a * sympy.conjugate(b))  # L rho L^+
            for k, m, value in nonzero(op.H * op) if dissipator != "jump" else ():
                for l in range(n):
                    add(k * n + l, m * n + l, -r * value / 2)  # K rho
                    add(l * n + m, l * n + k, -r * value / 2)  # rho K
        matrix = sympy.zeros(n * n, n * n)
        for (row, col), value in entries.items():
            matrix[row, col] = sympy.expand(value)
        return matrix

    def bloch_coordinates(self) -> tuple[tuple[str, ...], ...]:
        """Real coordinates of a density matrix (the Bloch-vector components).

        Returns
        -------
        tuple of tuple of str
            ``("P", a)`` = rho_aa for every state, then for a before b ``("Re", a, b)`` and
            ``("Im", a, b)`` of rho_ab.
        """
        populations = tuple(("P", a) for a in self.states)
        n = len(self.states)
        pairs = [(self.states[i], self.states[j]) for i in range(n) for j in range(i + 1, n)]
        return populations + tuple((part, a, b) for a, b in pairs for part in ("Re", "Im"))

    def bloch_liouvillian(self) -> sympy.Matrix:
        """The Liouvillian in the real coordinates of :meth:`bloch_coordinates`.

        Returns
        -------
        sympy.Matrix
            The real matrix B of the generalized Bloch equations, ``d x/dt = B x``.
        """
        n = len(self.states)
        to_elements = sympy.zeros(n * n, n * n)  # element vector = to_elements * coordinates
        for k, coordinate in enumerate(self.bloch_coordinates()):
            a, b = self.index(coordinate[1]), self.index(coordinate[-1])
            if coordinate[0] == "P":
                to_elements[a * n + a, k] = 1
            else:
                unit = 1 if coordinate[0] == "Re" else sympy.I
                to_elements[a * n + b, k] = unit
                to_elements[b * n + a, k] = sympy.conjugate(unit)
        matrix = to_elements.inv() * self.liouvillian() * to_elements
        return matrix.applyfunc(lambda e: sympy.expand_complex(e) if e.has(sympy.I) else sympy.expand(e))

    def steady_state(self) -> sympy.Matrix:
        """The steady-state density matrix in closed form (small models).

        ``B x = 0`` with Tr rho = 1, solved exactly in the real Bloch coordinates.

        Returns
        -------
        sympy.Matrix
            The steady-state rho, entries cancelled and factored.

        Raises
        ------
        ValueError
            When the steady state is not unique.

        Examples
        --------
        >>> atom = LindbladModel(["g", "e"], [[0, 0], [0, "E"]], [decay(["g", "e"], "e", "g", "G")])
        >>> atom.steady_state()
        Matrix([
        [1, 0],
        [0, 0]])
        """
        n = len(self.states)
        system = self.bloch_liouvillian()
        system[0, :] = sympy.Matrix([[1 if k < n else 0 for k in range(n * n)]])
        rhs = sympy.zeros(n * n, 1)
        rhs[0] = 1
        try:
            solution = system.LUsolve(rhs)
        except ValueError:
            raise ValueError("the steady state is not unique (the Liouvillian has several zero modes)") from None
        rho = sympy.zeros(n, n)
        for coordinate, value in zip(self.bloch_coordinates(), solution):
            a, b = self.index(coordinate[1]), self.index(coordinate[-1])
            value = sympy.factor(sympy.cancel(value))
            if coordinate[0] == "P":
                rho[a, a] = value
            else:
                unit = 1 if coordinate[0] == "Re" else sympy.I
                rho[a, b] += unit * value
                rho[b, a] += sympy.conjugate(unit) * value
        return rho

    # ----------------------------------------------------------------------------- observables
    def current(self, quantity: str, channel: str, rho: sympy.MatrixBase) -> sympy.Expr:
        """Current of ``quantity`` from ``channel`` into the system in the state ``rho``.

        ``sum_{k in channel} q_k r_k Tr(L_k rho L_k^+)``, positive into the system
        (``docs/conventions.md``).

        Parameters
        ----------
        quantity : str
            A quantity the jumps carry (:attr:`quantities`).
        channel : str
            A channel tag (:attr:`channels`).
        rho : sympy.MatrixBase
            The density matrix, e.g. :meth:`steady_state` or :meth:`density_matrix`.

        Returns
        -------
        sympy.Expr
            The current (quantity per unit time), expanded.

        Raises
        ------
        ValueError
            For an unknown channel or quantity.
        """
        if channel not in self.channels:
            raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(self.channels)}")
        if quantity not in self.quantities:
            raise ValueError(f"unknown quantity {quantity!r}; quantities: {', '.join(self.quantities)}")
        total = sympy.S.Zero
        for jump in self.jumps:
            if jump.channel == channel and quantity in jump.carries:
                total += jump.carries[quantity] * jump.rate * (jump.operator * rho * jump.operator.H).trace()
        return sympy.expand(total)


# --------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------


def projector(states: Sequence[str], state: str) -> sympy.ImmutableMatrix:
    """The projector ``|state><state|``.

    Parameters
    ----------
    states : sequence of str
        The basis labels.
    state : str
        One of them.

    Returns
    -------
    sympy.ImmutableMatrix
        The n x n projector.

    Raises
    ------
    ValueError
        For an unknown state, or invalid labels.

    Examples
    --------
    >>> projector(["a", "b"], "b")
    Matrix([
    [0, 0],
    [0, 1]])
    """
    return _ket_bra(states, state, state)


def decay(
    states: Sequence[str],
    source: str,
    target: str,
    rate: Value,
    *,
    channel: str | None = None,
    carries: Mapping[str, Value] | None = None,
) -> Jump:
    """The incoherent jump ``source -> target`` at ``rate``: operator ``|target><source|``.

    Populations move at ``rate``; every coherence of ``source`` decays at ``rate / 2``.

    Parameters
    ----------
    states : sequence of str
        The model's state labels.
    source, target : str
        The states before and after the jump.
    rate : value
        The rate (probability per unit time); must not be negative.
    channel : str, optional
        The channel tag (default: none).
    carries : mapping of str to value, optional
        The quantities one jump moves into the system from ``channel``.

    Returns
    -------
    Jump
        The jump.

    Raises
    ------
    ValueError
        For a negative, NaN or non-real rate, or an unknown state.

    Examples
    --------
    >>> jump = decay(["g", "e"], "e", "g", "G", channel="photon")
    >>> print(jump)
    G * D[[[0, 1], [0, 0]]] [photon]
    """
    operator = _ket_bra(states, target, source)
    return Jump(operator, checked_rate(rate, f"rate {source} -> {target}"), channel, dict(carries or {}))


def dephasing(states: Sequence[str], rate: Value, *, dephased: Sequence[str] | None = None) -> list[Jump]:
    """Pure dephasing: the jump ``|a><a|`` at ``rate`` for every dephased state a.

    Convention (``docs/conventions.md``): ``rate`` is gamma, the decay rate of the coherence
    rho_ab between two dephased states (for two levels: the Lindblad operator
    sqrt(gamma/2) sigma_z); a coherence between a dephased and an undephased state decays at
    gamma/2.  Populations are unchanged.

    Parameters
    ----------
    states : sequence of str
        The model's state labels.
    rate : value
        gamma >= 0, the decay rate of rho_ab (probability per unit time).
    dephased : sequence of str, optional
        The dephased states (default: all).

    Returns
    -------
    list of Jump
        One jump per dephased state.

    Raises
    ------
    ValueError
        For a negative rate, or an unknown state.

    Examples
    --------
    >>> model = LindbladModel(["1", "2"], [[0, 0], [0, 0]], dephasing(["1", "2"], "gamma"))
    >>> model.equations()
    {('1', '1'): 0, ('1', '2'): -gamma*rho_12, ('2', '2'): 0}
    """
    gamma = checked_rate(rate, "dephasing rate")
    chosen = tuple(states) if dephased is None else tuple(dephased)
    return [Jump(projector(states, a), gamma) for a in chosen]


def two_level(
    detuning: Value,
    coupling: Value,
    dephasing_rate: Value,
    *,
    hbar: Value = 1,
    states: tuple[str, str] = ("1", "2"),
) -> LindbladModel:
    """The dephased two-level system (Bloch equations).

    ``H = [[hbar*omega0, V], [V*, 0]]``; pure dephasing of both states, so that rho_12 decays at
    gamma (Lindblad operator sqrt(gamma/2) sigma_z, ``docs/conventions.md``).  Eliminating
    rho_12 gives W = 2|V|^2 gamma / (hbar^2 (omega0^2 + gamma^2)).

    Parameters
    ----------
    detuning : value
        hbar*omega0 = E_1 - E_2, an energy.
    coupling : value
        V, the coupling (an energy; complex values allowed).
    dephasing_rate : value
        gamma >= 0, the decay rate of rho_12 (per unit time).
    hbar : value, optional
        1 by default; a positive number or a symbol.
    states : (str, str), optional
        The two labels, ``("1", "2")`` by default.

    Returns
    -------
    LindbladModel
        The model.

    Raises
    ------
    ValueError
        For a negative dephasing rate, hbar <= 0, or invalid labels.

    Examples
    --------
    >>> from symbolic_pme.quantum import adiabatic_elimination
    >>> pauli = adiabatic_elimination(two_level("w0", "V", "gamma"))
    >>> [str(t) for t in pauli.transitions]
    ['1 -> 2: 2*V**2*gamma/(gamma**2 + w0**2)', '2 -> 1: 2*V**2*gamma/(gamma**2 + w0**2)']
    """
    v = to_expr(coupling, "coupling")
    h = sympy.Matrix([[to_expr(detuning, "detuning"), v], [sympy.conjugate(v), 0]])
    return LindbladModel(states, h, dephasing(states, dephasing_rate), hbar=hbar)


# --------------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------------


def _matrix(value, n: int, what: str) -> sympy.ImmutableMatrix:
    if isinstance(value, sympy.MatrixBase):
        rows = value.tolist()
    else:  # entries are read by to_expr (strings safely parsed), never by sympify
        try:
            rows = [list(row) for row in value]
        except TypeError:
            raise ValueError(f"{what}: expected a square matrix, got {value!r}") from None
    shape = (len(rows), len(rows[0]) if rows else 0)
    if shape != (n, n) or any(len(row) != n for row in rows):
        raise ValueError(f"{what}: shape {shape}, expected ({n}, {n}) for {n} states")
    return sympy.ImmutableMatrix([[to_expr(v, what) for v in row] for row in rows])


def _ket_bra(states: Sequence[str], ket: str, bra: str) -> sympy.ImmutableMatrix:
    labels = state_labels(states)
    for label in (ket, bra):
        if label not in labels:
            raise ValueError(f"unknown state {label!r}; states: {', '.join(labels)}")
    n = len(labels)
    matrix = sympy.zeros(n, n)
    matrix[labels.index(ket), labels.index(bra)] = 1
    return sympy.ImmutableMatrix(matrix)
