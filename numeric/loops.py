"""The compiled loops of the small-model solve, when they were built.

``numeric/_loops.c`` (built by ``setup.py`` as the optional extension
``symbolic_pme.numeric._loops``) does the GTH state reduction and the flat layout's currents
point by point, in the same order of operations as their NumPy versions
(:func:`~symbolic_pme.numeric.solver.steady_state_gth`,
:meth:`~symbolic_pme.numeric.flat.FlatRates.currents`), which remain the reference and the
fallback.  A small model's sweep is dominated by NumPy's per-call overhead (GTH alone is about 50
calls on the grid's arrays), not by its arithmetic; the compiled loops remove that overhead.

Set the environment variable ``SYMBOLIC_PME_NUMPY_LOOPS=1`` before the first import to run the
NumPy versions even where the extension is built (for comparisons and tests).
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["COMPILED", "GTH_STATES", "compiled_loops"]

#: Most states the compiled GTH reduction takes (its per-chunk buffers are sized for them).
GTH_STATES = 16


def _load() -> ModuleType | None:
    if os.environ.get("SYMBOLIC_PME_NUMPY_LOOPS", "") not in ("", "0"):
        return None
    try:
        from symbolic_pme.numeric import _loops
    except ImportError:  # not built (no compiler or Python headers at install): NumPy runs
        return None
    return _loops


_MODULE = _load()

#: Whether the compiled loops are in use.
COMPILED: bool = _MODULE is not None


def compiled_loops() -> ModuleType | None:
    """The compiled extension, or None where it is not built or switched off.

    Returns
    -------
    module or None
        ``symbolic_pme.numeric._loops``.
    """
    return _MODULE
