"""The compiled kernel: edges (T -> 0, huge |E - mu|/T), bad input, labels, work skipped.

pyproject.toml turns every RuntimeWarning (overflow, invalid value, ...) into an error, so each
test here also asserts that no such warning is raised.
"""

from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric.functions import fermi, fermi_complement, modulus_squared

from symbolic_pme import FockSpace, Hamiltonian, Lead, NonUniqueSteadyState, TransportModel, numeric

eps, mu_l, mu_r, temp, t_l, t_r, V = sp.symbols("epsilon mu_L mu_R T t_L t_R V", real=True)


def single_level(**lead_overrides):
    leads = [
        Lead("L", mu=mu_l, temperature=temp, coupling={"d": t_l}),
        Lead("R", mu=mu_r, temperature=temp, coupling={"d": t_r}),
    ]
    return TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": eps}), leads)


def exact_fermi(x, temperature):
    return float(1 / (mpmath.exp(mpmath.mpf(x) / mpmath.mpf(temperature)) + 1))


# ----------------------------------------------------------------------------- Fermi function
@pytest.mark.parametrize(
    "x_over_t", [-1e4, -745.0, -700.0, -40.0, -1.0, -1e-12, 0.0, 1e-12, 1.0, 40.0, 700.0, 745.0, 1e4]
)
def test_fermi_is_accurate_in_both_tails_without_warnings(x_over_t):
    temperature = 1e-3
    value = fermi(x_over_t * temperature, temperature)
    complement = fermi_complement(x_over_t * temperature, temperature)
    assert value == pytest.approx(exact_fermi(x_over_t, 1), rel=1e-14, abs=1e-300)
    assert complement == pytest.approx(exact_fermi(-x_over_t, 1), rel=1e-14, abs=1e-300)


def test_fermi_at_zero_temperature_is_the_step_function():
    x = np.array([-1.0, -1e-300, 0.0, 1e-300, 1.0])
    assert np.array_equal(fermi(x, 0.0), [1, 1, 0.5, 0, 0])
    assert np.array_equal(fermi_complement(x, 0.0), [0, 0, 0.5, 1, 1])
    # a temperature array with zeros and positive entries broadcasts
    assert np.allclose(
        fermi(np.array([[0.1], [0.2]]), np.array([0.0, 0.1])), [[0, 1 / (np.e + 1)], [0, 1 / (np.e**2 + 1)]]
    )


def test_modulus_squared():
    z = np.array([3 + 4j, -2j, 1.5])
    assert np.allclose(modulus_squared(z), [25, 4, 2.25])
    assert np.array_equal(modulus_squared(np.array([-3.0])), [9.0])


# ----------------------------------------------------------------------------- the full pipeline at the edges
def test_pipeline_near_zero_temperature_has_no_overflow_and_the_limit_current():
    """T = 1e-5 with |E - mu|/T up to 1e4 (and T = 0): current -> Gamma_L Gamma_R/(Gamma_L + Gamma_R)."""
    solver = single_level().compile()
    result = solver.sweep({"T": np.array([0.0, 1e-9, 1e-5, 1e-3])}, epsilon=0.0, mu_L=0.1, mu_R=-0.1, t_L=0.1, t_R=0.05)
    gamma_l, gamma_r = 2 * np.pi * 0.1**2, 2 * np.pi * 0.05**2
    assert np.all(np.isfinite(result.probabilities))
    assert np.allclose(result.current["L"], gamma_l * gamma_r / (gamma_l + gamma_r), rtol=1e-12)
    assert np.allclose(result.probability("1"), gamma_l / (gamma_l + gamma_r), rtol=1e-12)


def test_pipeline_with_level_deep_below_both_leads():
    """|E - mu|/T = 1e4 on both leads: the level is full, P(empty) underflows to exactly 0."""
    solver = single_level().compile()
    result = solver.solve(epsilon=-1.0, mu_L=0.0, mu_R=0.0, T=1e-4, t_L=0.1, t_R=0.1)
    assert result.probability("1") == 1.0
    assert result.probability("0") == 0.0
    assert result.current["L"] == 0.0


def test_negative_temperature_is_rejected_naming_the_lead_and_parameter():
    with pytest.raises(ValueError, match="temperature of lead 'L' is negative"):
        Lead("L", mu=0, temperature=-0.1, coupling={"d": 0.1})
    solver = single_level().compile()
    with pytest.raises(ValueError, match=r"temperature of lead 'L' is negative \(T = -0.1"):
        solver.solve(epsilon=0, mu_L=0, mu_R=0, T=-0.1, t_L=0.1, t_R=0.1)


