"""Classical rate networks: the generator, closed-form steady states, cycles, detailed balance,
first passage and dynamics.

:class:`~symbolic_pme.networks.network.RateNetwork` is the one object every face of the package
ends in (transport, exciton networks, reduced Lindblad models).
Conventions: ``docs/conventions.md``.
"""

from symbolic_pme.networks.boltzmann import boltzmann_network, prove_boltzmann_ratio
from symbolic_pme.networks.cycles import Cycle, Edge, cycle_basis, cycle_currents, edge_currents
from symbolic_pme.networks.detailed_balance import DetailedBalance, detailed_balance, entropy_production
from symbolic_pme.networks.dynamics import propagate
from symbolic_pme.networks.first_passage import FirstPassage, first_passage
from symbolic_pme.networks.network import RateNetwork, Sink, Source, Transition
from symbolic_pme.networks.response import (
    LinearResponse,
    current_derivative,
    linear_response,
    steady_state_derivative,
)
from symbolic_pme.networks.statistics import (
    CountingStatistics,
    counting_statistics,
    cumulants,
    fano_factor,
    tilted_generator,
)

__all__ = [
    "CountingStatistics",
    "Cycle",
    "DetailedBalance",
    "Edge",
    "FirstPassage",
    "LinearResponse",
    "RateNetwork",
    "Sink",
    "Source",
    "Transition",
    "boltzmann_network",
    "counting_statistics",
    "cumulants",
    "current_derivative",
    "cycle_basis",
    "cycle_currents",
    "detailed_balance",
    "edge_currents",
    "entropy_production",
    "fano_factor",
    "first_passage",
    "linear_response",
    "propagate",
    "prove_boltzmann_ratio",
    "steady_state_derivative",
    "tilted_generator",
]
