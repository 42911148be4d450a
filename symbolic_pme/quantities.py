"""The names of the quantities that jumps carry and that states hold.

A transition carries quantities *into the system* from its channel (docs/conventions.md, "Signs
of what jumps carry"); currents are keyed by these names (``network.current(CHARGE, "tip")``,
``result.currents[CHARGE]["tip"]``), state values too (``result.expectation(ENERGY)``).  Both layers
take the names from here, so that a result never disagrees with the network it came from.

Units: hbar = e = k_B = 1, so a charge current is a particle current (electrons per unit time),
an energy current is energy per unit time in the unit of the model's energies.
"""

from __future__ import annotations

__all__ = [
    "CHARGE",
    "ENERGY",
    "HEAT",
    "OCCUPATION_PREFIX",
    "POPULATION",
    "SPIN",
    "occupation_name",
]

#: Electrons moved into the system (+1 for an electron in from a lead).
CHARGE = "charge"
#: Energy moved into the system: E_b - E_a of the jump a -> b (also the state value "energy").
ENERGY = "energy"
#: Heat moved into the system: energy - mu * charge of the lead it came from.
HEAT = "heat"
#: S_z moved into the system, +1/2 for a spin-up electron in, -1/2 for spin-down.
SPIN = "spin"
#: Population moved into the system by a source (+1) or out of it by a sink (-1).
POPULATION = "population"
#: Prefix of the state values that give each mode's occupation (``"n_a"`` for mode ``a``).
OCCUPATION_PREFIX = "n_"


def occupation_name(mode: str) -> str:
    """The state-value name of the occupation of ``mode``.

    Parameters
    ----------
    mode : str
        A mode (spin-orbital) name of a :class:`~symbolic_pme.transport.fock.FockSpace`.

    Returns
    -------
    str
        ``"n_" + mode``.

    Examples
    --------
    >>> occupation_name("a_up")
    'n_a_up'
    """
    return OCCUPATION_PREFIX + mode
