"""Rate networks whose rates obey detailed balance with respect to given state energies.

For states with energies E_i coupled in pairs with prefactors k0_ij (= k0_ji), the rates are

    k_ij = k0_ij * g(E_j - E_i, T),      k_ji = k0_ij * g(E_i - E_j, T),

with a rule g satisfying ``g(D, T) / g(-D, T) = exp(-D / T)`` (k_B = 1, T in energy units), so that
``k_ij / k_ji = exp(-(E_j - E_i) / T)`` and the steady state of a closed network is the Boltzmann
distribution ``P_i = exp(-E_i / T) / Z``.  Built-in rules:

* ``"symmetric"``: ``g = exp(-D / (2T))`` (the Boltzmann factor split evenly between directions);
* ``"metropolis"``: ``g = min(1, exp(-D / T))``, written ``exp(-(D + |D|) / (2T))``;
* ``"glauber"``: ``g = 1 / (1 + exp(D / T))`` (a heat bath, the Fermi-function rule);

or any function ``g(D, T)`` returning a SymPy expression.  Every rule is proved symbolically
(:func:`prove_boltzmann_ratio`) before it is used; a rule that fails raises ValueError.
Units: ``docs/conventions.md`` (k_B = 1; rates per unit time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sympy

from symbolic_pme.checks import rate as checked_rate
from symbolic_pme.networks.network import FlowsLike, RateNetwork, Transition
from symbolic_pme.parsing import Value, to_expr

__all__ = ["RULES", "boltzmann_network", "prove_boltzmann_ratio"]

Rule = Callable[[sympy.Expr, sympy.Expr], sympy.Expr]

#: The built-in rules g(D, T), D = E_target - E_source.
RULES: dict[str, Rule] = {
    "symmetric": lambda d, t: sympy.exp(-d / (2 * t)),
    "metropolis": lambda d, t: sympy.exp(-(d + sympy.Abs(d)) / (2 * t)),
    "glauber": lambda d, t: 1 / (1 + sympy.exp(d / t)),
}


def prove_boltzmann_ratio(rule: str | Rule) -> sympy.Expr:
    """Prove ``g(D, T) / g(-D, T) = exp(-D/T)`` for real D and T > 0.

    Parameters
    ----------
    rule : str or callable
        A name from :data:`RULES` or a function ``g(D, T)`` of the energy difference
        ``D = E_target - E_source`` and the temperature (k_B T, energy units) returning a SymPy
        expression.

    Returns
    -------
    sympy.Expr
        The simplified ratio ``g(D, T) / g(-D, T)``, in symbols ``D`` (real) and ``T``
        (positive).

    Raises
    ------
    ValueError
        For an unknown rule name, or, naming the rule and the ratio found, when SymPy does not
        confirm the ratio.

    Examples
    --------
    >>> prove_boltzmann_ratio("glauber")
    exp(-D/T)
    """
    g, name = _rule(rule)
    d, t = sympy.Dummy("D", real=True), sympy.Dummy("T", positive=True)
    ratio = sympy.simplify(g(d, t) / g(-d, t))
    if sympy.simplify(ratio * sympy.exp(d / t)) != 1:
        raise ValueError(f"rule {name}: g(D, T)/g(-D, T) = {ratio}, not exp(-D/T); it violates detailed balance")
    return ratio.xreplace({d: sympy.Symbol("D", real=True), t: sympy.Symbol("T", positive=True)})


def boltzmann_network(
    energies: Mapping[str, Value],
    couplings: Mapping[tuple[str, str], Value],
    temperature: Value,
    *,
    rule: str | Rule = "symmetric",
    channel: str | None = None,
    sources: FlowsLike = (),
    sinks: FlowsLike = (),
) -> RateNetwork:
    """A network whose transitions obey detailed balance with respect to ``energies``.

    Parameters
    ----------
    energies : mapping of str to value
        ``{state: E}``; the states, in this order.  Stored as the state value ``"energy"``.
    couplings : mapping of (str, str) to value
        ``{(a, b): k0}``: each unordered pair once, with the prefactor of both directions (a
        rate, probability per unit time; must not be negative).
    temperature : value
        k_B T in energy units (k_B = 1); must be positive.
    rule : str or callable, optional
        A name from :data:`RULES` (default ``"symmetric"``) or a function ``g(D, T)``; proved
        before use (:func:`prove_boltzmann_ratio`).
    channel : str, optional
        Channel tag of every transition (default: none).
    sources, sinks : mapping or iterable, optional
        As for :class:`~symbolic_pme.networks.network.RateNetwork`.

    Returns
    -------
    RateNetwork
        The network, with the state value ``"energy"``; closed, its steady state is the
        Boltzmann distribution.

    Raises
    ------
    ValueError
        For a rule that violates detailed balance or is unknown, a temperature that is not
        positive, a coupling key that is not a pair, an unknown state, a pair given twice, or a
        negative prefactor.

    Examples
    --------
    >>> import sympy
    >>> net = boltzmann_network({"a": 0, "b": "E"}, {("a", "b"): "k"}, "T", rule="glauber")
    >>> p = net.steady_state()
    >>> sympy.simplify(p["b"] / p["a"])
    exp(-E/T)
    """
    g, _ = _rule(rule)
    prove_boltzmann_ratio(g)
    temperature = to_expr(temperature, "temperature")
    if temperature.is_positive is False:
        raise ValueError(f"temperature must be positive, got {temperature}")
    states = list(energies)
    levels = {s: to_expr(e, f"energy of state {s!r}") for s, e in energies.items()}
    transitions, seen = [], set()
    for pair, prefactor in couplings.items():
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueError(f"couplings: expected (state, state) keys, got {pair!r}")
        a, b = pair
        for label in pair:
            if label not in levels:
                raise ValueError(f"coupling {a} - {b}: unknown state {label!r}; states: {', '.join(states)}")
        if frozenset(pair) in seen:
            raise ValueError(f"coupling {a} - {b}: the pair is given twice")
        seen.add(frozenset(pair))
        k0 = checked_rate(prefactor, f"coupling {a} - {b}")
        transitions.append(Transition(a, b, k0 * g(levels[b] - levels[a], temperature), channel))
        transitions.append(Transition(b, a, k0 * g(levels[a] - levels[b], temperature), channel))
    return RateNetwork(states, transitions, {"energy": [levels[s] for s in states]}, sources, sinks)


def _rule(rule: str | Rule) -> tuple[Rule, str]:
    if callable(rule):
        return rule, getattr(rule, "__name__", repr(rule))
    if rule not in RULES:
        raise ValueError(f"rule: unknown rule {rule!r}; built-in rules: {', '.join(RULES)}, or a function g(D, T)")
    return RULES[rule], repr(rule)
