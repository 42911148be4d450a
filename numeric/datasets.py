"""Labelled datasets of steady states: xarray, NetCDF and NumPy's npz.

:func:`to_xarray` (also :meth:`SteadyState.to_xarray <symbolic_pme.numeric.results.SteadyState.to_xarray>`)
turns a result into an ``xarray.Dataset``:

- dimensions: the sweep axes (named by their parameters, in axis order, with their values as
  coordinates; ``axis_0``, ... without coordinates for plain broadcasting), ``state`` (the state
  labels), ``lead`` (the channels: a transport model's leads) and ``mode`` (the spin-orbitals);
- ``probability`` (sweep axes, ``state``); ``current``, ``energy_current``, ``heat_current``
  (and ``spin_current``, or ``<quantity>_current`` of other carried quantities) (sweep axes,
  ``lead``); ``occupation`` (sweep axes, ``mode``): ⟨n⟩ of each spin-orbital;
- with ``extra`` (the command line's ``--noise`` and ``--derivative``): ``noise``, ``fano``,
  ``skewness``, ``d_current_d_<NAME>`` (sweep axes, ``lead``);
- per-state values (``energy``, ``charge``, ``n_<mode>``, ...) along only the sweep axes they
  vary along: a value the same at every point (the charge of a state) is a coordinate of
  ``state``; energies of a bias sweep are ``energy(state)``, of a gate sweep ``energy(gate, state)``;
- parameters that vary without being swept are coordinates along the axes they vary along;
- attributes: ``title``, ``parameters`` (the fixed parameter values, as JSON text, since NetCDF
  attributes hold no mappings), and ``conventions`` (units and signs: ``docs/conventions.md``).

xarray and h5netcdf (the NetCDF engine; pure wheels) are the optional extra
``symbolic_pme[data]``, imported only here and only when called; :func:`save_npz` needs NumPy
alone and writes the same variables.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, OCCUPATION_PREFIX, SPIN

if TYPE_CHECKING:  # pragma: no cover
    import xarray

    from .results import SteadyState

__all__ = ["CONVENTIONS", "load_npz", "require", "save_netcdf", "save_npz", "to_xarray", "variables"]

#: The ``conventions`` attribute of every dataset.
CONVENTIONS = (
    "symbolic_pme (docs/conventions.md): hbar = e = k_B = 1; energies, chemical potentials, temperatures "
    "and rates share one unit; currents are particle (energy, heat = energy - mu * particle) currents per "
    "unit time, positive from the lead into the system; states ordered by charge, Fock states labelled "
    "by their occupations (orbital 0 first), eigenstates of mixed blocks N=<charge>:<k> in ascending energy"
)

_CURRENT_NAMES = {CHARGE: "current", ENERGY: "energy_current", HEAT: "heat_current", SPIN: "spin_current"}

Variable = tuple[tuple[str, ...], np.ndarray]
#: ``{name: {lead: values of the grid shape}}``: per-lead variables beside the currents.
Extra = Mapping[str, Mapping[str, np.ndarray]]


def require(module: str, *, extra: str, purpose: str) -> Any:
    """Import an optional dependency, or fail naming the extra that installs it.

    Parameters
    ----------
    module : str
        The module to import (``"xarray"``, ``"h5netcdf"``, ``"distributed"``).
    extra : str
        The extra of ``symbolic_pme`` that installs it (``"data"``, ``"dask"``).
    purpose : str
        What needs it, for the message.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    ImportError
        If it is not installed; the message says ``pip install 'symbolic_pme[<extra>]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{purpose} needs {module}, which is not installed: pip install 'symbolic_pme[{extra}]' "
            f"(or pip install -e '.[{extra}]' in a checkout)"
        ) from error


