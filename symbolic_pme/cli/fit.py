"""``symbolic-pme fit``: least-squares fit of a model file's parameters to measured data.

Reads MODEL and DATA (CSV, npz or NetCDF with named axes,
:func:`~symbolic_pme.numeric.measured.load_measurement`), fits the ``--vary`` parameters to the
measured current or dI/dV of one lead with exact Jacobians (:func:`~symbolic_pme.numeric.fitting.fit`)
and prints the fitted values with their standard errors, the covariance and the residual norm, as
a table or as JSON.  Everything that can be checked is checked before fitting: the arguments,
the files, the ``--plot`` path.  Bad input is one line with exit status 2, like every command's.
NumPy, SciPy and the model layer are imported only when the command runs (``--help`` stays fast).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from symbolic_pme.errors import CommandError

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.numeric.fitting import Fit

__all__ = ["add_fit_command", "bounds_of", "fit_document", "run_fit"]


def add_fit_command(commands: argparse._SubParsersAction) -> None:
    """Register the ``fit`` subcommand and its options.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``symbolic-pme`` parser.
    """
    command = commands.add_parser(
        "fit",
        help="fit parameters of MODEL to a measured current or dI/dV (least squares, exact Jacobian)",
        description="Fit the --vary parameters of MODEL to DATA, the current (or dI/dV) of one lead measured on "
        "points named by model parameters, by least squares with exact Jacobians; print the values with their "
        "standard errors, the covariance and the residual norm.  Currents flow from the lead into the dot "
        "(hbar = e = k_B = 1).",
        epilog="DATA: .csv (a header naming the columns; the measured column is the last unless --column names "
        "it), .npz (arrays named by axis plus the data) or .nc (NetCDF, needs symbolic_pme[data]); "
        "docs/model-files.md describes them.",
    )
    command.add_argument("model", metavar="MODEL.toml", help="the model file")
    command.add_argument("data", metavar="DATA", help="the measured data (.csv, .npz or .nc)")
    command.add_argument(
        "--vary", action="append", required=True, metavar="NAME", help="a parameter to fit (repeatable)"
    )
    command.add_argument(
        "--target",
        choices=("current", "didv"),
        default="current",
        help="what DATA holds: the particle current (default) or its derivative along --bias",
    )
    command.add_argument(
        "--lead", metavar="NAME", help="the lead whose current was measured (default: the tip lead, or the last)"
    )
    command.add_argument("--bias", default="V", metavar="NAME", help="the bias parameter of dI/dV (default: V)")
    command.add_argument(
        "--bounds",
        action="append",
        default=[],
        metavar="NAME=LO:HI",
        help="keep a fitted parameter between LO and HI (repeatable; either end may be empty)",
    )
    command.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the start of a fitted parameter, or the value of another (repeatable; default: the file's)",
    )
    command.add_argument("--column", metavar="NAME", help="the measured column, array or variable of DATA")
    command.add_argument(
        "--axis", action="append", metavar="NAME", help="a coordinate column of a CSV file (default: all others)"
    )
    command.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    command.add_argument("--plot", metavar="PATH", help="write a figure of the data against the fit")


def bounds_of(arguments: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Bounds from ``--bounds NAME=LO:HI`` arguments (an empty end is unbounded).

    Parameters
    ----------
    arguments : sequence of str
        ``NAME=LO:HI`` texts; ``LO`` and ``HI`` are numbers or constant expressions.

    Returns
    -------
    dict of str to (float, float)
        ``{name: (low, high)}``.

    Raises
    ------
    CommandError
        For a malformed argument or a name given twice.

    Examples
    --------
    >>> bounds_of(["T=0.001:1", "eps=:0.5"])
    {'T': (0.001, 1.0), 'eps': (-inf, 0.5)}
    """
    from .settings import fixed_values

    found: dict[str, tuple[float, float]] = {}
    for text in arguments:
        name, _, ends = text.partition("=")
        name = name.strip()
        low, colon, high = ends.partition(":")
        if not name or not colon:
            raise CommandError(f"--bounds {text!r}: expected NAME=LO:HI (e.g. T=0.001:1)")
        if name in found:
            raise CommandError(f"--bounds {name}: given twice")
        values = []
        for end, infinite in ((low, -math.inf), (high, math.inf)):
            values.append(infinite if not end.strip() else fixed_values([f"{name}={end}"])[name])
        found[name] = (values[0], values[1])
    return found


