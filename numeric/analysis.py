"""Steady state, counting statistics and exact derivatives in one pass over a parameter grid.

What a noise map or a dI/dV map needs beyond the plain map is built on the same objects: the
rates, the steady state, the jump matrices of each lead and the factorized generator (its
pseudo-inverse ``R``, :mod:`~symbolic_pme.numeric.resolvent`).  :func:`analyse` computes them
once per chunk of grid points and derives everything asked for from them:

* the steady state and every lead's currents (as :meth:`CompiledNetwork.steady_state`);
* the cumulants ``C_1 .. C_k`` of one counted quantity (:mod:`~symbolic_pme.numeric.statistics`);
* the exact derivatives along any directions (:mod:`~symbolic_pme.numeric.response`), and the
  second derivatives along pairs of them (``d^2P = -R (d^2W P + d_aW d_bP + d_bW d_aP)``),

with one application of ``R`` to the right-hand sides of the cumulants and of every derivative
together (one more for the second derivatives, whose right-hand sides need ``dP``; one of
``R^T`` for ``C_3``).  :meth:`CompiledNetwork.counting_statistics`,
:meth:`CompiledNetwork.derivatives` and :meth:`CompiledNetwork.thermoelectric` are this pass with
one part asked for.

Why one combined call rather than a cache behind separate calls: a cache can only share the
work of a grid that fits in one chunk (keeping every chunk's factorization of a larger grid
would exceed the chunk budget, which is what bounds the memory of a solve), it has to be keyed
on (and hash) the whole grid, and it would keep results nobody asked for after the last call.
The combined pass shares the work chunk by chunk at any grid size, holds one chunk's operators
at a time, and batches the solves of the statistics and of the derivatives into one, which
separate calls cannot.  A caller (the command line's ``--noise`` and ``--derivative``) knows
beforehand what it needs.

Small models (the flat layout) take the plain steady state's own steps and reused buffers (the
compiled model's :class:`~symbolic_pme.numeric.chunks.Workspace`: the rates, the transfer matrix,
GTH's updates), and keep their own large arrays there too (the generators and their factors, the
transitions' flows, the rate changes, the right-hand sides): a fresh array of a large chunk costs
page faults comparable to its arithmetic.  Like the plain steady state's, these buffers stay
with the model between calls, one chunk's worth.  On the triangle's 100 x 100 map the pass with
the noise, the Fano factor and the exact dI/dV costs about 2 times the plain map
(``benchmarks/triangle_noise.py``; issue 11's target is 3).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from symbolic_pme.quantities import CHARGE, HEAT

from .blocks import TransportBlocks
from .chunks import SteadyStateAssembly
from .inputs import Grid, row_chunks
from .jumps import check_quantity
from .memory import MemoryEstimate
from .resolvent import check_method, chunk_operators, work_per_point
from .response import (
    DIFFERENTIATED,
    Derivatives,
    Thermoelectric,
    check_pairs,
    check_quantities,
    check_temperatures,
    chunk_changes,
    chunk_derivatives,
    chunk_second_changes,
    chunk_second_derivatives,
    differentiator_of,
    linear_response_point,
    onsager_response,
)
from .results import SteadyState
from .statistics import CountingStatistics, chunk_cumulant_sources, chunk_cumulants

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = ["Analysis", "analyse", "thermoelectric", "transport_blocks"]

#: Budget of work numbers per chunk (64 MB of float64), as for steady states.
CHUNK_NUMBERS = 1 << 23


@dataclass(frozen=True)
class Analysis:
    """What one pass of :func:`analyse` over a grid gives.

    Attributes
    ----------
    steady_state : SteadyState
        Probabilities, every lead's currents and the state values, as
        :meth:`CompiledNetwork.steady_state` gives them.
    statistics : CountingStatistics or None
        The cumulants per lead (None when none were asked for).
    derivatives : Derivatives or None
        The exact derivatives (None when no direction was asked for).
    """

    steady_state: SteadyState
    statistics: CountingStatistics | None
    derivatives: Derivatives | None


def transport_blocks(compiled: CompiledNetwork, what: str) -> TransportBlocks:
    """The compiled model's :class:`TransportBlocks`.

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled network.
    what : str
        What needs them (for the message).

    Returns
    -------
    TransportBlocks
        ``compiled.blocks``.

    Raises
    ------
    ValueError
        For networks of scalar transitions or with sources and sinks.
    """
    blocks = compiled.blocks
    if blocks is None:
        raise ValueError(
            f"{what}: available for compiled transport models (rate groups between charge sectors); "
            "this network has scalar transitions or sources and sinks"
        )
    return blocks


def analyse(
    compiled: CompiledNetwork,
    grid: Grid,
    *,
    cumulants: int = 0,
    quantity: str = CHARGE,
    derivatives: Sequence[str] = (),
    second_derivatives: Sequence[tuple[str, str]] = (),
    derivative_quantities: Sequence[str] = DIFFERENTIATED,
    method: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> Analysis:
    """The steady state, the cumulants and the exact derivatives of a transport model on a grid.

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled transport model (rate groups).
    grid : Grid
        Validated parameter values (:meth:`CompiledNetwork.grid`).
    cumulants : int, optional
        The highest cumulant of ``quantity`` per lead: 0 (none), 1, 2 or 3.
    quantity : str, optional
        What is counted: ``"charge"`` (particles, the default), ``"energy"``, ``"heat"`` or, with
        spin, ``"spin"``.
    derivatives : sequence of str, optional
        Directions: parameter names (e.g. ``"V"``), ``"mu[lead]"`` or ``"T[lead]"`` (that lead's
        chemical potential or temperature alone, whatever expression sets it).
    second_derivatives : sequence of (str, str), optional
        Pairs ``(a, b)`` of directions: the exact second derivatives ``d^2/da db`` of the
        steady state and of the currents (``(a, a)`` for ``d^2/da^2``), e.g. ``[("V", "eps")]``
        for the derivative of dI/dV along ``eps``.  The directions of the pairs are
        differentiated to first order too (they join ``derivatives`` in the result).
    derivative_quantities : sequence of str, optional
        The currents whose derivatives are computed: ``"charge"`` (particles), ``"energy"``,
        ``"heat"`` (default: all three).  ``("charge",)`` skips the pass over the energy
        jumps, which a dI/dV map does not need.
    method : {"auto", "dense", "levels"}, optional
        ``"auto"`` (small models on the flat layout, steady state by GTH, dense resolvent; block
        elimination down the charge levels above), ``"dense"`` or ``"levels"``.
    progress : callable, optional
        ``progress(done, total)`` after each chunk, with the number of grid points done.

    Returns
    -------
    Analysis
        The steady state, and the statistics and derivatives asked for (None otherwise).

    Raises
    ------
    ValueError
        For a network without rate groups, an unknown quantity, derivative quantity, order,
        direction or method, a malformed pair, a lead temperature that is not positive (with
        derivatives), or a direction (pair) whose ``dH`` couples degenerate eigenstates of a
        mixed block (at second order).
    GridTooLarge
        When the results and one chunk's work arrays would not fit in memory.
    NonUniqueSteadyState
        Where the rates split the network into disconnected closed classes.
    """
    blocks = transport_blocks(compiled, "analyse")
    check_quantity(blocks, quantity)
    check_method(method)
    if cumulants not in (0, 1, 2, 3):
        raise ValueError(f"cumulants: 0, 1, 2 or 3 cumulants can be computed, not {cumulants!r}")
    pairs = check_pairs(second_derivatives)
    names = tuple(dict.fromkeys([*derivatives, *(name for pair in pairs for name in pair)]))
    pair_indices = [(names.index(a), names.index(b)) for a, b in pairs]
    differentiated = check_quantities(derivative_quantities)
    # the heat current's second derivatives need the particle current's first
    first_order = check_quantities((*differentiated, CHARGE)) if pairs and HEAT in differentiated else differentiated
    differentiator = differentiator_of(compiled) if names else None
    for name in names:
        differentiator.check(name)
    n, leads, channels, shape = blocks.n_states, blocks.lead_names, compiled.network.channels, grid.shape
    total = math.prod(shape)
    columns = 8 * len(leads) * bool(cumulants) + 4 * (len(names) + len(pairs) + len(leads))
    per_point = work_per_point(blocks, method, columns)
    chunk = int(np.clip(CHUNK_NUMBERS // per_point, 1, 1 << 16))
    outputs = total * (2 * n + 4 * len(leads) + cumulants * len(leads))
    outputs += total * (len(names) + len(pairs)) * (n + len(differentiated) * len(leads))
    what = f"an analysis of {total} grid point(s) x {n} states"
    MemoryEstimate.of_arrays(what, outputs + min(total, chunk) * per_point).check()

    values = compiled.symbol_values(grid.values)
    work = compiled._workspace  # the model's reused buffers, shared with its plain steady states
    state_values = compiled.broadcast_state_values(blocks.state_values(blocks.coefficients(values)), shape)
    assembly = SteadyStateAssembly(grid, compiled.states, channels, blocks.quantities, state_values, progress=progress)
    probabilities = assembly.probabilities
    c = np.empty((len(leads), cumulants) + shape)
    d_probabilities = np.empty((len(names),) + shape + (n,))
    d_currents = np.empty((len(differentiated), len(names), len(leads)) + shape)
    d2_probabilities = np.empty((len(pairs),) + shape + (n,))
    d2_currents = np.empty((len(differentiated), len(pairs), len(leads)) + shape)
    for rows, part, part_shape in row_chunks(values, shape, chunk):
        coefficients = blocks.coefficients(part)
        if names:
            check_temperatures(blocks, coefficients)
        jumps, resolvent = chunk_operators(blocks, coefficients, part_shape, CHARGE, method, work=work)
        p = resolvent.probabilities
        at = assembly.at(rows)
        probabilities[rows] = p.reshape(part_shape + (n,))
        chunk_currents = jumps.steady_currents(p)
        counted = jumps if quantity == CHARGE else jumps.counting(quantity)
        # one application of R to the right-hand sides of the cumulants and of the derivatives
        columns = [chunk_cumulant_sources(counted)] if cumulants >= 2 else []
        if names:
            changes, flows = chunk_changes(differentiator, jumps, coefficients, part, part_shape, names)
            columns.append(flows)
        solved = resolvent.right(columns) if columns else None
        if cumulants:
            a = solved[:, :, : len(leads)] if cumulants >= 2 else None
            c[(slice(None),) * 2 + at] = np.moveaxis(chunk_cumulants(counted, resolvent, a, cumulants), 0, -1).reshape(
                (len(leads), cumulants) + part_shape
            )
        if names:
            d_p = -solved[:, :, solved.shape[2] - len(names) :]
            d_probabilities[(slice(None),) + at] = np.moveaxis(d_p, 2, 0).reshape((len(names),) + part_shape + (n,))
            mu = np.stack([np.broadcast_to(coefficients[k.mu], part_shape).reshape(-1) for k in blocks.lead_slots])
            d_i = chunk_derivatives(jumps, changes, d_p, mu, chunk_currents[CHARGE], quantities=first_order)
            kept = d_i[[first_order.index(q) for q in differentiated]]
            d_currents[(slice(None),) * 3 + at] = kept.reshape(kept.shape[:3] + part_shape)
        if pairs:
            seconds, sources = chunk_second_changes(
                differentiator, jumps, coefficients, part, part_shape, changes, d_p, pair_indices, names
            )
            d2_p = -resolvent.right(sources)
            d2_probabilities[(slice(None),) + at] = np.moveaxis(d2_p, 2, 0).reshape((len(pairs),) + part_shape + (n,))
            d_charge = d_i[first_order.index(CHARGE)] if CHARGE in first_order else None
            d2_i = chunk_second_derivatives(
                jumps,
                changes,
                d_p,
                pair_indices,
                seconds,
                d2_p,
                mu,
                chunk_currents[CHARGE],
                d_charge,
                quantities=differentiated,
            )
            d2_currents[(slice(None),) * 3 + at] = d2_i.reshape(d2_i.shape[:3] + part_shape)
        assembly.add_currents(rows, part_shape, chunk_currents)

    steady = assembly.result()
    statistics = None
    if cumulants:
        statistics = CountingStatistics(
            quantity=quantity,
            axes=grid.axes,
            shape=shape,
            cumulants=dict(zip(leads, c)),
            probabilities=probabilities,
            parameters=grid.values,
        )
    result = None
    if names:
        result = Derivatives(
            with_respect_to=names,
            axes=grid.axes,
            shape=shape,
            probabilities=dict(zip(names, d_probabilities)),
            currents={
                q: {name: dict(zip(leads, d_currents[i, k])) for k, name in enumerate(names)}
                for i, q in enumerate(differentiated)
            },
            parameters=grid.values,
            pairs=pairs,
            second_probabilities=dict(zip(pairs, d2_probabilities)),
            second_currents={
                q: {pair: dict(zip(leads, d2_currents[i, k])) for k, pair in enumerate(pairs)}
                for i, q in enumerate(differentiated)
            },
        )
    return Analysis(steady_state=steady, statistics=statistics, derivatives=result)


def thermoelectric(
    compiled: CompiledNetwork, grid: Grid, *, lead: str | None = None, method: str = "auto"
) -> Thermoelectric:
    """Conductance, thermal conductance, Seebeck coefficient, ZT and the Onsager matrix.

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled transport model with exactly two leads.
    grid : Grid
        Parameter values at which both leads have one chemical potential and one temperature.
    lead : str, optional
        The lead whose mu and T are varied (default: the first); the currents are from it into
        the dot.
    method : {"auto", "dense", "levels"}, optional
        As in :func:`analyse`.

    Returns
    -------
    Thermoelectric
        The linear response (see :class:`~symbolic_pme.numeric.response.Thermoelectric`).

    Raises
    ------
    ValueError
        Unless there are two leads at a common mu and T (named, with the largest difference).
    """
    blocks = transport_blocks(compiled, "thermoelectric response")
    coefficients = blocks.coefficients(compiled.symbol_values(grid.values))
    lead, directions, temperature = linear_response_point(blocks, coefficients, grid.shape, lead)
    d = analyse(compiled, grid, derivatives=directions, method=method).derivatives
    return onsager_response(d, lead, temperature)
