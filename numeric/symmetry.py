"""The spin-flip symmetry of a dot without magnetic field: half the eigensystems, a lumped chain.

Spin-up modes come first, then spin-down (``docs/conventions.md``).  The flip ``F`` exchanges
``d_{i,up}`` and ``d_{i,down}``: on a Fock state ``F |u, d> = (-1)^{N_u N_d} |d, u>``, one sign
per (N, S_z) sector, which maps sector (N, S_z) onto (N, -S_z).  When the Hamiltonian commutes
with ``F`` its block of (N, -S_z) is its block of (N, S_z) with the Fock states permuted, so
``U_{-S_z} = P U_{S_z}`` and the energies are equal: one ``eigh`` serves both sectors.  When
besides every lead couples to both spins alike, the Pauli rates obey ``W[pi b, pi a] = W[b, a]``
for the involution ``pi`` of the eigenstates (eigenstate k of (N, S_z) <-> eigenstate k of
(N, -S_z); a state of S_z = 0 is its own image), and the steady state is ``pi``-invariant.  The
chain lumped on the orbits ``{a, pi a}`` is then exact: its steady state is ``P(a) + P(pi a)``,
and its level blocks are about half as large (at 4096 spinful states the block elimination
took 400 ms on the full chain, 120 ms on the lumped one).

Nothing is assumed.  A derived eigensystem is used only where the two Hamiltonian blocks agree
within the backward error of ``eigh`` itself (:func:`flipped_hamiltonian_matches`, at every
evaluation); a sector of S_z = 0 that commutes with the flip is diagonalized by its even and odd
parts, so its eigenstates are flip eigenstates even at (near-)degeneracies, where a plain
``eigh`` mixes them (:func:`flip_symmetric_eigensystem`); and the chain is lumped only where
every eigensystem was so made (:class:`Eigensystems`) and every tunnelling block has a mirror
block with the same couplings (:func:`couplings_symmetric`, once per compiled model: a Zeeman
term or a polarized lead breaks it).  Otherwise the full chain is solved.  The lumped and the
full solve agree to rounding (``tests/test_spin_flip.py``).  With symmetric eigensystems a
mirror block has the same rates as its block, elementwise in eigenstate order, so half the
tunnelling amplitudes and golden-rule factors are not computed either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import eigensystems

__all__ = [
    "Eigensystems",
    "SpinFlip",
    "couplings_symmetric",
    "expanded_levels",
    "flip_symmetric_eigensystem",
    "flipped_hamiltonian_matches",
    "lumped_level_blocks",
    "lumped_links",
    "LumpedLink",
]


class Eigensystems(list):
    """Per sector ``(energies, U or None)``, as :meth:`TransportBlocks.eigensystems` returns them.

    Attributes
    ----------
    flip_symmetric : bool
        True when every mixed sector's eigensystem respects the flip: taken from its image's,
        or (S_z = 0) made of flip eigenstates, so that the rates obey ``W[pi b, pi a] = W[b, a]``
        to rounding when the couplings are symmetric (:func:`couplings_symmetric`).
    """

    flip_symmetric: bool = False


@dataclass(frozen=True)
class SpinFlip:
    """The spin flip of a model's sectors and eigenstates, found once per compiled model.

    Attributes
    ----------
    partners : tuple of int
        Per sector, the index of its image sector (its own index for S_z = 0).
    fock_maps : tuple of numpy.ndarray
        Per sector, ``(m,)``: the position in the image sector of each Fock state's flip.
    levels : tuple of numpy.ndarray
        Per charge level, ``(m_N,)``: the involution ``pi`` as positions within the level.
    orbits : tuple of (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        Per charge level, ``(first, image, paired)``: each orbit's first state (level
        positions, ascending), that state's image, and whether the two differ.
    """

    partners: tuple[int, ...]
    fock_maps: tuple[np.ndarray, ...]
    levels: tuple[np.ndarray, ...]
    orbits: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]

    @classmethod
    def of(
        cls,
        occupations: list[np.ndarray],
        sector_states: list[np.ndarray],
        exact: list[bool],
        levels: list[np.ndarray],
    ) -> SpinFlip | None:
        """The flip of a spinful model's sectors, or None where it does not map them onto each other.

        Parameters
        ----------
        occupations : list of numpy.ndarray
            Per sector, ``(m, 2 n)`` occupations of its Fock states (spin-up modes first).
        sector_states : list of numpy.ndarray
            Per sector, its eigenstates (network indices): Fock states in basis order where
            ``exact``, else eigenstates in energy order, each sector one ``eigh`` block.
        exact : list of bool
            Per sector, True where every eigenstate is a Fock state.
        levels : list of numpy.ndarray
            Per charge level, the network indices of its states in level order.

        Returns
        -------
        SpinFlip or None
            None when a sector's flipped Fock states are not one sector, or a mixed sector's
            image is exact (or the reverse).
        """
        modes = occupations[0].shape[1]
        if modes % 2:
            return None
        weights = 1 << np.arange(modes - 1, -1, -1, dtype=np.int64)
        keys = [occ.astype(np.int64) @ weights for occ in occupations]
        flipped = [
            np.concatenate([occ[:, modes // 2 :], occ[:, : modes // 2]], axis=1).astype(np.int64) @ weights
            for occ in occupations
        ]
        where = {int(key): (s, k) for s, sector in enumerate(keys) for k, key in enumerate(sector)}
        partners, fock_maps = [], []
        for s, images in enumerate(flipped):
            hits = [where.get(int(key)) for key in images]
            if any(hit is None for hit in hits) or len({hit[0] for hit in hits}) != 1:
                return None
            partner = hits[0][0]
            if exact[partner] != exact[s] or len(keys[partner]) != len(images):
                return None
            partners.append(partner)
            fock_maps.append(np.array([k for _, k in hits], dtype=np.int64))
        image = np.empty(sum(len(states) for states in sector_states), dtype=np.int64)
        for s, states in enumerate(sector_states):
            partner = sector_states[partners[s]]
            # exact sectors: Fock state j <-> its flip; mixed ones: eigenstate k <-> eigenstate k
            # (S_z = 0: itself, valid for flip eigenstates: see flip_symmetric_eigensystem)
            image[states] = partner[fock_maps[s]] if exact[s] else partner
        position = np.empty_like(image)
        for members in levels:
            position[members] = np.arange(len(members))
        involutions = tuple(position[image[members]] for members in levels)
        return cls(tuple(partners), tuple(fock_maps), involutions, tuple(_orbits(pi) for pi in involutions))


def flipped_hamiltonian_matches(h: np.ndarray, image: np.ndarray, fock_map: np.ndarray) -> bool:
    """True when a sector's block equals its image's block with the Fock states mapped.

    Parameters
    ----------
    h : numpy.ndarray
        ``(..., m, m)``: the sector's Hamiltonian block.
    image : numpy.ndarray
        ``(..., m, m)``: the image sector's block.
    fock_map : numpy.ndarray
        ``(m,)``: the position in the image sector of each Fock state's flip.

    Returns
    -------
    bool
        True when ``|h - image[map, map]| <= 4 m eps max|image|`` everywhere: within the backward
        error of ``eigh`` itself, so the image's eigensystem with its rows mapped is as good an
        eigensystem of ``h`` as ``eigh`` would return.
    """
    if h.shape != image.shape:
        return False
    mapped = image[..., fock_map[:, None], fock_map[None, :]]
    scale = float(np.abs(image).max()) if image.size else 0.0
    tolerance = 4 * h.shape[-1] * np.finfo(float).eps * scale
    return bool(np.abs(h - mapped).max() <= tolerance) if h.size else True


def couplings_symmetric(
    flip: SpinFlip, links: list[tuple[tuple, dict[int, int]]], modes: int
) -> tuple[int, ...] | None:
    """Each tunnelling block's mirror block of the other spin, where all have the same couplings.

    Parameters
    ----------
    flip : SpinFlip
        The flip of the sectors.
    links : list of (tuple, dict of int to int)
        Per link: its key ``(lower sector, upper sector, lead, spin)`` and its couplings
        ``{mode: coupling slot}`` (``D = sum_mode t_slot d_mode^+`` between the sectors).
    modes : int
        The number of modes (spin-up modes first, then spin-down).

    Returns
    -------
    tuple of int or None
        Per link, the index of its mirror: the link ``(image of lower, image of upper, lead,
        -spin)`` whose couplings are the link's with each mode flipped, with the same slots (the
        same expressions).  Its ``D`` is then the link's with the Fock states mapped and one sign
        for the block (``F d_{i,up}^+ F^+ = d_{i,down}^+``).  None where a link has no such
        mirror (a spin-dependent coupling, a link without spin).  The lead's mu, T and band are
        the lead's, shared by both spins.
    """
    half = modes // 2
    index = {key: k for k, (key, _) in enumerate(links)}
    mirrors = []
    for (lower, upper, lead, spin), couplings in links:
        mirror = None if spin is None else index.get((flip.partners[lower], flip.partners[upper], lead, -spin))
        if mirror is None or links[mirror][1] != {(mode + half) % modes: slot for mode, slot in couplings.items()}:
            return None
        mirrors.append(mirror)
    return tuple(mirrors)


def _orbits(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(first, partner, paired)``: each orbit's first state, its image and whether they differ."""
    first = np.flatnonzero(image >= np.arange(len(image)))
    partner = image[first]
    return first, partner, partner != first