def fit_document(result: Fit, *, model: str, data: str) -> dict[str, Any]:
    """The fit as JSON-ready data (non-finite numbers as null).

    Parameters
    ----------
    result : Fit
        The fit.
    model : str
        The model file, as given.
    data : str
        The data file, as given.

    Returns
    -------
    dict
        ``model``, ``data``, ``target``, ``lead``, ``bias``, ``parameters``, ``values``, ``errors``,
        ``start``, ``fixed``, ``covariance`` (rows in the order of ``parameters``), ``residual_norm``,
        ``points``, ``evaluations``, ``jacobian_evaluations``, ``jacobian``, ``success``, ``message``.
    """

    def number(value: float) -> float | None:
        return float(value) if math.isfinite(value) else None

    return {
        "model": model,
        "data": data,
        "target": result.target,
        "lead": result.lead,
        "bias": result.bias,
        "parameters": list(result.parameters),
        "values": {n: number(v) for n, v in result.values.items()},
        "errors": {n: number(v) for n, v in result.errors.items()},
        "start": result.start,
        "fixed": result.fixed,
        "covariance": [[number(v) for v in row] for row in result.covariance],
        "residual_norm": result.residual_norm,
        "points": result.points,
        "evaluations": result.evaluations,
        "jacobian_evaluations": result.jacobian_evaluations,
        "jacobian": result.jacobian,
        "success": result.success,
        "message": result.message,
    }


def _table(result: Fit, *, model: str, data: str) -> str:
    what = "current" if result.target == "current" else f"dI/d{result.bias}"
    names = result.parameters
    lines = [f"{model}: fit of the {what} of lead {result.lead!r} to {data} ({result.points} points)"]
    width = max(len(n) for n in names)
    lines += [f"  {n:<{width}} = {result.values[n]:.6g} ± {result.errors[n]:.2g}" for n in names]
    lines.append("covariance:")
    cells = [[f"{v:.3e}" for v in row] for row in result.covariance]
    column = max(11, width)
    lines.append("  " + " " * width + "".join(f" {n:>{column}}" for n in names))
    lines += [f"  {n:<{width}}" + "".join(f" {c:>{column}}" for c in row) for n, row in zip(names, cells)]
    lines.append(f"residual norm: {result.residual_norm:.6g}")
    lines.append(
        f"{result.evaluations} model evaluations, {result.jacobian_evaluations} Jacobians ({result.jacobian}); "
        f"{result.message}"
    )
    return "\n".join(lines) + "\n"


def run_fit(arguments: argparse.Namespace) -> None:
    """Read, check, fit, print (and plot): the ``fit`` command.

    Parameters
    ----------
    arguments : argparse.Namespace
        The parsed ``fit`` arguments.

    Raises
    ------
    CommandError
        For bad arguments, a missing optional dependency, or a fit that fails (one line).
    """
    from symbolic_pme.files.model_file import load_model
    from symbolic_pme.numeric.fitting import fit
    from symbolic_pme.numeric.measured import load_measurement

    from .settings import fixed_values
    from .solve import check_target

    values = fixed_values(arguments.set)
    bounds = bounds_of(arguments.bounds)
    if arguments.plot:
        check_target(Path(arguments.plot), "--plot")
    model = load_model(arguments.model)
    unknown = [n for n in [*arguments.vary, *values] if n not in model.parameters]
    if unknown:
        raise CommandError(
            f"{model.path}: no parameter {unknown[0]!r}; parameters: {', '.join(model.parameters) or 'none'}"
        )
    try:
        data = load_measurement(arguments.data, column=arguments.column, axes=arguments.axis)
    except ImportError as error:
        raise CommandError(str(error)) from None
    varied = set(arguments.vary)
    start = {n: v for n, v in values.items() if n in varied}
    fixed = {n: v for n, v in values.items() if n not in varied and n in model.used_parameters}
    model.check_values({**fixed, **start}, {})
    try:
        result = fit(
            model,
            data,
            parameters=arguments.vary,
            bounds=bounds,
            target=arguments.target,
            lead=arguments.lead,
            start=start,
            fixed=fixed,
            bias=arguments.bias,
        )
    except ValueError as error:
        raise CommandError(f"{model.path}: {error}") from None
    if arguments.plot:
        result.plot(arguments.plot)
    if arguments.format == "json":
        json.dump(fit_document(result, model=arguments.model, data=arguments.data), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(_table(result, model=arguments.model, data=arguments.data))
    if arguments.plot:
        print(f"wrote {arguments.plot}", file=sys.stderr)
