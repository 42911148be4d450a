"""Exact response: derivatives of closed forms, and thermoelectric linear response.

Derivatives of the closed-form steady state and currents with respect to any parameter are
``sympy.diff`` of the closed forms (:meth:`RateNetwork.steady_state`, :meth:`RateNetwork.current`);
models without a closed form (above the spanning-tree limit) are differentiated by the numeric layer.

Thermoelectric linear response of a two-terminal :class:`~symbolic_pme.transport.model.TransportModel`
(hbar = e = k_B = 1; currents are particle currents, positive from the lead into the dot).  Both
leads sit at a common ``mu`` and ``T``; one lead ("the lead", default the first) is moved to
``mu + dmu`` and ``T + dT``.  Its particle current I and heat current Q = J - mu I into the dot are,
to first order (Onsager's affinities ``dmu / T`` and ``dT / T^2``),

    I = L_11 dmu / T + L_12 dT / T^2,
    Q = L_21 dmu / T + L_22 dT / T^2,

so ``L_11 = T dI/dmu``, ``L_12 = T^2 dI/dT``, ``L_21 = T dQ/dmu``, ``L_22 = T^2 dQ/dT`` at the common
point, and Onsager reciprocity is ``L_12 = L_21``.  From them:

* conductance ``G = dI/dmu = L_11 / T`` (in units of e^2/hbar);
* Seebeck coefficient ``S = -(dmu/dT) at I = 0 = L_12 / (T L_11)``: the thermovoltage per kelvin of
  carriers of charge +1 (e = 1), so that a level above mu gives ``S = (epsilon - mu)/T > 0``.  For
  electrons of charge -|e| the measured thermopower is ``-S/|e|`` (negative for a level above mu);
* thermal conductance ``K = (dQ/dT) at I = 0 = (L_11 L_22 - L_12 L_21) / (T^2 L_11)`` (electronic only);
* figure of merit ``ZT = G S^2 T / K = L_12 L_21 / (L_11 L_22 - L_12 L_21)``, infinite where heat and
  charge are tightly coupled (K = 0, as through a single level).

The lead's mu and T are SymPy expressions of the model's parameters (``mu_L = V/2``); the response
is taken with respect to fresh symbols put in their place, so it never depends on how they were
written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy

from symbolic_pme.networks.network import RateNetwork
from symbolic_pme.networks.statistics import factored
from symbolic_pme.parsing import Value, to_expr
from symbolic_pme.quantities import CHARGE, HEAT

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.transport.model import TransportModel

__all__ = ["LinearResponse", "current_derivative", "linear_response", "steady_state_derivative"]


def steady_state_derivative(
    network: RateNetwork, parameter: sympy.Symbol | str, *, simplify: bool = True
) -> dict[str, sympy.Expr]:
    """Exact derivative of the closed-form steady state with respect to one parameter.

    Parameters
    ----------
    network : RateNetwork
        A network with a closed-form steady state (within the spanning-tree limit of
        :meth:`RateNetwork.steady_state`).
    parameter : sympy.Symbol or str
        One of ``network.parameters``, or its name.
    simplify : bool, optional
        Cancel and factor the results (default True).

    Returns
    -------
    dict of str to sympy.Expr
        ``{state: dP_state / d parameter}``; per unit of the parameter (their sum is 0 for a closed
        network).

    Raises
    ------
    ValueError
        For a parameter the network does not have.
    NonUniqueSteadyState, ClosedFormTooLarge
        As for :meth:`RateNetwork.steady_state`.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> net = RateNetwork.from_rates({("0", "1"): "k", ("1", "0"): "g"})
    >>> steady_state_derivative(net, "k")["1"]
    g/(g + k)**2
    """
    symbol = _parameter(network, parameter)
    probabilities = network.steady_state(simplify=False)
    return {s: factored(sympy.diff(p, symbol), simplify) for s, p in probabilities.items()}


def current_derivative(
    network: RateNetwork, quantity: str, channel: str, parameter: sympy.Symbol | str, *, simplify: bool = True
) -> sympy.Expr:
    """Exact derivative of a closed-form current with respect to one parameter.

    Parameters
    ----------
    network : RateNetwork
        A network with a closed-form steady state.
    quantity : str
        The carried quantity (``"charge"``, ``"energy"``, ``"heat"``, ...).
    channel : str
        The channel (lead) the current comes from, positive into the system.
    parameter : sympy.Symbol or str
        One of ``network.parameters``, or its name.
    simplify : bool, optional
        Cancel and factor the result (default True).

    Returns
    -------
    sympy.Expr
        ``d I / d parameter`` of :meth:`RateNetwork.current` (e.g. dI/dV for a bias parameter V).

    Raises
    ------
    ValueError
        For an unknown parameter, quantity or channel.
    NonUniqueSteadyState, ClosedFormTooLarge
        As for :meth:`RateNetwork.steady_state`.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> net = RateNetwork(["0", "1"], [("0", "1", "k", "L", {"charge": 1}), ("1", "0", "g", "R", {"charge": -1})])
    >>> current_derivative(net, "charge", "L", "k")
    g**2/(g + k)**2
    """
    symbol = _parameter(network, parameter)
    return factored(sympy.diff(network.current(quantity, channel, simplify=False), symbol), simplify)


@dataclass(frozen=True)
class LinearResponse:
    """Thermoelectric linear response of a two-terminal model at a common ``mu`` and ``T``.

    Attributes
    ----------
    lead : str
        The lead whose mu and T are varied; currents are from it into the dot.
    mu, temperature : sympy.Expr
        The common chemical potential and temperature of both leads.
    l11, l12, l21, l22 : sympy.Expr
        Onsager coefficients (module docstring): ``L_11 = T dI/dmu``, ``L_12 = T^2 dI/dT``,
        ``L_21 = T dQ/dmu``, ``L_22 = T^2 dQ/dT``.
    conductance : sympy.Expr
        ``G = dI/dmu`` (e^2/hbar with e = hbar = 1).
    seebeck : sympy.Expr
        ``S = L_12 / (T L_11)``, the thermovoltage of charge +1 carriers (``-S/|e|`` for electrons).
    thermal_conductance : sympy.Expr
        ``K = (L_11 L_22 - L_12 L_21) / (T^2 L_11)``, the heat current per dT at zero particle current.
    figure_of_merit : sympy.Expr
        ``ZT = G S^2 T / K``; ``sympy.oo`` where K vanishes identically (tight coupling).
    """

    lead: str
    mu: sympy.Expr
    temperature: sympy.Expr
    l11: sympy.Expr
    l12: sympy.Expr
    l21: sympy.Expr
    l22: sympy.Expr
    conductance: sympy.Expr
    seebeck: sympy.Expr
    thermal_conductance: sympy.Expr
    figure_of_merit: sympy.Expr

    @property
    def onsager(self) -> sympy.Matrix:
        """``[[L_11, L_12], [L_21, L_22]]``."""
        return sympy.Matrix([[self.l11, self.l12], [self.l21, self.l22]])


def linear_response(
    model: TransportModel,
    *,
    lead: str | None = None,
    mu: Value | None = None,
    temperature: Value | None = None,
    simplify: bool = True,
) -> LinearResponse:
    """Conductance, thermopower, thermal conductance, ZT and Onsager coefficients, exactly.

    Parameters
    ----------
    model : TransportModel
        A model with two leads and a closed-form steady state.
    lead : str, optional
        The lead whose mu and T are varied (default: the first lead).
    mu : number or sympy.Expr, optional
        The common chemical potential; default ``Symbol("mu", real=True)``.
    temperature : number or sympy.Expr, optional
        The common temperature (must not be 0: the response of a Fermi step is singular);
        default ``Symbol("T", positive=True)``.
    simplify : bool, optional
        Cancel and factor each coefficient (default True); then ZT is ``sympy.oo`` where
        ``L_11 L_22 - L_12 L_21`` cancels to zero.  Without, every coefficient is the exact but
        unsimplified derivative (K may be an expression that is identically zero, and ZT its
        ratio; cancelling the Anderson level's takes tens of seconds).

    Returns
    -------
    LinearResponse
        The coefficients, with the conventions of the module docstring.

    Raises
    ------
    ValueError
        For a model without exactly two leads, an unknown lead, or a zero or negative temperature.
    NonUniqueSteadyState, ClosedFormTooLarge
        As for :meth:`RateNetwork.steady_state`.

    Examples
    --------
    >>> import sympy
    >>> from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
    >>> eps = sympy.Symbol("epsilon", real=True)
    >>> leads = [Lead(name, "V/2" if name == "L" else "-V/2", "T", {"d": 1}) for name in "LR"]
    >>> model = TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": eps}), leads)
    >>> response = linear_response(model)
    >>> response.seebeck
    (epsilon - mu)/T
    >>> response.thermal_conductance, response.figure_of_merit
    (0, oo)
    """
    from symbolic_pme.transport.lead import Lead
    from symbolic_pme.transport.model import TransportModel

    if len(model.leads) != 2:
        raise ValueError(f"model: linear response is defined here for two leads, this model has {len(model.leads)}")
    varied = model.lead(lead if lead is not None else model.leads[0].name)
    mu = sympy.Symbol("mu", real=True) if mu is None else to_expr(mu, "mu")
    temperature = sympy.Symbol("T", positive=True) if temperature is None else to_expr(temperature, "temperature")
    if temperature.is_zero or temperature.is_negative:
        raise ValueError(f"temperature: linear response needs a positive temperature, got {temperature}")
    mu_lead = sympy.Dummy(f"mu_{varied.name}", real=True)
    t_lead = sympy.Dummy(f"T_{varied.name}", positive=True)
    leads = [
        Lead(
            other.name,
            mu_lead if other is varied else mu,
            t_lead if other is varied else temperature,
            other.coupling,
            band=other.band,
        )
        for other in model.leads
    ]
    network = TransportModel(model.hamiltonian, leads).network
    common = {mu_lead: mu, t_lead: temperature}
    particle = network.current(CHARGE, varied.name, simplify=False)
    heat = network.current(HEAT, varied.name, simplify=False)

    def response(current: sympy.Expr, variable: sympy.Symbol, factor: sympy.Expr) -> sympy.Expr:
        return factored(factor * sympy.diff(current, variable).xreplace(common), simplify)

    t = temperature
    l11, l12 = response(particle, mu_lead, t), response(particle, t_lead, t**2)
    l21, l22 = response(heat, mu_lead, t), response(heat, t_lead, t**2)
    determinant = factored(l11 * l22 - l12 * l21, simplify)
    thermal_conductance = factored(determinant / (t**2 * l11), simplify)
    figure_of_merit = sympy.oo if determinant == 0 else factored(l12 * l21 / determinant, simplify)
    return LinearResponse(
        varied.name,
        mu,
        temperature,
        l11,
        l12,
        l21,
        l22,
        conductance=factored(l11 / t, simplify),
        seebeck=factored(l12 / (t * l11), simplify),
        thermal_conductance=thermal_conductance,
        figure_of_merit=figure_of_merit,
    )


def _parameter(network: RateNetwork, parameter: sympy.Symbol | str) -> sympy.Symbol:
    """The network's parameter of that name (a symbol's name counts, not its assumptions)."""
    by_name: Mapping[str, sympy.Symbol] = {s.name: s for s in network.parameters}
    name = parameter.name if isinstance(parameter, sympy.Symbol) else str(parameter)
    if name not in by_name:
        known = ", ".join(sorted(by_name)) or "none"
        raise ValueError(f"unknown parameter {name!r}; the network's parameters: {known}")
    return by_name[name]
