"""Adiabatic elimination of coherences: the two-level W, Haken-Strobl-Reineker rates with traps
and losses, and the Stoof-Nazarov double dot (Pauli current = Lindblad current for all dephasing)."""

import numpy as np
import pytest
import sympy
from symbolic_pme.numeric.lindblad import compile_lindblad
from symbolic_pme.numeric.network import compile_network

from symbolic_pme.quantum.lindblad import LindbladModel, decay, dephasing, two_level
from symbolic_pme.quantum.models.excitons import haken_strobl_reineker
from symbolic_pme.quantum.reduction import adiabatic_elimination, driven_coherences, stationary_coherences

V, w0, gamma = sympy.symbols("V omega0 gamma", real=True)
hbar = sympy.Symbol("hbar", positive=True)


def _rate(network, source, target, channel=None):
    (transition,) = [t for t in network.transitions if (t.source, t.target, t.channel) == (source, target, channel)]
    return transition.rate


def test_two_level_rate_is_derived_exactly():
    network = adiabatic_elimination(two_level(hbar * w0, V, gamma, hbar=hbar))
    expected = 2 * sympy.Abs(V) ** 2 * gamma / (hbar**2 * (w0**2 + gamma**2))
    assert sympy.simplify(_rate(network, "1", "2") - expected) == 0
    assert sympy.simplify(_rate(network, "2", "1") - expected) == 0
    assert len(network.transitions) == 2


def test_two_level_rate_with_a_complex_coupling_depends_on_its_modulus_only():
    phi = sympy.Symbol("phi", real=True)
    network = adiabatic_elimination(two_level(w0, V * sympy.exp(sympy.I * phi), gamma))
    assert sympy.simplify(_rate(network, "1", "2") - 2 * V**2 * gamma / (w0**2 + gamma**2)) == 0


def test_stationary_coherence_is_the_step_before_substitution():
    model = two_level(w0, V, gamma)
    rho = model.density_matrix()
    (coherence,) = [v for k, v in stationary_coherences(model).items() if k == ("1", "2")]
    # 0 = -i V (rho_22 - rho_11) - (i omega0 + gamma) rho_12
    expected = -sympy.I * V * (rho[1, 1] - rho[0, 0]) / (sympy.I * w0 + gamma)
    assert sympy.simplify(coherence - expected) == 0


def test_haken_strobl_reineker_rates_use_the_total_coherence_decay():
    e1, e2, e3, v12, v23 = sympy.symbols("E1 E2 E3 V12 V23", real=True)
    kappa, loss = sympy.symbols("kappa Gamma", positive=True)
    model = haken_strobl_reineker(
        {"1": e1, "2": e2, "3": e3},
        {("1", "2"): v12, ("2", "3"): v23},
        gamma,
        traps={"3": kappa},
        losses={"1": loss, "2": loss, "3": loss},
        hbar=hbar,
    )
    network = adiabatic_elimination(model, second_order=True)

    def hsr(v, delta, total):  # W = 2|V|^2 Gamma / (Delta^2 + hbar^2 Gamma^2)
        return 2 * v**2 * total / (delta**2 + hbar**2 * total**2)

    g12 = gamma + loss  # dephasing + (Gamma_1 + Gamma_2)/2
    g23 = gamma + loss + kappa / 2  # dephasing + (Gamma_2 + Gamma_3 + kappa_3)/2
    assert sympy.simplify(_rate(network, "1", "2") - hsr(v12, e1 - e2, g12)) == 0
    assert sympy.simplify(_rate(network, "3", "2") - hsr(v23, e2 - e3, g23)) == 0
    # the dephasing alone would be wrong when the trap is fast
    assert sympy.simplify(_rate(network, "3", "2") - hsr(v23, e2 - e3, gamma)) != 0
    # no coupling 1-3: no direct rate at second order
    assert not [t for t in network.transitions if {t.source, t.target} == {"1", "3"}]
    # traps and losses keep their channels and carried quantities
    assert _rate(network, "3", "sink", "trap") == kappa
    assert _rate(network, "2", "ground", "loss") == loss
    trap = [t for t in network.transitions if t.channel == "trap"][0]
    assert trap.carries == {"excitation": -1}


def test_second_order_differs_from_the_exact_elimination_beyond_second_order():
    e, v, g = sympy.Rational(1, 3), sympy.Rational(1, 2), sympy.Rational(2)
    model = haken_strobl_reineker({"1": 0, "2": e, "3": 0}, {("1", "2"): v, ("2", "3"): v}, g)
    exact = adiabatic_elimination(model)
    second = adiabatic_elimination(model, second_order=True)
    assert len(driven_coherences(model)) == 6  # rho_13 is fed through rho_12 and rho_23
    assert len(driven_coherences(model, second_order=True)) == 4
    assert [t for t in exact.transitions if (t.source, t.target) == ("1", "3")]  # superexchange
    assert sympy.simplify(_rate(exact, "1", "2") - _rate(second, "1", "2")) != 0


