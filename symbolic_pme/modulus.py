"""``modulus_squared(z) = |z|^2`` as a light SymPy function.

Golden-rule rates contain ``|T|^2`` where the amplitude T is a sum of complex placeholder symbols
(matrix elements between numeric eigenstates).  ``sympy.Abs`` re-runs an expensive evaluation
(sign simplification of the sum) every time such an expression is rebuilt, which made
substitution and common-subexpression elimination of large models take minutes.  This function
evaluates only the cheap cases (a real argument gives ``z**2``, a number its modulus squared) and
otherwise stays unevaluated; it is non-negative, prints as ``|z|^2`` and compiles to
``z.real**2 + z.imag**2``.
"""

from __future__ import annotations

import sympy

__all__ = ["modulus_squared"]


class modulus_squared(sympy.Function):  # noqa: N801  (a mathematical function, named like SymPy's)
    """``|z|^2`` for a complex expression z."""

    nargs = 1
    is_extended_real = True
    is_extended_nonnegative = True
    # |z|^2 of a finite z is finite, and arguments are always finite here (placeholders are
    # finite symbols, to_expr rejects infinities); saying so spares the assumption engine a
    # recursion into large sums
    is_finite = True

    @classmethod
    def eval(cls, z):
        # cheap, structural decisions only: assumption queries on large sums are slow
        if z.is_number:
            return sympy.expand(z * sympy.conjugate(z))
        if all(s.is_extended_real for s in z.free_symbols) and z.is_extended_real:
            return z**2
        return None

    def _eval_conjugate(self):
        return self

    def _eval_rewrite_as_Abs(self, z, **kwargs):
        return sympy.Abs(z) ** 2

    def _latex(self, printer):
        return rf"\left|{printer._print(self.args[0])}\right|^{{2}}"

    def _sympystr(self, printer):
        return f"|{printer._print(self.args[0])}|**2"