@pytest.mark.parametrize("bad", [np.nan, np.inf, [0.1, np.nan]])
def test_nan_or_infinite_input_is_rejected_naming_the_parameter(bad):
    solver = single_level().compile()
    with pytest.raises(ValueError, match="parameter 'mu_L': NaN or infinite"):
        solver.solve(epsilon=0, mu_L=bad, mu_R=0, T=0.1, t_L=0.1, t_R=0.1)


def test_unknown_missing_complex_and_duplicate_parameters():
    solver = single_level().compile()
    values = dict(epsilon=0, mu_L=0, mu_R=0, T=0.1, t_L=0.1, t_R=0.1)
    with pytest.raises(ValueError, match="unknown parameter 'mu_X'"):
        solver.solve(mu_X=1, **values)
    with pytest.raises(ValueError, match=r"no value for parameter\(s\) 'T'"):
        solver.solve(**{k: v for k, v in values.items() if k != "T"})
    with pytest.raises(ValueError, match="parameter 'epsilon': complex values"):
        solver.solve({**values, "epsilon": 1j})
    with pytest.raises(ValueError, match="given both as a value and as a sweep axis"):
        solver.sweep({"epsilon": [0, 1]}, **values)
    with pytest.raises(ValueError, match="sweep axis 'epsilon': expected a non-empty 1-D"):
        solver.sweep({"epsilon": [[0, 1]]}, **{k: v for k, v in values.items() if k != "epsilon"})


def test_unknown_orbital_in_a_coupling_is_named():
    space = FockSpace(["a", "b"])
    with pytest.raises(ValueError, match="coupling of lead 'tip': unknown orbital 'c'"):
        TransportModel(Hamiltonian(space, onsite={"a": 0}), [Lead("tip", mu=0, temperature=1, coupling={"c": 0.1})])


def test_bad_leads_are_rejected():
    with pytest.raises(ValueError, match="coupling of lead 'L': give at least one"):
        Lead("L", mu=0, temperature=1, coupling={})
    with pytest.raises(ValueError, match="mu of lead 'L'.*not a finite number"):
        Lead("L", mu=float("nan"), temperature=1, coupling={"a": 1})
    with pytest.raises(ValueError, match="names must be unique"):
        TransportModel(
            Hamiltonian(FockSpace(["a"]), onsite={"a": 0}),
            [Lead("L", 0, 1, {"a": 1}), Lead("L", 0, 1, {"a": 1})],
        )


def test_non_unique_steady_state_at_a_grid_point_is_reported_with_its_index():
    """Both couplings are the same symbol t: at t = 0 the two states disconnect."""
    t = sp.Symbol("t", real=True)
    model = TransportModel(
        Hamiltonian(FockSpace(["d"]), onsite={"d": 0.1}),
        [Lead("L", mu=0, temperature=0.1, coupling={"d": t}), Lead("R", mu=0, temperature=0.1, coupling={"d": t})],
    )
    solver = model.compile()
    with pytest.raises(NonUniqueSteadyState, match=r"not unique at 1 grid point\(s\), first at index \(2,\) \(t = 0\)"):
        solver.sweep({"t": [0.1, 0.05, 0.0]})
    with pytest.raises(NonUniqueSteadyState, match=r"at 2 grid point\(s\), first at index \(1, 0\) \(t = 0, mu_offset"):
        TransportModel(
            Hamiltonian(FockSpace(["d"]), onsite={"d": 0.1}),
            [
                Lead("L", mu="mu_offset", temperature=0.1, coupling={"d": t}),
                Lead("R", mu=0, temperature=0.1, coupling={"d": t}),
            ],
        ).compile().sweep({"t": [0.1, 0.0], "mu_offset": [0.0, 0.5]})


# ----------------------------------------------------------------------------- labels, broadcasting, work skipped
def triangle(gate_symbol=False):
    gate = sp.Symbol("gate", real=True) if gate_symbol else 0
    space = FockSpace(["a", "b", "c"])
    dot = Hamiltonian(
        space,
        onsite={"a": gate, "b": gate + 0.1, "c": gate + 0.2},
        hopping={("a", "b"): 0.05, ("b", "c"): 0.02, ("c", "a"): 0.05},
    )
    leads = [
        Lead("substrate", mu=0, temperature=0.1, coupling={"a": 0.1, "b": 0.1, "c": 0.1}),
        Lead("tip", mu=V, temperature=0.1, coupling={"a": 0.01, "b": 0.01, "c": 0.001}),
    ]
    return TransportModel(dot, leads)


