"""Generated, validated standalone solvers: a model file in, a NumPy module or a C solver out.

``generate("examples/triangle.toml", language="python", output="triangle_solver.py")`` writes one
module that needs NumPy alone; ``language="c"`` writes a C99 source and its header that need libm
alone.  Each file carries a table of reference points solved by this package at generation time
and checks itself against it (``validate()``, the ``<NAME>_SELFTEST`` main); ``generate`` runs
that check before it writes anything.  docs/generated-solvers.md describes both targets.

Modules, one job each: :mod:`.plan` (what a solver evaluates, read from the model),
:mod:`.reference_points`, :mod:`.summary` (the description at the top of every file),
:mod:`.python_target`, :mod:`.c_target`, :mod:`.generation` (:func:`generate`).
"""

from .generation import GeneratedSolver, generate

__all__ = ["GeneratedSolver", "generate"]
