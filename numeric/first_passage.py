"""Trapping yields and mean trapping times of compiled open networks, batched over parameters.

The numeric twin of :mod:`symbolic_pme.first_passage`: with W the generator (sinks on its
diagonal) and ``P0`` the initial distribution, one batched linear solve gives the residence times
``x = -W^{-1} P0`` (expected time spent in each state before a sink removes the excitation); the
yield of sink channel c is ``sum_i kappa_{c,i} x_i`` (the trapping efficiency for the trap) and
the mean trapping time is ``sum_i x_i``.  No time integration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from symbolic_pme.network import NonUniqueSteadyState

from .dynamics import initial_populations
from .open_network import CompiledOpenNetwork

__all__ = ["Trapping", "first_passage"]


@dataclass(frozen=True)
class Trapping:
    """Result of :func:`first_passage`: ``residence`` times (``shape + (n,)``, last axis =
    ``states``), ``yields`` per sink channel and ``mean_time`` (each of the grid's ``shape``);
    ``axes`` as in :class:`symbolic_pme.numeric.results.SteadyState`."""

    states: tuple[str, ...]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    residence: np.ndarray
    yields: dict[str, np.ndarray]
    mean_time: np.ndarray


def first_passage(
    compiled: CompiledOpenNetwork,
    initial: str | Mapping[str, float] | np.ndarray | None = None,
    values: Mapping[str, object] | None = None,
    /,
    *,
    axes: Mapping[str, object] | None = None,
    **kwargs,
) -> Trapping:
    """Yields and mean trapping time; ``values``, ``kwargs`` and ``axes`` as in ``solve``/``sweep``.

    ``initial``: a state label, ``{state: probability}`` or an array (summing to one); None
    starts the excitation where the sources inject it (their rates as weights).
    """
    if not isinstance(compiled, CompiledOpenNetwork) or not compiled.network.sinks:
        raise ValueError("compiled: a network with sinks is needed (nothing traps the excitation otherwise)")
    grid = compiled.grid(values, axes, **kwargs)
    generator = compiled.generator(grid.values)
    if initial is None:
        if not compiled.network.sources:
            raise ValueError("initial: give the initial state or distribution (the network has no sources)")
        sources = compiled.source_vector(grid.values)
        total = sources.sum(axis=-1, keepdims=True)
        if np.any(total <= 0):
            raise ValueError("initial: the source rates add up to zero at some grid point")
        start = sources / total
    else:
        start = np.broadcast_to(initial_populations(compiled.states, initial), generator.shape[:-1])
    try:
        residence = np.linalg.solve(-generator, start[..., None])[..., 0]
    except np.linalg.LinAlgError:
        raise NonUniqueSteadyState(
            "no sink can be reached from some states at these parameters (a sink or transition rate is zero)"
        ) from None
    yields = {c: np.sum(rates * residence, axis=-1) for c, rates in compiled.sink_rates(grid.values).items()}
    return Trapping(compiled.states, grid.axes, generator.shape[:-2], residence, yields, residence.sum(axis=-1))
