"""RateNetwork: the one object every model ends up as.

A rate network is a continuous-time Markov chain over labelled states,

    dP_j/dt = sum_i (k_{i->j} P_i - k_{j->i} P_j),

written ``dP/dt = W P`` with the generator ``W[j, i] = sum of rates i -> j`` (i != j) and
``W[i, i] = -sum of rates out of i``.  Each transition carries

* a rate (a SymPy expression; a rate is a probability per unit time, hbar = 1),
* an optional *channel* tag (a lead, a bath, a photon field) that currents are resolved by,
* the *quantities* one jump moves into the system from that channel (``{"charge": 1,
  "energy": E_b - E_a, ...}``).

The current of quantity q through channel c in a state P is ``sum_{t in c} q_t k_t P_{source(t)}``:
positive when q flows from the channel into the system.  States may also carry values
(``state_values``: energies, charges, orbital occupations) whose expectation is ``sum_s P_s v_s``.

Transport models, classical networks and networks reduced from Lindblad equations all produce a
RateNetwork; one closed-form solver, one compiler and one current evaluator serve all of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from .expressions import Value, to_expr
from .matrix_tree import in_tree_weights

__all__ = ["Transition", "RateNetwork", "NonUniqueSteadyState"]


class NonUniqueSteadyState(ValueError):
    """The network has more than one closed class of states: the steady state depends on the
    initial state (for example, every coupling is zero)."""


@dataclass(frozen=True)
class Transition:
    """One jump ``source -> target`` with its rate, channel and carried quantities."""

    source: str
    target: str
    rate: sympy.Expr
    channel: str | None = None
    carries: Mapping[str, sympy.Expr] = field(default_factory=dict)

    def __str__(self) -> str:
        via = f" [{self.channel}]" if self.channel is not None else ""
        return f"{self.source} -> {self.target}{via}: {self.rate}"


TransitionLike = Transition | tuple


class RateNetwork:
    """A continuous-time Markov network of labelled states.

    Parameters
    ----------
    states:
        Unique state labels.
    transitions:
        :class:`Transition` objects, or tuples ``(source, target, rate[, channel[, carries]])``.
        Rates that are exactly zero are dropped; numeric negative or NaN rates are an error.
    state_values:
        ``{name: values}``, one value per state (e.g. ``"energy"``, ``"charge"``, ``"n_a"``).
    """

    def __init__(
        self,
        states: Sequence[str],
        transitions: Iterable[TransitionLike],
        state_values: Mapping[str, Sequence[Value]] | None = None,
    ):
        self.states: tuple[str, ...] = _state_labels(states)
        self._index = {label: i for i, label in enumerate(self.states)}
        self.transitions: tuple[Transition, ...] = tuple(
            t for t in (self._transition(item) for item in transitions) if t.rate != 0
        )
        self.state_values: dict[str, tuple[sympy.Expr, ...]] = {}
        for name, values in (state_values or {}).items():
            values = tuple(values)
            if len(values) != len(self.states):
                raise ValueError(f"state value {name!r}: {len(values)} values for {len(self.states)} states")
            self.state_values[name] = tuple(to_expr(v, f"state value {name!r}") for v in values)

    @classmethod
    def from_rates(
        cls, rates: Mapping[tuple[str, str], Value], states: Sequence[str] | None = None, channel: str | None = None
    ) -> RateNetwork:
        """Build from ``{(source, target): rate}``; states default to those named, in order."""
        if states is None:
            states = list(dict.fromkeys(label for pair in rates for label in pair))
        return cls(states, [(s, t, rate, channel) for (s, t), rate in rates.items()])

    def _transition(self, item: TransitionLike) -> Transition:
        if isinstance(item, Transition):
            source, target, rate, channel, carries = item.source, item.target, item.rate, item.channel, item.carries
        elif isinstance(item, tuple) and 3 <= len(item) <= 5:
            source, target, rate, channel, carries = (tuple(item) + (None, None))[:5]
        else:
            raise TypeError(f"transition {item!r}: expected a Transition or (source, target, rate[, channel])")
        what = f"rate {source} -> {target}"
        for label in (source, target):
            if label not in self._index:
                raise ValueError(f"{what}: unknown state {label!r}; states: {', '.join(self.states)}")
        if source == target:
            raise ValueError(f"{what}: a transition must change the state")
        rate = to_expr(rate, what)
        if rate.is_extended_real is False:
            raise ValueError(f"{what} must be real, got {rate}")
        if rate.is_negative:
            raise ValueError(f"{what} is negative ({rate})")
        carried = {str(q): to_expr(v, f"{what}: carried {q!r}") for q, v in (carries or {}).items()}
        return Transition(source, target, rate, None if channel is None else str(channel), carried)

    def __repr__(self) -> str:
        return f"RateNetwork({len(self.states)} states, {len(self.transitions)} transitions)"

    # ----------------------------------------------------------------------------- structure
    def index(self, label: str) -> int:
        """Position of a state."""
        try:
            return self._index[label]
        except KeyError:
            raise ValueError(f"unknown state {label!r}; states: {', '.join(self.states)}") from None

    @property
    def channels(self) -> tuple[str, ...]:
        """Channel tags, in order of first appearance."""
        return tuple(dict.fromkeys(t.channel for t in self.transitions if t.channel is not None))

    @property
    def quantities(self) -> tuple[str, ...]:
        """Names of the quantities that jumps carry, in order of first appearance."""
        return tuple(dict.fromkeys(q for t in self.transitions for q in t.carries))

    @property
    def parameters(self) -> set[sympy.Symbol]:
        """Free symbols of all rates, carried quantities and state values."""
        exprs = [t.rate for t in self.transitions]
        exprs += [v for t in self.transitions for v in t.carries.values()]
        exprs += [v for values in self.state_values.values() for v in values]
        return set().union(set(), *(e.free_symbols for e in exprs))

    def edge_rates(self) -> dict[tuple[int, int], sympy.Expr]:
        """Total rate of each ordered pair of state indices, summed over channels."""
        edges: dict[tuple[int, int], sympy.Expr] = {}
        for t in self.transitions:
            key = (self._index[t.source], self._index[t.target])
            edges[key] = edges.get(key, sympy.S.Zero) + t.rate
        return edges

    def generator(self) -> sympy.Matrix:
        """The generator W (dP/dt = W P): ``W[j, i]`` = rate i -> j, ``W[i, i]`` = -(rate out of i)."""
        n = len(self.states)
        w = sympy.zeros(n, n)
        for (i, j), rate in self.edge_rates().items():
            w[j, i] += rate
            w[i, i] -= rate
        return w

    def closed_classes(self) -> list[tuple[str, ...]]:
        """Closed communicating classes of the transition graph (structurally non-zero rates).

        The steady state is unique exactly when there is one closed class.
        """
        n = len(self.states)
        edges = list(self.edge_rates())
        rows = [i for i, _ in edges]
        cols = [j for _, j in edges]
        graph = csr_array((np.ones(len(edges)), (rows, cols)), shape=(n, n))
        count, labels = connected_components(graph, directed=True, connection="strong")
        leaves = set(range(count)) - {labels[i] for i, j in edges if labels[i] != labels[j]}
        return [tuple(self.states[i] for i in range(n) if labels[i] == c) for c in sorted(leaves)]

    def require_unique_steady_state(self) -> None:
        """Raise :class:`NonUniqueSteadyState` unless exactly one closed class exists."""
        classes = self.closed_classes()
        if len(classes) > 1:
            shown = "; ".join("{" + ", ".join(c) + "}" for c in classes[:6])
            more = f" and {len(classes) - 6} more" if len(classes) > 6 else ""
            raise NonUniqueSteadyState(
                f"the steady state is not unique: the network splits into {len(classes)} closed classes "
                f"({shown}{more}); connect them (e.g. a coupling that is zero or missing)"
            )

    def state_function(self, quantity: str, channel: str | None) -> dict[str, sympy.Expr] | None:
        """A state function ``phi`` whose change is what the channel's jumps carry, if one exists.

        Returns ``{state: phi}`` with ``carried_t == phi(target) - phi(source)`` for every
        transition t of ``channel`` (``phi`` is fixed up to a constant per connected part), or
        None when the carried amounts are not such differences (e.g. a quantity counted once per
        jump, whatever its direction).  Conserved quantities have one: charge (phi = N), energy
        (phi = E), and heat from a lead (phi = E - mu N).  Their currents then follow from the
        net probability flow into each state, ``I_c = sum_s phi(s) * netflow_c(s)``.
        """
        transitions = [t for t in self.transitions if t.channel == channel]
        neighbours: dict[str, list[tuple[str, sympy.Expr]]] = {}
        for t in transitions:
            amount = t.carries.get(quantity, sympy.S.Zero)
            neighbours.setdefault(t.source, []).append((t.target, amount))
            neighbours.setdefault(t.target, []).append((t.source, -amount))
        phi: dict[str, sympy.Expr] = {}
        for start in neighbours:
            if start in phi:
                continue
            phi[start] = sympy.S.Zero
            queue = [start]
            while queue:
                state = queue.pop()
                for other, amount in neighbours[state]:
                    if other not in phi:
                        phi[other] = phi[state] + amount
                        queue.append(other)
        for t in transitions:
            residual = t.carries.get(quantity, sympy.S.Zero) - (phi[t.target] - phi[t.source])
            if residual != 0 and sympy.expand(residual) != 0:
                return None
        return {s: phi.get(s, sympy.S.Zero) for s in self.states}

    # ----------------------------------------------------------------------------- closed forms
    def steady_state(self, simplify: bool = True, max_trees: int = 20000) -> dict[str, sympy.Expr]:
        """Closed-form steady state ``{label: P}`` by the matrix-tree theorem.

        ``P_r`` is the sum over spanning trees directed to r of the product of their rates,
        normalized.  With ``simplify`` each probability is factored (cancelling common factors).
        Raises :class:`NonUniqueSteadyState` for a reducible network and
        :class:`~symbolic_pme.matrix_tree.ClosedFormTooLarge` beyond ``max_trees`` trees.
        """
        self.require_unique_steady_state()
        weights = in_tree_weights(len(self.states), self.edge_rates(), max_trees=max_trees)
        total = sympy.Add(*weights)
        probabilities = [w / total for w in weights]
        if simplify:
            probabilities = [sympy.factor(sympy.cancel(p)) for p in probabilities]
        return dict(zip(self.states, probabilities))

    def current(
        self, quantity: str, channel: str, probabilities: Mapping[str, sympy.Expr] | None = None, simplify: bool = True
    ) -> sympy.Expr:
        """Current of ``quantity`` from ``channel`` into the system, ``sum_t q_t k_t P_source``.

        ``probabilities`` defaults to the closed-form :meth:`steady_state`.
        """
        if channel not in self.channels:
            raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(map(str, self.channels))}")
        if quantity not in self.quantities:
            raise ValueError(f"unknown quantity {quantity!r}; quantities: {', '.join(self.quantities)}")
        if probabilities is None:
            probabilities = self.steady_state(simplify=False)
        flux = sympy.Add(
            *(
                t.carries.get(quantity, 0) * t.rate * probabilities[t.source]
                for t in self.transitions
                if t.channel == channel
            )
        )
        return sympy.factor(sympy.cancel(sympy.together(flux))) if simplify else flux

    def expectation(
        self, name: str, probabilities: Mapping[str, sympy.Expr] | None = None, simplify: bool = True
    ) -> sympy.Expr:
        """Expectation ``sum_s P_s v_s`` of a state value (default: in the closed-form steady state)."""
        if name not in self.state_values:
            raise ValueError(f"unknown state value {name!r}; known: {', '.join(self.state_values)}")
        if probabilities is None:
            probabilities = self.steady_state(simplify=False)
        value = sympy.Add(*(p * probabilities[s] for s, p in zip(self.states, self.state_values[name])))
        return sympy.factor(sympy.cancel(sympy.together(value))) if simplify else value

    def subs(self, values: Mapping[sympy.Symbol | str, Value]) -> RateNetwork:
        """A copy with parameters replaced (keys are symbols or their names)."""
        by_name = {str(k): v for k, v in values.items()}
        mapping = {s: to_expr(by_name[s.name], s.name) for s in self.parameters if s.name in by_name}

        def sub(expr: sympy.Expr) -> sympy.Expr:
            return expr.xreplace(mapping)

        transitions = [
            Transition(t.source, t.target, sub(t.rate), t.channel, {q: sub(v) for q, v in t.carries.items()})
            for t in self.transitions
        ]
        values_ = {name: [sub(v) for v in vals] for name, vals in self.state_values.items()}
        return type(self)(self.states, transitions, values_)


def _state_labels(states: Sequence[str]) -> tuple[str, ...]:
    if isinstance(states, str):
        raise TypeError("states: expected a sequence of labels, got a single string")
    labels = tuple(states)
    if not labels:
        raise ValueError("states: a network needs at least one state")
    for label in labels:
        if not isinstance(label, str) or not label:
            raise ValueError(f"states: labels must be non-empty strings, got {label!r}")
    repeated = sorted({s for s in labels if labels.count(s) > 1})
    if repeated:
        raise ValueError(f"states: labels must be unique, repeated: {', '.join(repeated)}")
    return labels
