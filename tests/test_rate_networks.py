"""Classical rate networks: construction and validation, sources and sinks, closed-form steady
states against hand derivations, cycle currents, the size fallback, and the numeric kernel."""

import time

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric import CompiledNetwork, compile_network

from symbolic_pme import ClosedFormTooLarge, NonUniqueSteadyState, RateNetwork, detailed_balance
from symbolic_pme.networks import cycle_basis, cycle_currents, edge_currents

gamma, k_di, k_id, k_ia, k_loss, k_out = sp.symbols("Gamma k_DI k_ID k_IA k_loss k_out", positive=True)
k12, k21, k23, k32, k31, k13 = sp.symbols("k12 k21 k23 k32 k31 k13", positive=True)


def dia_chain() -> RateNetwork:
    """Laser source into D, D <-> I, I -> A, loss from I, extraction from A."""
    return RateNetwork(
        ["D", "I", "A"],
        [("D", "I", k_di), ("I", "D", k_id), ("I", "A", k_ia)],
        sources={"D": gamma},
        sinks=[("I", k_loss, "loss"), ("A", k_out, "extraction")],
    )


def ring() -> RateNetwork:
    return RateNetwork.from_rates(
        {("1", "2"): k12, ("2", "1"): k21, ("2", "3"): k23, ("3", "2"): k32, ("3", "1"): k31, ("1", "3"): k13}
    )


def is_zero(expr) -> bool:
    return sp.simplify(expr) == 0


# ------------------------------------------------------------------------------------ closed forms
def test_dia_chain_steady_state_equals_hand_derivation():
    """Balance of I: Gamma = (k_IA + k_loss) P_I (all that enters D passes I, and leaves I
    either to A or lost); of D: k_DI P_D = Gamma + k_ID P_I; of A: k_out P_A = k_IA P_I."""
    p_i = gamma / (k_ia + k_loss)
    p_d = (gamma + k_id * p_i) / k_di
    p_a = k_ia * p_i / k_out
    populations = dia_chain().steady_state()
    assert is_zero(populations["I"] - p_i)
    assert is_zero(populations["D"] - p_d)
    assert is_zero(populations["A"] - p_a)
    # what the source injects leaves through the two sinks
    net = dia_chain()
    assert is_zero(net.current("population", "source") - gamma)
    assert is_zero(net.current("population", "loss") + k_loss * p_i)
    assert is_zero(net.current("population", "extraction") + k_ia * p_i)


def test_open_generator_and_source_vector():
    net = dia_chain()
    w = net.generator()
    assert w == sp.Matrix([[-k_di, k_id, 0], [k_di, -k_id - k_ia - k_loss, 0], [0, k_ia, -k_out]])
    assert net.source_vector() == sp.Matrix([gamma, 0, 0])
    populations = net.steady_state()
    p = sp.Matrix([populations[s] for s in net.states])
    assert (w * p + net.source_vector()).applyfunc(sp.simplify) == sp.zeros(3, 1)


def test_ring_king_altman_and_cycle_current():
    """P1 ∝ k21 k31 + k23 k31 + k32 k21 (and cyclic); J = (k12 k23 k31 - k21 k32 k13) / Σ."""
    w1 = k21 * k31 + k23 * k31 + k32 * k21
    w2 = k32 * k12 + k31 * k12 + k13 * k32
    w3 = k13 * k23 + k12 * k23 + k21 * k13
    total = w1 + w2 + w3
    p = ring().steady_state()
    for state, weight in zip("123", (w1, w2, w3)):
        assert is_zero(p[state] - weight / total)
    (cycle,) = cycle_basis(ring())
    assert set(cycle.states) == {"1", "2", "3"}
    (current,) = cycle_currents(ring()).values()
    expected = (k12 * k23 * k31 - k21 * k32 * k13) / total
    clockwise = cycle.states.index("2") == (cycle.states.index("1") + 1) % 3  # 1 -> 2 -> 3 -> 1
    assert is_zero(current - (expected if clockwise else -expected))
    # every edge carries the cycle current (in the edge's a -> b direction)
    for edge, flow in edge_currents(ring()).items():
        sign = 1 if (edge.a, edge.b) in {("1", "2"), ("2", "3"), ("3", "1")} else -1
        assert is_zero(flow - sign * expected)


