"""The Fermi–Dirac occupation as a SymPy function.

``fermi(x, T) = 1 / (exp(x / T) + 1)`` is the occupation of a lead state at energy ``x`` above the
lead's chemical potential, at temperature ``T`` (k_B = 1).  It stays unevaluated for symbolic
arguments so that closed forms read as in the textbooks (``Gamma_L f_L + Gamma_R f_R``); it has
exact derivatives (for conductances) and ``rewrite(sympy.exp)`` gives the explicit form.  At
``T = 0`` it is the step function with ``fermi(0, 0) = 1/2``.  Compiled kernels evaluate it with
the overflow-free logistic function (see ``symbolic_pme.numeric.functions.fermi``).
"""

from __future__ import annotations

import mpmath
import sympy

__all__ = ["fermi"]


class fermi(sympy.Function):  # noqa: N801  (a mathematical function, named like SymPy's)
    """Fermi–Dirac occupation ``f(x, T) = 1/(exp(x/T) + 1)``, with x = E - mu.

    Its arguments are real by the project's convention (energies, chemical potentials and
    temperatures are real parameters), so it is declared real, non-negative and finite outright:
    the assumption engine need not recurse into large arguments to find that out.
    """

    nargs = 2
    is_extended_real = True
    is_extended_nonnegative = True
    is_finite = True

    @classmethod
    def eval(cls, x, temperature):
        # structural decisions only (assumption queries on large arguments are slow)
        if x == 0:
            return sympy.S.Half
        if temperature == 0 and x.is_Number:
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

    def _eval_rewrite_as_exp(self, x, temperature, **kwargs):
        return 1 / (sympy.exp(x / temperature) + 1)

    def _eval_conjugate(self):
        return self

    def _latex(self, printer):
        x, temperature = (printer._print(a) for a in self.args)
        return rf"f\left({x}; {temperature}\right)"
