"""Leads (electron reservoirs) coupled to the dot.

A lead has a chemical potential ``mu``, a temperature ``T`` (k_B = 1, same unit as energies) and
tunnelling amplitudes ``t_i`` to the dot's orbitals.  Wide-band convention (docs/conventions.md, as QmeQ):
the amplitude absorbs the density of states, so the bare tunnelling rate of orbital i is
``Gamma_i = 2 pi |t_i|^2`` (hbar = 1).  An optional band ``(D_minus, D_plus)`` in absolute energy
switches off every transition whose energy ``E_b - E_a`` lies outside it (QmeQ's ``dband``); the
default is an infinite band.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property

import sympy

from symbolic_pme.parsing import Value, to_expr

__all__ = ["Lead"]


class Lead:
    """An electron reservoir in the wide-band limit.

    Units and signs follow docs/conventions.md: ``mu``, ``T`` and the Hamiltonian's energies share
    one unit (k_B = 1), and the bare tunnelling rate of orbital i is ``Gamma_i = 2 pi |t_i|^2``
    (hbar = 1; the amplitude absorbs the density of states).  Numbers and SymPy expressions are
    accepted everywhere; strings are parsed safely.

    Parameters
    ----------
    name : str
        Unique non-empty name; it is the channel of the lead's transitions and currents are
        reported under it.
    mu : Value
        Chemical potential; must be real.
    temperature : Value
        Temperature (k_B = 1); must be real and not negative.
    coupling : mapping of str to Value
        ``{orbital: t}`` tunnelling amplitudes (at least one).  With spin an orbital name couples
        both spins with the same amplitude; a spin-orbital name (``"a_up"``) couples one.
    band : tuple of (Value, Value), optional
        ``(D_minus, D_plus)`` in absolute energy; transitions whose energy ``E_b - E_a`` lies
        outside are switched off (QmeQ's ``dband``).  Keyword-only; default an infinite band.

    Attributes
    ----------
    name : str
        The lead's name.
    mu, temperature : sympy.Expr
        Chemical potential and temperature.
    coupling : dict of str to sympy.Expr
        The tunnelling amplitudes.
    band : tuple of sympy.Expr or None
        The band edges, or None for an infinite band.

    Raises
    ------
    ValueError
        If the name is empty, ``mu`` or ``temperature`` is not real, the temperature is negative,
        ``coupling`` is empty, or the band is not a pair with its lower edge below its upper edge.

    Examples
    --------
    >>> lead = Lead("L", mu="mu_L", temperature="T", coupling={"a": "t"})
    >>> sorted(lead.parameters, key=str)
    [T, mu_L, t]
    """

    def __init__(
        self,
        name: str,
        mu: Value,
        temperature: Value,
        coupling: Mapping[str, Value],
        *,
        band: tuple[Value, Value] | None = None,
    ):
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"lead name: expected a non-empty string, got {name!r}")
        self.name = name
        self.mu: sympy.Expr = to_expr(mu, f"mu of lead {name!r}")
        self.temperature: sympy.Expr = to_expr(temperature, f"temperature of lead {name!r}")
        _check_real(self.mu, f"mu of lead {name!r}")
        _check_real(self.temperature, f"temperature of lead {name!r}")
        if self.temperature.is_negative:
            raise ValueError(f"temperature of lead {name!r} is negative ({self.temperature})")
        if not isinstance(coupling, Mapping) or not coupling:
            raise ValueError(f"coupling of lead {name!r}: give at least one orbital amplitude")
        self.coupling: dict[str, sympy.Expr] = {
            str(orbital): to_expr(t, f"coupling of lead {name!r} to {orbital!r}") for orbital, t in coupling.items()
        }
        self.band: tuple[sympy.Expr, sympy.Expr] | None = None
        if band is not None:
            if len(band) != 2:
                raise ValueError(f"band of lead {name!r}: expected (D_minus, D_plus)")
            low, high = (to_expr(b, f"band of lead {name!r}") for b in band)
            if (high - low).is_negative:
                raise ValueError(f"band of lead {name!r}: lower edge {low} above upper edge {high}")
            self.band = (low, high)

    def __repr__(self) -> str:
        return f"Lead({self.name!r}, mu={self.mu}, temperature={self.temperature}, coupling={self.coupling})"

    @cached_property
    def parameters(self) -> set[sympy.Symbol]:
        """Free symbols of mu, T, the couplings and the band (kept: every rate group of the lead
        asks, thousands of them in a large model; a lead is not changed once made)."""
        exprs = [self.mu, self.temperature, *self.coupling.values(), *(self.band or ())]
        return set().union(*(e.free_symbols for e in exprs))


def _check_real(expr: sympy.Expr, what: str) -> None:
    if expr.is_extended_real is False:
        raise ValueError(f"{what} must be real, got {expr}")
