"""The first-order (Redfield) equations of a transport model, their secular reduction to the Pauli
network (equal to TransportModel.network rate by rate), and the Stoof-Nazarov current of a serial
double dot derived from the device's coherent equations at infinite bias."""

import pytest
import sympy

from symbolic_pme.functions import fermi
from symbolic_pme.quantum import (
    FirstOrderEquations,
    LindbladModel,
    adiabatic_elimination,
    decay,
    infinite_bias,
)
from symbolic_pme.transport import FockSpace, Hamiltonian, Lead, TransportModel

e_a, e_b, mu, T, t_a, t_b, U, w = sympy.symbols("e_a e_b mu T t_a t_b U w", real=True)


def by_key(network):
    return {(t.source, t.target, t.channel): t for t in network.transitions}


def assert_equal_networks(derived, pauli):
    """Same transitions, every rate equal (simplify(diff) == 0), the same carried quantities."""
    ours, theirs = by_key(derived), by_key(pauli)
    assert set(ours) == set(theirs)
    for key, transition in ours.items():
        assert sympy.simplify(transition.rate - theirs[key].rate) == 0, key
        assert transition.carries == theirs[key].carries, key


def two_levels(**couplings):
    """Levels a, b (Coulomb U between them) and two leads that both couple to both levels."""
    dot = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": e_a, "b": e_b}, coulomb={("a", "b"): U}, **couplings)
    return TransportModel(dot, [Lead("L", mu, T, {"a": t_a, "b": t_b}), Lead("R", -mu, T, {"a": t_b, "b": t_a})])


def test_redfield_coefficients_are_qmeq_s_redfield_kernel_without_principal_parts():
    equations = FirstOrderEquations(two_levels())
    # rho_00 -> rho_{01,10}: pi T_ba T_b'a'^* (f(E_b - E_a) + f(E_b' - E_a')) summed over the leads
    into_coherence = equations.coefficient(("01", "10"), of=("00", "00"))
    lead_l = sympy.pi * t_b * t_a * (fermi(e_b - mu, T) + fermi(e_a - mu, T))
    lead_r = sympy.pi * t_a * t_b * (fermi(e_b + mu, T) + fermi(e_a + mu, T))
    assert sympy.simplify(into_coherence - lead_l - lead_r) == 0
    # the population part is the golden rule; the coherence oscillates at E_01 - E_10 and decays
    assert (
        sympy.simplify(
            equations.coefficient(("01", "01"), of=("00", "00"))
            - 2 * sympy.pi * (t_b**2 * fermi(e_b - mu, T) + t_a**2 * fermi(e_b + mu, T))  # R couples b by t_a
        )
        == 0
    )
    own = equations.coefficient(("01", "10"), of=("01", "10"))
    assert sympy.simplify(sympy.im(own) + (e_b - e_a)) == 0
    assert equations.elements == (("00", "00"), ("01", "01"), ("01", "10"), ("10", "01"), ("10", "10"), ("11", "11"))
    with pytest.raises(ValueError, match="not a kept element"):
        equations.coefficient(("00", "01"), of=("00", "00"))


def test_secular_reduction_of_fock_diagonal_levels_is_the_pauli_network():
    model = two_levels()
    reduction = FirstOrderEquations(model).secular()
    assert reduction.kept == ()
    assert reduction.dropped == {("01", "10"): e_b - e_a}
    # the dropped coherence entered every population equation: that is what Pauli neglects
    assert set(reduction.dropped_terms) == {"00", "01", "10", "11"}
    assert all(term.has(sympy.Symbol("rho[01,10]", complex=True)) for term in reduction.dropped_terms.values())
    assert_equal_networks(reduction.network, model.network)
    # what is left of the population equations is dP/dt = W P exactly
    equations = FirstOrderEquations(model).equations()
    populations = sympy.Matrix([sympy.Symbol(f"rho[{s},{s}]", real=True) for s in model.states])
    generator = model.network.generator() * populations
    for k, s in enumerate(model.states):
        left = equations[(s, s)] - reduction.dropped_terms[s]
        assert sympy.simplify(left - generator[k]) == 0


def test_secular_reduction_with_numeric_eigenstates_and_a_band_is_the_pauli_network():
    dot = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": e_a, "b": e_b}, hopping={("a", "b"): w})
    leads = [Lead("L", mu, T, {"a": t_a}), Lead("R", -mu, T, {"b": t_b}, band=(-1, 1))]
    model = TransportModel(dot, leads)
    reduction = FirstOrderEquations(model).secular()
    # the hybridized one-electron states are placeholders: non-degenerate, so their coherence goes
    ((pair, difference),) = reduction.dropped.items()
    assert pair == ("N=1:0", "N=1:1")
    assert difference == sympy.Symbol("E_{N=1:0}", real=True) - sympy.Symbol("E_{N=1:1}", real=True)
    assert_equal_networks(reduction.network, model.network)


def test_spinful_anderson_level_reduces_to_the_pauli_network():
    dot = Hamiltonian(FockSpace(["d"], spin=True), onsite={"d": e_a}, coulomb={("d", "d"): U})
    model = TransportModel(dot, [Lead("L", mu, T, {"d": t_a}), Lead("R", -mu, T, {"d": t_b})])
    reduction = FirstOrderEquations(model).secular()
    # up and down lie in different S_z blocks: no coherence between them is kept or dropped
    assert reduction.kept == () and reduction.dropped == {}
    assert_equal_networks(reduction.network, model.network)


def test_degenerate_levels_keep_their_coherence_and_give_no_rate_network():
    dot = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": e_a, "b": e_a})
    model = TransportModel(dot, [Lead("L", mu, T, {"a": t_a, "b": t_b})])
    reduction = FirstOrderEquations(model).secular()
    assert reduction.kept == (("01", "10"),) and reduction.dropped == {}
    assert reduction.network is None


