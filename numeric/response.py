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

Second derivatives along pairs of directions ``(a, b)`` (``analyse(second_derivatives=...)``;
e.g. ``d^2 I / dV dtheta``, the Jacobian of a dI/dV fit) are exact in the same way, from the
first order of both directions and one more application of ``R``:

* the parameter expressions are differentiated twice (``sympy.diff(e, a, b)``);
* ``d^2 f = f'' d_a u d_b u + f' d^2 u`` with ``u = x / T``, ``f' = -f (1 - f)``,
  ``f'' = f (1 - f)(1 - 2 f)`` and ``d^2 u = (d^2 x - d_a u d_b T - d_b u d_a T - u d^2 T) / T``;
* mixed blocks by second-order perturbation theory (:meth:`_Amplitudes.second_derivatives`):
  ``d^2 E_k = (H'_ab + H'_a C_b + H'_b C_a)_kk`` (``H' = U^+ dH U``, ``dU = U C``), the change
  of ``C_a`` along ``b`` and from it ``d^2 T`` and ``d^2 gamma = 4 pi Re(T_b^* T_a + T^* d^2 T)``;
  a pair whose second order couples degenerate eigenstates is refused, as at first order;
* ``d^2 P = -R (d^2 W P + d_a W d_b P + d_b W d_a P)`` (``1^T d^2 P = 0``) and
  ``d^2 I = 1^T (d^2 W_1 P + d_a W_1 d_b P + d_b W_1 d_a P + W_1 d^2 P)``
  (:func:`chunk_second_changes`, :func:`chunk_second_derivatives`).

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
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import sympy

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT

from .blocks import TransportBlocks
from .functions import golden_rule_pair
from .jumps import BlockJumps, FlatJumps, stack_columns
from .kernel import ExpressionKernel

if TYPE_CHECKING:  # pragma: no cover
    from .network import CompiledNetwork

