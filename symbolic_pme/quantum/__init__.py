"""From quantum dynamics to rates: Lindblad models, adiabatic elimination, validity conditions.

Textbook models built on them (exciton transport, quantum beats, the Zeno turnover, partial
traces) live in :mod:`symbolic_pme.quantum.models`.  Conventions: ``docs/conventions.md``
(dephasing rate gamma = decay rate of rho_12).
"""

from symbolic_pme.quantum.lindblad import Jump, LindbladModel, decay, dephasing, projector, two_level
from symbolic_pme.quantum.reduction import adiabatic_elimination, driven_coherences, stationary_coherences
from symbolic_pme.quantum.validity import coherence_decay_rates, coupling_conditions

__all__ = [
    "Jump",
    "LindbladModel",
    "adiabatic_elimination",
    "coherence_decay_rates",
    "coupling_conditions",
    "decay",
    "dephasing",
    "driven_coherences",
    "projector",
    "stationary_coherences",
    "two_level",
]
