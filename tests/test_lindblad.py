"""Lindblad builder: equations of motion, conventions, input checks, and the numeric Lindblad
evolution (trace preservation, Hermiticity, positivity) on random small systems."""

import numpy as np
import pytest
import sympy
from symbolic_pme.numeric.lindblad import compile_lindblad

from symbolic_pme.quantum.lindblad import Jump, LindbladModel, decay, dephasing, two_level

V, w0, gamma = sympy.symbols("V omega0 gamma", real=True)
hbar = sympy.Symbol("hbar", positive=True)


def test_two_level_equations_of_motion():
    model = two_level(hbar * w0, V, gamma, hbar=hbar)
    rho = model.density_matrix()
    p1, p2, c = rho[0, 0], rho[1, 1], rho[0, 1]
    eqs = model.equations()
    # d rho_12/dt = -(i/hbar) [H, rho]_12 - gamma rho_12, H = [[hbar w0, V], [V, 0]]
    expected_12 = -sympy.I * V / hbar * (p2 - p1) - (sympy.I * w0 + gamma) * c
    expected_11 = -sympy.I * V / hbar * (sympy.conjugate(c) - c)
    assert sympy.simplify(eqs[("1", "2")] - expected_12) == 0
    assert sympy.simplify(eqs[("1", "1")] - expected_11) == 0
    assert sympy.simplify(eqs[("2", "2")] + expected_11) == 0


def test_dephasing_convention_gamma_is_decay_rate_of_rho12():
    states = ["1", "2"]
    model = LindbladModel(states, sympy.zeros(2, 2), dephasing(states, gamma))
    liouvillian = model.liouvillian()
    # rows/cols: rho_11, rho_12, rho_21, rho_22
    assert liouvillian == sympy.diag(0, -gamma, -gamma, 0)
    # the same as the Lindblad operator sqrt(gamma/2) sigma_z
    sigma_z = sympy.Matrix([[1, 0], [0, -1]])
    other = LindbladModel(states, sympy.zeros(2, 2), [Jump(sigma_z, gamma / 2)])
    assert (other.liouvillian() - liouvillian).applyfunc(sympy.simplify) == sympy.zeros(4, 4)


def test_decay_moves_population_and_halves_into_coherence_decay():
    states = ["a", "b"]
    k = sympy.Symbol("k", positive=True)
    model = LindbladModel(states, sympy.zeros(2, 2), [decay(states, "a", "b", k)])
    liouvillian = model.liouvillian()
    assert liouvillian[3, 0] == k and liouvillian[0, 0] == -k  # rho_aa -> rho_bb at rate k
    assert liouvillian[1, 1] == -k / 2 and liouvillian[2, 2] == -k / 2


def test_symbolic_liouvillian_preserves_trace():
    e1, e2, t = sympy.symbols("e1 e2 t", real=True)
    k1, k2, g = sympy.symbols("k1 k2 g", positive=True)
    states = ["0", "a", "b"]
    h = sympy.Matrix([[0, 0, 0], [0, e1, t * sympy.exp(sympy.I * g)], [0, t * sympy.exp(-sympy.I * g), e2]])
    jumps = [decay(states, "0", "a", k1), decay(states, "b", "0", k2), *dephasing(states, g, dephased=["a", "b"])]
    liouvillian = LindbladModel(states, h, jumps).liouvillian()
    trace_row = sum((liouvillian.row(i * 3 + i) for i in range(3)), sympy.zeros(1, 9))
    assert trace_row.applyfunc(sympy.simplify) == sympy.zeros(1, 9)


