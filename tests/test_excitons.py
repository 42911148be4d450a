"""Haken-Strobl-Reineker transport: steady-state efficiency with reinjection equals the absorption
probability, and the Pauli network agrees with the Lindblad model at strong dephasing."""

import numpy as np
import sympy
from symbolic_pme.numeric.dynamics import propagate
from symbolic_pme.numeric.lindblad import compile_lindblad
from symbolic_pme.numeric.network import compile_network

from symbolic_pme.quantum.models.excitons import haken_strobl_reineker
from symbolic_pme.quantum.reduction import adiabatic_elimination

gamma, refill = sympy.symbols("gamma r", positive=True)
SITES = {"1": 0.0, "2": 0.6, "3": -0.4}
COUPLINGS = {("1", "2"): 0.5, ("2", "3"): 0.3, ("1", "3"): 0.1}


def _efficiency(result):
    trap, loss = result.currents["excitation"]["trap"], result.currents["excitation"]["loss"]
    return trap / (trap + loss)


def test_steady_state_efficiency_equals_the_absorption_probability():
    closed = haken_strobl_reineker(
        SITES, COUPLINGS, gamma, traps={"3": 0.5}, losses={s: 0.02 for s in SITES}, reinjection=("1", refill)
    )
    open_ = haken_strobl_reineker(SITES, COUPLINGS, gamma, traps={"3": 0.5}, losses={s: 0.02 for s in SITES})
    gammas = np.array([0.0, 0.3, 3.0])
    steady = compile_lindblad(closed).sweep({"gamma": gammas, "r": np.array([0.1, 10.0])})
    efficiency = _efficiency(steady)
    np.testing.assert_allclose(efficiency[:, 0], efficiency[:, 1], rtol=1e-10)  # any reinjection rate
    # the probability of ending in the sink, from the evolution without reinjection (t -> oo)
    liouvillian = compile_lindblad(open_).liouvillian(gamma=gammas[:, None])[:, 0]
    n = len(open_.states)
    rho0 = np.zeros((n, n), complex)
    rho0[0, 0] = 1
    final = propagate(liouvillian, rho0.reshape(-1), [2000.0])[:, 0].reshape(-1, n, n)
    sink = open_.states.index("sink")
    np.testing.assert_allclose(final[:, sink, sink].real, efficiency[:, 0], rtol=1e-8)


def test_pauli_network_agrees_with_lindblad_at_strong_dephasing_only():
    model = haken_strobl_reineker(
        SITES, COUPLINGS, gamma, traps={"3": 0.5}, losses={s: 0.02 for s in SITES}, reinjection=("1", 1.0)
    )
    network = adiabatic_elimination(model, second_order=True)
    gammas = np.array([0.01, 100.0])
    exact = _efficiency(compile_lindblad(model).sweep({"gamma": gammas}))
    pauli = _efficiency(compile_network(network).sweep({"gamma": gammas}))
    assert abs(pauli[1] / exact[1] - 1) < 1e-3
    assert abs(pauli[0] / exact[0] - 1) > 0.05
