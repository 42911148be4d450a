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
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = ["Trapping", "first_passage"]


@dataclass(frozen=True)
class Trapping:
    """Result of :meth:`~symbolic_pme.numeric.network.CompiledNetwork.first_passage`.

    Times are in the inverse unit of the rates (``docs/conventions.md``).

    Attributes
    ----------
    states : tuple of str
        State labels; the last axis of :attr:`residence` follows them.
    axes : dict of str to numpy.ndarray
        The sweep axes, as in :class:`symbolic_pme.numeric.results.SteadyState`.
    shape : tuple of int
        Grid shape (``()`` for one point).
    residence : numpy.ndarray
        Expected time spent in each state before a sink removes the excitation,
        ``shape + (n,)``.
    yields : dict of str to numpy.ndarray
        ``{sink channel: probability of being trapped there}``, each of ``shape``.
    mean_time : numpy.ndarray
        Mean trapping time ``sum_i residence_i``, of ``shape``.
    """

    states: tuple[str, ...]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    residence: np.ndarray
    yields: dict[str, np.ndarray]
    mean_time: np.ndarray


def first_passage(
    compiled: CompiledNetwork,
    initial: str | Mapping[str, float] | ArrayLike | None = None,
    values: Mapping[str, ArrayLike] | None = None,
    /,
    *,
    axes: Mapping[str, ArrayLike] | None = None,
    **parameters: ArrayLike,
) -> Trapping:
    """Yields and mean trapping time: ``compiled.first_passage(...)``.

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled network with sinks.
    initial : str, mapping of str to float, array_like or None, optional
        A state label, ``{state: probability}`` or probabilities (summing to one); None starts
        where the sources inject.
    values : mapping of str to array_like, optional
        Parameter values (numbers or broadcasting arrays).
    axes : mapping of str to array_like, optional
        Named 1-D sweep axes.
    **parameters : array_like
        Parameter values by name.

    Returns
    -------
    Trapping
        Residence times, yields per sink channel and the mean trapping time.

    See Also
    --------
    symbolic_pme.numeric.network.CompiledNetwork.first_passage : the same, with its errors.
    """
    return compiled.first_passage(initial, values, axes=axes, **parameters)
