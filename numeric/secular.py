"""How well the Pauli (secular) approximation holds for a computed steady state.

The Pauli master equation keeps only populations.  Coherences between eigenstates of different
charge (or S_z) are never generated; those between two eigenstates b, b' of the same block are
neglected, which is justified when they oscillate much faster than they are created and
destroyed:  |E_b - E_b'| >> (Gamma_b + Gamma_b')/2, with Gamma_b = -W_bb the total rate out of b
(its lifetime broadening, hbar = 1).  :func:`secular_ratio` evaluates the smallest such ratio at
every grid point.  Where it is of order one or below, coherences within the block are not
negligible and the Pauli result can deviate from a coherent treatment; how much depends on the
model.  For the seed's triangle (ratio about 0.9, set by the strong substrate coupling) QmeQ's
Redfield and Lindblad tip currents differ from Pauli by 0.1 % and 0.7 % (../shared/reference);
for degenerate levels coupled to the same lead (ratio 0) the difference can be of order one.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from .network import CompiledNetwork
from .results import SteadyState

__all__ = ["SecularCheck", "secular_ratio"]


@dataclass(frozen=True)
class SecularCheck:
    """Smallest spacing-to-broadening ratio over all pairs of states in one block.

    Attributes
    ----------
    ratio:
        Array of the result's grid shape: ``min |E_b - E_b'| / ((Gamma_b + Gamma_b')/2)``;
        ``inf`` where no block holds two states.
    worst:
        The pair of state labels attaining the smallest ratio over the whole grid (None if none).
    """

    ratio: np.ndarray
    worst: tuple[str, str] | None

    def valid(self, threshold: float = 10.0) -> np.ndarray:
        """True where the ratio is at least ``threshold`` (default: spacings ten times the broadening)."""
        return self.ratio >= threshold


def secular_ratio(solver: CompiledNetwork, result: SteadyState) -> SecularCheck:
    """Check the secular condition of a steady state computed by ``solver``.

    Blocks are the sets of states with equal ``charge`` (and ``spin``, when the states carry it)
    among the result's state values; energies are the state value ``energy``.
    """
    for needed in ("energy", "charge"):
        if needed not in result.state_values:
            raise ValueError(f"secular_ratio needs the state value {needed!r} (a transport model provides it)")
    keys = [
        result.state_values[name].reshape(-1, len(result.states))[0]
        for name in ("charge", "spin")
        if name in result.state_values
    ]
    blocks: dict[tuple, list[int]] = {}
    for k in range(len(result.states)):
        blocks.setdefault(tuple(float(key[k]) for key in keys), []).append(k)
    pairs = [pair for members in blocks.values() for pair in combinations(members, 2)]
    if not pairs:
        return SecularCheck(np.full(result.shape, np.inf), None)
    broadening = solver.escape_rates(result.parameters)
    energies = np.broadcast_to(result.energies, broadening.shape)
    spacing = np.stack([np.abs(energies[..., b] - energies[..., c]) for b, c in pairs], axis=-1)
    width = np.stack([(broadening[..., b] + broadening[..., c]) / 2 for b, c in pairs], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):  # zero width: no broadening, no limit
        ratios = np.where(width > 0, spacing / width, np.inf)
    worst_pair = pairs[int(np.unravel_index(np.argmin(ratios), ratios.shape)[-1])]
    return SecularCheck(ratios.min(axis=-1), (result.states[worst_pair[0]], result.states[worst_pair[1]]))
