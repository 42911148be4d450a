"""Counting statistics: closed-form cumulants the tool derives, checked exactly and against an oracle."""

import math
import random

import numpy as np
import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, NonUniqueSteadyState, TransportModel, fermi
from symbolic_pme.errors import ClosedFormTooLarge
from symbolic_pme.networks import RateNetwork, counting_statistics, cumulants, fano_factor, tilted_generator
from symbolic_pme.networks.statistics import MAX_CUMULANT_ORDER, MAX_STATES

eps = sp.Symbol("epsilon", real=True)
mu_l, mu_r = sp.symbols("mu_L mu_R", real=True)
t_l, t_r = sp.symbols("t_L t_R", positive=True)
temp_l, temp_r = sp.symbols("T_L T_R", positive=True)
gamma_l, gamma_r = 2 * sp.pi * t_l**2, 2 * sp.pi * t_r**2
f_l, f_r = fermi(eps - mu_l, temp_l), fermi(eps - mu_r, temp_r)


def is_zero(expr):
    return sp.simplify(expr) == 0


def single_level(spin=False, onsite=eps, coulomb=None, leads=((mu_l, temp_l), (mu_r, temp_r))):
    hamiltonian = Hamiltonian(FockSpace(["d"], spin=spin), onsite={"d": onsite}, coulomb=coulomb)
    (m_l, th_l), (m_r, th_r) = leads
    return TransportModel(hamiltonian, [Lead("L", m_l, th_l, {"d": t_l}), Lead("R", m_r, th_r, {"d": t_r})])


@pytest.fixture(scope="module")
def single_level_cumulants():
    return cumulants(single_level().network, "L", order=3)


def test_single_level_at_large_bias_derived_directly():
    """f_L = 1, f_R = 0 (T = 0, level inside the bias window): F = (G_L^2 + G_R^2)/(G_L + G_R)^2."""
    model = single_level(onsite=0, leads=((5, 0), (-5, 0)))
    assert is_zero(fano_factor(model.network, "L") - (gamma_l**2 + gamma_r**2) / (gamma_l + gamma_r) ** 2)
    current, _, skewness = cumulants(model.network, "L")
    # Bagrets and Nazarov: C_3 / C_1 = (G_L^4 - 2 G_L^3 G_R + 6 G_L^2 G_R^2 - 2 G_L G_R^3 + G_R^4)/(G_L + G_R)^4
    a, b = gamma_l, gamma_r
    assert is_zero(skewness / current - (a**4 - 2 * a**3 * b + 6 * a**2 * b**2 - 2 * a * b**3 + b**4) / (a + b) ** 4)


def test_spin_degenerate_level_with_infinite_u_at_large_bias():
    """TransportModel with spin, U = 10 above the bias window, T = 0 (f_L(eps) = 1, f_R(eps) = 0,
    double occupation unreachable): F = (4 G_L^2 + G_R^2)/(2 G_L + G_R)^2."""
    model = single_level(spin=True, onsite=0, coulomb={("d", "d"): 10}, leads=((5, 0), (-5, 0)))
    assert model.steady_state()["2"] == 0
    expected = (4 * gamma_l**2 + gamma_r**2) / (2 * gamma_l + gamma_r) ** 2
    assert is_zero(fano_factor(model.network, "L") - expected)
    # both spin channels share the lead's name: the current is the total over them
    stats = counting_statistics(model.network, "L")
    assert is_zero(stats.current - 2 * gamma_l * gamma_r / (2 * gamma_l + gamma_r))
    assert is_zero(stats.fano - expected)


def test_general_single_level_noise_is_the_exact_eigenvalue_and_has_the_limits(single_level_cumulants):
    """C_k of the single level at any bias and temperatures equal the derivatives of the exact
    eigenvalue (lambda(s) = sum_k c_k s^k/k! solving the characteristic polynomial of the 2x2
    W(s) order by order in s = i chi); C_1 is the current; at large bias C_2/C_1 is the Fano
    factor above; at equal Fermi functions (equilibrium) C_2 = 2 G_L G_R/(G_L + G_R) f (1 - f)."""
    network = single_level().network
    c1, c2, c3 = single_level_cumulants
    s = sp.Symbol("s")
    w = tilted_generator(network, "L", chi=-sp.I * s)
    unknowns = sp.symbols("c1:4")
    eigenvalue = sum(c * s**k / math.factorial(k) for k, c in enumerate(unknowns, start=1))
    characteristic = sp.series(eigenvalue**2 - w.trace() * eigenvalue + w.det(), s, 0, 4).removeO()
    exact = {}
    for k, unknown in enumerate(unknowns, start=1):  # order k is linear in c_k, given the lower ones
        equation = characteristic.coeff(s, k).xreplace(exact)
        exact[unknown] = sp.cancel(-equation.subs(unknown, 0) / sp.diff(equation, unknown))
    for c, unknown in zip((c1, c2, c3), unknowns):
        assert sp.cancel(c - exact[unknown]) == 0, unknown
    assert is_zero(c1 - network.current("charge", "L"))
    large_bias = {f_l: 1, f_r: 0}
    assert is_zero(
        c2.xreplace(large_bias) / c1.xreplace(large_bias) - (gamma_l**2 + gamma_r**2) / (gamma_l + gamma_r) ** 2
    )
    f = sp.Symbol("f")
    equilibrium = {f_l: f, f_r: f}
    assert is_zero(c2.xreplace(equilibrium) - 2 * gamma_l * gamma_r / (gamma_l + gamma_r) * f * (1 - f))


