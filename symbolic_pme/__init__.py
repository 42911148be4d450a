"""symbolic_pme: Pauli master equations derived symbolically and solved fast numerically.

Build a model from exact objects (all SymPy, all inspectable), then compile it::

    space = FockSpace(["a", "b", "c"])
    dot = Hamiltonian(space, onsite={...}, hopping={...})
    model = TransportModel(dot, [Lead("substrate", ...), Lead("tip", ...)])
    model.network.generator()          # exact generator of the Pauli master equation
    solver = model.compile()           # batched numeric kernel (package ``numeric``)
    result = solver.sweep({"V": numpy.linspace(-1, 1, 201)})

Units and signs (DESIGN.md): hbar = e = k_B = 1; Gamma = 2 pi |t|^2; currents are particle
currents, positive from the lead into the dot.
"""

from .excitons import haken_strobl_reineker
from .expressions import parse_expression, to_expr
from .fermi import fermi
from .fock import FockSpace
from .hamiltonian import Hamiltonian
from .interference import beat_model, pure_state, unitary_evolution
from .lead import Lead
from .lindblad import Jump, LindbladModel, decay, dephasing, projector, two_level
from .matrix_tree import ClosedFormTooLarge
from .network import NonUniqueSteadyState, RateNetwork, Transition
from .partial_trace import entangled_state, partial_trace, reduced_density_matrix
from .reduction import adiabatic_elimination, driven_coherences, stationary_coherences
from .spectrum import Spectrum
from .transport import TransportModel
from .validity import coherence_decay_rates, coupling_conditions
from .zeno import ZenoTurnover, zeno_turnover

__all__ = [
    "ClosedFormTooLarge",
    "FockSpace",
    "Hamiltonian",
    "Jump",
    "Lead",
    "LindbladModel",
    "NonUniqueSteadyState",
    "RateNetwork",
    "Spectrum",
    "Transition",
    "TransportModel",
    "ZenoTurnover",
    "adiabatic_elimination",
    "beat_model",
    "coherence_decay_rates",
    "coupling_conditions",
    "decay",
    "dephasing",
    "driven_coherences",
    "entangled_state",
    "fermi",
    "haken_strobl_reineker",
    "parse_expression",
    "partial_trace",
    "projector",
    "pure_state",
    "reduced_density_matrix",
    "stationary_coherences",
    "to_expr",
    "two_level",
    "unitary_evolution",
    "zeno_turnover",
]
__version__ = "0.1.0"
