"""Fock space: basis order, labels, sectors, and exact ladder operators."""

import itertools

import pytest
import sympy as sp

from symbolic_pme import FockSpace


@pytest.mark.parametrize(
    "orbitals, spin",
    [(1, False), (2, False), (3, False), (6, False), (1, True), (2, True), (3, True)],
    ids=lambda v: str(v),
)
def test_canonical_anticommutation_relations(orbitals, spin):
    """{d_i, d_j^+} = delta_ij and {d_i, d_j} = 0 as exact matrices, up to 6 spin-orbitals."""
    space = FockSpace(orbitals, spin=spin)
    d = [space.annihilation(m) for m in range(space.n_modes)]
    dag = [space.creation(m) for m in range(space.n_modes)]
    identity = sp.eye(space.dimension)
    zero = sp.zeros(space.dimension)
    for i, j in itertools.product(range(space.n_modes), repeat=2):
        assert d[i] * dag[j] + dag[j] * d[i] == (identity if i == j else zero)
        assert d[i] * d[j] + d[j] * d[i] == zero
        assert dag[i] * dag[j] + dag[j] * dag[i] == zero


def test_creation_is_adjoint_of_annihilation_and_number_operator():
    space = FockSpace(["a", "b", "c"])
    for name in space.modes:
        assert space.creation(name) == space.annihilation(name).T
        assert space.number(name) == space.creation(name) * space.annihilation(name)
    total = sum((space.number(m) for m in space.modes), sp.zeros(space.dimension))
    assert total == space.charge_operator
    assert total == sp.diag(*[space.charge(s) for s in space.states])


def test_basis_order_and_labels_follow_design():
    """Ordered by charge, then by integer with orbital 0 as the most significant bit."""
    space = FockSpace(["a", "b", "c"])
    assert [space.label(s) for s in space.states] == ["000", "001", "010", "100", "011", "101", "110", "111"]
    assert space.states == (0, 1, 2, 4, 3, 5, 6, 7)
    assert space.charge_sectors() == {0: (0,), 1: (1, 2, 4), 2: (3, 5, 6), 3: (7,)}


def test_jordan_wigner_sign_convention():
    """|n_0 n_1 ...> = (d_0^+)^n0 (d_1^+)^n1 ... |0>: d_1^+ on |10> picks up (-1)^{n_0} = -1."""
    space = FockSpace(2)
    # states: 00 -> 0, 01 -> 1, 10 -> 2, 11 -> 3 (integers); d_1^+ |10> = -|11>
    assert space.apply([(1, True)], 0b10) == (-1, 0b11)
    assert space.apply([(0, True)], 0b01) == (1, 0b11)
    assert space.apply([(0, True)], 0b10) is None
    # d_0^+ d_1^+ |00> = |11>, and d_1^+ d_0^+ |00> = -|11>
    assert space.apply([(0, True), (1, True)], 0) == (1, 0b11)
    assert space.apply([(1, True), (0, True)], 0) == (-1, 0b11)


def test_spin_orbitals_are_ordered_up_then_down_and_labelled_per_orbital():
    space = FockSpace(["a", "b"], spin=True)
    assert space.modes == ("a_up", "b_up", "a_down", "b_down")
    assert space.modes_of("a") == (0, 2)
    assert space.modes_of("b_down") == (3,)
    # |a_up b_up a_down b_down> = |1 0 0 1>: a up, b down
    state = 0b1001
    assert space.label(state) == "↑↓"
    assert space.sz(state) == 0
    assert space.label(0b1010) == "20"
    assert space.sz(0b1100) == 1


def test_orbitals_by_count_are_named_by_index():
    space = FockSpace(3)
    assert space.orbitals == ("0", "1", "2")
    assert space.mode("2") == 2


@pytest.mark.parametrize(
    "orbitals, spin, message",
    [
        (0, False, "at least one"),
        ([], False, "at least one"),
        (["a", "a"], False, "unique"),
        (["a", ""], False, "non-empty"),
        (["a_up"], True, "_up/_down"),
    ],
)
def test_bad_orbitals_are_rejected(orbitals, spin, message):
    with pytest.raises(ValueError, match=message):
        FockSpace(orbitals, spin=spin)


def test_unknown_orbital_names_are_reported_by_name():
    space = FockSpace(["a", "b"], spin=True)
    with pytest.raises(ValueError, match="unknown orbital 'z'"):
        space.modes_of("z")
    with pytest.raises(ValueError, match="'a' has two spin-orbitals"):
        space.mode("a")
    with pytest.raises(ValueError, match="out of range"):
        space.creation(7)
