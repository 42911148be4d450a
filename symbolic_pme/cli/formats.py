"""Solve results as a JSON document, a CSV file or a text table, streamed to a text stream.

Each writer formats a block of grid points at a time and writes it, so a 10^6-point grid never
exists as one string or as nested Python lists (the binary formats are in :mod:`.outputs`).

The JSON document (the schema of docs/model-files.md) has exactly the keys ``title``,
``parameters`` (the fixed values used), ``sweep`` (axis values in axis order), ``leads``,
``states`` (label and charge), ``probabilities`` (sweep shape + (n_states,)), ``current``,
``energy_current``, ``heat_current`` (per lead, sweep shape, or a number without sweep) and
``occupations`` (per orbital, both spins summed), then the keys of ``--noise`` and ``--derivative``
(``noise``, ``fano``, ``skewness``, ``d_current_d_NAME``: per lead, sweep shape; the writers'
``extra``), a Fano factor that is undefined (zero current) as ``null``; with ``--coherences`` (a
coherent approach) ``coherences`` after ``occupations`` (:func:`coherence_blocks`).  Units:
hbar = e = k_B = 1; currents are particle, energy and heat currents from each lead into the dot.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

import numpy as np

from symbolic_pme.files.model_file import ModelFile
from symbolic_pme.numeric.results import SteadyState

__all__ = [
    "BLOCK_POINTS",
    "WRITERS",
    "coherence_blocks",
    "document",
    "orbital_occupations",
    "write_csv",
    "write_json",
    "write_table",
]

_CURRENTS = ("current", "energy_current", "heat_current")

#: ``{key: {lead: values}}``: the outputs of ``--noise`` and ``--derivative`` (see :mod:`.noise`).
Extra = Mapping[str, Mapping[str, np.ndarray]]

#: Short names of the extra keys in the table.
_SHORT = {"noise": "C2", "fano": "F", "skewness": "C3"}


def _plain(array: np.ndarray) -> Any:
    """Nested lists, or a float for a single value (JSON keeps every digit of a float); NaN (an
    undefined Fano factor) as None, JSON's null."""
    array = np.asarray(array, dtype=float)
    missing = np.isnan(array)
    return np.where(missing, None, array).tolist() if missing.any() else array.tolist()


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


def coherence_blocks(result: SteadyState) -> list[dict[str, Any]]:
    """The off-diagonal density-matrix elements of a coherent steady state, sector by sector.

    Parameters
    ----------
    result : CoherentSteadyState
        A solve with a coherent approach (its ``sectors`` and ``density_matrices``).

    Returns
    -------
    list of dict
        One entry per sector of two or more states (equal charge and, where H conserves it,
        S_z): ``states`` (its eigenstate labels, ascending in energy), ``pairs`` (``[a, b]`` for
        every a before b, in row-major order of the upper triangle), ``real`` and ``imag``
        (arrays of the sweep shape + ``(len(pairs),)``: ``Re rho_ab`` and ``Im rho_ab`` in the
        eigenbasis; ``rho_ba`` is the complex conjugate).
    """
    blocks = []
    for labels, matrix in zip(result.sectors, result.density_matrices):
        if len(labels) < 2:
            continue
        rows, columns = np.triu_indices(len(labels), 1)
        above = matrix[..., rows, columns]
        blocks.append(
            {
                "states": list(labels),
                "pairs": [[labels[a], labels[b]] for a, b in zip(rows, columns)],
                "real": np.ascontiguousarray(above.real),
                "imag": np.ascontiguousarray(above.imag),
            }
        )
    return blocks


def document(
    model: ModelFile,
    result: SteadyState,
    fixed: dict[str, float],
    *,
    extra: Extra | None = None,
    coherences: bool = False,
) -> dict[str, Any]:
    """The JSON document of a solve as plain Python values (the schema is in the module docstring).

    :func:`write_json` writes the same document without building it.

    Parameters
    ----------
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.
    extra : mapping, optional
        ``{key: {lead: values}}`` added after the other keys (``--noise``, ``--derivative``).
    coherences : bool, optional
        Add the key ``coherences`` (:func:`coherence_blocks`; a coherent solve only).

    Returns
    -------
    dict of str to Any
        Plain Python values (lists, floats, strings) ready for :func:`json.dumps`.
    """

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        if isinstance(value, list):
            return [plain(item) for item in value]
        return _plain(value) if isinstance(value, np.ndarray) else value

    return plain(_arrays(model, result, fixed, extra, coherences))


#: Grid points per block of a streamed output: rows are formatted a block at a time.
BLOCK_POINTS = 4096


