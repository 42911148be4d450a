"""Chunked evaluation on parameter grids: reusable work arrays and per-chunk layouts.

:class:`~symbolic_pme.numeric.network.CompiledNetwork` solves a large grid in chunks of bounded
size along its first axis (:func:`~symbolic_pme.numeric.inputs.row_chunks`).  This module holds
what the chunks share: the :class:`SteadyStateAssembly` that collects their probabilities and
currents into one result, the :class:`Workspace` of work arrays reused between chunks and calls,
the transition-major layout of kernel outputs, the currents of state-function quantities, and
the restatement of a chunk's non-unique steady state in grid indices and parameter values.
Signs as in ``docs/conventions.md``: currents are positive from the channel into the system.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from symbolic_pme.errors import NonUniqueSteadyState

from .inputs import Grid
from .results import SteadyState

__all__ = [
    "SteadyStateAssembly",
    "Workspace",
    "located",
    "state_function_currents",
    "transition_major",
    "with_trailing_axis",
]


class SteadyStateAssembly:
    """The arrays a chunked steady-state solve fills, chunk by chunk, and the result they make.

    Every chunked solve (Pauli, the coherent approaches, the combined analysis) writes its
    chunks' probabilities and currents here, reports its progress here and builds its result
    from here, so that all of them lay out a grid alike.

    Parameters
    ----------
    grid : Grid
        The parameter grid being solved.
    states : tuple of str
        The state labels (the last axis of the probabilities).
    channels : tuple of str
        The channels (the first axis of every current array).
    quantities : iterable of str
        The carried quantities whose currents are collected.
    state_values : dict of str to numpy.ndarray
        Per-state values, ``grid.shape + (n,)``.
    progress : callable, optional
        ``progress(done, total)`` after each chunk, in grid points.

    Attributes
    ----------
    probabilities : numpy.ndarray
        ``grid.shape + (n,)``, filled by the chunks.
    currents : dict of str to numpy.ndarray
        ``{quantity: (channels,) + grid.shape}``, filled by :meth:`add_currents`.

    Examples
    --------
    >>> import numpy as np
    >>> from symbolic_pme.numeric.inputs import Grid
    >>> grid = Grid(values={}, shape=(2,), axes={"V": np.array([0.0, 1.0])})
    >>> assembly = SteadyStateAssembly(grid, ("0", "1"), ("L",), ("charge",), {})
    >>> assembly.probabilities[:] = 0.5
    >>> assembly.add_currents(slice(0, 2), (2,), {"charge": np.array([[0.1, 0.2]])})
    >>> assembly.result().current["L"].tolist()
    [0.1, 0.2]
    """

    def __init__(
        self,
        grid: Grid,
        states: tuple[str, ...],
        channels: tuple[str, ...],
        quantities,
        state_values: dict[str, np.ndarray],
        *,
        progress=None,
    ) -> None:
        self.grid, self.states, self.channels, self.state_values = grid, states, channels, state_values
        self.probabilities = np.empty(grid.shape + (len(states),))
        self.currents = {q: np.empty((len(channels),) + grid.shape) for q in quantities}
        self._progress, self._done, self._total = progress, 0, math.prod(grid.shape)

    def at(self, rows: slice) -> tuple:
        """The index of a chunk's rows in grid-shaped arrays (nothing for a single point).

        Parameters
        ----------
        rows : slice
            The chunk's rows along the grid's first axis.

        Returns
        -------
        tuple
            ``(rows,)``, or ``()`` when the grid is a single point.
        """
        return (rows,) if self.grid.shape else ()

    def add_currents(self, rows: slice, chunk_shape: tuple[int, ...], currents: dict[str, np.ndarray]) -> None:
        """Store a chunk's currents and count its points as done.

        Parameters
        ----------
        rows : slice
            The chunk's rows along the grid's first axis.
        chunk_shape : tuple of int
            The chunk's grid shape.
        currents : dict of str to numpy.ndarray
            ``{quantity: (channels, batch)}``.
        """
        for quantity, totals in currents.items():
            self.currents[quantity][(slice(None),) + self.at(rows)] = totals.reshape(
                (len(self.channels),) + chunk_shape
            )
        self._done += math.prod(chunk_shape)
        if self._progress is not None:
            self._progress(self._done, self._total)

    def result(self, kind: type[SteadyState] = SteadyState, **fields) -> SteadyState:
        """The assembled steady state.

        Parameters
        ----------
        kind : type, optional
            :class:`SteadyState` or a subclass.
        **fields
            The subclass's own fields.

        Returns
        -------
        SteadyState
            Of type ``kind``.
        """
        return kind(
            states=self.states,
            axes=self.grid.axes,
            shape=self.grid.shape,
            probabilities=self.probabilities,
            currents={q: dict(zip(self.channels, totals)) for q, totals in self.currents.items()},
            state_values=self.state_values,
            parameters=self.grid.values,
            **fields,
        )


class Workspace:
    """Reusable work arrays, one flat buffer per name, grown on demand.

    Large temporaries freshly allocated at every solve cost page faults comparable to the
    arithmetic; reusing them keeps repeated solves (sweeps, fits, interactive work) fast, and
    chunking bounds their size.

    Examples
    --------
    >>> work = Workspace()
    >>> first = work.array("flux", (2, 3))
    >>> again = work.array("flux", (3, 2))  # the same memory, another shape
    >>> again.shape, np.shares_memory(first, again)
    ((3, 2), True)
    """

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A work array of the given shape, uninitialized, backed by the buffer ``name``.

        Parameters
        ----------
        name : str
            The buffer's name; arrays of one name share memory (the last one requested is valid).
        shape : tuple of int
            The shape wanted; the buffer grows if it is too small.

        Returns
        -------
        numpy.ndarray
            A float64 view of the buffer, C-contiguous, of ``shape``.
        """
        size = math.prod(shape)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = self._buffers[name] = np.empty(size)
        return buffer[:size].reshape(shape)


