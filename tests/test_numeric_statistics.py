"""Batched counting statistics (issue 11, item 2): ``CompiledNetwork.counting_statistics``.

1. Closed forms at random points, one batched call each, to 1e-12: the single level at large
   bias (C_1, the Fano factor (G_L^2 + G_R^2)/(G_L + G_R)^2 and C_3 from the exact cumulant
   generating function of the resonant level, differentiated here by SymPy), and the
   spin-degenerate level with U -> infinity, F = (4 G_L^2 + G_R^2)/(2 G_L + G_R)^2.
2. An independent oracle on small random models out of equilibrium: the eigenvalue of the tilted
   generator W(s) (each jump of the lead weighted by e^{s q}) that vanishes at s = 0, computed by
   ``numpy.linalg.eigvals`` on a circle of complex s and differentiated by Cauchy's integral
   (the trapezoid rule on the circle: a finite-difference stencil of spectral order); charge,
   energy and heat, C_1 to C_3, both leads, flat (8 states) and level (16 states) paths.
3. Fluctuation–dissipation on random models (spinless and spinful, 16 and 256 states): with both
   leads at one mu and T, C_2 = 2 T G for each lead, G = dI/dmu of that lead (exact derivative).
4. The block elimination along the charge levels equals the dense resolvent on 256 states out of
   equilibrium; C_1 equals the steady-state current; labels, shapes and refusals.
"""

import math

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric import compile_network
from test_random_models import load_random_model

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.networks.network import RateNetwork

RNG = np.random.default_rng(11)


def single_level(spin=False, U=None):
    eps, bias, t_l, t_r = sp.symbols("eps V tL tR", real=True)
    space = FockSpace(["d"], spin=spin)
    dot = Hamiltonian(space, onsite={"d": eps}, coulomb={("d", "d"): U} if U is not None else None)
    leads = [
        Lead("L", mu=bias / 2, temperature=0.01, coupling={"d": t_l}),
        Lead("R", mu=-bias / 2, temperature=0.01, coupling={"d": t_r}),
    ]
    return TransportModel(dot, leads).compile()


def random_couplings(points):
    t_l, t_r = RNG.uniform(0.02, 0.2, (2, points))
    return t_l, t_r, 2 * np.pi * t_l**2, 2 * np.pi * t_r**2


def resonant_level_cumulants():
    """C_1, C_2, C_3 of the resonant level at large bias from its exact generating function
    lambda(s) = (-(a + b) + sqrt((a - b)^2 + 4 a b e^s)) / 2, as functions of (a, b)."""
    a, b, s = sp.symbols("a b s", positive=True)
    generating = (-(a + b) + sp.sqrt((a - b) ** 2 + 4 * a * b * sp.exp(s))) / 2
    return [sp.lambdify((a, b), sp.diff(generating, s, k).subs(s, 0)) for k in (1, 2, 3)]


def test_single_level_at_large_bias_equals_the_closed_forms():
    t_l, t_r, gamma_l, gamma_r = random_couplings(50)
    compiled = single_level()
    result = compiled.counting_statistics(V=10.0, eps=RNG.uniform(-1, 1, 50), tL=t_l, tR=t_r)
    exact = [f(gamma_l, gamma_r) for f in resonant_level_cumulants()]
    assert result.shape == (50,) and result.quantity == "charge"
    np.testing.assert_allclose(result.current["L"], gamma_l * gamma_r / (gamma_l + gamma_r), rtol=1e-12)
    np.testing.assert_allclose(result.fano["L"], (gamma_l**2 + gamma_r**2) / (gamma_l + gamma_r) ** 2, rtol=1e-12)
    for k in (1, 2, 3):
        np.testing.assert_allclose(result.cumulant(k)["L"], exact[k - 1], rtol=1e-12)
        np.testing.assert_allclose(result.cumulant(k)["R"], (-1) ** k * exact[k - 1], rtol=1e-12)
    np.testing.assert_allclose(result.skewness["L"], exact[2], rtol=1e-12)


def test_spin_degenerate_level_with_large_u_equals_the_closed_form():
    t_l, t_r, gamma_l, gamma_r = random_couplings(20)
    compiled = single_level(spin=True, U=1e3)
    result = compiled.counting_statistics(V=10.0, eps=RNG.uniform(-1, 1, 20), tL=t_l, tR=t_r, order=2)
    np.testing.assert_allclose(result.current["L"], 2 * gamma_l * gamma_r / (2 * gamma_l + gamma_r), rtol=1e-12)
    fano = (4 * gamma_l**2 + gamma_r**2) / (2 * gamma_l + gamma_r) ** 2
    np.testing.assert_allclose(result.fano["L"], fano, rtol=1e-12)
    np.testing.assert_allclose(result.fano["R"], -fano, rtol=1e-12)  # C_1 < 0 into the dot from R
    with pytest.raises(ValueError, match="cumulants 1 to 2"):
        result.skewness


