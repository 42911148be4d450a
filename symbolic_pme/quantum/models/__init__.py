"""Textbook models of the quantum-to-classical reduction.

Haken–Strobl–Reineker exciton transport, two-path interference (quantum beats), the quantum Zeno
turnover of a dephased transfer rate, and partial traces of entangled states.
"""

from symbolic_pme.quantum.models.excitons import haken_strobl_reineker
from symbolic_pme.quantum.models.interference import beat_model, pure_state, unitary_evolution
from symbolic_pme.quantum.models.partial_trace import entangled_state, partial_trace, reduced_density_matrix
from symbolic_pme.quantum.models.zeno import ZenoTurnover, zeno_turnover

__all__ = [
    "ZenoTurnover",
    "beat_model",
    "entangled_state",
    "haken_strobl_reineker",
    "partial_trace",
    "pure_state",
    "reduced_density_matrix",
    "unitary_evolution",
    "zeno_turnover",
]
