"""From quantum dynamics to rates: Lindblad models, adiabatic elimination, validity conditions,
trapping, and the first-order coherent equations of transport models with their secular reduction.

Textbook models built on them (exciton transport, quantum beats, the Zeno turnover, partial
traces) live in :mod:`symbolic_pme.quantum.models`.  Conventions: ``docs/conventions.md``
(dephasing rate gamma = decay rate of rho_12).
"""

from symbolic_pme.quantum.first_order import FirstOrderEquations, SecularReduction, infinite_bias
from symbolic_pme.quantum.lindblad import Jump, LindbladModel, decay, dephasing, projector, two_level
from symbolic_pme.quantum.reduction import adiabatic_elimination, driven_coherences, stationary_coherences
from symbolic_pme.quantum.trapping import absorbing_states, transfer_efficiency, trapping
from symbolic_pme.quantum.validity import coherence_decay_rates, coupling_conditions

__all__ = [
    "FirstOrderEquations",
    "Jump",
    "LindbladModel",
    "SecularReduction",
    "absorbing_states",
    "adiabatic_elimination",
    "coherence_decay_rates",
    "coupling_conditions",
    "decay",
    "dephasing",
    "driven_coherences",
    "infinite_bias",
    "projector",
    "stationary_coherences",
    "transfer_efficiency",
    "trapping",
    "two_level",
]
