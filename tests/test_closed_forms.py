"""Closed forms the tool derives itself equal the textbook formulas exactly."""

import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, NonUniqueSteadyState, TransportModel, fermi

eps, u = sp.symbols("epsilon U", real=True)
mu_l, mu_r = sp.symbols("mu_L mu_R", real=True)
t_l, t_r = sp.symbols("t_L t_R", positive=True)
temp_l, temp_r = sp.symbols("T_L T_R", positive=True)
gamma_l, gamma_r = 2 * sp.pi * t_l**2, 2 * sp.pi * t_r**2


def two_leads(orbital):
    return [
        Lead("L", mu=mu_l, temperature=temp_l, coupling={orbital: t_l}),
        Lead("R", mu=mu_r, temperature=temp_r, coupling={orbital: t_r}),
    ]


def f_l(energy):
    return fermi(energy - mu_l, temp_l)


def f_r(energy):
    return fermi(energy - mu_r, temp_r)


def is_zero(expr):
    return sp.simplify(expr) == 0


def test_single_level():
    """P1 = (GL fL + GR fR)/(GL + GR), I = GL GR/(GL + GR) (fL - fR), J = eps I, Q = J - mu I."""
    model = TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": eps}), two_leads("d"))
    probabilities = model.steady_state()
    assert set(probabilities) == {"0", "1"}
    assert is_zero(probabilities["1"] - (gamma_l * f_l(eps) + gamma_r * f_r(eps)) / (gamma_l + gamma_r))
    assert is_zero(probabilities["0"] + probabilities["1"] - 1)
    current = gamma_l * gamma_r / (gamma_l + gamma_r) * (f_l(eps) - f_r(eps))
    assert is_zero(model.current("L") - current)
    assert is_zero(model.current("R") + current)
    assert is_zero(model.energy_current("L") - eps * current)
    assert is_zero(model.heat_current("L") - (eps - mu_l) * current)


def test_single_level_generator_is_the_textbook_matrix():
    model = TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": eps}), two_leads("d"))
    into = gamma_l * f_l(eps) + gamma_r * f_r(eps)
    out = gamma_l * (1 - f_l(eps)) + gamma_r * (1 - f_r(eps))
    assert sp.simplify(model.network.generator() - sp.Matrix([[-into, out], [into, -out]])) == sp.zeros(2)


def test_spinful_anderson_level_with_finite_u():
    """The Anderson level (Gamma per spin channel): textbook P0, P_up = P_down, P2 and total I."""
    space = FockSpace(["d"], spin=True)
    model = TransportModel(Hamiltonian(space, onsite={"d": eps}, coulomb={("d", "d"): u}), two_leads("d"))
    a = gamma_l * f_l(eps) + gamma_r * f_r(eps)
    a_bar = gamma_l * (1 - f_l(eps)) + gamma_r * (1 - f_r(eps))
    b = gamma_l * f_l(eps + u) + gamma_r * f_r(eps + u)
    b_bar = gamma_l * (1 - f_l(eps + u)) + gamma_r * (1 - f_r(eps + u))
    d = a_bar * b_bar + 2 * a * b_bar + a * b
    p = model.steady_state()
    assert set(p) == {"0", "↑", "↓", "2"}
    assert is_zero(p["0"] - a_bar * b_bar / d)
    assert is_zero(p["↑"] - a * b_bar / d)
    assert is_zero(p["↓"] - a * b_bar / d)
    assert is_zero(p["2"] - a * b / d)
    current = 2 * gamma_l * gamma_r * (b_bar * (f_l(eps) - f_r(eps)) + a * (f_l(eps + u) - f_r(eps + u))) / d
    assert is_zero(model.current("L") - current)
    assert is_zero(model.current("L") + model.current("R"))


def test_closed_form_occupation_is_the_expectation_of_n():
    model = TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": eps}), two_leads("d"))
    occupation = model.network.expectation("n_d")
    assert is_zero(occupation - model.steady_state()["1"])


def test_zero_couplings_give_a_clear_non_unique_error():
    model = TransportModel(
        Hamiltonian(FockSpace(["d"]), onsite={"d": eps}),
        [Lead("L", mu=0, temperature=1, coupling={"d": 0}), Lead("R", mu=0, temperature=1, coupling={"d": 0})],
    )
    assert model.network.transitions == ()
    with pytest.raises(NonUniqueSteadyState, match="2 closed classes"):
        model.steady_state()
    with pytest.raises(NonUniqueSteadyState):
        model.compile()


def test_disconnected_orbital_is_reported():
    """An orbital no lead couples to makes the network reducible: its occupation never changes."""
    space = FockSpace(["a", "b"])
    model = TransportModel(
        Hamiltonian(space, onsite={"a": eps, "b": 0}),
        [Lead("L", mu=mu_l, temperature=temp_l, coupling={"a": t_l})],
    )
    with pytest.raises(NonUniqueSteadyState, match="not unique"):
        model.steady_state()


def test_spin_polarized_lead_couples_one_spin_orbital():
    """Lead L couples only d_up: its jumps carry S_z = +-1/2 per electron, so its spin current is
    exactly half its particle current; lead R (both spins) balances both."""
    space = FockSpace(["d"], spin=True)
    leads = [
        Lead("L", mu=mu_l, temperature=temp_l, coupling={"d_up": t_l}),
        Lead("R", mu=mu_r, temperature=temp_r, coupling={"d": t_r}),
    ]
    model = TransportModel(Hamiltonian(space, onsite={"d": eps}, coulomb={("d", "d"): u}), leads)
    assert all(t.carries["spin"] in (sp.S.Half, -sp.S.Half) for t in model.network.transitions if t.channel == "L")
    assert {t.carries["spin"] * t.carries["charge"] for t in model.network.transitions if t.channel == "L"} == {
        sp.S.Half
    }
    p = model.steady_state(simplify=False)
    spin_l = model.network.current("spin", "L", p, simplify=False)
    charge_l = model.network.current("charge", "L", p, simplify=False)
    assert is_zero(spin_l - charge_l / 2)
    assert is_zero(spin_l + model.network.current("spin", "R", p, simplify=False))
    # the amplitude matrix of the down channel of L vanishes, that of the up channel does not
    assert model.tunnelling_amplitudes("L", spin="down") == sp.zeros(4)
    assert model.tunnelling_amplitudes("L", spin="up") != sp.zeros(4)