def test_the_other_lead_has_the_same_even_and_opposite_odd_cumulants(single_level_cumulants):
    """Charge is conserved and the dot holds at most one electron: n_R = -n_L + bounded."""
    right = cumulants(single_level().network, "R", order=3)
    for k, (left, r) in enumerate(zip(single_level_cumulants, right), start=1):
        assert is_zero(r - (-1) ** k * left), k


def test_energy_counting_of_a_single_level():
    """Every jump through the level carries energy epsilon: C_k(energy) = epsilon^k C_k(charge)."""
    model = single_level(onsite=eps, leads=((eps + 5, 0), (eps - 5, 0)))
    charge = cumulants(model.network, "L", order=3)
    energy = cumulants(model.network, "L", quantity="energy", order=3)
    for k, (c, e) in enumerate(zip(charge, energy), start=1):
        assert is_zero(e - eps**k * c), k


def test_tilted_generator_at_zero_counting_field_is_the_generator():
    network = single_level().network
    chi = sp.Symbol("chi", real=True)
    tilted = tilted_generator(network, "L", chi=chi)
    assert tilted.subs(chi, 0) == network.generator()
    assert tilted[1, 0] == gamma_l * f_l * sp.exp(sp.I * chi) + gamma_r * f_r


def random_network(rng, n):
    """A random irreducible network: a ring through channels L and R in turn, random extra jumps
    with random channels and charges (integers and halves)."""
    states = [f"s{i}" for i in range(n)]
    edges = []
    for i in range(n):
        ring = (states[i], states[(i + 1) % n], sp.Rational(rng.randint(1, 30), 10), "LR"[i % 2], {"charge": 1})
        edges.append(ring)
        for j in range(n):
            if i != j and rng.random() < 0.6:
                channel = rng.choice(["L", "R", None])
                charge = rng.choice([1, -1, 2, sp.Rational(1, 2)])
                rate = sp.Rational(rng.randint(1, 30), 10)
                edges.append((states[i], states[j], rate, channel, {"charge": charge} if channel else {}))
    return RateNetwork(states, edges)


def vanishing_eigenvalue_derivatives(network, channel, order):
    """Oracle: the eigenvalue of W(chi) that vanishes at chi = 0, numerically at s = i chi on a
    grid (numpy eigvals), fitted by a polynomial: C_k = k! times its k-th coefficient."""
    s = sp.Symbol("s", real=True)
    matrix = sp.lambdify(s, tilted_generator(network, channel, chi=-sp.I * s), "numpy")
    grid = np.linspace(-0.25, 0.25, 41)
    eigenvalue = [max(np.linalg.eigvals(np.array(matrix(x), dtype=complex)), key=lambda z: z.real).real for x in grid]
    coefficients = np.polynomial.polynomial.polyfit(grid, eigenvalue, 12)
    return [math.factorial(k) * coefficients[k] for k in range(1, order + 1)]


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_cumulants_equal_the_vanishing_eigenvalue_of_random_networks(n):
    rng = random.Random(n)
    network = random_network(rng, n)
    for channel in ("L", "R"):
        exact = [float(c) for c in cumulants(network, channel, order=MAX_CUMULANT_ORDER)]
        oracle = vanishing_eigenvalue_derivatives(network, channel, MAX_CUMULANT_ORDER)
        np.testing.assert_allclose(exact[:3], oracle[:3], rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(exact[3], oracle[3], rtol=1e-4, atol=1e-6)


def test_symbolic_three_state_cycle_at_random_points():
    """A driven three-state cycle with symbolic rates: its closed-form cumulants, evaluated at
    random points, equal the oracle."""
    k = sp.symbols("k0:6", positive=True)
    network = RateNetwork(
        ["a", "b", "c"],
        [
            ("a", "b", k[0], "L", {"charge": 1}),
            ("b", "a", k[1], "L", {"charge": -1}),
            ("b", "c", k[2]),
            ("c", "b", k[3]),
            ("c", "a", k[4], "R", {"charge": -1}),
            ("a", "c", k[5], "R", {"charge": 1}),
        ],
    )
    closed = cumulants(network, "L", order=3, simplify=False)
    rng = random.Random(3)
    for _ in range(2):
        point = {symbol: sp.Rational(rng.randint(1, 40), 10) for symbol in k}
        oracle = vanishing_eigenvalue_derivatives(network.subs({str(s): v for s, v in point.items()}), "L", 3)
        np.testing.assert_allclose([float(c.xreplace(point)) for c in closed], oracle, rtol=1e-6)


def test_errors_name_what_is_wrong():
    network = single_level(onsite=0, leads=((5, 0), (-5, 0))).network
    with pytest.raises(ValueError, match="unknown channel 'X'"):
        cumulants(network, "X")
    with pytest.raises(ValueError, match="unknown quantity 'mass'"):
        tilted_generator(network, "L", quantity="mass")
    for order in (0, MAX_CUMULANT_ORDER + 1, 2.0):
        with pytest.raises(ValueError, match="order: expected an integer"):
            cumulants(network, "L", order=order)
    open_network = RateNetwork(["a", "b"], [("a", "b", 1, "L", {"charge": 1})], sinks={"b": 1})
    with pytest.raises(ValueError, match="closed network"):
        cumulants(open_network, "L")
    split = RateNetwork(["a", "b", "c"], [("a", "b", 1, "L", {"charge": 1}), ("a", "c", 1)])
    with pytest.raises(NonUniqueSteadyState):
        cumulants(split, "L")
    states = [f"s{i}" for i in range(MAX_STATES + 1)]
    ring = RateNetwork(states, [(a, b, 1, "L", {"charge": 1}) for a, b in zip(states, states[1:] + states[:1])])
    with pytest.raises(ClosedFormTooLarge, match=f"at most {MAX_STATES} states"):
        cumulants(ring, "L")