def test_redfield_at_infinite_bias_is_the_lindblad_model_of_infinite_bias():
    """Fermi functions 1 (emitter L) and 0 (collector R) at every energy: the eigenbasis Redfield
    equations of Fock-diagonal levels equal the Lindblad equations of infinite_bias exactly."""
    mu_l, mu_r = sympy.symbols("mu_L mu_R", real=True)
    dot = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": e_a, "b": e_b})
    model = TransportModel(dot, [Lead("L", mu_l, T, {"a": t_a, "b": t_b}), Lead("R", mu_r, T, {"a": t_b})])
    redfield = FirstOrderEquations(model).equations()
    lindblad = infinite_bias(model, emitters=["L"], collectors=["R"])
    rename, between_blocks = {}, set()
    for symbol in lindblad.density_matrix().free_symbols:
        a, b = symbol.name[len("rho_") :].split(",")
        rename[symbol] = sympy.Symbol(f"rho[{a},{b}]", **({"real": True} if a == b else {"complex": True}))
        if (a, b) not in redfield:
            between_blocks.add(symbol)
    for (a, b), rhs in lindblad.equations().items():
        if (a, b) not in redfield:  # between charge blocks: driven only by its own kind, so it stays 0
            assert rhs.free_symbols - {e_a, e_b, t_a, t_b} <= between_blocks
            continue
        limit = redfield[(a, b)].replace(fermi, lambda x, t: 1 if x.has(mu_l) else 0)
        assert sympy.expand(limit - rhs.xreplace(rename)) == 0, (a, b)


# --------------------------------------------------------------------------------------------------
# Serial double dot at infinite bias (Stoof and Nazarov 1996; Gurvitz and Prager 1996)
# --------------------------------------------------------------------------------------------------

gamma_l, gamma_r = sympy.symbols("Gamma_L Gamma_R", positive=True)
eps, omega = sympy.symbols("epsilon Omega", real=True)

# Stoof and Nazarov, Phys. Rev. B 53, 1050 (1996): H = eps/2 (n_L - n_R) + Omega (d_L^+ d_R + h.c.)
# (their T_c is Omega, eps = E_L - E_R), hbar = e = 1, Gamma_L fills L, Gamma_R empties R, U -> oo
STOOF_NAZAROV = gamma_r * omega**2 / (omega**2 * (2 + gamma_r / gamma_l) + gamma_r**2 / 4 + eps**2)


def serial_double_dot() -> TransportModel:
    dot = Hamiltonian(FockSpace(["L", "R"]), onsite={"L": eps / 2, "R": -eps / 2}, hopping={("L", "R"): omega})
    V = sympy.Symbol("V", positive=True)
    leads = [  # Gamma = 2 pi |t|^2; the bias V drops out at infinite bias
        Lead("left", V / 2, T, {"L": sympy.sqrt(gamma_l / (2 * sympy.pi))}),
        Lead("right", -V / 2, T, {"R": sympy.sqrt(gamma_r / (2 * sympy.pi))}),
    ]
    return TransportModel(dot, leads)


def test_stoof_nazarov_current_from_the_device_s_coherent_equations():
    coherent = infinite_bias(serial_double_dot(), emitters=["left"], collectors=["right"], max_charge=1)
    assert coherent.states == ("00", "01", "10")  # empty, R occupied, L occupied (U -> oo)
    rho = coherent.steady_state()
    current = coherent.current("charge", "left", rho)
    assert sympy.simplify(current - STOOF_NAZAROV) == 0
    assert sympy.simplify(coherent.current("charge", "right", rho) + STOOF_NAZAROV) == 0
    # the hand-written Lindblad model of tests/test_reduction.py (states 0, L, R) gives the same rho
    states = ["0", "L", "R"]
    by_hand = LindbladModel(
        states,
        [[0, 0, 0], [0, eps / 2, omega], [0, omega, -eps / 2]],
        [
            decay(states, "0", "L", gamma_l, channel="left", carries={"charge": 1}),
            decay(states, "R", "0", gamma_r, channel="right", carries={"charge": -1}),
        ],
    )
    order = [coherent.index(s) for s in ("00", "10", "01")]
    assert sympy.simplify(rho.extract(order, order) - by_hand.steady_state()) == sympy.zeros(3, 3)
    # the coherence-eliminated network: its L -> R rate is 2 Omega^2 (Gamma_R/2)/(eps^2 + Gamma_R^2/4)
    # and its current is the same formula, exactly (dC/dt = 0 holds in the steady state)
    network = adiabatic_elimination(coherent)
    (hop,) = [t for t in network.transitions if (t.source, t.target) == ("10", "01")]
    assert sympy.simplify(hop.rate - 2 * omega**2 * (gamma_r / 2) / (eps**2 + gamma_r**2 / 4)) == 0
    assert sympy.simplify(network.current("charge", "left") - STOOF_NAZAROV) == 0


def test_infinite_bias_input_errors():
    model = serial_double_dot()
    with pytest.raises(ValueError, match="not placed: right"):
        infinite_bias(model, emitters=["left"], collectors=[])
    with pytest.raises(ValueError, match="named twice"):
        infinite_bias(model, emitters=["left"], collectors=["left", "right"])
    with pytest.raises(ValueError, match="unknown lead"):
        infinite_bias(model, emitters=["middle"], collectors=["left", "right"])
    with pytest.raises(ValueError, match="max_charge"):
        infinite_bias(model, emitters=["left"], collectors=["right"], max_charge=-1)
