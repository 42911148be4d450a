"""symbolic_pme's numeric layer: compiled, batched kernels for rate networks.

Symbolic objects from :mod:`symbolic_pme` are compiled here into vectorized NumPy functions that
evaluate whole parameter grids in one call: steady states, particle/energy/heat currents, state
values and occupations, with labelled results.
"""

from .dynamics import Evolution, evolve_network, evolve_open_network, expm, propagate
from .first_passage import Trapping, first_passage
from .fitting import Fit, fit
from .functions import fermi
from .lindblad import CompiledLindblad, LindbladSteadyState, compile_lindblad
from .measured import Measurement, load_measurement
from .network import CompiledNetwork, compile_network
from .results import SteadyState
from .solver import steady_state
from .transport import compile_model
from .validity import ValidityReport, check_reduction, slowest_relaxation

__all__ = [
    "CompiledLindblad",
    "CompiledNetwork",
    "Evolution",
    "Fit",
    "LindbladSteadyState",
    "Measurement",
    "SteadyState",
    "Trapping",
    "ValidityReport",
    "check_reduction",
    "compile_lindblad",
    "compile_model",
    "compile_network",
    "evolve_network",
    "evolve_open_network",
    "expm",
    "fermi",
    "first_passage",
    "fit",
    "load_measurement",
    "propagate",
    "slowest_relaxation",
    "steady_state",
]
