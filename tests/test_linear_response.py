"""Exact derivatives and thermoelectric linear response the tool derives, checked exactly."""

import random

import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel, fermi
from symbolic_pme.networks import (
    RateNetwork,
    cumulants,
    current_derivative,
    linear_response,
    steady_state_derivative,
)

eps, u, mu, bias = sp.symbols("epsilon U mu V", real=True)
t_l, t_r = sp.symbols("t_L t_R", positive=True)
temperature = sp.Symbol("T", positive=True)
gamma_l, gamma_r = 2 * sp.pi * t_l**2, 2 * sp.pi * t_r**2
f = fermi(eps - mu, temperature)


def is_zero(expr):
    return sp.simplify(expr) == 0


def model(mu_l=mu, mu_r=mu, spin=False, coulomb=None):
    hamiltonian = Hamiltonian(FockSpace(["d"], spin=spin), onsite={"d": eps}, coulomb=coulomb)
    leads = [Lead("L", mu_l, temperature, {"d": t_l}), Lead("R", mu_r, temperature, {"d": t_r})]
    return TransportModel(hamiltonian, leads)


@pytest.fixture(scope="module")
def single_level_response():
    return linear_response(model())


def test_single_level_thermopower_conductance_and_tight_coupling(single_level_response):
    """S = (epsilon - mu)/T; G = G_L G_R/(G_L + G_R) f(1 - f)/T; heat and charge tightly coupled:
    Q = (epsilon - mu) I exactly, so L_11 L_22 = L_12 L_21, K = 0 and ZT is infinite."""
    response = single_level_response
    assert is_zero(response.seebeck - (eps - mu) / temperature)
    transmission = gamma_l * gamma_r / (gamma_l + gamma_r)
    assert is_zero(response.conductance - transmission * f * (1 - f) / temperature)
    assert response.thermal_conductance == 0
    assert response.figure_of_merit == sp.oo
    assert is_zero(response.l11 * response.l22 - response.l12 * response.l21)
    assert is_zero(response.l22 - (eps - mu) ** 2 * response.l11)


def test_onsager_reciprocity_of_the_single_level(single_level_response):
    assert is_zero(single_level_response.l12 - single_level_response.l21)
    onsager = single_level_response.onsager
    assert is_zero(onsager[0, 1] - onsager[1, 0])


@pytest.fixture(scope="module")
def anderson():
    return model(spin=True, coulomb={("d", "d"): u})


def at_random_point(expr, seed):
    """``expr`` in exact rationals at a random point, the Fermi functions (the only functions the
    closed forms and their derivatives contain) given independent random values: an identity of
    the closed forms holds there exactly (cancelling the Anderson level's symbolically takes
    seconds per identity)."""
    rng = random.Random(seed)
    functions = {g: sp.Rational(rng.randint(1, 99), 100) for g in expr.atoms(fermi)}
    symbols = {s: sp.Rational(rng.randint(1, 99), 37) for s in expr.free_symbols}
    return expr.xreplace(functions).xreplace(symbols)


def test_onsager_reciprocity_and_finite_zt_of_the_anderson_level(anderson):
    """Spin-degenerate level with finite U (two transport energies, epsilon and epsilon + U):
    L_12 = L_21; heat and charge are no longer tightly coupled (K > 0, finite ZT)."""
    response = linear_response(anderson, simplify=False)
    for seed in range(3):
        assert at_random_point(response.l12 - response.l21, seed) == 0
    point = {eps: 0.3, u: 2.0, mu: 0.0, temperature: 0.5, t_l: 1.0, t_r: 2.0}
    assert response.thermal_conductance.xreplace(point) > 1e-3
    assert 0 < response.figure_of_merit.xreplace(point) < 1e3


def test_response_does_not_depend_on_how_the_leads_mu_is_written(single_level_response):
    """Leads at mu_L = V/2, mu_R = -V/2: the response at the common point is the same."""
    biased = linear_response(model(mu_l=bias / 2, mu_r=-bias / 2))
    assert is_zero(biased.seebeck - single_level_response.seebeck)
    assert is_zero(biased.conductance - single_level_response.conductance)
    right = linear_response(model(mu_l=bias / 2, mu_r=-bias / 2), lead="R")
    assert is_zero(right.conductance - single_level_response.conductance)
    assert is_zero(right.seebeck - single_level_response.seebeck)


def test_fluctuation_dissipation_of_the_single_level(single_level_response):
    """Both leads at one mu and T: C_2 = 2 T G for each lead."""
    network = model().network
    for lead in ("L", "R"):
        noise = cumulants(network, lead, order=2)[1]
        conductance = linear_response(model(), lead=lead).conductance
        assert is_zero(noise - 2 * temperature * conductance), lead
    assert is_zero(cumulants(network, "L", order=2)[1] - 2 * temperature * single_level_response.conductance)


def test_fluctuation_dissipation_of_the_anderson_level(anderson):
    noise = cumulants(anderson.network, "L", order=2, simplify=False)[1]
    conductance = linear_response(anderson, simplify=False).conductance
    for seed in range(3):
        assert at_random_point(noise - 2 * temperature * conductance, seed) == 0


def test_exact_derivatives_of_the_closed_forms():
    """dI/dV of the single level under a symmetric bias is the derivative of the textbook current;
    dP/dV sums to zero."""
    biased = model(mu_l=bias / 2, mu_r=-bias / 2)
    f_l, f_r = fermi(eps - bias / 2, temperature), fermi(eps + bias / 2, temperature)
    current = gamma_l * gamma_r / (gamma_l + gamma_r) * (f_l - f_r)
    assert is_zero(current_derivative(biased.network, "charge", "L", "V") - sp.diff(current, bias))
    derivative = steady_state_derivative(biased.network, bias)
    assert is_zero(derivative["1"] - sp.diff((gamma_l * f_l + gamma_r * f_r) / (gamma_l + gamma_r), bias))
    assert is_zero(derivative["0"] + derivative["1"])


def test_errors_name_what_is_wrong():
    network = RateNetwork.from_rates({("0", "1"): "k", ("1", "0"): "g"})
    with pytest.raises(ValueError, match="unknown parameter 'x'; the network's parameters: g, k"):
        steady_state_derivative(network, "x")
    three = TransportModel(
        Hamiltonian(FockSpace(["d"]), onsite={"d": eps}),
        [Lead(name, mu, temperature, {"d": 1}) for name in ("L", "R", "S")],
    )
    with pytest.raises(ValueError, match="two leads, this model has 3"):
        linear_response(three)
    with pytest.raises(ValueError, match="unknown lead 'X'"):
        linear_response(model(), lead="X")
    with pytest.raises(ValueError, match="positive temperature"):
        linear_response(model(), temperature=0)
