"""Golden-rule rate groups evaluated as matrices, batched over parameter grids.

The numeric twin of :mod:`symbolic_pme.rate_groups`.  Only the model's parameter expressions are
compiled (the Hamiltonian's coefficients, the leads' mu, T, band edges and amplitudes: tens of
expressions); everything else is built numerically, each stage batched along the grid axes it
depends on:

1. sector Hamiltonians ``H = sum_k c_k M_k`` from the exact integer actions ``M_k``;
2. ``eigh`` per mixed component (batched; exact components are read off the diagonal), only
   along the axes of the Hamiltonian's parameters, and cached between calls with equal values
   (a bias sweep never re-diagonalizes);
3. tunnelling blocks ``T = U_b^+ D U_a`` by GEMM, ``D = sum_i t_i <b|d_i^+|a>`` exact and sparse;
4. rates ``2 pi |T|^2 f`` and ``2 pi |T|^2 (1 - f)`` elementwise;
5. currents summed over each lead's own blocks (see :meth:`TransportBlocks.currents`).

Arrays of a chunk of grid points have the batch axis first: ``(batch, m_target, m_source)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import sympy

from symbolic_pme.rate_groups import CHARGE, ENERGY, HEAT, SPIN, TunnellingGroup, creation_pattern
from symbolic_pme.spectrum import Sector, Spectrum

from .functions import golden_rule_pair
from .kernel import ExpressionKernel

__all__ = ["TransportBlocks"]


@dataclass(frozen=True)
class _SectorPlan:
    """What the kernel needs of one sector: its Hamiltonian entries per coefficient slot."""

    sector: Sector
    entries: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray], ...]  # (slot, rows, columns, signs)


@dataclass(frozen=True)
class _Link:
    """One (lower sector, upper sector, lead, spin channel): the tunnelling block both directions share."""

    lower: int
    upper: int
    lead: int
    spin: sympy.Rational | None
    creation: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray], ...]  # (slot of t, rows, columns, signs)


class TransportBlocks:
    """Evaluates a network of :class:`~symbolic_pme.rate_groups.TunnellingGroup` objects.

    Parameters
    ----------
    groups:
        The network's groups (all of one spectrum).
    arguments:
        The parameter symbols, in the order the compiled functions take them.
    """

    def __init__(self, groups: Sequence[TunnellingGroup], arguments: Sequence[sympy.Symbol]):
        self.spectrum: Spectrum = groups[0].spectrum
        spectrum = self.spectrum
        self.n_states = len(spectrum.states)
        leads = list({g.lead.name: g.lead for g in groups}.values())
        self.lead_names = tuple(lead.name for lead in leads)
        slots: dict[sympy.Expr, int] = {}

        def slot(expr: sympy.Expr) -> int:
            return slots.setdefault(sympy.sympify(expr), len(slots))

        actions = spectrum.hamiltonian.actions
        action_slots = [slot(a.coefficient) for a in actions]
        self._lead_slots = [
            (slot(lead.mu), slot(lead.temperature), None if lead.band is None else tuple(slot(b) for b in lead.band))
            for lead in leads
        ]
        sector_index = {s.key: k for k, s in enumerate(spectrum.sectors)}
        self._sectors = tuple(self._plan(s, actions, action_slots) for s in spectrum.sectors)
        links: dict[tuple, _Link] = {}
        self._group_links: dict[int, int] = {}
        for group in groups:
            key = (sector_index[group.lower.key], sector_index[group.upper.key], group.lead.name, group.spin)
            self._group_links[id(group)] = list(links).index(key) if key in links else len(links)
            if key not in links:
                creation = tuple(
                    (slot(t),) + creation_pattern(spectrum, group.lower, group.upper, mode)
                    for mode, t in group.amplitudes.items()
                )
                links[key] = _Link(key[0], key[1], self.lead_names.index(group.lead.name), group.spin, creation)
        self._links = tuple(links.values())
        self._kernel = ExpressionKernel(list(slots), arguments)
        self._hamiltonian_slots = sorted(set(action_slots))
        self._cache: tuple[tuple, list, list] | None = None
        self.spin = spectrum.space.spin and any(g.spin is not None for g in groups)
        # levels: the charges, each with its states in network order
        charges = np.array([s.charge for s in spectrum.states])
        self.levels = [np.flatnonzero(charges == c) for c in np.unique(charges)]
        level_of = np.empty(self.n_states, dtype=np.int64)
        position = np.empty(self.n_states, dtype=np.int64)
        for n, members in enumerate(self.levels):
            level_of[members] = n
            position[members] = np.arange(len(members))
        self._level_position = position
        self._level_of = level_of

    @staticmethod
    def _plan(sector: Sector, actions, action_slots) -> _SectorPlan:
        positions = np.array(sector.fock_positions, dtype=np.int64)
        entries = []
        for action, k in zip(actions, action_slots):
            start, stop = np.searchsorted(action.columns, [positions[0], positions[-1] + 1])
            rows, columns = action.rows[start:stop], action.columns[start:stop]
            where_rows = np.minimum(np.searchsorted(positions, rows), len(positions) - 1)
            where_columns = np.minimum(np.searchsorted(positions, columns), len(positions) - 1)
            keep = (positions[where_rows] == rows) & (positions[where_columns] == columns)
            if keep.any():
                entries.append((k, where_rows[keep], where_columns[keep], action.signs[start:stop][keep].astype(float)))
        return _SectorPlan(sector, tuple(entries))

    @property
    def quantities(self) -> tuple[str, ...]:
        """The quantities whose currents :meth:`currents` returns."""
        return (CHARGE, ENERGY, HEAT) + ((SPIN,) if self.spin else ())

    def link_of(self, group: TunnellingGroup) -> int:
        """Index of the tunnelling block a group uses."""
        return self._group_links[id(group)]

    def work_per_point(self, *, dense: bool) -> int:
        """Numbers held per grid point while a chunk is solved: rates in and out with two
        temporaries per link, plus the level blocks (or the dense generator)."""
        links = sum(len(self._sectors[l.lower].sector.states) * len(self._sectors[l.upper].sector.states) for l in self._links)
        sizes = [len(m) for m in self.levels]
        solve = self.n_states**2 if dense else sum(3 * a * b + 2 * b * b for a, b in zip(sizes, sizes[1:]))
        return 4 * links + solve

    def escape_rates(self, rates_in: list[np.ndarray], rates_out: list[np.ndarray], batch: int) -> np.ndarray:
        """Total rate out of each state, ``(batch, n)`` (its lifetime broadening, hbar = 1)."""
        escape = np.zeros((batch, self.n_states))
        for link, r_in, r_out in zip(self._links, rates_in, rates_out):
            escape[:, np.array(self._sectors[link.lower].sector.states)] += r_in.sum(axis=1)
            escape[:, np.array(self._sectors[link.upper].sector.states)] += r_out.sum(axis=2)
        return escape

    # ----------------------------------------------------------------------------- stages
    def coefficients(self, values: Mapping[sympy.Symbol, np.ndarray]) -> list[np.ndarray]:
        """Every compiled parameter expression, each broadcastable to the grid."""
        return [np.asarray(v) for v in self._kernel(values)]

    def eigensystems(self, coefficients: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """``[(energies (..., m), U (..., m_fock, m) or None)]`` per sector; cached while the
        Hamiltonian's coefficients are unchanged."""
        key = tuple((c.shape, c.tobytes()) for c in (coefficients[k] for k in self._hamiltonian_slots))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        systems = [self._eigensystem(plan, coefficients) for plan in self._sectors]
        self._cache = (key, systems, [])
        return systems

    def _eigensystem(self, plan: _SectorPlan, coefficients: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray | None]:
        sector, spectrum = plan.sector, self.spectrum
        m = len(sector.fock_positions)
        used = [coefficients[k] for k, *_ in plan.entries]
        shape = np.broadcast_shapes(*(c.shape for c in used)) if used else ()
        dtype = np.result_type(*used, float) if used else float
        h = np.zeros(shape + (m, m), dtype=dtype)
        for k, rows, columns, signs in plan.entries:
            h[..., rows, columns] += coefficients[k][..., None] * signs
        if np.iscomplexobj(h) and not np.any(h.imag):
            h = h.real
        states = [spectrum.states[s] for s in sector.states]
        if all(s.exact for s in states):
            # one Fock state per eigenstate, in the same (basis) order
            return np.real(np.diagonal(h, axis1=-2, axis2=-1)).copy(), None
        energies = np.empty(shape + (m,))
        vectors = np.zeros(shape + (m, m), dtype=h.dtype)
        position = {p: i for i, p in enumerate(sector.fock_positions)}
        by_component: dict[int, list[int]] = {}
        for local, state in enumerate(states):
            by_component.setdefault(state.component, []).append(local)
        for c, locals_ in by_component.items():
            fock = [position[spectrum.space.position(f)] for f in spectrum.components[c].fock_states]
            block = h[..., fock, :][..., :, fock]
            if len(fock) == 1:
                energies[..., locals_[0]] = np.real(block[..., 0, 0])
                vectors[..., fock[0], locals_[0]] = 1.0
                continue
            values, eigenvectors = np.linalg.eigh(block)
            order = np.array(locals_)
            energies[..., order] = values
            vectors[..., np.array(fock)[:, None], order[None, :]] = eigenvectors
        return energies, vectors

    def tunnelling_rates(self, coefficients: list[np.ndarray]) -> list[np.ndarray]:
        """``2 pi |T|^2`` per link, ``(..., m_upper, m_lower)``; cached with the eigensystems."""
        systems = self.eigensystems(coefficients)
        cache = self._cache
        key = tuple((c.shape, c.tobytes()) for c in (coefficients[k] for link in self._links for k, *_ in link.creation))
        if cache[2] and cache[2][0] == key:
            return cache[2][1]
        result = []
        for link in self._links:
            lower, upper = self._sectors[link.lower].sector, self._sectors[link.upper].sector
            used = [coefficients[k] for k, *_ in link.creation]
            shape = np.broadcast_shapes(*(c.shape for c in used))
            d = np.zeros(shape + (len(upper.fock_positions), len(lower.fock_positions)), dtype=np.result_type(*used, float))
            for k, rows, columns, signs in link.creation:
                d[..., rows, columns] += coefficients[k][..., None] * signs
            u_upper, u_lower = systems[link.upper][1], systems[link.lower][1]
            if u_lower is not None:
                d = d @ u_lower
            if u_upper is not None:
                d = np.conj(np.swapaxes(u_upper, -1, -2)) @ d
            result.append(2 * np.pi * (d.real**2 + d.imag**2 if np.iscomplexobj(d) else d * d))
        cache[2][:] = [key, result]
        return result

    def rates(
        self, coefficients: list[np.ndarray], shape: tuple[int, ...]
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Per link: rates in ``(batch, m_upper, m_lower)`` (lower -> upper), rates out in the same
        layout (upper -> lower), and the energy differences ``E_upper - E_lower`` (broadcastable)."""
        systems = self.eigensystems(coefficients)
        gammas = self.tunnelling_rates(coefficients)
        batch = int(np.prod(shape, dtype=np.int64))
        rates_in, rates_out, deltas = [], [], []
        for link, gamma in zip(self._links, gammas):
            mu_slot, t_slot, band = self._lead_slots[link.lead]
            e_lower, e_upper = systems[link.lower][0], systems[link.upper][0]
            delta = e_upper[..., :, None] - e_lower[..., None, :]
            x = delta - coefficients[mu_slot][..., None, None]
            temperature = coefficients[t_slot][..., None, None]
            if band is not None:
                inside = (delta >= coefficients[band[0]][..., None, None]) & (delta <= coefficients[band[1]][..., None, None])
                gamma = gamma * inside
            block = gamma.shape[-2:]
            entering, leaving = golden_rule_pair(gamma, x, temperature)
            rates_in.append(_batched(entering, shape, block, batch))
            rates_out.append(_batched(leaving, shape, block, batch))
            deltas.append(delta)
        return rates_in, rates_out, deltas

    def state_values(self, coefficients: list[np.ndarray]) -> dict[str, np.ndarray]:
        """Energies, charges, S_z and mode occupations of every state, each ``(..., n)``."""
        spectrum, space = self.spectrum, self.spectrum.space
        systems = self.eigensystems(coefficients)
        shape = np.broadcast_shapes(*(e.shape[:-1] for e, _ in systems))
        energies = np.empty(shape + (self.n_states,))
        occupations = np.empty(shape + (self.n_states, space.n_modes))
        for plan, (e, u) in zip(self._sectors, systems):
            states = np.array(plan.sector.states)
            energies[..., states] = e
            bits = np.array([[space.occupation(space.states[p], m) for m in range(space.n_modes)] for p in plan.sector.fock_positions], dtype=float)
            weights = bits if u is None else np.swapaxes(np.abs(u) ** 2, -1, -2) @ bits
            occupations[..., states, :] = weights
        values = {ENERGY: energies, CHARGE: np.array([float(s.charge) for s in spectrum.states])}
        if space.spin:
            values[SPIN] = np.array([float(s.sz) if s.sz is not None else np.nan for s in spectrum.states])
        for m, name in enumerate(space.modes):
            values[f"n_{name}"] = occupations[..., m]
        return values

    # ----------------------------------------------------------------------------- generator and solve
    def level_blocks(
        self, rates_in: list[np.ndarray], rates_out: list[np.ndarray], batch: int
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """``up[N]`` (rates N -> N+1) and ``down[N]`` (rates N+1 -> N) between charge levels."""
        sizes = [len(m) for m in self.levels]
        up = [np.zeros((batch, sizes[n + 1], sizes[n])) for n in range(len(sizes) - 1)]
        down = [np.zeros((batch, sizes[n], sizes[n + 1])) for n in range(len(sizes) - 1)]
        for link, r_in, r_out in zip(self._links, rates_in, rates_out):
            lower, upper = self._sectors[link.lower].sector, self._sectors[link.upper].sector
            n = int(self._level_of[lower.states[0]])
            rows = _as_slice(self._level_position[np.array(upper.states)])
            columns = _as_slice(self._level_position[np.array(lower.states)])
            if isinstance(rows, slice) and isinstance(columns, slice):  # a level of one sector
                up[n][:, rows, columns] += r_in
                down[n][:, columns, rows] += np.swapaxes(r_out, -1, -2)
                continue
            rows, columns = np.r_[rows], np.r_[columns]
            up[n][:, rows[:, None], columns[None, :]] += r_in
            down[n][:, columns[:, None], rows[None, :]] += np.swapaxes(r_out, -1, -2)
        return up, down

    def generator(self, rates_in: list[np.ndarray], rates_out: list[np.ndarray], batch: int) -> np.ndarray:
        """Dense generators ``(batch, n, n)`` (for small models and inspection)."""
        n = self.n_states
        w = np.zeros((batch, n, n))
        for link, r_in, r_out in zip(self._links, rates_in, rates_out):
            lower = np.array(self._sectors[link.lower].sector.states)
            upper = np.array(self._sectors[link.upper].sector.states)
            w[:, upper[:, None], lower[None, :]] += r_in
            w[:, lower[:, None], upper[None, :]] += np.swapaxes(r_out, -1, -2)
        index = np.arange(n)
        w[:, index, index] = -w.sum(axis=1)
        return w

    def currents(
        self,
        coefficients: list[np.ndarray],
        rates: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]],
        probabilities: np.ndarray,
        shape: tuple[int, ...],
        *,
        conserve: bool,
    ) -> dict[str, np.ndarray]:
        """Particle, energy, heat (and S_z) currents of each lead, ``{quantity: (leads, batch)}``.

        Each lead's current is summed over its own blocks (jumps through that lead only), so a
        weakly coupled lead's small current is not the difference of large totals.  With
        ``conserve`` (a steady state), the rounding residual of ``sum_lead I = 0`` (and of
        ``sum J = 0`` and, where H conserves S_z, of the spin currents) is removed in proportion
        to each lead's gross particle flux (in plus out): the leads whose fluxes are large carry
        the rounding error, a weakly coupled lead keeps its own accurate value.  The heat current
        is ``Q = J - mu I`` of the corrected currents, so ``sum_lead (Q + mu I) = 0`` holds too.
        """
        rates_in, rates_out, deltas = rates
        batch = probabilities.shape[0]
        leads = len(self.lead_names)
        net = {q: np.zeros((leads, batch)) for q in self.quantities}
        gross = np.zeros((leads, batch))
        for link, r_in, r_out, delta in zip(self._links, rates_in, rates_out, deltas):
            lower = probabilities[:, self._sectors[link.lower].sector.states]
            upper = probabilities[:, self._sectors[link.upper].sector.states]
            # flows summed state by state: sum_ij r_ij P_j = sum_j P_j (sum_i r_ij)
            charge_in = np.einsum("bj,bj->b", lower, r_in.sum(axis=1))
            charge_out = np.einsum("bi,bi->b", upper, r_out.sum(axis=2))
            delta = _batched(delta, shape, delta.shape[-2:], batch)
            energy_in = np.einsum("bj,bij,bij->b", lower, r_in, delta)
            energy_out = np.einsum("bi,bij,bij->b", upper, r_out, delta)
            net[CHARGE][link.lead] += charge_in - charge_out
            net[ENERGY][link.lead] += energy_in - energy_out
            gross[link.lead] += charge_in + charge_out
            if SPIN in net and link.spin is not None:
                net[SPIN][link.lead] += float(link.spin) * (charge_in - charge_out)
        if conserve:
            for name in (CHARGE, ENERGY) + ((SPIN,) if SPIN in net and self.spectrum.hamiltonian.conserves_sz else ()):
                _remove_residual(net[name], gross, net[name].sum(axis=0))
        mus = np.stack([_batched(coefficients[s[0]], shape, (), batch) for s in self._lead_slots])
        net[HEAT] = net[ENERGY] - mus * net[CHARGE]
        return net


def _remove_residual(values: np.ndarray, gross: np.ndarray, residual: np.ndarray) -> None:
    """Subtract ``residual`` (per point) from ``values (leads, batch)`` in proportion to ``gross``."""
    total = gross.sum(axis=0)
    share = np.divide(gross, total, out=np.zeros_like(gross), where=total > 0)
    values -= share * residual


def _as_slice(positions: np.ndarray) -> slice | np.ndarray:
    """A run of consecutive positions as a slice (basic indexing, no copy), else the positions."""
    if len(positions) and np.all(np.diff(positions) == 1):
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


def _batched(array: np.ndarray, grid: tuple[int, ...], trailing: tuple[int, ...], batch: int) -> np.ndarray:
    """``array`` broadcast to ``grid + trailing`` with the grid axes flattened into one batch axis."""
    return np.broadcast_to(array, grid + trailing).reshape((batch,) + trailing)
