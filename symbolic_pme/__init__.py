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

import importlib

from symbolic_pme._checkout import find_numeric_in_checkout as _find_numeric_in_checkout

#: Where each public name lives: imported on first use (PEP 562), so that ``import symbolic_pme``
#: and the ``symbolic-pme --help`` that needs it stay free of SymPy and NumPy until they are used.
_LOCATIONS = {
    "compile_model": "symbolic_pme.compiling",
    "ClosedFormTooLarge": "symbolic_pme.errors",
    "CommandError": "symbolic_pme.errors",
    "ExpressionError": "symbolic_pme.errors",
    "GridTooLarge": "symbolic_pme.errors",
    "ModelFileError": "symbolic_pme.errors",
    "NonUniqueSteadyState": "symbolic_pme.errors",
    "ModelFile": "symbolic_pme.files.model_file",
    "load_model": "symbolic_pme.files.model_file",
    "fermi": "symbolic_pme.functions",
    "DetailedBalance": "symbolic_pme.networks",
    "FirstPassage": "symbolic_pme.networks",
    "RateNetwork": "symbolic_pme.networks",
    "Sink": "symbolic_pme.networks",
    "Source": "symbolic_pme.networks",
    "Transition": "symbolic_pme.networks",
    "boltzmann_network": "symbolic_pme.networks",
    "detailed_balance": "symbolic_pme.networks",
    "first_passage": "symbolic_pme.networks",
    "propagate": "symbolic_pme.networks",
    "parse_expression": "symbolic_pme.parsing",
    "Jump": "symbolic_pme.quantum",
    "LindbladModel": "symbolic_pme.quantum",
    "adiabatic_elimination": "symbolic_pme.quantum",
    "coupling_conditions": "symbolic_pme.quantum",
    "decay": "symbolic_pme.quantum",
    "dephasing": "symbolic_pme.quantum",
    "two_level": "symbolic_pme.quantum",
    "FockSpace": "symbolic_pme.transport",
    "Hamiltonian": "symbolic_pme.transport",
    "Lead": "symbolic_pme.transport",
    "Spectrum": "symbolic_pme.transport",
    "TransportModel": "symbolic_pme.transport",
}

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

_find_numeric_in_checkout()


def __getattr__(name: str) -> object:
    """Import a public name on first use (PEP 562)."""
    if name not in _LOCATIONS:
        raise AttributeError(f"module 'symbolic_pme' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LOCATIONS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LOCATIONS))
