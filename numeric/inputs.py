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
from numpy.typing import ArrayLike

__all__ = ["Grid", "Parameters", "TakesParameters", "arrange", "row_chunks"]


K = TypeVar("K")


@dataclass(frozen=True)
class Grid:
    """Validated parameter values, as :func:`arrange` returns them.

    Attributes
    ----------
    values : dict of str to numpy.ndarray
        ``{name: array}`` for every parameter; each array broadcasts to :attr:`shape` (a sweep
        axis is reshaped to lie along its own axis).
    shape : tuple of int
        The grid shape (``()`` for a single point).
    axes : dict of str to numpy.ndarray
        ``{name: 1-D values}`` of the sweep axes in axis order (empty for a single point or
        plain broadcasting).
    """

    values: dict[str, np.ndarray]
    shape: tuple[int, ...]
    axes: dict[str, np.ndarray]


def row_chunks(
    arrays: Mapping[K, np.ndarray], shape: tuple[int, ...], max_points: int
) -> Iterator[tuple[slice, dict[K, np.ndarray], tuple[int, ...]]]:
    """Split arrays that broadcast to ``shape`` along its first axis into bounded pieces.

    Parameters
    ----------
    arrays : mapping of key to numpy.ndarray
        Arrays that broadcast to ``shape``.
    shape : tuple of int
        The grid shape.
    max_points : int
        About how many grid points a piece may hold; a grid of up to ``max_points`` points is
        one piece.

    Yields
    ------
    rows : slice
        The piece's slice of axis 0.
    arrays : dict of key to numpy.ndarray
        The arrays restricted to it (an array that does not vary along axis 0 is passed whole,
        keeping its broadcasting structure).
    shape : tuple of int
        The piece's shape.

    Examples
    --------
    >>> arrays = {"V": np.arange(5.0)[:, None], "T": np.array([[0.1, 0.2]])}
    >>> for rows, piece, shape in row_chunks(arrays, (5, 2), 4):
    ...     print(rows, piece["V"].ravel().tolist(), piece["T"].shape, shape)
    slice(0, 2, None) [0.0, 1.0] (1, 2) (2, 2)
    slice(2, 4, None) [2.0, 3.0] (1, 2) (2, 2)
    slice(4, 5, None) [4.0] (1, 2) (1, 2)
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
    if isinstance(value, float):  # the usual single number (NumPy float64 included)
        if not math.isfinite(value):
            raise ValueError(f"parameter {name!r}: NaN or infinite value")
        return np.array(float(value))
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
    if not np.isfinite(array).all():
        raise ValueError(f"parameter {name!r}: NaN or infinite value")
    return array


def arrange(
    parameters: Sequence[str],
    defaults: Mapping[str, float],
    values: Mapping[str, ArrayLike],
    *,
    axes: Mapping[str, ArrayLike] | None = None,
) -> Grid:
    """Validate values and sweep axes for a kernel with the given parameter names.

    Parameters
    ----------
    parameters : sequence of str
        The kernel's parameter names.
    defaults : mapping of str to float
        Values of parameters that ``values`` and ``axes`` do not set.
    values : mapping of str to array_like
        Parameter values: real numbers or arrays that broadcast together (single numbers when
        there are sweep axes).
    axes : mapping of str to array_like, optional
        Named non-empty 1-D sweep axes, laid out as an outer grid in the order given (first
        axis = axis 0) by reshaping, so nothing is copied.

    Returns
    -------
    Grid
        The values as float arrays that broadcast to the grid shape, and the sweep axes.

    Raises
    ------
    ValueError
        Naming the parameter, for an unknown name, a missing value, a name given both as a
        value and as an axis, NaN/inf or complex values, an axis that is not a non-empty 1-D
        array, an array value alongside sweep axes, or shapes that do not broadcast.

    Examples
    --------
    >>> grid = arrange(["T", "V"], {"T": 0.1}, {}, axes={"V": [0.0, 0.5, 1.0]})
    >>> grid.shape, grid.values["V"].shape, float(grid.values["T"])
    ((3,), (3,), 0.1)
    >>> arrange(["T", "V"], {}, {"V": 1.0})
    Traceback (most recent call last):
    ...
    ValueError: no value for parameter(s) 'T'
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
    shapes = {a.shape for a in arrays.values() if a.ndim}  # (NumPy's broadcast_shapes costs microseconds)
    try:
        shape = shapes.pop() if len(shapes) == 1 else np.broadcast_shapes(*shapes)
    except ValueError:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in arrays.items() if a.ndim)
        raise ValueError(f"parameter arrays do not broadcast together ({shapes})") from None
    return Grid(arrays, shape, named_axes)