# --------------------------------------------------------------------------------------------------
# Serial double dot (Stoof and Nazarov 1996)
# --------------------------------------------------------------------------------------------------

gamma_l, gamma_r, tc, gamma_phi = sympy.symbols("Gamma_L Gamma_R T_c gamma_phi", positive=True)
eps = sympy.Symbol("epsilon", real=True)


def double_dot(dephasing_rate):
    """States 0 (empty), L, R; H = eps/2 (n_L - n_R) + T_c (|L><R| + |R><L|); Gamma_L fills L
    from the left lead, Gamma_R empties R into the right lead; ``dephasing_rate`` gamma_phi is
    the decay rate of rho_LR from dephasing (jumps |L><L| and |R><R| at rate gamma_phi)."""
    states = ["0", "L", "R"]
    h = sympy.Matrix([[0, 0, 0], [0, eps / 2, tc], [0, tc, -eps / 2]])
    jumps = [
        decay(states, "0", "L", gamma_l, channel="left", carries={"charge": 1}),
        decay(states, "R", "0", gamma_r, channel="right", carries={"charge": -1}),
        *dephasing(states, dephasing_rate, dephased=["L", "R"]),
    ]
    return LindbladModel(states, h, jumps)


def test_lindblad_current_is_the_stoof_nazarov_formula():
    model = double_dot(0)
    current = model.current("charge", "left", model.steady_state())
    stoof_nazarov = gamma_r * tc**2 / (tc**2 * (2 + gamma_r / gamma_l) + gamma_r**2 / 4 + eps**2)
    assert sympy.simplify(current - stoof_nazarov) == 0


def test_pauli_reduction_reproduces_the_lindblad_current_for_every_dephasing_rate():
    model = double_dot(gamma_phi)
    network = adiabatic_elimination(model)
    total = gamma_r / 2 + gamma_phi  # Gamma_LR: half the tunnelling-out rate plus dephasing
    hopping = 2 * tc**2 * total / (eps**2 + total**2)
    assert sympy.simplify(_rate(network, "L", "R") - hopping) == 0
    lindblad_current = model.current("charge", "left", model.steady_state())
    pauli_current = network.current("charge", "left")
    assert sympy.simplify(lindblad_current - pauli_current) == 0
    assert sympy.simplify(network.current("charge", "right") + pauli_current) == 0
    # numerically, with the batched solvers, along a dephasing sweep that includes 0
    values = {"Gamma_L": 1.0, "Gamma_R": 0.4, "T_c": 0.3, "epsilon": 0.2}
    axis = {"gamma_phi": np.array([0.0, 0.01, 0.3, 5.0])}
    exact = compile_lindblad(model).sweep(axis, **values)
    pauli = compile_network(network).sweep(axis, **values)
    np.testing.assert_allclose(exact.currents["charge"]["left"], pauli.currents["charge"]["left"], rtol=1e-12)
    np.testing.assert_allclose(exact.probabilities, pauli.probabilities, atol=1e-12)


def test_elimination_input_errors():
    model = two_level(w0, V, gamma)
    with pytest.raises(ValueError, match="population, not a coherence"):
        adiabatic_elimination(model, [("1", "1")])
    with pytest.raises(ValueError, match="unknown state 'x'"):
        adiabatic_elimination(model, [("1", "x")])
    with pytest.raises(ValueError, match="neither decay nor oscillate"):
        adiabatic_elimination(two_level(0, V, 0))


def test_excitons_input_errors():
    with pytest.raises(ValueError, match="dephasing rate"):
        haken_strobl_reineker({"1": 0, "2": 1}, {("1", "2"): 1}, -1)
    with pytest.raises(ValueError, match="unknown site 'x'"):
        haken_strobl_reineker({"1": 0, "2": 1}, {("1", "x"): 1}, 1)
    with pytest.raises(ValueError, match="given twice"):
        haken_strobl_reineker({"1": 0, "2": 1}, {("1", "2"): 1, ("2", "1"): 1}, 1)
    with pytest.raises(ValueError, match="traps: unknown site"):
        haken_strobl_reineker({"1": 0}, {}, 1, traps={"9": 1})
    with pytest.raises(ValueError, match="reinjection: needs a trap"):
        haken_strobl_reineker({"1": 0, "2": 1}, {("1", "2"): 1}, 1, reinjection=("1", 1))
