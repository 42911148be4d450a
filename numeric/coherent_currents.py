"""Particle, energy, heat (and S_z) currents of each lead from a coherent steady state.

QmeQ's ``generate_current`` of each approach, as matrix products per link, batched over the stacked
links of each group of sector pairs (``T`` the amplitudes ``(m_upper, m_lower)``, ``rho_l``,
``rho_u`` the density-matrix blocks of the lower and upper sector, ``u = i F0`` and ``v = -i F1``
the lead factors of :mod:`~symbolic_pme.numeric.lead_integrals`, ``o`` the elementwise product,
sums over all elements)::

    1vN        I = 2 Re sum conj(T) o (u o (T rho_l) - v o (rho_u T))
    Redfield   I = 2 Re sum conj(T) o ((T o u) rho_l - rho_u (T o v))
    Lindblad   I = sum conj(J_in) o (J_in rho_l) - sum conj(J_out) o (rho_u J_out)

and the energy currents with the transition energies ``E_upper - E_lower`` multiplied elementwise
into the lead factors where each approach takes them: Redfield's ``T o u`` and ``T o v``, the
outer ``conj(T)`` (or jump amplitude) of 1vN and Lindblad.  Each lead sums its own links (its spin channels and
sector pairs).  Heat ``Q = J - mu I``; signs as in ``docs/conventions.md`` (positive from the lead
into the dot).  With no coherences these are the Pauli currents.
"""

from __future__ import annotations

import numpy as np

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN

from .chunks import broadcast
from .coherent import CoherentKernel, GroupTerms
from .coherent_factored import FactoredMatrices, FactoredTerms
from .loops import compiled_loops

__all__ = ["coherent_currents"]


def coherent_currents(
    kernel: CoherentKernel,
    terms: list[GroupTerms],
    densities: np.ndarray,
    coefficients: list[np.ndarray],
    shape: tuple[int, ...],
    *,
    approach: str,
    energies: np.ndarray,
) -> dict[str, np.ndarray]:
    """Currents of every lead at the points of a chunk.

    A chunk of one eigensystem (:meth:`CoherentKernel.factored`) takes one sparse product with
    the functionals of its monomials (:mod:`~symbolic_pme.numeric.coherent_factored`); others
    the products per group below.

    Parameters
    ----------
    kernel : CoherentKernel
        The model's kernel (its blocks and groups).
    terms : list of GroupTerms
        Per group, from :meth:`CoherentKernel.group_terms`.
    densities : numpy.ndarray
        ``(batch, sum_s d_s^2)``: the density-matrix blocks, from :meth:`CoherentKernel.densities`.
    coefficients : list of numpy.ndarray
        The compiled parameter expressions (for the leads' mu).
    shape : tuple of int
        The chunk's grid shape.
    approach : {"lindblad", "redfield", "1vn"}
        The kernel the densities come from.
    energies : numpy.ndarray
        ``(..., n_states)``: the eigenenergies, from :meth:`CoherentKernel.group_terms`.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{quantity: (leads, batch)}`` in the order of :attr:`TransportBlocks.quantities`.
    """
    blocks = kernel.blocks
    batch = densities.shape[0]
    factored = kernel.factored(energies, terms, approach=approach)
    if factored is not None:
        return _factored_currents(kernel, *factored, terms, densities, coefficients, shape)
    particles, carried = [], []
    for term, stacked in zip(terms, kernel.stacked_densities(densities)):
        links = term.group.links.shape
        lower, upper = (rho.reshape(shape + rho.shape[1:]) for rho in stacked)
        particle, energy = _group_currents(term, lower, upper, approach)
        particles.append(np.broadcast_to(particle, shape + links).reshape(batch, -1))
        carried.append(np.broadcast_to(energy, shape + links).reshape(batch, -1))
    flows = np.concatenate(particles, axis=1)
    net = {CHARGE: flows @ kernel.link_leads, ENERGY: np.concatenate(carried, axis=1) @ kernel.link_leads}
    if SPIN in blocks.quantities:
        net[SPIN] = (flows * kernel.link_spins) @ kernel.link_leads
    return _completed(kernel, net, coefficients, shape, batch)


def _factored_currents(
    kernel: CoherentKernel,
    listed: FactoredTerms,
    matrices: FactoredMatrices,
    terms: list[GroupTerms],
    densities: np.ndarray,
    coefficients: list[np.ndarray],
    shape: tuple[int, ...],
) -> dict[str, np.ndarray]:
    """The currents of a chunk of one eigensystem: ``I_lead = sum_k Phi_k (C_k . rho)`` over its monomials."""
    batch, monomials = densities.shape[0], listed.current_monomials
    phi = kernel.monomials(listed, terms, batch)[:monomials]  # (monomials, batch)
    loops = compiled_loops()
    if loops is not None:
        net = _compiled_flows(loops, listed, matrices, phi, densities, spins=SPIN in kernel.blocks.quantities)
        return _completed(kernel, net, coefficients, shape, batch)
    functionals = matrices.currents @ np.ascontiguousarray(densities).view(float).T  # (2 monomials, batch)
    flows = functionals.reshape(2, monomials, batch)
    flows *= phi  # particle and energy flows of each monomial
    carried = listed.leads.T @ flows  # (2, leads, batch), handed on as (batch, leads) views
    net = {CHARGE: carried[0].T, ENERGY: carried[1].T}
    if SPIN in kernel.blocks.quantities:
        net[SPIN] = (listed.spins.T @ flows[0]).T
    return _completed(kernel, net, coefficients, shape, batch)


