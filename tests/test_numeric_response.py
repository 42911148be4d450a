"""Exact derivatives and thermoelectric linear response (issue 11, items 3 and 4, numeric).

1. ``CompiledNetwork.derivatives`` equals fourth-order central differences of steady-state solves
   (the test oracle, not the method; step 1e-4, truncation ~1e-13 relative) on random models
   (flat 8-state and level 16-state paths, and the dense resolvent): dP, and dI, dJ, dQ of both
   leads, along the bias, a lead temperature, ``mu[L]`` and ``T[R]``.
2. Parameters inside numerically diagonalized blocks (the triangle's gate, a hopping, a coupling
   and U, spinless and spinful) by first-order perturbation theory, checked the same way; a
   derivative that couples degenerate eigenstates is refused by name.
3. ``sum dP = 0``; Onsager reciprocity ``L_12 = L_21`` to 1e-10 on random models; the single
   level's thermopower ``S = (eps - mu)/T`` and tight coupling ``det L = 0``; refusals.
"""

import numpy as np
import pytest
import sympy as sp
from test_random_models import load_random_model

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel

STEP = 1e-4


def central_difference(compiled, values, parameter):
    """Fourth-order central differences along ``parameter`` of any steady-state output."""
    points = []
    for k in (-2, -1, 1, 2):
        shifted = dict(values)
        shifted[parameter] = values[parameter] + k * STEP
        points.append(compiled.steady_state(shifted))

    def stencil(get):
        a, b, c, d = (np.asarray(get(p)) for p in points)
        return (a - 8 * b + 8 * c - d) / (12 * STEP)

    return stencil


def assert_derivatives_match(compiled, values, directions, method="auto"):
    exact = compiled.derivatives(values, with_respect_to=directions, method=method)
    for direction in directions:
        stencil = central_difference(compiled, values, direction)
        np.testing.assert_allclose(exact.probabilities[direction].sum(axis=-1), 0.0, atol=1e-14)
        expected = stencil(lambda r: r.probabilities)
        np.testing.assert_allclose(exact.probabilities[direction], expected, atol=1e-8 * np.abs(expected).max())
        for quantity in ("charge", "energy", "heat"):
            for lead, value in exact.currents[quantity][direction].items():
                expected = stencil(lambda r: r.currents[quantity][lead])
                scale = max(np.abs(expected).max(), 1e-9)
                np.testing.assert_allclose(value, expected, rtol=1e-7, atol=1e-8 * scale)


@pytest.mark.parametrize("orbitals, spin, method", [(3, False, "auto"), (2, True, "auto"), (2, True, "dense")])
def test_derivatives_equal_central_differences_on_random_models(orbitals, spin, method, tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, orbitals, spin, 5).compile()
    values = {"V": 0.3, "TL": 0.1, "TR": 0.15}
    assert_derivatives_match(compiled, values, ("V", "TL"), method)


