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

from .expressions import parse_expression, to_expr
from .fermi import fermi
from .fock import FockSpace
from .hamiltonian import Hamiltonian
from .lead import Lead
from .matrix_tree import ClosedFormTooLarge
from .network import NonUniqueSteadyState, RateNetwork, Transition
from .spectrum import Spectrum
from .transport import TransportModel

__all__ = [
    "ClosedFormTooLarge",
    "FockSpace",
    "Hamiltonian",
    "Lead",
    "NonUniqueSteadyState",
    "RateNetwork",
    "Spectrum",
    "Transition",
    "TransportModel",
    "fermi",
    "parse_expression",
    "to_expr",
]
__version__ = "0.1.0"
