"""Zeno turnover of the two-level rate: maximum and asymptotes, exactly."""

import pytest
import sympy

from symbolic_pme.quantum.lindblad import two_level
from symbolic_pme.quantum.models.zeno import zeno_turnover
from symbolic_pme.quantum.reduction import adiabatic_elimination

V, w0, gamma = sympy.symbols("V omega0 gamma", real=True)
hbar = sympy.Symbol("hbar", positive=True)


def test_maximum_and_asymptotes_of_the_derived_rate():
    network = adiabatic_elimination(two_level(hbar * w0, V, gamma, hbar=hbar))
    turnover = zeno_turnover(network.transitions[0].rate, gamma)
    assert sympy.simplify(turnover.optimum - sympy.Abs(w0)) == 0
    assert sympy.simplify(turnover.maximum - V**2 / (hbar**2 * sympy.Abs(w0))) == 0
    assert sympy.simplify(turnover.small_gamma - 2 * V**2 * gamma / (hbar**2 * w0**2)) == 0
    assert sympy.simplify(turnover.large_gamma - 2 * V**2 / (hbar**2 * gamma)) == 0


def test_numbers_check_the_maximum():
    rate = 2 * gamma / (3**2 + gamma**2)  # V = 1, omega0 = -3
    turnover = zeno_turnover(rate, gamma)
    assert turnover.optimum == 3 and turnover.maximum == sympy.Rational(1, 3)
    for g in (sympy.Rational(29, 10), sympy.Rational(31, 10)):
        assert rate.subs(gamma, g) < turnover.maximum


def test_a_rate_without_a_turnover_is_reported():
    with pytest.raises(ValueError, match="one stationary point"):
        zeno_turnover(2 * V**2 / gamma, gamma)
    with pytest.raises(ValueError, match="does not depend"):
        zeno_turnover(V**2, gamma)