def test_lead_directions_are_the_parts_of_a_parameter_direction(tmp_path_factory):
    """mu_L = V/2 and mu_R = -V/2: d/dV = (d/dmu_L - d/dmu_R)/2; d/dTR = d/dT[R]."""
    compiled = load_random_model(tmp_path_factory, 3, False, 5).compile()
    values = {"V": np.array([-0.4, 0.3]), "TL": 0.1, "TR": 0.15}
    d = compiled.derivatives(values, with_respect_to=("V", "mu[L]", "mu[R]", "TR", "T[R]"))
    for quantity in ("charge", "heat"):
        for lead in ("L", "R"):
            by_mu = (d.currents[quantity]["mu[L]"][lead] - d.currents[quantity]["mu[R]"][lead]) / 2
            np.testing.assert_allclose(d.currents[quantity]["V"][lead], by_mu, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(d.currents[quantity]["TR"][lead], d.currents[quantity]["T[R]"][lead], rtol=1e-12)


def triangle(spin=False, hoppings=(None, 0.02, 0.05), onsite=None):
    gate, bias, omega, t_c, u = sp.symbols("gate V Omega tc U", real=True)
    space = FockSpace(["a", "b", "c"], spin=spin)
    ab, bc, ca = (omega if h is None else h for h in hoppings)
    dot = Hamiltonian(
        space,
        onsite=onsite or {"a": gate, "b": gate + 0.1, "c": 0.3 * gate + 0.2},
        hopping={("a", "b"): ab, ("b", "c"): bc, ("c", "a"): ca},
        coulomb=None if onsite is not None else {("a", "b"): u, **({("a", "a"): 0.3} if spin else {})},
    )
    substrate = Lead("substrate", mu=0, temperature=0.1, coupling={"a": t_c, "b": 0.1, "c": 0.1})
    tip = Lead("tip", mu=bias, temperature=0.1, coupling={"a": 0.01, "b": 0.01, "c": 0.001})
    return TransportModel(dot, [substrate, tip]).compile()


@pytest.mark.parametrize("spin", [False, True], ids=["spinless", "spinful"])
def test_derivatives_through_mixed_blocks_equal_central_differences(spin):
    # with spin, an on-site U on "a" lifts the spin degeneracies inside the charge blocks (where
    # eigh's basis of a degenerate pair may turn between the stencil's points)
    compiled = triangle(spin)
    values = {"gate": -0.1, "V": 0.4, "Omega": 0.07, "tc": 0.08, "U": 0.3}
    assert_derivatives_match(compiled, values, ("gate", "Omega", "tc", "U"), "auto" if not spin else "levels")


def test_a_derivative_coupling_degenerate_eigenstates_is_refused_by_name():
    e_a = sp.Symbol("e_a", real=True)
    compiled = triangle(hoppings=(0.05, 0.05, 0.05), onsite={"a": e_a, "b": 0, "c": 0})  # E = 0.1, -0.05, -0.05
    with pytest.raises(ValueError, match="'e_a'.*degenerate"):
        compiled.derivatives(e_a=0.0, V=0.3, tc=0.1, with_respect_to=("e_a",))
    assert compiled.derivatives(e_a=0.0, V=0.3, tc=0.1, with_respect_to=("V",)).shape == ()


# --------------------------------------------------------------------------------------------------
# thermoelectrics
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("orbitals, spin", [(3, False), (2, True), (4, True)])
def test_onsager_reciprocity_on_random_models(orbitals, spin, tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, orbitals, spin, 9).compile()
    temperatures = np.array([0.05, 0.1, 0.3])
    result = compiled.thermoelectric(V=0.0, TL=temperatures, TR=temperatures)
    onsager = result.onsager
    assert onsager.shape == (3, 2, 2)
    scale = np.sqrt(onsager[..., 0, 0] * onsager[..., 1, 1])
    np.testing.assert_array_less(np.abs(onsager[..., 0, 1] - onsager[..., 1, 0]), 1e-10 * scale)
    np.testing.assert_allclose(
        result.conductance * result.seebeck**2 * temperatures / result.thermal_conductance,
        result.figure_of_merit,
        rtol=1e-9,
    )
    assert np.all(result.thermal_conductance > 0) and np.all(result.conductance > 0)


def test_single_level_thermopower_and_tight_coupling():
    eps, mu, temperature = sp.symbols("eps mu T", real=True)
    space = FockSpace(["d"])
    leads = [Lead(name, mu=mu, temperature=temperature, coupling={"d": t}) for name, t in (("L", 0.1), ("R", 0.03))]
    compiled = TransportModel(Hamiltonian(space, onsite={"d": eps}), leads).compile()
    rng = np.random.default_rng(3)
    e, m, t = rng.uniform(-0.3, 0.3, 20), rng.uniform(-0.1, 0.1, 20), rng.uniform(0.05, 0.3, 20)
    result = compiled.thermoelectric(eps=e, mu=m, T=t)
    np.testing.assert_allclose(result.seebeck, (e - m) / t, rtol=1e-11)
    onsager = result.onsager
    determinant = onsager[..., 0, 0] * onsager[..., 1, 1] - onsager[..., 0, 1] * onsager[..., 1, 0]
    np.testing.assert_array_less(np.abs(determinant), 1e-11 * onsager[..., 0, 0] * onsager[..., 1, 1])
    np.testing.assert_allclose(onsager[..., 1, 0], (e - m) * onsager[..., 0, 0], rtol=1e-11)  # Q = (eps - mu) I
    assert result.lead == "L" and result.shape == (20,)


def test_bad_requests_are_refused_by_name(tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, 3, False, 5).compile()
    with pytest.raises(ValueError, match="unknown direction 'W'.*mu\\[L\\]"):
        compiled.derivatives(V=0.1, with_respect_to=("W",))
    with pytest.raises(ValueError, match="temperature of lead 'L' must be positive"):
        compiled.derivatives(V=0.1, TL=0.0, with_respect_to=("V",))
    with pytest.raises(ValueError, match="chemical potentials differ"):
        compiled.thermoelectric(V=0.1, TL=0.1, TR=0.1)
    with pytest.raises(ValueError, match="temperatures differ"):
        compiled.thermoelectric(V=0.0, TL=0.1, TR=0.2)
    with pytest.raises(ValueError, match="unknown lead 'X'"):
        compiled.thermoelectric(V=0.0, TL=0.1, TR=0.1, lead="X")
