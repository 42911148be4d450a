"""Solve results as a JSON document, a CSV file or a text table.

The JSON document (the schema of docs/model-files.md) has exactly the keys ``title``,
``parameters`` (the fixed values used), ``sweep`` (axis values in axis order), ``leads``,
``states`` (label and charge), ``probabilities`` (sweep shape + (n_states,)), ``current``,
``energy_current``, ``heat_current`` (per lead, sweep shape, or a number without sweep) and
``occupations`` (per orbital, both spins summed).  Units: hbar = e = k_B = 1; currents are
particle, energy and heat currents from each lead into the dot.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

from symbolic_pme.files.model_file import ModelFile
from symbolic_pme.numeric.results import SteadyState

__all__ = ["FORMATS", "as_csv", "as_json", "as_table", "document"]

_CURRENTS = ("current", "energy_current", "heat_current")


def _plain(array: np.ndarray) -> Any:
    """Nested lists, or a float for a single value (JSON keeps every digit of a float)."""
    return np.asarray(array, dtype=float).tolist()


def orbital_occupations(model: ModelFile, result: SteadyState) -> dict[str, np.ndarray]:
    """The mean occupation of every orbital, both spins summed.

    Parameters
    ----------
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{orbital: <n>}`` with the sweep shape.
    """
    by_mode = result.occupations
    space = model.model.space
    return {o: sum(by_mode[space.modes[m]] for m in space.modes_of(o)) for o in space.orbitals}


def document(model: ModelFile, result: SteadyState, fixed: dict[str, float]) -> dict[str, Any]:
    """The JSON document of a solve (the schema is in the module docstring).

    Parameters
    ----------
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.

    Returns
    -------
    dict of str to Any
        Plain Python values (lists, floats, strings) ready for :func:`json.dumps`.
    """
    states = model.model.spectrum.states
    return {
        "title": model.title,
        "parameters": dict(fixed),
        "sweep": {name: _plain(values) for name, values in result.axes.items()},
        "leads": list(model.leads),
        "states": [{"label": s.label, "charge": int(s.charge)} for s in states],
        "probabilities": _plain(result.probabilities),
        **{name: {lead: _plain(v) for lead, v in getattr(result, name).items()} for name in _CURRENTS},
        "occupations": {o: _plain(v) for o, v in orbital_occupations(model, result).items()},
    }


def as_json(model: ModelFile, result: SteadyState, fixed: dict[str, float]) -> str:
    """The JSON document as text.

    Parameters
    ----------
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.

    Returns
    -------
    str
        One JSON document and a newline.

    Raises
    ------
    ValueError
        If a value is not finite (``NaN`` and ``Infinity`` are not JSON); it is not written.
    """
    try:
        return json.dumps(document(model, result, fixed), allow_nan=False) + "\n"
    except ValueError:
        raise ValueError("the result holds a value that is not finite; JSON cannot carry it") from None


def _columns(model: ModelFile, result: SteadyState, fixed: dict[str, float], *, full: bool) -> dict[str, np.ndarray]:
    """Named columns, one entry per grid point (C order).  ``full`` (CSV): sweep values, fixed
    parameters, every current, occupations and probabilities, under the JSON names; otherwise
    (table): sweep values, I, J, Q of each lead and the mean charge <N>."""
    shape = result.shape
    grid = np.meshgrid(*result.axes.values(), indexing="ij") if result.axes else []
    columns = dict(zip(result.axes, grid))
    if full:
        columns.update({name: np.full(shape, value) for name, value in fixed.items()})
    for quantity, short in zip(_CURRENTS, "IJQ"):
        name = quantity if full else short
        columns.update({f"{name}[{lead}]": v for lead, v in getattr(result, quantity).items()})
    if full:
        columns.update({f"occupation[{o}]": v for o, v in orbital_occupations(model, result).items()})
        columns.update({f"P[{s}]": result.probabilities[..., k] for k, s in enumerate(result.states)})
    else:
        columns["<N>"] = result.expectation("charge")
    return {name: np.broadcast_to(values, shape).reshape(-1) for name, values in columns.items()}


def as_csv(model: ModelFile, result: SteadyState, fixed: dict[str, float]) -> str:
    """One row per grid point: every parameter value, the currents, occupations and probabilities.

    Parameters
    ----------
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept (one column each).

    Returns
    -------
    str
        The CSV text with a header row; columns are named as the JSON keys.
    """
    columns = _columns(model, result, fixed, full=True)
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    for row in zip(*columns.values()):
        writer.writerow([repr(float(v)) for v in row])
    return stream.getvalue()


def as_table(model: ModelFile, result: SteadyState, fixed: dict[str, float]) -> str:
    """A text table for reading.

    The currents of every lead and the mean charge per grid point (JSON and CSV carry everything,
    including the probabilities and occupations); a single point lists currents, probabilities and
    occupations.

    Parameters
    ----------
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.

    Returns
    -------
    str
        The table.
    """
    lines = [model.title]
    if fixed:
        lines.append("parameters: " + ", ".join(f"{name} = {value:g}" for name, value in fixed.items()))
    if not result.axes:
        lines += _point_table(model, result)
        return "\n".join(lines) + "\n"
    lines.append("I, J, Q: particle, energy, heat current from each lead into the dot; <N>: mean charge")
    columns = _columns(model, result, fixed, full=False)
    widths = [max(13, len(name) + 2) for name in columns]
    lines.append("".join(f"{name:>{w}}" for name, w in zip(columns, widths)))
    sweeps = len(result.axes)
    for row in zip(*columns.values()):
        cells = (f"{v:>{w}.6g}" if k < sweeps else f"{v:>{w}.5e}" for k, (v, w) in enumerate(zip(row, widths)))
        lines.append("".join(cells))
    return "\n".join(lines) + "\n"


def _point_table(model: ModelFile, result: SteadyState) -> list[str]:
    lines = ["", f"{'lead':<12}{'current':>16}{'energy_current':>16}{'heat_current':>16}"]
    for lead in model.leads:
        values = (float(getattr(result, q)[lead]) for q in _CURRENTS)
        lines.append(f"{lead:<12}" + "".join(f"{v:>16.6e}" for v in values))
    lines += ["", f"{'state':<12}{'charge':>8}{'probability':>16}"]
    for state, probability in zip(model.model.spectrum.states, result.probabilities):
        lines.append(f"{state.label:<12}{state.charge:>8}{probability:>16.6e}")
    lines += ["", f"{'orbital':<12}{'occupation':>16}"]
    lines += [f"{o:<12}{float(v):>16.6f}" for o, v in orbital_occupations(model, result).items()]
    return lines


FORMATS = {"table": as_table, "json": as_json, "csv": as_csv}
