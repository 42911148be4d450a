"""``symbolic-pme solve``: steady state, currents and occupations of a model file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

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
    text = FORMATS[arguments.format](model, result, fixed)
    if arguments.output is None:
        sys.stdout.write(text)
    else:
        Path(arguments.output).write_text(text, encoding="utf-8")
        _note(arguments, f"wrote {arguments.output}")
    if plot is not None:
        save_plot(result, plot, model.title, arguments.lead)
        _note(arguments, f"wrote {plot}")


def _note(arguments: argparse.Namespace, message: str) -> None:
    if not arguments.quiet:
        print(message, file=sys.stderr)