def _write_json_value(stream: TextIO, value: Any) -> None:
    """Write one JSON value; arrays of more than :data:`BLOCK_POINTS` numbers a block at a time
    (the text is the same as ``json.dumps`` of the whole)."""
    if isinstance(value, dict):
        stream.write("{")
        for k, (key, item) in enumerate(value.items()):
            stream.write(", " if k else "")
            stream.write(json.dumps(key) + ": ")
            _write_json_value(stream, item)
        stream.write("}")
    elif isinstance(value, list) and any(isinstance(item, (dict, np.ndarray)) for item in value):
        stream.write("[")
        for k, item in enumerate(value):
            stream.write(", " if k else "")
            _write_json_value(stream, item)
        stream.write("]")
    elif isinstance(value, np.ndarray) and value.ndim and value.size > BLOCK_POINTS:
        per_row = value.size // len(value)
        stream.write("[")
        if per_row > BLOCK_POINTS:
            for k, part in enumerate(value):
                stream.write(", " if k else "")
                _write_json_value(stream, part)
        else:
            step = BLOCK_POINTS // per_row
            for start in range(0, len(value), step):
                text = json.dumps(_plain(value[start : start + step]), allow_nan=False)
                stream.write((", " if start else "") + text[1:-1])
        stream.write("]")
    else:
        plain = _plain(value) if isinstance(value, np.ndarray) else value
        stream.write(json.dumps(plain, allow_nan=False))


def write_json(
    stream: TextIO,
    model: ModelFile,
    result: SteadyState,
    fixed: dict[str, float],
    *,
    extra: Extra | None = None,
    coherences: bool = False,
) -> None:
    """Write the JSON document, streamed: large arrays are formatted a block at a time.

    The text is that of ``json.dumps(document(...))`` and a newline, without ever holding it
    whole (a 10^6-point grid is hundreds of megabytes).

    Parameters
    ----------
    stream : text stream
        Where to write.
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.
    extra : mapping, optional
        ``{key: {lead: values}}`` added after the other keys (``--noise``, ``--derivative``).
    coherences : bool, optional
        Add the key ``coherences`` (:func:`coherence_blocks`; a coherent solve only).

    Raises
    ------
    ValueError
        If a value is infinite (``Infinity`` is not JSON; ``NaN`` is written as ``null``); the
        solve checks this before anything is written.
    """
    try:
        _write_json_value(stream, _arrays(model, result, fixed, extra, coherences))
    except ValueError:
        raise ValueError("the result holds a value that is not finite; JSON cannot carry it") from None
    stream.write("\n")


def _arrays(
    model: ModelFile, result: SteadyState, fixed: dict[str, float], extra: Extra | None, coherences: bool = False
) -> dict[str, Any]:
    """:func:`document` with the arrays left as arrays (what the streamed writer walks)."""
    states = model.model.spectrum.states
    return {
        "title": model.title,
        "approach": getattr(result, "approach", "pauli"),
        "parameters": dict(fixed),
        "sweep": dict(result.axes),
        "leads": list(model.leads),
        "states": [{"label": s.label, "charge": int(s.charge)} for s in states],
        "probabilities": np.asarray(result.probabilities),
        **{name: {lead: np.asarray(v) for lead, v in getattr(result, name).items()} for name in _CURRENTS},
        "occupations": {o: np.asarray(v) for o, v in orbital_occupations(model, result).items()},
        **({"coherences": coherence_blocks(result)} if coherences else {}),
        **{key: {lead: np.asarray(v) for lead, v in by_lead.items()} for key, by_lead in (extra or {}).items()},
    }


def _columns(
    model: ModelFile, result: SteadyState, fixed: dict[str, float], *, full: bool, extra: Extra | None = None
) -> dict[str, np.ndarray]:
    """Named columns, each broadcastable to the grid shape (rows in C order).  ``full`` (CSV):
    sweep values, fixed parameters, every current, the extra keys, occupations and probabilities,
    under the JSON names (``noise[L]``, ``d_current_d_V[L]``); otherwise (table): sweep values, I,
    J, Q of each lead, the extra keys (``C2[L]``, ``F[L]``, ``C3[L]``, ``dI/dV[L]``) and the mean
    charge <N>."""
    shape = result.shape
    columns = {
        name: values.reshape([-1 if k == axis else 1 for k in range(len(shape))])
        for axis, (name, values) in enumerate(result.axes.items())
    }
    if full:
        columns.update({name: np.asarray(value) for name, value in fixed.items()})
    for quantity, short in zip(_CURRENTS, "IJQ"):
        name = quantity if full else short
        columns.update({f"{name}[{lead}]": v for lead, v in getattr(result, quantity).items()})
    for key, by_lead in (extra or {}).items():
        name = key if full else _SHORT.get(key, key.replace("d_current_d_", "dI/d"))
        columns.update({f"{name}[{lead}]": v for lead, v in by_lead.items()})
    if full:
        columns.update({f"occupation[{o}]": v for o, v in orbital_occupations(model, result).items()})
        columns.update({f"P[{s}]": result.probabilities[..., k] for k, s in enumerate(result.states)})
    else:
        columns["<N>"] = result.expectation("charge")
    return columns


