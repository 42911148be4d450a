"""Reading ``--set NAME=VALUE`` and ``--sweep NAME=START:STOP:NUM`` and checking them against a model.

Sizes are checked before anything is allocated: at most :data:`MAX_SWEEPS` sweep axes and
:data:`MAX_GRID_POINTS` grid points in all; every value given lies within
``symbolic_pme.files.model_file.MAX_VALUE`` in magnitude.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from symbolic_pme.errors import CommandError
from symbolic_pme.files.model_file import MAX_VALUE, ModelFile
from symbolic_pme.parsing import ExpressionError, evaluate, parse_expression

__all__ = [
    "MAX_GRID_POINTS",
    "MAX_SWEEPS",
    "Sweep",
    "check_names",
    "fixed_values",
    "grid_points",
    "sweep_axes",
    "sweeps",
]

#: Most ``--sweep`` axes.
MAX_SWEEPS = 8
#: Most grid points (the product of the sweeps' NUM).
MAX_GRID_POINTS = 10**6

_COUNT = re.compile(r"[0-9]{1,12}")


class Sweep(NamedTuple):
    """One ``--sweep``: NUM evenly spaced values from START to STOP, both included.

    Attributes
    ----------
    start, stop : float
        The first and last values, in the unit of the parameter.
    count : int
        The number of values (at least 1).
    """

    start: float
    stop: float
    count: int


def _number(text: str, what: str) -> float:
    """A real number written as a number or a constant expression (``2*pi``, ``-1e-3``)."""
    try:
        value = evaluate(parse_expression(text, allowed_names=()), {})
    except ExpressionError as error:
        raise CommandError(f"{what}: {error}") from None
    if value.imag != 0:
        raise CommandError(f"{what}: {text!r} is not a finite real number")
    if abs(value.real) > MAX_VALUE:
        raise CommandError(f"{what}: {text!r} is {value.real:g}, beyond the limit of {MAX_VALUE:g} in magnitude")
    return value.real


def _name_and_value(text: str, option: str, form: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    name = name.strip()
    if not separator or not name or not value.strip():
        raise CommandError(f"{option} {text!r}: expected {form}")
    return name, value


def fixed_values(settings: Sequence[str]) -> dict[str, float]:
    """Parameter values from ``--set`` arguments.

    Parameters
    ----------
    settings : sequence of str
        ``NAME=VALUE`` texts; a value is a number or a constant expression (``2*pi``).

    Returns
    -------
    dict of str to float
        ``{name: value}`` in the order given.

    Raises
    ------
    CommandError
        For a malformed argument, a name given twice, or a value that is not a finite real number
        within ``MAX_VALUE`` in magnitude.

    Examples
    --------
    >>> fixed_values(["V=2*pi", "eps=-0.5"])
    {'V': 6.283185307179586, 'eps': -0.5}
    """
    values: dict[str, float] = {}
    for text in settings:
        name, value = _name_and_value(text, "--set", "NAME=VALUE")
        if name in values:
            raise CommandError(f"--set {name}: given twice")
        values[name] = _number(value, f"--set {name}")
    return values


def _count(text: str, name: str) -> int:
    """NUM of a sweep: ASCII digits, at least 1 and at most :data:`MAX_GRID_POINTS`."""
    count = text.strip()
    if not _COUNT.fullmatch(count) or int(count) < 1:
        shown = count if len(count) <= 20 else count[:20] + "..."
        raise CommandError(f"--sweep {name}: NUM must be a whole number of points >= 1, got {shown!r}")
    if int(count) > MAX_GRID_POINTS:
        raise CommandError(f"--sweep {name}: {int(count)} points are more than the {MAX_GRID_POINTS} a grid may have")
    return int(count)


def sweeps(arguments: Sequence[str]) -> dict[str, Sweep]:
    """The sweep axes from ``--sweep`` arguments, checked in size; nothing is allocated.

    Parameters
    ----------
    arguments : sequence of str
        ``NAME=START:STOP:NUM`` texts, in axis order.

    Returns
    -------
    dict of str to Sweep
        ``{name: Sweep}`` in the order given (axis order).

    Raises
    ------
    CommandError
        For a malformed argument, a name given twice, more than :data:`MAX_SWEEPS` axes, a bad
        NUM, or a grid of more than :data:`MAX_GRID_POINTS` points.

    Examples
    --------
    >>> sweeps(["V=-1:1:3"])
    {'V': Sweep(start=-1.0, stop=1.0, count=3)}
    """
    if len(arguments) > MAX_SWEEPS:
        raise CommandError(f"--sweep: {len(arguments)} sweeps are more than the {MAX_SWEEPS} supported")
    found: dict[str, Sweep] = {}
    for text in arguments:
        name, spec = _name_and_value(text, "--sweep", "NAME=START:STOP:NUM")
        parts = spec.split(":")
        if len(parts) != 3:
            raise CommandError(f"--sweep {name}: expected START:STOP:NUM, got {spec!r}")
        if name in found:
            raise CommandError(f"--sweep {name}: given twice")
        start, stop = (_number(p, f"--sweep {name}") for p in parts[:2])
        found[name] = Sweep(start, stop, _count(parts[2], name))
    points = grid_points(found)
    if points > MAX_GRID_POINTS:
        counts = " x ".join(str(s.count) for s in found.values())
        raise CommandError(
            f"--sweep: a grid of {counts} = {points} points is more than the {MAX_GRID_POINTS} supported"
        )
    return found


def grid_points(found: dict[str, Sweep]) -> int:
    """The number of grid points of some sweeps.

    Parameters
    ----------
    found : dict of str to Sweep
        The sweeps, as from :func:`sweeps`.

    Returns
    -------
    int
        The product of their counts (1 without sweeps).
    """
    return math.prod(s.count for s in found.values())


def sweep_axes(found: dict[str, Sweep]) -> dict[str, np.ndarray]:
    """The values of each sweep axis.

    Parameters
    ----------
    found : dict of str to Sweep
        The sweeps, as from :func:`sweeps`.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{name: inclusive linspace}``, in axis order.

    Examples
    --------
    >>> sweep_axes(sweeps(["V=-1:1:3"]))
    {'V': array([-1.,  0.,  1.])}
    """
    return {name: np.linspace(s.start, s.stop, s.count) for name, s in found.items()}


def check_names(model: ModelFile, values: dict[str, float], axes: dict[str, Sweep]) -> None:
    """Check that every set or swept name is a declared parameter that enters the model, and none is both.

    Parameters
    ----------
    model : ModelFile
        The model file.
    values : dict of str to float
        The ``--set`` values.
    axes : dict of str to Sweep
        The ``--sweep`` axes.

    Raises
    ------
    CommandError
        For an undeclared name, a parameter that enters nothing, or a name both set and swept.
    """
    used = set(model.used_parameters)
    for option, names in (("--set", values), ("--sweep", axes)):
        for name in names:
            if name not in model.parameters:
                declared = ", ".join(model.parameters) or "none"
                if len(declared) > 200:
                    declared = declared[:200] + ", ..."
                raise CommandError(
                    f"{option} {name}: {model.path} declares no parameter {name!r} (declared: {declared})"
                )
            if name not in used:
                raise CommandError(
                    f"{option} {name}: parameter {name!r} enters nothing in {model.path}; it would change nothing"
                )
    both = [name for name in axes if name in values]
    if both:
        raise CommandError(f"parameter {both[0]!r} is given both with --set and with --sweep")
