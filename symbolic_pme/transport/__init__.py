"""Transport through a quantum dot: Fock space, Hamiltonian, leads, tip geometry, spectrum, rate groups, model.

The exact (SymPy) description of a dot coupled to leads, from which
:class:`~symbolic_pme.transport.model.TransportModel` builds the Pauli master equation as a
:class:`~symbolic_pme.networks.network.RateNetwork` of golden-rule rate groups.
Conventions (units, signs, state order): ``docs/conventions.md``.
"""

from symbolic_pme.transport.fock import FockSpace
from symbolic_pme.transport.geometry import Tip
from symbolic_pme.transport.hamiltonian import Hamiltonian
from symbolic_pme.transport.lead import Lead
from symbolic_pme.transport.model import TransportModel
from symbolic_pme.transport.rate_groups import TunnellingGroup
from symbolic_pme.transport.spectrum import Sector, Spectrum

__all__ = ["FockSpace", "Hamiltonian", "Lead", "Sector", "Spectrum", "Tip", "TransportModel", "TunnellingGroup"]
