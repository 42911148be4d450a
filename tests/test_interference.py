"""Quantum beats: the product flux of a superposition has an interference term and oscillates;
the Pauli reduction of the same model does not."""

import numpy as np
import sympy
from symbolic_pme.numeric.dynamics import evolve_network
from symbolic_pme.numeric.lindblad import compile_lindblad
from symbolic_pme.numeric.network import compile_network

from symbolic_pme.quantum.models.interference import beat_model, pure_state, unitary_evolution
from symbolic_pme.quantum.reduction import adiabatic_elimination

omega, theta, t = sympy.symbols("omega theta t", real=True)
ga, gb = sympy.symbols("Gamma_a Gamma_b", positive=True)


def test_product_flux_has_a_phase_dependent_interference_term():
    model = beat_model(omega, ga, gb)
    rho = model.density_matrix()
    flux = model.current("product", "reaction", rho)
    interference = sympy.sqrt(ga * gb) * (rho[0, 1] + rho[1, 0])
    assert sympy.simplify(flux - (ga * rho[0, 0] + gb * rho[1, 1] + interference)) == 0
    start = pure_state(model.states, {"a": 1, "b": sympy.exp(sympy.I * theta)})
    beating = model.current("product", "reaction", unitary_evolution(model, start, t))
    expected = (ga + gb) / 2 + sympy.sqrt(ga * gb) * sympy.cos(omega * t + theta)
    assert sympy.simplify((beating - expected).rewrite(sympy.cos)) == 0


def test_lindblad_flux_beats_and_the_rate_picture_misses_it():
    model = beat_model(omega, ga, gb)
    values = {"omega": 2 * np.pi, "Gamma_a": 0.2, "Gamma_b": 0.2}  # beat period 1, lifetime 5
    times = np.linspace(0, 4, 401)
    start = np.array([[0.5, 0.5, 0], [0.5, 0.5, 0], [0, 0, 0]]) * 1.0
    exact = compile_lindblad(model).evolve(times, start, **values).currents["product"]["reaction"]
    assert abs(exact[0] - 0.4) < 1e-12  # (Gamma_a + Gamma_b)/2 + sqrt(Gamma_a Gamma_b) cos 0
    slope = np.sign(np.diff(exact))
    assert np.count_nonzero(slope[1:] != slope[:-1]) >= 7  # about two turning points per beat
    network = adiabatic_elimination(model)
    pauli = evolve_network(compile_network(network), times, {"a": 0.5, "b": 0.5}, **values)
    flux = pauli.currents["product"]["reaction"]
    assert np.all(np.diff(flux) < 0)  # a plain decay
    # averaged over whole beat periods the two agree to a few per cent
    period = np.searchsorted(times, [1.0, 3.0])
    assert abs(exact[period[0] : period[1]].mean() / flux[period[0] : period[1]].mean() - 1) < 0.05
