"""Compiled open networks: sources and sinks through the closed embedding's batched kernel.

An open :class:`~symbolic_pme.network.RateNetwork` (``dP/dt = W P + s``: sources inject
population per unit time, sinks remove it with a probability per unit time) is compiled through
its closed embedding (:meth:`RateNetwork.with_environment`: an extra *outside* state that the
sinks lead to and the sources leave from).  The batched steady-state solver of
:class:`~symbolic_pme.numeric.network.CompiledNetwork` gives the embedding's steady state ``pi``; the open
network's steady populations are ``P_i = pi_i / pi_outside`` and every current scales the same
way, so open and closed networks share one kernel, one solver and one current evaluator.  The
cost is one extra state.  :func:`evolve_open_network` gives P(t) the same way (the outside's
population held at 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sympy

from symbolic_pme.network import NonUniqueSteadyState, RateNetwork

from .dynamics import Evolution, initial_populations, propagate, time_axis
from .inputs import TakesParameters
from .network import CompiledNetwork
from .results import SteadyState

__all__ = ["CompiledOpenNetwork", "evolve_open_network"]

#: The outside's share of the embedding's steady state below which the open populations are
#: reported as unbounded (a sink or transition rate vanishes at that grid point), not returned.
MIN_OUTSIDE_SHARE = 1e-13


class CompiledOpenNetwork(TakesParameters):
    """An open :class:`RateNetwork` compiled for batched numeric evaluation.

    The interface is that of :class:`~symbolic_pme.numeric.network.CompiledNetwork` (``solve``, ``sweep``,
    ``rates``, ``generator``); results hold populations (not normalized) and the currents of
    every channel, including ``currents["population"][sink_channel]`` = minus the rate at which
    that sink removes population.  :meth:`source_vector` and :meth:`sink_rates` give the rest of
    ``dP/dt = W P + s`` for dynamics and first-passage solves.
    """

    def __init__(
        self,
        network: RateNetwork,
        nonnegative: Sequence[tuple[sympy.Expr, str]] = (),
        defaults: Mapping[str, float] | None = None,
    ):
        if not network.is_open:
            raise ValueError("network: it has no sources or sinks; compile it with compile_network")
        network.require_unique_steady_state()
        self.network = network
        self._closed = CompiledNetwork(network.with_environment(), nonnegative=nonnegative, defaults=defaults)
        self._parameters = self._closed._parameters

    @property
    def states(self) -> tuple[str, ...]:
        return self.network.states

    def solve(self, values: Mapping[str, object] | None = None, /, **kwargs) -> SteadyState:
        """Steady populations for parameter values given as numbers or broadcasting arrays."""
        return self._populations(self._closed.solve(values, **kwargs))

    def sweep(self, axes: Mapping[str, object], values: Mapping[str, object] | None = None, /, **kwargs) -> SteadyState:
        """Steady populations on the outer grid of named 1-D axes (first axis = axis 0)."""
        return self._populations(self._closed.sweep(axes, values, **kwargs))

    def rates(self, values: Mapping[str, object] | None = None, /, **kwargs) -> np.ndarray:
        """Rates of ``network.transitions``, shape ``grid + (n_transitions,)``."""
        return self._closed.rates(values, **kwargs)[..., : len(self.network.transitions)]

    def generator(self, values: Mapping[str, object] | None = None, /, **kwargs) -> np.ndarray:
        """Generators W of ``dP/dt = W P + s`` (sink rates on the diagonal), shape ``grid + (n, n)``."""
        n = len(self.states)
        return self._closed.generator(values, **kwargs)[..., :n, :n]

    def source_vector(self, values: Mapping[str, object] | None = None, /, **kwargs) -> np.ndarray:
        """Source terms s (population per unit time into each state), shape ``grid + (n,)``."""
        n = len(self.states)
        return self._closed.generator(values, **kwargs)[..., :n, n]

    def sink_rates(self, values: Mapping[str, object] | None = None, /, **kwargs) -> dict[str, np.ndarray]:
        """``{sink channel: rates out of each state into it}``, each of shape ``grid + (n,)``."""
        rates = self._closed.rates(values, **kwargs)
        closed, n = self._closed.network, len(self.states)
        result: dict[str, np.ndarray] = {}
        for k, t in enumerate(closed.transitions):
            if t.target == self.network.outside:
                rows = result.setdefault(t.channel, np.zeros(rates.shape[:-1] + (n,)))
                rows[..., self.network.index(t.source)] += rates[..., k]
        return result

    def _populations(self, result: SteadyState) -> SteadyState:
        """The open network's populations and currents from the embedding's steady state."""
        n = len(self.states)
        outside = result.probabilities[..., n]
        if np.any(outside < MIN_OUTSIDE_SHARE):
            bad = np.argwhere(np.atleast_1d(outside < MIN_OUTSIDE_SHARE))
            raise NonUniqueSteadyState(
                f"the steady populations are unbounded (or above {1 / MIN_OUTSIDE_SHARE:.0e}) at {len(bad)} grid "
                f"point(s), first at index {tuple(int(i) for i in bad[0])}: there a source feeds states from "
                "which no sink can be reached (a sink or transition rate is zero)"
            )
        scale = 1.0 / outside
        return SteadyState(
            states=self.states,
            axes=result.axes,
            shape=result.shape,
            probabilities=result.probabilities[..., :n] * scale[..., None],
            currents={q: {c: a * scale for c, a in by_channel.items()} for q, by_channel in result.currents.items()},
            state_values={name: v[..., :n] for name, v in result.state_values.items()},
            parameters=result.parameters,
        )


def evolve_open_network(
    compiled: CompiledOpenNetwork,
    times: object,
    initial: str | Mapping[str, float] | np.ndarray | None = None,
    values: Mapping[str, object] | None = None,
    /,
    *,
    axes: Mapping[str, object] | None = None,
    **kwargs,
) -> Evolution:
    """Populations and currents of an open network against time (``dP/dt = W P + s``).

    The embedding's generator with its outside row zeroed is ``A = [[W, s], [0, 0]]``: the
    outside's population stays 1, so ``[P(t); 1] = expm(A t) [P(0); 1]`` (one batched
    :func:`symbolic_pme.numeric.dynamics.propagate`) and each current is ``sum_t q_t k_t P_source(t)`` over the
    embedding's transitions, sources and sinks included.  ``initial``: a state label,
    ``{state: probability}`` or an array (summing to one); None starts empty.  ``values``,
    ``kwargs`` and ``axes`` are as in ``solve`` and ``sweep``.
    """
    closed, n = compiled._closed, len(compiled.states)
    start = np.zeros(n) if initial is None else initial_populations(compiled.states, initial)
    grid = compiled.grid(values, axes, **kwargs)
    generators = closed.generator(grid.values).copy()
    generators[..., n, :] = 0.0
    extended = propagate(generators, np.append(start, 1.0), times)
    currents = closed.currents_for(grid, extended)
    return Evolution(compiled.states, time_axis(times), grid.axes, grid.shape, extended[..., :n], currents)