def test_bloch_liouvillian_is_real_for_complex_couplings():
    phi = sympy.Symbol("phi", real=True)
    model = two_level(w0, V * sympy.exp(sympy.I * phi), gamma)
    bloch = model.bloch_liouvillian()
    assert all(entry.is_real for entry in bloch)
    # d(Re rho_12)/dt contains -gamma Re rho_12 + omega0 Im rho_12
    coordinates = model.bloch_coordinates()
    re, im = coordinates.index(("Re", "1", "2")), coordinates.index(("Im", "1", "2"))
    assert bloch[re, re] == -gamma and bloch[re, im] == w0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hamiltonian": [[0, 1], [2, 0]]}, "not Hermitian"),
        ({"hamiltonian": [[0, 1, 0], [1, 0, 0]]}, "shape"),
        ({"jumps": [Jump(sympy.eye(3), 1)]}, "jump 0: operator: shape"),
        ({"jumps": [Jump(sympy.eye(2), -1)]}, "jump 0: rate is negative"),
        ({"hbar": 0}, "hbar must be positive"),
        ({"hamiltonian": [[0, "V*I"], ["V*I", 0]]}, "not Hermitian"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(kwargs, message):
    arguments = {"states": ["1", "2"], "hamiltonian": [[0, 1], [1, 0]], "jumps": (), "hbar": 1}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        LindbladModel(**arguments)


def test_negative_dephasing_rate_is_rejected():
    with pytest.raises(ValueError, match="dephasing rate"):
        dephasing(["1", "2"], -0.1)
    with pytest.raises(ValueError, match="dephasing rate"):
        two_level(1, 1, -2)


def test_expression_strings_are_parsed_safely():
    model = LindbladModel(["1", "2"], [["eps", "t"], ["t", 0]])
    assert {s.name for s in model.parameters} == {"eps", "t"}
    with pytest.raises(ValueError):
        LindbladModel(["1", "2"], [["__import__('os')", 0], [0, 0]])


# --------------------------------------------------------------------------------------------------
# Numeric Lindblad evolution on random small systems
# --------------------------------------------------------------------------------------------------


def _random_model(rng, n):
    states = [f"s{k}" for k in range(n)]
    a = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    h = (a + a.conj().T) / 2
    h_entries = [[sympy.Float(h[i, j].real) + sympy.I * sympy.Float(h[i, j].imag) for j in range(n)] for i in range(n)]
    jumps = []
    for _ in range(2):
        op = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
        entries = [
            [sympy.Float(op[i, j].real) + sympy.I * sympy.Float(op[i, j].imag) for j in range(n)] for i in range(n)
        ]
        jumps.append(Jump(sympy.Matrix(entries), sympy.Symbol("r", positive=True)))
    return LindbladModel(states, h_entries, jumps)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_random_lindblad_evolution_is_trace_preserving_hermitian_and_positive(n):
    rng = np.random.default_rng(n)
    model = _random_model(rng, n)
    compiled = compile_lindblad(model)
    psi = rng.normal(size=n) + 1j * rng.normal(size=n)
    psi /= np.linalg.norm(psi)
    rho0 = np.outer(psi, psi.conj())  # a pure state: the most fragile for positivity
    result = compiled.evolve(np.linspace(0, 3, 31), rho0, r=np.array([0.05, 0.5, 2.0]))
    rhos = result.density_matrices
    assert rhos.shape == (3, 31, n, n)
    np.testing.assert_allclose(np.trace(rhos, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(rhos, np.conj(np.swapaxes(rhos, -1, -2)), atol=1e-12)
    assert np.linalg.eigvalsh(rhos).min() > -1e-10
    # the spectrum of a Lindblad generator lies in the closed left half-plane
    assert compiled.eigenvalues(r=0.5).real.max() < 1e-10


def test_numeric_liouvillian_equals_the_symbolic_one():
    rng = np.random.default_rng(7)
    model = _random_model(rng, 3)
    numeric = compile_lindblad(model).liouvillian(r=0.7)
    exact = np.array(model.liouvillian().subs(sympy.Symbol("r", positive=True), 0.7).evalf(), dtype=complex)
    np.testing.assert_allclose(numeric, exact, atol=1e-12)


def test_numeric_steady_state_is_a_zero_mode_with_unit_trace():
    model = two_level(w0, V, gamma)
    # add decay 1 -> 2 so that the steady state is not trivially uniform
    k = sympy.Symbol("k", positive=True)
    model = LindbladModel(model.states, model.hamiltonian, model.jumps + (decay(model.states, "1", "2", k),))
    compiled = compile_lindblad(model)
    values = {"omega0": 0.3, "V": 0.5, "gamma": np.array([0.1, 1.0, 10.0]), "k": 0.2}
    result = compiled.solve(**values)
    liouvillian = compiled.liouvillian(**values)
    vectors = result.density_matrices.reshape(3, 4)
    np.testing.assert_allclose(np.einsum("...ij,...j->...i", liouvillian, vectors), 0, atol=1e-12)
    np.testing.assert_allclose(result.probabilities.sum(-1), 1.0, atol=1e-12)
    # exact: the symbolic closed form at the same point
    exact = model.steady_state().subs({w0: 0.3, V: 0.5, gamma: 1.0, k: 0.2})
    np.testing.assert_allclose(result.density_matrices[1], np.array(exact.evalf(), dtype=complex), atol=1e-12)


def test_numeric_errors_name_the_problem():
    compiled = compile_lindblad(two_level(w0, V, gamma))
    with pytest.raises(ValueError, match="unknown parameter 'x'"):
        compiled.solve(x=1, V=1, omega0=0, gamma=1)
    with pytest.raises(ValueError, match="rate of jump 0"):
        compiled.solve(V=1, omega0=0, gamma=-1)
    with pytest.raises(ValueError, match="initial"):
        compiled.evolve([0, 1], np.eye(2), V=1, omega0=0, gamma=1)
    with pytest.raises(ValueError, match="times"):
        compiled.evolve([1, 0], "1", V=1, omega0=0, gamma=1)