def test_results_carry_labels():
    result = triangle(gate_symbol=True).compile().sweep({"gate": np.linspace(-0.2, 0.2, 3), "V": np.linspace(-1, 1, 5)})
    assert list(result.axes) == ["gate", "V"]
    assert result.shape == (3, 5)
    assert result.states == ("000", "N=1:0", "N=1:1", "N=1:2", "N=2:0", "N=2:1", "N=2:2", "111")
    assert set(result.current) == {"substrate", "tip"}
    assert result.current["tip"].shape == (3, 5)
    assert result.probabilities.shape == (3, 5, 8)
    assert set(result.occupations) == {"a", "b", "c"}
    with pytest.raises(ValueError, match="unknown state 'N=4:0'"):
        result.probability("N=4:0")


def test_sweep_equals_broadcast_solve_and_pointwise_solves():
    solver = triangle(gate_symbol=True).compile()
    gates, biases = np.linspace(-0.3, 0.3, 4), np.linspace(-1, 1, 6)
    swept = solver.sweep({"gate": gates, "V": biases})
    broadcast = solver.solve(gate=gates[:, None], V=biases[None, :])
    assert np.array_equal(swept.probabilities, broadcast.probabilities)
    for i, g in enumerate(gates):
        for j, v in enumerate(biases):
            point = solver.solve(gate=g, V=v)
            assert np.allclose(point.probabilities, swept.probabilities[i, j], rtol=0, atol=1e-14)
            assert np.isclose(point.current["tip"], swept.current["tip"][i, j], rtol=1e-12, atol=0)


def test_a_bias_sweep_never_rediagonalizes(monkeypatch):
    """H does not contain V: a 201-point bias sweep diagonalizes each block once; a gate x bias
    map diagonalizes once per gate value (100), not once per point (10^4)."""
    from symbolic_pme.numeric import eigensystems

    shapes = []
    original = eigensystems.eigh

    def recording_eigh(matrices):
        shapes.append(np.shape(matrices))
        return original(matrices)

    monkeypatch.setattr(eigensystems, "eigh", recording_eigh)
    triangle().compile().sweep({"V": np.linspace(-1, 1, 201)})
    assert shapes and all(shape == (3, 3) for shape in shapes)
    shapes.clear()
    triangle(gate_symbol=True).compile().sweep({"gate": np.linspace(-0.5, 0.5, 100), "V": np.linspace(-1, 1, 100)})
    assert shapes and all(shape == (100, 1, 3, 3) for shape in shapes)


def test_chunked_evaluation_matches_one_piece(monkeypatch):
    solver = triangle(gate_symbol=True).compile()
    axes = {"gate": np.linspace(-0.5, 0.5, 13), "V": np.linspace(-1, 1, 11)}
    whole = solver.sweep(axes)
    monkeypatch.setattr(type(solver), "_chunk_size", lambda self, *_: 20)  # 13 rows of 11 points: 1 row per chunk
    chunked = solver.sweep(axes)
    assert np.array_equal(whole.probabilities, chunked.probabilities)
    for quantity in ("current", "energy_current", "heat_current"):
        for lead in ("substrate", "tip"):
            ours, reference = getattr(chunked, quantity)[lead], getattr(whole, quantity)[lead]
            # equal up to the summation order of the BLAS product (chunk sizes differ)
            assert np.allclose(ours, reference, rtol=0, atol=1e-13 * np.abs(reference).max())


def test_progress_reports_every_chunk_and_the_result_is_unchanged():
    solver = triangle(gate_symbol=True).compile()
    grid = solver.grid(axes={"gate": np.linspace(-0.5, 0.5, 120), "V": np.linspace(-1, 1, 200)})
    reports = []
    reported = solver.evaluate(grid, progress=lambda done, total: reports.append((done, total)))
    plain = solver.evaluate(grid)
    # 24000 points in chunks of at least 480 points (1/50 of the grid), whole rows of 200
    assert len(reports) >= 20 and reports[-1] == (24000, 24000)
    assert all(total == 24000 for _, total in reports)
    assert all(b[0] > a[0] for a, b in zip(reports, reports[1:]))
    scale = np.abs(plain.current["tip"]).max()
    assert np.allclose(reported.current["tip"], plain.current["tip"], rtol=0, atol=1e-13 * scale)
    assert np.allclose(reported.probabilities, plain.probabilities, rtol=0, atol=1e-13)


