"""Compiling transport models: the rate network plus its numeric eigenstates and lead checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .network import CompiledNetwork

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.transport.model import TransportModel

__all__ = ["compile_model"]


def compile_model(model: TransportModel, *, defaults: Mapping[str, float] | None = None) -> CompiledNetwork:
    """Compile a :class:`~symbolic_pme.transport.model.TransportModel` for batched solves.

    Mixed Hamiltonian blocks are diagonalized inside the kernel; every lead temperature is
    checked to be non-negative at every grid point.  Results carry the lead names as channels:
    ``result.current["tip"]``, ``result.energy_current[...]``, ``result.heat_current[...]``,
    and ``result.occupations`` per spin-orbital.  Currents are positive from the lead into the
    dot, in the units of ``docs/conventions.md`` (hbar = e = k_B = 1).

    Parameters
    ----------
    model : TransportModel
        The transport model (its rate network, spectrum and leads).
    defaults : mapping of str to float, optional
        Values of parameters that a solve does not set.

    Returns
    -------
    CompiledNetwork
        The compiled rate network of the model.
    """
    temperatures = [(lead.temperature, f"temperature of lead {lead.name!r}") for lead in model.leads]
    return CompiledNetwork(model.network, spectrum=model.spectrum, nonnegative=temperatures, defaults=defaults)
