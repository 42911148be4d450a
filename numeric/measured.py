"""Measured data with named axes, for fitting: CSV, npz and NetCDF files, xarray arrays.

A :class:`Measurement` is one measured quantity (a current, a dI/dV) on points named by model
parameters: ``values`` and, by parameter name, ``coordinates`` that broadcast to its shape.  A
map is a grid (``V`` along axis 0, ``gate`` along axis 1); scattered points are one axis with
every coordinate given per point.  Points where the value is not finite (NaN: not measured) are
left out of a fit.

The formats :func:`load_measurement` reads, by extension:

* ``.csv``: a header row naming the columns, then one row per point (lines starting with ``#``
  are comments).  The measured column is ``column`` (default: the last), the coordinates are
  ``axes`` (default: every other column).  Rows that form a complete grid in row-major order
  (the first axis slowest, as ``symbolic-pme solve --format csv`` writes them) become a grid.
* ``.npz``: arrays named by axis plus the data.  The data is the array named ``column``
  (default: the last array of the most dimensions); a 1-D array of an axis gives the
  coordinates along the data's next dimension not yet named (file order), an array of the
  data's shape gives them per point.
* ``.nc`` (also ``.nc4``, ``.h5``, ``.netcdf``): a NetCDF file through xarray (the optional
  extra ``symbolic_pme[data]``, imported only then): the data variable ``column`` (default: the
  only one), its dimensions the axes, their coordinates the values.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .datasets import require

if TYPE_CHECKING:  # pragma: no cover
    import xarray

__all__ = ["Measurement", "load_measurement"]

#: File extensions read as NetCDF.
NETCDF_SUFFIXES = (".nc", ".nc4", ".h5", ".netcdf")


@dataclass(frozen=True)
class Measurement:
    """One measured quantity on points named by model parameters.

    Parameters
    ----------
    values : numpy.ndarray
        The measured values (NaN where not measured).
    coordinates : mapping of str to numpy.ndarray
        ``{parameter: array}``, each broadcasting to ``values.shape``: an axis of a grid has
        shape ``(1, ..., n, ..., 1)``, a coordinate given per point has the values' shape.
    name : str, optional
        What was measured (a column or variable name), for labels.
    source : str, optional
        Where it was read from, for messages.

    Raises
    ------
    ValueError
        If there is no value, no coordinate, or a coordinate does not broadcast to the values,
        is not numeric or not finite.

    Examples
    --------
    >>> data = Measurement(np.array([1.0, 2.0]), {"V": np.array([0.0, 0.5])}, name="current")
    >>> data.shape, data.axis_names
    ((2,), ('V',))
    """

    values: np.ndarray
    coordinates: Mapping[str, np.ndarray]
    name: str = "data"
    source: str = "data"

    def __post_init__(self) -> None:
        values = np.asarray(self.values, dtype=float)
        if values.size == 0:
            raise ValueError(f"{self.source}: no measured values")
        if not self.coordinates:
            raise ValueError(f"{self.source}: no coordinates (name at least one axis, e.g. V)")
        coordinates = {}
        for name, coordinate in self.coordinates.items():
            array = np.asarray(coordinate)
            if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
                raise ValueError(f"{self.source}: coordinate {name!r} is not real numbers")
            array = array.astype(float)
            try:
                np.broadcast_to(array, values.shape)
            except ValueError:
                raise ValueError(
                    f"{self.source}: coordinate {name!r} of shape {array.shape} does not fit the values' "
                    f"shape {values.shape}"
                ) from None
            if not np.all(np.isfinite(array)):
                raise ValueError(f"{self.source}: coordinate {name!r} has values that are not finite")
            coordinates[name] = array
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "coordinates", coordinates)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the measured values."""
        return self.values.shape

    @property
    def axis_names(self) -> tuple[str, ...]:
        """The coordinates' parameter names."""
        return tuple(self.coordinates)

    def axis(self, dimension: int) -> tuple[str, np.ndarray] | None:
        """The coordinate that varies along one dimension of a grid alone, and its values.

        Parameters
        ----------
        dimension : int
            A dimension of :attr:`shape`.

        Returns
        -------
        tuple of (str, numpy.ndarray) or None
            ``(name, 1-D values)`` of the first coordinate that is an axis of this dimension
            (first with more than one value), or None if there is none.
        """
        ndim, size = len(self.shape), self.shape[dimension]
        for name, coordinate in self.coordinates.items():
            full = coordinate.reshape((1,) * (ndim - coordinate.ndim) + coordinate.shape)
            if all(n == 1 for k, n in enumerate(full.shape) if k != dimension):
                return name, np.broadcast_to(full.reshape(-1), (size,))
        return None

    @classmethod
    def from_xarray(cls, array: xarray.DataArray, *, source: str = "DataArray") -> Measurement:
        """A measurement from a labelled array: its dimensions are the axes.

        Parameters
        ----------
        array : xarray.DataArray
            The measured values, each dimension with numeric coordinates named by a parameter.
        source : str, optional
            Where it came from, for messages.

        Returns
        -------
        Measurement
            The values on the grid of the array's dimensions.

        Raises
        ------
        ValueError
            If a dimension has no numeric coordinate.
        """
        coordinates = {}
        for k, dimension in enumerate(array.dims):
            if dimension not in array.coords or not np.issubdtype(array.coords[dimension].dtype, np.number):
                raise ValueError(
                    f"{source}: dimension {dimension!r} of {array.name or 'the data'!r} has no numeric coordinate; "
                    f"select one value of it first (e.g. data.sel({dimension}=...))"
                )
            shape = [1] * array.ndim
            shape[k] = array.sizes[dimension]
            coordinates[str(dimension)] = np.asarray(array.coords[dimension].values, dtype=float).reshape(shape)
        return cls(np.asarray(array.values, dtype=float), coordinates, name=str(array.name or "data"), source=source)


