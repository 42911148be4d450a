"""``symbolic-pme solve``: steady state, currents and occupations of a model file.

Everything that can be checked is checked before computing: the arguments, the file, the output
paths (a probe file is created and removed in each target's folder), the size of the result and
the evaluation guard at every ``--set`` value and ``--sweep`` end point.  The solve runs with
NumPy's floating-point errors raised, so that an overflow anywhere is reported as one line naming
the grid point and the quantity, never as a warning or an infinity in the output.  Output files
are written before anything goes to stdout, and stdout only once everything has succeeded.
"""

from __future__ import annotations

import argparse
import stat
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path

import numpy as np
import sympy

from symbolic_pme.errors import WorkerLost
from symbolic_pme.files.model_file import ModelFile, load_model
from symbolic_pme.numeric.analysis import Analysis, analyse
from symbolic_pme.numeric.inputs import Grid
from symbolic_pme.numeric.network import CompiledNetwork
from symbolic_pme.numeric.results import SteadyState
from symbolic_pme.numeric.validity import secular_ratio
from symbolic_pme.quantities import CHARGE

from .check import measured_note
from .noise import check_noise_options, noise_outputs
from .outputs import check_format, write_output
from .parallel import check_parallel, executor_for
from .progress import progress_bar
from .settings import CommandError, Sweep, check_names, fixed_values, grid_points, sweep_axes, sweeps

__all__ = ["MAX_RESULT_VALUES", "check_target", "run_solve", "secular_note"]

#: Most probabilities in one result (grid points times states): what the output can carry.
MAX_RESULT_VALUES = 10**7

_STRICT = {"over": "raise", "divide": "raise", "invalid": "raise", "under": "ignore"}


def run_solve(arguments: argparse.Namespace) -> None:
    """Read, check, solve, write: the ``solve`` command.

    Every input is checked before anything is computed; output files are written before anything
    goes to stdout, and stdout only once everything has succeeded.

    Parameters
    ----------
    arguments : argparse.Namespace
        The parsed ``solve`` arguments (``model``, ``set``, ``sweep``, ``format``, ``output``,
        ``plot``, ``lead``, ``quiet``, ``workers``, ``scheduler``, ``approach``, ``coherences``,
        ``noise``, ``derivative``).
    """
    values = fixed_values(arguments.set)
    found = sweeps(arguments.sweep)
    model = load_model(arguments.model)
    check_names(model, values, found)
    derivatives = check_noise_options(arguments, model)
    check_format(arguments.format, arguments.output)
    _check_coherences(arguments)
    check_parallel(arguments.workers, arguments.scheduler)
    plot = _check_outputs(arguments, model, len(found))
    _check_size(model, found)
    model.check_values(values, {name: (s.start, s.stop) for name, s in found.items()})
    fixed = {name: values.get(name, default) for name, default in model.parameters.items() if name not in found}
    along = _plot_derivative(arguments, model, plot, found)
    asked = (*derivatives, *(a for a in (along,) if a is not None and a not in derivatives))
    with executor_for(arguments.workers, arguments.scheduler) as executor:
        result, solver, analysis = _solve(
            model,
            fixed,
            sweep_axes(found),
            quiet=arguments.quiet,
            approach=arguments.approach,
            executor=executor,
            cumulants=3 if arguments.noise else 0,
            derivatives=asked,
        )
    extra = noise_outputs(analysis, noise=arguments.noise, derivatives=derivatives) if analysis else None
    if not arguments.quiet and (note := secular_note(solver, result)):
        measured = measured_note(solver, result) if arguments.approach == "pauli" else None
        print(note + (f"; measured: {measured}" if measured else ""), file=sys.stderr)
    if plot is not None:
        from .figures import render_plot  # matplotlib only for --plot

        exact = None if along is None else analysis.derivatives
        image = render_plot(result, plot.suffix, model, arguments.lead, fixed=fixed, derivatives=exact)
        _write(plot, image, "--plot")
        _note(arguments, f"wrote {plot}")
    write_output(arguments.format, model, result, fixed, arguments.output, extra=extra, coherences=arguments.coherences)
    if arguments.output is not None:
        _note(arguments, f"wrote {arguments.output}")


def _check_coherences(arguments: argparse.Namespace) -> None:
    """Refuse ``--coherences`` where there are none to write: the Pauli equation, a format but JSON."""
    if not arguments.coherences:
        return
    if arguments.approach == "pauli":
        raise CommandError(
            "--coherences: the Pauli equation keeps no coherences; give --approach lindblad, redfield or 1vn"
        )
    if arguments.format != "json":
        raise CommandError(f"--coherences: a key of the JSON output; give --format json, not {arguments.format}")


