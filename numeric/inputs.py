"""Checking and arranging parameter values for compiled kernels.

Values are given by parameter name.  ``solve`` takes scalars or arrays that broadcast together;
``sweep`` takes named 1-D axes and lays them out as an outer grid (first axis = axis 0) by
reshaping, so nothing is copied and every kernel stage only sees the axes it depends on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import sympy

__all__ = ["Grid", "Parameters", "TakesParameters", "arrange", "row_chunks"]


K = TypeVar("K")


@dataclass(frozen=True)
class Grid:
    """Validated parameter values: ``values[name]`` broadcasts to ``shape``; ``axes`` names the
    sweep axes in order (empty for a single point or plain broadcasting)."""

    values: dict[str, np.ndarray]
    shape: tuple[int, ...]
    axes: dict[str, np.ndarray]


def row_chunks(
    arrays: Mapping[K, np.ndarray], shape: tuple[int, ...], max_points: int
) -> Iterator[tuple[slice, dict[K, np.ndarray], tuple[int, ...]]]:
    """Split arrays that broadcast to ``shape`` along its first axis into pieces of at most about
    ``max_points`` grid points.

    Yields ``(rows, arrays, shape)``: the slice of axis 0, the arrays restricted to it (an array
    that does not vary along axis 0 is passed whole, keeping its broadcasting structure), and the
    piece's shape.  A grid of up to ``max_points`` points is one piece.
    """
    size = math.prod(shape)
    if not shape or size <= max_points:
        yield slice(None), dict(arrays), shape
        return
    step = max(1, max_points // max(1, size // shape[0]))
    for start in range(0, shape[0], step):
        rows = slice(start, min(start + step, shape[0]))
        piece = {}
        for key, array in arrays.items():
            array = np.asarray(array)
            padded = array.reshape((1,) * (len(shape) - array.ndim) + array.shape)
            piece[key] = padded[rows] if padded.shape[0] > 1 else padded
        yield rows, piece, (rows.stop - rows.start,) + shape[1:]


def _as_real_array(name: str, value) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as error:  # noqa: BLE001 - report any conversion failure against the name
        raise ValueError(f"parameter {name!r}: cannot read {value!r} as numbers ({error})") from None
    if array.dtype == object or array.dtype.kind not in "biuf":
        if array.dtype.kind == "c":
            raise ValueError(f"parameter {name!r}: complex values are not allowed (parameters are real)")
        try:
            array = array.astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name!r}: {value!r} is not a real number or array") from None
    array = array.astype(float, copy=False)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"parameter {name!r}: NaN or infinite value")
    return array


def arrange(
    parameters: Sequence[str],
    defaults: Mapping[str, float],
    values: Mapping[str, object],
    axes: Mapping[str, object] | None = None,
) -> Grid:
    """Validate values and sweep axes for a kernel with the given parameter names.

    Raises ValueError naming the parameter for an unknown name, a missing value, a name given
    twice, NaN/inf or complex values, an axis that is not a non-empty 1-D array, or shapes that do
    not broadcast.
    """
    known = set(parameters)
    axes = dict(axes or {})
    for name in list(values) + list(axes):
        if name not in known:
            listed = ", ".join(parameters) if parameters else "none"
            raise ValueError(f"unknown parameter {name!r}; this model's parameters: {listed}")
    both = sorted(set(values) & set(axes))
    if both:
        raise ValueError(f"parameter {both[0]!r} is given both as a value and as a sweep axis")
    arrays: dict[str, np.ndarray] = {}
    named_axes: dict[str, np.ndarray] = {}
    for position, (name, axis) in enumerate(axes.items()):
        array = _as_real_array(name, axis)
        if array.ndim != 1 or array.size == 0:
            raise ValueError(f"sweep axis {name!r}: expected a non-empty 1-D array, got shape {array.shape}")
        named_axes[name] = array
        shape = [1] * len(axes)
        shape[position] = array.size
        arrays[name] = array.reshape(shape)
    for name in parameters:
        if name in arrays:
            continue
        if name in values:
            array = _as_real_array(name, values[name])
            if axes and array.ndim:
                raise ValueError(f"parameter {name!r}: with sweep axes, fixed values must be single numbers")
            arrays[name] = array
        elif name in defaults:
            arrays[name] = _as_real_array(name, defaults[name])
    missing = [name for name in parameters if name not in arrays]
    if missing:
        raise ValueError(f"no value for parameter(s) {', '.join(map(repr, missing))}")
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in arrays.items() if a.ndim)
        raise ValueError(f"parameter arrays do not broadcast together ({shapes})") from None
    return Grid(arrays, shape, named_axes)


class Parameters:
    """The named, real parameters of a compiled solver, with their defaults.

    Every compiled object (rate network, open network, Lindblad model) takes parameter values the
    same way: by name, as a mapping and/or keywords (a name given both ways is an error), with
    optional named sweep axes; :meth:`grid` validates and arranges them (see :func:`arrange`).
    """

    def __init__(self, symbols, defaults: Mapping[str, float] | None = None):
        ordered = sorted(set(symbols), key=lambda s: s.name)
        names = [s.name for s in ordered]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ValueError(f"two different symbols share the name(s) {clashes}; rename one")
        #: ``{name: symbol}``, sorted by name.
        self.symbols: dict[str, sympy.Symbol] = dict(zip(names, ordered))
        #: The names, sorted.
        self.names: tuple[str, ...] = tuple(names)
        self.defaults: dict[str, float] = {}
        for name, value in (defaults or {}).items():
            if name not in self.symbols:
                raise ValueError(f"default for unknown parameter {name!r}; parameters: {', '.join(names)}")
            self.defaults[name] = value

    def grid(
        self, values: Mapping[str, object] | None = None, axes: Mapping[str, object] | None = None, **kwargs
    ) -> Grid:
        """Validated values (mapping and keywords merged) on the grid of ``axes``."""
        merged = {str(k): v for k, v in (values or {}).items()}
        for name in kwargs:
            if name in merged:
                raise ValueError(f"parameter {name!r} is given twice")
        merged.update(kwargs)
        return arrange(self.names, self.defaults, merged, axes)

    def by_symbol(self, arrays: Mapping[str, np.ndarray]) -> dict[sympy.Symbol, np.ndarray]:
        """The same values keyed by symbol (what compiled kernels take)."""
        return {self.symbols[name]: array for name, array in arrays.items()}


class TakesParameters:
    """Mixin for compiled solvers whose parameters are a :class:`Parameters` in ``_parameters``."""

    _parameters: Parameters

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names, sorted."""
        return self._parameters.names

    @property
    def defaults(self) -> dict[str, float]:
        """Values used for parameters a call does not set."""
        return self._parameters.defaults

    def grid(
        self, values: Mapping[str, object] | None = None, /, axes: Mapping[str, object] | None = None, **kwargs
    ) -> Grid:
        """Validated parameter values (mapping and keywords) on the grid of ``axes``."""
        return self._parameters.grid(values, axes, **kwargs)
