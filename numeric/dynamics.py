"""Time evolution of linear master equations on parameter grids: ``dx/dt = M x``.

:func:`propagate` evolves a stack of generators (Pauli generators W or Liouvillians L) with exact
matrix exponentials, batched over the grid: one batched :func:`expm` per distinct time step (an evenly spaced
time axis costs a single exponential), then one batched matrix-vector product per time.
:meth:`symbolic_pme.numeric.network.CompiledNetwork.evolve` applies it to a compiled
:class:`~symbolic_pme.networks.network.RateNetwork` (:func:`evolve_network` and :func:`evolve_open_network`
are its function spellings).
Results are :class:`Evolution` objects with the same labels as steady-state results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = ["Evolution", "evolve_network", "evolve_open_network", "expm", "propagate", "time_axis"]


@dataclass(frozen=True)
class Evolution:
    """Populations (and density matrices, for Lindblad models) against time on a grid.

    Attributes
    ----------
    states : tuple of str
        State labels (last axis of :attr:`populations`).
    times : numpy.ndarray
        The times, 1-D (time unit = 1 / rate unit; hbar = 1 unless the model says otherwise;
        ``docs/conventions.md``).
    axes : dict of str to numpy.ndarray
        Sweep axes, as in :class:`symbolic_pme.numeric.results.SteadyState`.
    shape : tuple of int
        Grid shape, as in :class:`symbolic_pme.numeric.results.SteadyState`.
    populations : numpy.ndarray
        Array ``shape + (n_times, n_states)``.
    currents : dict of str to dict of str to numpy.ndarray
        ``{quantity: {channel: array shape + (n_times,)}}``, positive into the system.
    density_matrices : numpy.ndarray or None
        ``shape + (n_times, n, n)`` for Lindblad models, else None.
    """

    states: tuple[str, ...]
    times: np.ndarray
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    populations: np.ndarray
    currents: dict[str, dict[str, np.ndarray]]
    density_matrices: np.ndarray | None = None

    def population(self, state: str) -> np.ndarray:
        """Population of one state against time.

        Parameters
        ----------
        state : str
            The state's label.

        Returns
        -------
        numpy.ndarray
            ``shape + (n_times,)``.

        Raises
        ------
        ValueError
            For an unknown state.
        """
        if state not in self.states:
            raise ValueError(f"unknown state {state!r}; states: {', '.join(self.states)}")
        return self.populations[..., self.states.index(state)]


def time_axis(times: ArrayLike) -> np.ndarray:
    """Validated times: a non-empty 1-D array of finite, non-negative, non-decreasing values.

    Parameters
    ----------
    times : array_like
        The times.

    Returns
    -------
    numpy.ndarray
        The times as a float array.

    Raises
    ------
    ValueError
        If they are not a non-empty 1-D array, or not finite, >= 0 and non-decreasing.

    Examples
    --------
    >>> time_axis([0, 0.5, 1])
    array([0. , 0.5, 1. ])
    >>> time_axis([1, 0])
    Traceback (most recent call last):
    ...
    ValueError: times: must be finite, >= 0 and non-decreasing
    """
    array = np.asarray(times, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"times: expected a non-empty 1-D array, got shape {array.shape}")
    if not np.all(np.isfinite(array)) or np.any(array < 0) or np.any(np.diff(array) < 0):
        raise ValueError("times: must be finite, >= 0 and non-decreasing")
    return array


def propagate(generators: ArrayLike, initial: np.ndarray, times: ArrayLike) -> np.ndarray:
    """``x(t) = expm(M t) x(0)`` for stacked generators.

    Parameters
    ----------
    generators : array_like
        Generators ``M``, ``(..., m, m)`` (Pauli generators W or Liouvillians L).
    initial : numpy.ndarray
        ``x(0)``, ``(m,)`` or broadcastable to ``(..., m)``.
    times : array_like
        1-D, non-negative, non-decreasing (see :func:`time_axis`).

    Returns
    -------
    numpy.ndarray
        ``x(t)``, ``(..., n_times, m)``.

    Raises
    ------
    ValueError
        For times that :func:`time_axis` rejects.

    Examples
    --------
    >>> w = np.array([[-1.0, 0.0], [1.0, 0.0]])  # a -> b at rate 1
    >>> propagate(w, np.array([1.0, 0.0]), [0.0, np.log(2)]).round(6)
    array([[1. , 0. ],
           [0.5, 0.5]])
    """
    times = time_axis(times)
    generators = np.asarray(generators)
    x = np.broadcast_to(np.asarray(initial), generators.shape[:-1]).astype(np.result_type(generators, initial, float))
    out = np.empty(generators.shape[:-2] + (len(times), generators.shape[-1]), dtype=x.dtype)
    previous, step_matrix, last_step = 0.0, None, None
    for k, t in enumerate(times):
        step = t - previous
        if step > 0:
            if last_step is None or abs(step - last_step) > 1e-12 * last_step:
                step_matrix, last_step = expm(generators * step), step
            x = np.einsum("...ij,...j->...i", step_matrix, x)
        out[..., k, :] = x
        previous = t
    return out


def expm(matrices: ArrayLike, *, order: int = 18) -> np.ndarray:
    """Matrix exponentials of a stack ``(..., m, m)``, vectorized over the stack.

    Scaling and squaring: each matrix is divided by 2^s so that its 1-norm is at most 1/2, its
    exponential summed as a Taylor series to ``order`` (truncation error below 0.5^19/19! ~ 1e-23
    relative), then squared s times.  Matrices are grouped by s, so a small matrix is never
    squared more often than it needs.  (``scipy.linalg.expm`` loops over a stack in Python.)

    Parameters
    ----------
    matrices : array_like
        A stack of square matrices, ``(..., m, m)``, real or complex.
    order : int, optional
        Order of the Taylor series (default 18).

    Returns
    -------
    numpy.ndarray
        ``exp`` of each matrix, of the same shape.

    Examples
    --------
    >>> expm(np.array([[[0.0, 1.0], [0.0, 0.0]], [[np.log(2), 0.0], [0.0, 0.0]]])).round(6)
    array([[[1., 1.],
            [0., 1.]],
    <BLANKLINE>
           [[2., 0.],
            [0., 1.]]])
    """
    a = np.asarray(matrices)
    flat = a.reshape((-1,) + a.shape[-2:])
    norms = np.abs(flat).sum(axis=-2).max(axis=-1)
    with np.errstate(divide="ignore"):
        squarings = np.maximum(0, np.ceil(np.log2(np.where(norms > 0, norms, 1.0) / 0.5))).astype(int)
    out = np.empty_like(flat, dtype=np.result_type(flat, float))
    eye = np.eye(a.shape[-1])
    for s in np.unique(squarings):
        members = squarings == s
        scaled = flat[members] / 2.0**s
        term = np.broadcast_to(eye, scaled.shape).astype(out.dtype)
        total = term.copy()
        for k in range(1, order + 1):
            term = term @ scaled / k
            total += term
        for _ in range(s):
            total = total @ total
        out[members] = total
    return out.reshape(a.shape)


def evolve_network(
    network: CompiledNetwork,
    times: ArrayLike,
    initial: str | Mapping[str, float] | ArrayLike | None = None,
    values: Mapping[str, ArrayLike] | None = None,
    /,
    *,
    axes: Mapping[str, ArrayLike] | None = None,
    **parameters: ArrayLike,
) -> Evolution:
    """Populations and currents of a compiled rate network against time: ``network.evolve(...)``.

    An open network evolves as ``dP/dt = W P + s`` (sources inject population per unit time,
    sinks remove it); :func:`evolve_open_network` is this function under the name of earlier
    releases.

    Parameters
    ----------
    network : CompiledNetwork
        The compiled network.
    times : array_like
        1-D, finite, non-negative and non-decreasing (time unit = 1 / rate unit).
    initial : str, mapping of str to float, array_like or None, optional
        A state label, ``{state: probability}`` or probabilities summing to one (an open
        network: any populations); None starts an open network empty.
    values : mapping of str to array_like, optional
        Parameter values (numbers or broadcasting arrays).
    axes : mapping of str to array_like, optional
        Named 1-D sweep axes.
    **parameters : array_like
        Parameter values by name.

    Returns
    -------
    Evolution
        Populations ``grid + (n_times, n)`` and currents ``grid + (n_times,)``.

    See Also
    --------
    symbolic_pme.numeric.network.CompiledNetwork.evolve : the same, with its errors.

    Examples
    --------
    >>> from symbolic_pme.networks.network import RateNetwork
    >>> from symbolic_pme.numeric import compile_network
    >>> net = compile_network(RateNetwork.from_rates({("a", "b"): 1}))
    >>> evolve_network(net, [0.0, np.log(2)], "a").population("b").round(6)
    array([0. , 0.5])
    """
    return network.evolve(times, initial, values, axes=axes, **parameters)


#: :func:`evolve_network` for open networks (sources and sinks), under its earlier name.
evolve_open_network = evolve_network