def broadcast(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``numpy.broadcast_to(array, shape)``, or ``array`` itself where it has that shape already.

    NumPy's ``broadcast_to`` is a Python function of several microseconds a call; a small model's
    sweep asks it to broadcast arrays that already have the grid's shape (one eigensystem) dozens
    of times.

    Parameters
    ----------
    array : numpy.ndarray
        Any array.
    shape : tuple of int
        A shape ``array`` broadcasts to.

    Returns
    -------
    numpy.ndarray
        A read-only broadcast view, or ``array`` (not a copy) where the shapes are equal.

    Examples
    --------
    >>> a = np.ones(3)
    >>> broadcast(a, (3,)) is a, broadcast(a, (2, 3)).shape
    (True, (2, 3))
    """
    return array if array.shape == shape else np.broadcast_to(array, shape)


def with_trailing_axis(value: ArrayLike, ndim: int) -> np.ndarray:
    """A kernel output with one more axis of length one after the grid axes.

    Parameters
    ----------
    value : array_like
        A kernel output, broadcastable to a grid of ``ndim`` axes.
    ndim : int
        The number of grid axes.

    Returns
    -------
    numpy.ndarray
        ``value`` padded with leading axes of length one to ``ndim`` axes, plus a trailing one.

    Examples
    --------
    >>> with_trailing_axis(np.ones(3), 2).shape
    (1, 3, 1)
    """
    value = np.asarray(value)
    return value.reshape((1,) * (ndim - value.ndim) + value.shape + (1,))


def state_function_currents(phi: list, netflow: np.ndarray) -> np.ndarray:
    """Currents of a quantity that is the change of a state function: ``I_c = sum_s phi_c(s) * netflow_c(s)``.

    Parameters
    ----------
    phi : list of array_like
        The state function's values, channel by channel and state by state (each broadcastable
        to the grid); structural zeros (a number 0) are skipped.
    netflow : numpy.ndarray
        Each channel's net probability flow into each state, ``(channels, states) + grid``.

    Returns
    -------
    numpy.ndarray
        ``(channels,) + grid``.

    Examples
    --------
    >>> netflow = np.array([[[-1.0], [1.0]]])  # one channel: 1 per unit time from state 0 to 1
    >>> state_function_currents([0, 2.0], netflow)
    array([[2.]])
    """
    channels, n = netflow.shape[:2]
    totals = np.zeros((channels,) + netflow.shape[2:])
    for c in range(channels):
        for s in range(n):
            value = phi[c * n + s]
            if not (np.ndim(value) == 0 and value == 0):  # skip structural zeros (empty state, mu = 0)
                totals[c] += value * netflow[c, s]
    return totals


def located(error: NonUniqueSteadyState, grid: Grid, rows: slice, chunk_shape: tuple[int, ...]) -> Exception:
    """Restate a chunk's non-unique steady state with grid indices and parameter values.

    Parameters
    ----------
    error : NonUniqueSteadyState
        The chunk's error; its ``indices`` are flat point indices within the chunk.
    grid : Grid
        The whole grid.
    rows : slice
        The chunk's slice of axis 0 of the grid.
    chunk_shape : tuple of int
        The chunk's shape.

    Returns
    -------
    Exception
        A new :class:`NonUniqueSteadyState` naming the number of such points, the grid index of
        the first and the parameter values there; ``error`` itself if it has no indices.
    """
    indices = error.indices
    if not indices:
        return error
    points = [np.unravel_index(flat, chunk_shape) for (flat,) in indices]
    if chunk_shape:
        points = [((rows.start or 0) + int(p[0]),) + tuple(int(i) for i in p[1:]) for p in points]
    first = tuple(points[0])
    values = ", ".join(f"{name} = {np.broadcast_to(a, grid.shape)[first]:.6g}" for name, a in grid.values.items())
    return NonUniqueSteadyState(
        f"the steady state is not unique at {len(points)} grid point(s), first at index {first} ({values}): "
        "the rates there split the network into disconnected closed classes (for example, every coupling is zero)"
    )


def transition_major(outputs: list, shape: tuple[int, ...]) -> np.ndarray:
    """Stack per-transition outputs along a new first axis, broadcasting only as far as needed.

    Parameters
    ----------
    outputs : list of array_like
        One kernel output per transition, each broadcastable to ``shape``.
    shape : tuple of int
        The grid shape.

    Returns
    -------
    numpy.ndarray
        ``(n_transitions,) + own shape``: axes of the grid that no output varies along stay of
        length one.

    Examples
    --------
    >>> transition_major([np.array([1.0, 2.0]), 3.0], (4, 2)).shape
    (2, 1, 2)
    """
    arrays = [np.asarray(o) for o in outputs]
    own = np.broadcast_shapes(*(a.shape for a in arrays))
    result = np.empty((len(arrays),) + (1,) * (len(shape) - len(own)) + own, dtype=np.result_type(*arrays, float))
    for k, array in enumerate(arrays):
        result[k] = array
    return result
