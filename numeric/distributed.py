"""Sweeps on many processes or machines: grid chunks solved through any ``concurrent.futures.Executor``.

:meth:`CompiledNetwork.sweep(..., executor=...) <symbolic_pme.numeric.network.CompiledNetwork.sweep>`
splits the grid into the serial solve's row chunks (:func:`~symbolic_pme.numeric.inputs.row_chunks`:
at most about 64 MB of work arrays each, 65 536 points for small models), submits each to the
executor, where the batched kernel solves it, and assembles the results in grid order.  The
chunks are the serial ones because the batched kernel's rounding may depend on how many points
it is given (BLAS picks its kernels by size): so the assembled result is bitwise the serial one
where the workers' BLAS runs as many threads as the caller's (a process pool forked from it).
Dask's worker processes run BLAS on one thread; there the probabilities and particle currents
are still bitwise the serial ones, and energy and heat currents of chunks of many thousand
points may differ in the last bit (measured: at most 9e-16 of the largest value).
Grids of one chunk gain nothing from an executor; large grids and large models are many chunks.
Any executor serves: a ``ProcessPoolExecutor`` on one machine, a Dask cluster
(``distributed.Client(address).get_executor()``), an MPI pool (``mpi4py.futures``).

Lambdified kernels cannot be pickled, so a compiled model travels as its :class:`Recipe`: the
pickled arguments it was compiled from and their SHA-256.  Each worker thread compiles a recipe
once and keeps the compiled model (:func:`compiled`), so a chunk costs its arrays and a lookup.

A chunk whose worker was lost (a process that died, a Dask ``KilledWorker``) is submitted again,
up to :data:`RETRIES` times; if it cannot be solved, :class:`~symbolic_pme.errors.WorkerLost`
names its rows and parameter range.  Errors of the solve itself (a non-unique steady state, an
overflow) are raised as in a serial solve.
"""

from __future__ import annotations

import hashlib
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from symbolic_pme.errors import WorkerLost

from .inputs import Grid

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.networks.network import RateNetwork

    from .network import CompiledNetwork

__all__ = ["RETRIES", "Recipe", "compiled", "solve_chunks"]

#: How many times a chunk whose worker was lost is submitted again before the sweep fails.
RETRIES = 2
#: Compiled models a worker thread keeps (least recently used ones are dropped).
CACHED_MODELS = 4

_local = threading.local()


@dataclass(frozen=True)
class Recipe:
    """What a compiled network is compiled from, pickled: what workers receive instead of kernels.

    Attributes
    ----------
    payload : bytes
        The pickled ``(network, keyword arguments)`` of :class:`CompiledNetwork`.
    token : str
        The payload's SHA-256 (hex): the key under which workers keep the compiled model.
    """

    payload: bytes
    token: str

    @classmethod
    def of(cls, network: RateNetwork, options: dict) -> Recipe:
        """The recipe of a network and the keyword arguments of :class:`CompiledNetwork`.

        Parameters
        ----------
        network : RateNetwork
            The network as given to :class:`CompiledNetwork`.
        options : dict
            Its keyword arguments (``spectrum``, ``nonnegative``, ``defaults``).

        Returns
        -------
        Recipe
            The pickled arguments and their hash.
        """
        payload = pickle.dumps((network, options), protocol=pickle.HIGHEST_PROTOCOL)
        return cls(payload, hashlib.sha256(payload).hexdigest())


def compiled(recipe: Recipe) -> CompiledNetwork:
    """The compiled network of a recipe, compiled once per thread (what unpickling a network runs).

    Each thread keeps its own copy (a compiled network reuses work arrays, so threads must not
    share one), at most :data:`CACHED_MODELS` of them.

    Parameters
    ----------
    recipe : Recipe
        The recipe.

    Returns
    -------
    CompiledNetwork
        The compiled network.
    """
    from .network import CompiledNetwork

    cache = getattr(_local, "models", None)
    if cache is None:
        cache = _local.models = OrderedDict()
    model = cache.get(recipe.token)
    if model is None:
        network, options = pickle.loads(recipe.payload)
        model = cache[recipe.token] = CompiledNetwork(network, **options)
        while len(cache) > CACHED_MODELS:
            cache.popitem(last=False)
    cache.move_to_end(recipe.token)
    return model