class Parameters:
    """The named, real parameters of a compiled solver, with their defaults.

    Every compiled object (rate network, open network, Lindblad model) takes parameter values the
    same way: by name, as a mapping and/or keywords (a name given both ways is an error), with
    optional named sweep axes; :meth:`grid` validates and arranges them (see :func:`arrange`).

    Parameters
    ----------
    symbols : iterable of sympy.Symbol
        The parameter symbols; their names must differ.
    defaults : mapping of str to float, optional
        Values for parameters a call does not set, by name.

    Attributes
    ----------
    symbols : dict of str to sympy.Symbol
        ``{name: symbol}``, sorted by name.
    names : tuple of str
        The names, sorted.
    defaults : dict of str to float
        The default values.

    Raises
    ------
    ValueError
        If two different symbols share a name, or a default names an unknown parameter.

    Examples
    --------
    >>> T, V = sympy.symbols("T V")
    >>> parameters = Parameters([V, T], defaults={"T": 0.1})
    >>> parameters.names
    ('T', 'V')
    >>> parameters.grid({"V": [0.0, 0.5]}).shape
    (2,)
    """

    def __init__(self, symbols, *, defaults: Mapping[str, float] | None = None):
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
        self,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        axes: Mapping[str, ArrayLike] | None = None,
        **kwargs: ArrayLike,
    ) -> Grid:
        """Validated values (mapping and keywords merged) on the grid of ``axes``.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values by name (numbers or broadcasting arrays).
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes (see :func:`arrange`).
        **kwargs : array_like
            More parameter values by name.

        Returns
        -------
        Grid
            The validated values on the grid.

        Raises
        ------
        ValueError
            If a name is given both in ``values`` and as a keyword, or for any of the errors of
            :func:`arrange`.
        """
        merged = {str(k): v for k, v in (values or {}).items()}
        for name in kwargs:
            if name in merged:
                raise ValueError(f"parameter {name!r} is given twice")
        merged.update(kwargs)
        return arrange(self.names, self.defaults, merged, axes=axes)

    def by_symbol(self, arrays: Mapping[str, np.ndarray]) -> dict[sympy.Symbol, np.ndarray]:
        """The same values keyed by symbol (what compiled kernels take).

        Parameters
        ----------
        arrays : mapping of str to numpy.ndarray
            Values by parameter name (e.g. :attr:`Grid.values`).

        Returns
        -------
        dict of sympy.Symbol to numpy.ndarray
            The same arrays, keyed by the parameters' symbols.
        """
        return {self.symbols[name]: array for name, array in arrays.items()}


class TakesParameters:
    """Mixin for compiled solvers whose parameters are a :class:`Parameters` in ``_parameters``.

    It gives them :attr:`parameters`, :attr:`defaults` and :meth:`grid`.
    """

    _parameters: Parameters

    @property
    def parameters(self) -> tuple[str, ...]:
        """Parameter names, sorted."""
        return self._parameters.names

    @property
    def defaults(self) -> dict[str, float]:
        """Values used for parameters a call does not set."""
        return self._parameters.defaults

    @property
    def parameter_symbols(self) -> dict[str, sympy.Symbol]:
        """``{name: symbol}`` of the parameters, in the order of :attr:`parameters`."""
        return self._parameters.symbols

    def grid(
        self, values: Mapping[str, ArrayLike] | None = None, /, axes: Mapping[str, ArrayLike] | None = None, **kwargs
    ) -> Grid:
        """Validated parameter values (mapping and keywords) on the grid of ``axes``.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values by name (numbers or broadcasting arrays).
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, laid out as an outer grid (first axis = axis 0).
        **kwargs : array_like
            More parameter values by name.

        Returns
        -------
        Grid
            The validated values, as :meth:`Parameters.grid` returns them.
        """
        return self._parameters.grid(values, axes=axes, **kwargs)
