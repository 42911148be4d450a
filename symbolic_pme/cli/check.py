"""``symbolic-pme check``: how far the Pauli equation is from a first-order coherent one, measured.

Solves MODEL with the Pauli equation and with a coherent approach (Redfield by default; Lindblad
or 1vN) over the same ``--set`` values and ``--sweep`` grid, and prints for every lead the
largest relative difference of its particle current and where it occurs.  The relative
difference at a point is ``|I_coherent - I_pauli|`` over the largest ``|I_pauli|`` of that lead
on the grid (a current that crosses zero is not divided by zero).  :func:`measured_note` is the
same measurement for ``solve``'s stderr note, where the model is small enough.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from symbolic_pme.errors import CommandError

if TYPE_CHECKING:  # pragma: no cover  (the parser imports this module: --help stays free of NumPy and SymPy)
    from symbolic_pme.files.model_file import ModelFile
    from symbolic_pme.numeric.network import CompiledNetwork
    from symbolic_pme.numeric.results import SteadyState

__all__ = [
    "APPROACH_CHOICES",
    "NOTE_MAX_WORK",
    "add_check_command",
    "current_differences",
    "measured_note",
    "run_check",
]

#: The ``--approach`` choices of ``solve`` (``check`` takes the coherent ones).
APPROACH_CHOICES = ("pauli", "lindblad", "redfield", "1vn")

#: Largest ``points x M^3`` (M the Liouville-space size of the largest charge level) for which
#: ``solve`` measures the Redfield difference for its note: a fraction of a second.
NOTE_MAX_WORK = 10**9


def add_check_command(commands: argparse._SubParsersAction) -> None:
    """Register the ``check`` subcommand.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``symbolic-pme`` parser.
    """
    check = commands.add_parser(
        "check",
        help="measure the Pauli equation against a coherent approach (largest current difference per lead)",
        description="Solve MODEL with the Pauli equation and with a first-order coherent approach over the "
        "same grid, and print each lead's largest relative current difference and where it occurs.",
    )
    check.add_argument("model", metavar="MODEL.toml", help="the model file")
    check.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="change a parameter's value (repeatable)"
    )
    check.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=START:STOP:NUM",
        help="sweep a parameter over NUM evenly spaced values (several make a grid)",
    )
    check.add_argument(
        "--approach",
        choices=APPROACH_CHOICES[1:],
        default="redfield",
        help="the coherent approach to compare with (default: redfield)",
    )


def current_differences(pauli: SteadyState, coherent: SteadyState) -> dict[str, tuple[float, tuple[int, ...]]]:
    """Each lead's largest relative particle-current difference and its grid index.

    Parameters
    ----------
    pauli : SteadyState
        The Pauli solve.
    coherent : SteadyState
        The coherent solve on the same grid.

    Returns
    -------
    dict of str to (float, tuple of int)
        ``{lead: (difference, index)}``; the difference is relative to the lead's largest
        ``|I_pauli|`` on the grid (0 where that vanishes).
    """
    import numpy as np

    result = {}
    for lead, reference in pauli.current.items():
        reference = np.asarray(reference)
        difference = np.abs(np.asarray(coherent.current[lead]) - reference)
        scale = float(np.max(np.abs(reference))) if reference.size else 0.0
        relative = difference / scale if scale > 0 else np.zeros_like(difference)
        index = np.unravel_index(int(np.argmax(relative)), relative.shape) if relative.ndim else ()
        result[lead] = (float(np.max(relative)), tuple(int(i) for i in index))
    return result


def _where(result: SteadyState, index: tuple[int, ...]) -> str:
    return ", ".join(f"{name} = {values[i]:g}" for (name, values), i in zip(result.axes.items(), index))


def measured_note(solver: CompiledNetwork, pauli: SteadyState) -> str | None:
    """The Redfield current difference of a ``solve``, for its note, if measuring it is cheap.

    Parameters
    ----------
    solver : CompiledNetwork
        The compiled model.
    pauli : SteadyState
        Its Pauli solve.

    Returns
    -------
    str or None
        ``"Redfield changes the current of lead 'tip' by at most 0.1 % (at V = 0.3)"``, or
        None where the model or grid is too large (more than :data:`NOTE_MAX_WORK`) or the
        network is not a transport model.
    """
    import numpy as np

    from symbolic_pme.numeric.coherent_steady import coherent_kernel

    if solver.blocks is None:
        return None
    largest = max(coherent_kernel(solver.blocks).layout.level_sizes)
    points = int(np.prod(pauli.shape, dtype=np.int64))
    if points * largest**3 > NOTE_MAX_WORK:
        return None
    with np.errstate(all="ignore"):
        coherent = solver.steady_state(pauli.parameters, approach="redfield")
    differences = current_differences(pauli, coherent)
    lead, (difference, index) = max(differences.items(), key=lambda item: item[1][0])
    where = _where(pauli, index)
    return (
        f"Redfield changes the current of lead {lead!r} by at most {100 * difference:.2g} % of its largest value"
        f"{f' (at {where})' if where else ''}"
    )


def run_check(arguments: argparse.Namespace) -> None:
    """Solve with Pauli and with the coherent approach, print the differences: the ``check`` command.

    Parameters
    ----------
    arguments : argparse.Namespace
        The parsed ``check`` arguments (``model``, ``set``, ``sweep``, ``approach``).

    Raises
    ------
    CommandError
        For bad arguments or a model the coherent kernel cannot hold (one line naming the file).
    """
    from symbolic_pme.files.model_file import load_model

    from .settings import check_names, fixed_values, grid_points, sweep_axes, sweeps

    values = fixed_values(arguments.set)
    found = sweeps(arguments.sweep)
    model: ModelFile = load_model(arguments.model)
    check_names(model, values, found)
    model.check_values(values, {name: (s.start, s.stop) for name, s in found.items()})
    used = set(model.used_parameters)
    fixed = {n: values.get(n, d) for n, d in model.parameters.items() if n not in found and n in used}
    solver = model.compile()
    grid = solver.grid(fixed, sweep_axes(found))
    try:
        pauli = solver.evaluate(grid)
        coherent = solver.evaluate(grid, approach=arguments.approach)
    except ValueError as error:
        raise CommandError(f"{model.path}: {error}") from None
    name = {"lindblad": "Lindblad", "redfield": "Redfield", "1vn": "1vN"}[arguments.approach]
    print(f"{model.path}: {name} against Pauli over {grid_points(found)} grid point(s)")
    print("largest relative difference of each lead's particle current (relative to its largest |I_pauli|):")
    for lead, (difference, index) in current_differences(pauli, coherent).items():
        where = _where(pauli, index)
        print(f"  {lead}: {difference:.3g}{f' at {where}' if where else ''}")
