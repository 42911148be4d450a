"""The secular-condition report: lifetime broadening against the level spacing within a block."""

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric.validity import secular_ratio

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel

delta = sp.Symbol("Delta", real=True)


def two_levels():
    """Levels a at 0 and b at Delta (one charge block for N = 1), both coupled to two leads."""
    dot = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": 0, "b": delta})
    leads = [
        Lead("L", mu=0.5, temperature=0.05, coupling={"a": 0.1, "b": 0.05}),
        Lead("R", mu=-0.5, temperature=0.05, coupling={"a": 0.08, "b": 0.1}),
    ]
    return TransportModel(dot, leads)


def test_ratio_is_mean_broadening_over_spacing():
    model = two_levels()
    solver = model.compile()
    result = solver.sweep({"Delta": [0.0, 0.01, 2.0]})
    check = secular_ratio(solver, result)
    # hand computation: broadening of '01' (b occupied) and '10' (a occupied) = total rates out
    f = lambda x, temperature=0.05: 1 / (np.exp(x / temperature) + 1)
    g = lambda t: 2 * np.pi * t**2
    for k, d in enumerate([0.0, 0.01, 2.0]):
        # out of '10' (a filled): a empties into L or R; b fills from L or R
        out_a = g(0.1) * f(-(0 - 0.5)) + g(0.08) * f(-(0 + 0.5)) + g(0.05) * f(d - 0.5) + g(0.1) * f(d + 0.5)
        out_b = g(0.05) * f(-(d - 0.5)) + g(0.1) * f(-(d + 0.5)) + g(0.1) * f(0 - 0.5) + g(0.08) * f(0 + 0.5)
        assert check.ratio[k] == pytest.approx(((out_a + out_b) / 2) / d if d else np.inf, rel=1e-12)
    assert check.worst == ("01", "10")
    assert list(check.valid()) == [False, False, True]


def test_blocks_split_by_spin_and_no_pairs_means_no_condition():
    anderson = TransportModel(
        Hamiltonian(FockSpace(["d"], spin=True), onsite={"d": 0.1}, coulomb={("d", "d"): 0.5}),
        [Lead("L", mu=0, temperature=0.1, coupling={"d": 0.1})],
    )
    solver = anderson.compile()
    result = solver.solve()
    # up and down are degenerate but live in different S_z blocks: no coherence between them
    check = secular_ratio(solver, result)
    assert check.ratio == 0 and check.worst is None


def test_triangle_reports_its_closest_pair():
    V = sp.Symbol("V", real=True)
    dot = Hamiltonian(
        FockSpace(["a", "b", "c"]),
        onsite={"a": 0.0, "b": 0.1, "c": 0.2},
        hopping={("a", "b"): 0.05, ("b", "c"): 0.02, ("c", "a"): 0.05},
    )
    leads = [
        Lead("substrate", mu=0, temperature=0.1, coupling={"a": 0.1, "b": 0.1, "c": 0.1}),
        Lead("tip", mu=V, temperature=0.1, coupling={"a": 0.01, "b": 0.01, "c": 0.001}),
    ]
    solver = TransportModel(dot, leads).compile()
    result = solver.sweep({"V": np.linspace(-1, 1, 5)})
    check = secular_ratio(solver, result)
    assert check.ratio.shape == (5,)
    assert np.all(np.isfinite(check.ratio)) and np.all(check.ratio > 0)
    assert check.worst[0].startswith("N=") and check.worst[1].startswith("N=")


def test_needs_energies():
    from symbolic_pme import RateNetwork, numeric

    network = RateNetwork(["x", "y"], [("x", "y", 1.0), ("y", "x", 2.0)])
    solver = numeric.compile_network(network)
    with pytest.raises(ValueError, match="needs the state value 'energy'"):
        secular_ratio(solver, solver.solve())