def expanded_levels(lumped: list[np.ndarray], flip: SpinFlip) -> list[np.ndarray]:
    """Per-state probabilities from the lumped chain's: each orbit's weight shared equally.

    Parameters
    ----------
    lumped : list of numpy.ndarray
        Per level, ``(batch, orbits_N)``: the lumped steady state (orbits as in :func:`lumped_level_blocks`).
    flip : SpinFlip
        The involution of each level's states.

    Returns
    -------
    list of numpy.ndarray
        Per level, ``(batch, m_N)``: ``P(a) = P(pi a)``, half the orbit's weight (all of it for a
        state that is its own image).
    """
    result = []
    for p, image, (first, partner, paired) in zip(lumped, flip.levels, flip.orbits):
        share = np.where(paired, 0.5, 1.0) * p
        level = np.empty((p.shape[0], len(image)))
        level[:, first] = share
        level[:, partner] = share
        result.append(level)
    return result


def flip_symmetric_eigensystem(h: np.ndarray, fock_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``eigh`` of a block of S_z = 0 that commutes with the flip, by its even and odd parts.

    Parameters
    ----------
    h : numpy.ndarray
        ``(..., m, m)``: the block, with ``h[..., map, map] = h`` (checked by the caller with
        :func:`flipped_hamiltonian_matches`).
    fock_map : numpy.ndarray
        ``(m,)``: the sector's own flip permutation of its Fock states (an involution).

    Returns
    -------
    energies : numpy.ndarray
        ``(..., m)``, ascending.
    vectors : numpy.ndarray
        ``(..., m, m)``: eigenvectors in the Fock basis, each even or odd under the flip to
        rounding, as the lumped chain needs (:func:`lumped_level_blocks`); a plain ``eigh`` mixes them
        at near-degeneracies (1e-10 of a rate on the random spinful 4-orbital model).

    Notes
    -----
    With the orbits ``{r, p = map(r)}`` of the Fock states, the even vectors are
    ``c (|r> + |p>)`` (``c = 1/sqrt 2``, or 1/2 where ``r = p``) and the odd ones
    ``(|r> - |p>)/sqrt 2`` where ``r != p``; ``h`` is block diagonal in that basis, and its two
    blocks (about m/2 each) cost a quarter of the work of ``eigh`` of ``h``.  With the weights
    ``c`` the even block is ``c_o c_o' (h_rr' + h_rp' + h_pr' + h_pp')`` for every pair of orbits.
    """
    first, partner, paired = _orbits(fock_map)
    c = np.where(paired, np.sqrt(0.5), 0.5)
    rr = h[..., first[:, None], first[None, :]]
    rp = h[..., first[:, None], partner[None, :]]
    pr = h[..., partner[:, None], first[None, :]]
    pp = h[..., partner[:, None], partner[None, :]]
    even = (rr + rp + pr + pp) * (c[:, None] * c[None, :])
    odd_index = np.ix_(paired, paired)
    odd = 0.5 * (rr - rp - pr + pp)[(...,) + odd_index]
    e_even, v_even = eigensystems.eigh(even)
    e_odd, v_odd = eigensystems.eigh(odd)
    m, n_even = h.shape[-1], len(first)
    vectors = np.zeros(h.shape[:-2] + (m, m), dtype=np.result_type(v_even, v_odd))
    amplitude = np.where(paired, np.sqrt(0.5), 1.0)[:, None]  # of each Fock state in its even vector
    vectors[..., first, :n_even] = v_even * amplitude
    vectors[..., partner[paired], :n_even] = (v_even * amplitude)[..., paired, :]
    vectors[..., first[paired], n_even:] = v_odd * np.sqrt(0.5)
    vectors[..., partner[paired], n_even:] = v_odd * -np.sqrt(0.5)
    energies = np.concatenate([e_even, e_odd], axis=-1)
    order = np.argsort(energies, axis=-1, kind="stable")
    return np.take_along_axis(energies, order, axis=-1), np.take_along_axis(vectors, order[..., None, :], axis=-1)


Selection = slice | np.ndarray


@dataclass(frozen=True)
class LumpedLink:
    """Where one link's rates go in the lumped level blocks (see :func:`lumped_links`).

    Attributes
    ----------
    level : int
        The charge level of the link's lower sector.
    up : tuple of (Selection, Selection, tuple)
        Parts of the rates in ``(batch, m_upper, m_lower)``: rows (upper states of one kind:
        orbits' first states, or their images), columns (lower states that are orbits' first
        states), and the index of the part in the lumped ``up[level]``.
    down : tuple of (Selection, Selection, tuple)
        Parts of the rates out, ``(batch, m_upper, m_lower)``: rows (upper states that are
        orbits' first states), columns (lower states of one kind), and the index of the part's
        transpose in the lumped ``down[level]``.
    """

    level: int
    up: tuple[tuple[Selection, Selection, tuple], ...]
    down: tuple[tuple[Selection, Selection, tuple], ...]


def lumped_links(flip: SpinFlip, links: list[tuple[int, np.ndarray, np.ndarray]]) -> tuple[LumpedLink, ...]:
    """The placements of every link's rates in the lumped level blocks, made once per model.

    The lumped ``up[N][A, B]`` is ``sum_{a in A} W[a, b]`` for the first state ``b`` of orbit
    ``B``: only the columns of first states are read, and a link whose lower states are all
    images (the mirror of another) adds nothing; rows of first states and rows of images go
    to their orbits' rows in two parts (an exact sector of S_z = 0 holds both kinds).

    Parameters
    ----------
    flip : SpinFlip
        The involution of each level's states.
    links : list of (int, numpy.ndarray, numpy.ndarray)
        Per link: the level of its lower sector, and the level positions of its lower and of
        its upper sector's states.

    Returns
    -------
    tuple of LumpedLink
        Per link, in order.
    """
    first = [image >= np.arange(len(image)) for image in flip.levels]
    orbit = []
    for (starts, partners, _), image in zip(flip.orbits, flip.levels):
        index = np.empty(len(image), dtype=np.int64)
        index[partners] = np.arange(len(starts))
        index[starts] = np.arange(len(starts))
        orbit.append(index)
    placements = []
    for level, lower, upper in links:
        up, down = [], []
        columns = np.flatnonzero(first[level][lower])  # lower states read as sources going up
        if len(columns):
            for rows in (np.flatnonzero(first[level + 1][upper]), np.flatnonzero(~first[level + 1][upper])):
                if len(rows):
                    index = _index(orbit[level + 1][upper[rows]], orbit[level][lower[columns]])
                    up.append((_selection(rows, len(upper)), _selection(columns, len(lower)), index))
        sources = np.flatnonzero(first[level + 1][upper])  # upper states read as sources going down
        if len(sources):
            for targets in (np.flatnonzero(first[level][lower]), np.flatnonzero(~first[level][lower])):
                if len(targets):
                    index = _index(orbit[level][lower[targets]], orbit[level + 1][upper[sources]])
                    down.append((_selection(sources, len(upper)), _selection(targets, len(lower)), index))
        placements.append(LumpedLink(level, tuple(up), tuple(down)))
    return tuple(placements)


def lumped_level_blocks(
    rates_in: list[np.ndarray], rates_out: list[np.ndarray], placements: tuple[LumpedLink, ...], flip: SpinFlip
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The level blocks of the chain lumped on the orbits of the flip, straight from the links' rates.

    Valid where the rates are symmetric, ``W[pi b, pi a] = W[b, a]``: the callers lump only when
    the eigensystems are (:class:`Eigensystems`) and the couplings are
    (:func:`couplings_symmetric`).  The full level blocks are never made.

    Parameters
    ----------
    rates_in, rates_out : list of numpy.ndarray
        Per link, ``(batch, m_upper, m_lower)``: rates lower -> upper and upper -> lower.
    placements : tuple of LumpedLink
        From :func:`lumped_links`.
    flip : SpinFlip
        The involution of each level's states.

    Returns
    -------
    up, down : list of numpy.ndarray
        ``up[N]`` ``(batch, orbits_{N+1}, orbits_N)`` and ``down[N]`` ``(batch, orbits_N,
        orbits_{N+1})``: rows summed over each orbit, the column of each orbit's first state (by
        symmetry every state of an orbit has the same lumped column), orbits in the order of
        their first states.
    """
    sizes = [len(starts) for starts, _, _ in flip.orbits]
    batch = rates_in[0].shape[0]
    up = [np.zeros((batch, sizes[n + 1], sizes[n])) for n in range(len(sizes) - 1)]
    down = [np.zeros((batch, sizes[n], sizes[n + 1])) for n in range(len(sizes) - 1)]
    for placement, r_in, r_out in zip(placements, rates_in, rates_out):
        for rows, columns, index in placement.up:
            up[placement.level][index] += r_in[:, rows][:, :, columns]
        for rows, columns, index in placement.down:
            down[placement.level][index] += np.swapaxes(r_out[:, rows][:, :, columns], -1, -2)
    return up, down


def _selection(positions: np.ndarray, size: int) -> Selection:
    """``positions`` (ascending) as a slice where they are a contiguous run, else as they are."""
    if len(positions) and positions[-1] - positions[0] == len(positions) - 1:
        return slice(int(positions[0]), int(positions[-1]) + 1) if len(positions) < size else slice(None)
    return positions


def _index(rows: np.ndarray, columns: np.ndarray) -> tuple:
    """The index of a ``(batch, rows, columns)`` part: basic slices for ascending runs, else an open mesh."""
    runs = [len(p) and bool(np.all(np.diff(p) == 1)) for p in (rows, columns)]
    if all(runs):
        return (slice(None), slice(int(rows[0]), int(rows[-1]) + 1), slice(int(columns[0]), int(columns[-1]) + 1))
    return (slice(None), rows[:, None], columns[None, :])
