"""Particle, energy, heat (and S_z) currents of each lead from a coherent steady state.

QmeQ's ``generate_current`` of each approach, as matrix products per link (``T`` the link's
amplitudes ``(batch, m_upper, m_lower)``, ``rho_l``, ``rho_u`` the density-matrix blocks of its
lower and upper sector, ``o`` the elementwise product, sums over all elements)::

    1vN        I = -2 Im sum conj(T) o (F0 o (T rho_l) + F1 o (rho_u T))
    Redfield   I = -2 Im sum conj(T) o ((T o F0) rho_l + rho_u (T o F1))
    Lindblad   I = sum conj(J_in) o (J_in rho_l) - sum conj(J_out) o (rho_u J_out)

and the energy currents with ``F0, F1`` (or the jump amplitudes) multiplied elementwise by the
transition energies ``E_upper - E_lower``.  Each lead sums its own links (its spin channels and
sector pairs).  Heat ``Q = J - mu I``; signs as in ``docs/conventions.md`` (positive from the lead
into the dot).  With no coherences these are the Pauli currents.
"""

from __future__ import annotations

import numpy as np

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN

from .blocks import TransportBlocks
from .coherent import LinkTerms

__all__ = ["coherent_currents"]


def coherent_currents(
    blocks: TransportBlocks,
    terms: list[LinkTerms],
    densities: list[np.ndarray],
    coefficients: list[np.ndarray],
    shape: tuple[int, ...],
    *,
    approach: str,
) -> dict[str, np.ndarray]:
    """Currents of every lead at the points of a chunk.

    Parameters
    ----------
    blocks : TransportBlocks
        The compiled model's blocks.
    terms : list of LinkTerms
        Per link, from :meth:`CoherentKernel.link_terms`.
    densities : list of numpy.ndarray
        Per sector, its density-matrix block ``(batch, d_s, d_s)``.
    coefficients : list of numpy.ndarray
        The compiled parameter expressions (for the leads' mu).
    shape : tuple of int
        The chunk's grid shape.
    approach : {"lindblad", "redfield", "1vn"}
        The kernel the densities come from.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{quantity: (leads, batch)}`` in the order of :attr:`TransportBlocks.quantities`.
    """
    batch = densities[0].shape[0]
    leads = len(blocks.lead_names)
    net = {q: np.zeros((leads, batch)) for q in blocks.quantities if q != HEAT}
    for term in terms:
        link = term.link
        lower, upper = densities[link.lower], densities[link.upper]
        particles, energy = _link_currents(term, lower, upper, approach)
        net[CHARGE][link.lead] += particles
        net[ENERGY][link.lead] += energy
        if SPIN in net and link.spin is not None:
            net[SPIN][link.lead] += float(link.spin) * particles
    mus = np.stack([np.broadcast_to(coefficients[s.mu], shape).reshape(batch) for s in blocks.lead_slots])
    net[HEAT] = net[ENERGY] - mus * net[CHARGE]
    return {q: net[q] for q in blocks.quantities}


def _link_currents(term: LinkTerms, lower: np.ndarray, upper: np.ndarray, approach: str):
    """Particle and energy current ``(batch,)`` of one link into the dot."""
    t, energy = term.amplitude, term.energy
    if approach == "lindblad":
        entering, leaving = term.jumps
        flow_in, flow_out = entering @ lower, upper @ leaving
        particles = _total(np.conj(entering) * flow_in).real - _total(np.conj(leaving) * flow_out).real
        energies = _total(np.conj(entering * energy) * flow_in).real - _total(np.conj(leaving * energy) * flow_out).real
        return particles, energies
    f0, f1 = term.particle, term.hole
    if approach == "1vn":
        t_lower, upper_t = t @ lower, upper @ t
        weighted = f0 * t_lower + f1 * upper_t
        particles = _total(np.conj(t) * weighted)
        energies = _total(np.conj(t) * energy * weighted)
    else:  # redfield
        particles = _total(np.conj(t) * ((t * f0) @ lower + upper @ (t * f1)))
        energies = _total(np.conj(t) * ((t * f0 * energy) @ lower + upper @ (t * f1 * energy)))
    return -2.0 * particles.imag, -2.0 * energies.imag


def _total(array: np.ndarray) -> np.ndarray:
    """The sum over a ``(batch, m, n)`` array's matrix elements."""
    return array.sum(axis=(1, 2))