def _check_outputs(arguments: argparse.Namespace, model: ModelFile, axes: int) -> Path | None:
    """The plot's settings and both output paths, before computing; returns the plot path."""
    plot = None if arguments.plot is None else Path(arguments.plot)
    if plot is not None:
        from .figures import check_plot  # matplotlib only for --plot

        check_plot(plot, axes, arguments.lead, model.leads)
    elif arguments.lead is not None:
        raise CommandError("--lead chooses the lead of --plot; give --plot too")
    for option, target in (("--output", arguments.output), ("--plot", arguments.plot)):
        if target is not None:
            check_target(Path(target), option)
    return plot


def _plot_derivative(
    arguments: argparse.Namespace, model: ModelFile, plot: Path | None, found: dict[str, Sweep]
) -> str | None:
    """The axis of a ``--plot`` map's exact derivative (the Pauli equation solved in this
    process); None without one, where the map's derivative is by finite differences."""
    if plot is None or len(found) != 2 or arguments.approach != "pauli":
        return None
    if arguments.workers is not None or arguments.scheduler is not None:
        return None
    from .figures import derivative_axis  # matplotlib only for --plot

    along = derivative_axis(model, list(found))
    return along if along in model.used_parameters else None


def check_target(path: Path, option: str) -> None:
    """Refuse, before computing, an output path that cannot be written.

    A probe file is created and removed in the folder.

    Parameters
    ----------
    path : pathlib.Path
        The output path.
    option : str
        The option that gave it (``"--output"``, ``"--plot"``), for the message.

    Raises
    ------
    CommandError
        For a missing or read-only folder, a folder or special file (a device such as
        ``/dev/full``, a FIFO) in its place, or a file without write permission.
    """
    folder = path.resolve().parent
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist")
    if path.exists():
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise CommandError(f"{option} {path}: is a folder; give a file name")
        if not stat.S_ISREG(mode):
            raise CommandError(f"{option} {path}: not a regular file (a device, FIFO or socket); give a file path")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
        if path.exists():
            with path.open("ab"):
                pass
    except OSError as error:
        raise CommandError(f"{option} {path}: cannot write there ({error.strerror})") from None


def _write(path: Path, data: bytes, option: str) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise CommandError(f"{option} {path}: cannot write it ({error.strerror})") from None


def _check_size(model: ModelFile, found: dict[str, Sweep]) -> None:
    """At most :data:`MAX_RESULT_VALUES` probabilities (grid points times states)."""
    points, states = grid_points(found), len(model.model.states)
    if points * states > MAX_RESULT_VALUES:
        raise CommandError(
            f"{model.path}: {points} grid point(s) x {states} states = {points * states} probabilities are more "
            f"than the {MAX_RESULT_VALUES} a result may hold; use fewer sweep points"
        )


def _solve(
    model: ModelFile,
    fixed: dict[str, float],
    axes: dict[str, np.ndarray],
    *,
    quiet: bool,
    approach: str = "pauli",
    executor: Executor | None,
    cumulants: int = 0,
    derivatives: tuple[str, ...] = (),
) -> tuple[SteadyState, CompiledNetwork, Analysis | None]:
    """Compile and solve with floating-point errors raised; any failure becomes one line naming
    the file (and, for an overflow, the grid point and the quantity).  With cumulants or
    derivatives (Pauli, in this process), one pass of :func:`analyse` gives everything, the
    derivatives of the particle currents alone; a parameter the model does not use has
    derivatives zero."""
    used = set(model.used_parameters)
    points = int(np.prod([len(a) for a in axes.values()], dtype=np.int64))
    analysis = None
    try:
        solver = model.compile()
        grid = solver.grid({n: v for n, v in fixed.items() if n in used}, axes)
        try:
            with np.errstate(**_STRICT), progress_bar(points, quiet=quiet) as progress:
                if cumulants or derivatives:
                    analysis = _analyse(solver, grid, cumulants, derivatives, used, progress)
                    result = analysis.steady_state
                else:
                    result = solver.evaluate(grid, progress=progress, approach=approach, executor=executor)
        except (FloatingPointError, OverflowError, ZeroDivisionError) as error:
            raise CommandError(f"{model.path}: {_overflow(model, solver, grid, error)}") from None
    except MemoryError:
        raise CommandError(
            f"{model.path}: not enough memory to solve {len(model.model.states)} states on {points} grid point(s)"
        ) from None
    except CommandError:
        raise
    except WorkerLost as error:
        raise CommandError(f"{model.path}: {error}") from None
    except ValueError as error:
        raise CommandError(f"{model.path}: {error}") from None
    problem = _non_finite_result(result)
    if problem:
        raise CommandError(f"{model.path}: {problem}")
    return result, solver, analysis


