"""Trapping efficiency and mean trapping time from one linear solve, against a long numeric
time integration; closed-form and numeric P(t)."""

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp
from symbolic_pme.numeric import compile_network, evolve_open_network
from symbolic_pme.numeric import first_passage as numeric_first_passage

from symbolic_pme import ClosedFormTooLarge, RateNetwork, boltzmann_network, first_passage, propagate

T = 0.3
ENERGIES = {"B1": 0.2, "B2": 0.1, "B3": 0.15, "RC": 0.0}
COUPLINGS = {("B1", "B2"): 2.0, ("B2", "B3"): 1.5, ("B3", "B1"): 1.0, ("B2", "RC"): 0.8}
K_TRAP, K_LOSS = 1.2, 0.05


def antenna() -> RateNetwork:
    """Three pigments in a ring and a reaction centre that traps; every pigment decays slowly."""
    sinks = [("RC", K_TRAP, "trap")] + [(s, K_LOSS, "loss") for s in ENERGIES]
    return boltzmann_network(ENERGIES, COUPLINGS, T, sinks=sinks, sources={"B1": 1.0})


def integrate(net: RateNetwork, start: str):
    """Yields and mean time by integrating dP/dt = W P with cumulative integrals, until the
    remaining population is below 1e-15 (a long integration, independent of the linear solve)."""
    w = np.array(net.generator(), dtype=float)
    n = len(net.states)
    trap = np.zeros(n)
    loss = np.zeros(n)
    for sink in net.sinks:
        (trap if sink.channel == "trap" else loss)[net.index(sink.state)] += float(sink.rate)

    def rhs(_, y):
        p = y[:n]
        return np.concatenate([w @ p, [trap @ p, loss @ p, p.sum()]])

    y0 = np.zeros(n + 3)
    y0[net.index(start)] = 1.0
    solution = solve_ivp(rhs, (0, 1000.0), y0, method="DOP853", rtol=1e-13, atol=1e-16)
    final = solution.y[:, -1]
    assert final[:n].sum() < 1e-15
    return final[n], final[n + 1], final[n + 2]


def test_trapping_from_one_solve_equals_long_time_integration():
    net = antenna()
    eta, lost, mean_time = integrate(net, "B1")
    exact = first_passage(net, "B1")
    assert abs(float(exact.yields["trap"]) - eta) < 1e-8
    assert abs(float(exact.yields["loss"]) - lost) < 1e-8
    assert abs(float(exact.mean_time) - mean_time) < 1e-8
    assert abs(float(exact.yields["trap"] + exact.yields["loss"]) - 1) < 1e-12
    compiled = compile_network(net)
    numeric = numeric_first_passage(compiled)  # starts where the source injects: B1
    by_method = compiled.first_passage()
    assert by_method.yields["trap"] == numeric.yields["trap"] and by_method.mean_time == numeric.mean_time
    np.testing.assert_array_equal(
        compiled.first_passage("B2").residence, numeric_first_passage(compiled, "B2").residence
    )
    assert abs(float(numeric.yields["trap"]) - eta) < 1e-8
    assert abs(float(numeric.mean_time) - mean_time) < 1e-8
    # batched over a sweep of the trap rate: the efficiency grows with k_trap (the loss on the
    # way to the reaction centre keeps it below 1)
    k = sp.Symbol("k_trap", positive=True)
    sweepable = RateNetwork(
        net.states,
        net.transitions,
        net.state_values,
        net.sources,
        [("RC", k, "trap")] + [(s, K_LOSS, "loss") for s in ENERGIES],
    )
    swept = numeric_first_passage(compile_network(sweepable), axes={"k_trap": np.array([0.1, K_TRAP, 100.0])})
    assert abs(swept.yields["trap"][1] - eta) < 1e-8
    assert np.all(np.diff(swept.yields["trap"]) > 0) and swept.yields["trap"][-1] < 1
    np.testing.assert_allclose(swept.yields["trap"] + swept.yields["loss"], 1.0, rtol=1e-12)


def test_symbolic_trapping_of_a_chain_equals_hand_derivation():
    """D -> I (k1), I -> D (k2), trap from I (k_t), loss from D (k_l):
    eta = k1 k_t / (k1 k_t + k_l (k2 + k_t)); mean time = (k1 + k2 + k_t) / (k1 k_t + k_l (k2 + k_t))."""
    k1, k2, kt, kl = sp.symbols("k1 k2 k_t k_l", positive=True)
    net = RateNetwork(["D", "I"], [("D", "I", k1), ("I", "D", k2)], sinks=[("I", kt, "trap"), ("D", kl, "loss")])
    result = first_passage(net, "D")
    denominator = k1 * kt + kl * (k2 + kt)
    assert sp.simplify(result.yields["trap"] - k1 * kt / denominator) == 0
    assert sp.simplify(result.mean_time - (k1 + k2 + kt) / denominator) == 0


def test_first_passage_needs_sinks_and_a_start():
    with pytest.raises(ValueError, match="no sinks"):
        first_passage(RateNetwork.from_rates({("a", "b"): 1, ("b", "a"): 1}), "a")
    with pytest.raises(ValueError, match="unknown state"):
        first_passage(antenna(), "nowhere")


def test_closed_form_dynamics_equals_hand_formulas():
    a, b, k, g = sp.symbols("a b k Gamma", positive=True)
    t = sp.Symbol("t", nonnegative=True)
    two_state = RateNetwork.from_rates({("1", "2"): a, ("2", "1"): b})
    p = propagate(two_state, "1", t)
    assert sp.simplify(p["1"] - (b + a * sp.exp(-(a + b) * t)) / (a + b)) == 0
    # equal rates along a chain: a defective generator, P_B = k t e^{-k t}
    chain = RateNetwork(["A", "B"], [("A", "B", k)], sinks={"B": k})
    assert sp.simplify(propagate(chain, "A", t)["B"] - k * t * sp.exp(-k * t)) == 0
    # a source switched on at t = 0 into an empty network
    fed = RateNetwork(["A"], [], sources={"A": g}, sinks={"A": k})
    assert sp.simplify(propagate(fed, None, t)["A"] - g / k * (1 - sp.exp(-k * t))) == 0


def test_closed_form_dynamics_refuses_large_networks():
    states = [f"s{i}" for i in range(6)]
    net = RateNetwork.from_rates({(a, b): 1 for a in states for b in states if a != b})
    with pytest.raises(ClosedFormTooLarge, match="numerically"):
        propagate(net, "s0")


def test_numeric_evolution_matches_closed_form_and_approaches_steady_state():
    net = RateNetwork(
        ["D", "I", "A"],
        [("D", "I", 1.0), ("I", "D", 0.5), ("I", "A", 2.0)],
        sources={"D": 1.0},
        sinks=[("I", 0.3, "loss"), ("A", 1.0, "extraction")],
    )
    t = sp.Symbol("t", nonnegative=True)
    exact = propagate(net, None, t)
    times = np.linspace(0.0, 60.0, 31)
    evolution = evolve_open_network(compile_network(net), times)
    closed = [[float(exact[s].subs(t, x)) for s in net.states] for x in times]
    np.testing.assert_allclose(evolution.populations, closed, atol=1e-10)
    steady = net.steady_state()
    np.testing.assert_allclose(evolution.populations[-1], [float(steady[s]) for s in net.states], rtol=1e-9)
    np.testing.assert_allclose(evolution.currents["population"]["source"], 1.0)
