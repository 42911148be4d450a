"""Trapping of an excitation: yields per sink channel and the mean trapping time, for Lindblad
models and rate networks alike.

An excitation starts in ``rho0`` and evolves until a jump takes it into an *absorbing state*: a
state that nothing leaves (no jump out of it, no coupling in H), such as the ``"sink"`` (trap)
and ``"ground"`` (loss) of :func:`~symbolic_pme.quantum.models.excitons.haken_strobl_reineker`.
Over the other states I the Lindblad equation is closed, and everything follows from one linear
solve,

    X = integral_0^oo rho_I(t) dt,        L_II X = -rho0_I,

the time-integrated density matrix:

* the yield of channel c (the transfer efficiency for the trap): ``sum_{k in c} r_k
  sum_{s absorbing} (L_k X L_k^+)_ss``, the population its jumps carry into absorbing states;
  the yields of all channels add up to 1 (``"sink"`` for jumps without a channel);
* the residence time of state a, ``X_aa``, and the mean trapping time ``Tr X``.

This is the Lindblad counterpart of :func:`~symbolic_pme.networks.first_passage.first_passage`,
and :func:`trapping` serves both with one result (:class:`~symbolic_pme.networks.first_passage.FirstPassage`).
For an initial state without coherences the two agree exactly with the *exact* adiabatic
elimination (:func:`~symbolic_pme.quantum.reduction.adiabatic_elimination`): the equations for
the coherences of X are those that the elimination solves, with no source term.  The solve is
exact, in real coordinates (Re and Im of each coherence), over the rational functions of the
model's symbols; floats are made rationals first and the results turned back into floats.
Times are in the inverse unit of the rates (``docs/conventions.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy
from sympy.polys.matrices.exceptions import DMNonInvertibleMatrixError

from symbolic_pme.checks import initial_weights
from symbolic_pme.errors import NonUniqueSteadyState
from symbolic_pme.networks.first_passage import FirstPassage, first_passage
from symbolic_pme.networks.network import RateNetwork
from symbolic_pme.parsing import Value
from symbolic_pme.quantum._real_coordinates import (
    as_floats,
    domain_matrix,
    field,
    rationalized,
    real_columns,
    real_rows,
)
from symbolic_pme.quantum.lindblad import LindbladModel

__all__ = ["absorbing_states", "transfer_efficiency", "trapping"]

Initial = str | Mapping[str, Value] | sympy.MatrixBase | None


def absorbing_states(model: LindbladModel) -> tuple[str, ...]:
    """The states that nothing leaves: no coupling in H and no jump out of them.

    Parameters
    ----------
    model : LindbladModel
        The Lindblad model.

    Returns
    -------
    tuple of str
        The absorbing states, in the model's order.

    Examples
    --------
    >>> from symbolic_pme.quantum.models import haken_strobl_reineker
    >>> absorbing_states(haken_strobl_reineker({"A": 0}, {}, "gamma", traps={"A": "kappa"}, losses={"A": "g"}))
    ('sink', 'ground')
    """
    n = len(model.states)
    h = model.hamiltonian

    def closed(s: int) -> bool:
        if any(h[s, j] != 0 for j in range(n) if j != s):
            return False
        return all(jump.operator[j, s] == 0 for jump in model.jumps for j in range(n) if j != s)

    return tuple(model.states[s] for s in range(n) if closed(s))


def trapping(
    system: LindbladModel | RateNetwork,
    initial: Initial = None,
    *,
    absorbing: Sequence[str] | None = None,
    simplify: bool = True,
) -> FirstPassage:
    """Yields per sink channel, residence times and mean trapping time, in closed form.

    Parameters
    ----------
    system : LindbladModel or RateNetwork
        The model.  A network goes to
        :func:`~symbolic_pme.networks.first_passage.first_passage` (sinks, or absorbing states).
    initial : str, mapping of str to value, sympy.MatrixBase or None, optional
        Where the excitation starts: a state, weights ``{state: w}`` (normalized; for a Lindblad
        model the diagonal density matrix), or for a Lindblad model a density matrix (normalized
        by its trace).  None: a network's sources (a Lindblad model needs ``initial``).
    absorbing : sequence of str, optional
        The states that end the passage (keyword only).  Default: :func:`absorbing_states` of a
        Lindblad model; for a network, its sinks or else its states without transitions out.
    simplify : bool, optional
        Factor the closed forms (default True).

    Returns
    -------
    FirstPassage
        ``initial`` (the initial populations), ``residence`` (the time spent in each state; 0
        for absorbing ones), ``yields`` (per channel, adding up to 1) and ``mean_time``.

    Raises
    ------
    ValueError
        For a Lindblad model without ``initial`` or without absorbing states, a state given as
        absorbing that is not (something leaves it, or the other states' equations depend on
        it), an initial state that has population or coherence in an absorbing state, or an
        invalid ``initial``; for a network as
        :func:`~symbolic_pme.networks.first_passage.first_passage` does.
    NonUniqueSteadyState
        When part of the density matrix never reaches an absorbing state (a dark state).
    TypeError
        For a system that is neither a Lindblad model nor a rate network.

    Examples
    --------
    Two degenerate sites coupled by V, dephased at gamma, with a trap (kappa) on B; starting on
    A, the mean time is ``2/kappa + 1/W`` with the Pauli rate ``W = 4 V^2/(2 gamma + kappa)``:

    >>> from symbolic_pme.quantum.models import haken_strobl_reineker
    >>> model = haken_strobl_reineker({"A": 0, "B": 0}, {("A", "B"): "V"}, "gamma", traps={"B": "kappa"})
    >>> result = trapping(model, "A")
    >>> result.yields, result.mean_time
    ({'trap': 1}, (8*V**2 + 2*gamma*kappa + kappa**2)/(4*V**2*kappa))
    """
    if isinstance(system, RateNetwork):
        if isinstance(initial, sympy.MatrixBase):
            raise ValueError("initial: a rate network starts from populations, not a density matrix")
        return first_passage(system, initial, absorbing=absorbing, simplify=simplify)
    if not isinstance(system, LindbladModel):
        raise TypeError(f"system: expected a LindbladModel or a RateNetwork, got {type(system).__name__}")
    return _lindblad_trapping(system, initial, absorbing, simplify)


def transfer_efficiency(
    system: LindbladModel | RateNetwork,
    initial: Initial = None,
    *,
    channel: str = "trap",
    absorbing: Sequence[str] | None = None,
    simplify: bool = True,
) -> sympy.Expr:
    """The probability that the excitation ends in one sink channel (the trap, by default).

    Parameters
    ----------
    system : LindbladModel or RateNetwork
        The model.
    initial : str, mapping of str to value, sympy.MatrixBase or None, optional
        Where the excitation starts, as for :func:`trapping`.
    channel : str, optional
        The channel whose yield is returned (keyword only); ``"trap"`` by default.
    absorbing : sequence of str, optional
        As for :func:`trapping`.
    simplify : bool, optional
        Factor the closed form (default True).

    Returns
    -------
    sympy.Expr
        The yield of ``channel`` (0 when nothing ever takes that channel).

    Raises
    ------
    ValueError
        For a channel that no jump or sink into an absorbing state has, and as for
        :func:`trapping`.
    NonUniqueSteadyState
        As for :func:`trapping`.
    TypeError
        As for :func:`trapping`.

    Examples
    --------
    >>> from symbolic_pme.quantum.models import haken_strobl_reineker
    >>> model = haken_strobl_reineker({"A": 0}, {}, 0, traps={"A": "kappa"}, losses={"A": "g"})
    >>> transfer_efficiency(model, "A")
    kappa/(g + kappa)
    """
    result = trapping(system, initial, absorbing=absorbing, simplify=simplify)
    if channel not in result.yields:
        raise ValueError(f"channel: unknown sink channel {channel!r}; channels: {', '.join(result.yields)}")
    return result.yields[channel]


# --------------------------------------------------------------------------------------------------


def _lindblad_trapping(
    model: LindbladModel, initial: Initial, absorbing: Sequence[str] | None, simplify: bool
) -> FirstPassage:
    n = len(model.states)
    ends = absorbing_states(model) if absorbing is None else tuple(absorbing)
    if not ends:
        raise ValueError("model: no absorbing state (every state is coupled or jumps out), so nothing traps")
    closed = set(absorbing_states(model))
    for state in ends:
        model.index(state)  # an unknown state raises
        if state not in closed:
            raise ValueError(f"absorbing: state {state!r} is not absorbing (H couples it or a jump leaves it)")
    rho0 = _initial_density_matrix(model, initial)
    inside = [i for i, s in enumerate(model.states) if s not in ends]
    end_indices = [model.index(s) for s in ends]
    if any(rho0[i, j] != 0 for i in range(n) for j in range(n) if i in end_indices or j in end_indices):
        raise ValueError("initial: the excitation starts (partly) in an absorbing state")
    exact, floats = rationalized(model)
    full = exact.liouvillian()
    elements = [i * n + j for i in inside for j in inside]
    outside = [k for k in range(n * n) if k not in set(elements)]
    if any(full[row, column] != 0 for row in elements for column in outside):
        raise ValueError(
            f"absorbing: the equations of the other states depend on {', '.join(ends)} (a jump both "
            "enters and dephases an absorbing state); give the absorbing states explicitly"
        )
    populations = [i * n + i for i in inside]
    pairs = [(i, j) for i in inside for j in inside if i < j]
    rows = sympy.Matrix.vstack(full.extract(populations, list(range(n * n))), real_rows(full, pairs, n))
    block = sympy.Matrix.hstack(rows.extract(list(range(rows.rows)), populations), real_columns(rows, pairs, n))
    start = sympy.Matrix(
        [rho0[i, i] for i in inside] + [part(rho0[i, j]) for i, j in pairs for part in (sympy.re, sympy.im)]
    )
    domain = field([block, start])
    try:
        solution = domain_matrix(block, domain).to_dense().lu_solve(-domain_matrix(start, domain).to_dense())
    except DMNonInvertibleMatrixError:
        raise NonUniqueSteadyState(
            "part of the density matrix never reaches an absorbing state (a dark state, or a part cut off "
            "from every trap and loss): the excitation could stay for ever"
        ) from None
    x = [domain.to_sympy(v) for v in solution.to_Matrix()] if solution.shape[0] else []
    integrated = sympy.zeros(n, n)
    for k, i in enumerate(inside):
        integrated[i, i] = x[k]
    for k, (i, j) in enumerate(pairs):
        real, imaginary = x[len(inside) + 2 * k], x[len(inside) + 2 * k + 1]
        integrated[i, j], integrated[j, i] = real + sympy.I * imaginary, real - sympy.I * imaginary
    yields: dict[str, sympy.Expr] = {}
    for jump in exact.jumps:
        moved = jump.operator * integrated * jump.operator.H
        flow = jump.rate * sympy.Add(*(moved[s, s] for s in end_indices))
        if flow != 0:
            channel = jump.channel or "sink"
            yields[channel] = yields.get(channel, sympy.S.Zero) + flow

    def closed_form(value: sympy.Expr) -> sympy.Expr:
        value = sympy.cancel(sympy.expand(value))
        if floats:
            return as_floats(value)
        return sympy.factor(value) if simplify else value

    return FirstPassage(
        {s: rho0[i, i] for i, s in enumerate(model.states)},
        {s: closed_form(integrated[i, i]) for i, s in enumerate(model.states)},
        {c: closed_form(v) for c, v in yields.items()},
        closed_form(sympy.Add(*(integrated[i, i] for i in inside))),
    )


def _initial_density_matrix(model: LindbladModel, initial: Initial) -> sympy.Matrix:
    n = len(model.states)
    if initial is None:
        raise ValueError("initial: give the initial state, weights or density matrix (a Lindblad model has no sources)")
    if isinstance(initial, sympy.MatrixBase):
        if initial.shape != (n, n):
            raise ValueError(f"initial: shape {initial.shape}, expected ({n}, {n}) for {n} states")
        trace = sympy.simplify(initial.trace())
        if trace == 0:
            raise ValueError("initial: the density matrix has trace zero")
        return sympy.Matrix(initial) / trace
    weights = initial_weights(model.states, initial)
    total = sympy.Add(*weights.values())
    if total == 0:
        raise ValueError("initial: the weights add up to zero")
    rho0 = sympy.zeros(n, n)
    for state, weight in weights.items():
        rho0[model.index(state), model.index(state)] = sympy.cancel(weight / total)
    return rho0