def test_ring_cycle_current_vanishes_exactly_under_kolmogorov():
    """With k13 = k12 k23 k31 / (k21 k32) the Kolmogorov condition holds: J = 0 exactly."""
    balanced = ring().subs({"k13": k12 * k23 * k31 / (k21 * k32)})
    assert detailed_balance(balanced).holds is True
    (current,) = cycle_currents(balanced).values()
    assert current == 0
    report = detailed_balance(ring())
    assert report.holds is None  # depends on the rates
    assert report.condition.subs({k13: k12 * k23 * k31 / (k21 * k32)}) == sp.true
    assert detailed_balance(ring().subs({"k12": 2, "k23": 3, "k31": 1, "k21": 1, "k32": 1, "k13": 1})).holds is False


def test_fully_connected_six_states_returns_within_seconds():
    """6 states, 30 independent symbolic rates: 1296 trees per state. Returned exact (unfactored
    beyond FACTOR_MAX_TERMS); checked against a numeric solve at a random point."""
    states = [f"s{i}" for i in range(6)]
    symbols = {(a, b): sp.Symbol(f"k_{a}_{b}", positive=True) for a in states for b in states if a != b}
    net = RateNetwork.from_rates(symbols)
    start = time.perf_counter()
    closed_form = net.steady_state()
    elapsed = time.perf_counter() - start
    assert elapsed < 10, f"closed form took {elapsed:.1f} s"
    rng = np.random.default_rng(1)
    values = {str(s): float(v) for s, v in zip(symbols.values(), rng.uniform(0.1, 2.0, len(symbols)))}
    numeric = compile_network(net).solve(values).probabilities
    exact = [_evaluate_ratio_of_tree_sums(closed_form[s], values) for s in states]
    np.testing.assert_allclose(exact, numeric, rtol=1e-10)


def _evaluate_ratio_of_tree_sums(expr, values):
    """Evaluate numerator/denominator, each a sum of products of rates, term by term (SymPy's
    own evaluation of 7776-term expressions takes seconds, lambdify overflows the recursion)."""

    def polynomial(sum_of_products):
        return sum(
            np.prod([values[str(base)] ** int(power) for base, power in term.as_powers_dict().items()])
            for term in sp.Add.make_args(sum_of_products)
        )

    numerator, denominator = sp.fraction(expr)
    return polynomial(numerator) / polynomial(denominator)


def test_beyond_the_tree_limit_the_fallback_is_a_clear_error():
    states = [f"s{i}" for i in range(8)]  # 8^6 = 262144 trees per state
    net = RateNetwork.from_rates(
        {(a, b): sp.Symbol(f"k_{a}_{b}", positive=True) for a in states for b in states if a != b}
    )
    start = time.perf_counter()
    with pytest.raises(ClosedFormTooLarge, match="spanning trees.*solve numerically"):
        net.steady_state()
    assert time.perf_counter() - start < 2


