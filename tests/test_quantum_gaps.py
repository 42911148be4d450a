"""Quantum-to-classical gaps: exact elimination with float entries, per-site dephasing, trapping of
Lindblad models and of their reduced networks with one API, transfer efficiency directly, the FMO
label of tutorial 03, and float cycle ratios in detailed_balance."""

import json
import math
from pathlib import Path

import pytest
import sympy

from symbolic_pme.errors import NonUniqueSteadyState
from symbolic_pme.networks import RateNetwork, detailed_balance, first_passage
from symbolic_pme.quantum import (
    Jump,
    LindbladModel,
    absorbing_states,
    adiabatic_elimination,
    coherence_decay_rates,
    transfer_efficiency,
    trapping,
)
from symbolic_pme.quantum.models import haken_strobl_reineker

gamma = sympy.Symbol("gamma", positive=True)


def rates(network):
    return {(t.source, t.target, t.channel): t.rate for t in network.transitions}


def fmo_corner(dephasing):
    """Sites 1-3 of the FMO matrix of tutorial 03 (cm^-1), a trap on 3 and a loss on every site."""
    energies = {"1": 200.0, "2": 320.0, "3": 0.0}
    couplings = {("1", "2"): -87.7, ("1", "3"): 5.5, ("2", "3"): 30.8}
    return haken_strobl_reineker(
        energies, couplings, dephasing, traps={"3": 5.3088}, losses={s: 5.3088e-3 for s in energies}
    )


def test_exact_elimination_with_float_entries_and_a_free_dephasing_rate_equals_the_numeric_one():
    symbolic = adiabatic_elimination(fmo_corner(gamma))  # minutes before; now about a second
    for value in (3.0, 250.0):
        numeric = rates(adiabatic_elimination(fmo_corner(value)))
        derived = {k: r.subs(gamma, value) for k, r in rates(symbolic).items()}
        assert set(derived) == set(numeric)
        for key, rate in derived.items():
            assert not rate.has(sympy.I) and rate.free_symbols == set()
            assert math.isclose(float(rate), float(numeric[key]), rel_tol=1e-10), key
    # float input gives float rates (not rationals with 30-digit numerators)
    assert all(r.atoms(sympy.Rational) <= {sympy.Integer(k) for k in range(-9, 10)} for r in rates(symbolic).values())


def test_per_site_dephasing_rates():
    g1, g2, v, d = sympy.symbols("gamma_1 gamma_2 V Delta", positive=True)
    model = haken_strobl_reineker({"1": d, "2": 0}, {("1", "2"): v}, {"1": g1, "2": g2})
    assert sympy.simplify(coherence_decay_rates(model)[("1", "2")] - (g1 + g2) / 2) == 0
    total = (g1 + g2) / 2
    rate = rates(adiabatic_elimination(model, second_order=True))[("1", "2", None)]
    assert sympy.simplify(rate - 2 * v**2 * total / (d**2 + total**2)) == 0
    # one rate for every site is the old scalar argument; a site left out is not dephased
    uniform = haken_strobl_reineker({"1": d, "2": 0}, {("1", "2"): v}, {"1": gamma, "2": gamma})
    scalar = haken_strobl_reineker({"1": d, "2": 0}, {("1", "2"): v}, gamma)
    assert uniform.liouvillian() == scalar.liouvillian()
    partial = haken_strobl_reineker({"1": d, "2": 0}, {("1", "2"): v}, {"2": g2})
    assert coherence_decay_rates(partial)[("1", "2")] == g2 / 2
    with pytest.raises(ValueError, match="dephasing_rate: unknown site 'x'"):
        haken_strobl_reineker({"1": 0}, {}, {"x": g1})


D, V, kappa, loss = sympy.symbols("D V kappa Gamma", positive=True)


def trapped_dimer(**options):
    return haken_strobl_reineker(
        {"A": D, "B": 0}, {("A", "B"): V}, gamma, traps={"B": kappa}, losses={"A": loss, "B": loss}, **options
    )


def test_lindblad_trapping_equals_the_exactly_reduced_network_s_first_passage():
    model = trapped_dimer()
    assert absorbing_states(model) == ("sink", "ground")
    quantum = trapping(model, "A")
    network = adiabatic_elimination(model)  # sink and ground stay states of the network
    classical = first_passage(network, "A")  # they are its absorbing states: no sinks needed
    assert set(quantum.yields) == set(classical.yields) == {"trap", "loss"}
    for channel in quantum.yields:
        assert sympy.simplify(quantum.yields[channel] - classical.yields[channel]) == 0
    assert sympy.simplify(quantum.mean_time - classical.mean_time) == 0
    assert sympy.simplify(quantum.residence["A"] - classical.residence["A"]) == 0
    assert sympy.simplify(sum(quantum.yields.values()) - 1) == 0
    # one API for both: trapping() of the network is first_passage with the absorbing states
    assert trapping(network, "A", absorbing=["sink", "ground"]) == classical
    # for two sites the second-order (Haken-Strobl-Reineker) elimination is exact too
    second_order = trapping(adiabatic_elimination(model, second_order=True), "A")
    assert sympy.simplify(second_order.mean_time - quantum.mean_time) == 0


