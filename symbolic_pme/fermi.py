"""The Fermi–Dirac occupation as a SymPy function.

``fermi(x, T) = 1 / (exp(x / T) + 1)`` is the occupation of a lead state at energy ``x`` above the
lead's chemical potential, at temperature ``T`` (k_B = 1).  It stays unevaluated for symbolic
arguments so that closed forms read as in the textbooks (``Gamma_L f_L + Gamma_R f_R``); it has
exact derivatives (for conductances) and ``rewrite(sympy.exp)`` gives the explicit form.  At
``T = 0`` it is the step function with ``fermi(0, 0) = 1/2``.  Compiled kernels evaluate it with
the overflow-free logistic function (see ``numeric.functions.fermi``).
"""

from __future__ import annotations

import mpmath
import sympy

__all__ = ["fermi"]


class fermi(sympy.Function):  # noqa: N801  (a mathematical function, named like SymPy's)
    """Fermi–Dirac occupation ``f(x, T) = 1/(exp(x/T) + 1)``, with x = E - mu."""

    nargs = 2

    @classmethod
    def eval(cls, x, temperature):
        if x.is_zero:
            return sympy.S.Half
        if temperature.is_zero and x.is_extended_real and x.is_zero is False:
            return sympy.S.Zero if x.is_positive else sympy.S.One
        if x.is_Number and temperature.is_Number:
            if temperature.is_negative:
                raise ValueError(f"fermi: negative temperature {temperature}")
            if x.is_Float or temperature.is_Float:
                return sympy.Float(mpmath.mpf(1) / (mpmath.exp(mpmath.mpf(x / temperature)) + 1))
            return 1 / (sympy.exp(x / temperature) + 1)
        return None

    def fdiff(self, argindex=1):
        x, temperature = self.args
        slope = self * (1 - self) / temperature
        if argindex == 1:
            return -slope
        if argindex == 2:
            return slope * x / temperature
        raise sympy.ArgumentIndexError(self, argindex)

    def _eval_is_real(self):
        x, temperature = self.args
        if x.is_extended_real and temperature.is_extended_real:
            return True
        return None

    def _eval_is_nonnegative(self):
        return self._eval_is_real()

    def _eval_is_finite(self):
        return self._eval_is_real()

    def _eval_rewrite_as_exp(self, x, temperature, **kwargs):
        return 1 / (sympy.exp(x / temperature) + 1)

    def _eval_conjugate(self):
        if self.is_real:
            return self
        return None

    def _latex(self, printer):
        x, temperature = (printer._print(a) for a in self.args)
        return rf"f\left({x}; {temperature}\right)"
