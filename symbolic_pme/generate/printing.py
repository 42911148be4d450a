"""What both generated targets print alike: the model's symbols by their generated names, and
the kernel functions (the stable Fermi functions and |z|^2) as calls of the generated helpers.

The C and NumPy printers of SymPy differ in everything else; each target mixes this in.
"""

from __future__ import annotations

import sympy

__all__ = ["KernelFunctionPrinting"]


class KernelFunctionPrinting:
    """Printer methods shared by the targets (mixed into a SymPy code printer).

    Parameters
    ----------
    names : dict of sympy.Symbol to str
        The generated name of every symbol an expression may contain.

    Attributes
    ----------
    modulus_squared : str
        The helper that the target calls for ``modulus_squared(z)`` (``|z|^2``).
    """

    modulus_squared = "modulus_squared"

    def __init__(self, names: dict[sympy.Symbol, str], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._names = names

    def _print_Symbol(self, expr):
        return self._names[expr]

    def _call(self, name: str, expr) -> str:
        return f"{name}({', '.join(self._print(a) for a in expr.args)})"

    def _print_fermi(self, expr):
        return self._call("fermi", expr)

    def _print_fermi_complement_(self, expr):
        return self._call("fermi_complement", expr)

    def _print_weighted_fermi_(self, expr):
        return self._call("weighted_fermi", expr)

    def _print_weighted_fermi_complement_(self, expr):
        return self._call("weighted_fermi_complement", expr)

    def _print_modulus_squared(self, expr):
        return self._call(self.modulus_squared, expr)