def load_measurement(path: str | Path, *, column: str | None = None, axes: Sequence[str] | None = None) -> Measurement:
    """Read measured data with named axes from a CSV, npz or NetCDF file.

    Parameters
    ----------
    path : str or pathlib.Path
        The file; ``.csv``, ``.npz`` or a NetCDF extension (``.nc``, ``.nc4``, ``.h5``,
        ``.netcdf``).  See the module docstring for each layout.
    column : str, optional
        The measured column, array or variable (default: the last column of a CSV file, the
        last array of the most dimensions of an npz file, the only variable of a NetCDF file).
    axes : sequence of str, optional
        CSV only: the coordinate columns (default: every column but the measured one).

    Returns
    -------
    Measurement
        The measured values and their coordinates.

    Raises
    ------
    ValueError
        For an unknown extension, a file that is not of its format, a missing or ambiguous
        column, a value that is not a number, coordinates that do not fit the data; the
        message names the file.
    ImportError
        For NetCDF without xarray (naming the extra ``symbolic_pme[data]``).
    OSError
        If the file cannot be read.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if axes is not None and suffix != ".csv":
        raise ValueError(f"{path}: axes are chosen for CSV files only (npz and NetCDF name them)")
    if suffix == ".csv":
        return _read_csv(path, column, axes)
    if suffix == ".npz":
        return _read_npz(path, column)
    if suffix in NETCDF_SUFFIXES:
        return _read_netcdf(path, column)
    raise ValueError(f"{path}: unknown data format {suffix or '(no extension)'!r}; use .csv, .npz or .nc")


def _read_csv(path: Path, column: str | None, axes: Sequence[str] | None) -> Measurement:
    with path.open(newline="", encoding="utf-8-sig") as stream:
        rows = [row for row in csv.reader(stream) if row and not row[0].lstrip().startswith("#")]
    if not rows:
        raise ValueError(f"{path}: empty CSV file (expected a header naming the columns)")
    header = [name.strip() for name in rows[0]]
    if len(set(header)) != len(header):
        raise ValueError(f"{path}: repeated column names in the header {header}")
    column = header[-1] if column is None else column
    if column not in header:
        raise ValueError(f"{path}: no column {column!r}; columns: {', '.join(header)}")
    axes = [name for name in header if name != column] if axes is None else list(axes)
    for name in axes:
        if name not in header or name == column:
            raise ValueError(f"{path}: no axis column {name!r}; columns: {', '.join(n for n in header if n != column)}")
    if not axes:
        raise ValueError(f"{path}: only the measured column {column!r}; add a column per axis (e.g. V)")
    if len(rows) < 2:
        raise ValueError(f"{path}: a header but no data rows")
    table = np.empty((len(rows) - 1, len(header)))
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise ValueError(f"{path}: data row {line} has {len(row)} values, the header {len(header)}")
        for k, text in enumerate(row):
            try:
                table[line - 2, k] = float(text)
            except ValueError:
                raise ValueError(
                    f"{path}: data row {line}, column {header[k]!r}: {text.strip()!r} is not a number"
                ) from None
    columns = {name: table[:, header.index(name)] for name in axes}
    values = table[:, header.index(column)]
    grid = _as_grid(columns)
    if grid is not None:
        shape = tuple(len(axis) for axis in grid.values())
        coordinates = {
            name: axis.reshape([-1 if k == i else 1 for k in range(len(shape))])
            for i, (name, axis) in enumerate(grid.items())
        }
        return Measurement(values.reshape(shape), coordinates, name=column, source=str(path))
    return Measurement(values, columns, name=column, source=str(path))


def _as_grid(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray] | None:
    """The 1-D axes of columns that list a complete grid in row-major order, else None."""
    axes = {name: np.array(list(dict.fromkeys(values.tolist()))) for name, values in columns.items()}
    if np.prod([len(a) for a in axes.values()]) != len(next(iter(columns.values()))):
        return None
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    if all(np.array_equal(m.reshape(-1), values) for m, values in zip(mesh, columns.values())):
        return axes
    return None


def _read_npz(path: Path, column: str | None) -> Measurement:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (zipfile.BadZipFile, ValueError, EOFError) as error:
        raise ValueError(f"{path}: not an npz file of numeric arrays ({error})") from None
    if not arrays:
        raise ValueError(f"{path}: no arrays in the file")
    if column is None:
        most = max(a.ndim for a in arrays.values())
        column = [name for name, a in arrays.items() if a.ndim == most][-1]
    if column not in arrays:
        raise ValueError(f"{path}: no array {column!r}; arrays: {', '.join(arrays)}")
    values = arrays.pop(column)
    if not arrays:
        raise ValueError(f"{path}: only the measured array {column!r}; add an array per axis (e.g. V)")
    coordinates, dimension = {}, 0
    for name, array in arrays.items():
        if array.shape == values.shape and values.ndim != 1:
            coordinates[name] = array
        elif array.ndim == 1 and dimension < values.ndim and len(array) == values.shape[dimension]:
            shape = [1] * values.ndim
            shape[dimension] = len(array)
            coordinates[name] = array.reshape(shape)
            dimension += 1
        else:
            expected = values.shape[dimension] if dimension < values.ndim else "none left"
            raise ValueError(
                f"{path}: array {name!r} of shape {array.shape} fits neither the data {column!r} of shape "
                f"{values.shape} point by point nor its next dimension (length {expected})"
            )
    return Measurement(values, coordinates, name=column, source=str(path))


def _read_netcdf(path: Path, column: str | None) -> Measurement:
    xarray = require("xarray", extra="data", purpose="reading NetCDF data")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        dataset = xarray.open_dataset(path)
    except (ValueError, OSError) as error:
        raise ValueError(f"{path}: not a readable NetCDF file ({error})") from None
    with dataset:
        names = [str(name) for name in dataset.data_vars]
        if column is None:
            if len(names) != 1:
                raise ValueError(
                    f"{path}: choose the measured variable (column); variables: {', '.join(names) or 'none'}"
                )
            column = names[0]
        if column not in names:
            raise ValueError(f"{path}: no variable {column!r}; variables: {', '.join(names) or 'none'}")
        return Measurement.from_xarray(dataset[column].load(), source=str(path))
