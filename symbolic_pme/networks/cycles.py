"""Edges, a cycle basis, and the steady-state currents through them (Schnakenberg's network theory).

An *edge* joins two states a, b (a before b in the network's state order) through one channel:
its forward rate is the sum of the rates a -> b of that channel, its backward rate that of b -> a.
Resolving edges by channel matters: a quantum dot between two leads has one pair of states but
two edges, one per lead, and its current flows around the cycle ``0 -[L]-> 1 -[R]-> 0``.  With
``by_channel=False`` the channels are summed (one edge per pair of states).

The cycle basis comes from a spanning forest of the undirected edge graph, grown breadth-first in
state order: each edge left out of the forest (a *chord*) closes one fundamental cycle, and every
cycle of the network is a combination of these.  In the steady state the net current through a
chord is the *cycle current* of its cycle, and the current through every forest edge is the sum
of the currents of the cycles through it.

Currents are net probability (or, for open networks, population) flows per unit time, positive
in the direction of the edge (a -> b) or of the cycle.  For an open network the cycles and edges
include the outside state of :meth:`RateNetwork.with_environment` (sources and sinks are edges to
it), so the currents of cycles through the outside are the throughput of the network.
Conventions: ``docs/conventions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from symbolic_pme.networks.network import RateNetwork

__all__ = ["Cycle", "Edge", "cycle_basis", "cycle_currents", "edge_currents", "edges"]

Step = tuple[str, str, str | None]


@dataclass(frozen=True)
class Edge:
    """States ``a``, ``b`` joined through ``channel``, with the rates of both directions.

    Attributes
    ----------
    a, b : str
        The states, ``a`` before ``b`` in the network's state order.
    channel : str or None
        The channel (None for untagged transitions, or when the channels are summed).
    forward : sympy.Expr
        The total rate a -> b through ``channel``.
    backward : sympy.Expr
        The total rate b -> a through ``channel``.
    """

    a: str
    b: str
    channel: str | None
    forward: sympy.Expr
    backward: sympy.Expr

    @property
    def reversible(self) -> bool:
        """False when one direction has rate zero."""
        return self.forward != 0 and self.backward != 0

    def __str__(self) -> str:
        via = f"[{self.channel}]" if self.channel is not None else ""
        return f"{self.a} <-{via}-> {self.b}"


@dataclass(frozen=True)
class Cycle:
    """A closed path of steps ``(source, target, channel)``; the first step is its chord.

    Attributes
    ----------
    steps : tuple of (str, str, str or None)
        The steps ``(source, target, channel)`` in order; the last one returns to the first
        state.
    forward : sympy.Expr
        The product of the rates along the steps (a Kolmogorov product).
    backward : sympy.Expr
        The product of the rates of the reverse steps.
    """

    steps: tuple[Step, ...]
    forward: sympy.Expr
    backward: sympy.Expr

    @property
    def states(self) -> tuple[str, ...]:
        """States in the order visited."""
        return tuple(source for source, _, _ in self.steps)

    @property
    def channels(self) -> tuple[str | None, ...]:
        """The distinct channels of the steps, in order."""
        return tuple(dict.fromkeys(channel for _, _, channel in self.steps))

    def __str__(self) -> str:
        text = self.steps[0][0]
        for _, target, channel in self.steps:
            text += f" -[{channel}]-> {target}" if channel is not None else f" -> {target}"
        return text


def edges(network: RateNetwork, *, by_channel: bool = True) -> list[Edge]:
    """The edges of the network's transitions (not its sources and sinks).

    Parameters
    ----------
    network : RateNetwork
        The network.
    by_channel : bool, optional
        One edge per pair of states and channel (default); False sums the channels (one edge
        per pair of states, channel None).

    Returns
    -------
    list of Edge
        In order of first appearance; rates of parallel transitions (same states and channel)
        are summed.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> dot = RateNetwork(["0", "1"], [("0", "1", "a_L", "L"), ("1", "0", "b_L", "L"),
    ...                                ("0", "1", "a_R", "R"), ("1", "0", "b_R", "R")])
    >>> [str(e) for e in edges(dot)], [str(e) for e in edges(dot, by_channel=False)]
    (['0 <-[L]-> 1', '0 <-[R]-> 1'], ['0 <--> 1'])
    """
    index = {label: i for i, label in enumerate(network.states)}
    rates: dict[tuple[str, str, str | None], sympy.Expr] = {}
    for t in network.transitions:
        key = (t.source, t.target, t.channel if by_channel else None)
        rates[key] = rates.get(key, sympy.S.Zero) + t.rate
    found: dict[tuple[str, str, str | None], Edge] = {}
    for source, target, channel in rates:
        a, b = sorted((source, target), key=index.__getitem__)
        if (a, b, channel) not in found:
            forward = rates.get((a, b, channel), sympy.S.Zero)
            found[(a, b, channel)] = Edge(a, b, channel, forward, rates.get((b, a, channel), sympy.S.Zero))
    return list(found.values())


def cycle_basis(network: RateNetwork, *, by_channel: bool = True) -> list[Cycle]:
    """Fundamental cycles of the network's transitions (not its sources and sinks).

    One cycle per chord of a breadth-first spanning forest (see the module docstring).

    Parameters
    ----------
    network : RateNetwork
        The network.
    by_channel : bool, optional
        Resolve edges by channel (default), as in :func:`edges`.

    Returns
    -------
    list of Cycle
        The fundamental cycles; empty for a tree-like network.

    Examples
    --------
    A level between two leads has one cycle, out through one lead and back through the other:

    >>> from symbolic_pme.networks import RateNetwork
    >>> dot = RateNetwork(["0", "1"], [("0", "1", "a_L", "L"), ("1", "0", "b_L", "L"),
    ...                                ("0", "1", "a_R", "R"), ("1", "0", "b_R", "R")])
    >>> [(str(c), c.forward, c.backward) for c in cycle_basis(dot)]
    [('0 -[R]-> 1 -[L]-> 0', a_R*b_L, a_L*b_R)]
    """
    return _basis(network.states, edges(network, by_channel=by_channel))[1]


def edge_currents(
    network: RateNetwork,
    probabilities: Mapping[str, sympy.Expr] | None = None,
    *,
    by_channel: bool = False,
    simplify: bool = True,
) -> dict[Edge, sympy.Expr]:
    """Net current ``k_ab P_a - k_ba P_b`` through every edge.

    Parameters
    ----------
    network : RateNetwork
        The network; an open one includes its source and sink edges (to the outside state of
        :meth:`~symbolic_pme.networks.network.RateNetwork.with_environment`).
    probabilities : mapping of str to sympy.Expr, optional
        ``{state: P}``; default: the closed-form steady state.
    by_channel : bool, optional
        Resolve edges by channel; default False (one edge per pair of states).
    simplify : bool, optional
        Cancel and factor each current (as in
        :meth:`~symbolic_pme.networks.network.TreeSums.ratio`).  Default True.

    Returns
    -------
    dict of Edge to sympy.Expr
        Net probability (open: population) flow per unit time, positive from ``a`` to ``b``.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> ring = RateNetwork.from_rates({("a", "b"): "k", ("b", "c"): "k", ("c", "a"): "k"})
    >>> list(edge_currents(ring).values())
    [k/3, k/3, -k/3]
    """
    closed = network.with_environment()
    flows = edges(closed, by_channel=by_channel)
    if probabilities is None:
        sums = network.tree_sums()
        return {e: sums.ratio(_net(e, sums.weights), simplify=simplify) for e in flows}
    weights = _with_outside(network, probabilities)
    return {e: _tidy(_net(e, weights), simplify) for e in flows}


def cycle_currents(
    network: RateNetwork,
    probabilities: Mapping[str, sympy.Expr] | None = None,
    *,
    by_channel: bool = True,
    simplify: bool = True,
) -> dict[Cycle, sympy.Expr]:
    """Steady-state current around each fundamental cycle: the net flow through its chord.

    Parameters
    ----------
    network : RateNetwork
        The network; for an open one the cycles include the outside state (sources and sinks
        are edges to it), so cycles through the outside carry the throughput.
    probabilities : mapping of str to sympy.Expr, optional
        ``{state: P}``; default: the closed-form steady state.
    by_channel : bool, optional
        Resolve edges by channel (default), as in :func:`edges`.
    simplify : bool, optional
        Cancel and factor each current (as in
        :meth:`~symbolic_pme.networks.network.TreeSums.ratio`).  Default True.

    Returns
    -------
    dict of Cycle to sympy.Expr
        The current per unit time around each cycle, positive in the cycle's direction.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> dot = RateNetwork(["0", "1"], [("0", "1", "a_L", "L"), ("1", "0", "b_L", "L"),
    ...                                ("0", "1", "a_R", "R"), ("1", "0", "b_R", "R")])
    >>> {str(c): j for c, j in cycle_currents(dot).items()}
    {'0 -[R]-> 1 -[L]-> 0': -(a_L*b_R - a_R*b_L)/(a_L + a_R + b_L + b_R)}
    """
    closed = network.with_environment()
    chords, cycles = _basis(closed.states, edges(closed, by_channel=by_channel))  # each starts chord.a -> chord.b
    if probabilities is None:
        sums = network.tree_sums()
        return {c: sums.ratio(_net(e, sums.weights), simplify=simplify) for e, c in zip(chords, cycles)}
    weights = _with_outside(network, probabilities)
    return {c: _tidy(_net(e, weights), simplify) for e, c in zip(chords, cycles)}


def _net(edge: Edge, weights: Mapping[str, sympy.Expr]) -> sympy.Expr:
    return edge.forward * weights[edge.a] - edge.backward * weights[edge.b]


def _with_outside(network: RateNetwork, probabilities: Mapping[str, sympy.Expr]) -> dict[str, sympy.Expr]:
    weights = dict(probabilities)
    if network.is_open:
        weights[network.outside] = sympy.S.One
    return weights


def _tidy(expr: sympy.Expr, simplify: bool) -> sympy.Expr:
    return sympy.factor(sympy.cancel(sympy.together(expr))) if simplify else expr


def _basis(states: tuple[str, ...], all_edges: list[Edge]) -> tuple[list[Edge], list[Cycle]]:
    """Chords and their fundamental cycles for a breadth-first spanning forest."""
    incident: dict[str, list[Edge]] = {s: [] for s in states}
    for e in all_edges:
        incident[e.a].append(e)
        incident[e.b].append(e)
    parent: dict[str, tuple[str, Edge] | None] = {}
    tree: set[int] = set()
    for root in states:
        if root in parent:
            continue
        parent[root] = None
        queue = [root]
        while queue:
            state = queue.pop(0)
            for e in incident[state]:
                other = e.b if e.a == state else e.a
                if other not in parent:
                    parent[other] = (state, e)
                    tree.add(id(e))
                    queue.append(other)
    chords = [e for e in all_edges if id(e) not in tree]
    return chords, [_fundamental_cycle(chord, parent) for chord in chords]


def _fundamental_cycle(chord: Edge, parent: Mapping[str, tuple[str, Edge] | None]) -> Cycle:
    """The chord a -> b followed by the forest path from b back to a."""

    def to_root(state: str) -> list[tuple[str, str, Edge]]:
        path = []
        while parent[state] is not None:
            up, e = parent[state]
            path.append((state, up, e))
            state = up
        return path

    from_b, from_a = to_root(chord.b), to_root(chord.a)
    while from_b and from_a and from_b[-1][2] is from_a[-1][2]:  # drop the common part above the meeting point
        from_b.pop()
        from_a.pop()
    path = [(chord.a, chord.b, chord)] + from_b + [(upper, lower, e) for lower, upper, e in reversed(from_a)]
    steps, forward, backward = [], sympy.S.One, sympy.S.One
    for source, target, e in path:
        ahead, behind = (e.forward, e.backward) if source == e.a else (e.backward, e.forward)
        steps.append((source, target, e.channel))
        forward *= ahead
        backward *= behind
    return Cycle(tuple(steps), forward, backward)
