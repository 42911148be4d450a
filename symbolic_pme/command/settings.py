"""Reading ``--set NAME=VALUE`` and ``--sweep NAME=START:STOP:NUM`` and checking them against a model."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..expressions import ExpressionError, parse_expression
from ..model_file import ModelFile

__all__ = ["CommandError", "check_names", "fixed_values", "sweep_axes"]


class CommandError(ValueError):
    """Bad command-line input; reported in one line with exit status 2."""


def _number(text: str, what: str) -> float:
    """A real number written as a number or a constant expression (``2*pi``, ``-1e-3``)."""
    try:
        value = complex(parse_expression(text, allowed_names=()))
    except ExpressionError as error:
        raise CommandError(f"{what}: {error}") from None
    except (TypeError, ValueError, OverflowError):
        raise CommandError(f"{what}: {text!r} is not a finite number") from None
    if value.imag != 0 or not math.isfinite(value.real):
        raise CommandError(f"{what}: {text!r} is not a finite real number")
    return value.real


def _name_and_value(text: str, option: str, form: str) -> tuple[str, str]:
    name, separator, value = text.partition("=")
    name = name.strip()
    if not separator or not name or not value.strip():
        raise CommandError(f"{option} {text!r}: expected {form}")
    return name, value


def fixed_values(settings: Sequence[str]) -> dict[str, float]:
    """``{name: value}`` from ``--set`` arguments (a name given twice is an error)."""
    values: dict[str, float] = {}
    for text in settings:
        name, value = _name_and_value(text, "--set", "NAME=VALUE")
        if name in values:
            raise CommandError(f"--set {name}: given twice")
        values[name] = _number(value, f"--set {name}")
    return values


def sweep_axes(sweeps: Sequence[str]) -> dict[str, np.ndarray]:
    """``{name: inclusive linspace}`` from ``--sweep`` arguments, in the order given (axis order)."""
    axes: dict[str, np.ndarray] = {}
    for text in sweeps:
        name, spec = _name_and_value(text, "--sweep", "NAME=START:STOP:NUM")
        parts = spec.split(":")
        if len(parts) != 3:
            raise CommandError(f"--sweep {name}: expected START:STOP:NUM, got {spec!r}")
        if name in axes:
            raise CommandError(f"--sweep {name}: given twice")
        start, stop = (_number(p, f"--sweep {name}") for p in parts[:2])
        count = parts[2].strip()
        if not count.isdigit() or int(count) < 1:
            raise CommandError(f"--sweep {name}: NUM must be a whole number of points >= 1, got {count!r}")
        axes[name] = np.linspace(start, stop, int(count))
    return axes


def check_names(model: ModelFile, values: dict[str, float], axes: dict[str, np.ndarray]) -> None:
    """Every set or swept name is a declared parameter that enters the model, and none is both."""
    used = set(model.used_parameters)
    for option, names in (("--set", values), ("--sweep", axes)):
        for name in names:
            if name not in model.parameters:
                declared = ", ".join(model.parameters) or "none"
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
