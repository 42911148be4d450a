"""First-order coherent transport through a dot, symbolic, and its secular reduction to Pauli.

The dot's density matrix in the eigenbasis of its Hamiltonian keeps the coherences between the
eigenstates of one block (equal charge, and equal S_z when H conserves it): tunnelling from a lead
of definite charge and spin never creates the others.  To first order in the lead couplings
(Born-Markov), with the principal-value parts of the lead correlation functions neglected, its
equation of motion is the Redfield equation

    d rho/dt = -i [H, rho]
               + pi sum_{alpha, sigma, X} ( X_w rho X^+ + X rho X_w^+ - X^+ X_w rho - rho X_w^+ X ),

one term per lead alpha, spin channel sigma and direction X (hbar = 1, ``docs/conventions.md``):

* an electron in: ``X = A = sum_ba T_ba |b><a|`` with ``T_ba = sum_i t_i <b|d_i^+|a>``
  (N_b = N_a + 1) and ``X_w = sum_ba T_ba f(E_b - E_a) |b><a|``;
* an electron out: ``X = A^+`` and ``X_w = sum_ba T_ba^* (1 - f(E_b - E_a)) |a><b|``;

``f(E) = fermi(E - mu_alpha, T_alpha)``, times the indicator of the lead's band when it has one.
This is QmeQ's first-order Redfield approach with ``itype=3`` (principal parts neglected,
infinite band; ``itype=2`` with a band): the coefficient of rho_aa' in d rho_bb'/dt is
``pi T_ba T_b'a'^* (f(E_b - E_a) + f(E_b' - E_a'))``, as in its kernel.  Only the Bohr frequencies
of the transitions themselves enter, so the populations-to-populations part is the golden rule,
``2 pi |T_ba|^2 f``, exactly.

The secular approximation (:meth:`FirstOrderEquations.secular`) drops every coherence between
non-degenerate eigenstates (their energies differ by more than the lifetime broadening, so they
oscillate away); it reports which coherences it dropped, with their energy differences, and the
terms of the population equations they carried.  What is left of the population equations is the
Pauli rate network of :attr:`TransportModel.network <symbolic_pme.transport.model.TransportModel.network>`.
Numeric eigenstates enter through the spectrum's placeholder symbols (``E_{N=1:0}``,
``<N=1:0|d^+_a|000>``), the same symbols the Pauli network is written in; eigenstates of one block
are taken as non-degenerate unless their energies are equal expressions.

At infinite bias (every lead's Fermi function 1 or 0 at all transition energies: an *emitter*
far above, a *collector* far below; Gurvitz and Prager 1996, Stoof and Nazarov 1996) the weights
no longer depend on the energies, ``X_w = X``, and the Redfield equation is exactly the Lindblad
equation with the jumps ``sqrt(2 pi) A`` of every emitter and ``sqrt(2 pi) A^+`` of every
collector -- in any basis, in particular the local Fock basis, where the hoppings stay coherent.
:func:`infinite_bias` writes that :class:`~symbolic_pme.quantum.lindblad.LindbladModel`; its
steady-state current through a serial double dot is the Stoof-Nazarov formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from symbolic_pme.functions import fermi, modulus_squared
from symbolic_pme.networks.network import RateNetwork, Transition
from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN
from symbolic_pme.quantum.lindblad import Jump, LindbladModel
from symbolic_pme.transport.lead import Lead
from symbolic_pme.transport.model import TransportModel

__all__ = ["FirstOrderEquations", "SecularReduction", "infinite_bias"]

Pair = tuple[str, str]
Entries = dict[tuple[int, int], sympy.Expr]


@dataclass(frozen=True)
class _Channel:
    """One lead, spin channel and direction of the dissipator: ``X`` and its weights ``w``
    (``X_w = X * w`` entry by entry), with what each of its jumps carries into the dot."""

    lead: Lead
    spin: sympy.Rational | None
    operator: sympy.Matrix
    weights: sympy.Matrix
    entering: bool


@dataclass(frozen=True)
class SecularReduction:
    """The secular approximation of :class:`FirstOrderEquations`, step by step.

    Attributes
    ----------
    equations : FirstOrderEquations
        The first-order equations it was made from.
    kept : tuple of (str, str)
        Coherences ``(b, b')`` (b before b') between degenerate eigenstates: kept.
    dropped : dict of (str, str) to sympy.Expr
        Every dropped coherence ``(b, b')`` and its energy difference ``E_b - E_b'``.
    dropped_terms : dict of str to sympy.Expr
        For each state b whose population equation contained dropped coherences, the part of
        ``d rho_bb/dt`` they carried (what the approximation neglects).
    network : RateNetwork or None
        The Pauli network of what is left (channels = lead names, carrying charge, energy, heat
        and, with spin, S_z as :attr:`TransportModel.network` does); None when a kept coherence
        enters the population equations (then they are not a rate equation).
    """

    equations: FirstOrderEquations
    kept: tuple[Pair, ...]
    dropped: dict[Pair, sympy.Expr]
    dropped_terms: dict[str, sympy.Expr]
    network: RateNetwork | None


class FirstOrderEquations:
    """The first-order (Redfield) equations of a transport model in its eigenbasis.

    See the module docstring for the equation, its conventions and the approximations (Born-Markov,
    principal parts neglected, infinite band unless a lead has one).

    Parameters
    ----------
    model : TransportModel
        The dot and its leads; its spectrum gives the eigenstates (exact Fock states, or
        numeric ones through placeholder symbols).

    Attributes
    ----------
    model : TransportModel
        The model.
    states : tuple of str
        The eigenstate labels, in the model's order.
    elements : tuple of (str, str)
        The density-matrix elements ``(b, b')`` kept, b and b' in one block (populations and
        coherences, both orders), row-major in :attr:`states` order.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`TransportModel`.

    Examples
    --------
    Two levels a, b in one lead: tunnelling in creates the coherence rho_{01,10} between the
    one-electron states; the secular step drops it (the levels differ by e_b - e_a) and leaves the
    golden rule.

    >>> from symbolic_pme.transport import FockSpace, Hamiltonian, Lead
    >>> dot = Hamiltonian(FockSpace(["a", "b"]), onsite={"a": "e_a", "b": "e_b"})
    >>> model = TransportModel(dot, [Lead("L", "mu", "T", {"a": "t_a", "b": "t_b"})])
    >>> equations = FirstOrderEquations(model)
    >>> equations.coefficient(("01", "10"), of=("00", "00"))
    pi*t_a*t_b*(fermi(e_a - mu, T) + fermi(e_b - mu, T))
    >>> reduction = equations.secular()
    >>> reduction.dropped
    {('01', '10'): -e_a + e_b}
    >>> [str(t) for t in reduction.network.transitions][:2]
    ['00 -> 01 [L]: 2*pi*t_b**2*fermi(e_b - mu, T)', '00 -> 10 [L]: 2*pi*t_a**2*fermi(e_a - mu, T)']
    """

    def __init__(self, model: TransportModel):
        if not isinstance(model, TransportModel):
            raise TypeError(f"model: expected a TransportModel, got {type(model).__name__}")
        self.model = model
        self.states: tuple[str, ...] = model.states
        spectrum = model.spectrum
        self._energies = spectrum.energies
        self._block = {}
        for number, sector in enumerate(spectrum.sectors):
            for state in sector.states:
                self._block[state] = number
        n = len(self.states)
        self._pairs = [(b, c) for b in range(n) for c in range(n) if self._block[b] == self._block[c]]
        self.elements: tuple[Pair, ...] = tuple((self.states[b], self.states[c]) for b, c in self._pairs)
        self._position = {pair: k for k, pair in enumerate(self._pairs)}
        self._channels = self._build_channels()
        self._jump_parts = [self._jump_part(channel) for channel in self._channels]
        self._decay_part = self._decay()

    def __repr__(self) -> str:
        return f"FirstOrderEquations({len(self.states)} states, {len(self.elements)} elements)"

    # ----------------------------------------------------------------------------- construction
    def _build_channels(self) -> list[_Channel]:
        model, energies = self.model, self._energies
        spins = [("up", sympy.S.Half), ("down", -sympy.S.Half)] if model.space.spin else [(None, None)]
        n = len(self.states)
        channels = []
        for lead in model.leads:
            for name, sz in spins:
                amplitudes = model.tunnelling_amplitudes(lead.name, spin=name)
                if not any(value != 0 for value in amplitudes.values()):
                    continue
                into, out_of = sympy.zeros(n, n), sympy.zeros(n, n)
                for b in range(n):
                    for a in range(n):
                        if amplitudes[b, a] != 0:
                            delta = energies[b] - energies[a]
                            occupation = fermi(delta - lead.mu, lead.temperature)
                            into[b, a] = _band(lead, delta) * occupation
                            out_of[a, b] = _band(lead, delta) * (1 - occupation)
                channels.append(_Channel(lead, sz, amplitudes, into, True))
                channels.append(_Channel(lead, sz, amplitudes.H, out_of, False))
        return channels

    def _jump_part(self, channel: _Channel) -> Entries:
        """``pi (X_w rho X^+ + X rho X_w^+)``: the coefficient of rho_mq in d rho_kj/dt is
        ``pi X_km X_jq^* (w_km + w_jq)``."""
        x, w = channel.operator, channel.weights
        links = [(k, m) for k in range(x.rows) for m in range(x.cols) if x[k, m] != 0]
        entries: Entries = {}
        for k, m in links:
            for j, q in links:
                if (k, j) in self._position and (m, q) in self._position:
                    value = sympy.pi * _product(x[k, m], x[j, q], conjugated=not channel.entering) * (w[k, m] + w[j, q])
                    _add(entries, (self._position[k, j], self._position[m, q]), value)
        return entries

    def _decay(self) -> Entries:
        """``-pi (X^+ X_w rho + rho X_w^+ X)`` summed over the channels, and ``-i [H, rho]``."""
        n = len(self.states)
        entries: Entries = {}
        for (k, j), row in self._position.items():
            _add(entries, (row, row), -sympy.I * (self._energies[k] - self._energies[j]))
        for channel in self._channels:
            x, w = channel.operator, channel.weights
            # (X^+ X_w)_km = sum_c X_ck^* X_cm w_cm
            outgoing = {}
            for c in range(n):
                for k in range(n):
                    if x[c, k] == 0:
                        continue
                    for m in range(n):
                        if x[c, m] != 0:
                            outgoing[k, m] = (
                                outgoing.get((k, m), 0)
                                + _product(x[c, m], x[c, k], conjugated=not channel.entering) * w[c, m]
                            )
            for (k, m), value in outgoing.items():
                for j in range(n):
                    if (k, j) in self._position and (m, j) in self._position:  # X^+ X_w rho
                        _add(entries, (self._position[k, j], self._position[m, j]), -sympy.pi * value)
                    if (j, k) in self._position and (j, m) in self._position:  # rho X_w^+ X
                        _add(entries, (self._position[j, k], self._position[j, m]), -sympy.pi * sympy.conjugate(value))
        return entries

    # ----------------------------------------------------------------------------- equations
    def density_matrix(self) -> sympy.Matrix:
        """The density matrix of symbols over the kept elements.

        Returns
        -------
        sympy.Matrix
            Real populations ``rho[b,b]``, complex coherences ``rho[b,b']`` (b before b', in one
            block) with ``rho[b',b]`` their conjugates, and zero between blocks.
        """
        n = len(self.states)
        rho = sympy.zeros(n, n)
        for b, c in self._pairs:
            if b == c:
                rho[b, b] = sympy.Symbol(f"rho[{self.states[b]},{self.states[b]}]", real=True)
            elif b < c:
                element = sympy.Symbol(f"rho[{self.states[b]},{self.states[c]}]", complex=True)
                rho[b, c], rho[c, b] = element, sympy.conjugate(element)
        return rho

    def equations(self) -> dict[Pair, sympy.Expr]:
        """The equations of motion of the kept elements.

        Returns
        -------
        dict of (str, str) to sympy.Expr
            ``{(b, b'): d rho_bb'/dt}`` for populations and for coherences with b before b', in
            the symbols of :meth:`density_matrix`.
        """
        rho = self.density_matrix()
        values = [rho[b, c] for b, c in self._pairs]
        totals: dict[int, sympy.Expr] = {}
        for part in [*self._jump_parts, self._decay_part]:
            for (row, column), value in part.items():
                totals[row] = totals.get(row, sympy.S.Zero) + value * values[column]
        return {self.elements[row]: totals.get(row, sympy.S.Zero) for row, (b, c) in enumerate(self._pairs) if b <= c}

    def coefficient(self, element: Pair, of: Pair) -> sympy.Expr:
        """The coefficient of rho_of in d rho_element/dt.

        Parameters
        ----------
        element : (str, str)
            The element whose equation is read, ``(b, b')``.
        of : (str, str)
            The element whose coefficient is returned, ``(a, a')``.

        Returns
        -------
        sympy.Expr
            The coefficient (per unit time), summed over the leads and the commutator.

        Raises
        ------
        ValueError
            For a pair that is not a kept element.
        """
        row, column = self._index(element), self._index(of)
        return sympy.Add(*(part.get((row, column), sympy.S.Zero) for part in [*self._jump_parts, self._decay_part]))

    def _index(self, pair: Pair) -> int:
        try:
            b, c = (self.model.spectrum.index(label) for label in pair)
            return self._position[b, c]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"{pair!r} is not a kept element (a pair of eigenstates of one block)") from None

    # ----------------------------------------------------------------------------- secular step
    def secular(self) -> SecularReduction:
        """Drop the coherences between non-degenerate eigenstates; the populations give Pauli.

        Returns
        -------
        SecularReduction
            The kept and dropped coherences, the terms dropped from the population equations and
            the Pauli network (transitions per lead with the golden-rule rates).
        """
        rho = self.density_matrix()
        kept, dropped = [], {}
        for b, c in self._pairs:
            if b < c:
                difference = sympy.simplify(self._energies[b] - self._energies[c])
                pair = (self.states[b], self.states[c])
                if difference == 0:
                    kept.append(pair)
                else:
                    dropped[pair] = difference
        kept_columns = {self._position[self.model.spectrum.index(b), self.model.spectrum.index(c)] for b, c in kept}
        kept_columns |= {self._position[self.model.spectrum.index(c), self.model.spectrum.index(b)] for b, c in kept}
        populations = {self._position[b, b]: b for b in range(len(self.states))}
        dropped_terms: dict[str, sympy.Expr] = {}
        closed = True
        for part in [*self._jump_parts, self._decay_part]:
            for (row, column), value in part.items():
                if row not in populations or column in populations:
                    continue
                if column in kept_columns:
                    closed = False
                else:
                    b, c = self._pairs[column]
                    label = self.states[populations[row]]
                    dropped_terms[label] = dropped_terms.get(label, sympy.S.Zero) + value * rho[b, c]
        network = self._pauli(populations) if closed else None
        return SecularReduction(self, tuple(kept), dropped, dropped_terms, network)

    def _pauli(self, populations: Mapping[int, int]) -> RateNetwork:
        transitions = []
        energies = self._energies
        for channel, part in zip(self._channels, self._jump_parts):
            lead = channel.lead
            for (row, column), value in sorted(part.items()):
                if row in populations and column in populations and row != column:
                    target, source = populations[row], populations[column]
                    delta = energies[target] - energies[source]
                    sign = 1 if channel.entering else -1
                    carries = {CHARGE: sympy.Integer(sign), ENERGY: delta, HEAT: delta - sign * lead.mu}
                    if channel.spin is not None:
                        carries[SPIN] = sign * channel.spin
                    transitions.append(Transition(self.states[source], self.states[target], value, lead.name, carries))
        return RateNetwork(self.states, transitions, state_values=self.model.network.state_values)


def infinite_bias(
    model: TransportModel,
    *,
    emitters: Sequence[str],
    collectors: Sequence[str],
    max_charge: int | None = None,
) -> LindbladModel:
    """The exact Lindblad model of a dot at infinite bias, in its local Fock basis.

    Every emitter lead only fills the dot (its Fermi function is 1 at every transition energy),
    every collector only empties it (0): the Redfield equation of the module docstring is then the
    Lindblad equation with the jump ``A = sum_i t_i d_i^+`` (rate 2 pi, so that a single orbital
    is filled at Gamma = 2 pi |t|^2) of each emitter and ``A^+`` of each collector, per spin
    channel, and H with its hoppings kept coherent (Gurvitz and Prager 1996; Stoof and Nazarov
    1996).  The leads' chemical potentials and temperatures do not enter.

    Parameters
    ----------
    model : TransportModel
        The dot and its leads.
    emitters, collectors : sequence of str
        The leads far above and far below every transition (keyword only); every lead is one or
        the other.
    max_charge : int, optional
        Drop the Fock states with more electrons (an infinite charging energy: ``max_charge=1``
        allows at most one electron); jumps into them are blocked.  Default: keep all.

    Returns
    -------
    LindbladModel
        Over the kept Fock states (labels of the Fock space, basis order); jump channels are the
        lead names, each jump carrying charge +1 (emitter) or -1 (collector) and, with spin, its
        S_z.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`TransportModel`.
    ValueError
        For an unknown lead, a lead named twice or in neither list, or a negative ``max_charge``.

    Examples
    --------
    >>> from symbolic_pme.transport import FockSpace, Hamiltonian, Lead
    >>> dot = Hamiltonian(FockSpace(["d"]), onsite={"d": "e"})
    >>> leads = [Lead("L", "mu_L", "T", {"d": "t_L"}), Lead("R", "mu_R", "T", {"d": "t_R"})]
    >>> coherent = infinite_bias(TransportModel(dot, leads), emitters=["L"], collectors=["R"])
    >>> coherent.current("charge", "L", coherent.steady_state())
    2*pi*t_L**2*t_R**2/(t_L**2 + t_R**2)
    """
    if not isinstance(model, TransportModel):
        raise TypeError(f"model: expected a TransportModel, got {type(model).__name__}")
    roles = {}
    for role, names in (("emitter", emitters), ("collector", collectors)):
        for name in names:
            lead = model.lead(name)
            if lead.name in roles:
                raise ValueError(f"lead {name!r} is named twice (as {roles[lead.name]} and {role})")
            roles[lead.name] = role
    missing = [lead.name for lead in model.leads if lead.name not in roles]
    if missing:
        raise ValueError(f"at infinite bias every lead is an emitter or a collector; not placed: {', '.join(missing)}")
    if max_charge is not None and max_charge < 0:
        raise ValueError(f"max_charge: expected a non-negative number of electrons, got {max_charge}")
    space = model.space
    kept = [p for p, s in enumerate(space.states) if max_charge is None or space.charge(s) <= max_charge]
    labels = [space.label(space.states[p]) for p in kept]
    jumps = []
    for lead in model.leads:
        channels: dict[sympy.Expr | None, sympy.Matrix] = {}
        for orbital, t in lead.coupling.items():
            for mode in space.modes_of(orbital):
                spin = space.mode_spin(mode)
                channels[spin] = channels.get(spin, sympy.zeros(space.dimension)) + t * space.creation(mode)
        for spin, creation in channels.items():
            operator = creation.extract(kept, kept)
            if not any(value != 0 for value in operator.values()):
                continue
            sign = 1 if roles[lead.name] == "emitter" else -1
            carries = {CHARGE: sign} | ({} if spin is None else {SPIN: sign * spin})
            jumps.append(Jump(operator if sign > 0 else operator.H, 2 * sympy.pi, lead.name, carries))
    return LindbladModel(labels, model.hamiltonian.submatrix(kept), jumps)


# --------------------------------------------------------------------------------------------------


def _band(lead: Lead, delta: sympy.Expr) -> sympy.Expr:
    """1 inside the lead's band (or without one), 0 outside: QmeQ's ``dband``."""
    if lead.band is None:
        return sympy.S.One
    low, high = lead.band
    return sympy.Piecewise((1, sympy.And(delta >= low, delta <= high)), (0, True))


def _product(z: sympy.Expr, w: sympy.Expr, *, conjugated: bool) -> sympy.Expr:
    """``z w^*``, written ``|T|^2`` of the amplitude T when they are the same entry (as the golden
    rule is): ``z = T``, or ``z = T^*`` for an entry of ``A^+`` (``conjugated``)."""
    if z != w:
        return z * sympy.conjugate(w)
    return modulus_squared(sympy.conjugate(z) if conjugated else z)


def _add(entries: Entries, key: tuple[int, int], value: sympy.Expr) -> None:
    if value != 0:
        entries[key] = entries.get(key, sympy.S.Zero) + value
