"""symbolic_pme's numeric layer: compiled, batched kernels for rate networks.

Symbolic objects from :mod:`symbolic_pme` are compiled here into vectorized NumPy functions that
evaluate whole parameter grids in one call: steady states, particle/energy/heat currents, state
values and occupations, with labelled results.
"""

from .functions import fermi
from .network import CompiledNetwork, compile_network
from .results import SteadyState
from .solver import steady_state
from .transport import compile_model

__all__ = ["CompiledNetwork", "SteadyState", "compile_model", "compile_network", "fermi", "steady_state"]