def _analyse(
    solver: CompiledNetwork,
    grid: Grid,
    cumulants: int,
    derivatives: tuple[str, ...],
    used: set[str],
    progress: Callable[[int, int], None],
) -> Analysis:
    """One pass of :func:`analyse`, differentiating the particle currents alone, along the
    parameters the model uses (the derivatives along the others are zero: :func:`noise_outputs`)."""
    directions = [name for name in derivatives if name in used]
    return analyse(
        solver, grid, cumulants=cumulants, derivatives=directions, derivative_quantities=(CHARGE,), progress=progress
    )


def _overflow(model: ModelFile, solver: CompiledNetwork, grid: Grid, error: Exception) -> str:
    """Where and in what a floating-point error of the solve arose: the first value of the file
    that is not finite on the grid, else the first result that is not, else the error itself."""
    problem = _non_finite_value(model, grid)
    if problem:
        return problem
    try:
        with np.errstate(all="ignore"):
            result = solver.evaluate(grid)
    except (ArithmeticError, ValueError) as again:
        return f"the solve failed: {again}"
    return _non_finite_result(result) or f"a floating-point error in the solve ({error}); the result is not reliable"


def _non_finite_value(model: ModelFile, grid: Grid) -> str | None:
    """The first value of the file that is not finite somewhere on the grid, with the point."""
    for value in model.values:
        names = sorted(s.name for s in value.expr.free_symbols)
        if not names:
            continue
        function = sympy.lambdify([sympy.Symbol(n, real=True) for n in names], value.expr, "numpy")
        arguments = [grid.values.get(n, model.parameters[n]) for n in names]
        with np.errstate(all="ignore"):
            numbers = np.broadcast_to(np.asarray(function(*arguments), dtype=complex), grid.shape)
        bad = ~np.isfinite(numbers)
        if bad.any():
            where = _point(grid.axes, grid.shape, bad)
            return f"{value.table}, key {value.key!r}: {value.text!r} is not finite at {where}"
    return None


def _non_finite_result(result: SteadyState) -> str | None:
    """The first quantity of a result that is not finite, with the grid point."""
    arrays = {"probabilities": np.moveaxis(result.probabilities, -1, 0)}
    for quantity in ("current", "energy_current", "heat_current"):
        arrays.update({f"{quantity} of lead {lead!r}": v for lead, v in getattr(result, quantity).items()})
    for name, array in arrays.items():
        bad = ~np.isfinite(np.broadcast_to(array, array.shape))
        if bad.any():
            bad = bad.reshape((-1,) + result.shape).any(axis=0) if bad.ndim > len(result.shape) else bad
            return f"the result is not finite: the {name} at {_point(result.axes, result.shape, bad)}"
    return None


def _point(axes: dict[str, np.ndarray], shape: tuple[int, ...], bad: np.ndarray) -> str:
    """``grid point (3, 0) (V = 0.2, gate = -1)`` for the first True of ``bad``."""
    if not shape:
        return "the given parameter values"
    index = np.unravel_index(int(np.argmax(bad.reshape(-1))), shape)
    values = ", ".join(f"{name} = {axis[i]:g}" for (name, axis), i in zip(axes.items(), index))
    return f"grid point {tuple(int(i) for i in index)} ({values})"


def secular_note(solver: CompiledNetwork, result: SteadyState) -> str | None:
    """A one-line note where two eigenstates of one block lie closer than their lifetime broadening.

    There, somewhere on the grid, the coherences that the Pauli equation drops may matter (see
    :func:`symbolic_pme.numeric.validity.secular_ratio`; the ratio is broadening over spacing,
    small where the Pauli equation holds, docs/conventions.md).

    Parameters
    ----------
    solver : CompiledNetwork
        The compiled model.
    result : SteadyState
        Its solve.

    Returns
    -------
    str or None
        The note, or None where the ratio stays at most 1 everywhere.
    """
    with np.errstate(all="ignore"):  # a note must never print a warning
        check = secular_ratio(solver, result)
    if not check.ratio.size or not np.nanmax(check.ratio) > 1:
        return None
    index = np.unravel_index(np.nanargmax(check.ratio), check.ratio.shape)
    where = ", ".join(f"{name} = {values[i]:g}" for (name, values), i in zip(result.axes.items(), index))
    return (
        f"note: the broadening of states {' and '.join(check.worst)} is {np.nanmax(check.ratio):.2g} times their "
        f"spacing{f' (at {where})' if where else ''}; the Pauli equation neglects the coherences between them"
    )


def _note(arguments: argparse.Namespace, message: str) -> None:
    if not arguments.quiet:
        print(message, file=sys.stderr)
