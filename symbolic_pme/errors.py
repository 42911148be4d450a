"""Every error class of symbolic_pme, in one place.

Each one but :class:`WorkerLost` subclasses :class:`ValueError`: all of them report input (a
model, a file, a grid, a command line) that cannot be accepted as it stands, and the message
names what to change.  :class:`WorkerLost` (a :class:`RuntimeError`) reports a failure of the
machinery a distributed sweep ran on, not of its input.

The command line turns any of them into a one-line message with exit status 2.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ClosedFormTooLarge",
    "CommandError",
    "ExpressionError",
    "GenerationError",
    "GridTooLarge",
    "ModelFileError",
    "NonUniqueSteadyState",
    "WorkerLost",
]


class ExpressionError(ValueError):
    """An expression (usually from text) that cannot be accepted.

    Raised by :func:`symbolic_pme.parsing.parse_expression` for unknown names or functions,
    forbidden syntax (attribute access, calls of anything but the listed functions), and by
    :func:`symbolic_pme.parsing.to_expr` for values that are not finite numbers or expressions.
    """


class ClosedFormTooLarge(ValueError):
    """A closed form would need more spanning trees (or terms) than allowed.

    Solve the model numerically instead (``network.compile()``), or raise the limit where the
    function that raised it takes one.
    """


class NonUniqueSteadyState(ValueError):
    """The network has more than one closed class of states.

    The steady state then depends on the initial state (for example, every coupling is zero).

    Parameters
    ----------
    message : str
        What is not unique, and where.
    indices : sequence of tuple of int, optional
        Grid indices of the points where it happens (numeric solves); empty for symbolic ones.

    Attributes
    ----------
    indices : list of tuple of int
        As given.
    """

    def __init__(self, message: str, *, indices: Sequence[tuple[int, ...]] = ()) -> None:
        super().__init__(message)
        self.indices = [tuple(index) for index in indices]


class ModelFileError(ValueError):
    """A model file that cannot be read; the message names the file, the table and the key."""


class GenerationError(ValueError):
    """A model that a target of :func:`symbolic_pme.generate.generate` cannot generate (too many
    states; for C, complex amplitudes), or a generated solver that fails its own validation."""


class GridTooLarge(ValueError):
    """A solve would need more memory than allowed; the message gives the estimate in GiB.

    The limit is :data:`symbolic_pme.numeric.memory.MEMORY_LIMIT` (half of the machine's RAM)
    unless the caller passes another.
    """


class CommandError(ValueError):
    """Bad command-line input; reported in one line with exit status 2."""


class WorkerLost(RuntimeError):
    """A distributed sweep lost the worker of a chunk (a process died, a cluster worker was killed)
    and could not solve the chunk again; the message names the chunk's grid rows and parameter
    range.  No partial result is returned (:mod:`symbolic_pme.numeric.distributed`)."""