def _solve_chunk(
    recipe: Recipe, chunk: dict, shape: tuple[int, ...], method: str, errors: dict[str, str]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """What a worker runs: one chunk by the batched kernel, under the caller's floating-point rules."""
    with np.errstate(**errors):
        return compiled(recipe)._solve_chunk(chunk, shape, method)


def _worker_lost(error: BaseException) -> bool:
    """True for a failure of the machinery (a dead process, a killed Dask worker), not of the solve."""
    if isinstance(error, (BrokenExecutor, CancelledError)):
        return True
    killed = getattr(sys.modules.get("distributed"), "KilledWorker", None)
    return killed is not None and isinstance(error, killed)


def solve_chunks(
    recipe: Recipe,
    grid: Grid,
    chunks: Iterable[tuple[slice, dict, tuple[int, ...]]],
    executor: Executor,
    *,
    method: str,
) -> Iterator[tuple[slice, tuple[int, ...], Callable[[], tuple[np.ndarray, dict[str, np.ndarray]]]]]:
    """Submit every chunk to the executor and yield their results in grid order.

    Parameters
    ----------
    recipe : Recipe
        The compiled network's recipe.
    grid : Grid
        The whole grid (for the report of a lost chunk).
    chunks : iterable of (slice, dict, tuple of int)
        ``(rows, symbol values, shape)`` of each chunk, as :func:`~symbolic_pme.numeric.inputs.row_chunks`
        yields them.
    executor : concurrent.futures.Executor
        Where the chunks are solved.
    method : str
        The steady-state method.

    Yields
    ------
    rows : slice
        The chunk's slice of axis 0.
    shape : tuple of int
        The chunk's shape.
    result : callable
        Returns the chunk's ``(probabilities (n, batch), {quantity: currents (channels, batch)})``,
        waiting for it; it raises what the solve raised.

    Raises
    ------
    WorkerLost
        (From ``result``) if the chunk's worker was lost more than :data:`RETRIES` times, or
        the executor could not take the chunk again; the pending chunks are cancelled.
    """
    errors = np.geterr()
    pending: list[tuple[slice, dict, tuple[int, ...], Future]] = []
    for rows, chunk, shape in chunks:
        pending.append((rows, chunk, shape, executor.submit(_solve_chunk, recipe, chunk, shape, method, errors)))

    def result(k: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        rows, chunk, shape, future = pending[k]
        for attempt in range(RETRIES + 1):
            try:
                return future.result()
            except BaseException as error:
                if not _worker_lost(error):
                    _cancel(pending[k:])
                    raise
                cause = error
            if attempt == RETRIES:
                break
            try:
                future = executor.submit(_solve_chunk, recipe, chunk, shape, method, errors)
            except (BrokenExecutor, RuntimeError) as error:  # a broken or shut-down executor
                cause = error
                break
        _cancel(pending[k:])
        raise WorkerLost(
            f"a worker was lost while solving {_where(grid, rows)} (chunk {k + 1} of {len(pending)}) and the chunk "
            f"could not be solved again ({type(cause).__name__}: {cause}); no result is returned"
        ) from cause

    for k, (rows, _, shape, _) in enumerate(pending):
        yield rows, shape, lambda k=k: result(k)


def _cancel(pending: list) -> None:
    for *_, future in pending:
        future.cancel()


def _where(grid: Grid, rows: slice) -> str:
    """``grid rows 20 to 39 of 100 (V from -0.6 to -0.2)``: a chunk, in indices and parameter values."""
    if not grid.shape:
        return "the single grid point"
    start, stop = rows.start or 0, grid.shape[0] if rows.stop is None else rows.stop
    text = f"grid rows {start} to {stop - 1} of {grid.shape[0]} along axis 0"
    if grid.axes:
        name, axis = next(iter(grid.axes.items()))
        text += f" ({name} from {axis[start]:g} to {axis[stop - 1]:g})"
    return text
