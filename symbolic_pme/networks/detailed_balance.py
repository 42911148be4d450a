"""Detailed balance: the Kolmogorov criterion per channel, and the entropy production rate.

A network obeys detailed balance when its steady state carries no net current through any edge.
For a network whose edges are all reversible this is the Kolmogorov criterion: around every cycle
the product of the rates equals the product of the reverse rates.  It suffices to check the
fundamental cycles of a cycle basis (:mod:`symbolic_pme.networks.cycles`).

The check is made **per channel**: the edges are resolved by channel, so a cycle may go out
through one lead and back through another.  Summing the channels first would be wrong: a quantum
dot between two leads at different chemical potentials has two states and one summed edge (no
cycle, so the summed test passes), yet a current flows; resolved by lead, the cycle
``0 -[L]-> 1 -[R]-> 0`` has forward/backward ratio ``exp((mu_L - mu_R)/T)``, and the check names
it.  Sources and sinks are irreversible by nature and are not part of the check: for an open
network it says whether its transitions obey detailed balance (the report says so).

Entropy production (Schnakenberg), in units of k_B per unit time:
``sigma = sum over channel-resolved edges of J ln(k_ab P_a / (k_ba P_b))`` with the net current
``J = k_ab P_a - k_ba P_b``; each term is >= 0, and sigma = 0 exactly at detailed balance.
Conventions: ``docs/conventions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from symbolic_pme.functions import fermi
from symbolic_pme.networks.cycles import Cycle, Edge, cycle_basis, edges
from symbolic_pme.networks.network import FACTOR_MAX_TERMS, RateNetwork, TreeSums

__all__ = ["CycleCondition", "DetailedBalance", "detailed_balance", "entropy_production"]


@dataclass(frozen=True)
class CycleCondition:
    """The Kolmogorov condition of one cycle.

    Attributes
    ----------
    cycle : Cycle
        The cycle.
    ratio : sympy.Expr or None
        The forward/backward product, simplified (None when a step is irreversible); in floats
        when the rates are (the verdict is decided on their exact rational values).
    holds : bool or None
        True when the ratio is identically 1, False when it is a number other than 1 (or the
        cycle has an irreversible step), None when it depends on the parameters (see
        :attr:`condition`) or SymPy could not decide.
    """

    cycle: Cycle
    ratio: sympy.Expr | None
    holds: bool | None

    @property
    def condition(self) -> sympy.Basic:
        """``Eq(ratio, 1)`` (``sympy.true``/``sympy.false`` when decided)."""
        if self.holds is not None:
            return sympy.true if self.holds else sympy.false
        return sympy.Eq(self.ratio, 1)

    def __str__(self) -> str:
        if self.ratio is None:
            return f"cycle {self.cycle}: an irreversible step (rate zero one way)"
        verdict = {True: "holds", False: "violated", None: "holds only where this ratio is 1"}[self.holds]
        return f"cycle {self.cycle}: forward/backward = {self.ratio} ({verdict})"


@dataclass(frozen=True)
class DetailedBalance:
    """Result of :func:`detailed_balance`.

    ``bool(result)`` is :attr:`holds`, and raises TypeError when that is None.

    Attributes
    ----------
    cycles : tuple of CycleCondition
        The condition of each fundamental cycle.
    irreversible : tuple of Edge
        The edges with one direction of rate zero.
    by_channel : bool
        Whether the edges were resolved by channel.
    open_network : bool
        Whether the network has sources or sinks (they are not part of the check).
    """

    cycles: tuple[CycleCondition, ...]
    irreversible: tuple[Edge, ...]
    by_channel: bool
    open_network: bool

    @property
    def holds(self) -> bool | None:
        """True (proved for all parameter values), False (violated: an irreversible edge, or a
        cycle ratio that is a number other than 1), or None (depends on the parameters or
        undecided; :attr:`condition` gives the symbolic condition)."""
        if self.irreversible or any(c.holds is False for c in self.cycles):
            return False
        return True if all(c.holds for c in self.cycles) else None

    @property
    def condition(self) -> sympy.Basic:
        """All cycle conditions together (``sympy.true``/``sympy.false`` when decided)."""
        if self.irreversible:
            return sympy.false
        return sympy.And(*(c.condition for c in self.cycles))

    @property
    def violations(self) -> list[str]:
        """One line for each irreversible edge and each cycle whose condition is not proved."""
        lines = [f"edge {e}: irreversible (one direction has rate zero)" for e in self.irreversible]
        return lines + [str(c) for c in self.cycles if c.holds is not True]

    def __bool__(self) -> bool:
        if self.holds is None:
            raise TypeError(f"detailed balance depends on the parameters: {self.condition}")
        return self.holds

    def __str__(self) -> str:
        resolved = "per channel" if self.by_channel else "with the channels summed"
        verdict = {True: "holds", False: "is violated", None: "holds only under conditions"}[self.holds]
        lines = [f"detailed balance {verdict} ({len(self.cycles)} fundamental cycles, checked {resolved})"]
        lines += ["  " + line for line in self.violations]
        if self.open_network:
            lines.append("  (sources and sinks are irreversible and not part of the check)")
        return "\n".join(lines)


def detailed_balance(network: RateNetwork, *, by_channel: bool = True) -> DetailedBalance:
    """Check the Kolmogorov criterion on a cycle basis of ``network``'s transitions.

    Parameters
    ----------
    network : RateNetwork
        The rate network (its sources and sinks are not checked: they are irreversible).
    by_channel : bool, optional
        Resolve edges by channel (default, and physically required: see the module docstring).
        False sums the channels first, which can miss currents between channels.

    Returns
    -------
    DetailedBalance
        The verdict, the condition of every fundamental cycle and the irreversible edges.

    Examples
    --------
    A level between two leads: balanced when ``a_R b_L = a_L b_R``, i.e. when the leads agree.

    >>> from symbolic_pme.networks import RateNetwork
    >>> dot = RateNetwork(["0", "1"], [("0", "1", "a_L", "L"), ("1", "0", "b_L", "L"),
    ...                                ("0", "1", "a_R", "R"), ("1", "0", "b_R", "R")])
    >>> report = detailed_balance(dot)
    >>> report.holds is None, report.condition
    (True, Eq(a_R*b_L/(a_L*b_R), 1))
    >>> detailed_balance(dot, by_channel=False).holds  # summed leads miss the current
    True
    >>> detailed_balance(dot.subs({"a_R": 1, "b_L": 1, "a_L": 2, "b_R": 2})).holds
    False
    """
    all_edges = edges(network, by_channel=by_channel)
    conditions = tuple(_condition(cycle) for cycle in cycle_basis(network, by_channel=by_channel))
    irreversible = tuple(e for e in all_edges if not e.reversible)
    return DetailedBalance(conditions, irreversible, by_channel, network.is_open)


def entropy_production(
    network: RateNetwork, probabilities: Mapping[str, sympy.Expr] | None = None, *, simplify: bool = True
) -> sympy.Expr:
    """Entropy production rate (k_B per unit time) of a closed network, channel-resolved.

    Terms whose current vanishes identically are dropped, so the result is exactly 0 at
    detailed balance (for closed forms of at most
    :data:`~symbolic_pme.networks.network.FACTOR_MAX_TERMS` tree terms; larger ones are not
    expanded and may stay an unsimplified expression).

    Parameters
    ----------
    network : RateNetwork
        A closed network whose transitions are all reversible.
    probabilities : mapping of str to sympy.Expr, optional
        ``{state: P}``; default: the closed-form steady state.
    simplify : bool, optional
        Cancel and factor each current (as in
        :meth:`~symbolic_pme.networks.network.TreeSums.ratio`).  Default True.

    Returns
    -------
    sympy.Expr
        ``sigma = sum_edges J ln(k_ab P_a / (k_ba P_b))``, in units of k_B per unit time.

    Raises
    ------
    ValueError
        For an open network or an irreversible transition: sigma is infinite there.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> entropy_production(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): "q"}))
    0
    """
    if network.is_open:
        raise ValueError(
            "network: the entropy production of an open network is infinite (sources and sinks are irreversible)"
        )
    all_edges = edges(network, by_channel=True)
    for e in all_edges:
        if not e.reversible:
            raise ValueError(f"edge {e}: irreversible (one rate is zero), so the entropy production is infinite")
    sums = network.tree_sums() if probabilities is None else TreeSums(dict(probabilities), sympy.S.One, 0)
    terms = []
    for e in all_edges:
        forward, backward = e.forward * sums.weights[e.a], e.backward * sums.weights[e.b]
        if sums.terms <= FACTOR_MAX_TERMS and _vanishes(forward - backward):
            continue
        terms.append(sums.ratio(forward - backward, simplify=simplify) * sympy.log(forward / backward))
    return sympy.Add(*terms)


def _condition(cycle: Cycle) -> CycleCondition:
    if cycle.forward == 0 or cycle.backward == 0:
        return CycleCondition(cycle, None, False)
    ratio = _simplified_ratio(cycle.forward, cycle.backward)
    shown = sympy.N(ratio) if (cycle.forward / cycle.backward).has(sympy.Float) else ratio
    if ratio == 1:
        return CycleCondition(cycle, shown, True)
    return CycleCondition(cycle, shown, False if not ratio.free_symbols else None)


def _simplified_ratio(forward: sympy.Expr, backward: sympy.Expr) -> sympy.Expr:
    """forward/backward with Fermi functions written out and floats made exact, simplified."""
    ratio = sympy.nsimplify(forward / backward, rational=True)
    if ratio.has(fermi):
        ratio = ratio.rewrite(sympy.exp)
    return sympy.simplify(ratio)


def _vanishes(expr: sympy.Expr) -> bool:
    """True when ``expr`` is identically zero: expanded as it is (Fermi functions as atoms), or,
    if it has Fermi functions, with them written out over a common denominator.  (General
    cancellation with many exponentials can take minutes, so it is not attempted.)"""
    if expr == 0:
        return True
    expr = sympy.nsimplify(expr, rational=True)
    if sympy.expand(expr) == 0:
        return True
    if expr.has(fermi):
        return sympy.expand(sympy.numer(sympy.together(expr.rewrite(sympy.exp)))) == 0
    return False
