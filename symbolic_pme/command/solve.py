"""``symbolic-pme solve``: steady state, currents and occupations of a model file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from symbolic_pme.numeric.network import CompiledNetwork
from symbolic_pme.numeric.results import SteadyState
from symbolic_pme.numeric.secular import secular_ratio

from ..model_file import load_model
from .figures import check_plot, save_plot
from .formats import FORMATS
from .progress import progress_bar
from .settings import CommandError, check_names, fixed_values, sweep_axes

__all__ = ["run_solve"]


def run_solve(arguments: argparse.Namespace) -> None:
    """Read, check, solve, write.  Every input is checked before anything is computed."""
    values = fixed_values(arguments.set)
    axes = sweep_axes(arguments.sweep)
    model = load_model(arguments.model)
    check_names(model, values, axes)
    plot = None if arguments.plot is None else Path(arguments.plot)
    if plot is not None:
        check_plot(plot, len(axes), arguments.lead, model.leads)
    elif arguments.lead is not None:
        raise CommandError("--lead chooses the lead of --plot; give --plot too")
    for option, target in (("--output", arguments.output), ("--plot", arguments.plot)):
        if target is not None and not Path(target).resolve().parent.is_dir():
            raise CommandError(f"{option} {target}: the folder {Path(target).resolve().parent} does not exist")
    fixed = {name: values.get(name, default) for name, default in model.parameters.items() if name not in axes}
    solver = model.compile()
    grid = solver.grid({n: v for n, v in fixed.items() if n in model.used_parameters}, axes)
    with progress_bar(int(np.prod(grid.shape, dtype=np.int64)), arguments.quiet) as progress:
        result = solver.evaluate(grid, progress)
    if not arguments.quiet and (note := secular_note(solver, result)):
        print(note, file=sys.stderr)
    text = FORMATS[arguments.format](model, result, fixed)
    if arguments.output is None:
        sys.stdout.write(text)
    else:
        Path(arguments.output).write_text(text, encoding="utf-8")
        _note(arguments, f"wrote {arguments.output}")
    if plot is not None:
        save_plot(result, plot, model.title, arguments.lead)
        _note(arguments, f"wrote {plot}")


def secular_note(solver: CompiledNetwork, result: SteadyState) -> str | None:
    """A one-line note where two eigenstates of one block lie closer than their lifetime
    broadening somewhere on the grid: there the coherences that the Pauli equation drops may
    matter (see :mod:`symbolic_pme.numeric.secular`)."""
    check = secular_ratio(solver, result)
    if not check.ratio.size or check.ratio.min() >= 1:
        return None
    index = np.unravel_index(np.argmin(check.ratio), check.ratio.shape)
    where = ", ".join(f"{name} = {values[i]:g}" for (name, values), i in zip(result.axes.items(), index))
    return (
        f"note: the spacing of states {' and '.join(check.worst)} is {check.ratio.min():.2g} times their "
        f"broadening{f' (at {where})' if where else ''}; the Pauli equation neglects the coherences between them"
    )


def _note(arguments: argparse.Namespace, message: str) -> None:
    if not arguments.quiet:
        print(message, file=sys.stderr)
