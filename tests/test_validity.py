"""Validity of the Pauli reduction: eigenvalue check against 2W, the report's verdicts, the
symbolic conditions."""

import numpy as np
import pytest
import sympy
from symbolic_pme.numeric.lindblad import compile_lindblad
from symbolic_pme.numeric.validity import check_reduction, slowest_relaxation

from symbolic_pme.quantum.lindblad import two_level
from symbolic_pme.quantum.models.excitons import haken_strobl_reineker
from symbolic_pme.quantum.reduction import adiabatic_elimination
from symbolic_pme.quantum.validity import coherence_decay_rates, coupling_conditions

V, w0, gamma = sympy.symbols("V omega0 gamma", real=True)
MODEL = two_level(w0, V, gamma)
NETWORK = adiabatic_elimination(MODEL)


def test_slowest_liouvillian_eigenvalue_approaches_minus_two_w():
    v = 0.7
    eigenvalues = compile_lindblad(MODEL).eigenvalues(V=v, omega0=0.0, gamma=1000 * v)
    w = 2 * v**2 / (1000 * v)  # W at omega0 = 0
    assert abs(eigenvalues[0]) < 1e-12  # the steady state
    slowest = eigenvalues[1]
    assert abs(slowest.imag) < 1e-12
    assert abs(slowest.real + 2 * w) / (2 * w) < 1e-4
    # exact: lambda = -gamma/2 + sqrt(gamma^2/4 - 4 V^2) (hbar = 1, omega0 = 0)
    g = 1000 * v
    assert abs(slowest.real - (-g / 2 + np.sqrt(g**2 / 4 - 4 * v**2))) < 1e-12 * g


@pytest.mark.parametrize("ratio", [0.1, 0.5, 1.0, 1.5, 2.0])
def test_report_flags_weak_dephasing_at_resonance_as_invalid(ratio):
    report = check_reduction(MODEL, NETWORK, V=1.0, omega0=0.0, gamma=ratio)
    assert report.oscillating and not report.valid  # complex eigenvalues for gamma < 4|V|
    assert "NOT valid" in str(report) and "OSCILLATE" in str(report)


def test_report_accepts_strong_dephasing_and_measures_the_errors():
    report = check_reduction(MODEL, NETWORK, V=1.0, omega0=0.0, gamma=1000.0)
    assert report.valid and not report.oscillating
    assert report.rate_error < 1e-5  # 4 V^2 / gamma^2 = 4e-6
    assert report.dynamics_error < 1e-5
    assert float(report.coupling_ratio) == pytest.approx(4e-6)
    assert float(report.secular_ratio) == pytest.approx(1000 / 2)  # hbar gamma / 2|V|


def test_report_on_a_grid_is_never_valid_where_populations_oscillate():
    gammas = np.linspace(0.05, 8.0, 60)
    report = check_reduction(MODEL, NETWORK, axes={"gamma": gammas, "omega0": [0.0, 3.0]}, V=1.0)
    assert report.shape == (60, 2)
    resonant = report.valid[:, 0]
    assert not np.any(resonant[gammas <= 4.0])  # exceptional point at gamma = 4|V|
    assert not np.any(report.valid & report.oscillating)
    assert np.all(report.rate_error[report.valid] < 0.05)
    # the error falls off like the coupling ratio 4V^2/(gamma^2 + omega0^2) where valid
    assert np.all(report.rate_error[report.valid] < 2 * report.coupling_ratio[report.valid])


def test_slowest_relaxation_of_a_pauli_generator():
    w = np.array([[-1.0, 2.0], [1.0, -2.0]])  # rates 1 and 2: relaxation rate 3
    assert slowest_relaxation(w) == pytest.approx(-3.0)


def test_symbolic_conditions():
    kappa = sympy.Symbol("kappa", positive=True)
    model = haken_strobl_reineker({"1": 0, "2": w0}, {("1", "2"): V}, gamma, traps={"2": kappa})
    assert sympy.simplify(coherence_decay_rates(model)[("1", "2")] - (gamma + kappa / 2)) == 0
    expected = 4 * V**2 / (w0**2 + (gamma + kappa / 2) ** 2)
    assert sympy.simplify(coupling_conditions(model)[("1", "2")] - expected) == 0
    assert sympy.simplify(coupling_conditions(MODEL)[("1", "2")] - 4 * V**2 / (gamma**2 + w0**2)) == 0


def test_check_reduction_input_errors():
    other = adiabatic_elimination(two_level(w0, V, gamma, states=("x", "y")))
    with pytest.raises(ValueError, match="states"):
        check_reduction(MODEL, other, V=1, omega0=0, gamma=10)
    with pytest.raises(ValueError, match="tolerance"):
        check_reduction(MODEL, NETWORK, V=1, omega0=0, gamma=10, tolerance=0)
