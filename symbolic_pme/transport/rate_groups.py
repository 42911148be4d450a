"""Transition groups: the rates between two blocks of states through one channel, as one object.

A many-body model of 4096 states has millions of golden-rule rates; as scalar SymPy expressions
they cannot even be built.  A :class:`TunnellingGroup` holds all jumps from one charge (and S_z)
sector to a neighbouring one through one lead and spin channel, in one direction, exactly and
without expanding them:

* the sectors' eigenstates (energies exact or placeholders, eigenvectors one object ``U`` per
  sector, see :class:`~symbolic_pme.transport.spectrum.Sector`),
* the lead's amplitudes ``t_{lead,i}`` to the channel's modes, so that the exact sparse matrix
  ``D = sum_i t_i <fock_b|d_i^+|fock_a>`` and the many-body amplitudes ``T = U_b^+ D U_a`` are
  defined by the group,
* the direction: ``entering`` (an electron enters from the lead, N -> N + 1, rate
  ``2 pi |T_ba|^2 f(E_b - E_a - mu)``) or leaving (N + 1 -> N, rate ``2 pi |T_ba|^2 (1 - f)``).

Each jump carries charge ``+-1``, energy ``+-(E_b - E_a)``, heat ``+-(E_b - E_a - mu)`` and, with
spin, S_z ``+-1/2`` into the dot (docs/conventions.md).  :meth:`TunnellingGroup.expand` gives the scalar
:class:`~symbolic_pme.networks.network.Transition` objects (for closed forms, ``derive`` and small exact
models); it is the only place where their cost is paid.  The numeric layer evaluates groups as
matrices (``symbolic_pme.numeric.blocks``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np
import sympy

from symbolic_pme.functions import fermi, modulus_squared
from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN
from symbolic_pme.transport.lead import Lead
from symbolic_pme.transport.spectrum import Sector, Spectrum

__all__ = ["TunnellingGroup"]


@lru_cache(maxsize=1024)
def _free_symbols(expressions: tuple[sympy.Expr, ...]) -> frozenset[sympy.Symbol]:
    """The free symbols of some expressions, kept: every rate group of a channel has the same
    amplitudes (a large model has thousands of groups and ``free_symbols`` walks each tree)."""
    return frozenset().union(*(e.free_symbols for e in expressions))


@dataclass(frozen=True, eq=False)
class TunnellingGroup:
    """Golden-rule jumps between two sectors through one lead and spin channel, one direction.

    Rates ``2 pi |T_ba|^2 f`` (entering) and ``2 pi |T_ba|^2 (1 - f)`` (leaving), with
    ``f = fermi(E_b - E_a - mu, T)`` of the lead; each jump carries charge, energy, heat (and S_z)
    into the dot with the signs of docs/conventions.md.

    Attributes
    ----------
    spectrum : Spectrum
        The model's eigenstates.
    lead : Lead
        The lead (its name is the channel).
    spin : sympy.Rational or None
        S_z of the channel's electrons (+1/2, -1/2), or None without spin.
    amplitudes : mapping of int to sympy.Expr
        ``{mode: t}``: the lead's amplitudes to the channel's modes (only non-zero ones).
    lower, upper : Sector
        The sectors of charge N and N + 1.
    entering : bool
        True for N -> N + 1 (from the lead into the dot), False for N + 1 -> N.
    """

    spectrum: Spectrum
    lead: Lead
    spin: sympy.Rational | None
    amplitudes: Mapping[int, sympy.Expr]
    lower: Sector
    upper: Sector
    entering: bool

    def __repr__(self) -> str:
        arrow = "->" if self.entering else "<-"
        spin = "" if self.spin is None else f" spin {self.spin}"
        return f"TunnellingGroup({self.lower.label} {arrow} {self.upper.label} via {self.lead.name}{spin})"

    # ----------------------------------------------------------------------------- network view
    @property
    def channel(self) -> str:
        """The channel of the jumps: the lead's name."""
        return self.lead.name

    @property
    def sources(self) -> tuple[int, ...]:
        """Indices (into the spectrum's states) of the states the jumps leave."""
        return self.lower.states if self.entering else self.upper.states

    @property
    def targets(self) -> tuple[int, ...]:
        """Indices of the states the jumps reach."""
        return self.upper.states if self.entering else self.lower.states

    @property
    def quantities(self) -> tuple[str, ...]:
        """Names of the carried quantities: charge, energy, heat and, with spin, S_z."""
        return (CHARGE, ENERGY, HEAT) + ((SPIN,) if self.spin is not None else ())

    @cached_property
    def parameters(self) -> frozenset[sympy.Symbol]:
        """Free symbols of the lead and amplitudes (the sector energies are the spectrum's).

        Kept: a large model asks each of its thousands of groups more than once, and the
        amplitudes' tuple hashes sympy numbers (microseconds each)."""
        symbolic = tuple(t for t in self.amplitudes.values() if not t.is_Number)  # (hashing a Float: microseconds)
        return frozenset(self.lead.parameters) | _free_symbols(symbolic)

    @property
    def _component_links(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """``(upper states, lower states)`` (positions within the sectors' ``states``) of every
        pair of components that ``D`` links (see :meth:`Spectrum.component_links`)."""
        return self.spectrum.component_links(self.lower, self.upper, tuple(self.amplitudes))

    def bicliques(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The structurally non-zero jumps as complete bipartite blocks.

        The connectivity of the group in O(components) objects, for checks of large networks.

        Returns
        -------
        list of (numpy.ndarray, numpy.ndarray)
            ``(sources, targets)`` pairs of state-index arrays (into the spectrum's states), each
            meaning "every source jumps to every target".
        """
        sources, targets = np.array(self.sources), np.array(self.targets)
        result = []
        for upper_states, lower_states in self._component_links:
            if self.entering:
                result.append((sources[lower_states], targets[upper_states]))
            else:
                result.append((sources[upper_states], targets[lower_states]))
        return result

    @cached_property
    def pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """Structurally non-zero jumps as ``(target, source)`` positions within :attr:`targets`
        and :attr:`sources`, ordered by target then source (what :meth:`expand` follows)."""
        mask = np.zeros((len(self.targets), len(self.sources)), dtype=bool)
        for upper_states, lower_states in self._component_links:
            if self.entering:
                mask[np.ix_(upper_states, lower_states)] = True
            else:
                mask[np.ix_(lower_states, upper_states)] = True
        return np.nonzero(mask)

    @cached_property
    def size(self) -> int:
        """Number of structurally non-zero jumps."""
        return sum(len(up) * len(low) for up, low in self._component_links)

    # ----------------------------------------------------------------------------- exact forms
    def amplitude_matrix(self) -> sympy.MatrixExpr:
        """The many-body amplitudes ``T = U_b^+ D U_a`` as an unevaluated matrix expression.

        Returns
        -------
        sympy.MatrixExpr
            ``Adjoint(U_b) * D * U_a`` with ``D = sum_i t_i <fock_b|d_i^+|fock_a>`` exact and ``U`` the
            sectors' eigenvector matrices (``MatrixSymbol`` ``U_{label}``, or the identity where a sector
            is diagonal).
        """
        d = sympy.zeros(len(self.upper.fock_positions), len(self.lower.fock_positions))
        for mode, t in self.amplitudes.items():
            pattern = self.spectrum.creation_pattern(self.lower, self.upper, mode)
            for r, c, sign in zip(*(a.tolist() for a in pattern)):
                d[r, c] += sign * t
        u_b, u_a = (self._eigenvectors(s) for s in (self.upper, self.lower))
        return sympy.MatMul(sympy.Adjoint(u_b), sympy.ImmutableMatrix(d), u_a, evaluate=False)

    def _eigenvectors(self, sector: Sector) -> sympy.MatrixBase | sympy.MatrixSymbol:
        m = len(sector.states)
        if all(self.spectrum.states[s].exact for s in sector.states):
            return sympy.Identity(m)
        return sympy.MatrixSymbol(f"U_{{{sector.label}}}", m, m)

    def expand(self) -> list:
        """The jumps as scalar transitions, in :attr:`pattern` order.

        Returns
        -------
        list of Transition
            Exact :class:`~symbolic_pme.networks.network.Transition` objects (numeric eigenstates enter
            through their placeholder symbols); jumps whose amplitude is exactly zero are left out.
        """
        from symbolic_pme.networks.network import Transition

        spectrum, lead = self.spectrum, self.lead
        energies = spectrum.energies
        targets, sources = self.pattern
        transitions = []
        for t, s in zip(targets.tolist(), sources.tolist()):
            a, b = (self.sources[s], self.targets[t]) if self.entering else (self.targets[t], self.sources[s])
            amplitude = sympy.Add(*(t_m * spectrum.creation_element(b, a, m) for m, t_m in self.amplitudes.items()))
            if amplitude == 0:
                continue
            gamma = 2 * sympy.pi * modulus_squared(amplitude)
            delta = energies[b] - energies[a]
            if lead.band is not None:
                low, high = lead.band
                gamma = gamma * sympy.Piecewise((1, sympy.And(delta >= low, delta <= high)), (0, True))
            occupation = fermi(delta - lead.mu, lead.temperature)
            carried = {CHARGE: sympy.S.One, ENERGY: delta, HEAT: delta - lead.mu}
            if self.spin is not None:
                carried[SPIN] = self.spin
            labels = spectrum.labels
            if self.entering:
                transitions.append(Transition(labels[a], labels[b], gamma * occupation, lead.name, carried))
            else:
                leave = {q: -v for q, v in carried.items()}
                transitions.append(Transition(labels[b], labels[a], gamma * (1 - occupation), lead.name, leave))
        return transitions
