"""Adiabatic elimination of coherences: from a Lindblad model to a rate network.

Split the density matrix into populations P (rho_aa) and coherences C (rho_ab, a != b).  The
Lindblad equation reads

    dP/dt = L_PP P + L_PC C,        dC/dt = L_CP P + L_CC C.

When the coherences relax much faster than the populations move, set dC/dt = 0, solve
``C = -L_CC^{-1} L_CP P`` and substitute: ``dP/dt = (L_PP - L_PC L_CC^{-1} L_CP) P``, a Pauli
master equation whose off-diagonal entries are rates.  This is the one mechanism behind every
reduction here:

* two levels (Bloch equations): W = 2|V|^2 gamma / (hbar^2 (omega0^2 + gamma^2));
* N sites (Haken-Strobl-Reineker, ``second_order=True``): W_ij = 2|V_ij|^2 Gamma_ij /
  (Delta_ij^2 + hbar^2 Gamma_ij^2) with Gamma_ij the total decay rate of rho_ij (dephasing plus
  half of every trap and loss rate of both sites) and Delta_ij = E_i - E_j;
* in a steady state dC/dt = 0 holds exactly, so steady states and currents of the exact
  elimination equal those of the Lindblad equation (e.g. the Stoof-Nazarov double dot).

``second_order=True`` keeps the coherences' own evolution only to zeroth order in the couplings:
in L_CC the off-diagonal part of H is dropped (coherences are not coupled to each other through
V), which gives rates to second order in V -- the Haken-Strobl-Reineker / Foerster-like result,
and the only feasible one for many sites.  The exact elimination keeps all of L_CC.

Conventions: hbar = 1 unless the model has a symbolic hbar; rates per unit time; a dephasing rate
is the decay rate of the coherence it causes (docs/conventions.md; see
:func:`~symbolic_pme.quantum.lindblad.dephasing`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import sympy
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components
from sympy.polys.matrices import DomainMatrix
from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError

from symbolic_pme.networks.network import RateNetwork, Transition
from symbolic_pme.quantum._real_coordinates import (
    as_floats,
    domain_matrix,
    field,
    rationalized,
    real_columns,
    real_rows,
)
from symbolic_pme.quantum.lindblad import Jump, LindbladModel

__all__ = ["adiabatic_elimination", "driven_coherences", "stationary_coherences"]

Pair = tuple[str, str]


def driven_coherences(model: LindbladModel, *, second_order: bool = False) -> tuple[Pair, ...]:
    """The coherences the populations drive.

    Those the populations feed directly, and those these feed in turn through L_CC.  The other
    coherences evolve on their own; they are zero in the steady state when they decay and are
    set to zero by the elimination.

    Parameters
    ----------
    model : LindbladModel
        The Lindblad model.
    second_order : bool, optional
        Follow L_CC without the couplings V (as :func:`adiabatic_elimination` does with
        ``second_order=True``).  Default False.

    Returns
    -------
    tuple of (str, str)
        The pairs ``(a, b)``, both orders, in the row-major order of
        :attr:`LindbladModel.elements`.

    Examples
    --------
    >>> from symbolic_pme.quantum import two_level
    >>> driven_coherences(two_level("w0", "V", "gamma"))
    (('1', '2'), ('2', '1'))
    """
    full = model.liouvillian()
    return _driven(model, full, _coherence_propagator(model, full, second_order))


def _driven(model: LindbladModel, full: sympy.Matrix, coupling: sympy.Matrix) -> tuple[Pair, ...]:
    n = len(model.states)
    chosen = {c for c in _coherence_indices(n) if any(full[c, p] != 0 for p in _population_indices(n))}
    frontier = list(chosen)
    while frontier:
        c = frontier.pop()
        for d in _coherence_indices(n):
            if d not in chosen and coupling[d, c] != 0:
                chosen.add(d)
                frontier.append(d)
    return tuple(model.elements[i] for i in sorted(chosen))


def stationary_coherences(
    model: LindbladModel, coherences: Iterable[Pair] | None = None, *, second_order: bool = False
) -> dict[Pair, sympy.Expr]:
    """Step 2 of the elimination: the coherences from d rho_ab/dt = 0, in terms of the populations.

    Parameters
    ----------
    model : LindbladModel
        The Lindblad model.
    coherences : iterable of (str, str), optional
        The pairs whose time derivative is set to zero, as for :func:`adiabatic_elimination`
        (default: :func:`driven_coherences`).
    second_order : bool, optional
        Drop the couplings from L_CC, as for :func:`adiabatic_elimination`.  Default False.

    Returns
    -------
    dict of (str, str) to sympy.Expr
        ``{(a, b): rho_ab}`` for the eliminated coherences (both orders), in the population
        symbols of :meth:`LindbladModel.density_matrix`; the others are 0.

    Raises
    ------
    ValueError
        As for :func:`adiabatic_elimination`.

    Examples
    --------
    >>> from symbolic_pme.quantum import two_level
    >>> stationary_coherences(two_level("w0", "V", "gamma"))[("1", "2")]
    V*(rho_11 - rho_22)/(-I*gamma + w0)
    """
    n = len(model.states)
    exact, floats = rationalized(model)
    pairs = _eliminated_pairs(exact, coherences, second_order)
    solved = _solve_coherences(exact, pairs, second_order, [])
    populations = sympy.Matrix([model.density_matrix()[i, i] for i in range(n)])
    real = -solved.to_Matrix() * populations  # Re rho_ij, Im rho_ij of every pair
    values = {}
    for k, (i, j) in enumerate(pairs):
        values[i * n + j] = real[2 * k] + sympy.I * real[2 * k + 1]
        values[j * n + i] = real[2 * k] - sympy.I * real[2 * k + 1]
    result = {}
    for element in sorted(values):
        value = sympy.cancel(values[element])
        result[model.elements[element]] = as_floats(value) if floats else sympy.factor(value, extension=sympy.I)
    return result


def adiabatic_elimination(
    model: LindbladModel, coherences: Iterable[Pair] | None = None, *, second_order: bool = False
) -> RateNetwork:
    """Eliminate coherences and return the Pauli rate network over the model's states.

    Parameters
    ----------
    model : LindbladModel
        The Lindblad model.
    coherences : iterable of (str, str), optional
        Pairs ``(a, b)`` whose time derivative is set to zero (``(b, a)`` is implied); every other
        coherence is set to zero.  Default: :func:`driven_coherences`.
    second_order : bool, optional
        Drop the couplings (off-diagonal H) from the coherences' own evolution L_CC: rates to
        second order in the couplings (Haken-Strobl-Reineker).  Default False: the exact Schur
        complement.

    Returns
    -------
    RateNetwork
        The Pauli network over the model's states; rates per unit time.

    Raises
    ------
    ValueError
        For an unknown state or a pair (a, a), and when a block of coherences neither decays
        nor oscillates (L_CC singular).

    Notes
    -----
    Rates are attributed to the part of the Liouvillian that delivers the population: the jump
    terms ``r L rho L^+`` of a jump (its direct transfers ``a -> b`` at rate r |L_ba|^2, and what
    it brings back from the coherences) keep the jump's channel and carried quantities; the
    Hamiltonian and the decay terms ``-r {L^+ L, rho}/2`` (together: the effective non-Hermitian
    Hamiltonian) give transitions without a channel.

    The coherences are solved in their real coordinates (Re and Im of each rho_ab) by exact
    polynomial arithmetic over the rational functions of the model's symbols.  Floats are first
    replaced by the rationals of their decimal digits, and the rates of such a model come back
    as floats (a cancelled fraction, its denominator's leading coefficient 1): three dephased
    sites with float entries and a free dephasing rate take about a second.

    Examples
    --------
    Two levels detuned by w0, coupled by V, dephased at gamma (the decay rate of rho_12,
    ``docs/conventions.md``):

    >>> from symbolic_pme.quantum import two_level
    >>> pauli = adiabatic_elimination(two_level("w0", "V", "gamma"))
    >>> pauli.transitions[0].rate
    2*V**2*gamma/(gamma**2 + w0**2)
    """
    n = len(model.states)
    exact, floats = rationalized(model)
    populations = _population_indices(n)
    parts: list[tuple[Jump | None, sympy.Matrix]] = [(None, exact.liouvillian(dissipator="decay"))]
    parts += [
        (jump, exact.liouvillian(hamiltonian=False, jumps=[exact_jump], dissipator="jump"))
        for jump, exact_jump in zip(model.jumps, exact.jumps)
    ]
    pairs = _eliminated_pairs(exact, coherences, second_order)
    blocks = [
        (part.extract(populations, populations), real_columns(part.extract(populations, list(range(n * n))), pairs, n))
        for _, part in parts
    ]
    solved = _solve_coherences(exact, pairs, second_order, [m for block in blocks for m in block])
    domain = solved.domain
    transitions = []
    for (jump, _), (direct, through_coherences) in zip(parts, blocks):
        reduced = domain_matrix(direct, domain)
        if pairs:
            reduced -= domain_matrix(through_coherences, domain) * solved
        channel = None if jump is None else jump.channel
        carries = {} if jump is None else jump.carries
        for (j, i), value in sorted(reduced.to_dok().items(), key=lambda item: (item[0][1], item[0][0])):
            if i == j or not value:
                continue
            rate = as_floats(domain.to_sympy(value)) if floats else _simplify(domain.to_sympy(value))
            if rate != 0:
                transitions.append(Transition(model.states[i], model.states[j], rate, channel, carries))
    return RateNetwork(model.states, transitions)


# --------------------------------------------------------------------------------------------------


def _population_indices(n: int) -> list[int]:
    return [i * n + i for i in range(n)]


def _coherence_indices(n: int) -> list[int]:
    return [i * n + j for i in range(n) for j in range(n) if i != j]


def _coherence_propagator(model: LindbladModel, full: sympy.Matrix, second_order: bool) -> sympy.Matrix:
    """The Liouvillian that propagates the coherences: all of it, or without the couplings."""
    if not second_order:
        return full
    n = len(model.states)
    couplings = model.hamiltonian - sympy.diag(*[model.hamiltonian[i, i] for i in range(n)])
    return full - LindbladModel(model.states, couplings, (), hbar=model.hbar).liouvillian()


def _eliminated_pairs(
    model: LindbladModel, coherences: Iterable[Pair] | None, second_order: bool
) -> list[tuple[int, int]]:
    """The eliminated coherences as index pairs ``(i, j)``, i < j, in row-major order."""
    if coherences is None:
        full = model.liouvillian()
        labels = _driven(model, full, _coherence_propagator(model, full, second_order))
    else:
        labels = [_pair(model, pair) for pair in coherences]
    indices = {tuple(sorted((model.index(a), model.index(b)))) for a, b in labels}
    return sorted(indices)


def _solve_coherences(
    model: LindbladModel, pairs: Sequence[tuple[int, int]], second_order: bool, others: Sequence[sympy.Matrix]
) -> DomainMatrix:
    """For the eliminated ``pairs`` (index pairs i < j), ``X = B_CC^{-1} B_CP`` in their real
    coordinates (``Re rho_ij, Im rho_ij`` of each pair, so that C = -X P), solved block by block
    over the connected parts of B_CC.

    The solve is exact polynomial arithmetic in real coordinates: the entries (and those of
    ``others``, the matrices the caller multiplies X with) lie in one field, the rational
    functions of the model's (real) symbols over the rationals, where every step cancels with
    fast integer GCDs.  SymPy's generic ``LUsolve`` on the complex elements instead grows and
    re-cancels expression trees (minutes for three dephased sites with one free symbol)."""
    n = len(model.states)
    full = model.liouvillian()
    propagator = _coherence_propagator(model, full, second_order)
    block_matrix = real_columns(real_rows(propagator, pairs, n), pairs, n)
    drive = real_rows(full, pairs, n).extract(list(range(2 * len(pairs))), _population_indices(n))
    domain = field([block_matrix, drive, *others])
    if not pairs:
        return DomainMatrix.zeros((0, n), domain)
    size = 2 * len(pairs)
    rows, cols = zip(*[(i, j) for i in range(size) for j in range(size) if i == j or block_matrix[i, j] != 0])
    graph = csr_array((np.ones(len(rows)), (rows, cols)), shape=(size, size))
    count, labels = connected_components(graph, directed=False)
    solution: dict[int, list] = {}
    for block in range(count):
        members = [k for k in range(size) if labels[k] == block]
        local = domain_matrix(block_matrix.extract(members, members), domain).to_dense()
        rhs = domain_matrix(drive.extract(members, list(range(n))), domain).to_dense()
        try:
            x = local.lu_solve(rhs).to_list()
        except DMNonInvertibleMatrixError:
            names = ", ".join(dict.fromkeys(_element_name(model, pairs[k // 2]) for k in members))
            raise ValueError(
                f"the coherences {names} neither decay nor oscillate (singular block of L_CC): "
                "they cannot be eliminated; add dephasing or a detuning"
            ) from None
        for row, k in enumerate(members):
            solution[k] = x[row]
    return DomainMatrix([solution[k] for k in range(size)], (size, n), domain)


def _element_name(model: LindbladModel, pair: tuple[int, int]) -> str:
    i, j = pair
    return "rho_" + "".join((model.states[i], model.states[j]))


def _pair(model: LindbladModel, pair) -> Pair:
    try:
        a, b = pair
    except (TypeError, ValueError):
        raise ValueError(f"coherences: expected pairs (a, b) of state labels, got {pair!r}") from None
    model.index(a), model.index(b)
    if a == b:
        raise ValueError(f"coherences: ({a!r}, {b!r}) is a population, not a coherence")
    return a, b


def _simplify(expr: sympy.Expr) -> sympy.Expr:
    """A rate as one cancelled, factored fraction; the imaginary parts of conjugate pairs cancel."""
    rate = sympy.cancel(sympy.together(sympy.expand(expr)))
    if not rate.has(sympy.Float):  # factoring floating-point polynomials is slow and gains nothing
        rate = sympy.factor(rate)
    if rate.has(sympy.I):
        rate = sympy.factor(sympy.simplify(sympy.expand_complex(rate)))
    return rate