def _compiled_flows(
    loops, listed: FactoredTerms, matrices: FactoredMatrices, phi: np.ndarray, densities: np.ndarray, *, spins: bool
) -> dict[str, np.ndarray]:
    """:func:`_factored_currents`' flows by the compiled loop: the same functionals point by point,
    each monomial's flow added to its lead's (``(batch, leads)`` views)."""
    batch, leads, currents = densities.shape[0], listed.lead_count, matrices.currents
    net = {CHARGE: np.empty((leads, batch)), ENERGY: np.empty((leads, batch))}
    spin = np.empty((leads, batch) if spins else 0)
    loops.factored_currents(
        currents.indptr,
        currents.indices,
        currents.data,
        np.ascontiguousarray(densities).view(float),
        phi,
        listed.monomial_leads,
        listed.monomial_spins if spins else np.empty(0),
        net[CHARGE],
        net[ENERGY],
        spin,
        listed.current_monomials,
        leads,
        batch,
    )
    if spins:
        net[SPIN] = spin
    return {q: a.T for q, a in net.items()}


def _completed(kernel: CoherentKernel, net: dict, coefficients: list[np.ndarray], shape: tuple[int, ...], batch: int):
    """Heat currents ``J - mu I`` added, every quantity as ``(leads, batch)``."""
    blocks = kernel.blocks
    mus, _ = kernel.lead_parameters(coefficients)
    mus = broadcast(mus, shape + mus.shape[-1:]).reshape(batch, -1)
    net[HEAT] = net[ENERGY] - mus * net[CHARGE]
    return {q: np.ascontiguousarray(net[q].T) for q in blocks.quantities}


def _group_currents(term: GroupTerms, lower: np.ndarray, upper: np.ndarray, approach: str):
    """Particle and energy current ``(..., G, L)`` of each link of a group into the dot.

    ``lower``, ``upper``: ``(..., G, m, m)``.  The links of a pair (and, for Redfield, the
    energy-weighted factors) are stacked into the rows or columns of one product per pair.
    """
    t, energy = term.amplitude, term.energy
    links = t.shape[-3]
    if approach == "lindblad":
        entering, leaving = term.jumps
        net = (np.conj(entering) * _left(entering, lower) - np.conj(leaving) * _right(upper, leaving)).real
        return net.sum(axis=(-2, -1)), (net * energy).sum(axis=(-2, -1))
    if approach == "1vn":  # the factors at the energy of the other index: outside the products
        net = 2.0 * (np.conj(t) * (term.particle * _left(t, lower) - term.hole * _right(upper, t))).real
        return net.sum(axis=(-2, -1)), (net * energy).sum(axis=(-2, -1))
    # redfield: the factors at the energy of the transition each term acts on, inside the products
    into, out = t * term.particle, t * term.hole
    into = np.concatenate([into, into * energy], axis=-3)  # particles, then energies: (..., G, 2L, X, Y)
    out = np.concatenate([out, out * energy], axis=-3)
    weighted = _left(into, lower) - _right(upper, out)
    weighted = weighted.reshape(weighted.shape[:-3] + (2, links) + weighted.shape[-2:])  # (..., G, 2, L, X, Y)
    net = (2.0 * (np.conj(t)[..., None, :, :, :] * weighted).real).sum(axis=(-2, -1))
    return net[..., 0, :], net[..., 1, :]


def _left(a: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``a[t] @ rho`` for every t of ``(..., G, T, X, Y)``, rho ``(..., G, Y, Y)``: one product per pair."""
    rows = a.reshape(a.shape[:-3] + (-1, a.shape[-1]))  # (..., G, T X, Y)
    product = rows @ rho
    return product.reshape(product.shape[:-2] + a.shape[-3:])


def _right(rho: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``rho @ a[t]`` for every t of ``(..., G, T, X, Y)``, rho ``(..., G, X, X)``: one product per pair."""
    columns = np.moveaxis(a, -3, -2)  # (..., G, X, T, Y)
    product = rho @ columns.reshape(columns.shape[:-2] + (-1,))
    return np.moveaxis(product.reshape(product.shape[:-1] + a.shape[-3:-2] + a.shape[-1:]), -2, -3)