__all__ = [
    "Change",
    "Derivatives",
    "Differentiator",
    "Thermoelectric",
    "check_pairs",
    "check_quantities",
    "check_temperatures",
    "chunk_changes",
    "chunk_derivatives",
    "chunk_second_changes",
    "chunk_second_derivatives",
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
        The directions: model parameters, ``"mu[lead]"``, ``"T[lead]"`` (those asked for, then
        those of the pairs of second derivatives).
    axes, shape, parameters:
        As in :class:`~symbolic_pme.numeric.results.SteadyState`.
    probabilities:
        ``{direction: array shape + (n_states,)}``: ``dP/dtheta`` (summing to zero).
    currents:
        ``{quantity: {direction: {lead: array of shape}}}`` for ``"charge"`` (particles),
        ``"energy"`` and ``"heat"`` (``J - mu I``), each from the lead into the dot; only the
        quantities asked for (``derivative_quantities`` of :meth:`CompiledNetwork.analyse`).
    pairs:
        The pairs ``(a, b)`` of directions of the second derivatives (``second_derivatives``
        of :meth:`CompiledNetwork.analyse`; empty unless asked for).  Both directions of a
        pair are among :attr:`with_respect_to`.
    second_probabilities:
        ``{(a, b): array shape + (n_states,)}``: ``d^2 P / da db`` (summing to zero).
    second_currents:
        ``{quantity: {(a, b): {lead: array of shape}}}``: ``d^2 I / da db`` and likewise for the
        energy and heat currents asked for (units: the current's over those of a and b).
    """

    with_respect_to: tuple[str, ...]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    probabilities: dict[str, np.ndarray]
    currents: dict[str, dict[str, dict[str, np.ndarray]]]
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    pairs: tuple[tuple[str, str], ...] = ()
    second_probabilities: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    second_currents: dict[str, dict[tuple[str, str], dict[str, np.ndarray]]] = field(default_factory=dict)

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

    @property
    def second_current(self) -> dict[tuple[str, str], dict[str, np.ndarray]]:
        """``{(a, b): {lead: d^2 I / da db}}`` of the particle currents (empty without pairs)."""
        return self.second_currents.get(CHARGE, {})


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
        self._kernels: dict[str | tuple[str, str], tuple[ExpressionKernel, list[bool]]] = {}

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
        return self._evaluated(name, (self._symbols[name],), values)

    def second_slots(self, first: str, second: str, values: dict) -> tuple[list, list, list]:
        """The second derivatives of the compiled parameter expressions along two directions.

        Parameters
        ----------
        first, second : str
            Directions (see :meth:`check`); equal for a pure second derivative.
        values : dict of sympy.Symbol to numpy.ndarray
            The chunk's parameter values by symbol.

        Returns
        -------
        tuple of (list, list, list)
            ``(d^2 coefficients (None where zero), d^2 mu per lead, d^2 T per lead)``; all zero
            when either direction is a lead's mu or T (those move one slot linearly).
        """
        blocks = self.blocks
        if _LEAD_DIRECTION.match(first) is not None or _LEAD_DIRECTION.match(second) is not None:
            leads = len(blocks.lead_names)
            return [None] * len(blocks.expressions), [0.0] * leads, [0.0] * leads
        key = tuple(sorted((first, second)))
        return self._evaluated(key, (self._symbols[key[0]], self._symbols[key[1]]), values)

    def _evaluated(self, key: str | tuple[str, str], symbols: tuple, values: dict) -> tuple[list, list, list]:
        """The derivatives of the expressions along ``symbols`` (compiled once per key), evaluated."""
        blocks = self.blocks
        if key not in self._kernels:
            derivatives = [sympy.diff(e, *symbols) for e in blocks.expressions]
            arguments = list(self._symbols.values())
            self._kernels[key] = (ExpressionKernel(derivatives, arguments), [d != 0 for d in derivatives])
        kernel, nonzero = self._kernels[key]
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


class Change(NamedTuple):
    """One direction's (or pair's) change of a chunk's rates, from :func:`chunk_changes` (or
    :func:`chunk_second_changes`).

    Attributes
    ----------
    rates:
        The derivatives of the rates in the jumps' layout (see
        :meth:`~symbolic_pme.numeric.jumps.FlatJumps.derivative_weights`).
    carried:
        The derivatives of ``E_b - E_a`` of the entering jumps in that layout (None where the
        energies do not change).
    mu, temperature:
        Each lead's d mu and d T, ``(leads, batch)``.
    order:
        What the second derivatives need of a direction's first order (None for a pair).
    amplitudes:
        The chunk's amplitudes, shared by its directions (None for a pair).
    leads:
        The leads whose rates change (the others' are zero: a bias moves one lead's), in
        ascending order; None: any of them.
    """

    rates: object
    carried: object
    mu: np.ndarray
    temperature: np.ndarray
    order: _FirstOrder | None = None
    amplitudes: _Amplitudes | None = None
    leads: tuple[int, ...] | None = None


def chunk_changes(
    differentiator: Differentiator,
    jumps: FlatJumps | BlockJumps,
    coefficients: list,
    values: dict,
    shape: tuple[int, ...],
    names: tuple[str, ...],
) -> tuple[list[Change], np.ndarray]:
    """The changes of the rates along each direction, and ``dW P``: what ``R`` is applied to.

    Parameters
    ----------
    differentiator : Differentiator
        The model's derivative kernels.
    jumps : FlatJumps or BlockJumps
        The chunk's jumps (counting charge) with their steady states, from
        :func:`~symbolic_pme.numeric.resolvent.chunk_operators`.
    coefficients : list of numpy.ndarray
        The chunk's compiled parameter expressions.
    values : dict of sympy.Symbol to numpy.ndarray
        The chunk's parameter values by symbol.
    shape : tuple of int
        The chunk's grid shape.
    names : tuple of str
        The directions (checked by :meth:`Differentiator.check`).

    Returns
    -------
    tuple of (list of Change, numpy.ndarray)
        Per direction its :class:`Change` (d rates, d (E_b - E_a), d mu and d T in the jumps'
        layout), and ``dW P`` as ``(batch, n, directions)``.

    Raises
    ------
    ValueError
        For a direction whose ``dH`` couples degenerate eigenstates of a mixed block.
    """
    blocks = differentiator.blocks
    amplitudes = _Amplitudes(blocks, coefficients)
    changes = []
    for name in names:
        slots, d_mu, d_t = differentiator.slots(name, values)
        order = amplitudes.derivatives(slots, name)
        leads = _moved_leads(blocks, order, d_mu, d_t)
        if isinstance(jumps, FlatJumps):
            out = jumps.buffer(f"rates along {name}", jumps.rates.shape)
            change = _flat_changes(
                blocks, jumps, coefficients, shape, order.energies, order.gammas, d_mu, d_t, out, leads
            )
        else:
            change = _block_changes(blocks, jumps, coefficients, shape, order.energies, order.gammas, d_mu, d_t)
        changes.append(Change(*change, _by_lead(d_mu, shape), _by_lead(d_t, shape), order, amplitudes, leads))
    return changes, stack_columns([jumps.flow(change.rates, leads=change.leads) for change in changes])


def _moved_leads(blocks: TransportBlocks, order: _FirstOrder, d_mu: list, d_t: list) -> tuple[int, ...] | None:
    """The leads whose rates change along a direction (None: all, where the energies change)."""
    if order.energies is not None:
        return None
    moved = {lead for lead in range(len(blocks.lead_names)) if np.any(d_mu[lead]) or np.any(d_t[lead])}
    if order.gammas is not None:
        moved |= {link.lead for link, d_gamma in zip(blocks.links, order.gammas) if d_gamma is not None}
    return tuple(sorted(moved))


def chunk_derivatives(
    jumps: FlatJumps | BlockJumps,
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
        The chunk's jumps (counting charge) with their steady states.
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
    needed = set(quantities) | ({CHARGE, ENERGY} if HEAT in quantities else set())
    found = {}
    for quantity in (q for q in (CHARGE, ENERGY) if q in needed):
        counted = jumps if quantity == CHARGE else jumps.counting(quantity)
        through_p = np.einsum("bnl,bnt->tlb", counted.column_sums(1), d_p)
        found[quantity] = d_i = np.empty((len(changes), jumps.leads, d_p.shape[0]))
        for k, change in enumerate(changes):
            d_carried = change.carried if quantity == ENERGY else None
            d_i[k] = counted.derivative_totals(change.rates, d_carried, leads=change.leads).T + through_p[k]
    if HEAT in quantities:
        d_mu = np.stack([change.mu for change in changes])
        found[HEAT] = found[ENERGY] - d_mu * current - mu * found[CHARGE]
    return np.stack([found[q] for q in quantities])


def chunk_second_changes(
    differentiator: Differentiator,
    jumps: FlatJumps | BlockJumps,
    coefficients: list,
    values: dict,
    shape: tuple[int, ...],
    changes: list[Change],
    d_p: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    names: tuple[str, ...],
) -> tuple[list[Change], np.ndarray]:
    """The second derivatives of the rates along pairs of directions, and what ``R`` is applied to.

    With ``W P = 0`` and ``1^T P = 1``: ``d^2P = -R (d^2W P + d_aW d_bP + d_bW d_aP)``
    (``1^T d^2P = 0``).  The rates ``gamma f(u)``, ``gamma (1 - f(u))`` with
    ``u = (E_b - E_a - mu) / T`` change as ``d^2(gamma f) = d^2gamma f + (d_a gamma d_b u +
    d_b gamma d_a u) f' + gamma (f'' d_a u d_b u + f' d^2u)``, ``f' = -f (1 - f)``,
    ``f'' = f (1 - f)(1 - 2 f)``, ``d^2u = (d^2x - d_a u d_bT - d_b u d_aT - u d^2T) / T``
    (``x = E_b - E_a - mu``); ``d^2E`` and ``d^2gamma`` of mixed blocks by second-order
    perturbation theory.

    Parameters
    ----------
    differentiator : Differentiator
        The model's derivative kernels.
    jumps : FlatJumps or BlockJumps
        The chunk's jumps (counting charge) with their steady states.
    coefficients : list of numpy.ndarray
        The chunk's compiled parameter expressions.
    values : dict of sympy.Symbol to numpy.ndarray
        The chunk's parameter values by symbol.
    shape : tuple of int
        The chunk's grid shape.
    changes : list of Change
        The first-order changes of every direction, from :func:`chunk_changes`.
    d_p : numpy.ndarray
        ``dP``, ``(batch, n, directions)``.
    pairs : sequence of (int, int)
        Per pair, the indices of its directions in ``changes`` and ``names``.
    names : tuple of str
        The directions.

    Returns
    -------
    tuple of (list of Change, numpy.ndarray)
        Per pair its :class:`Change` (``d^2`` rates, ``d^2 (E_b - E_a)``, ``d^2 mu``,
        ``d^2 T``), and the right-hand sides ``(batch, n, pairs)``.

    Raises
    ------
    ValueError
        For a pair that couples degenerate eigenstates of a mixed block at second order.
    """
    blocks = differentiator.blocks
    seconds, columns = [], []
    for i, j in pairs:
        a, b = changes[i], changes[j]
        pair = (names[i], names[j])
        slots, d2_mu, d2_t = differentiator.second_slots(*pair, values)
        d2_energies, d2_gammas = a.amplitudes.second_derivatives(a.order, b.order, slots, pair)
        second = (_by_lead(d2_mu, shape), _by_lead(d2_t, shape))
        layout = _flat_second_changes if isinstance(jumps, FlatJumps) else _block_second_changes
        rates, carried = layout(blocks, jumps, coefficients, shape, a, b, d2_energies, d2_gammas, *second)
        seconds.append(Change(rates, carried, *second))
        columns.append(
            jumps.flow(rates) + jumps.flow(a.rates, d_p[:, :, j : j + 1]) + jumps.flow(b.rates, d_p[:, :, i : i + 1])
        )
    return seconds, stack_columns(columns)


def chunk_second_derivatives(
    jumps: FlatJumps | BlockJumps,
    changes: list[Change],
    d_p: np.ndarray,
    pairs: Sequence[tuple[int, int]],
    seconds: list[Change],
    d2_p: np.ndarray,
    mu: np.ndarray,
    current: np.ndarray,
    d_current: np.ndarray | None,
    *,
    quantities: Sequence[str] = DIFFERENTIATED,
) -> np.ndarray:
    """The second derivatives of each lead's particle, energy and heat currents (or some of them).

    ``I = 1^T W_q P`` (``W_q`` the lead's rates times what each jump carries) gives
    ``d^2I = 1^T d^2W_q P + 1^T d_aW_q d_bP + 1^T d_bW_q d_aP + 1^T W_q d^2P``, with
    ``d^2(r q) = d^2r q + d_ar d_bq + d_br d_aq + r d^2q`` (``q = +-(E_b - E_a)`` for the
    energy current, constant for the particle current), and
    ``d^2Q = d^2J - d^2mu I - d_a mu d_bI - d_b mu d_aI - mu d^2I``.

    Parameters
    ----------
    jumps : FlatJumps or BlockJumps
        The chunk's jumps (counting charge) with their steady states.
    changes : list of Change
        From :func:`chunk_changes`.
    d_p : numpy.ndarray
        ``dP``, ``(batch, n, directions)``.
    pairs : sequence of (int, int)
        Per pair, the indices of its directions in ``changes``.
    seconds : list of Change
        From :func:`chunk_second_changes`.
    d2_p : numpy.ndarray
        ``d^2P``, ``(batch, n, pairs)``.
    mu : numpy.ndarray
        Each lead's chemical potential, ``(leads, batch)``.
    current : numpy.ndarray
        Each lead's particle current, ``(leads, batch)``.
    d_current : numpy.ndarray or None
        The first derivatives of the particle currents, ``(directions, leads, batch)`` (needed
        for the heat current only).
    quantities : sequence of str, optional
        Which currents to differentiate, from :data:`DIFFERENTIATED` (default: all three).

    Returns
    -------
    numpy.ndarray
        ``(quantities, pairs, leads, batch)`` in the order of ``quantities``.
    """
    needed = set(quantities) | ({CHARGE, ENERGY} if HEAT in quantities else set())
    found = {}
    for quantity in (q for q in (CHARGE, ENERGY) if q in needed):
        energy = quantity == ENERGY
        counted = jumps if quantity == CHARGE else jumps.counting(quantity)
        through_p = np.einsum("bnl,bnt->tlb", counted.column_sums(1), d2_p)
        found[quantity] = d2_i = np.empty((len(pairs), jumps.leads, d2_p.shape[0]))
        for k, ((i, j), second) in enumerate(zip(pairs, seconds)):
            a, b = changes[i], changes[j]
            weights = counted.derivative_weights(second.rates, second.carried if energy else None)
            if energy:
                for one, other in ((a, b), (b, a)):
                    if other.carried is not None:
                        weights = _added(weights, _cross_weights(one.rates, other.carried))
            total = counted.totals(weights)
            for one, other in ((a, j), (b, i)):  # d_aW d_bP and d_bW d_aP
                first = counted.derivative_weights(one.rates, one.carried if energy else None)
                total += counted.totals(first, d_p[:, :, other : other + 1])
            d2_i[k] = total.T + through_p[k]
    if HEAT in quantities:
        first, other = [i for i, _ in pairs], [j for _, j in pairs]
        d2_mu = np.stack([second.mu for second in seconds])
        d_mu_a, d_mu_b = (np.stack([changes[k].mu for k in ks]) for ks in (first, other))
        found[HEAT] = (
            found[ENERGY] - d2_mu * current - d_mu_a * d_current[other] - d_mu_b * d_current[first] - mu * found[CHARGE]
        )
    return np.stack([found[q] for q in quantities])


def check_pairs(pairs: Sequence[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """The pairs of directions of second derivatives, checked for form (the names by :meth:`Differentiator.check`).

    Parameters
    ----------
    pairs : sequence of (str, str)
        Pairs ``(a, b)`` of directions; ``(a, a)`` for a pure second derivative.

    Returns
    -------
    tuple of (str, str)
        The pairs as tuples, without repeats, in the order given.

    Raises
    ------
    ValueError
        For a string in place of a sequence of pairs, or an element that is not two strings.
    """
    if isinstance(pairs, str):
        raise ValueError(f"second_derivatives: a sequence of pairs of directions such as [('V', 'eps')], not {pairs!r}")
    checked = []
    for pair in pairs:
        if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(f"second_derivatives: each entry a pair of directions such as ('V', 'eps'), not {pair!r}")
        if not all(isinstance(name, str) for name in pair):
            raise ValueError(f"second_derivatives: each entry a pair of direction names, not {pair!r}")
        checked.append((pair[0], pair[1]))
    return tuple(dict.fromkeys(checked))


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


class _FirstOrder(NamedTuple):
    """One direction's first-order changes of a chunk's spectrum and amplitudes, kept for its
    second derivatives (None where zero).

    ``energies``: ``dE (..., n)`` in state order; ``gammas``, ``amplitudes``, ``direct``: per link
    ``d gamma``, ``dT`` and ``U_b^+ dD U_a``; ``eigen``, ``mixings``: per mixed sector
    ``U^+ dH U`` and ``C`` with ``dU = U C`` (zero diagonal: the gauge parallel-transported along
    the direction).
    """

    energies: np.ndarray | None
    gammas: list | None
    amplitudes: list
    direct: list
    eigen: list
    mixings: list


class _Amplitudes:
    """The many-body amplitudes ``T = U_b^+ D U_a`` of a chunk and their first and second derivatives."""

    def __init__(self, blocks: TransportBlocks, coefficients: list):
        self.blocks, self.coefficients = blocks, coefficients
        self.systems = blocks.eigensystems(coefficients)
        self._amplitudes: list[np.ndarray] | None = None
        self._structures: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def amplitudes(self) -> list[np.ndarray]:
        """``T`` per link, ``(..., m_upper, m_lower)``."""
        if self._amplitudes is None:
            blocks = self.blocks
            self._amplitudes = [
                self._rotated(link, _matrix(link.creation, self.coefficients, *self._sizes(link)))
                for link in blocks.links
            ]
        return self._amplitudes

    def _size(self, sector: int) -> int:
        return len(self.blocks.sectors[sector].occupations)

    def _sizes(self, link) -> tuple[int, int]:
        return self._size(link.upper), self._size(link.lower)

    def _rotated(self, link, d: np.ndarray) -> np.ndarray:
        """``U_b^+ d U_a``: a link's Fock-basis block in the eigenbases of its sectors."""
        u_lower, u_upper = self.systems[link.lower][1], self.systems[link.upper][1]
        d = d if u_lower is None else d @ u_lower
        return d if u_upper is None else _adjoint(u_upper) @ d

    def _in_state_order(self, parts: list[np.ndarray]) -> np.ndarray:
        """Per-sector energies (or their derivatives) as one ``(..., n)`` array in state order."""
        blocks = self.blocks
        shape = np.broadcast_shapes(*(d.shape[:-1] for d in parts))
        values = np.zeros(shape + (blocks.n_states,))
        for plan, d in zip(blocks.sectors, parts):
            values[..., plan.states] = d
        return values

    def _structure(self, sector: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(same, degenerate, gaps)`` of a mixed sector: pairs ``(j, k)``, ``j != k``, within one
        component; those of them degenerate; ``E_k - E_j``."""
        if sector not in self._structures:
            plan, energies = self.blocks.sectors[sector], self.systems[sector][0]
            component = np.empty(len(plan.occupations), dtype=np.int64)
            for c, (_, members) in enumerate(plan.components):
                component[members] = c
            same = (component[:, None] == component[None, :]) & ~np.eye(len(component), dtype=bool)
            gaps = energies[..., None, :] - energies[..., :, None]  # (j, k): E_k - E_j
            scale = 1.0 + np.max(np.abs(energies), axis=-1, initial=0.0)[..., None, None]
            self._structures[sector] = (same, same & (np.abs(gaps) <= DEGENERATE * scale), gaps)
        return self._structures[sector]

    def derivatives(self, slots: list, name: str) -> _FirstOrder:
        """The first-order changes along one direction (its ``slots``, :meth:`Differentiator.slots`)."""
        blocks = self.blocks
        sectors, links = len(blocks.sectors), len(blocks.links)
        hamiltonian = any(slots[k] is not None for k in blocks.hamiltonian_slots)
        amplitude = any(slots[k] is not None for k in blocks.amplitude_slots)
        eigen, mixings = [None] * sectors, [None] * sectors
        if not (hamiltonian or amplitude):
            return _FirstOrder(None, None, [None] * links, [None] * links, eigen, mixings)
        d_energies = None
        if hamiltonian:
            parts = []
            for k, (plan, (_, vectors)) in enumerate(zip(blocks.sectors, self.systems)):
                d_h = _matrix(plan.entries, slots, len(plan.occupations), len(plan.occupations))
                if vectors is None:
                    parts.append(np.real(np.diagonal(d_h, axis1=-2, axis2=-1)))
                    continue
                eigen[k] = _adjoint(vectors) @ d_h @ vectors
                same, degenerate, gaps = self._structure(k)
                coupling = np.abs(eigen[k]) > 1e-12 * (1.0 + np.max(np.abs(d_h), initial=0.0))
                if np.any(degenerate & coupling):
                    raise ValueError(
                        f"derivative along {name!r}: it couples degenerate eigenstates of a numerically "
                        "diagonalized block (their basis is not differentiable); break the degeneracy or "
                        "differentiate another parameter"
                    )
                mixings[k] = _divided(eigen[k], same & ~degenerate, gaps)
                parts.append(np.real(np.diagonal(eigen[k], axis1=-2, axis2=-1)))
            d_energies = self._in_state_order(parts)
        d_gammas, d_amplitudes, direct = [], [], []
        for link, t in zip(blocks.links, self.amplitudes()):
            d_t = None
            if amplitude:
                d_d = _matrix(link.creation, slots, *self._sizes(link))
                if np.any(d_d):
                    d_t = self._rotated(link, d_d)
            direct.append(d_t)
            d_t = _mixed(d_t, t, mixings[link.upper], mixings[link.lower])
            d_amplitudes.append(d_t)
            d_gammas.append(None if d_t is None else 4 * np.pi * np.real(np.conj(t) * d_t))
        return _FirstOrder(d_energies, d_gammas, d_amplitudes, direct, eigen, mixings)

    def second_derivatives(
        self, a: _FirstOrder, b: _FirstOrder, slots: list, pair: tuple[str, str]
    ) -> tuple[np.ndarray | None, list | None]:
        """``(d^2E (..., n) in state order or None, [d^2 gamma per link or None] or None)``.

        Second-order perturbation theory of the mixed blocks in the gauge parallel-transported
        along ``a`` (``C_a`` has a zero diagonal everywhere, ``C_b`` at the point; ``|T|^2`` does
        not depend on the gauge): with ``H' = U^+ dH U`` and ``dU = U C``,

        * ``d^2E_k = (H'_ab + H'_a C_b + H'_b C_a)_kk``;
        * ``d_b C_a = [d_b H'_a - C_a (d_b E_k - d_b E_j)] / (E_k - E_j)`` off the diagonal,
          ``d_b H'_a = H'_ab + H'_a C_b - C_b H'_a``;
        * ``d^2T = U_b^+ d^2D U_a + C_b^+ A_a + A_a C_b + (d_b C_a)^+ T + T d_b C_a + C_a^+ T_b
          + T_b C_a`` (``A_a = U_b^+ d_aD U_a``, each ``C`` of its sector) and
          ``d^2 gamma = 4 pi Re(T_b^* T_a + T^* d^2T)``.

        A ``d_b H'_a`` that couples degenerate eigenstates (the second-order basis) is refused.
        """
        blocks = self.blocks
        hamiltonian = any(slots[k] is not None for k in blocks.hamiltonian_slots)
        amplitude = any(slots[k] is not None for k in blocks.amplitude_slots)
        d_mixings: list = [None] * len(blocks.sectors)  # d C_a / db per mixed sector
        d2_energies = None
        if a.energies is not None and b.energies is not None:  # otherwise H'_ab = 0 as well
            parts = []
            for k, (plan, (_, vectors)) in enumerate(zip(blocks.sectors, self.systems)):
                m = len(plan.occupations)
                d2_h = _matrix(plan.entries, slots, m, m) if hamiltonian else None
                if vectors is None:
                    parts.append(np.zeros(m) if d2_h is None else np.real(np.diagonal(d2_h, axis1=-2, axis2=-1)))
                    continue
                h_a, h_b, c_a, c_b = a.eigen[k], b.eigen[k], a.mixings[k], b.mixings[k]
                d_h_a = h_a @ c_b - c_b @ h_a
                d2_energy = np.real(np.einsum("...kj,...jk->...k", h_a, c_b) + np.einsum("...kj,...jk->...k", h_b, c_a))
                if d2_h is not None:
                    h_ab = _adjoint(vectors) @ d2_h @ vectors
                    d_h_a = d_h_a + h_ab
                    d2_energy = d2_energy + np.real(np.diagonal(h_ab, axis1=-2, axis2=-1))
                parts.append(d2_energy)
                same, degenerate, gaps = self._structure(k)
                coupling = np.abs(d_h_a) > 1e-12 * (1.0 + np.max(np.abs(d_h_a), initial=0.0))
                if np.any(degenerate & coupling):
                    raise ValueError(
                        f"second derivative along {pair!r}: at second order it couples degenerate eigenstates "
                        "of a numerically diagonalized block (their basis is not differentiable); break the "
                        "degeneracy or differentiate other parameters"
                    )
                d_e_b = np.real(np.diagonal(h_b, axis1=-2, axis2=-1))
                shift = c_a * (d_e_b[..., None, :] - d_e_b[..., :, None])
                d_mixings[k] = _divided(d_h_a - shift, same & ~degenerate, gaps)
            d2_energies = self._in_state_order(parts)
        d2_gammas = []
        for k, (link, t) in enumerate(zip(blocks.links, self.amplitudes())):
            upper, lower = link.upper, link.lower
            d2_t = None
            if amplitude:
                d2_d = _matrix(link.creation, slots, *self._sizes(link))
                if np.any(d2_d):
                    d2_t = self._rotated(link, d2_d)
            direct_a, t_b = a.direct[k], b.amplitudes[k]
            if direct_a is not None:
                d2_t = _mixed(d2_t, direct_a, b.mixings[upper], b.mixings[lower])
            d2_t = _mixed(d2_t, t, d_mixings[upper], d_mixings[lower])
            if t_b is not None:
                d2_t = _mixed(d2_t, t_b, a.mixings[upper], a.mixings[lower])
            d2_gamma = None if d2_t is None else 4 * np.pi * np.real(np.conj(t) * d2_t)
            if a.amplitudes[k] is not None and t_b is not None:
                d2_gamma = _plus(d2_gamma, 4 * np.pi * np.real(np.conj(t_b) * a.amplitudes[k]))
            d2_gammas.append(d2_gamma)
        return d2_energies, d2_gammas if any(g is not None for g in d2_gammas) else None


def _divided(numerator: np.ndarray, mask: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """``numerator / gaps`` where ``mask`` (non-degenerate pairs of one component), zero elsewhere."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(mask, numerator / np.where(mask, gaps, 1.0), 0.0)


def _mixed(total: np.ndarray | None, t: np.ndarray, upper: np.ndarray | None, lower: np.ndarray | None):
    """``total + C_upper^+ t + t C_lower`` (the terms whose ``C`` is not None)."""
    if upper is not None:
        total = _plus(total, _adjoint(upper) @ t)
    if lower is not None:
        total = _plus(total, t @ lower)
    return total


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


def _flat_changes(blocks, jumps: FlatJumps, coefficients, shape, d_energies, d_gammas, d_mu, d_t, out, leads):
    """On the flat layout: d rates ``(2K, batch)`` (in ``out``) and the change of E_b - E_a of
    the entering transitions, ``(K, batch)`` (None where the energies do not change).

    The leads not among ``leads`` (:func:`_moved_leads`: their mu, T and amplitudes do not
    change, nor the energies; for a bias, every lead but the biased one) keep zero rows.
    """
    flat, ndim = blocks.flat, len(shape)
    size = len(flat.upper)
    d_delta = None
    if d_energies is not None:
        d_delta = _entries(_entry_major(d_energies[..., flat.upper] - d_energies[..., flat.lower], ndim), shape)
    d_gamma = _flat_gammas(blocks, coefficients, d_gammas, ndim)
    delta = jumps.delta
    for lead, ((mu_slot, t_slot, band), entries) in enumerate(zip(blocks.lead_slots, flat.lead_entries)):
        d_in, d_out = out[entries], out[size + entries.start : size + entries.stop]
        shifts, heats = d_delta is not None or np.any(d_mu[lead]), np.any(d_t[lead])
        if leads is not None and lead not in leads:
            d_in.fill(0.0)
            d_out.fill(0.0)
            continue
        count = entries.stop - entries.start
        temperature = _per_point(coefficients[t_slot], shape)
        if shifts or heats:
            # d(gamma f) = gamma f (1 - f) s with s = (d mu - d(E_b - E_a) + x dT / T) / T, x = E_b - E_a - mu;
            # gamma f (1 - f) = r_in r_out / (r_in + r_out) from the rates themselves (no exp), in place
            slope = _per_point(d_mu[lead], shape)
            if d_delta is not None:
                slope = slope - d_delta[entries]
            if heats:
                x = _entries(delta[entries] - coefficients[mu_slot], shape, count)
                slope = slope + x * _per_point(d_t[lead], shape) / temperature
            r_in, r_out = jumps.rates[entries], jumps.rates[size + entries.start : size + entries.stop]
            np.add(r_in, r_out, out=d_in)
            np.maximum(d_in, np.finfo(float).tiny, out=d_in)  # both rates zero: a change of zero
            np.divide(r_out, d_in, out=d_in)
            d_in *= r_in
            d_in *= slope / temperature
            np.negative(d_in, out=d_out)
        else:
            d_in.fill(0.0)
            d_out.fill(0.0)
        if d_gamma is not None:
            fill, empty = golden_rule_pair(1.0, delta[entries] - coefficients[mu_slot], coefficients[t_slot])
            d_g = d_gamma[entries]
            if band is not None:
                low, high = coefficients[band[0]], coefficients[band[1]]
                d_g = d_g * ((delta[entries] >= low) & (delta[entries] <= high))
            d_in += _entries(d_g * fill, shape, count)
            d_out += _entries(d_g * empty, shape, count)
    return out, d_delta


def _per_point(value, shape: tuple[int, ...]):
    """A scalar as it is, a grid-like array as ``(1, batch)``."""
    if np.ndim(value) == 0:
        return float(value)
    return np.broadcast_to(value, shape).reshape(1, -1)


def _block_second_changes(blocks, jumps: BlockJumps, coefficients, shape, a, b, d2_energies, d2_gammas, d2_mu, d2_t):
    """Per link ``(d^2 rates in, d^2 rates out)`` and ``d^2 (E_b - E_a)`` (see :func:`chunk_second_changes`)."""
    batch = math.prod(shape)
    d2_rates, d2_delta = [], []
    deltas = blocks.energy_differences(coefficients)
    gammas = blocks.tunnelling_rates(coefficients)
    for k, link in enumerate(blocks.links):
        lead, (mu_slot, t_slot, band) = link.lead, blocks.lead_slots[link.lead]
        block = gammas[k].shape[-2:]

        def batched(array, block=block):
            return _batched(array, shape, block, batch)

        x = deltas[k] - coefficients[mu_slot][..., None, None]
        temperature = coefficients[t_slot][..., None, None]
        fill, empty = (batched(f) for f in golden_rule_pair(1.0, x, temperature))
        temperature = batched(temperature)
        u = batched(x) / temperature

        def slope(change, lead=lead, k=k, u=u, temperature=temperature):
            d_x = -change.mu[lead][:, None, None] + (0.0 if change.carried is None else change.carried[k])
            return (d_x - u * change.temperature[lead][:, None, None]) / temperature

        du_a, du_b = slope(a), slope(b)
        dd = None
        if d2_energies is not None:
            upper = d2_energies[..., blocks.sectors[link.upper].states][..., :, None]
            dd = batched(upper - d2_energies[..., blocks.sectors[link.lower].states][..., None, :])
        d2_x = (0.0 if dd is None else dd) - d2_mu[lead][:, None, None]
        d2_u = d2_x - du_a * b.temperature[lead][:, None, None] - du_b * a.temperature[lead][:, None, None]
        d2_u = (d2_u - u * d2_t[lead][:, None, None]) / temperature
        # gamma f'' = gamma f (1 - f)(1 - 2 f), gamma f' = -gamma f (1 - f): from the rates in
        g1 = jumps.rates_in[k] * empty
        change = g1 * ((empty - fill) * du_a * du_b - d2_u)
        mask = None
        if band is not None:
            low, high = (coefficients[e][..., None, None] for e in band)
            mask = (deltas[k] >= low) & (deltas[k] <= high)
        d_g = [_masked_gamma(c.order.gammas, k, mask, batched) for c in (a, b)]
        cross = _plus_optional(None if d_g[0] is None else d_g[0] * du_b, None if d_g[1] is None else d_g[1] * du_a)
        if cross is not None:
            change = change - fill * empty * cross
        d_in, d_out = change, -change
        d2_g = _masked_gamma(d2_gammas, k, mask, batched)
        if d2_g is not None:
            d_in, d_out = d_in + d2_g * fill, d_out + d2_g * empty
        d2_rates.append((d_in, d_out))
        d2_delta.append(dd)
    return d2_rates, None if d2_energies is None else d2_delta


def _flat_second_changes(blocks, jumps: FlatJumps, coefficients, shape, a, b, d2_energies, d2_gammas, d2_mu, d2_t):
    """On the flat layout: d^2 rates ``(2K, batch)`` and ``d^2 (E_b - E_a)`` of the entering
    transitions ``(K, batch)`` or None (see :func:`chunk_second_changes`)."""
    flat, batch, ndim = blocks.flat, math.prod(shape), len(shape)
    size = len(flat.upper)
    d2_rates = np.empty((2 * size, batch))
    d2_delta = None
    if d2_energies is not None:
        d2_delta = _entries(_entry_major(d2_energies[..., flat.upper] - d2_energies[..., flat.lower], ndim), shape)
    gammas = [_flat_gammas(blocks, coefficients, g, ndim) for g in (a.order.gammas, b.order.gammas, d2_gammas)]
    delta = jumps.delta
    for lead, ((mu_slot, t_slot, band), entries) in enumerate(zip(blocks.lead_slots, flat.lead_entries)):
        count = entries.stop - entries.start
        leaving = slice(size + entries.start, size + entries.stop)
        x = delta[entries] - coefficients[mu_slot]
        temperature = _entries(np.asarray(coefficients[t_slot])[None], shape)
        u = _entries(x, shape, count) / temperature

        def slope(change, lead=lead, entries=entries, u=u, temperature=temperature):
            d_x = -change.mu[lead] + (0.0 if change.carried is None else change.carried[entries])
            return (d_x - u * change.temperature[lead]) / temperature

        du_a, du_b = slope(a), slope(b)
        d2_x = (0.0 if d2_delta is None else d2_delta[entries]) - d2_mu[lead]
        d2_u = (d2_x - du_a * b.temperature[lead] - du_b * a.temperature[lead] - u * d2_t[lead]) / temperature
        # gamma f (1 - f) and gamma f (1 - f)(1 - 2 f) from the rates themselves (no exp)
        r_in, r_out = jumps.rates[entries], jumps.rates[leaving]
        total = r_in + r_out
        g1 = np.divide(r_in * r_out, total, out=np.zeros_like(total), where=total > 0)
        g2 = np.divide(g1 * (r_out - r_in), total, out=np.zeros_like(total), where=total > 0)
        change = g2 * du_a * du_b - g1 * d2_u
        d_in, d_out = change, -change
        if any(g is not None for g in gammas):
            fill, empty = (_entries(f, shape, count) for f in golden_rule_pair(1.0, x, coefficients[t_slot]))
            mask = None
            if band is not None:
                low, high = coefficients[band[0]], coefficients[band[1]]
                mask = (delta[entries] >= low) & (delta[entries] <= high)
            d_g_a, d_g_b, d2_g = (
                None if g is None else _entries(g[entries] if mask is None else g[entries] * mask, shape, count)
                for g in gammas
            )
            cross = _plus_optional(None if d_g_a is None else d_g_a * du_b, None if d_g_b is None else d_g_b * du_a)
            if cross is not None:
                d_in, d_out = d_in - fill * empty * cross, d_out + fill * empty * cross
            if d2_g is not None:
                d_in, d_out = d_in + d2_g * fill, d_out + d2_g * empty
        d2_rates[entries], d2_rates[leaving] = d_in, d_out
    return d2_rates, d2_delta


def _masked_gamma(gammas: list | None, k: int, mask, batched) -> np.ndarray | None:
    """Link ``k``'s (second) derivative of gamma, zero outside a finite band, batched (None where zero)."""
    if gammas is None or gammas[k] is None:
        return None
    return batched(gammas[k] if mask is None else gammas[k] * mask)


def _flat_gammas(blocks, coefficients, gammas: list | None, ndim: int) -> np.ndarray | None:
    """Per-link derivatives of gamma on the flat layout, entry-major (None where all are zero)."""
    if gammas is None or all(g is None for g in gammas):
        return None
    zeros = [np.zeros(t.shape[-2:]) for t in blocks.tunnelling_rates(coefficients)]
    return _entry_major(blocks.flat.concatenate([z if g is None else g for z, g in zip(zeros, gammas)]), ndim)


def _cross_weights(d_rates, d_carried):
    """``d_a r d_b q`` in the jumps' layout (what an entering jump carries, minus for one leaving)."""
    if isinstance(d_rates, np.ndarray):  # flat: (2K, batch), entering then leaving
        return d_rates * np.concatenate([d_carried, -d_carried])
    return [(d_in * dq, -d_out * dq) for (d_in, d_out), dq in zip(d_rates, d_carried)]


def _added(weights, more):
    """The sum of two weights in the jumps' layout."""
    if isinstance(weights, np.ndarray):
        return weights + more
    return [(a_in + b_in, a_out + b_out) for (a_in, a_out), (b_in, b_out) in zip(weights, more)]


def _plus_optional(a, b):
    """``a + b`` where either may be None (zero); None if both are."""
    return a if b is None else _plus(a, b)


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


def _by_lead(values: list, shape: tuple[int, ...]) -> np.ndarray:
    """Per-lead values (scalars or grid-like arrays) as ``(leads, batch)``."""
    return np.stack([np.broadcast_to(v, shape).reshape(-1) for v in values])


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
