"""Argument parsing and the one place where errors become a one-line message and exit status 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from symbolic_pme import __version__
from symbolic_pme.errors import CommandError

from .check import APPROACH_CHOICES, add_check_command
from .fit import add_fit_command
from .generate import add_generate_command
from .noise import add_noise_options

__all__ = ["main", "parser"]

EXAMPLES = """examples:
  symbolic-pme solve examples/triangle.toml --sweep V=-1:1:201 --plot triangle_iv.png
  symbolic-pme solve examples/anderson.toml --sweep eps=-1.5:0.5:101 --sweep V=-2:2:101 --format json -o map.json
  symbolic-pme solve examples/triangle_tip.toml --sweep y=-6:10:41 --sweep x=-8:8:41 --set V=0.3 --plot image.png
  symbolic-pme derive examples/single_level.toml --latex
  symbolic-pme generate examples/triangle.toml --language c -o triangle.c
  symbolic-pme fit examples/triangle.toml iv.csv --vary T --target current --plot fit.png

Model files are described in docs/model-files.md.  Units: hbar = e = k_B = 1."""


class _Parser(argparse.ArgumentParser):
    """argparse with errors in one line (and exit status 2), as for every other bad input."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    """The argument parser of the ``symbolic-pme`` command (``solve``, ``derive``, ``generate``).

    Returns
    -------
    argparse.ArgumentParser
        A parser whose errors are one line with exit status 2.
    """
    main_parser = _Parser(
        prog="symbolic-pme",
        description="Pauli master equations of quantum dots and molecules from TOML model files.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    main_parser.add_argument("--version", action="version", version=f"symbolic-pme {__version__}")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    solve = commands.add_parser(
        "solve",
        help="steady state, currents and occupations (a point, a sweep or a grid)",
        description="Solve the Pauli master equation of MODEL at the parameter defaults, with --set changes, "
        "over --sweep axes.  Currents flow from each lead into the dot (hbar = e = k_B = 1).",
        epilog="The JSON output has the keys title, parameters, sweep, leads, states, probabilities, current, "
        "energy_current, heat_current, occupations; --noise adds noise, fano, skewness, --derivative NAME "
        "d_current_d_NAME (docs/model-files.md).",
    )
    solve.add_argument("model", metavar="MODEL.toml", help="the model file")
    solve.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change a parameter's value (repeatable)"
    )
    solve.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=START:STOP:NUM",
        help="sweep a parameter over NUM evenly spaced values, both ends included; several make a grid "
        "(first = axis 0)",
    )
    solve.add_argument(
        "--format",
        choices=("table", "json", "csv", "netcdf", "npz"),
        default="table",
        help="output format (default: table); netcdf and npz are binary files and need -o PATH",
    )
    parallel = solve.add_mutually_exclusive_group()
    parallel.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="solve the grid's chunks on N local processes (the result is the same as without)",
    )
    parallel.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="solve the grid's chunks on the Dask cluster of this scheduler (tcp://host:8786; "
        "needs symbolic_pme[dask])",
    )
    solve.add_argument(
        "--approach",
        choices=APPROACH_CHOICES,
        default="pauli",
        help="the master equation: pauli (default) or a first-order coherent one, lindblad, redfield or 1vn "
        "(populations in the eigenbasis)",
    )
    solve.add_argument(
        "--coherences",
        action="store_true",
        help="with a coherent --approach and --format json: add the key coherences (per sector, the "
        "off-diagonal density-matrix elements in the eigenbasis, real and imaginary parts)",
    )
    add_noise_options(solve)
    solve.add_argument("-o", "--output", metavar="PATH", help="write the output to PATH instead of stdout")
    solve.add_argument(
        "--plot",
        metavar="PATH",
        help="write a figure (format from the extension, e.g. .png): I-V curves and probabilities for one "
        "sweep, maps of the current and dI/dV for two",
    )
    solve.add_argument(
        "--lead",
        metavar="NAME",
        help="the lead whose current --plot shows (default: all for curves, the last for maps)",
    )
    solve.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="hide the progress bar, the note where the Pauli equation's neglect of coherences may matter, and "
        "the 'wrote PATH' lines (errors are always shown)",
    )

    derive = commands.add_parser(
        "derive",
        help="states, Hamiltonian blocks, rates and closed forms",
        description="Print the exact objects of MODEL: the many-body states, the Hamiltonian blocks, the "
        "golden-rule rates and, where feasible, the closed-form steady state and currents.",
    )
    derive.add_argument("model", metavar="MODEL.toml", help="the model file")
    notation = derive.add_mutually_exclusive_group()
    notation.add_argument("--latex", action="store_true", help="print expressions as LaTeX")
    notation.add_argument(
        "--unicode", action="store_true", help="print expressions and matrices in Unicode (default: ASCII)"
    )
    derive.add_argument(
        "--noise", action="store_true", help="also the closed-form noise and Fano factor of each lead, where feasible"
    )
    add_generate_command(commands)
    add_check_command(commands)
    add_fit_command(commands)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command.

    Bad input of any kind (:class:`CommandError`, :class:`ValueError` including
    :class:`ModelFileError`, :class:`OSError`, or a :class:`MemoryError`) becomes one line on
    stderr.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0, or 2 for bad input.
    """
    arguments = parser().parse_args(argv)
    if arguments.command is None:
        parser().error("choose a command: solve, derive or generate")
    try:
        if arguments.command == "solve":
            from .solve import run_solve

            run_solve(arguments)
        elif arguments.command == "check":
            from .check import run_check

            run_check(arguments)
        elif arguments.command == "generate":
            from .generate import run_generate

            run_generate(arguments)
        elif arguments.command == "fit":
            from .fit import run_fit

            run_fit(arguments)
        else:
            from symbolic_pme.files.model_file import load_model

            from .derive import derivation

            model = load_model(arguments.model)
            text = derivation(model, latex=arguments.latex, unicode=arguments.unicode, noise=arguments.noise)
            sys.stdout.write(text)
    except (CommandError, ValueError, OSError) as error:
        return _fail(str(error))
    except MemoryError:
        return _fail("not enough memory for this model (and grid)")
    return 0


def _fail(message: str) -> int:
    print(f"symbolic-pme: error: {' '.join(message.split())}", file=sys.stderr)
    return 2
