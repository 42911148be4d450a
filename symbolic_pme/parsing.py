"""Turning user input into SymPy expressions.

Every model parameter in symbolic_pme is a *real* quantity (energies, chemical potentials,
temperatures, coupling amplitudes, rates).  Complex couplings are written from real parameters,
e.g. ``t * exp(I * phi)``.  This module enforces that convention in one place:

* :func:`to_expr` accepts numbers, SymPy expressions and expression strings and returns a SymPy
  expression whose symbols are all declared real;
* :func:`parse_expression` reads an expression string *safely* (a whitelist over Python's ``ast``):
  text is never passed to ``eval``, ``sympify`` or ``parse_expr``, which would run Python code;
  its size, depth and exponents are limited, and every part without parameters is checked in
  floating point before SymPy computes it exactly;
* :func:`evaluate` computes a parsed expression in double precision, one floating-point operation
  per node, so that an overflow is an error at once (the evaluation guard of model files).
"""

from __future__ import annotations

import ast
import cmath
import functools
import math
import numbers
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sympy

from symbolic_pme.errors import ExpressionError

__all__ = [
    "MAX_DEPTH",
    "MAX_EXACT_INTEGER",
    "MAX_EXPONENT",
    "MAX_LENGTH",
    "MAX_NODES",
    "apply",
    "as_real",
    "evaluate",
    "is_number",
    "number",
    "parse_expression",
    "to_expr",
]

Value = numbers.Number | sympy.Basic | str


def as_real(expr: sympy.Basic) -> sympy.Basic:
    """Replace every plain symbol of an expression by a real symbol of the same name.

    Symbols declared with assumptions (``real``, ``positive``, ``complex``, ...) are kept as they
    are: a symbol explicitly declared complex stays complex.

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy object.

    Returns
    -------
    sympy.Basic
        ``expr`` with its plain symbols made real (``expr`` itself when there are none).

    Examples
    --------
    >>> as_real(sympy.Symbol("x")).is_real
    True
    """
    replacements = {
        s: sympy.Symbol(s.name, real=True)
        for s in expr.free_symbols
        if type(s) is sympy.Symbol and set(s.assumptions0) <= {"commutative"}
    }
    return expr.xreplace(replacements) if replacements else expr


def is_number(expr: sympy.Basic) -> bool:
    """Whether an expression has no free symbols (it evaluates to a number).

    Parameters
    ----------
    expr : sympy.Basic
        Any SymPy object.

    Returns
    -------
    bool
        True when ``expr`` has no free symbols.
    """
    return not expr.free_symbols