def _own_axes(array: np.ndarray, shape: tuple[int, ...]) -> tuple[np.ndarray, tuple[int, ...]]:
    """``array`` (broadcastable to ``shape`` + trailing axes) reduced to the grid axes it varies
    along: those where it is longer than one and not a broadcast (stride 0) view; and those axes."""
    array = np.asarray(array)
    grid = len(shape)
    trailing = array.ndim - grid if array.ndim >= grid else 0
    array = array.reshape((1,) * (grid + trailing - array.ndim) + array.shape)
    kept = tuple(k for k in range(grid) if array.shape[k] > 1 and array.strides[k] != 0)
    index = tuple(slice(None) if k in kept else 0 for k in range(grid))
    return np.array(array[index]), kept


def variables(
    result: SteadyState, *, title: str = "", extra: Extra | None = None
) -> tuple[dict[str, Variable], dict[str, Variable], dict]:
    """The dataset's coordinates, data variables and attributes as plain arrays (no xarray needed).

    Parameters
    ----------
    result : SteadyState
        The solve.
    title : str, optional
        The model's title (the model file's ``title``).
    extra : mapping, optional
        ``{name: {lead: values}}``: more data variables along the sweep axes and ``lead``
        (the noise, Fano factor, skewness and exact derivatives of ``solve --noise``).

    Returns
    -------
    coordinates, data : dict of str to (tuple of str, numpy.ndarray)
        ``{name: (dimension names, values)}``, as described in the module docstring.
    attributes : dict
        ``title``, ``parameters`` (JSON text of the fixed parameter values) and ``conventions``.

    Examples
    --------
    >>> from symbolic_pme.networks.network import RateNetwork
    >>> from symbolic_pme.numeric import compile_network
    >>> result = compile_network(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): 1})).sweep({"k": [1.0, 3.0]})
    >>> coordinates, data, attributes = variables(result, title="two states")
    >>> coordinates["k"], data["probability"][0], attributes["title"]
    ((('k',), array([1., 3.])), ('k', 'state'), 'two states')
    """
    shape = result.shape
    dims = tuple(result.axes) if result.axes else tuple(f"axis_{k}" for k in range(len(shape)))
    coordinates: dict[str, Variable] = {name: ((name,), np.asarray(values)) for name, values in result.axes.items()}
    coordinates["state"] = (("state",), np.array(result.states))
    channels = list(next(iter(result.currents.values()), {}))
    coordinates["lead"] = (("lead",), np.array(channels, dtype=str))
    fixed = {}
    for name, value in result.parameters.items():
        if name in result.axes:
            continue
        reduced, kept = _own_axes(value, shape)
        if kept:
            coordinates[name] = (tuple(dims[k] for k in kept), reduced)
        else:
            fixed[name] = float(reduced)
    data: dict[str, Variable] = {"probability": (dims + ("state",), result.probabilities)}
    for quantity, by_channel in result.currents.items():
        stacked = np.stack([np.broadcast_to(by_channel[c], shape) for c in channels], axis=-1)
        data[_CURRENT_NAMES.get(quantity, f"{quantity}_current")] = (dims + ("lead",), stacked)
    for name, by_channel in (extra or {}).items():
        data[name] = (dims + ("lead",), np.stack([np.broadcast_to(by_channel[c], shape) for c in channels], axis=-1))
    for name, values in result.state_values.items():
        reduced, kept = _own_axes(values, shape)
        target = data if kept else coordinates
        target[name] = (tuple(dims[k] for k in kept) + ("state",), reduced)
    modes = [name[len(OCCUPATION_PREFIX) :] for name in result.state_values if name.startswith(OCCUPATION_PREFIX)]
    if modes:
        coordinates["mode"] = (("mode",), np.array(modes))
        occupation = np.stack([result.expectation(OCCUPATION_PREFIX + m) for m in modes], axis=-1)
        data["occupation"] = (dims + ("mode",), occupation)
    attributes = {"title": title, "parameters": json.dumps(fixed), "conventions": CONVENTIONS}
    return coordinates, data, attributes


