"""Trapping yields and mean trapping times of compiled open networks, batched over parameters.

The numeric twin of :mod:`symbolic_pme.networks.first_passage`: with W the generator (sinks on its
diagonal) and ``P0`` the initial distribution, one batched linear solve gives the residence times
``x = -W^{-1} P0`` (expected time spent in each state before a sink removes the excitation); the
yield of sink channel c is ``sum_i kappa_{c,i} x_i`` (the trapping efficiency for the trap) and
the mean trapping time is ``sum_i x_i``.  No time integration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = ["Trapping", "first_passage"]


@dataclass(frozen=True)
class Trapping:
    """Result of :meth:`~symbolic_pme.numeric.network.CompiledNetwork.first_passage`: ``residence``
    times (``shape + (n,)``, last axis = ``states``), ``yields`` per sink channel and
    ``mean_time`` (each of the grid's ``shape``); ``axes`` as in
    :class:`symbolic_pme.numeric.results.SteadyState`."""

    states: tuple[str, ...]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    residence: np.ndarray
    yields: dict[str, np.ndarray]
    mean_time: np.ndarray


def first_passage(
    compiled: CompiledNetwork,
    initial: str | Mapping[str, float] | np.ndarray | None = None,
    values: Mapping[str, object] | None = None,
    /,
    *,
    axes: Mapping[str, object] | None = None,
    **parameters,
) -> Trapping:
    """Yields and mean trapping time: ``compiled.first_passage(...)``.

    See :meth:`symbolic_pme.numeric.network.CompiledNetwork.first_passage` (same arguments).
    """
    return compiled.first_passage(initial, values, axes=axes, **parameters)
