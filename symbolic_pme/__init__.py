"""symbolic_pme: Pauli master equations derived symbolically and solved fast numerically.

Build a model from exact objects (all SymPy, all inspectable), then compile it::

    space = FockSpace(["a", "b", "c"])
    dot = Hamiltonian(space, onsite={...}, hopping={...})
    model = TransportModel(dot, [Lead("substrate", ...), Lead("tip", ...)])
    model.network.generator()          # exact generator of the Pauli master equation
    solver = compile_model(model)      # batched numeric kernel (symbolic_pme.numeric)
    result = solver.sweep({"V": numpy.linspace(-1, 1, 201)})

Units and signs (docs/conventions.md): hbar = e = k_B = 1; Gamma = 2 pi |t|^2; currents are particle
currents, positive from the lead into the dot.
"""

from symbolic_pme.compiling import compile_model
from symbolic_pme.errors import (
    ClosedFormTooLarge,
    CommandError,
    ExpressionError,
    GridTooLarge,
    ModelFileError,
    NonUniqueSteadyState,
)
from symbolic_pme.files.model_file import ModelFile, load_model
from symbolic_pme.functions import fermi
from symbolic_pme.networks import (
    DetailedBalance,
    FirstPassage,
    RateNetwork,
    Sink,
    Source,
    Transition,
    boltzmann_network,
    detailed_balance,
    first_passage,
    propagate,
)
from symbolic_pme.parsing import parse_expression
from symbolic_pme.quantum import (
    Jump,
    LindbladModel,
    adiabatic_elimination,
    coupling_conditions,
    decay,
    dephasing,
    two_level,
)
from symbolic_pme.transport import FockSpace, Hamiltonian, Lead, Spectrum, TransportModel

__all__ = [
    # exact models
    "FockSpace",
    "Hamiltonian",
    "Lead",
    "Spectrum",
    "TransportModel",
    "RateNetwork",
    "Transition",
    "Source",
    "Sink",
    "LindbladModel",
    "Jump",
    "decay",
    "dephasing",
    "two_level",
    "boltzmann_network",
    "fermi",
    "parse_expression",
    # model files
    "ModelFile",
    "load_model",
    # analyses
    "DetailedBalance",
    "FirstPassage",
    "adiabatic_elimination",
    "coupling_conditions",
    "detailed_balance",
    "first_passage",
    "propagate",
    # numerics
    "compile_model",
    # errors
    "ClosedFormTooLarge",
    "CommandError",
    "ExpressionError",
    "GridTooLarge",
    "ModelFileError",
    "NonUniqueSteadyState",
]
__version__ = "0.1.0"

from symbolic_pme._checkout import find_numeric_in_checkout as _find_numeric_in_checkout

_find_numeric_in_checkout()
