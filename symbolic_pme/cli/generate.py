"""``symbolic-pme generate``: a validated standalone solver (Python or C) of a model file.

The output path is checked before anything is computed (as ``solve`` checks its outputs); the
files are written only once the generated code has passed its own check against the reference
table (:func:`symbolic_pme.generate.generate`).  What a target cannot solve is refused in one line
with exit status 2, like any other bad input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_generate_command", "run_generate"]


def add_generate_command(commands: argparse._SubParsersAction) -> None:
    """Register the ``generate`` subcommand and its options.

    Parameters
    ----------
    commands:
        The subparsers of the ``symbolic-pme`` parser.
    """
    generate = commands.add_parser(
        "generate",
        help="a standalone solver of MODEL: a NumPy module or a C99 source and header, validated",
        description="Write a solver of MODEL that needs NumPy alone (--language python) or libm alone "
        "(--language c: PATH.c and PATH.h), with reference points solved by symbolic_pme that the "
        "solver is checked against before anything is written (for C: with the system cc, if any).",
        epilog="docs/generated-solvers.md describes both targets.",
    )
    generate.add_argument("model", metavar="MODEL.toml", help="the model file")
    generate.add_argument("--language", choices=("python", "c"), required=True, help="the target")
    generate.add_argument(
        "-o", "--output", metavar="PATH", required=True, help="the file to write: NAME.py, or NAME.c (and NAME.h)"
    )
    generate.add_argument(
        "--points", type=int, default=8, metavar="N", help="reference points in the file (default: 8)"
    )
    generate.add_argument(
        "-q", "--quiet", action="store_true", help="hide the 'wrote PATH' lines (errors are always shown)"
    )


def run_generate(arguments: argparse.Namespace) -> None:
    """Check the output paths, generate, validate, write, and say what was written (on stderr).

    Parameters
    ----------
    arguments:
        The parsed command line of ``generate``.
    """
    from symbolic_pme.generate import generate

    from .solve import check_target

    output = Path(arguments.output)
    check_target(output, "--output")
    if arguments.language == "c" and output.suffix == ".c":
        check_target(output.with_suffix(".h"), "--output")
    result = generate(arguments.model, language=arguments.language, output=output, points=arguments.points)
    if not arguments.quiet:
        print(f"wrote {', '.join(map(str, result.files))}; {result.note}", file=sys.stderr)
