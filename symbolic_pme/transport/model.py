"""Sequential tunnelling (Pauli master equation) through a dot coupled to leads.

Conventions (docs/conventions.md; the same as QmeQ's Pauli approach, hbar = e = k_B = 1):

* many-body tunnelling amplitude ``T^a_{ba} = sum_i t_{a,i} <b|d_i^+|a>`` for ``N_b = N_a + 1``;
  with spin, one amplitude per lead and spin channel (lead electrons of opposite spin are
  distinct reservoir states, so their rates add, their amplitudes do not);
* rate a -> b (an electron enters from lead alpha): ``2 pi |T|^2 f_alpha(E_b - E_a)``;
  rate b -> a (it leaves into alpha): ``2 pi |T|^2 (1 - f_alpha(E_b - E_a))``,
  ``f_alpha(E) = fermi(E - mu_alpha, T_alpha)``;
* each jump carries into the dot, from its lead: charge ``+-1``, energy ``+-(E_b - E_a)``,
  heat ``+-(E_b - E_a - mu_alpha)`` (and with spin, S_z ``+-1/2``), so that the currents of the
  RateNetwork are the particle current I, energy current J and heat current Q = J - mu I of each
  lead, positive from the lead into the dot.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sympy

from symbolic_pme.networks.network import RateNetwork, StateValues, Transition
from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, OCCUPATION_PREFIX, SPIN, occupation_name
from symbolic_pme.transport.hamiltonian import Hamiltonian
from symbolic_pme.transport.lead import Lead
from symbolic_pme.transport.rate_groups import TunnellingGroup
from symbolic_pme.transport.spectrum import Sector, Spectrum

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.numeric.network import CompiledNetwork

__all__ = ["TransportModel"]


class TransportModel:
    """A dot (its :class:`Hamiltonian`) coupled to :class:`Lead` objects.

    Every intermediate object is available exactly: :attr:`spectrum` (eigenstates, exact where the
    blocks are diagonal), :meth:`tunnelling_amplitudes`, :meth:`transitions` (the golden-rule
    rates), :attr:`network` (the :class:`RateNetwork`), its generator and, for small models, the
    closed-form :meth:`steady_state` and :meth:`current`.  :meth:`compile` makes the fast numeric
    solver.  Rates, signs and units follow docs/conventions.md (hbar = e = k_B = 1; currents are
    particle currents, positive from the lead into the dot).

    Parameters
    ----------
    hamiltonian : Hamiltonian
        The dot Hamiltonian.
    leads : sequence of Lead
        At least one lead, with unique names; each coupled orbital must exist in the Fock space.

    Attributes
    ----------
    hamiltonian : Hamiltonian
        The dot Hamiltonian.
    space : FockSpace
        Its Fock space.
    leads : tuple of Lead
        The leads, in the order given.
    spectrum : Spectrum
        The many-body eigenstates.

    Raises
    ------
    TypeError
        If ``hamiltonian`` is not a :class:`Hamiltonian`.
    ValueError
        If there are no leads, lead names repeat, or a coupling names an unknown orbital or one
        spin-orbital twice.

    Examples
    --------
    >>> from symbolic_pme.transport import FockSpace
    >>> dot = Hamiltonian(FockSpace(["d"]), onsite={"d": "e"})
    >>> leads = [Lead("L", "mu_L", "T", {"d": "t_L"}), Lead("R", "mu_R", "T", {"d": "t_R"})]
    >>> TransportModel(dot, leads).current("L")
    2*pi*t_L**2*t_R**2*(fermi(e - mu_L, T) - fermi(e - mu_R, T))/(t_L**2 + t_R**2)
    """

    def __init__(self, hamiltonian: Hamiltonian, leads: Sequence[Lead]):
        if not isinstance(hamiltonian, Hamiltonian):
            raise TypeError(f"hamiltonian: expected a Hamiltonian, got {type(hamiltonian).__name__}")
        leads = list(leads)
        if not leads:
            raise ValueError("leads: a transport model needs at least one lead")
        names = [lead.name for lead in leads]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"leads: names must be unique, repeated: {', '.join(repeated)}")
        self.hamiltonian = hamiltonian
        self.space = hamiltonian.space
        self.leads: tuple[Lead, ...] = tuple(leads)
        self._amplitudes = {lead.name: self._mode_amplitudes(lead) for lead in leads}
        self.spectrum = Spectrum(hamiltonian)

    def __repr__(self) -> str:
        return f"TransportModel({len(self.states)} states, leads {[lead.name for lead in self.leads]})"

    # ----------------------------------------------------------------------------- basic views
    @property
    def states(self) -> tuple[str, ...]:
        """State labels, ordered by charge."""
        return self.spectrum.labels

    @property
    def energies(self) -> tuple[sympy.Expr, ...]:
        """Eigenenergies (exact, or placeholder symbols ``E_{label}`` for numeric eigenstates)."""
        return self.spectrum.energies

    def lead(self, name: str) -> Lead:
        """The lead with a given name.

        Parameters
        ----------
        name : str
            A lead name.

        Returns
        -------
        Lead
            The lead.

        Raises
        ------
        ValueError
            If there is no lead of that name.
        """
        for lead in self.leads:
            if lead.name == name:
                return lead
        raise ValueError(f"unknown lead {name!r}; leads: {', '.join(lead.name for lead in self.leads)}")

    def _mode_amplitudes(self, lead: Lead) -> dict[int, sympy.Expr]:
        amplitudes: dict[int, sympy.Expr] = {}
        for name, t in lead.coupling.items():
            try:
                modes = self.space.modes_of(name)
            except ValueError as error:
                raise ValueError(f"coupling of lead {lead.name!r}: {error}") from None
            for mode in modes:
                if mode in amplitudes:
                    raise ValueError(
                        f"coupling of lead {lead.name!r}: spin-orbital {self.space.modes[mode]!r} is given twice"
                    )
                amplitudes[mode] = t
        return amplitudes

    def _spin_channels(self) -> list[tuple[sympy.Expr | None, tuple[int, ...]]]:
        """(S_z of the channel, its modes): one channel without spin, up and down with spin."""
        modes = range(self.space.n_modes)
        if not self.space.spin:
            return [(None, tuple(modes))]
        return [(s, tuple(m for m in modes if self.space.mode_spin(m) == s)) for s in (sympy.S.Half, -sympy.S.Half)]

    # ----------------------------------------------------------------------------- amplitudes and rates
    def tunnelling_amplitudes(self, lead: str, *, spin: str | None = None) -> sympy.Matrix:
        """Matrix ``T[b, a] = sum_i t_{lead,i} <b|d_i^+|a>`` over the many-body states.

        Parameters
        ----------
        lead : str
            The lead's name.
        spin : {"up", "down"}, optional
            With spin, the spin channel (required); without spin it must be left out.  Keyword-only.

        Returns
        -------
        sympy.Matrix
            Rows and columns in :attr:`states` order.  Entries are exact; for numeric eigenstates they
            contain the placeholder elements ``<b|d_i^+|a>``.

        Raises
        ------
        ValueError
            If the lead is unknown, or ``spin`` is missing with spin or given without spin.
        """
        amplitudes = self._amplitudes[self.lead(lead).name]
        if self.space.spin:
            if spin not in ("up", "down"):
                raise ValueError(f"spin: with spin, give 'up' or 'down' (got {spin!r})")
            wanted = sympy.S.Half if spin == "up" else -sympy.S.Half
            modes = [m for m in amplitudes if self.space.mode_spin(m) == wanted]
        else:
            if spin is not None:
                raise ValueError("spin: this model has no spin")
            modes = list(amplitudes)
        n = len(self.states)
        matrix = sympy.zeros(n, n)
        for b in range(n):
            for a in range(n):
                matrix[b, a] = self._amplitude(amplitudes, modes, b, a)
        return matrix

    def _amplitude(self, amplitudes: Mapping[int, sympy.Expr], modes: Sequence[int], b: int, a: int) -> sympy.Expr:
        return sympy.Add(*(amplitudes[m] * self.spectrum.creation_element(b, a, m) for m in modes if m in amplitudes))

    def transitions(self) -> list[Transition]:
        """All golden-rule transitions as scalars (the expansion of the network's groups; for small models).

        Returns
        -------
        list of Transition
            With channel = lead name and the quantities each jump carries into the dot.
        """
        return list(self.network.transitions)

    def rate_groups(self) -> list[TunnellingGroup]:
        """The golden-rule rates as groups, for the sector pairs each lead links.

        Returns
        -------
        list of TunnellingGroup
            One group per (sector pair, lead, spin channel, direction).
        """
        groups = []
        sectors = self.spectrum.sectors
        for lead in self.leads:
            amplitudes = self._amplitudes[lead.name]
            for spin, modes in self._spin_channels():
                channel = {m: amplitudes[m] for m in modes if m in amplitudes and amplitudes[m] != 0}
                if not channel:
                    continue
                for lower, upper in self._neighbours(sectors, spin):
                    if not any(len(self.spectrum.creation_pattern(lower, upper, m)[0]) for m in channel):
                        continue
                    for entering in (True, False):
                        groups.append(TunnellingGroup(self.spectrum, lead, spin, channel, lower, upper, entering))
        return groups

    @staticmethod
    def _neighbours(sectors: Sequence[Sector], spin: sympy.Expr | None) -> list[tuple[Sector, Sector]]:
        """The ``(lower, upper)`` sector pairs an electron of the channel's spin links, in the
        order of ``sectors`` (lower first): one key lookup per sector, not a test per pair."""
        by_key = {sector.key: sector for sector in sectors}
        pairs = []
        for lower in sectors:
            if len(lower.key) > 1 and spin is not None:
                pairs.append((lower, by_key.get((lower.key[0] + 1, lower.key[1] + spin))))
            else:
                pairs += [(lower, upper) for upper in sectors if upper.charge == lower.charge + 1]
        return [(lower, upper) for lower, upper in pairs if upper is not None]

    @cached_property
    def network(self) -> RateNetwork:
        """The Pauli master equation as a :class:`RateNetwork` of rate groups (channels = lead
        names); its state values (energy, charge, S_z, ``n_<mode>``) are built on first use."""
        names = (
            [ENERGY, CHARGE]
            + ([SPIN] if self.space.spin else [])
            + [occupation_name(name) for name in self.space.modes]
        )
        return RateNetwork(self.states, groups=self.rate_groups(), state_values=StateValues(names, self._state_value))

    def _state_value(self, name: str) -> list[sympy.Expr]:
        spectrum = self.spectrum
        if name == ENERGY:
            return list(spectrum.energies)
        if name == CHARGE:
            return [sympy.Integer(s.charge) for s in spectrum.states]
        if name == SPIN:
            return [s.sz for s in spectrum.states]
        mode = self.space.modes.index(name.removeprefix(OCCUPATION_PREFIX))
        return [spectrum.occupation(s, mode) for s in range(len(spectrum.states))]

    # ----------------------------------------------------------------------------- closed forms
    def steady_state(self, *, simplify: bool = True) -> dict[str, sympy.Expr]:
        """Closed-form steady-state probabilities (matrix-tree theorem; small models).

        Parameters
        ----------
        simplify : bool, optional
            Factor the results (see :meth:`RateNetwork.steady_state`).  Keyword-only; default True.

        Returns
        -------
        dict of str to sympy.Expr
            ``{state label: probability}``.
        """
        return self.network.steady_state(simplify=simplify)

    def current(self, lead: str, *, simplify: bool = True) -> sympy.Expr:
        """Closed-form particle current ``I`` from a lead into the dot (electrons per unit time).

        Parameters
        ----------
        lead : str
            The lead's name.
        simplify : bool, optional
            Factor the result (see :meth:`RateNetwork.current`).  Keyword-only; default True.

        Returns
        -------
        sympy.Expr
            The steady-state current, positive from the lead into the dot.
        """
        return self.network.current(CHARGE, self.lead(lead).name, simplify=simplify)

    def energy_current(self, lead: str, *, simplify: bool = True) -> sympy.Expr:
        """Closed-form energy current ``J`` from a lead into the dot.

        Parameters
        ----------
        lead : str
            The lead's name.
        simplify : bool, optional
            Factor the result (see :meth:`RateNetwork.current`).  Keyword-only; default True.

        Returns
        -------
        sympy.Expr
            The steady-state energy current, positive from the lead into the dot.
        """
        return self.network.current(ENERGY, self.lead(lead).name, simplify=simplify)

    def heat_current(self, lead: str, *, simplify: bool = True) -> sympy.Expr:
        """Closed-form heat current ``Q = J - mu I`` from a lead into the dot.

        Parameters
        ----------
        lead : str
            The lead's name.
        simplify : bool, optional
            Factor the result (see :meth:`RateNetwork.current`).  Keyword-only; default True.

        Returns
        -------
        sympy.Expr
            The steady-state heat current, positive from the lead into the dot.
        """
        return self.network.current(HEAT, self.lead(lead).name, simplify=simplify)

    @property
    def parameters(self) -> set[sympy.Symbol]:
        """Free parameters of the model: those of the rates and of the Hamiltonian (whose mixed
        blocks enter the rates only through placeholders, which are excluded)."""
        return (self.network.parameters | self.spectrum.parameters) - set(self.spectrum.placeholders)

    # ----------------------------------------------------------------------------- numerics
    def compile(self, *, defaults: Mapping[str, Any] | None = None) -> CompiledNetwork:
        """Compile into a batched numeric solver.

        Parameters
        ----------
        defaults : mapping of str to Any, optional
            Values for parameters that a solve does not set.

        Returns
        -------
        CompiledNetwork
            The numeric solver (see :class:`symbolic_pme.numeric.network.CompiledNetwork`).
        """
        from symbolic_pme.numeric.transport import compile_model

        return compile_model(self, defaults=defaults)
