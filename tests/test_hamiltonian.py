"""Dot Hamiltonians: exact matrices from second-quantized terms, blocks, Hermiticity."""

import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian
from symbolic_pme.parsing import to_expr


def operator_sum(space, terms):
    """sum_k c_k * product of ladder matrices, built from the exact operator matrices."""
    total = sp.zeros(space.dimension)
    for coefficient, names in terms:
        product = sp.eye(space.dimension)
        for name, dagger in names:
            product = product * (space.creation(name) if dagger else space.annihilation(name))
        total += coefficient * product
    return total


def test_spinless_hamiltonian_equals_operator_algebra():
    eps_a, eps_b, omega, u = sp.symbols("epsilon_a epsilon_b Omega U", real=True)
    space = FockSpace(["a", "b"])
    h = Hamiltonian(space, onsite={"a": eps_a, "b": eps_b}, hopping={("a", "b"): omega}, coulomb={("a", "b"): u})
    n = {m: space.number(m) for m in space.modes}
    expected = (
        eps_a * n["a"]
        + eps_b * n["b"]
        + omega * (space.creation("a") * space.annihilation("b") + space.creation("b") * space.annihilation("a"))
        + u * n["a"] * n["b"]
    )
    assert sp.simplify(h.matrix - expected) == sp.zeros(4)
    # blocks per charge; the N=1 block couples |01> (b) and |10> (a) through Omega
    assert set(h.sectors) == {(0,), (1,), (2,)}
    assert h.block((1,)) == sp.Matrix([[eps_b, omega], [omega, eps_a]])
    assert h.block((2,)) == sp.Matrix([[eps_a + eps_b + u]])


def test_complex_hopping_adds_its_conjugate():
    t, phi = sp.symbols("t phi", real=True)
    space = FockSpace(["a", "b"])
    omega = t * sp.exp(sp.I * phi)
    h = Hamiltonian(space, hopping={("a", "b"): omega})
    # <10| H |01> = <a| Omega d_a^+ d_b |b> = Omega
    assert sp.simplify(h.element(0b10, 0b01) - omega) == 0
    assert sp.simplify(h.element(0b01, 0b10) - sp.conjugate(omega)) == 0


def test_spinful_coulomb_on_one_orbital_is_u_n_up_n_down_and_blocks_carry_sz():
    eps, u = sp.symbols("epsilon U", real=True)
    space = FockSpace(["d"], spin=True)
    h = Hamiltonian(space, onsite={"d": eps}, coulomb={("d", "d"): u})
    expected = eps * (space.number("d_up") + space.number("d_down")) + u * space.number("d_up") * space.number("d_down")
    assert h.matrix == expected
    assert h.conserves_sz
    assert list(h.sectors) == [(0, 0), (1, -sp.Rational(1, 2)), (1, sp.Rational(1, 2)), (2, 0)]


def test_density_density_equals_general_interaction_form():
    """U n_a n_b (spin summed) == sum_{s,s'} U d_as^+ d_bs'^+ d_bs' d_as (the spin-independent U_abba)."""
    u = sp.Symbol("U", real=True)
    space = FockSpace(["a", "b"], spin=True)
    density = Hamiltonian(space, coulomb={("a", "b"): u})
    general = Hamiltonian(space, interaction={("a", "b", "b", "a"): u})
    assert density.matrix == general.matrix
    spin_resolved = Hamiltonian(space, interaction={("a_up", "b_down", "b_down", "a_up"): u})
    expected = u * space.number("a_up") * space.number("b_down")
    assert spin_resolved.matrix == expected


def test_pair_hopping_interaction_needs_its_partner_to_be_hermitian():
    j = sp.Symbol("J", real=True)
    space = FockSpace(["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="not Hermitian"):
        Hamiltonian(space, interaction={("a", "b", "c", "d"): j})
    h = Hamiltonian(space, interaction={("a", "b", "c", "d"): j, ("d", "c", "b", "a"): j})
    terms = [
        (j, [("a", True), ("b", True), ("c", False), ("d", False)]),
        (j, [("d", True), ("c", True), ("b", False), ("a", False)]),
    ]
    assert h.matrix == operator_sum(space, terms)


def test_spin_flip_term_breaks_sz_blocks():
    t = sp.Symbol("t", real=True)
    space = FockSpace(["a", "b"], spin=True)
    h = Hamiltonian(space, hopping={("a_up", "b_down"): t})
    assert not h.conserves_sz
    assert all(len(key) == 1 for key in h.sectors)


def test_numbers_and_symbols_mix_and_parameters_are_reported():
    eps = sp.Symbol("eps")  # no assumptions: treated as a real parameter
    space = FockSpace(2)
    h = Hamiltonian(space, onsite={"0": eps, "1": 0.25}, hopping={("0", "1"): "eps/2"})
    assert {s.name for s in h.parameters} == {"eps"}
    assert all(s.is_real for s in h.parameters)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"onsite": {"z": 1}}, "unknown orbital 'z'"),
        ({"hopping": {("a", "a"): 1}}, "two different orbitals"),
        ({"hopping": {("a", "b"): 1, ("b", "a"): 1}}, "given twice"),
        ({"coulomb": {("a", "a"): 1}}, "needs spin=True"),
        ({"onsite": {"a": float("nan")}}, "onsite energy of 'a'.*not a finite number"),
        ({"onsite": {"a": 1j}}, "not Hermitian"),
        ({"hopping": {("a",): 1}}, "pair of orbital names"),
        ({"interaction": {("a", "b"): 1}}, "four orbital names"),
    ],
)
def test_bad_terms_are_rejected_with_the_culprit_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Hamiltonian(FockSpace(["a", "b"]), **kwargs)


def test_mixing_orbital_and_spin_orbital_names_is_ambiguous():
    space = FockSpace(["a", "b"], spin=True)
    with pytest.raises(ValueError, match="mix of orbital and spin-orbital"):
        Hamiltonian(space, hopping={("a", "b_up"): 1})


@pytest.mark.parametrize(
    "onsite",
    [
        {"a": 0.1, "b": -0.1, "c": 0.0},  # floats, with a zero and a cancelling pair
        {"a": sp.Rational(1, 3), "b": 2, "c": 0},  # exact numbers
        {"a": "e", "b": 0.25, "c": "e/2"},  # symbols: Add itself
    ],
    ids=["floats", "rationals", "symbols"],
)
def test_fock_energy_is_the_sum_of_its_diagonal_terms(onsite):
    """The numeric fast path of fock_energy returns what sympy.Add returns, type included."""
    space = FockSpace(["a", "b", "c"])
    dot = Hamiltonian(space, onsite=onsite, coulomb={("a", "b"): 0.5, ("b", "c"): -0.5})
    for position, state in enumerate(space.states):
        terms = []
        for action in dot.diagonal_actions:
            hits = [k for k, column in enumerate(action.columns) if column == position]
            terms += [int(action.signs[k]) * action.coefficient for k in hits]
        expected = sp.Add(*terms)
        assert sp.srepr(dot.fock_energy(position)) == sp.srepr(expected), state
        occupied = [name for name in "abc" if space.occupation(state, space.mode(name))]
        exact = sum(to_expr(onsite[name], "onsite") for name in occupied) + sp.Rational(1, 2) * (
            ("a" in occupied and "b" in occupied) - ("b" in occupied and "c" in occupied)
        )
        assert sp.simplify(dot.fock_energy(position) - exact) == 0
