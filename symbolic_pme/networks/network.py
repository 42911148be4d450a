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

*Open* networks also have sources and sinks: a :class:`Source` injects population into a state at a
constant rate (population per unit time: a laser creating excitations), a :class:`Sink` removes it
from a state with a rate (probability per unit time: a trap, a decay, an extraction).  Then

    dP/dt = W P + s,

where ``W`` now also has the sink rates on its diagonal and ``s`` is the source vector.  ``P`` are
populations (expected numbers of excitations in each state), not probabilities; their steady state
``P = -W^{-1} s`` is not normalized.  One mechanism serves both kinds: an open network is embedded
in a closed one with an extra state, the *outside* (:meth:`RateNetwork.with_environment`), whose
sinks lead there and whose sources leave from it with the source rates.  The embedding's steady
state ``pi`` gives ``P_i = pi_i / pi_outside`` exactly (its balance for state i reads
``(W P)_i + s_i = 0``), so the matrix-tree closed form and the numeric solver of closed networks
serve open networks unchanged.  Sources and sinks carry the quantity ``"population"`` (+1 in, -1
out), so ``current("population", "trap")`` is minus the rate at which the trap catches population.

Transport models, classical networks and networks reduced from Lindblad equations all produce a
RateNetwork; one closed-form solver, one compiler and one current evaluator serve all of them.
Units and signs: ``docs/conventions.md`` (hbar = k_B = 1; rates per unit time; quantities carried
into the system are positive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import sympy
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from symbolic_pme.networks.matrix_tree import in_tree_weights
from symbolic_pme.parsing import Value, to_expr

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.transport.rate_groups import TunnellingGroup

from symbolic_pme.checks import rate as checked_rate
from symbolic_pme.checks import state_labels
from symbolic_pme.errors import NonUniqueSteadyState
from symbolic_pme.quantities import POPULATION

__all__ = [
    "FACTOR_MAX_TERMS",
    "RateNetwork",
    "Sink",
    "Source",
    "StateValues",
    "Transition",
    "TreeSums",
]

#: Closed forms with at most this many spanning-tree terms (summed over states) are factored when
#: ``simplify`` is asked for; larger ones are returned as the exact ratio of tree sums (factoring a
#: fully connected 5-state network alone takes tens of seconds and mostly finds nothing to cancel).
FACTOR_MAX_TERMS = 200


@dataclass(frozen=True)
class Transition:
    """One jump ``source -> target`` with its rate, channel and carried quantities.

    Attributes
    ----------
    source, target : str
        The state labels before and after the jump.
    rate : sympy.Expr
        The rate, a probability per unit time.
    channel : str or None
        The channel tag (a lead, a bath, a photon field) that currents are resolved by.
    carries : mapping of str to sympy.Expr
        The quantities one jump moves into the system from ``channel`` (``{"charge": 1, ...}``;
        positive into the system, ``docs/conventions.md``).
    """

    source: str
    target: str
    rate: sympy.Expr
    channel: str | None = None
    carries: Mapping[str, sympy.Expr] = field(default_factory=dict)

    def __str__(self) -> str:
        via = f" [{self.channel}]" if self.channel is not None else ""
        return f"{self.source} -> {self.target}{via}: {self.rate}"


@dataclass(frozen=True)
class Source:
    """Constant injection into ``state``: ``rate`` is population per unit time.

    Attributes
    ----------
    state : str
        The state that receives the population.
    rate : sympy.Expr
        Population per unit time (not a probability per unit time).
    channel : str
        The channel tag, ``"source"`` by default; its jumps carry ``"population"`` +1.
    """

    state: str
    rate: sympy.Expr
    channel: str = "source"

    def __str__(self) -> str:
        return f"source -> {self.state} [{self.channel}]: {self.rate}"


@dataclass(frozen=True)
class Sink:
    """Loss from ``state`` (a trap, decay or extraction): ``rate`` is probability per unit time.

    Attributes
    ----------
    state : str
        The state that loses population.
    rate : sympy.Expr
        Probability per unit time.
    channel : str
        The channel tag, ``"sink"`` by default; its jumps carry ``"population"`` -1.
    """

    state: str
    rate: sympy.Expr
    channel: str = "sink"

    def __str__(self) -> str:
        return f"{self.state} -> sink [{self.channel}]: {self.rate}"


class TreeSums(NamedTuple):
    """Matrix-tree sums of a steady state: ``P_s = weights[s] / norm``.

    Attributes
    ----------
    weights : dict of str to sympy.Expr
        The sum over spanning trees directed to each state of the product of their rates, for
        the states of :meth:`RateNetwork.with_environment`.
    norm : sympy.Expr
        The normalization: the sum of all weights for a closed network; for an open network the
        outside's weight, so the outside's "population" is 1 (the reference its source rates are
        relative to).
    terms : int
        The number of tree terms, summed over states.
    """

    weights: dict[str, sympy.Expr]
    norm: sympy.Expr
    terms: int

    def ratio(self, numerator: sympy.Expr, *, simplify: bool = True) -> sympy.Expr:
        """``numerator / norm``, simplified on request as far as stays cheap.

        Parameters
        ----------
        numerator : sympy.Expr
            A combination of the :attr:`weights` (e.g. a weight, or a flux ``sum q k weight``).
        simplify : bool, optional
            Factor with common factors cancelled when the closed form has at most
            :data:`FACTOR_MAX_TERMS` tree terms and no exponentials (polynomial cancellation
            with many ``exp`` terms, e.g. Boltzmann rates, can take minutes); with exponentials,
            merge their products instead.  False, or a larger closed form: the exact ratio of
            tree sums.  Default True.

        Returns
        -------
        sympy.Expr
            ``numerator / norm``.
        """
        value = numerator / self.norm
        if not simplify or self.terms > FACTOR_MAX_TERMS:
            return value
        if value.has(sympy.exp):
            return sympy.powsimp(value)
        return sympy.factor(sympy.cancel(value))


TransitionLike = Transition | tuple
FlowsLike = Mapping[str, Value] | Iterable[Source | Sink | tuple]


class StateValues(Mapping):
    """State values computed on first access: ``{name: tuple of one expression per state}``.

    A transport model of thousands of states has per-state occupations of every mode; as SymPy
    objects they are only built when asked for (the compiled kernel computes them numerically).

    Parameters
    ----------
    names : sequence of str
        The names of the state values (``"energy"``, ``"charge"``, ``"n_a"``, ...).
    compute : callable
        ``compute(name)`` returns the value of ``name`` in every state, one expression per state
        in the network's state order; called once per name, on first access.
    """

    def __init__(self, names: Sequence[str], compute: Callable[[str], Sequence[sympy.Expr]]):
        self._names = tuple(names)
        self._compute = compute
        self._cache: dict[str, tuple[sympy.Expr, ...]] = {}

    def __getitem__(self, name: str) -> tuple[sympy.Expr, ...]:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._cache:
            self._cache[name] = tuple(self._compute(name))
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class RateNetwork:
    """A continuous-time Markov network of labelled states.

    Parameters
    ----------
    states : sequence of str
        Unique state labels.
    transitions : iterable of Transition or tuple, optional
        :class:`Transition` objects, or tuples ``(source, target, rate[, channel[, carries]])``;
        rates are probabilities per unit time (hbar = 1, ``docs/conventions.md``).
    state_values : mapping of str to sequence, optional
        ``{name: values}``, one value per state (e.g. ``"energy"``, ``"charge"``, ``"n_a"``).
    sources : mapping or iterable of Source or tuple, optional
        Constant injections (population per unit time): ``{state: rate}``, or :class:`Source`
        objects or tuples ``(state, rate[, channel])`` (channel default ``"source"``).
    sinks : mapping or iterable of Sink or tuple, optional
        Losses (probability per unit time): ``{state: rate}``, or :class:`Sink` objects or tuples
        ``(state, rate[, channel])`` (channel default ``"sink"``).  A state may have several
        sinks (a trap and a loss).
    groups : sequence of TunnellingGroup, optional
        Transition groups (keyword only): each holds all jumps from one block of states to
        another through one channel as one object (:class:`~symbolic_pme.transport.rate_groups.TunnellingGroup`;
        its ``sources`` and ``targets`` are indices into ``states``).  :attr:`transitions` expands
        them into scalar transitions on first use; checks and the compiler use them as blocks.

    Raises
    ------
    ValueError
        For a negative, NaN or infinite numeric rate or an unknown state (naming the transition,
        source or sink), a transition from a state to itself, a group whose states are not
        among ``states``, or a state value with the wrong number of values.
    TypeError
        For a transition, source or sink that is neither its object nor a tuple of the right
        length.

    Notes
    -----
    Rates that are exactly zero are dropped everywhere.

    Examples
    --------
    >>> net = RateNetwork.from_rates({("a", "b"): "k_ab", ("b", "a"): "k_ba"})
    >>> net
    RateNetwork(2 states, 2 transitions)
    >>> net.steady_state()
    {'a': k_ba/(k_ab + k_ba), 'b': k_ab/(k_ab + k_ba)}

    An open network: a source feeds ``x`` at J (population per unit time), a sink empties it at
    k; the steady population is not normalized, and the sink's population current is -J.

    >>> fed = RateNetwork(["x"], sources={"x": "J"}, sinks={"x": "k"})
    >>> fed.steady_state(), fed.current("population", "sink")
    ({'x': J/k}, -J)
    """

    def __init__(
        self,
        states: Sequence[str],
        transitions: Iterable[TransitionLike] = (),
        state_values: Mapping[str, Sequence[Value]] | None = None,
        sources: FlowsLike = (),
        sinks: FlowsLike = (),
        *,
        groups: Sequence[TunnellingGroup] = (),
    ):
        self.states: tuple[str, ...] = state_labels(states)
        self._index = {label: i for i, label in enumerate(self.states)}
        #: Transitions given one by one (not through groups).
        self.scalar_transitions: tuple[Transition, ...] = tuple(
            t for t in (self._transition(item) for item in transitions) if t.rate != 0
        )
        self.groups: tuple[TunnellingGroup, ...] = tuple(groups)
        for group in self.groups:
            if max(max(group.sources), max(group.targets)) >= len(self.states):
                raise ValueError(f"{group!r}: its states are not among the network's {len(self.states)} states")
        self.sources: tuple[Source, ...] = self._flows(sources, Source)
        self.sinks: tuple[Sink, ...] = self._flows(sinks, Sink)
        self.state_values: Mapping[str, tuple[sympy.Expr, ...]]
        if isinstance(state_values, StateValues):
            self.state_values = state_values
            return
        self.state_values = {}
        for name, values in (state_values or {}).items():
            values = tuple(values)
            if len(values) != len(self.states):
                raise ValueError(f"state value {name!r}: {len(values)} values for {len(self.states)} states")
            self.state_values[name] = tuple(to_expr(v, f"state value {name!r}") for v in values)

    @cached_property
    def transitions(self) -> tuple[Transition, ...]:
        """Every transition as a scalar :class:`Transition`: those given one by one, then the
        groups expanded (built on first use; a large model should be used through its groups).
        """
        expanded = [t for group in self.groups for t in group.expand() if t.rate != 0]
        return self.scalar_transitions + tuple(expanded)

    def expanded(self) -> RateNetwork:
        """The same network with every group expanded into scalar transitions.

        Returns
        -------
        RateNetwork
            A network without groups (this one when it has none).
        """
        if not self.groups:
            return self
        return RateNetwork(self.states, self.transitions, dict(self.state_values), self.sources, self.sinks)

    @classmethod
    def from_rates(
        cls,
        rates: Mapping[tuple[str, str], Value],
        states: Sequence[str] | None = None,
        *,
        channel: str | None = None,
        sources: FlowsLike = (),
        sinks: FlowsLike = (),
    ) -> RateNetwork:
        """Build from ``{(source, target): rate}``.

        Parameters
        ----------
        rates : mapping of (str, str) to value
            ``{(source, target): rate}``, rates in probability per unit time.
        states : sequence of str, optional
            The state labels; default: those named by the rates, sources and sinks, in order of
            appearance.
        channel : str, optional
            The channel tag of every transition (default: none).
        sources, sinks : mapping or iterable, optional
            As for :class:`RateNetwork`.

        Returns
        -------
        RateNetwork
            The network.

        Raises
        ------
        ValueError
            As for :class:`RateNetwork`.

        Examples
        --------
        >>> RateNetwork.from_rates({("a", "b"): 2, ("b", "a"): 1}, channel="bath").channels
        ('bath',)
        """
        edges = [(s, t, rate, channel) for (s, t), rate in rates.items()]
        return cls.from_edges(edges, states, sources=sources, sinks=sinks)

    @classmethod
    def from_edges(
        cls,
        edges: Iterable[tuple],
        states: Sequence[str] | None = None,
        *,
        sources: FlowsLike = (),
        sinks: FlowsLike = (),
    ) -> RateNetwork:
        """Build from an edge list ``[(source, target, rate[, channel[, carries]]), ...]``.

        Parameters
        ----------
        edges : iterable of tuple
            ``(source, target, rate[, channel[, carries]])``, as the transitions of
            :class:`RateNetwork`.
        states : sequence of str, optional
            The state labels; default: those named by the edges, sources and sinks, in order of
            appearance.
        sources, sinks : mapping or iterable, optional
            As for :class:`RateNetwork`.

        Returns
        -------
        RateNetwork
            The network.

        Raises
        ------
        ValueError
            As for :class:`RateNetwork`.
        """
        edges = list(edges)
        if states is None:
            named = [label for edge in edges for label in tuple(edge)[:2]]
            named += [_flow_state(item) for flows in (sources, sinks) for item in flows]
            states = list(dict.fromkeys(named))
        return cls(states, edges, sources=sources, sinks=sinks)

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
        rate = checked_rate(rate, what)
        carried = {str(q): to_expr(v, f"{what}: carried {q!r}") for q, v in (carries or {}).items()}
        return Transition(source, target, rate, None if channel is None else str(channel), carried)

    def _flows(self, items: FlowsLike, kind: type[Source | Sink]) -> tuple:
        """Validated sources or sinks (``kind``), zero rates dropped."""
        what = kind.__name__.lower()
        if isinstance(items, Mapping):
            items = list(items.items())
        flows = []
        for item in items:
            if isinstance(item, kind):
                state, rate, channel = item.state, item.rate, item.channel
            elif isinstance(item, tuple) and 2 <= len(item) <= 3:
                state, rate, channel = (tuple(item) + (kind.channel,))[:3]
            else:
                raise TypeError(f"{what} {item!r}: expected a {kind.__name__} or (state, rate[, channel])")
            name = f"rate of {what} {'into' if kind is Source else 'from'} {state!r}"
            if state not in self._index:
                raise ValueError(f"{name}: unknown state {state!r}; states: {', '.join(self.states)}")
            rate = checked_rate(rate, name)
            if rate != 0:
                flows.append(kind(state, rate, str(channel)))
        return tuple(flows)

    def __repr__(self) -> str:
        open_part = f", {len(self.sources)} sources, {len(self.sinks)} sinks" if self.is_open else ""
        count = len(self.scalar_transitions) + sum(g.size for g in self.groups)
        grouped = f" in {len(self.groups)} groups" if self.groups else ""
        return f"RateNetwork({len(self.states)} states, {count} transitions{grouped}{open_part})"

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
            Its index in :attr:`states` (and in the rows of :meth:`generator`).

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
    def is_open(self) -> bool:
        """True when the network has sources or sinks (its populations are not normalized)."""
        return bool(self.sources or self.sinks)

    @cached_property
    def channels(self) -> tuple[str, ...]:
        """Channel tags of transitions, then of sources and sinks, in order of first appearance."""
        tags = [t.channel for t in self.scalar_transitions] + [g.channel for g in self.groups]
        tags += [f.channel for f in self.sources + self.sinks]
        return tuple(dict.fromkeys(c for c in tags if c is not None))

    @property
    def quantities(self) -> tuple[str, ...]:
        """Names of the quantities that jumps carry (``"population"`` for sources and sinks)."""
        closed = self.with_environment()
        names = [q for t in closed.scalar_transitions for q in t.carries]
        return tuple(dict.fromkeys(names + [q for g in self.groups for q in g.quantities]))

    @property
    def parameters(self) -> set[sympy.Symbol]:
        """Free symbols of all rates (also of sources and sinks), carried quantities and state values."""
        if self.groups:
            return self.expanded().parameters if self.scalar_transitions else self._group_parameters()
        exprs = [t.rate for t in self.transitions] + [f.rate for f in self.sources + self.sinks]
        exprs += [v for t in self.transitions for v in t.carries.values()]
        exprs += [v for values in self.state_values.values() for v in values]
        return set().union(set(), *(e.free_symbols for e in exprs))

    def _group_parameters(self) -> set[sympy.Symbol]:
        """Parameters of a network of groups: the groups' own (leads, amplitudes) and those of the
        exact energies of their states.  Numeric eigenstates are not parameters: their
        placeholder symbols are not listed (the numeric layer computes them)."""
        spectra = {id(g.spectrum): g.spectrum for g in self.groups}
        symbols = set().union(set(), *(g.parameters for g in self.groups))
        for spectrum in spectra.values():
            exact = [k for k, state in enumerate(spectrum.states) if state.exact]
            symbols |= set().union(set(), *(spectrum.energy(k).free_symbols for k in exact))
        return symbols

    def edge_rates(self) -> dict[tuple[int, int], sympy.Expr]:
        """Total rate of each ordered pair of state indices, summed over channels.

        Returns
        -------
        dict of (int, int) to sympy.Expr
            ``{(i, j): rate i -> j}`` for the pairs with a transition (sinks not included).
        """
        edges: dict[tuple[int, int], sympy.Expr] = {}
        for t in self.transitions:
            key = (self._index[t.source], self._index[t.target])
            edges[key] = edges.get(key, sympy.S.Zero) + t.rate
        return edges

    def generator(self) -> sympy.Matrix:
        """The generator W of ``dP/dt = W P + s``.

        Returns
        -------
        sympy.Matrix
            ``W[j, i]`` = rate i -> j, ``W[i, i]`` = -(rate out of i), where the rates out of i
            include its sinks; rows and columns in the order of :attr:`states`.

        Examples
        --------
        >>> RateNetwork.from_rates({("a", "b"): "k_ab", ("b", "a"): "k_ba"}).generator()
        Matrix([
        [-k_ab,  k_ba],
        [ k_ab, -k_ba]])
        """
        n = len(self.states)
        w = sympy.zeros(n, n)
        for (i, j), rate in self.edge_rates().items():
            w[j, i] += rate
            w[i, i] -= rate
        for sink in self.sinks:
            w[self._index[sink.state], self._index[sink.state]] -= sink.rate
        return w

    def source_vector(self) -> sympy.Matrix:
        """The source term s of ``dP/dt = W P + s``.

        Returns
        -------
        sympy.Matrix
            A column: the population per unit time injected into each state.
        """
        s = sympy.zeros(len(self.states), 1)
        for source in self.sources:
            s[self._index[source.state]] += source.rate
        return s

    @property
    def outside(self) -> str | None:
        """Label of the outside state of :meth:`with_environment` (None for a closed network)."""
        if not self.is_open:
            return None
        label = "outside"
        while label in self._index:
            label += "'"
        return label

    def with_environment(self) -> RateNetwork:
        """The closed network this open one is embedded in.

        An extra last state :attr:`outside` receives every sink (``state -> outside``, the sink's
        rate and channel, carrying population -1) and feeds every source (``outside -> state``,
        the source's rate and channel, population +1).  If ``pi`` is its steady state, the open
        network's steady populations are ``pi_i / pi_outside``; state values are 0 outside.

        Returns
        -------
        RateNetwork
            The closed embedding (a closed network returns itself).
        """
        if not self.is_open:
            return self
        outside = self.outside
        flows = [Transition(f.state, outside, f.rate, f.channel, {POPULATION: sympy.S.NegativeOne}) for f in self.sinks]
        flows += [Transition(outside, f.state, f.rate, f.channel, {POPULATION: sympy.S.One}) for f in self.sources]
        values = {name: list(vals) + [sympy.S.Zero] for name, vals in self.state_values.items()}
        return RateNetwork(self.states + (outside,), list(self.scalar_transitions) + flows, values, groups=self.groups)

    def closed_classes(self) -> list[tuple[str, ...]]:
        """Closed communicating classes of the transition graph (structurally non-zero rates).

        The steady state is unique exactly when there is one closed class.

        Returns
        -------
        list of tuple of str
            The states of each closed class.
        """
        n = len(self.states)
        rows, cols = self._structure()
        nodes = max(n, 1 + int(max(rows.max(initial=0), cols.max(initial=0))))  # states, then hubs
        graph = csr_array((np.ones(len(rows)), (rows, cols)), shape=(nodes, nodes))
        count, labels = connected_components(graph, directed=True, connection="strong")
        crossing = labels[rows] != labels[cols]
        leaves = set(range(count)) - set(labels[rows[crossing]].tolist())
        members = [np.flatnonzero(labels[:n] == c) for c in sorted(leaves)]
        return [tuple(self.states[i] for i in m) for m in members if len(m)]

    def _structure(self) -> tuple[np.ndarray, np.ndarray]:
        """Edges ``(from, to)`` of the transition graph.  A group's "every source to every
        target" block goes through one extra hub node (numbered from ``len(states)`` on): the
        same strongly connected structure in O(sources + targets) edges, not O(product)."""
        n = len(self.states)
        rows = [np.array([self._index[t.source] for t in self.scalar_transitions], dtype=np.int64)]
        cols = [np.array([self._index[t.target] for t in self.scalar_transitions], dtype=np.int64)]
        hub = n
        for group in self.groups:
            for sources, targets in group.bicliques():
                if len(sources) == 1 or len(targets) == 1:
                    s, t = np.broadcast_arrays(sources[:, None], targets[None, :])
                    rows.append(s.ravel())
                    cols.append(t.ravel())
                    continue
                rows += [sources, np.full(len(targets), hub)]
                cols += [np.full(len(sources), hub), targets]
                hub += 1
        return np.concatenate(rows).astype(np.int64, copy=False), np.concatenate(cols).astype(np.int64, copy=False)

    def require_unique_steady_state(self) -> None:
        """Check that the steady state is unique.

        Closed network: exactly one closed class exists.  Open network: every state can reach a
        sink, i.e. the embedding of :meth:`with_environment` has one closed class and it contains
        the outside.  A group of states with no way to a sink would keep its population for ever
        (or, fed by a source, accumulate it without bound).

        Raises
        ------
        NonUniqueSteadyState
            When the check fails; the message names the classes (or trapped states).
        """
        if self.is_open:
            trapped = [c for c in self.with_environment().closed_classes() if self.outside not in c]
            if trapped:
                shown = "; ".join("{" + ", ".join(c) + "}" for c in trapped)
                raise NonUniqueSteadyState(
                    f"no steady state of the open network: the states {shown} cannot reach any sink, so their "
                    "population is not fixed by the balance (it grows without bound if a source feeds them); "
                    "add a sink or a transition out of them"
                )
            return
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

        Conserved quantities have one: charge (phi = N), energy (phi = E), and heat from a lead
        (phi = E - mu N).  Their currents then follow from the net probability flow into each
        state, ``I_c = sum_s phi(s) * netflow_c(s)``.

        Parameters
        ----------
        quantity : str
            A carried quantity (:attr:`quantities`).
        channel : str or None
            The channel whose transitions are considered (None: the untagged ones).

        Returns
        -------
        dict of str to sympy.Expr or None
            ``{state: phi}`` with ``carried_t == phi(target) - phi(source)`` for every
            transition t of ``channel`` (``phi`` is fixed up to a constant per connected part),
            or None when the carried amounts are not such differences (e.g. a quantity counted
            once per jump, whatever its direction).
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
    def steady_state(self, *, simplify: bool = True, max_trees: int = 20000) -> dict[str, sympy.Expr]:
        """Closed-form steady state ``{label: P}`` by the matrix-tree theorem.

        Closed network: ``P_r`` is the sum over spanning trees directed to r of the product of
        their rates, normalized (King–Altman).  Open network: the unnormalized steady populations
        ``P = -W^{-1} s``, the tree sums of the embedding (:meth:`with_environment`) divided by
        that of the outside.

        Parameters
        ----------
        simplify : bool, optional
            Factor each result (cancelling common factors) when the closed form has at most
            :data:`FACTOR_MAX_TERMS` tree terms; larger ones stay the exact ratio of tree sums
            (see :meth:`TreeSums.ratio`).  Default True.
        max_trees : int, optional
            Refuse a closed form with more spanning trees than this for one state.

        Returns
        -------
        dict of str to sympy.Expr
            Probabilities (closed network) or populations (open network) per state.

        Raises
        ------
        NonUniqueSteadyState
            For a reducible network (or, open, for states that cannot reach a sink).
        ClosedFormTooLarge
            At once, beyond ``max_trees`` trees for one state: the fallback is the numeric solver
            (``symbolic_pme.numeric.compile_network(network).solve(...)``), which the message
            names.

        Examples
        --------
        >>> net = RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): "k"})
        >>> net.steady_state()
        {'a': 1/2, 'b': 1/2}
        """
        sums = self.tree_sums(max_trees=max_trees)
        return {s: sums.ratio(sums.weights[s], simplify=simplify) for s in self.states}

    def tree_sums(self, max_trees: int = 20000) -> TreeSums:
        """The matrix-tree sums behind :meth:`steady_state`.

        For building other closed forms (currents, cycle currents, entropy production) from one
        enumeration.

        Parameters
        ----------
        max_trees : int, optional
            Refuse a closed form with more spanning trees than this for one state.

        Returns
        -------
        TreeSums
            The weights of the states of :meth:`with_environment` and their normalization.

        Raises
        ------
        NonUniqueSteadyState, ClosedFormTooLarge
            As for :meth:`steady_state`.
        """
        self.require_unique_steady_state()
        closed = self.with_environment()
        sums = in_tree_weights(len(closed.states), closed.edge_rates(), max_trees=max_trees)
        weights = dict(zip(closed.states, sums))
        norm = weights[self.outside] if self.is_open else sympy.Add(*sums)
        return TreeSums(weights, norm, sum(len(sympy.Add.make_args(w)) for w in sums))

    def current(
        self,
        quantity: str,
        channel: str,
        probabilities: Mapping[str, sympy.Expr] | None = None,
        *,
        simplify: bool = True,
    ) -> sympy.Expr:
        """Current of ``quantity`` from ``channel`` into the system, ``sum_t q_t k_t P_source``.

        Positive when the quantity flows from the channel into the system
        (``docs/conventions.md``).  Sources and sinks count too (their jumps carry
        ``"population"``); a source's flow is its rate.

        Parameters
        ----------
        quantity : str
            A carried quantity (:attr:`quantities`), e.g. ``"charge"``.
        channel : str
            A channel tag (:attr:`channels`), e.g. a lead.
        probabilities : mapping of str to sympy.Expr, optional
            ``{state: P}``; default: the closed-form :meth:`steady_state`.
        simplify : bool, optional
            Cancel and factor the result (with the default probabilities, as in
            :meth:`TreeSums.ratio`).  Default True.

        Returns
        -------
        sympy.Expr
            The current, quantity per unit time.

        Raises
        ------
        ValueError
            For an unknown channel or quantity.
        NonUniqueSteadyState, ClosedFormTooLarge
            With the default probabilities, as for :meth:`steady_state`.

        Examples
        --------
        A level between two leads: the charge current from the left lead.

        >>> dot = RateNetwork(["0", "1"], [
        ...     ("0", "1", "G_L*f_L", "L", {"charge": 1}), ("1", "0", "G_L*(1 - f_L)", "L", {"charge": -1}),
        ...     ("0", "1", "G_R*f_R", "R", {"charge": 1}), ("1", "0", "G_R*(1 - f_R)", "R", {"charge": -1})])
        >>> dot.current("charge", "L")
        G_L*G_R*(f_L - f_R)/(G_L + G_R)
        """
        if channel not in self.channels:
            raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(map(str, self.channels))}")
        if quantity not in self.quantities:
            raise ValueError(f"unknown quantity {quantity!r}; quantities: {', '.join(self.quantities)}")
        transitions = [t for t in self.with_environment().transitions if t.channel == channel]
        if probabilities is None:
            sums = self.tree_sums()
            flux = sympy.Add(*(t.carries.get(quantity, 0) * t.rate * sums.weights[t.source] for t in transitions))
            return sums.ratio(flux, simplify=simplify)
        weights = dict(probabilities)
        if self.is_open:
            weights[self.outside] = sympy.S.One
        flux = sympy.Add(*(t.carries.get(quantity, 0) * t.rate * weights[t.source] for t in transitions))
        return sympy.factor(sympy.cancel(sympy.together(flux))) if simplify else flux

    def expectation(
        self, name: str, probabilities: Mapping[str, sympy.Expr] | None = None, *, simplify: bool = True
    ) -> sympy.Expr:
        """Expectation ``sum_s P_s v_s`` of a state value.

        Parameters
        ----------
        name : str
            A state value (a key of :attr:`state_values`), e.g. ``"energy"``.
        probabilities : mapping of str to sympy.Expr, optional
            ``{state: P}``; default: the closed-form :meth:`steady_state`.
        simplify : bool, optional
            Cancel and factor the result (with the default probabilities, as in
            :meth:`TreeSums.ratio`).  Default True.

        Returns
        -------
        sympy.Expr
            The expectation (for an open network: summed over its unnormalized populations).

        Raises
        ------
        ValueError
            For an unknown state value.
        NonUniqueSteadyState, ClosedFormTooLarge
            With the default probabilities, as for :meth:`steady_state`.
        """
        if name not in self.state_values:
            raise ValueError(f"unknown state value {name!r}; known: {', '.join(self.state_values)}")
        if probabilities is None:
            sums = self.tree_sums()
            value = sympy.Add(*(v * sums.weights[s] for s, v in zip(self.states, self.state_values[name])))
            return sums.ratio(value, simplify=simplify)
        value = sympy.Add(*(p * probabilities[s] for s, p in zip(self.states, self.state_values[name])))
        return sympy.factor(sympy.cancel(sympy.together(value))) if simplify else value

    def subs(self, values: Mapping[sympy.Symbol | str, Value]) -> RateNetwork:
        """A copy with parameters replaced.

        Parameters
        ----------
        values : mapping of sympy.Symbol or str to value
            ``{parameter: value}``; keys are symbols or their names, values numbers, strings or
            expressions.  Names that are not parameters are ignored.

        Returns
        -------
        RateNetwork
            The network with the values substituted in rates, sources, sinks, carried
            quantities and state values.

        Examples
        --------
        >>> net = RateNetwork.from_rates({("a", "b"): "k_ab", ("b", "a"): "k_ba"})
        >>> net.subs({"k_ab": 2}).steady_state()
        {'a': k_ba/(k_ba + 2), 'b': 2/(k_ba + 2)}
        """
        by_name = {str(k): v for k, v in values.items()}
        mapping = {s: to_expr(by_name[s.name], s.name) for s in self.parameters if s.name in by_name}

        def sub(expr: sympy.Expr) -> sympy.Expr:
            return expr.xreplace(mapping)

        transitions = [
            Transition(t.source, t.target, sub(t.rate), t.channel, {q: sub(v) for q, v in t.carries.items()})
            for t in self.transitions
        ]
        values_ = {name: [sub(v) for v in vals] for name, vals in self.state_values.items()}
        sources = [Source(f.state, sub(f.rate), f.channel) for f in self.sources]
        sinks = [Sink(f.state, sub(f.rate), f.channel) for f in self.sinks]
        return type(self)(self.states, transitions, values_, sources, sinks)


def _flow_state(item: object) -> object:
    """The state named by a source or sink given as an object, a tuple or a mapping key."""
    if isinstance(item, (Source, Sink)):
        return item.state
    return item[0] if isinstance(item, tuple) else item
