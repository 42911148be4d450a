"""Exact derivatives of steady states and currents, and thermoelectric linear response.

No finite differences.  For a direction theta (a model parameter, or the chemical potential
``"mu[lead]"`` or temperature ``"T[lead]"`` of one lead), the rates' derivatives are exact:

* the compiled parameter expressions (on-site energies, hoppings, couplings, mu, T) are
  differentiated symbolically (``sympy.diff``) and compiled once per parameter;
* golden-rule rates ``gamma f(x/T)`` and ``gamma (1 - f)``, ``x = E_b - E_a - mu``, with
  ``d f = -f (1 - f) (dx - x dT / T) / T`` (lead temperatures must be positive);
* energies and eigenvectors of numerically diagonalized (mixed) blocks by first-order
  perturbation theory: ``dE_k = <k|dH|k>``, ``dv_k = sum_{j != k} v_j <j|dH|k> / (E_k - E_j)``;
  a ``dH`` that couples degenerate eigenstates is refused (their basis, and so the rates, would
  not be differentiable), and ``gamma = 2 pi |T|^2`` with ``dT = C_b^+ T + U_b^+ dD U_a + T C_a``.
  The step of a finite band edge is not differentiated (its derivative is a delta function).

Then ``dP = -R (dW) P`` (``1^T dP = 0``) with the resolvent ``R`` of
:mod:`~symbolic_pme.numeric.resolvent`, and each lead's current ``I = 1^T W_1 P`` gives
``dI = 1^T d(W_1) P + 1^T W_1 dP``: one application of ``R`` to all directions at once
(:func:`chunk_changes` gives its right-hand sides, :func:`chunk_derivatives` finishes; the pass
over the grid, shared with the steady state and the counting statistics, is
:func:`~symbolic_pme.numeric.analysis.analyse`).

:func:`onsager_response` builds the Onsager matrix of a two-terminal device at a common mu and T
(:func:`linear_response_point` checks that point) from the derivatives with respect to one
lead's mu and T.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import sympy

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT

from .blocks import TransportBlocks
from .functions import golden_rule_pair
from .jumps import BlockJumps, FlatJumps
from .kernel import ExpressionKernel

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = [
    "Derivatives",
    "Differentiator",
    "Thermoelectric",
    "check_quantities",
    "check_temperatures",
    "chunk_changes",
    "chunk_derivatives",
    "differentiator_of",
    "linear_response_point",
    "onsager_response",
]

#: The quantities whose currents are differentiated.
DIFFERENTIATED = (CHARGE, ENERGY, HEAT)

#: Relative gap below which two eigenvalues of one block count as degenerate.
DEGENERATE = 1e-10

_LEAD_DIRECTION = re.compile(r"^(mu|T)\[(.+)\]$")

#: One :class:`Differentiator` per compiled model (its derivative kernels are compiled on demand).
_DIFFERENTIATORS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class Derivatives:
    """Exact derivatives of the steady state and of every lead's currents on a grid.

    Attributes
    ----------
    with_respect_to:
        The directions: model parameters, ``"mu[lead]"``, ``"T[lead]"``.
    axes, shape, parameters:
        As in :class:`~symbolic_pme.numeric.results.SteadyState`.
    probabilities:
        ``{direction: array shape + (n_states,)}``: ``dP/dtheta`` (summing to zero).
    currents:
        ``{quantity: {direction: {lead: array of shape}}}`` for ``"charge"`` (particles),
        ``"energy"`` and ``"heat"`` (``J - mu I``), each from the lead into the dot; only the
        quantities asked for (``derivative_quantities`` of :meth:`CompiledNetwork.analyse`).
    """

    with_respect_to: tuple[str, ...]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    probabilities: dict[str, np.ndarray]
    currents: dict[str, dict[str, dict[str, np.ndarray]]]
    parameters: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def current(self) -> dict[str, dict[str, np.ndarray]]:
        """``{direction: {lead: dI/dtheta}}`` of the particle currents."""
        return self.currents[CHARGE]

    @property
    def energy_current(self) -> dict[str, dict[str, np.ndarray]]:
        """``{direction: {lead: dJ/dtheta}}``."""
        return self.currents[ENERGY]

    @property
    def heat_current(self) -> dict[str, dict[str, np.ndarray]]:
        """``{direction: {lead: dQ/dtheta}}``."""
        return self.currents[HEAT]


@dataclass(frozen=True)
class Thermoelectric:
    """Linear response of a two-terminal device at a common mu and T (hbar = e = k_B = 1).

    With ``X_1 = (mu_lead - mu_other) / T``, ``X_2 = (T_lead - T_other) / T^2`` and the particle
    and heat currents ``I``, ``Q`` from ``lead`` into the dot, ``(I, Q) = L (X_1, X_2)``.

    Attributes
    ----------
    lead:
        The lead whose mu and T were varied.
    onsager:
        ``L``, ``shape + (2, 2)``; Onsager reciprocity: ``L[..., 0, 1] == L[..., 1, 0]``.
    conductance:
        ``G = dI/dmu_lead = L_11 / T`` (particles per unit time and energy; the electrical
        conductance ``e^2 G`` with e = 1).
    thermal_conductance:
        ``K = det L / (T^2 L_11)``: heat current per temperature difference at zero particle
        current.
    seebeck:
        ``S = -(Delta mu / Delta T)`` at zero particle current ``= L_12 / (T L_11)``: positive when
        transport runs above mu (``(eps - mu) / T`` for a single level).  The thermovoltage of
        electrons of charge -e is ``-S`` in units of k_B/e.
    figure_of_merit:
        ``ZT = G S^2 T / K = L_12 L_21 / det L`` (infinite at tight coupling, ``det L = 0``).
    temperature:
        The common temperature, broadcast to ``shape``.
    """

    lead: str
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    onsager: np.ndarray
    conductance: np.ndarray
    thermal_conductance: np.ndarray
    seebeck: np.ndarray
    figure_of_merit: np.ndarray
    temperature: np.ndarray
    parameters: dict[str, np.ndarray] = field(default_factory=dict)


class Differentiator:
    """Derivatives of a compiled model's parameter expressions, compiled once per parameter.

    Parameters
    ----------
    blocks:
        The compiled model's blocks.
    symbols:
        ``{name: symbol}`` of its parameters.
    """

    def __init__(self, blocks: TransportBlocks, symbols: dict[str, sympy.Symbol]):
        self.blocks, self._symbols = blocks, symbols
        self._kernels: dict[str, tuple[ExpressionKernel, list[bool]]] = {}

    def check(self, name: str) -> None:
        """ValueError naming the choices unless ``name`` is a direction of this model.

        Parameters
        ----------
        name : str
            A parameter name, ``"mu[lead]"`` or ``"T[lead]"``.

        Raises
        ------
        ValueError
            For an unknown direction (the choices named).
        """
        lead = _LEAD_DIRECTION.match(name)
        if lead is not None and lead.group(2) in self.blocks.lead_names:
            return
        if lead is None and name in self._symbols:
            return
        leads = ", ".join(f"mu[{n}], T[{n}]" for n in self.blocks.lead_names)
        raise ValueError(
            f"derivative: unknown direction {name!r}; choose a parameter ({', '.join(self._symbols) or 'none'}) "
            f"or a lead's chemical potential or temperature ({leads})"
        )

    def slots(self, name: str, values: dict) -> tuple[list, list, list]:
        """The derivatives of the compiled parameter expressions along ``name``.

        Parameters
        ----------
        name : str
            A direction (see :meth:`check`).
        values : dict of sympy.Symbol to numpy.ndarray
            The chunk's parameter values by symbol.

        Returns
        -------
        tuple of (list, list, list)
            ``(d coefficients (None where zero), d mu per lead, d T per lead)``.
        """
        blocks = self.blocks
        count, leads = len(blocks.expressions), len(blocks.lead_names)
        lead = _LEAD_DIRECTION.match(name)
        if lead is not None:
            index = blocks.lead_names.index(lead.group(2))
            mu, temperature = [0.0] * leads, [0.0] * leads
            (mu if lead.group(1) == "mu" else temperature)[index] = 1.0
            return [None] * count, mu, temperature
        if name not in self._kernels:
            symbol = self._symbols[name]
            derivatives = [sympy.diff(e, symbol) for e in blocks.expressions]
            arguments = list(self._symbols.values())
            self._kernels[name] = (ExpressionKernel(derivatives, arguments), [d != 0 for d in derivatives])
        kernel, nonzero = self._kernels[name]
        slots = [np.asarray(v) if z else None for v, z in zip(kernel(values), nonzero)]
        mu = [_zero_if_none(slots[s.mu]) for s in blocks.lead_slots]
        temperature = [_zero_if_none(slots[s.temperature]) for s in blocks.lead_slots]
        return slots, mu, temperature


def differentiator_of(compiled: CompiledNetwork) -> Differentiator:
    """The compiled model's :class:`Differentiator` (made once, kept while the model lives).

    Parameters
    ----------
    compiled : CompiledNetwork
        A compiled transport model (``compiled.blocks`` is not None).

    Returns
    -------
    Differentiator
        Its derivative kernels, compiled on demand per direction.
    """
    differentiator = _DIFFERENTIATORS.get(compiled)
    if differentiator is None:
        differentiator = _DIFFERENTIATORS[compiled] = Differentiator(compiled.blocks, compiled.parameter_symbols)
    return differentiator


def linear_response_point(
    blocks: TransportBlocks, coefficients: list, shape: tuple[int, ...], lead: str | None
) -> tuple[str, tuple[str, str], np.ndarray]:
    """Check that two leads share one mu and T, and name the directions of linear response.

    Parameters
    ----------
    blocks : TransportBlocks
        The compiled model's blocks.
    coefficients : list of numpy.ndarray
        The grid's compiled parameter expressions (:meth:`TransportBlocks.coefficients`).
    shape : tuple of int
        The grid shape.
    lead : str or None
        The lead whose mu and T are varied (None: the first).

    Returns
    -------
    tuple of (str, (str, str), numpy.ndarray)
        The lead, the directions ``("mu[lead]", "T[lead]")`` and the common temperature on the grid.

    Raises
    ------
    ValueError
        Unless there are two leads at a common mu and T (named, with the largest difference).
    """
    if len(blocks.lead_names) != 2:
        raise ValueError(f"thermoelectric response: needs two leads, this model has {len(blocks.lead_names)}")
    lead = blocks.lead_names[0] if lead is None else lead
    if lead not in blocks.lead_names:
        raise ValueError(f"lead: unknown lead {lead!r}; leads: {', '.join(blocks.lead_names)}")
    for what, index in (("chemical potential", 0), ("temperature", 1)):
        a, b = (np.broadcast_to(coefficients[s[index]], shape) for s in blocks.lead_slots)
        difference = np.max(np.abs(a - b), initial=0.0)
        if difference > 1e-12 * (1.0 + np.max(np.abs(a), initial=0.0)):
            raise ValueError(
                f"thermoelectric response: the leads' {what}s differ (by up to {difference:.3g}); "
                "linear response is taken at a common mu and T"
            )
    temperature = np.array(np.broadcast_to(coefficients[blocks.lead_slots[0].temperature], shape), dtype=float)
    return lead, (f"mu[{lead}]", f"T[{lead}]"), temperature


def onsager_response(derivatives: Derivatives, lead: str, temperature: np.ndarray) -> Thermoelectric:
    """Conductance, thermal conductance, Seebeck coefficient, ZT and the Onsager matrix.

    Parameters
    ----------
    derivatives : Derivatives
        The derivatives along ``"mu[lead]"`` and ``"T[lead]"`` at a common mu and T
        (:func:`linear_response_point`).
    lead : str
        The lead whose mu and T were varied; the currents are from it into the dot.
    temperature : numpy.ndarray
        The common temperature on the grid.

    Returns
    -------
    Thermoelectric
        The linear response.
    """
    mu, t = f"mu[{lead}]", f"T[{lead}]"
    d = derivatives
    onsager = np.empty(d.shape + (2, 2))
    onsager[..., 0, 0] = temperature * d.current[mu][lead]
    onsager[..., 0, 1] = temperature**2 * d.current[t][lead]
    onsager[..., 1, 0] = temperature * d.heat_current[mu][lead]
    onsager[..., 1, 1] = temperature**2 * d.heat_current[t][lead]
    l11, l12, l21, l22 = onsager[..., 0, 0], onsager[..., 0, 1], onsager[..., 1, 0], onsager[..., 1, 1]
    determinant = l11 * l22 - l12 * l21
    with np.errstate(divide="ignore", invalid="ignore"):
        return Thermoelectric(
            lead=lead,
            axes=d.axes,
            shape=d.shape,
            onsager=onsager,
            conductance=l11 / temperature,
            thermal_conductance=determinant / (temperature**2 * l11),
            seebeck=l12 / (temperature * l11),
            figure_of_merit=l12 * l21 / determinant,
            temperature=temperature,
            parameters=d.parameters,
        )


# --------------------------------------------------------------------------------------------------
# one chunk
# --------------------------------------------------------------------------------------------------
def check_temperatures(blocks: TransportBlocks, coefficients: list) -> None:
    """ValueError unless every lead's temperature is positive (rates are steps at T = 0).

    Parameters
    ----------
    blocks : TransportBlocks
        The compiled model's blocks.
    coefficients : list of numpy.ndarray
        The chunk's compiled parameter expressions.

    Raises
    ------
    ValueError
        Naming the first lead whose temperature is not positive somewhere.
    """
    for lead, slots in zip(blocks.lead_names, blocks.lead_slots):
        if not np.all(coefficients[slots.temperature] > 0):
            raise ValueError(
                f"derivatives: the temperature of lead {lead!r} must be positive (rates are steps at T = 0)"
            )


def chunk_changes(
    differentiator: Differentiator,
    jumps: FlatJumps | BlockJumps,
    coefficients: list,
    values: dict,
    shape: tuple[int, ...],
    probabilities: np.ndarray,
    names: tuple[str, ...],
) -> tuple[list, np.ndarray]:
    """The changes of the rates along each direction, and ``dW P``: what ``R`` is applied to.

    Parameters
    ----------
    differentiator : Differentiator
        The model's derivative kernels.
    jumps : FlatJumps or BlockJumps
        The chunk's jumps (counting charge), from :func:`~symbolic_pme.numeric.resolvent.chunk_operators`.
    coefficients : list of numpy.ndarray
        The chunk's compiled parameter expressions.
    values : dict of sympy.Symbol to numpy.ndarray
        The chunk's parameter values by symbol.
    shape : tuple of int
        The chunk's grid shape.
    probabilities : numpy.ndarray
        The steady states ``(batch, n)``.
    names : tuple of str
        The directions (checked by :meth:`Differentiator.check`).

    Returns
    -------
    tuple of (list, numpy.ndarray)
        Per direction ``(d rates, d (E_b - E_a), d mu (leads, batch))`` in the jumps' layout, and
        ``dW P`` as ``(batch, n, directions)``.

    Raises
    ------
    ValueError
        For a direction whose ``dH`` couples degenerate eigenstates of a mixed block.
    """
    blocks = differentiator.blocks
    p = probabilities[:, :, None]
    amplitudes = _Amplitudes(blocks, coefficients)
    changes = []
    for name in names:
        slots, d_mu, d_t = differentiator.slots(name, values)
        d_energies, d_gammas = amplitudes.derivatives(slots, name)
        if isinstance(jumps, FlatJumps):
            change = _flat_changes(blocks, jumps, coefficients, shape, d_energies, d_gammas, d_mu, d_t)
        else:
            change = _block_changes(blocks, jumps, coefficients, shape, d_energies, d_gammas, d_mu, d_t)
        changes.append(change + (np.stack([np.broadcast_to(m, shape).reshape(-1) for m in d_mu]),))
    return changes, np.concatenate([jumps.flow(d_rates, p) for d_rates, *_ in changes], axis=2)


def chunk_derivatives(
    jumps: FlatJumps | BlockJumps,
    probabilities: np.ndarray,
    changes: list,
    d_p: np.ndarray,
    mu: np.ndarray,
    current: np.ndarray,
    *,
    quantities: Sequence[str] = DIFFERENTIATED,
) -> np.ndarray:
    """The derivatives of each lead's particle, energy and heat currents (or some of them), from ``dP``.

    The heat current's is ``dQ = dJ - (d mu) I - mu dI`` (``Q = J - mu I`` lead by lead), so
    it costs no pass over the jumps of its own; the energy current's costs one, skipped when
    neither it nor the heat current is asked for.

    Parameters
    ----------
    jumps : FlatJumps or BlockJumps
        The chunk's jumps (counting charge).
    probabilities : numpy.ndarray
        The steady states ``(batch, n)``.
    changes : list
        From :func:`chunk_changes`.
    d_p : numpy.ndarray
        ``dP = -R (dW) P``, ``(batch, n, directions)``.
    mu : numpy.ndarray
        Each lead's chemical potential, ``(leads, batch)``.
    current : numpy.ndarray
        Each lead's particle current, ``(leads, batch)``.
    quantities : sequence of str, optional
        Which currents to differentiate, from :data:`DIFFERENTIATED` (default: all three).

    Returns
    -------
    numpy.ndarray
        ``(quantities, directions, leads, batch)`` in the order of ``quantities``.
    """
    p = probabilities[:, :, None]
    needed = set(quantities) | ({CHARGE, ENERGY} if HEAT in quantities else set())
    found = {}
    for quantity in (q for q in (CHARGE, ENERGY) if q in needed):
        counted = jumps if quantity == CHARGE else jumps.counting(quantity)
        through_p = np.einsum("bnl,bnt->tlb", counted.column_sums(counted.weights(1)), d_p)
        found[quantity] = d_i = np.empty((len(changes), jumps.leads, p.shape[0]))
        for k, (d_rates, d_delta, _) in enumerate(changes):
            d_carried = d_delta if quantity == ENERGY else None
            d_i[k] = counted.totals(counted.derivative_weights(d_rates, d_carried), p).T + through_p[k]
    if HEAT in quantities:
        d_mu = np.stack([change[-1] for change in changes])
        found[HEAT] = found[ENERGY] - d_mu * current - mu * found[CHARGE]
    return np.stack([found[q] for q in quantities])


def check_quantities(quantities: Sequence[str]) -> tuple[str, ...]:
    """The currents to differentiate, checked: a non-empty selection from :data:`DIFFERENTIATED`.

    Parameters
    ----------
    quantities : sequence of str
        ``"charge"``, ``"energy"``, ``"heat"``.

    Returns
    -------
    tuple of str
        The quantities in the order of :data:`DIFFERENTIATED`, without repeats.

    Raises
    ------
    ValueError
        For an empty selection, a string in place of a sequence, or an unknown quantity.
    """
    if isinstance(quantities, str) or not quantities:
        raise ValueError(
            f"derivative_quantities: a non-empty sequence from {', '.join(DIFFERENTIATED)}, not {quantities!r}"
        )
    unknown = [q for q in quantities if q not in DIFFERENTIATED]
    if unknown:
        raise ValueError(
            f"derivative_quantities: unknown quantity {unknown[0]!r}; currents differentiated: "
            + ", ".join(DIFFERENTIATED)
        )
    return tuple(q for q in DIFFERENTIATED if q in quantities)


class _Amplitudes:
    """The many-body amplitudes ``T = U_b^+ D U_a`` of a chunk and their derivatives."""

    def __init__(self, blocks: TransportBlocks, coefficients: list):
        self.blocks, self.coefficients = blocks, coefficients
        self.systems = blocks.eigensystems(coefficients)
        self._amplitudes: list[np.ndarray] | None = None

    def amplitudes(self) -> list[np.ndarray]:
        """``T`` per link, ``(..., m_upper, m_lower)``."""
        if self._amplitudes is None:
            blocks = self.blocks
            self._amplitudes = []
            for link in blocks.links:
                t = _matrix(link.creation, self.coefficients, self._size(link.upper), self._size(link.lower))
                u_lower, u_upper = self.systems[link.lower][1], self.systems[link.upper][1]
                t = t if u_lower is None else t @ u_lower
                self._amplitudes.append(t if u_upper is None else _adjoint(u_upper) @ t)
        return self._amplitudes

    def _size(self, sector: int) -> int:
        return len(self.blocks.sectors[sector].occupations)

    def derivatives(self, slots: list, name: str) -> tuple[np.ndarray | None, list | None]:
        """``(dE (..., n) in state order or None, [d gamma per link or None] or None)``."""
        blocks = self.blocks
        hamiltonian = any(slots[k] is not None for k in blocks.hamiltonian_slots)
        amplitude = any(slots[k] is not None for k in blocks.amplitude_slots)
        if not (hamiltonian or amplitude):
            return None, None
        d_energies, mixings = None, [None] * len(blocks.sectors)
        if hamiltonian:
            parts = []
            for k, (plan, (energies, vectors)) in enumerate(zip(blocks.sectors, self.systems)):
                d_h = _matrix(plan.entries, slots, len(plan.occupations), len(plan.occupations))
                if vectors is None:
                    parts.append(np.real(np.diagonal(d_h, axis1=-2, axis2=-1)))
                    continue
                d_energy, mixings[k] = _perturbation(plan, energies, vectors, d_h, name)
                parts.append(d_energy)
            shape = np.broadcast_shapes(*(d.shape[:-1] for d in parts))
            d_energies = np.zeros(shape + (blocks.n_states,))
            for plan, d in zip(blocks.sectors, parts):
                d_energies[..., plan.states] = d
        d_gammas = []
        for link, t in zip(blocks.links, self.amplitudes()):
            d_t = None
            if amplitude:
                d_d = _matrix(link.creation, slots, self._size(link.upper), self._size(link.lower))
                if np.any(d_d):
                    u_lower, u_upper = self.systems[link.lower][1], self.systems[link.upper][1]
                    d_d = d_d if u_lower is None else d_d @ u_lower
                    d_t = d_d if u_upper is None else _adjoint(u_upper) @ d_d
            if mixings[link.upper] is not None:
                d_t = _plus(d_t, _adjoint(mixings[link.upper]) @ t)
            if mixings[link.lower] is not None:
                d_t = _plus(d_t, t @ mixings[link.lower])
            d_gammas.append(None if d_t is None else 4 * np.pi * np.real(np.conj(t) * d_t))
        return d_energies, d_gammas


def _perturbation(plan, energies: np.ndarray, vectors: np.ndarray, d_h: np.ndarray, name: str):
    """First-order ``(dE (..., m), C (..., m, m))`` of a mixed block, ``dU = U C``."""
    d_eigen = _adjoint(vectors) @ d_h @ vectors
    d_energy = np.real(np.diagonal(d_eigen, axis1=-2, axis2=-1))
    component = np.empty(len(plan.occupations), dtype=np.int64)
    for c, (_, members) in enumerate(plan.components):
        component[members] = c
    same = (component[:, None] == component[None, :]) & ~np.eye(len(component), dtype=bool)
    gaps = energies[..., None, :] - energies[..., :, None]  # (j, k): E_k - E_j
    scale = 1.0 + np.max(np.abs(energies), axis=-1, initial=0.0)[..., None, None]
    degenerate = same & (np.abs(gaps) <= DEGENERATE * scale)
    coupling = np.abs(d_eigen) > 1e-12 * (1.0 + np.max(np.abs(d_h), initial=0.0))
    if np.any(degenerate & coupling):
        raise ValueError(
            f"derivative along {name!r}: it couples degenerate eigenstates of a numerically diagonalized block "
            "(their basis is not differentiable); break the degeneracy or differentiate another parameter"
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        mixing = np.where(same & ~degenerate, d_eigen / np.where(same & ~degenerate, gaps, 1.0), 0.0)
    return d_energy, mixing


def _block_changes(blocks, jumps: BlockJumps, coefficients, shape, d_energies, d_gammas, d_mu, d_t):
    """Per link ``(d rates in, d rates out)`` and the change of E_b - E_a."""
    batch = math.prod(shape)
    d_rates, d_delta = [], []
    deltas = blocks.energy_differences(coefficients)
    gammas = blocks.tunnelling_rates(coefficients)
    for k, link in enumerate(blocks.links):
        mu_slot, t_slot, band = blocks.lead_slots[link.lead]
        x = deltas[k] - coefficients[mu_slot][..., None, None]
        temperature = coefficients[t_slot][..., None, None]
        fill, empty = golden_rule_pair(1.0, x, temperature)
        dd = 0.0
        if d_energies is not None:
            dd = d_energies[..., blocks.sectors[link.upper].states][..., :, None]
            dd = dd - d_energies[..., blocks.sectors[link.lower].states][..., None, :]
        d_x = dd - np.asarray(d_mu[link.lead])[..., None, None]
        slope = (-d_x + x * np.asarray(d_t[link.lead])[..., None, None] / temperature) / temperature
        block = gammas[k].shape[-2:]
        change = jumps.rates_in[k] * _batched(empty * slope, shape, block, batch)  # gamma f (1 - f) dx-terms
        d_in, d_out = change, -change
        if d_gammas is not None and d_gammas[k] is not None:
            d_gamma = d_gammas[k]
            if band is not None:
                low, high = (coefficients[b][..., None, None] for b in band)
                d_gamma = d_gamma * ((deltas[k] >= low) & (deltas[k] <= high))
            d_in = d_in + _batched(d_gamma * fill, shape, block, batch)
            d_out = d_out + _batched(d_gamma * empty, shape, block, batch)
        d_rates.append((d_in, d_out))
        d_delta.append(_batched(dd, shape, block, batch))
    return d_rates, None if d_energies is None else d_delta


def _flat_changes(blocks, jumps: FlatJumps, coefficients, shape, d_energies, d_gammas, d_mu, d_t):
    """On the flat layout: d rates ``(2K, batch)`` and the change of E_b - E_a of the entering
    transitions, ``(K, batch)`` (None where the energies do not change)."""
    flat, batch, ndim = blocks.flat, math.prod(shape), len(shape)
    size = len(flat.upper)
    d_rates = np.empty((2 * size, batch))
    d_delta = np.zeros((size, batch))
    if d_energies is not None:
        d_delta[:] = _entries(_entry_major(d_energies[..., flat.upper] - d_energies[..., flat.lower], ndim), shape)
    d_gamma = None
    if d_gammas is not None and any(d is not None for d in d_gammas):
        zeros = [np.zeros(t.shape[-2:]) for t in blocks.tunnelling_rates(coefficients)]
        d_gamma = _entry_major(flat.concatenate([z if d is None else d for z, d in zip(zeros, d_gammas)]), ndim)
    delta = jumps.delta
    for lead, ((mu_slot, t_slot, band), entries) in enumerate(zip(blocks.lead_slots, flat.lead_entries)):
        count = entries.stop - entries.start
        leaving = slice(size + entries.start, size + entries.stop)
        x = delta[entries] - coefficients[mu_slot]
        temperature = coefficients[t_slot]
        d_mu_lead = _entries(np.broadcast_to(d_mu[lead], shape)[None], shape)
        slope = d_mu_lead - d_delta[entries]
        if np.any(d_t[lead]):
            slope = slope + _entries(x * np.asarray(d_t[lead]) / temperature, shape, count)
        slope /= _entries(np.asarray(temperature)[None], shape)
        # gamma f (1 - f) = r_in r_out / (r_in + r_out) from the rates themselves (no exp)
        r_in, r_out = jumps.rates[entries], jumps.rates[leaving]
        total = r_in + r_out
        change = np.divide(r_in * r_out, total, out=np.zeros_like(total), where=total > 0) * slope
        d_in, d_out = change, -change
        if d_gamma is not None:
            fill, empty = golden_rule_pair(1.0, x, temperature)
            d_g = d_gamma[entries]
            if band is not None:
                low, high = coefficients[band[0]], coefficients[band[1]]
                d_g = d_g * ((delta[entries] >= low) & (delta[entries] <= high))
            d_in = d_in + _entries(d_g * fill, shape, count)
            d_out = d_out + _entries(d_g * empty, shape, count)
        d_rates[entries], d_rates[leaving] = d_in, d_out
    return d_rates, None if d_energies is None else d_delta


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _matrix(entries, coefficients: list, rows: int, columns: int) -> np.ndarray:
    """``sum_k c_k M_k`` from ``(slot, rows, columns, signs)`` entries (zero where ``c_k`` is None)."""
    used = [coefficients[k] for k, *_ in entries if coefficients[k] is not None]
    shape = np.broadcast_shapes(*(np.shape(c) for c in used)) if used else ()
    dtype = np.result_type(*used, float) if used else float
    matrix = np.zeros(shape + (rows, columns), dtype=dtype)
    for k, r, c, signs in entries:
        if coefficients[k] is not None:
            matrix[..., r, c] += np.asarray(coefficients[k])[..., None] * signs
    return matrix


def _adjoint(matrix: np.ndarray) -> np.ndarray:
    return np.conj(np.swapaxes(matrix, -1, -2))


def _plus(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else a + b


def _zero_if_none(value):
    return 0.0 if value is None else value


def _batched(array, grid: tuple[int, ...], trailing: tuple[int, ...], batch: int) -> np.ndarray:
    """``array`` broadcast to ``grid + trailing`` with the grid axes flattened into one batch axis."""
    return np.broadcast_to(array, grid + trailing).reshape((batch,) + trailing)


def _entry_major(array: np.ndarray, ndim: int) -> np.ndarray:
    """``grid-like + (K,)`` as ``(K,) + grid-like`` with ``ndim`` grid axes."""
    array = np.asarray(array)
    return np.moveaxis(array.reshape((1,) * (ndim + 1 - array.ndim) + array.shape), -1, 0)


def _entries(array, shape: tuple[int, ...], count: int | None = None) -> np.ndarray:
    """An entry-major array (first axis: entries, or 1) as ``(entries, batch)``."""
    array = np.asarray(array)
    array = array.reshape(array.shape[:1] + (1,) * (len(shape) + 1 - array.ndim) + array.shape[1:])
    first = array.shape[0] if count is None else count
    return np.broadcast_to(array, (first,) + shape).reshape(first, math.prod(shape))