def to_expr(value: Value, name: str, *, symbols: Mapping[str, sympy.Symbol] | None = None) -> sympy.Expr:
    """Convert a value into a SymPy expression with real symbols.

    Parameters
    ----------
    value : Value
        An int, float, complex, ``fractions.Fraction``, a NumPy scalar, a SymPy expression, or a
        string.  A string is parsed by :func:`parse_expression`; names in it become real symbols
        (or the entries of ``symbols``).
    name : str
        What the value is (e.g. ``"temperature of lead 'tip'"``); used in error messages.
    symbols : mapping of str to sympy.Symbol, optional
        Symbols to use for names in a string, instead of new real symbols.

    Returns
    -------
    sympy.Expr
        The expression; its plain symbols are real (see :func:`as_real`).

    Raises
    ------
    ValueError
        For NaN or infinite numbers and for unreadable strings; the message names ``name``.
    TypeError
        For a bool, a SymPy object that is not an expression, and values of any other type.

    Examples
    --------
    >>> to_expr("2*t", "coupling")
    2*t
    >>> to_expr("2*t", "coupling").is_real
    True
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

#: Longest expression string, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of an expression (operators, calls and parentheses inside one another).
MAX_DEPTH = 100
#: Most parts (operations, calls, numbers and names) in one expression.
MAX_NODES = 1000
#: Largest magnitude of an exponent (``x**1001`` is refused; so are exponents of symbols).
MAX_EXPONENT = 1000

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_BINARY_NAMES = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def parse_expression(
    text: str,
    *,
    symbols: Mapping[str, sympy.Symbol] | None = None,
    allowed_names: Iterable[str] | None = None,
) -> sympy.Expr:
    """Parse an arithmetic expression string into SymPy without evaluating any Python code.

    Accepted: numbers, ``+ - * / **`` (``^`` is read as power), parentheses, the constants
    ``pi`` and ``I``, the functions in :data:`FUNCTIONS`, and parameter names.  Names become real
    symbols, or the entries of ``symbols``.  With ``allowed_names`` given, any other name is an
    error.  Anything else (attributes, subscripts, calls of other names, comparisons, lambdas,
    strings, ...) raises :class:`ExpressionError`.

    Limits, each refused with a message naming it: at most :data:`MAX_LENGTH` characters,
    :data:`MAX_DEPTH` levels of nesting and :data:`MAX_NODES` parts; exponents at most
    :data:`MAX_EXPONENT` in magnitude; every part without parameters (a number, ``2**64``,
    ``exp(3)``, a whole tower ``(9**9)**9``) a finite double-precision number, checked in
    floating point *before* SymPy computes it exactly.

    Parameters
    ----------
    text : str
        The expression.
    symbols : mapping of str to sympy.Symbol, optional
        Symbols to use for some names, instead of new real symbols.
    allowed_names : iterable of str, optional
        The only parameter names allowed; by default any name that is not a constant, a function
        or private (``_x``).

    Returns
    -------
    sympy.Expr
        The expression.

    Raises
    ------
    ExpressionError
        If ``text`` is not a string, is empty or malformed, exceeds a limit, uses a construct or
        name that is not allowed, or has a part without parameters that is not a finite number.

    Examples
    --------
    >>> parse_expression("sqrt(G/(2*pi))")
    sqrt(2)*sqrt(G)/(2*sqrt(pi))
    >>> parse_expression("__import__('os')")
    Traceback (most recent call last):
    ...
    symbolic_pme.errors.ExpressionError: ...
    """
    if not isinstance(text, str):
        raise ExpressionError(f"expected an expression string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters ({len(text)})")
    source = text.strip().replace("^", "**")
    if not source:
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise ExpressionError(f"malformed expression {_short(text)}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(f"expression {_short(text)} is nested more than {MAX_DEPTH} levels deep") from None
    _check_size(tree.body, text)
    allowed = None if allowed_names is None else set(allowed_names)
    return _Reader(text, symbols or {}, allowed).read(tree.body)[0]


def _short(text: str, length: int = 60) -> str:
    """``repr`` of ``text``, cut to about ``length`` characters for messages."""
    return repr(text if len(text) <= length else text[:length] + "...")


def _check_size(root: ast.AST, text: str) -> None:
    """Refuse trees deeper than :data:`MAX_DEPTH` or larger than :data:`MAX_NODES` (iteratively:
    a deep tree must not exhaust the recursion limit while it is being measured)."""
    stack, nodes = [(root, 1)], 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExpressionError(f"expression {_short(text)} is nested more than {MAX_DEPTH} levels deep")
        nodes += 1
        if nodes > MAX_NODES:
            raise ExpressionError(f"expression {_short(text)} has more than {MAX_NODES} parts")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))


#: An expression and, when it contains no parameter, its value in floating point.
_Read = tuple[sympy.Expr, complex | None]


class _Reader:
    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol], allowed: set[str] | None):
        self.text = text
        self.symbols = symbols
        self.allowed = allowed

    def fail(self, what: str) -> ExpressionError:
        return ExpressionError(f"{what} is not allowed in expression {_short(self.text)}")

    def numeric(self, operation: str, *values: complex) -> complex:
        """``operation`` on floating-point values; overflow or a pole is an ExpressionError."""
        try:
            return apply(operation, *values)
        except ExpressionError as error:
            raise ExpressionError(f"{error} in expression {_short(self.text)}") from None

    def read(self, node: ast.AST) -> _Read:
        if isinstance(node, ast.Constant):
            return self.constant(node.value)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            return self.binary(node)
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
            expr, value = self.read(node.operand)
            return _UNARY[type(node.op)](expr), None if value is None else _UNARY[type(node.op)](value)
        if isinstance(node, ast.Call):
            return self.call(node)
        raise self.fail(f"the construct {_short(ast.unparse(node))}")

    def constant(self, literal: object) -> _Read:
        if isinstance(literal, bool) or not isinstance(literal, (int, float)):
            raise self.fail(f"the literal {_short(repr(literal))}")
        if isinstance(literal, float) and not math.isfinite(literal):
            raise ExpressionError(f"non-finite number in expression {_short(self.text)}")
        if isinstance(literal, int) and literal.bit_length() > _FLOAT_BITS:
            raise ExpressionError(f"a number too large for a float in expression {_short(self.text)}")
        return number(literal), complex(literal)

    def binary(self, node: ast.BinOp) -> _Read:
        (left, left_value), (right, right_value) = self.read(node.left), self.read(node.right)
        if isinstance(node.op, ast.Pow):
            if right_value is not None and abs(right_value) > MAX_EXPONENT:
                raise ExpressionError(
                    f"exponent {ast.unparse(node.right)} larger than {MAX_EXPONENT} in expression {_short(self.text)}"
                )
        if isinstance(node.op, ast.Div) and right_value == 0:
            raise ExpressionError(f"division by zero in expression {_short(self.text)}")
        value = None
        if left_value is not None and right_value is not None:
            # the value of the whole power (or product, ...) in floating point before SymPy
            # computes it exactly: (9**999)**999 is refused here, not after hours
            value = self.numeric(_BINARY_NAMES[type(node.op)], left_value, right_value)
        result = _BINARY[type(node.op)](left, right)
        return (number(int(result)) if isinstance(result, sympy.Integer) else result), value

    def call(self, node: ast.Call) -> _Read:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            called = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise self.fail(f"calling {_short(called)}")
        if node.keywords or len(node.args) != 1:
            raise self.fail(f"{node.func.id} with other than one argument")
        argument, value = self.read(node.args[0])
        name = node.func.id
        return FUNCTIONS[name](argument), None if value is None else self.numeric(name, value)

    def name(self, identifier: str) -> _Read:
        if identifier in CONSTANTS:
            return CONSTANTS[identifier], _CONSTANT_VALUES[identifier]
        if identifier in FUNCTIONS:
            raise self.fail(f"the function name {identifier!r} without a call")
        if identifier.startswith("_"):
            raise self.fail(f"the name {identifier!r}")
        if self.allowed is not None and identifier not in self.allowed:
            raise ExpressionError(f"undefined parameter {identifier!r} in expression {_short(self.text)}")
        if identifier in self.symbols:
            return self.symbols[identifier], None
        return sympy.Symbol(identifier, real=True), None


# --------------------------------------------------------------------------------------------------
# Evaluation in floating point (the evaluation guard)
# --------------------------------------------------------------------------------------------------

_FLOAT_BITS = 1024  # integers of more bits do not fit a double
#: Integers up to this magnitude stay exact; larger ones are read as floating-point numbers
#: (NumPy cannot take them as integers, and no physical value needs their last digits).
MAX_EXACT_INTEGER = 2**53


def number(value: float) -> sympy.Expr:
    """A number as SymPy, without exact giants.

    Parameters
    ----------
    value : int or float
        The number.

    Returns
    -------
    sympy.Expr
        ``sympify(value)`` (an exact ``Integer`` for integers up to :data:`MAX_EXACT_INTEGER` in
        magnitude, a ``Float`` for floats), or a SymPy ``Float`` for larger integers.

    Examples
    --------
    >>> number(2**60)
    1152921504606846976.
    """
    if isinstance(value, int) and abs(value) > MAX_EXACT_INTEGER:
        return sympy.Float(value)
    return sympy.sympify(value)


_CONSTANT_VALUES = {"pi": complex(math.pi), "I": 1j}


def _real_or_complex(real: Callable[[float], float], complex_: Callable[[complex], complex]) -> Callable:
    """A function that uses ``real`` on real arguments (no spurious imaginary parts) and
    ``complex_`` otherwise."""

    def function(z: complex) -> complex:
        return complex(real(z.real)) if z.imag == 0 else complex_(z)

    return function


def _power(base: complex, exponent: complex) -> complex:
    if base == 0 and exponent.real < 0:
        raise ZeroDivisionError
    if base.imag == 0 and exponent.imag == 0 and (base.real >= 0 or exponent.real.is_integer()):
        return complex(math.pow(base.real, exponent.real))
    return base**exponent


def _log(z: complex) -> complex:
    return complex(math.log(z.real)) if z.imag == 0 and z.real > 0 else cmath.log(z)


def _sqrt(z: complex) -> complex:
    return complex(math.sqrt(z.real)) if z.imag == 0 and z.real >= 0 else cmath.sqrt(z)


def _sign(z: complex) -> complex:
    return 0j if z == 0 else z / abs(z)


_OPERATIONS: dict[str, Callable[..., complex]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": _power,
    "sqrt": _sqrt,
    "exp": _real_or_complex(math.exp, cmath.exp),
    "log": _log,
    "sin": _real_or_complex(math.sin, cmath.sin),
    "cos": _real_or_complex(math.cos, cmath.cos),
    "tan": _real_or_complex(math.tan, cmath.tan),
    "sinh": _real_or_complex(math.sinh, cmath.sinh),
    "cosh": _real_or_complex(math.cosh, cmath.cosh),
    "tanh": _real_or_complex(math.tanh, cmath.tanh),
    "abs": lambda z: complex(abs(z)),
    "re": lambda z: complex(z.real),
    "im": lambda z: complex(z.imag),
    "conjugate": lambda z: z.conjugate(),
    "arg": lambda z: complex(cmath.phase(z)),
    "sign": _sign,
}


def apply(operation: str, *values: complex) -> complex:
    """An operation on floating-point values, with overflow and poles as errors.

    Parameters
    ----------
    operation : str
        ``"add"``, ``"sub"``, ``"mul"``, ``"div"``, ``"pow"`` (two values) or a function of one
        value: ``"sqrt"``, ``"exp"``, ``"log"``, ``"sin"``, ``"cos"``, ``"tan"``, ``"sinh"``,
        ``"cosh"``, ``"tanh"``, ``"abs"``, ``"re"``, ``"im"``, ``"conjugate"``, ``"arg"``,
        ``"sign"``.
    *values : complex
        The operands.

    Returns
    -------
    complex
        The result; real arguments of the elementary functions give no spurious imaginary part.

    Raises
    ------
    ExpressionError
        When the result overflows a double, is not a number, or the operation has a pole there
        (``1/0``, ``log(0)``); the message says which.

    Examples
    --------
    >>> apply("pow", 2, 10)
    (1024+0j)
    """
    what = _DESCRIPTIONS.get(operation, operation)
    try:
        result = _OPERATIONS[operation](*(complex(v) for v in values))
    except ZeroDivisionError:
        raise ExpressionError("not a finite number (division by zero)") from None
    except OverflowError:
        raise ExpressionError(f"not a finite number ({what} overflows a float)") from None
    except ValueError:
        raise ExpressionError(f"not a finite number ({what} has a pole or singularity there)") from None
    if not (math.isfinite(result.real) and math.isfinite(result.imag)):
        raise ExpressionError(f"not a finite number ({what} overflows a float)")
    return result


_DESCRIPTIONS = {"add": "a sum", "sub": "a difference", "mul": "a product", "div": "a quotient", "pow": "a power"}


_SYMPY_OPERATIONS: dict[type, str] = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.tanh: "tanh",
    sympy.Abs: "abs",
    sympy.re: "re",
    sympy.im: "im",
    sympy.conjugate: "conjugate",
    sympy.arg: "arg",
    sympy.sign: "sign",
}


def evaluate(expr: sympy.Basic, values: Mapping[str, float]) -> complex:
    """The value of an expression in double precision.

    Unlike SymPy's arbitrary-precision evaluation this never runs away (``exp(exp(exp(9)))``
    overflows at once instead of computing a number with 10**3800 digits): each operation is one
    floating-point operation, and an overflow, a pole or a non-finite result raises.

    Parameters
    ----------
    expr : sympy.Basic
        An expression of the kind :func:`parse_expression` builds.
    values : mapping of str to float
        ``{name: value}`` of every free symbol.

    Returns
    -------
    complex
        The value.

    Raises
    ------
    ExpressionError
        On overflow, a pole (``1/0``, ``log(0)``) or a construct other than those parsed.
    KeyError
        If a free symbol has no entry in ``values``.

    Examples
    --------
    >>> evaluate(parse_expression("sqrt(G/(2*pi))"), {"G": 2 * math.pi})
    (1+0j)
    """
    if isinstance(expr, sympy.Symbol):
        return complex(values[expr.name])
    if expr is sympy.I:
        return 1j
    if isinstance(expr, sympy.Integer) and abs(expr.p).bit_length() > _FLOAT_BITS:
        raise ExpressionError("not a finite number (an integer too large for a float)")
    if isinstance(expr, (sympy.Number, sympy.NumberSymbol)):
        return apply("add", complex(expr), 0)
    arguments = [evaluate(a, values) for a in expr.args]
    if isinstance(expr, sympy.Add):
        return functools.reduce(lambda a, b: apply("add", a, b), arguments)
    if isinstance(expr, sympy.Mul):
        return functools.reduce(lambda a, b: apply("mul", a, b), arguments)
    if isinstance(expr, sympy.Pow):
        return apply("pow", *arguments)
    if type(expr) in _SYMPY_OPERATIONS and len(arguments) == 1:
        return apply(_SYMPY_OPERATIONS[type(expr)], arguments[0])
    raise ExpressionError(f"cannot evaluate {type(expr).__name__} in floating point")