def to_xarray(result: SteadyState, *, title: str = "", extra: Extra | None = None) -> xarray.Dataset:
    """The result as a labelled ``xarray.Dataset`` (layout in the module docstring).

    Parameters
    ----------
    result : SteadyState
        The solve.
    title : str, optional
        The model's title, kept as the ``title`` attribute.
    extra : mapping, optional
        More per-lead data variables, as in :func:`variables`.

    Returns
    -------
    xarray.Dataset
        Sweep axes as coordinates, ``state``, ``lead`` and ``mode`` dimensions, attributes
        ``title``, ``parameters`` and ``conventions``.

    Raises
    ------
    ImportError
        If xarray is not installed (the extra ``symbolic_pme[data]``).

    Examples
    --------
    >>> from symbolic_pme.networks.network import RateNetwork
    >>> from symbolic_pme.numeric import compile_network
    >>> result = compile_network(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): 1})).sweep({"k": [1.0, 3.0]})
    >>> dataset = to_xarray(result)
    >>> dataset.probability.sel(state="b").values.round(6)
    array([0.5 , 0.75])
    """
    xr = require("xarray", extra="data", purpose="to_xarray")
    coordinates, data, attributes = variables(result, title=title, extra=extra)
    return xr.Dataset(data_vars=data, coords=coordinates, attrs=attributes)


def save_netcdf(result: SteadyState, path: str | Path, *, title: str = "", extra: Extra | None = None) -> None:
    """Write the dataset of :func:`to_xarray` as a NetCDF-4 file (engine h5netcdf).

    Parameters
    ----------
    result : SteadyState
        The solve.
    path : str or pathlib.Path
        The file to write (replaced if it exists).
    title : str, optional
        The model's title.
    extra : mapping, optional
        More per-lead data variables, as in :func:`variables`.

    Raises
    ------
    ImportError
        If xarray or h5netcdf is not installed (the extra ``symbolic_pme[data]``).
    """
    require("h5netcdf", extra="data", purpose="NetCDF output")
    to_xarray(result, title=title, extra=extra).to_netcdf(Path(path), engine="h5netcdf")


def save_npz(result: SteadyState, path: str | Path, *, title: str = "", extra: Extra | None = None) -> None:
    """Write the variables of :func:`to_xarray` as an uncompressed ``.npz`` file (NumPy alone).

    Every coordinate and data variable is an array under its name; ``attrs.dims`` holds the JSON
    text ``{name: [dimension names]}``, and ``attrs.title``, ``attrs.parameters`` and
    ``attrs.conventions`` the attributes (parameter names cannot hold a dot, so nothing clashes).
    Nothing is pickled: ``numpy.load(path)`` reads it with ``allow_pickle=False``.

    Parameters
    ----------
    result : SteadyState
        The solve.
    path : str or pathlib.Path
        The file to write (replaced if it exists; no ``.npz`` is appended).
    title : str, optional
        The model's title.
    extra : mapping, optional
        More per-lead data variables, as in :func:`variables`.
    """
    coordinates, data, attributes = variables(result, title=title, extra=extra)
    arrays = {name: values for name, (_, values) in {**coordinates, **data}.items()}
    dims = {name: list(d) for name, (d, _) in {**coordinates, **data}.items()}
    with open(path, "wb") as stream:
        attributes = {"dims": json.dumps(dims), **attributes}
        np.savez(stream, **arrays, **{f"attrs.{k}": np.array(v) for k, v in attributes.items()})


def load_npz(path: str | Path) -> tuple[dict[str, Variable], dict]:
    """Read a file of :func:`save_npz` back: its variables with their dimension names.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    variables : dict of str to (tuple of str, numpy.ndarray)
        ``{name: (dimension names, values)}`` of every coordinate and data variable.
    attributes : dict of str to str
        ``title``, ``parameters`` (JSON text) and ``conventions``.
    """
    with np.load(path, allow_pickle=False) as archive:
        dims = json.loads(str(archive["attrs.dims"]))
        found = {name: (tuple(d), archive[name]) for name, d in dims.items()}
        attributes = {k: str(archive[f"attrs.{k}"]) for k in ("title", "parameters", "conventions")}
    return found, attributes