# --------------------------------------------------------------------------------------------------
# the eigenvalue oracle
# --------------------------------------------------------------------------------------------------
def tilted_generator_cumulants(compiled, values, lead, quantity, points=32):
    """C_1..C_3 from the eigenvalue of W(s) that vanishes at s = 0 (Cauchy's integral on a circle)."""
    generator = compiled.generator(values)
    rates = compiled.rates(values)
    state = compiled.steady_state(values)
    energies, charges = state.energies, state.state_values["charge"]
    mu = {"L": values["V"] / 2, "R": -values["V"] / 2}[lead]
    jumps = []
    for k, t in enumerate(compiled.network.transitions):
        if t.channel == lead:
            i, j = compiled.states.index(t.target), compiled.states.index(t.source)
            charge, energy = charges[i] - charges[j], energies[i] - energies[j]
            q = {"charge": charge, "energy": energy, "heat": energy - mu * charge}[quantity]
            jumps.append((i, j, rates[k], q))
    largest = max(abs(q) for *_, q in jumps)
    relaxation = np.sort(np.abs(np.linalg.eigvals(generator)))[1]
    radius = 0.5 * min(1.0, relaxation / np.abs(generator).max()) / largest
    circle = radius * np.exp(2j * np.pi * np.arange(points) / points)
    eigenvalues = []
    for s in circle:
        tilted = generator.astype(complex)
        for i, j, rate, q in jumps:
            tilted[i, j] += rate * (np.exp(s * q) - 1)
        values_s = np.linalg.eigvals(tilted)
        eigenvalues.append(values_s[np.argmin(np.abs(values_s))])
    eigenvalues = np.array(eigenvalues)
    return [float(np.real(math.factorial(k) * np.mean(eigenvalues / circle**k))) for k in (1, 2, 3)]


@pytest.mark.parametrize("orbitals, spin", [(3, False), (2, True)])
@pytest.mark.parametrize("quantity", ["charge", "energy", "heat"])
def test_cumulants_equal_the_tilted_generator_eigenvalue(orbitals, spin, quantity, tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, orbitals, spin, 7).compile()
    values = {"V": 0.35, "TL": 0.1, "TR": 0.15}
    result = compiled.counting_statistics(values, quantity=quantity)
    for lead in ("L", "R"):
        oracle = tilted_generator_cumulants(compiled, values, lead, quantity)
        np.testing.assert_allclose(result.cumulants[lead], oracle, rtol=1e-7, atol=1e-12 * abs(oracle[1]))


# --------------------------------------------------------------------------------------------------
# fluctuation-dissipation and the two paths
# --------------------------------------------------------------------------------------------------
@pytest.fixture(
    scope="module", params=[(4, False), (2, True), (8, False), (4, True)], ids=lambda p: f"{p[0]}{'s' * p[1]}"
)
def random_device(request, tmp_path_factory):
    orbitals, spin = request.param
    return load_random_model(tmp_path_factory, orbitals, spin, 3).compile()


def test_equilibrium_noise_is_twice_temperature_times_conductance(random_device):
    temperatures = np.array([0.05, 0.1, 0.2])
    values = {"V": 0.0, "TL": temperatures, "TR": temperatures}
    noise = random_device.counting_statistics(values, order=2).noise
    slopes = random_device.derivatives(values, with_respect_to=("mu[L]", "mu[R]")).current
    for lead in ("L", "R"):
        np.testing.assert_allclose(noise[lead], 2 * temperatures * slopes[f"mu[{lead}]"][lead], rtol=1e-9)


def test_level_elimination_equals_the_dense_resolvent(random_device):
    values = {"V": np.array([-0.6, 0.2, 0.9]), "TL": 0.1, "TR": 0.15}
    levels = random_device.counting_statistics(values, method="levels")
    dense = random_device.counting_statistics(values, method="dense")
    steady = random_device.steady_state(values)
    np.testing.assert_allclose(levels.probabilities, dense.probabilities, rtol=1e-10, atol=1e-15)
    for lead in ("L", "R"):
        np.testing.assert_allclose(levels.cumulants[lead], dense.cumulants[lead], rtol=1e-9)
        np.testing.assert_allclose(levels.current[lead], steady.current[lead], rtol=1e-10)


def test_sweeps_are_labelled_and_batched_like_steady_states():
    compiled = single_level()
    axes = {"eps": np.linspace(-0.5, 0.5, 4), "V": np.linspace(-1, 1, 3)}
    swept = compiled.counting_statistics(axes=axes, tL=0.1, tR=0.05)
    assert swept.shape == (4, 3) and list(swept.axes) == ["eps", "V"]
    assert swept.cumulants["L"].shape == (3, 4, 3) and swept.probabilities.shape == (4, 3, 2)
    point = compiled.counting_statistics(eps=axes["eps"][1], V=axes["V"][2], tL=0.1, tR=0.05)
    np.testing.assert_allclose(swept.cumulants["R"][:, 1, 2], point.cumulants["R"], rtol=1e-13)


def test_bad_requests_are_refused_by_name():
    compiled = single_level()
    with pytest.raises(ValueError, match="quantity: 'spin'"):
        compiled.counting_statistics(V=1, eps=0, tL=0.1, tR=0.1, quantity="spin")
    with pytest.raises(ValueError, match="order"):
        compiled.counting_statistics(V=1, eps=0, tL=0.1, tR=0.1, order=4)
    with pytest.raises(ValueError, match="method"):
        compiled.counting_statistics(V=1, eps=0, tL=0.1, tR=0.1, method="gth")
    scalar = compile_network(RateNetwork.from_rates({("a", "b"): 2, ("b", "a"): 1}))
    with pytest.raises(ValueError, match="transport models"):
        scalar.counting_statistics()