def test_compiled_rates_equal_their_symbolic_source_at_random_points():
    """Every compiled rate of an exact model equals its SymPy expression evaluated with mpmath."""
    space = FockSpace(["d"], spin=True)
    u = sp.Symbol("U", real=True)
    model = TransportModel(
        Hamiltonian(space, onsite={"d": eps}, coulomb={("d", "d"): u}),
        [
            Lead("L", mu=mu_l, temperature=temp, coupling={"d": t_l}, band=(-1, 1)),
            Lead("R", mu=mu_r, temperature=temp, coupling={"d": t_r}),
        ],
    )
    solver = model.compile()
    rng = np.random.default_rng(7)
    for _ in range(5):
        point = dict(
            epsilon=rng.uniform(-1, 1),
            U=rng.uniform(0, 1.5),
            mu_L=rng.uniform(-1, 1),
            mu_R=rng.uniform(-1, 1),
            T=rng.uniform(0.01, 0.3),
            t_L=rng.uniform(0, 0.2),
            t_R=rng.uniform(0, 0.2),
        )
        compiled = solver.rates(point)
        substitution = {s: point[s.name] for s in model.parameters}
        for k, transition in enumerate(model.network.transitions):
            exact = float(transition.rate.rewrite(sp.exp).subs(substitution).evalf(30))
            assert compiled[k] == pytest.approx(exact, rel=1e-12, abs=1e-300)


def test_band_edges_switch_transitions_off():
    """Lead L has the band (-0.5, 0.5): for a level inside it both leads feed it; outside it only
    R does, so P(occupied) = f_R; with both leads cut the steady state is not unique."""
    f = lambda x: 1 / (np.exp(x / 0.05) + 1)
    gamma = 2 * np.pi * 0.1**2
    model = TransportModel(
        Hamiltonian(FockSpace(["d"]), onsite={"d": eps}),
        [
            Lead("L", mu=1.0, temperature=0.05, coupling={"d": 0.1}, band=(-0.5, 0.5)),
            Lead("R", mu=0.6, temperature=0.05, coupling={"d": 0.1}, band=("-D", "D")),
        ],
    )
    solver = model.compile()
    result = solver.sweep({"epsilon": [0.45, 0.55, 0.7]}, D=10)
    inside = (gamma * f(0.45 - 1.0) + gamma * f(0.45 - 0.6)) / (2 * gamma)
    assert np.allclose(result.probability("1"), [inside, f(0.55 - 0.6), f(0.7 - 0.6)], rtol=1e-12)
    assert np.allclose(result.current["L"], [gamma / 2 * (f(0.45 - 1.0) - f(0.45 - 0.6)), 0, 0], rtol=1e-12, atol=0)
    with pytest.raises(NonUniqueSteadyState, match=r"epsilon = 0.7, D = 0.5"):
        solver.sweep({"epsilon": [0.3, 0.7]}, D=0.5)


def test_numeric_exports():
    assert callable(numeric.compile_model) and callable(numeric.compile_network)


def test_escape_rates_are_minus_the_generator_diagonal():
    solver = triangle(gate_symbol=True).compile()
    values = {"gate": np.linspace(-0.5, 0.5, 7)[:, None], "V": np.linspace(-1, 1, 5)[None, :]}
    generator = solver.generator(values)
    escape = solver.escape_rates(values)
    assert escape.shape == (7, 5, 8) and np.all(escape > 0)
    assert np.allclose(escape, -np.diagonal(generator, axis1=-2, axis2=-1), rtol=1e-14, atol=0)


def test_a_single_point_after_a_sweep_equals_a_fresh_solve():
    # the kernel keeps |T|^2 and the eigensystems between calls; a solve with another number of
    # grid axes must not reuse them in the wrong layout
    from symbolic_pme.files.model_file import load_model

    path = Path(__file__).resolve().parents[1] / "examples" / "triangle.toml"
    reused = load_model(path).compile()
    reused.sweep({"V": np.linspace(-1, 1, 5)})
    fresh = load_model(path).compile().solve(V=0.3)
    again = reused.solve(V=0.3)
    np.testing.assert_array_equal(again.probabilities, fresh.probabilities)
    for lead in fresh.current:
        assert again.current[lead] == fresh.current[lead]
