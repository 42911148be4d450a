"""Reference points: random parameter sets near the defaults, solved by the package.

Every generated file carries a table of them, so that it can check itself (``validate()`` in
Python, the ``<NAME>_SELFTEST`` main in C).  Each parameter is drawn uniformly within
:data:`SPREAD` of its default (relative; a parameter whose default is 0 within :data:`SPREAD`
times the largest default in magnitude), from a fixed seed.  A draw is kept when the package
solves it (temperatures not negative, a unique steady state) and every mixed block's eigenvalues
are separated by at least :data:`MIN_GAP` of the block's scale: at a degeneracy the Pauli rates
depend on the eigenbasis chosen within the degenerate subspace (the secular approximation has
failed there), which no two eigen-solvers choose alike, so such a point could not check anything.
The defaults themselves are not drawn: they are often a point of symmetry (zero detuning,
particle-hole symmetry), where some current vanishes exactly and both solvers give rounding noise.

Values are compared relative to themselves (:data:`TOLERANCE`); a current, relative to at least
:data:`CURRENT_FLOOR` times the largest current of its kind (particle, energy, heat) in the table
(:func:`current_floors`), so that a current that vanishes by a symmetry of the model compares on
the scale of the currents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbolic_pme.errors import GenerationError
from symbolic_pme.files.model_file import ModelFile

from .plan import SolverPlan

__all__ = ["CURRENT_FLOOR", "MIN_GAP", "SPREAD", "TOLERANCE", "ReferencePoint", "current_floors", "reference_points"]

#: Largest relative deviation from the table that a generated solver's check accepts.
TOLERANCE = 1e-12
#: Currents compare relative to at least this share of the largest current of their kind.
CURRENT_FLOOR = 1e-3

#: Relative half-width of the neighbourhood of the defaults that points are drawn from.
SPREAD = 0.1
#: Smallest eigenvalue spacing within a mixed block, relative to the block's largest |eigenvalue|
#: (or spread), at a reference point.
MIN_GAP = 1e-3
#: Draws tried before giving up.
_ATTEMPTS = 200


@dataclass(frozen=True)
class ReferencePoint:
    """One parameter set and the package's results there.

    Attributes
    ----------
    parameters:
        Values in the plan's parameter order.
    probabilities:
        In the plan's state order.
    currents:
        Particle, then energy, then heat currents, each in the plan's lead order.
    """

    parameters: tuple[float, ...]
    probabilities: tuple[float, ...]
    currents: tuple[float, ...]


def reference_points(model_file: ModelFile, plan: SolverPlan, *, count: int, seed: int) -> list[ReferencePoint]:
    """``count`` reference points of a model, solved by the package (GTH steady state).

    Parameters
    ----------
    model_file:
        The model.
    plan:
        Its :class:`~symbolic_pme.generate.plan.SolverPlan` (parameter, state and lead order).
    count:
        Number of points (at least 1).
    seed:
        Seed of the random draws.

    Returns
    -------
    list of ReferencePoint

    Raises
    ------
    GenerationError
        When fewer than ``count`` acceptable points turn up in the neighbourhood (for example, a
        symmetry makes some mixed block degenerate everywhere).
    """
    names = [p.name for p in plan.parameters]
    defaults = np.array(list(plan.parameters.values()), dtype=float)
    nonzero = np.abs(defaults[defaults != 0])
    widths = SPREAD * np.where(defaults != 0, np.abs(defaults), nonzero.max() if len(nonzero) else 1.0)
    solver = model_file.compile()
    random = np.random.default_rng(seed)
    points: list[ReferencePoint] = []
    rejected: dict[str, int] = {}
    for _ in range(_ATTEMPTS):
        values = defaults + widths * random.uniform(-1.0, 1.0, len(defaults))
        try:
            result = solver.steady_state(dict(zip(names, values.tolist())), method="gth")
        except ValueError as error:
            reason = str(error).split(":")[0]
            rejected[reason] = rejected.get(reason, 0) + 1
            continue
        degenerate = _degenerate_block(plan, result.energies)
        if degenerate is not None:
            reason = f"degenerate levels in block {degenerate}"
            rejected[reason] = rejected.get(reason, 0) + 1
            continue
        currents = [result.current, result.energy_current, result.heat_current]
        points.append(
            ReferencePoint(
                tuple(values.tolist()),
                tuple(result.probabilities.tolist()),
                tuple(float(kind[lead]) for kind in currents for lead in plan.leads),
            )
        )
        if len(points) == count:
            return points
    reasons = "; ".join(f"{reason} ({number} draws)" for reason, number in rejected.items())
    raise GenerationError(
        f"{plan.source}: only {len(points)} of {count} reference points found in {_ATTEMPTS} draws near the defaults "
        f"({reasons}); a solver cannot be validated there"
    )


def _degenerate_block(plan: SolverPlan, energies: np.ndarray) -> str | None:
    """The label of a mixed block whose eigenvalues are closer than :data:`MIN_GAP` (or None)."""
    for block in plan.blocks:
        levels = np.sort(energies[list(block.states)])
        scale = max(np.abs(levels).max(), levels[-1] - levels[0])
        if np.diff(levels).min() <= MIN_GAP * scale:
            return block.label
    return None


def current_floors(points: list[ReferencePoint], leads: int) -> tuple[float, float, float]:
    """The smallest magnitude a particle, energy and heat current is compared relative to.

    Parameters
    ----------
    points:
        The reference table.
    leads:
        Number of leads.

    Returns
    -------
    tuple of float
        :data:`CURRENT_FLOOR` times the largest |current| of each kind in the table.
    """
    currents = np.abs(np.array([p.currents for p in points])).reshape(len(points), 3, leads)
    return tuple(float(CURRENT_FLOOR * currents[:, kind].max()) for kind in range(3))