def _row_blocks(columns: dict[str, np.ndarray], shape: tuple[int, ...]) -> Iterator[list[list[float]]]:
    """The rows of the columns (C order over the grid), about :data:`BLOCK_POINTS` at a time."""
    if not shape:
        yield [[float(np.asarray(v)) for v in columns.values()]]
        return
    per_row = math.prod(shape[1:])
    step = max(1, BLOCK_POINTS // max(per_row, 1))
    for start in range(0, shape[0], step):
        rows = slice(start, min(start + step, shape[0]))
        block_shape = (rows.stop - rows.start,) + shape[1:]
        block = np.empty((math.prod(block_shape), len(columns)))
        for k, values in enumerate(columns.values()):
            values = np.asarray(values)
            values = values.reshape((1,) * (len(shape) - values.ndim) + values.shape)
            block[:, k] = np.broadcast_to(values[rows] if values.shape[0] > 1 else values, block_shape).reshape(-1)
        yield block.tolist()


def write_csv(
    stream: TextIO, model: ModelFile, result: SteadyState, fixed: dict[str, float], *, extra: Extra | None = None
) -> None:
    """One row per grid point: every parameter value, the currents, occupations and probabilities.

    Rows are formatted and written a block at a time; floats have every digit (``repr``).

    Parameters
    ----------
    stream : text stream
        Where to write.
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept (one column each).
    extra : mapping, optional
        ``{key: {lead: values}}``: one column ``key[lead]`` each, after the currents.
    """
    columns = _columns(model, result, fixed, full=True, extra=extra)
    csv.writer(stream, lineterminator="\n").writerow(columns)
    for block in _row_blocks(columns, result.shape):
        stream.write("".join(",".join(map(repr, row)) + "\n" for row in block))


def write_table(
    stream: TextIO, model: ModelFile, result: SteadyState, fixed: dict[str, float], *, extra: Extra | None = None
) -> None:
    """A text table for reading, streamed a block of rows at a time.

    The currents of every lead and the mean charge per grid point (JSON and CSV carry everything,
    including the probabilities and occupations); a single point lists currents, probabilities and
    occupations.

    Parameters
    ----------
    stream : text stream
        Where to write.
    model : ModelFile
        The model file.
    result : SteadyState
        Its solve.
    fixed : dict of str to float
        The values of the parameters that are not swept.
    extra : mapping, optional
        ``{key: {lead: values}}``: columns ``C2[L]``, ``F[L]``, ``C3[L]`` (``--noise``) and
        ``dI/dNAME[L]`` (``--derivative NAME``) after the currents.
    """
    lines = [model.title]
    if fixed:
        lines.append("parameters: " + ", ".join(f"{name} = {value:g}" for name, value in fixed.items()))
    if not result.axes:
        stream.write("\n".join(lines + _point_table(model, result, extra or {})) + "\n")
        return
    lines.append("I, J, Q: particle, energy, heat current from each lead into the dot; <N>: mean charge")
    if extra:
        lines.append("C2, F, C3: noise, Fano factor C2/C1, skewness of I; dI/dX: exact derivative of I")
    columns = _columns(model, result, fixed, full=False, extra=extra)
    widths = [max(13, len(name) + 2) for name in columns]
    lines.append("".join(f"{name:>{w}}" for name, w in zip(columns, widths)))
    stream.write("\n".join(lines) + "\n")
    cells = [f"{{:>{w}.6g}}" if k < len(result.axes) else f"{{:>{w}.5e}}" for k, w in enumerate(widths)]
    row_format = "".join(cells) + "\n"
    for block in _row_blocks(columns, result.shape):
        stream.write("".join(row_format.format(*row) for row in block))


def _point_table(model: ModelFile, result: SteadyState, extra: Extra) -> list[str]:
    widths = [max(16, len(key) + 2) for key in extra]
    header = "".join(f"{key:>{w}}" for key, w in zip(extra, widths))
    lines = ["", f"{'lead':<12}{'current':>16}{'energy_current':>16}{'heat_current':>16}{header}"]
    for lead in model.leads:
        values = (float(getattr(result, q)[lead]) for q in _CURRENTS)
        added = "".join(f"{float(by_lead[lead]):>{w}.6e}" for by_lead, w in zip(extra.values(), widths))
        lines.append(f"{lead:<12}" + "".join(f"{v:>16.6e}" for v in values) + added)
    lines += ["", f"{'state':<12}{'charge':>8}{'probability':>16}"]
    for state, probability in zip(model.model.spectrum.states, result.probabilities):
        lines.append(f"{state.label:<12}{state.charge:>8}{probability:>16.6e}")
    lines += ["", f"{'orbital':<12}{'occupation':>16}"]
    lines += [f"{o:<12}{float(v):>16.6f}" for o, v in orbital_occupations(model, result).items()]
    return lines


#: The text formats of ``solve --format``, by name.
WRITERS = {"table": write_table, "json": write_json, "csv": write_csv}
