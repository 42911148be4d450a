"""Currents along a time evolution: the same compiled evaluation as in steady states."""

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric import compile_network, evolve_network, evolve_open_network

from symbolic_pme import FockSpace, Hamiltonian, Lead, RateNetwork, TransportModel

eps = sp.Symbol("epsilon", real=True)


def single_level():
    return TransportModel(
        Hamiltonian(FockSpace(["d"]), onsite={"d": eps}),
        [
            Lead("L", mu=0.3, temperature=0.05, coupling={"d": 0.1}),
            Lead("R", mu=-0.3, temperature=0.05, coupling={"d": 0.05}),
        ],
    ).compile()


def test_single_level_currents_start_from_the_empty_level_and_reach_the_steady_state():
    solver = single_level()
    times = np.array([0.0, 1e4])  # 1e4 >> 1/Gamma
    evolution = evolve_network(solver, times, "0", axes={"epsilon": [0.0, 0.5]})
    steady = solver.sweep({"epsilon": [0.0, 0.5]})
    f = lambda x: 1 / (np.exp(x / 0.05) + 1)
    gamma_l, gamma_r = 2 * np.pi * 0.1**2, 2 * np.pi * 0.05**2
    eps_values = np.array([0.0, 0.5])
    # at t = 0 the level is empty: I_L = Gamma_L f_L(eps), J_L = eps I_L, I_R = Gamma_R f_R(eps)
    assert np.allclose(evolution.currents["charge"]["L"][:, 0], gamma_l * f(eps_values - 0.3), rtol=1e-12)
    assert np.allclose(evolution.currents["energy"]["L"][:, 0], eps_values * gamma_l * f(eps_values - 0.3), rtol=1e-12)
    assert np.allclose(evolution.currents["charge"]["R"][:, 0], gamma_r * f(eps_values + 0.3), rtol=1e-12)
    for quantity in ("charge", "energy", "heat"):
        for lead in ("L", "R"):
            late = evolution.currents[quantity][lead][:, -1]
            assert np.allclose(late, steady.currents[quantity][lead], rtol=1e-9, atol=1e-15)


def test_trap_current_is_minus_the_trap_rate_times_the_trapped_population():
    k_trap = 0.7
    network = RateNetwork(["D", "A"], [("D", "A", 1.3), ("A", "D", 0.2)], sinks=[("A", k_trap, "trap")])
    times = np.linspace(0, 5, 11)
    evolution = evolve_open_network(compile_network(network), times, "D")
    trap = evolution.currents["population"]["trap"]
    assert trap.shape == (11,)
    assert np.allclose(trap, -k_trap * evolution.population("A"), rtol=1e-12, atol=0)
    assert trap[0] == 0 and np.all(trap[1:] < 0)


def test_populations_of_the_wrong_shape_are_rejected():
    solver = single_level()
    grid = solver.grid(epsilon=0.1)
    with pytest.raises(ValueError, match="populations: expected shape"):
        solver.currents_for(grid, np.ones((3, 5)))


def test_evolve_method_equals_the_functions_for_closed_and_open_networks():
    solver = single_level()
    times = np.linspace(0.0, 50.0, 6)
    by_function = evolve_network(solver, times, "0", axes={"epsilon": [0.0, 0.5]})
    by_method = solver.evolve(times, "0", axes={"epsilon": [0.0, 0.5]})
    np.testing.assert_array_equal(by_method.populations, by_function.populations)
    np.testing.assert_array_equal(by_method.currents["charge"]["L"], by_function.currents["charge"]["L"])
    with pytest.raises(ValueError, match="initial: give the initial state"):
        solver.evolve(times, None, epsilon=0.0)
    network = RateNetwork(
        ["D", "A"], [("D", "A", 1.3), ("A", "D", 0.2)], sinks=[("A", 0.7, "trap")], sources={"D": 0.4}
    )
    compiled = compile_network(network)
    for initial in ("D", None):
        by_function = evolve_open_network(compiled, times, initial)
        by_method = compiled.evolve(times, initial)
        np.testing.assert_array_equal(by_method.populations, by_function.populations)
        np.testing.assert_array_equal(
            by_method.currents["population"]["trap"], by_function.currents["population"]["trap"]
        )
    # long times approach the open network's steady populations
    late = compiled.evolve(np.array([0.0, 200.0]))
    np.testing.assert_allclose(late.populations[-1], compiled.solve().probabilities, rtol=1e-9)
