"""Closed-form time evolution P(t) of small rate networks.

``dP/dt = W P + s`` (W with sinks on its diagonal, s the sources; s = 0 for a closed network) is
written as the homogeneous system ``d/dt [P; 1] = A [P; 1]`` with ``A = [[W, s], [0, 0]]``, so
``[P(t); 1] = exp(A t) [P(0); 1]`` covers the source term too.  The matrix exponential is built in
Newton form (Putzer's method),

    exp(A t) = sum_k  e[l_1, ..., l_{k+1}] * (A - l_1)(A - l_2)...(A - l_k),

from the eigenvalues l_j of A (with multiplicity) and the divided differences ``e[...]`` of
``l -> exp(l t)``; repeated eigenvalues give the confluent limit (powers of t), so a chain with
equal rates is exact too.  No general simplification is run.

The eigenvalues are the roots of A's characteristic polynomial, so the closed form exists
(in radicals a reader can use) only when that polynomial factors into pieces of degree <= 2;
otherwise, and for matrices of more than :data:`MAX_SIZE` rows, :class:`ClosedFormTooLarge` is
raised at once, pointing to the numeric propagation (``symbolic_pme.numeric.dynamics.propagate``), which is
batched over many times and parameter values.  Times are in the inverse unit of the rates
(``docs/conventions.md``).
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from symbolic_pme.networks.first_passage import initial_distribution
from symbolic_pme.networks.matrix_tree import ClosedFormTooLarge
from symbolic_pme.networks.network import RateNetwork
from symbolic_pme.parsing import Value

__all__ = ["MAX_SIZE", "propagate"]

#: Largest matrix A (states, plus one with sources) whose characteristic polynomial is factored.
MAX_SIZE = 5


def propagate(
    network: RateNetwork,
    initial: str | Mapping[str, Value] | None = None,
    t: sympy.Symbol | None = None,
) -> dict[str, sympy.Expr]:
    """``{state: P_state(t)}`` in closed form.

    Parameters
    ----------
    network : RateNetwork
        A small network (see the module docstring for the limits).
    initial : str, mapping of str to value, or None, optional
        ``P(0)``: a state label or weights ``{state: w}`` (normalized); None (default) means an
        empty open network (P(0) = 0, sources switched on at t = 0) and is an error for a closed
        one.
    t : sympy.Symbol, optional
        The time symbol (default: a non-negative symbol ``t``).

    Returns
    -------
    dict of str to sympy.Expr
        The probability (open network: population) of every state at time ``t``.

    Raises
    ------
    ValueError
        For ``initial=None`` without sources, or an invalid ``initial``.
    ClosedFormTooLarge
        At once, for more than :data:`MAX_SIZE` rows, or eigenvalues that need a polynomial of
        degree above 2; the message points to the numeric propagation.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> propagate(RateNetwork.from_rates({("a", "b"): "k"}), "a")
    {'a': exp(-k*t), 'b': 1 - exp(-k*t)}
    """
    t = sympy.Symbol("t", nonnegative=True) if t is None else t
    n = len(network.states)
    if initial is None:
        if not network.sources:
            raise ValueError("initial: give the initial state or distribution of this network (it has no sources)")
        start = sympy.zeros(n, 1)
    else:
        distribution = initial_distribution(network, initial)
        start = sympy.Matrix([distribution[s] for s in network.states])
    a, x = network.generator(), start
    if network.sources:
        a = a.row_join(network.source_vector()).col_join(sympy.zeros(1, n + 1))
        x = x.col_join(sympy.Matrix([1]))
    values = _exp_times(a, x, t)
    return dict(zip(network.states, values[:n]))


def _exp_times(a: sympy.Matrix, x: sympy.Matrix, t: sympy.Symbol) -> list[sympy.Expr]:
    """``exp(a t) x`` in Newton form over the eigenvalues of ``a``."""
    eigenvalues = _eigenvalues(a)
    result = sympy.zeros(a.rows, 1)
    vector = x
    for k in range(a.rows):
        result += _divided_difference(eigenvalues[: k + 1], t) * vector
        vector = (a - eigenvalues[k] * sympy.eye(a.rows)) * vector
    return list(result)


def _eigenvalues(a: sympy.Matrix) -> list[sympy.Expr]:
    """Eigenvalues with multiplicity, equal ones adjacent; refuses what has no usable radicals."""
    if a.rows > MAX_SIZE:
        raise ClosedFormTooLarge(
            f"a closed-form P(t) needs the eigenvalues of a {a.rows} x {a.rows} matrix (limit {MAX_SIZE}); "
            "propagate numerically instead (symbolic_pme.numeric.dynamics.propagate)"
        )
    polynomial = a.charpoly()
    lam = polynomial.gen
    _, factors = sympy.factor_list(polynomial.as_expr())
    eigenvalues: list[sympy.Expr] = []
    for factor, power in factors:
        degree = sympy.degree(factor, lam)
        if degree == 0:
            continue
        if degree > 2:
            raise ClosedFormTooLarge(
                f"a closed-form P(t) needs the roots of a degree-{degree} polynomial; "
                "propagate numerically instead (symbolic_pme.numeric.dynamics.propagate)"
            )
        for root, multiplicity in sympy.roots(factor, lam).items():
            eigenvalues += [root] * (multiplicity * power)
    return eigenvalues


def _divided_difference(nodes: list[sympy.Expr], t: sympy.Symbol) -> sympy.Expr:
    """Divided difference of ``l -> exp(l t)`` over ``nodes`` (equal nodes adjacent).

    Equal nodes give the confluent value ``t^m exp(l t) / m!``.
    """
    if all(node == nodes[0] for node in nodes):
        m = len(nodes) - 1
        return t**m * sympy.exp(nodes[0] * t) / sympy.factorial(m)
    return (_divided_difference(nodes[1:], t) - _divided_difference(nodes[:-1], t)) / (nodes[-1] - nodes[0])
