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

from .boltzmann import boltzmann_network, prove_boltzmann_ratio
from .cycles import Cycle, Edge, cycle_basis, cycle_currents, edge_currents
from .detailed_balance import DetailedBalance, detailed_balance, entropy_production
from .dynamics import propagate
from .excitons import haken_strobl_reineker
from .expressions import parse_expression, to_expr
from .fermi import fermi
from .first_passage import FirstPassage, first_passage
from .fock import FockSpace
from .hamiltonian import Hamiltonian
from .interference import beat_model, pure_state, unitary_evolution
from .lead import Lead
from .lindblad import Jump, LindbladModel, decay, dephasing, projector, two_level
from .matrix_tree import ClosedFormTooLarge
from .network import NonUniqueSteadyState, RateNetwork, Sink, Source, Transition
from .partial_trace import entangled_state, partial_trace, reduced_density_matrix
from .reduction import adiabatic_elimination, driven_coherences, stationary_coherences
from .spectrum import Spectrum
from .transport import TransportModel
from .validity import coherence_decay_rates, coupling_conditions
from .zeno import ZenoTurnover, zeno_turnover

__all__ = [
    "ClosedFormTooLarge",
    "Cycle",
    "DetailedBalance",
    "Edge",
    "FirstPassage",
    "FockSpace",
    "Hamiltonian",
    "Jump",
    "Lead",
    "LindbladModel",
    "NonUniqueSteadyState",
    "RateNetwork",
    "Sink",
    "Source",
    "Spectrum",
    "Transition",
    "TransportModel",
    "ZenoTurnover",
    "adiabatic_elimination",
    "beat_model",
    "boltzmann_network",
    "coherence_decay_rates",
    "coupling_conditions",
    "cycle_basis",
    "cycle_currents",
    "decay",
    "dephasing",
    "detailed_balance",
    "driven_coherences",
    "edge_currents",
    "entangled_state",
    "entropy_production",
    "fermi",
    "first_passage",
    "haken_strobl_reineker",
    "parse_expression",
    "partial_trace",
    "projector",
    "propagate",
    "prove_boltzmann_ratio",
    "pure_state",
    "reduced_density_matrix",
    "stationary_coherences",
    "to_expr",
    "two_level",
    "unitary_evolution",
    "zeno_turnover",
]
__version__ = "0.1.0"

from pathlib import Path as _Path

# Imported from a source checkout (the repository root on sys.path, e.g. ``python -m
# symbolic_pme`` run there): the fast layer is the sibling folder numeric/, which an
# installation maps to symbolic_pme.numeric (setuptools package-dir).  Let the subpackage be
# found there too, so that the checkout does not shadow the installed package half-way.
_here = _Path(__file__).resolve().parent
if not (_here / "numeric").is_dir() and (_here.parent / "numeric" / "__init__.py").is_file():
    __path__.append(str(_here.parent))