# ------------------------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: RateNetwork(["a", "b"], [("a", "b", -1.0)]), "rate a -> b is negative"),
        (lambda: RateNetwork(["a", "b"], [("a", "b", float("nan"))]), "rate a -> b"),
        (lambda: RateNetwork(["a", "b"], [("a", "c", 1.0)]), "unknown state 'c'"),
        (lambda: RateNetwork.from_edges([("a", "b", -2)]), "rate a -> b is negative"),
        (lambda: RateNetwork(["a"], [], sources={"x": 1}), "source into 'x': unknown state"),
        (lambda: RateNetwork(["a"], [], sinks={"a": -1}), "sink from 'a' is negative"),
        (lambda: RateNetwork(["a"], [], sinks={"a": float("inf")}), "sink from 'a'"),
        (lambda: RateNetwork(["a"], [], sources={"a": float("nan")}), "source into 'a'"),
    ],
)
def test_bad_rates_and_states_raise_naming_them(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_numeric_negative_rate_is_named():
    k = sp.Symbol("k", real=True)
    compiled = compile_network(RateNetwork(["a", "b"], [("a", "b", k), ("b", "a", 1)], sinks={"b": 1}))
    with pytest.raises(ValueError, match="a -> b is negative"):
        compiled.solve(k=-1.0)


def test_from_edges_and_from_rates_agree():
    by_list = RateNetwork.from_edges([("D", "I", k_di), ("I", "D", k_id)], sinks={"I": k_loss}, sources={"D": gamma})
    by_dict = RateNetwork.from_rates({("D", "I"): k_di, ("I", "D"): k_id}, sinks={"I": k_loss}, sources={"D": gamma})
    assert by_list.states == by_dict.states == ("D", "I")
    assert by_list.steady_state() == by_dict.steady_state()


def test_open_networks_without_a_way_out_are_reported():
    with pytest.raises(NonUniqueSteadyState, match=r"\{A\} cannot reach any sink"):
        RateNetwork(["D", "A"], [("D", "A", 1)], sources={"D": 1}, sinks={"D": 1}).steady_state()
    with pytest.raises(NonUniqueSteadyState, match="cannot reach any sink"):
        RateNetwork(["D"], [], sources={"D": 1}).steady_state()
    with pytest.raises(NonUniqueSteadyState, match="cannot reach any sink"):
        CompiledNetwork(RateNetwork(["D", "A"], [("D", "A", 1)], sources={"D": 1}, sinks={"D": 1}))


def test_numeric_zero_sink_rate_at_a_grid_point_is_reported():
    compiled = compile_network(dia_chain(), defaults={"Gamma": 1, "k_DI": 1, "k_ID": 1, "k_IA": 1, "k_loss": 1})
    with pytest.raises(NonUniqueSteadyState, match="unbounded"):
        compiled.sweep({"k_out": np.array([1.0, 0.0])})


# ------------------------------------------------------------------------------------ numeric kernel
def test_compiled_open_network_sweeps_any_rate_and_matches_closed_form():
    values = {"k_DI": 1.3, "k_ID": 0.4, "k_IA": 2.0, "k_loss": 0.25, "k_out": 0.8}
    compiled = compile_network(dia_chain(), defaults=values)
    assert compiled.states == ("D", "I", "A") and compiled.generator(Gamma=1.0).shape == (3, 3)
    lasers = np.linspace(0.0, 3.0, 7)
    result = compiled.sweep({"Gamma": lasers})
    closed = dia_chain().steady_state()
    symbols = {s.name: s for s in dia_chain().parameters}
    for g, row in zip(lasers, result.probabilities):
        point = {symbols[name]: v for name, v in {**values, "Gamma": g}.items()}
        np.testing.assert_allclose(row, [float(closed[s].subs(point)) for s in "DIA"], rtol=1e-12, atol=1e-15)
    # population balance: injected = lost + extracted, at every laser rate
    flows = result.currents["population"]
    np.testing.assert_allclose(flows["source"], lasers, rtol=1e-12)
    np.testing.assert_allclose(flows["source"] + flows["loss"] + flows["extraction"], 0.0, atol=1e-12)
    # a 2-D sweep of two rates broadcasts like any other parameter
    grid = compiled.sweep({"Gamma": lasers, "k_loss": np.array([0.1, 1.0, 10.0])})
    assert grid.probabilities.shape == (7, 3, 3)
    np.testing.assert_allclose(grid.probability("I")[:, 2], lasers / (2.0 + 10.0), rtol=1e-12)


def test_compiled_closed_ring_matches_closed_form_and_carries_the_cycle_current():
    values = {"k12": 3.0, "k21": 1.0, "k23": 2.0, "k32": 0.5, "k31": 1.5, "k13": 0.7}
    net = ring()
    compiled = compile_network(net)
    p = compiled.solve(values).probabilities
    point = {s: values[s.name] for s in net.parameters}
    exact = net.steady_state()
    np.testing.assert_allclose(p, [float(exact[s].subs(point)) for s in "123"], rtol=1e-12)
    (current,) = cycle_currents(net).values()
    flow_12 = values["k12"] * p[0] - values["k21"] * p[1]
    assert abs(abs(float(current.subs(point))) - abs(flow_12)) < 1e-12


def test_compiled_network_of_an_open_network_gives_the_closed_form_populations():
    values = {"Gamma": 0.9, "k_DI": 1.3, "k_ID": 0.4, "k_IA": 2.0, "k_loss": 0.25, "k_out": 0.8}
    compiled = CompiledNetwork(dia_chain())
    exact = dia_chain().steady_state()
    point = {s: values[s.name] for s in dia_chain().parameters}
    expected = [float(exact[s].subs(point)) for s in "DIA"]
    for method in ("auto", "gth", "lu"):
        np.testing.assert_allclose(compiled.steady_state(values, method=method).probabilities, expected, rtol=1e-12)
    np.testing.assert_allclose(compiled.source_vector(values), [0.9, 0.0, 0.0])
    sinks = compiled.sink_rates(values)
    np.testing.assert_allclose(sinks["loss"], [0.0, 0.25, 0.0])
    np.testing.assert_allclose(sinks["extraction"], [0.0, 0.0, 0.8])
    np.testing.assert_allclose(compiled.escape_rates(values), -np.diag(compiled.generator(values)), rtol=1e-14)


def test_steady_state_methods_agree_on_a_classical_network_and_unknown_ones_raise():
    values = {"k12": 3.0, "k21": 1.0, "k23": 2.0, "k32": 0.5, "k31": 1.5, "k13": 0.7}
    compiled = compile_network(ring())
    auto = compiled.steady_state(values)
    for method in ("gth", "lu"):
        result = compiled.steady_state(values, method=method)
        np.testing.assert_allclose(result.probabilities, auto.probabilities, rtol=1e-13)
        for quantity, by_channel in auto.currents.items():
            for channel, current in by_channel.items():
                np.testing.assert_allclose(result.currents[quantity][channel], current, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(compiled.solve(values).probabilities, auto.probabilities, rtol=0)
    with pytest.raises(ValueError, match="'auto', 'gth', 'levels', 'lu'"):
        compiled.steady_state(values, method="qr")
    with pytest.raises(ValueError, match="'levels'.*scalar transitions"):
        compiled.steady_state(values, method="levels")
    with pytest.raises(ValueError, match="choose from"):
        compiled.sweep({"k12": [1.0, 2.0]}, values={k: v for k, v in values.items() if k != "k12"}, method="x")
    with pytest.raises(ValueError, match="source_vector: the network has no sources or sinks"):
        compiled.source_vector(values)
    with pytest.raises(ValueError, match="sink_rates: the network has no sources or sinks"):
        compiled.sink_rates(values)


def test_steady_state_methods_agree_on_a_transport_model():
    from pathlib import Path

    from symbolic_pme.files.model_file import load_model

    path = Path(__file__).resolve().parents[1] / "examples" / "triangle.toml"
    compiled = load_model(path).compile()
    biases = np.linspace(-1.0, 1.0, 5)
    auto = compiled.sweep({"V": biases})
    for method in ("gth", "levels", "lu"):
        result = compiled.sweep({"V": biases}, method=method)
        np.testing.assert_allclose(result.probabilities, auto.probabilities, rtol=1e-10, atol=1e-14)
        for lead, current in auto.currents["charge"].items():
            scale = max(np.abs(current).max(), 1e-300)
            np.testing.assert_allclose(result.currents["charge"][lead], current, rtol=1e-9, atol=1e-12 * scale)
    with pytest.raises(ValueError, match="unknown steady-state method"):
        compiled.steady_state(V=0.1, method="dense")
