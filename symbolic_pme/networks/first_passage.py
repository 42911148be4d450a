"""Trapping: where an excitation ends up and how long it takes, from one linear solve.

An excitation starts in the initial distribution ``P0`` and moves by the network's transitions
until a sink removes it (a reaction centre traps it, it decays, it is extracted).  With the
generator W (sinks on its diagonal, dP/dt = W P), everything follows from

    x = integral_0^oo P(t) dt = -W^{-1} P0,

the *residence times* (expected total time spent in each state), one linear solve:

* yield of sink channel c (e.g. the trapping efficiency): ``eta_c = sum_i kappa_{c,i} x_i``,
  with kappa the sink rates; the yields of all channels add up to 1;
* mean time until a sink removes it (the mean trapping or first-passage time): ``sum_i x_i``.

Sinks are :class:`~symbolic_pme.networks.network.Sink` objects, or *absorbing states*: states
without transitions out, such as the ``"sink"`` and ``"ground"`` of a reduced Haken-Strobl-Reineker
model.  Transitions into an absorbing state act as sinks of their channel (``"sink"`` without
one); a network without sinks has its absorbing states used so by default.

``x`` is the steady state of the same network driven by a unit source distributed as ``P0``
(``W x + P0 = 0``), so the closed form comes from the matrix-tree solver of open networks
(:meth:`RateNetwork.steady_state`), with its size limits.  Times are in the inverse unit of the
rates (``docs/conventions.md``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from symbolic_pme.checks import initial_weights
from symbolic_pme.networks.network import RateNetwork, Sink, Source
from symbolic_pme.parsing import Value

__all__ = ["FirstPassage", "first_passage", "initial_distribution"]


@dataclass(frozen=True)
class FirstPassage:
    """Result of :func:`first_passage`.

    Attributes
    ----------
    initial : dict of str to sympy.Expr
        The initial distribution, normalized.
    residence : dict of str to sympy.Expr
        The expected total time spent in each state (inverse rate units).
    yields : dict of str to sympy.Expr
        The probability of ending in each sink channel; they add up to 1.
    mean_time : sympy.Expr
        The mean time until a sink removes the excitation (the sum of the residence times).
    """

    initial: dict[str, sympy.Expr]
    residence: dict[str, sympy.Expr]
    yields: dict[str, sympy.Expr]
    mean_time: sympy.Expr


def initial_distribution(network: RateNetwork, initial: str | Mapping[str, Value] | None) -> dict[str, sympy.Expr]:
    """The initial distribution ``{state: probability}`` of an excitation.

    Parameters
    ----------
    network : RateNetwork
        The network.
    initial : str, mapping of str to value, or None
        A state label, weights ``{state: w}`` (normalized by their sum), or None for the
        network's sources (an excitation starts where the source injects it, in proportion to
        the source rates).

    Returns
    -------
    dict of str to sympy.Expr
        The probability of every state of the network (0 where the excitation does not start).

    Raises
    ------
    ValueError
        For None without sources, weights that add up to zero, or (from
        :func:`~symbolic_pme.checks.initial_weights`) an unknown state or invalid weight.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> net = RateNetwork.from_rates({("a", "b"): 1, ("b", "a"): 1})
    >>> initial_distribution(net, {"a": 1, "b": 3})
    {'a': 1/4, 'b': 3/4}
    """
    if initial is None:
        if not network.sources:
            raise ValueError(
                "initial: give the initial state or distribution (the network has no sources to start from)"
            )
        weights: dict[str, sympy.Expr] = {}
        for source in network.sources:
            weights[source.state] = weights.get(source.state, sympy.S.Zero) + source.rate
    else:
        weights = initial_weights(network.states, initial)
    total = sympy.Add(*weights.values())
    if total == 0:
        raise ValueError("initial: the weights add up to zero")
    return {s: sympy.cancel(weights[s] / total) if s in weights else sympy.S.Zero for s in network.states}


def first_passage(
    network: RateNetwork,
    initial: str | Mapping[str, Value] | None = None,
    *,
    absorbing: Sequence[str] | None = None,
    simplify: bool = True,
    max_trees: int = 20000,
) -> FirstPassage:
    """Yields, residence times and mean trapping time in closed form.

    Parameters
    ----------
    network : RateNetwork
        A network with sinks or absorbing states; its sources are used only to define the
        default ``initial``.
    initial : str, mapping of str to value, or None, optional
        Where the excitation starts: a state label, weights ``{state: w}`` (normalized), or None
        (default) for the distribution of the network's sources.
    absorbing : sequence of str, optional
        States that end the passage (states without transitions out): each transition into one
        becomes a sink of its channel (``"sink"`` without one), and they leave the result.
        Default: none when the network has sinks, else every state without transitions out.
    simplify : bool, optional
        Simplify the closed forms as :meth:`RateNetwork.steady_state` does.  Default True.
    max_trees : int, optional
        Size limit, as for :meth:`RateNetwork.steady_state`.

    Returns
    -------
    FirstPassage
        The initial distribution, residence times, yields per sink channel and mean time.

    Raises
    ------
    ValueError
        Without sinks or absorbing states, for an ``absorbing`` state that is unknown, has
        transitions out or is fed by a source, or for an invalid ``initial`` (:func:`initial_distribution`).
    NonUniqueSteadyState
        When some state cannot reach a sink (the excitation could stay for ever).
    ClosedFormTooLarge
        Beyond ``max_trees`` spanning trees, as for :meth:`RateNetwork.steady_state`.

    Examples
    --------
    A chain ``A -> B`` with a trap on B (rate kappa) and a loss on A (rate g):

    >>> from symbolic_pme.networks import RateNetwork
    >>> chain = RateNetwork(["A", "B"], [("A", "B", "k")],
    ...                     sinks=[("B", "kappa", "trap"), ("A", "g", "loss")])
    >>> result = first_passage(chain, "A")
    >>> result.yields
    {'trap': k/(g + k), 'loss': g/(g + k)}
    >>> result.mean_time
    (k + kappa)/(kappa*(g + k))

    The same chain with the trap and the loss as absorbing states gives the same:

    >>> states = RateNetwork(["A", "B", "RC", "ground"],
    ...                      [("A", "B", "k"), ("B", "RC", "kappa", "trap"), ("A", "ground", "g", "loss")])
    >>> first_passage(states, "A").yields
    {'trap': k/(g + k), 'loss': g/(g + k)}
    """
    network = _absorbed(network, absorbing)
    start = initial_distribution(network, initial)
    driven = RateNetwork(
        network.states,
        network.transitions,
        network.state_values,
        sources=[Source(s, p) for s, p in start.items()],
        sinks=network.sinks,
    )
    sums = driven.tree_sums(max_trees=max_trees)
    numerators: dict[str, sympy.Expr] = {}
    for sink in network.sinks:
        numerators[sink.channel] = numerators.get(sink.channel, sympy.S.Zero) + sink.rate * sums.weights[sink.state]
    return FirstPassage(
        start,
        {s: sums.ratio(sums.weights[s], simplify=simplify) for s in network.states},
        {c: sums.ratio(w, simplify=simplify) for c, w in numerators.items()},
        sums.ratio(sympy.Add(*(sums.weights[s] for s in network.states)), simplify=simplify),
    )


def _absorbed(network: RateNetwork, absorbing: Sequence[str] | None) -> RateNetwork:
    """The network with its absorbing states replaced by sinks (unchanged without any)."""
    if absorbing is None:
        if network.sinks:
            return network
        leaving = {t.source for t in network.transitions}
        absorbing = [s for s in network.states if s not in leaving]
        if not absorbing:
            raise ValueError(
                "network: it has no sinks and no absorbing states (every state has transitions out), "
                "so nothing ever traps the excitation"
            )
    ends = set(absorbing)
    unknown = sorted(ends - set(network.states))
    if unknown:
        raise ValueError(f"absorbing: unknown state {unknown[0]!r}; states: {', '.join(network.states)}")
    for t in network.transitions:
        if t.source in ends:
            raise ValueError(f"absorbing: state {t.source!r} is not absorbing (transition {t})")
    fed = sorted({source.state for source in network.sources} & ends)
    if fed:
        raise ValueError(f"absorbing: a source feeds the absorbing state {fed[0]!r}")
    states = [s for s in network.states if s not in ends]
    transitions = [t for t in network.transitions if t.target not in ends]
    sinks = list(network.sinks) + [
        Sink(t.source, t.rate, t.channel or "sink") for t in network.transitions if t.target in ends
    ]
    return RateNetwork(states, transitions, sources=network.sources, sinks=sinks)