def test_trapping_time_of_two_degenerate_sites_in_closed_form():
    model = haken_strobl_reineker({"A": 0, "B": 0}, {("A", "B"): V}, gamma, traps={"B": kappa})
    result = trapping(model, "A")
    hopping = 4 * V**2 / (2 * gamma + kappa)  # the Pauli rate with Gamma_AB = gamma + kappa/2
    assert result.yields == {"trap": 1}
    assert sympy.simplify(result.mean_time - (2 / kappa + 1 / hopping)) == 0
    # from a coherent superposition (no Pauli counterpart) the phase moves the mean time by
    # -+ 1/(2V) about the average of the two starts: (|A> -+ i|B>)/sqrt(2)
    average = (result.mean_time + trapping(model, "B").mean_time) / 2
    for sign in (1, -1):
        superposed = trapping(model, sympy.Matrix([[1, sign * sympy.I, 0], [-sign * sympy.I, 1, 0], [0, 0, 0]]) / 2)
        assert superposed.yields == {"trap": 1}
        assert sympy.simplify(superposed.mean_time - (average - sign / (2 * V))) == 0


def test_transfer_efficiency_directly_equals_the_reinjection_workaround():
    # exact rationals: the closed-form Lindblad steady state of four states in six symbols is slow
    values = {D: sympy.Rational(1, 3), V: sympy.Rational(1, 2), kappa: 2, loss: sympy.Rational(1, 10), gamma: 3}
    direct = transfer_efficiency(trapped_dimer().subs(values), "A")
    assert sympy.simplify(transfer_efficiency(trapped_dimer(), "A").subs(values) - direct) == 0
    reinjected = trapped_dimer(reinjection=("A", sympy.Rational(7, 5))).subs(values)
    rho = reinjected.steady_state()
    trap = reinjected.current("excitation", "trap", rho)
    lost = reinjected.current("excitation", "loss", rho)
    assert sympy.simplify(direct - trap / (trap + lost)) == 0
    network = adiabatic_elimination(trapped_dimer().subs(values))
    assert transfer_efficiency(network, "A") == direct
    with pytest.raises(ValueError, match="unknown sink channel 'photon'"):
        transfer_efficiency(network, "A", channel="photon")


def test_trapping_input_errors():
    model = trapped_dimer()
    with pytest.raises(ValueError, match="a Lindblad model has no sources"):
        trapping(model)
    with pytest.raises(ValueError, match="starts .*in an absorbing state"):
        trapping(model, "sink")
    with pytest.raises(ValueError, match="'A' is not absorbing"):
        trapping(model, "B", absorbing=["A"])
    with pytest.raises(ValueError, match="no absorbing state"):
        trapping(haken_strobl_reineker({"A": 0, "B": 0}, {("A", "B"): V}, gamma), "A")
    # the antisymmetric state of two degenerate sites fed symmetrically into a trap never leaves
    states = ["A", "B", "sink"]
    trap = sympy.Matrix([[0, 0, 0], [0, 0, 0], [1, 1, 0]])
    dark = LindbladModel(states, sympy.zeros(3, 3), [Jump(trap, kappa, "trap")])
    with pytest.raises(NonUniqueSteadyState, match="never reaches an absorbing state"):
        trapping(dark, "A")
    with pytest.raises(ValueError, match="no sinks and no absorbing states"):
        first_passage(RateNetwork.from_rates({("a", "b"): 1, ("b", "a"): 1}), "a")


def test_detailed_balance_prints_float_cycle_ratios_for_float_rates():
    boltzmann = math.exp(4.0)
    ring = RateNetwork.from_rates(
        {
            ("a", "b"): 1.0,
            ("b", "a"): boltzmann,
            ("b", "c"): 1.0,
            ("c", "b"): boltzmann,
            ("c", "a"): 1.0,
            ("a", "c"): 1.0,
        }
    )
    report = detailed_balance(ring)
    (cycle,) = report.cycles
    assert isinstance(cycle.ratio, sympy.Float) and math.isclose(float(cycle.ratio), math.exp(-8.0), rel_tol=1e-12)
    assert "0.000335462627902" in str(report) and "/" not in str(report).split("=")[1]
    assert report.holds is False
    balanced = RateNetwork.from_rates(
        {("a", "b"): 1.0, ("b", "a"): 2.0, ("b", "c"): 1.0, ("c", "b"): 0.5, ("c", "a"): 1.0, ("a", "c"): 1.0}
    )
    assert detailed_balance(balanced).holds is True


def test_tutorial_03_labels_its_fmo_matrix_as_ishizaki_fleming():
    notebook = json.loads((Path(__file__).parents[1] / "tutorials" / "03_quantum_to_classical.ipynb").read_text())
    (cell,) = [c for c in notebook["cells"] if "FMO = np.array" in "".join(c["source"])]
    source = "".join(cell["source"])
    assert "[200.0, -87.7" in source and "230.0]" in source  # the site energies of Ishizaki & Fleming
    label = source.split("FMO = np.array")[0]
    assert "Ishizaki & Fleming, PNAS 106, 17255 (2009)" in label
    assert "not the Adolphs & Renger" in label
