"""Partial trace: entanglement with an environment multiplies coherences by the overlap."""

import pytest
import sympy

from symbolic_pme.quantum.models.partial_trace import entangled_state, partial_trace, reduced_density_matrix

a, b, theta = sympy.symbols("a b theta", real=True)


def test_coherence_is_multiplied_by_the_environment_overlap():
    rho = reduced_density_matrix([a, b], [[1, 0], [sympy.cos(theta), sympy.sin(theta)]])
    assert rho[0, 0] == a**2 and sympy.simplify(rho[1, 1] - b**2) == 0
    assert sympy.simplify(rho[0, 1] - a * b * sympy.cos(theta)) == 0  # c_0 c_1^* <E_1|E_0>
    assert sympy.simplify(rho[1, 0] - a * b * sympy.cos(theta)) == 0


def test_complex_environment_states_and_orthogonal_records():
    phi = sympy.Symbol("phi", real=True)
    rho = reduced_density_matrix([1, 1], [[1, 0], [sympy.exp(sympy.I * phi), 0]])
    assert sympy.simplify(rho[0, 1] - sympy.exp(-sympy.I * phi)) == 0
    orthogonal = reduced_density_matrix([a, b], [[1, 0], [0, 1]])
    assert orthogonal == sympy.diag(a**2, b**2)


def test_partial_trace_of_a_product_state_and_of_either_factor():
    sys = sympy.Matrix([[a**2, a * b], [a * b, b**2]])
    env = sympy.Matrix([[sympy.Rational(1, 3), 0], [0, sympy.Rational(2, 3)]])
    product = sympy.kronecker_product(sys, env)
    assert partial_trace(product, (2, 2), keep=0) == sys
    assert partial_trace(product, (2, 2), keep=1).applyfunc(sympy.expand) == (a**2 + b**2) * env
    psi = entangled_state([a, b], [[1, 0, 0], [0, 0, 1]])
    assert psi.shape == (6, 1)


def test_bad_input():
    with pytest.raises(ValueError, match="rho: shape"):
        partial_trace(sympy.eye(3), (2, 2))
    with pytest.raises(ValueError, match="keep"):
        partial_trace(sympy.eye(4), (2, 2), keep=2)
    with pytest.raises(ValueError, match="environment_states"):
        entangled_state([1, 1], [[1, 0]])
    with pytest.raises(ValueError, match="one dimension"):
        entangled_state([1, 1], [[1, 0], [1]])
