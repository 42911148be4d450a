"""Turning user input into SymPy expressions.

Every model parameter in symbolic_pme is a *real* quantity (energies, chemical potentials,
temperatures, coupling amplitudes, rates).  Complex couplings are written from real parameters,
e.g. ``t * exp(I * phi)``.  This module enforces that convention in one place:

* :func:`to_expr` accepts numbers, SymPy expressions and expression strings and returns a SymPy
  expression whose symbols are all declared real;
* :func:`parse_expression` reads an expression string *safely* (a whitelist over Python's ``ast``):
  text is never passed to ``eval``, ``sympify`` or ``parse_expr``, which would run Python code.
"""

from __future__ import annotations

import ast
import math
import numbers
from collections.abc import Callable, Iterable, Mapping

import sympy

__all__ = ["to_expr", "as_real", "parse_expression", "is_number", "ExpressionError"]

Value = numbers.Number | sympy.Basic | str


class ExpressionError(ValueError):
    """An expression (usually from text) that cannot be accepted."""


def as_real(expr: sympy.Basic) -> sympy.Basic:
    """Return ``expr`` with every plain symbol replaced by a real symbol of the same name.

    Symbols declared with assumptions (``real``, ``positive``, ``complex``, ...) are kept as they
    are: a symbol explicitly declared complex stays complex.
    """
    replacements = {
        s: sympy.Symbol(s.name, real=True)
        for s in expr.free_symbols
        if type(s) is sympy.Symbol and set(s.assumptions0) <= {"commutative"}
    }
    return expr.xreplace(replacements) if replacements else expr


def is_number(expr: sympy.Basic) -> bool:
    """True when ``expr`` has no free symbols (it evaluates to a number)."""
    return not expr.free_symbols


def to_expr(value: Value, name: str, *, symbols: Mapping[str, sympy.Symbol] | None = None) -> sympy.Expr:
    """Convert ``value`` into a SymPy expression with real symbols.

    Parameters
    ----------
    value:
        An int, float, complex, ``fractions.Fraction``, a SymPy expression, or a string.  A string
        is parsed by :func:`parse_expression`; names in it become real symbols (or the entries of
        ``symbols``).
    name:
        What the value is (e.g. ``"temperature of lead 'tip'"``); used in error messages.

    Raises
    ------
    ValueError
        For NaN or infinite numbers and for unreadable strings; the message names ``name``.
    TypeError
        For values of any other type.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name}: expected a number or an expression, got a bool ({value!r})")
    if isinstance(value, str):
        try:
            return as_real(parse_expression(value, symbols=symbols))
        except ExpressionError as error:
            raise ValueError(f"{name}: {error}") from None
    if isinstance(value, sympy.Basic):
        expr = sympy.sympify(value)
    elif isinstance(value, numbers.Number):
        if isinstance(value, numbers.Complex) and not _finite(value):
            raise ValueError(f"{name}: {value!r} is not a finite number")
        expr = sympy.sympify(value)
    elif hasattr(value, "dtype") and getattr(value, "shape", None) == ():
        return to_expr(value.item(), name, symbols=symbols)
    else:
        raise TypeError(f"{name}: expected a number, a SymPy expression or a string, got {type(value).__name__}")
    if expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise ValueError(f"{name}: {value!r} is not a finite number")
    if not isinstance(expr, sympy.Expr):
        raise TypeError(f"{name}: expected an expression, got {type(expr).__name__}")
    return as_real(expr)


def _finite(value: numbers.Complex) -> bool:
    z = complex(value)
    return math.isfinite(z.real) and math.isfinite(z.imag)


# --------------------------------------------------------------------------------------------------
# Safe parsing of expression strings
# --------------------------------------------------------------------------------------------------

#: Functions an expression string may call.
FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "sqrt": sympy.sqrt,
    "exp": sympy.exp,
    "log": sympy.log,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "tanh": sympy.tanh,
    "cosh": sympy.cosh,
    "sinh": sympy.sinh,
    "abs": sympy.Abs,
}

#: Constants an expression string may name.
CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "I": sympy.I}

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
_UNARY = {ast.UAdd: lambda a: a, ast.USub: lambda a: -a}

_MAX_LENGTH = 2000
_MAX_EXPONENT = 1000


def parse_expression(
    text: str,
    *,
    symbols: Mapping[str, sympy.Symbol] | None = None,
    allowed_names: Iterable[str] | None = None,
) -> sympy.Expr:
    """Parse an arithmetic expression string into SymPy without evaluating any Python code.

    Accepted: numbers, ``+ - * / **`` (``^`` is read as power; numeric exponents up to 1000 in
    magnitude), parentheses, the constants
    ``pi`` and ``I``, the functions in :data:`FUNCTIONS`, and parameter names.  Names become real
    symbols, or the entries of ``symbols``.  With ``allowed_names`` given, any other name is an
    error.  Anything else (attributes, subscripts, calls of other names, comparisons, lambdas,
    strings, ...) raises :class:`ExpressionError`.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > _MAX_LENGTH:
        raise ExpressionError(f"expression longer than {_MAX_LENGTH} characters")
    source = text.strip().replace("^", "**")
    if not source:
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise ExpressionError(f"malformed expression {text!r}") from None
    allowed = None if allowed_names is None else set(allowed_names)
    return _Reader(text, symbols or {}, allowed).read(tree.body)


class _Reader:
    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol], allowed: set[str] | None):
        self.text = text
        self.symbols = symbols
        self.allowed = allowed

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"{what} is not allowed in expression {self.text!r}")

    def read(self, node: ast.AST) -> sympy.Expr:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise self.fail(f"the literal {node.value!r}")
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise ExpressionError(f"non-finite number in expression {self.text!r}")
            return sympy.sympify(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.read(node.left), self.read(node.right)
            if isinstance(node.op, ast.Pow) and right.is_number and abs(complex(right)) > _MAX_EXPONENT:
                # exact powers such as 10**10**10 would take SymPy hours and all memory
                raise ExpressionError(f"exponent {right} larger than {_MAX_EXPONENT} in expression {self.text!r}")
            return _BINARY[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            return _UNARY[type(node.op)](self.read(node.operand))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
                raise self.fail(f"calling {called!r}")
            if node.keywords or len(node.args) != 1:
                raise self.fail(f"{node.func.id} with other than one argument")
            return FUNCTIONS[node.func.id](self.read(node.args[0]))
        raise self.fail(f"the construct {ast.unparse(node)!r}")

    def name(self, identifier: str) -> sympy.Expr:
        if identifier in CONSTANTS:
            return CONSTANTS[identifier]
        if identifier in FUNCTIONS:
            raise self.fail(f"the function name {identifier!r} without a call")
        if identifier.startswith("_"):
            raise self.fail(f"the name {identifier!r}")
        if self.allowed is not None and identifier not in self.allowed:
            raise ExpressionError(f"undefined parameter {identifier!r} in expression {self.text!r}")
        if identifier in self.symbols:
            return self.symbols[identifier]
        return sympy.Symbol(identifier, real=True)
