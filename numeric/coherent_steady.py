"""Coherent steady states on parameter grids: what ``CompiledNetwork.steady_state(approach=...)`` runs.

A grid is solved in chunks of bounded memory along its first axis, as the Pauli path does
(:func:`~symbolic_pme.numeric.inputs.row_chunks`); each chunk builds the Liouvillians of
:class:`~symbolic_pme.numeric.coherent.CoherentKernel` from the same eigensystems and
tunnelling amplitudes that give the Pauli rates (:class:`~symbolic_pme.numeric.blocks.TransportBlocks`,
memoised: a bias sweep diagonalizes once), solves them in one batched call and evaluates the
currents of :mod:`~symbolic_pme.numeric.coherent_currents`.  The result is a
:class:`~symbolic_pme.numeric.results.SteadyState` whose probabilities are the populations in the
eigenbasis, with the density-matrix blocks of every sector besides.

Coherent kernels are dense within a sector: the Liouville space has ``M = sum_s d_s^2`` elements
and a point's kernel ``M^2`` numbers, so a model whose one point does not fit in memory
(:data:`~symbolic_pme.numeric.memory.MEMORY_LIMIT`) is refused with the estimate before anything
is computed.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from symbolic_pme.errors import NonUniqueSteadyState
from symbolic_pme.quantities import OCCUPATION_PREFIX

from .blocks import TransportBlocks
from .chunks import SteadyStateAssembly, located
from .coherent import APPROACHES, CoherentKernel, complex_sources
from .coherent_currents import coherent_currents
from .inputs import Grid, row_chunks
from .memory import MemoryEstimate
from .results import SteadyState

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = ["CoherentSteadyState", "coherent_kernel", "coherent_memory", "coherent_steady_state"]

#: The coherent kernel of each live TransportBlocks (its index layout is built once).
_KERNELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: The sector labels of each live kernel.
_LABELS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

#: Numbers of work arrays per chunk (about 64 MB), as on the Pauli path.
CHUNK_NUMBERS = 1 << 23


@dataclass(frozen=True)
class CoherentSteadyState(SteadyState):
    """Steady state of a first-order coherent approach on a grid.

    :attr:`probabilities` are the populations ``rho_bb`` in the eigenbasis (they may be
    slightly negative for Redfield and 1vN, which do not preserve positivity); the currents
    and state values are as in :class:`SteadyState`.  The occupations of the modes are
    ``Tr(rho n_mode)`` with the coherences (``n_mode`` is not diagonal in the eigenbasis of a
    sector that hoppings mix): :meth:`expectation` of an ``n_<mode>`` state value takes them
    from :attr:`mode_occupations`, every other state value (energy, charge, S_z: diagonal in
    the eigenbasis) from the populations.

    Attributes
    ----------
    approach : str
        ``"lindblad"``, ``"redfield"`` or ``"1vn"``.
    principal_parts : bool
        Whether the principal-value integrals over the lead bands were included.
    sectors : tuple of tuple of str
        The state labels of each sector (equal charge and, where H conserves it, S_z).
    density_matrices : tuple of numpy.ndarray
        Per sector, its block of the density matrix, ``shape + (d, d)`` complex, rows and
        columns following :attr:`sectors`.
    mode_occupations : dict of str to numpy.ndarray
        ``{"n_<mode>": Tr(rho n_mode)}`` of :attr:`shape`, by state-value name.
    """

    approach: str = "lindblad"
    principal_parts: bool = False
    sectors: tuple[tuple[str, ...], ...] = ()
    density_matrices: tuple[np.ndarray, ...] = field(default_factory=tuple)
    mode_occupations: dict[str, np.ndarray] = field(default_factory=dict)

    def expectation(self, name: str) -> np.ndarray:
        """``Tr(rho v)`` of a state value: the occupation of a mode with the coherences.

        Parameters
        ----------
        name : str
            The state value, e.g. ``"charge"``, ``"energy"``, ``"n_a"``.

        Returns
        -------
        numpy.ndarray
            Array of :attr:`shape`.

        Raises
        ------
        ValueError
            For a state value the result does not hold.
        """
        if name in self.mode_occupations:
            return self.mode_occupations[name]
        return super().expectation(name)

    def largest_coherence(self) -> np.ndarray:
        """The largest modulus of an off-diagonal element of the density matrix, at every point.

        Returns
        -------
        numpy.ndarray
            Array of :attr:`shape` (zeros where every sector has one state).
        """
        largest = np.zeros(self.shape)
        for block in self.density_matrices:
            d = block.shape[-1]
            if d > 1:
                off = np.abs(block) * (1 - np.eye(d))
                largest = np.maximum(largest, off.max(axis=(-2, -1)))
        return largest


def coherent_memory(compiled: CompiledNetwork, points: int, *, approach: str) -> MemoryEstimate:
    """What a coherent solve of ``points`` grid points holds: its results and one chunk's work.

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled transport model.
    points : int
        The number of grid points.
    approach : str
        The approach (for the message).

    Returns
    -------
    MemoryEstimate
        The estimate (check it with :meth:`MemoryEstimate.check`).

    Raises
    ------
    ValueError
        If the network is not a transport model.
    """
    kernel = coherent_kernel(_blocks(compiled))
    n, channels, size = len(compiled.states), len(compiled.network.channels), kernel.layout.size
    per_point = kernel.work_per_point()
    chunk = _chunk_size(per_point)
    outputs = points * (2 * n + 2 * size + 4 * channels)
    return MemoryEstimate.of_arrays(
        f"the {approach} steady state of {points} grid point(s) x {n} states "
        f"(a Liouville space of {size} elements, a dense {size} x {size} kernel per point)",
        outputs + min(points, chunk) * per_point,
    )


def coherent_steady_state(
    compiled: CompiledNetwork,
    grid: Grid,
    *,
    approach: str,
    principal_parts: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> CoherentSteadyState:
    """Steady state of a coherent approach on a validated grid.

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled transport model (closed, of rate groups).
    grid : Grid
        Validated parameter values (from :meth:`CompiledNetwork.grid`).
    approach : {"lindblad", "redfield", "1vn"}
        The kernel (see :mod:`~symbolic_pme.numeric.coherent`).
    principal_parts : bool, optional
        Include the principal-value integrals over the lead bands (Redfield and 1vN; every
        lead needs a band).  Default False: neglected (QmeQ's ``itype = 2``).
    progress : callable, optional
        ``progress(done, total)`` after each chunk.

    Returns
    -------
    CoherentSteadyState
        Populations, currents, state values and the density-matrix blocks on the grid.

    Raises
    ------
    ValueError
        For an unknown approach, a network that is not a transport model, principal parts
        with Lindblad or with a lead without a band, or invalid parameter values.
    NonUniqueSteadyState
        Where the steady state is not unique (with the grid index and parameter values).
    GridTooLarge
        If the solve would need more memory than the machine allows.
    """
    if approach not in APPROACHES:
        raise ValueError(f"approach: unknown coherent approach {approach!r}; choose from {', '.join(APPROACHES)}")
    if principal_parts and approach == "lindblad":
        raise ValueError("principal parts: the Lindblad approach has none (its jump operators are golden-rule rates)")
    blocks = _blocks(compiled)
    kernel = coherent_kernel(blocks)
    layout, shape, channels = kernel.layout, grid.shape, compiled.network.channels
    total = math.prod(grid.shape)
    coherent_memory(compiled, total, approach=approach).check()
    symbol_values = compiled.symbol_values(grid.values)
    whole = blocks.coefficients(symbol_values)
    computed = blocks.state_values(whole)
    state_values = compiled.broadcast_state_values(computed, shape)
    assembly = SteadyStateAssembly(grid, compiled.states, channels, blocks.quantities, state_values, progress=progress)
    densities = np.empty(shape + (kernel.density_offsets[-1],), dtype=complex)
    modes = compiled.blocks.spectrum.space.modes
    occupations = np.empty(shape + (len(modes),))
    for rows, chunk, chunk_shape in row_chunks(symbol_values, shape, _chunk_size(kernel.work_per_point())):
        coefficients = whole if rows == slice(None) else blocks.coefficients(chunk)  # one chunk: the whole grid
        energies, terms = kernel.group_terms(coefficients, principal_parts=principal_parts)
        try:
            liouvillian = kernel.liouvillian(energies, terms, chunk_shape, approach=approach)
            parameters = kernel.steady_state(liouvillian, separable=not complex_sources(terms))
        except NonUniqueSteadyState as error:
            raise located(error, grid, rows, chunk_shape) from None
        rho = kernel.densities(parameters)
        chunk_currents = coherent_currents(
            kernel, terms, rho, coefficients, chunk_shape, approach=approach, energies=energies
        )
        where = assembly.at(rows)
        densities[where] = rho.reshape(chunk_shape + rho.shape[1:])
        populations = parameters[:, kernel.population_parameters]
        assembly.probabilities[where] = populations.reshape(chunk_shape + populations.shape[1:])
        occupations[where] = kernel.occupations(rho, coefficients, chunk_shape).reshape(chunk_shape + (len(modes),))
        assembly.add_currents(rows, chunk_shape, chunk_currents)
    return assembly.result(
        CoherentSteadyState,
        approach=approach,
        principal_parts=principal_parts,
        sectors=_sector_labels(kernel, compiled.states),
        density_matrices=tuple(
            densities[..., a:b].reshape(shape + (sector.size, sector.size))
            for a, b, sector in zip(kernel.density_offsets, kernel.density_offsets[1:], layout.sectors)
        ),
        mode_occupations={f"{OCCUPATION_PREFIX}{mode}": occupations[..., m] for m, mode in enumerate(modes)},
    )


def coherent_kernel(blocks: TransportBlocks) -> CoherentKernel:
    """The coherent kernel of a compiled model's blocks, built once and kept while they live.

    Parameters
    ----------
    blocks : TransportBlocks
        The compiled model's blocks.

    Returns
    -------
    CoherentKernel
        Its Liouvillian builder and solver.
    """
    kernel = _KERNELS.get(blocks)
    if kernel is None:
        kernel = _KERNELS[blocks] = CoherentKernel(blocks)
    return kernel


def _sector_labels(kernel: CoherentKernel, states: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The state labels of each sector, made once per kernel (a tuple of tuples per solve took tens of us)."""
    labels = _LABELS.get(kernel)
    if labels is None:
        labels = _LABELS[kernel] = tuple(tuple(states[i] for i in plan.states) for plan in kernel.blocks.sectors)
    return labels


def _blocks(compiled: CompiledNetwork):
    """The compiled model's blocks; ValueError for networks that are not (closed) transport models."""
    if compiled.blocks is None:
        raise ValueError(
            "approach: the coherent approaches need a transport model (dot and leads); "
            "this network has scalar transitions or sources and sinks"
        )
    return compiled.blocks


def _chunk_size(per_point: int) -> int:
    """Grid points per chunk: work arrays of about 64 MB (a larger point is solved alone)."""
    # integer arithmetic: numpy.clip costs tens of microseconds, twice per solve
    return min(max(CHUNK_NUMBERS // max(per_point, 1), 1), 1 << 16)
