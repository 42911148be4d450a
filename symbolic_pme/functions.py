"""The two SymPy functions that rates are written in: the Fermi occupation and |z|^2.

``fermi(x, T) = 1 / (exp(x / T) + 1)`` is the occupation of a lead state at energy ``x`` above the
lead's chemical potential, at temperature ``T`` (k_B = 1).  It stays unevaluated for symbolic
arguments so that closed forms read as in the textbooks (``Gamma_L f_L + Gamma_R f_R``); it has
exact derivatives (for conductances) and ``rewrite(sympy.exp)`` gives the explicit form.  At
``T = 0`` it is the step function with ``fermi(0, 0) = 1/2``.  Compiled kernels evaluate it with
the overflow-free logistic function (see ``symbolic_pme.numeric.functions.fermi``).

``modulus_squared(z) = |z|^2`` is a light replacement for ``Abs(z)**2``.  Golden-rule rates contain
``|T|^2`` where the amplitude T is a sum of complex placeholder symbols (matrix elements between
numeric eigenstates).  ``sympy.Abs`` re-runs an expensive evaluation (sign simplification of the
sum) every time such an expression is rebuilt, which made substitution and common-subexpression
elimination of large models take minutes.  ``modulus_squared`` evaluates only the cheap cases (a
real argument gives ``z**2``, a number its modulus squared) and otherwise stays unevaluated; it is
non-negative, prints as ``|z|^2`` and compiles to ``z.real**2 + z.imag**2``.
"""

from __future__ import annotations

import mpmath
import sympy

__all__ = ["fermi", "modulus_squared"]


class fermi(sympy.Function):
    """Fermi–Dirac occupation ``f(x, T) = 1/(exp(x/T) + 1)``, with x = E - mu.

    Its arguments are real by the project's convention (energies, chemical potentials and
    temperatures are real parameters, k_B = 1, docs/conventions.md), so it is declared real,
    non-negative and finite outright: the assumption engine need not recurse into large arguments
    to find that out.

    Parameters
    ----------
    x : sympy.Expr or number
        Energy above the lead's chemical potential, ``E - mu``.
    temperature : sympy.Expr or number
        Temperature (k_B = 1), in the unit of ``x``; not negative.

    Raises
    ------
    ValueError
        If both arguments are numbers and the temperature is negative.

    Examples
    --------
    >>> import sympy
    >>> x, T = sympy.symbols("x T", real=True)
    >>> fermi(0, T), fermi(1, 0)
    (1/2, 0)
    >>> fermi(x, T).rewrite(sympy.exp)
    1/(exp(x/T) + 1)
    >>> fermi(x, T).diff(x)
    -(1 - fermi(x, T))*fermi(x, T)/T
    """

    nargs = 2
    is_extended_real = True
    is_extended_nonnegative = True
    is_finite = True

    @classmethod
    def eval(cls, x, temperature):
        # structural decisions only (assumption queries on large arguments are slow)
        """Evaluate the cheap cases; everything else stays unevaluated.

        Parameters
        ----------
        x : sympy.Expr
            ``E - mu``.
        temperature : sympy.Expr
            The temperature.

        Returns
        -------
        sympy.Expr or None
            ``1/2`` at ``x = 0``; the step function (0 or 1) at ``T = 0`` for a number ``x``; the
            number (a Float if either argument is one) when both are numbers; None otherwise.

        Raises
        ------
        ValueError
            If both arguments are numbers and the temperature is negative.
        """
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
        """Exact partial derivative, written in ``fermi`` itself.

        Parameters
        ----------
        argindex : int, optional
            1 for ``df/dx = -f (1 - f)/T``, 2 for ``df/dT = f (1 - f) x/T^2``.

        Returns
        -------
        sympy.Expr
            The derivative.

        Raises
        ------
        sympy.ArgumentIndexError
            For any other index.
        """
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


class modulus_squared(sympy.Function):
    """``|z|^2`` for a complex expression z.

    Evaluated only in the cheap cases (a number, or a real expression of real symbols, which gives
    ``z**2``); otherwise unevaluated, real, non-negative and finite.

    Parameters
    ----------
    z : sympy.Expr
        The complex expression, usually a many-body tunnelling amplitude.

    Examples
    --------
    >>> import sympy
    >>> modulus_squared(3 + 4 * sympy.I), modulus_squared(sympy.Symbol("x", real=True))
    (25, x**2)
    >>> modulus_squared(sympy.Symbol("z"))
    |z|**2
    """

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
        """Evaluate the cheap, structural cases; everything else stays unevaluated.

        Parameters
        ----------
        z : sympy.Expr
            The argument.

        Returns
        -------
        sympy.Expr or None
            ``z z*`` expanded for a number, ``z**2`` for a real expression of real symbols, None otherwise.
        """
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
