"""First-order coherent kernels of dots and leads: Lindblad, Redfield and 1vN Liouvillians, batched.

The density matrix keeps the coherences between eigenstates of one sector (equal charge and,
where H conserves it, equal S_z): it is block diagonal over the sectors of
:class:`~symbolic_pme.numeric.blocks.TransportBlocks`, a vector of ``M = sum_s d_s^2`` complex
numbers (Liouville space).  The Liouvillian ``d rho/dt = L rho`` is dense within and between
neighbouring sectors and is built here from the blocks' eigenenergies and tunnelling amplitudes
``T^l_ba = <b| sum_i t_i d_i^+ |a>`` (per link: one lead, one spin channel, two sectors), with
QmeQ's equations (``qmeq/approach/base/{lindblad,redfield,neumann1}.py``), conventions as in
``docs/conventions.md`` (hbar = e = k_B = 1):

- ``"lindblad"``: QmeQ's first-order Lindblad approach, ``-i[H, rho] + sum_j (J rho J^+ -
  {J^+ J, rho}/2)`` with, per link, ``J_in = sqrt(2 pi f) o T`` (an electron in) and
  ``J_out = (sqrt(2 pi (1 - f)) o T)^+`` (out), ``o`` the elementwise product, f evaluated at
  each transition's own energy.  No principal parts.
- ``"redfield"``: the Bloch–Redfield tensor; each term's lead factor is taken at the energy of
  the transition of the state the term acts on (QmeQ's ``ApproachRedfield``).
- ``"1vn"``: first-order von Neumann; the factor is taken at the energy of the other index
  of the density-matrix element (QmeQ's ``Approach1vN``).

The lead factors ``F0 = PV - i pi f`` and ``F1 = PV' + i pi (1 - f)`` are those of
:mod:`~symbolic_pme.numeric.lead_integrals` (principal parts optional).  The steady state solves
the real form of ``L rho = 0`` (``rho`` Hermitian: ``M`` real unknowns, the diagonals and the real
and imaginary parts above them) with ``Tr rho = 1``: ``L`` links a sector only to itself and to
sectors one charge up or down, so it is solved by block elimination down the charge levels (one
LU per level block, batched over the grid points of a chunk), not as one ``M x M`` system.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from symbolic_pme.errors import NonUniqueSteadyState

from .blocks import Link, TransportBlocks
from .lead_integrals import lead_factors

__all__ = ["APPROACHES", "CoherentKernel", "DensityLayout", "LinkTerms"]

#: The coherent approaches, by the names :meth:`CompiledNetwork.steady_state` takes.
APPROACHES = ("lindblad", "redfield", "1vn")


class SectorParameters:
    """The real parameters of one sector's Hermitian block ``rho`` (``d x d``, row-major).

    The ``d^2`` parameters are the diagonal, then the real parts of the elements above it,
    then their imaginary parts.

    Parameters
    ----------
    size : int
        The sector's dimension d.

    Examples
    --------
    >>> sector = SectorParameters(2)
    >>> sector.matrix(np.array([[0.7, 0.3, 0.1, -0.2]])).round(3).tolist()
    [[[(0.7+0j), (0.1-0.2j)], [(0.1+0.2j), (0.3+0j)]]]
    """

    def __init__(self, size: int):
        self.size = int(size)
        d = self.size
        rows, columns = np.triu_indices(d, 1)
        diagonal, upper, lower = np.arange(d) * (d + 1), rows * d + columns, columns * d + rows
        self._upper, self._lower, self._diagonal = upper, lower, diagonal
        self._read = np.concatenate([diagonal, upper])  # the elements the parameters read

    def real_block(self, block: np.ndarray, source: SectorParameters) -> np.ndarray:
        """The real form of a Hermiticity-preserving map from ``source``'s block to this one.

        The columns of a real part are ``L[:, upper] + L[:, lower]``, of an imaginary part
        ``i (L[:, upper] - L[:, lower])``; the rows are the real parts of the diagonal and
        upper elements and the imaginary parts of the upper ones.

        Parameters
        ----------
        block : numpy.ndarray
            ``(batch, d^2, d_source^2)`` complex, on the row-major complex elements.
        source : SectorParameters
            The source sector.

        Returns
        -------
        numpy.ndarray
            ``(batch, d^2, d_source^2)`` real, on the real parameters.
        """
        d, reals = self.size, self.size + len(self._upper)
        rows = block[:, self._read, :]  # diagonal and upper elements
        upper, lower = rows[:, :, source._upper], rows[:, :, source._lower]
        diagonal, total, difference = rows[:, :, source._diagonal], upper + lower, upper - lower
        columns = np.cumsum([0, source.size, len(source._upper)])
        out = np.empty((block.shape[0], d * d, source.size**2))
        for part, real_rows, imaginary_rows in (
            (slice(columns[0], columns[1]), diagonal.real, diagonal[:, d:].imag),
            (slice(columns[1], columns[2]), total.real, total[:, d:].imag),
            (slice(columns[2], None), -difference.imag, difference[:, d:].real),
        ):
            out[:, :reals, part] = real_rows
            out[:, reals:, part] = imaginary_rows
        return out

    def matrix(self, parameters: np.ndarray) -> np.ndarray:
        """The Hermitian blocks of real parameters.

        Parameters
        ----------
        parameters : numpy.ndarray
            ``(batch, d^2)`` real.

        Returns
        -------
        numpy.ndarray
            ``(batch, d, d)`` complex.
        """
        d, batch = self.size, parameters.shape[0]
        pairs = len(self._upper)
        rho = np.empty((batch, d * d), dtype=complex)
        rho[:, self._diagonal] = parameters[:, :d]
        above = parameters[:, d : d + pairs] + 1j * parameters[:, d + pairs :]
        rho[:, self._upper] = above
        rho[:, self._lower] = np.conj(above)
        return rho.reshape(batch, d, d)


class DensityLayout:
    """The real parameters of a sector-block-diagonal density matrix, grouped by charge level.

    Parameters
    ----------
    sizes : sequence of int
        The dimension ``d_s`` of each sector.
    charges : sequence of int
        The charge of each sector.

    Attributes
    ----------
    sectors : tuple of SectorParameters
        Per sector, its real parameters.
    levels : tuple of tuple of int
        The sectors of each charge level, in ascending charge.
    level_of : tuple of int
        Each sector's level.
    start : tuple of int
        Each sector's first parameter within its level.
    size : int
        ``M = sum_s d_s^2``: the real parameters (and complex elements) in all.

    Examples
    --------
    >>> layout = DensityLayout([1, 2, 2, 1], [0, 1, 1, 2])
    >>> layout.size, layout.levels, layout.level_sizes
    (10, ((0,), (1, 2), (3,)), (1, 8, 1))
    """

    def __init__(self, sizes, charges):
        self.sectors = tuple(SectorParameters(d) for d in sizes)
        order = sorted(set(charges))
        self.levels = tuple(tuple(k for k, c in enumerate(charges) if c == charge) for charge in order)
        level_of, start = [0] * len(self.sectors), [0] * len(self.sectors)
        for n, members in enumerate(self.levels):
            offset = 0
            for k in members:
                level_of[k], start[k] = n, offset
                offset += self.sectors[k].size ** 2
        self.level_of, self.start = tuple(level_of), tuple(start)
        self.size = sum(sector.size**2 for sector in self.sectors)

    @property
    def level_sizes(self) -> tuple[int, ...]:
        """The number of real parameters of each level."""
        return tuple(sum(self.sectors[k].size ** 2 for k in members) for members in self.levels)

    def place(self, sector: int) -> slice:
        """The parameters of one sector within its level's.

        Parameters
        ----------
        sector : int
            The sector's index.

        Returns
        -------
        slice
            Its part of the level's parameter vector.
        """
        return slice(self.start[sector], self.start[sector] + self.sectors[sector].size ** 2)

    def trace_rows(self) -> list[np.ndarray]:
        """Per level, the row ``Tr rho`` on its parameters (ones at the diagonals).

        Returns
        -------
        list of numpy.ndarray
            ``(r_n,)`` per level.
        """
        rows = [np.zeros(r) for r in self.level_sizes]
        for k, sector in enumerate(self.sectors):
            rows[self.level_of[k]][self.start[k] : self.start[k] + sector.size] = 1.0
        return rows


@dataclass(frozen=True)
class LinkTerms:
    """What one link contributes to a coherent kernel at the points of a chunk.

    Attributes
    ----------
    link : Link
        The tunnelling block (lower and upper sector, lead, spin).
    amplitude : numpy.ndarray
        ``T`` ``(batch, m_upper, m_lower)``, complex.
    energy : numpy.ndarray
        ``E_upper - E_lower``, ``(batch, m_upper, m_lower)``.
    particle : numpy.ndarray
        ``F0`` (see :mod:`~symbolic_pme.numeric.lead_integrals`), ``(batch, m_upper, m_lower)``.
    hole : numpy.ndarray
        ``F1``, the same shape.
    """

    link: Link
    amplitude: np.ndarray
    energy: np.ndarray
    particle: np.ndarray
    hole: np.ndarray

    @property
    def jumps(self) -> tuple[np.ndarray, np.ndarray]:
        """The Lindblad jump amplitudes ``sqrt(2 pi f) o T`` (in) and ``sqrt(2 pi (1 - f)) o T`` (out).

        Returns
        -------
        entering : numpy.ndarray
            ``(batch, m_upper, m_lower)``; the jump operator in is this matrix.
        leaving : numpy.ndarray
            The same shape; the jump operator out is its conjugate transpose.
        """
        # -Im F0 = pi f and Im F1 = pi (1 - f): the golden-rule parts, whatever the principal parts
        entering = np.sqrt(np.maximum(-2.0 * self.particle.imag, 0.0)) * self.amplitude
        leaving = np.sqrt(np.maximum(2.0 * self.hole.imag, 0.0)) * self.amplitude
        return entering, leaving


class CoherentKernel:
    """The Lindblad, Redfield and 1vN Liouvillians of a transport model, on its block structure.

    Parameters
    ----------
    blocks : TransportBlocks
        The compiled model's blocks (eigensystems per sector, tunnelling amplitudes per link).

    Attributes
    ----------
    blocks : TransportBlocks
        As given.
    layout : DensityLayout
        Where the density-matrix parameters sit.
    """

    def __init__(self, blocks: TransportBlocks):
        self.blocks = blocks
        charges = [sector.charge for sector in blocks.spectrum.sectors]
        self.layout = DensityLayout([len(plan.states) for plan in blocks.sectors], charges)

    def work_per_point(self) -> int:
        """Numbers held per grid point while a chunk is solved.

        Returns
        -------
        int
            The complex sector blocks of the Liouvillian with their row gathers, the real level
            blocks and the eliminated ones (about ``8 r_n r_m`` per neighbouring level pair and
            ``6 r_n^2`` per level), plus the link terms.
        """
        sizes = self.layout.level_sizes
        levels = sum(6 * r * r for r in sizes) + sum(8 * a * b for a, b in zip(sizes, sizes[1:]))
        d = [sector.size for sector in self.layout.sectors]
        links = sum(2 * (d[k.lower] * d[k.upper]) ** 2 + 2 * d[k.upper] ** 3 for k in self.blocks.links)
        return levels + 2 * links

    def link_terms(
        self, coefficients: list[np.ndarray], shape: tuple[int, ...], *, principal_parts: bool
    ) -> list[LinkTerms]:
        """Amplitudes, energies and lead factors of every link at the points of a chunk.

        Parameters
        ----------
        coefficients : list of numpy.ndarray
            The compiled parameter expressions, from :meth:`TransportBlocks.coefficients`.
        shape : tuple of int
            The chunk's grid shape.
        principal_parts : bool
            Include the principal-value integrals (every lead needs a band).

        Returns
        -------
        list of LinkTerms
            In the order of :attr:`TransportBlocks.links`.

        Raises
        ------
        ValueError
            With ``principal_parts`` for a lead without a band, or a temperature that is not
            positive.
        """
        blocks = self.blocks
        amplitudes = blocks.tunnelling_amplitudes(coefficients)
        energies = blocks.energy_differences(coefficients)
        terms = []
        for link, amplitude, energy in zip(blocks.links, amplitudes, energies):
            mu_slot, t_slot, band = blocks.lead_slots[link.lead]
            edges = None if band is None else tuple(coefficients[b][..., None, None] for b in band)
            mu, temperature = coefficients[mu_slot][..., None, None], coefficients[t_slot][..., None, None]
            if principal_parts and band is None:
                raise ValueError(
                    f"principal parts: lead {blocks.lead_names[link.lead]!r} has an infinite band, where they "
                    "diverge as log(bandwidth); give it a band (e.g. band = [-1e4, 1e4]) or neglect them"
                )
            particle, hole = lead_factors(energy, mu, temperature, edges, principal_parts=principal_parts)
            block = energy.shape[-2:]
            terms.append(
                LinkTerms(
                    link,
                    _batched(amplitude.astype(complex, copy=False), shape, block),
                    _batched(energy, shape, block),
                    _batched(particle, shape, block),
                    _batched(hole, shape, block),
                )
            )
        return terms

    def level_blocks(
        self, terms: list[LinkTerms], energies: list[np.ndarray], *, approach: str
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """The real Liouvillian of one chunk as blocks between charge levels.

        ``d rho/dt = L rho`` only links a sector to itself and to sectors one charge up or down,
        so on the real parameters it is block tridiagonal over the levels, with blocks
        diagonal over the sectors of each level.

        Parameters
        ----------
        terms : list of LinkTerms
            From :meth:`link_terms`.
        energies : list of numpy.ndarray
            Per sector, its eigenenergies ``(batch, d_s)``.
        approach : {"lindblad", "redfield", "1vn"}
            The kernel.

        Returns
        -------
        diagonal : list of numpy.ndarray
            ``diagonal[n]`` ``(batch, r_n, r_n)``: level n to itself.
        up : list of numpy.ndarray
            ``up[n]`` ``(batch, r_{n+1}, r_n)``: level n to level n + 1 (an electron in).
        down : list of numpy.ndarray
            ``down[n]`` ``(batch, r_n, r_{n+1})``: level n + 1 to level n.

        Raises
        ------
        ValueError
            For an unknown approach.
        """
        if approach not in APPROACHES:
            raise ValueError(f"approach: unknown coherent approach {approach!r}; choose from {', '.join(APPROACHES)}")
        layout, batch = self.layout, energies[0].shape[0]
        sizes = layout.level_sizes
        diagonal = [np.zeros((batch, r, r)) for r in sizes]
        up = [np.zeros((batch, b, a)) for a, b in zip(sizes, sizes[1:])]
        down = [np.zeros((batch, a, b)) for a, b in zip(sizes, sizes[1:])]
        same = []  # per sector: the complex block to itself, the Hamiltonian's part first
        for e in energies:
            d = e.shape[1]
            block = np.zeros((batch, d * d, d * d), dtype=complex)
            index = np.arange(d * d)
            block[:, index, index] = -1j * (e[:, :, None] - e[:, None, :]).reshape(batch, -1)
            same.append(block)
        build = {"lindblad": _lindblad_terms, "redfield": _redfield_terms, "1vn": _neumann_terms}[approach]
        sectors = layout.sectors
        gains: dict[tuple[int, int], list[np.ndarray]] = {}  # (lower, upper) -> [in, out], complex
        for term in terms:
            lower, upper = term.link.lower, term.link.upper
            gain_up, gain_down, x_upper, x_lower = build(term)
            m_upper, m_lower = sectors[upper].size, sectors[lower].size
            gain_up = gain_up.reshape(batch, m_upper**2, m_lower**2)
            gain_down = gain_down.reshape(batch, m_lower**2, m_upper**2)
            if (lower, upper) in gains:
                gains[lower, upper][0] += gain_up
                gains[lower, upper][1] += gain_down
            else:
                gains[lower, upper] = [gain_up, gain_down]
            _add_spectator_terms(same[upper], x_upper)
            _add_spectator_terms(same[lower], x_lower)
        for (lower, upper), (gain_up, gain_down) in gains.items():
            n = layout.level_of[lower]
            rows, columns = layout.place(upper), layout.place(lower)
            up[n][:, rows, columns] = sectors[upper].real_block(gain_up, sectors[lower])
            down[n][:, columns, rows] = sectors[lower].real_block(gain_down, sectors[upper])
        for k, block in enumerate(same):
            place = layout.place(k)
            diagonal[layout.level_of[k]][:, place, place] = sectors[k].real_block(block, sectors[k])
        return diagonal, up, down

    def steady_state(
        self, diagonal: list[np.ndarray], up: list[np.ndarray], down: list[np.ndarray]
    ) -> list[np.ndarray]:
        """Steady density matrices (trace one) by block elimination down the charge levels.

        With ``S_n`` the kernel censored on the levels >= n (``S_top`` its diagonal block), the
        parameters of level n are ``x_n = X_n x_{n-1}``, ``X_n = -S_n^{-1} up[n-1]``, and
        ``S_{n-1} = diagonal[n-1] + down[n-1] X_n``; the lowest level (the empty dot, one
        population) is then 1 before the normalization.  Cost: one LU of each level's block
        (``r_n = sum d_s^2`` over its sectors), not of the whole Liouville space.  Where a
        level block is singular (a level nothing leaves, e.g. at T = 0), the whole kernel is
        solved densely with one equation replaced by ``Tr rho = 1``.

        Parameters
        ----------
        diagonal, up, down : list of numpy.ndarray
            From :meth:`level_blocks`.

        Returns
        -------
        list of numpy.ndarray
            Per sector, its density-matrix block ``(batch, d_s, d_s)`` complex.

        Raises
        ------
        NonUniqueSteadyState
            Where the kernel has more than one steady state (its ``indices`` give the points of
            the chunk).
        """
        layout = self.layout
        try:
            levels = _eliminated(diagonal, up, down, layout.trace_rows()[0])
        except np.linalg.LinAlgError:
            levels = _dense(diagonal, up, down, layout)
        total = sum(levels[n] @ row for n, row in enumerate(layout.trace_rows()))
        return [
            layout.sectors[k].matrix(levels[layout.level_of[k]][:, layout.place(k)] / total[:, None])
            for k in range(len(layout.sectors))
        ]


def _eliminated(diagonal, up, down, lowest_trace: np.ndarray) -> list[np.ndarray]:
    """Level parameters (unnormalized) by elimination from the top level down."""
    levels, batch = len(diagonal), diagonal[0].shape[0]
    transfer: list[np.ndarray] = [np.empty(0)] * levels
    censored = diagonal[-1]
    for n in range(levels - 1, 0, -1):
        transfer[n] = -np.linalg.solve(censored, up[n - 1])
        censored = diagonal[n - 1] + down[n - 1] @ transfer[n]
    if censored.shape[-1] == 1:
        lowest = np.ones((batch, 1))
    else:
        censored = censored.copy()
        censored[:, 0, :] = lowest_trace
        rhs = np.zeros((censored.shape[-1], 1))
        rhs[0, 0] = 1.0
        lowest = np.linalg.solve(censored, rhs)[..., 0]
    result = [lowest]
    for n in range(1, levels):
        result.append((transfer[n] @ result[-1][..., None])[..., 0])
    return result


def _dense(diagonal, up, down, layout: DensityLayout) -> list[np.ndarray]:
    """Level parameters of the whole kernel solved at once, the first equation replaced by the trace."""
    sizes, batch = layout.level_sizes, diagonal[0].shape[0]
    starts = np.cumsum((0,) + sizes)
    kernel = np.zeros((batch, layout.size, layout.size))
    for n, block in enumerate(diagonal):
        kernel[:, starts[n] : starts[n + 1], starts[n] : starts[n + 1]] = block
    for n, (u, d) in enumerate(zip(up, down)):
        kernel[:, starts[n + 1] : starts[n + 2], starts[n] : starts[n + 1]] = u
        kernel[:, starts[n] : starts[n + 1], starts[n + 1] : starts[n + 2]] = d
    kernel[:, 0, :] = np.concatenate(layout.trace_rows())  # the first population's equation follows
    rhs = np.zeros((layout.size, 1))
    rhs[0, 0] = 1.0
    try:
        parameters = np.linalg.solve(kernel, rhs)[..., 0]
    except np.linalg.LinAlgError:
        singular = np.linalg.cond(kernel) > 1 / np.finfo(float).eps
        bad = [(int(i),) for i in np.flatnonzero(singular)]
        raise NonUniqueSteadyState(
            f"the coherent steady state is not unique at {len(bad)} point(s) of this chunk: "
            "the couplings there split the density matrix into disconnected parts",
            indices=bad,
        ) from None
    return [parameters[:, starts[n] : starts[n + 1]] for n in range(len(sizes))]


def _add_spectator_terms(block: np.ndarray, x: np.ndarray) -> None:
    """Add ``d rho_pq/dt = -i sum_r X[p, r; q] rho_rq + i sum_r conj(X[q, r; p]) rho_pr`` to a
    sector's complex block ``(batch, d^2, d^2)`` (row-major elements)."""
    d = x.shape[1]
    p, q, r = np.ogrid[:d, :d, :d]
    block[:, p * d + q, r * d + q] += -1j * np.swapaxes(x, 2, 3)
    block[:, p * d + q, p * d + r] += 1j * np.conj(np.moveaxis(x, 3, 1))


def _batched(array: np.ndarray, grid: tuple[int, ...], trailing: tuple[int, ...]) -> np.ndarray:
    """``array`` broadcast to ``grid + trailing`` with the grid axes flattened into one batch axis."""
    return np.broadcast_to(array, grid + trailing).reshape((math.prod(grid),) + trailing)


# Per approach: the four parts of one link's kernel, from QmeQ's generate_coupling_terms with
# b, b' upper states, a, a' lower states (z the batch axis):
#   gain_up[z, b, b', a, a']   d rho_bb'/dt from rho_aa'   (an electron in)
#   gain_down[z, a, a', b, b'] d rho_aa'/dt from rho_bb'   (an electron out)
#   x_upper[z, i, j, k]        X of the upper sector: d rho_ik/dt -= i X[i, j; k] rho_jk (+ h.c. term)
#   x_lower[z, i, j, k]        X of the lower sector
def _neumann_terms(term: LinkTerms):
    t, f0, f1 = term.amplitude, term.particle, term.hole
    tc = np.conj(t)
    t_ = np.swapaxes(t, 1, 2)  # [a, b]
    tc_ = np.swapaxes(tc, 1, 2)
    gain_up = (
        -1j
        * t[:, :, None, :, None]
        * tc[:, None, :, None, :]
        * (np.conj(f0)[:, None, :, :, None] - f0[:, :, None, None, :])
    )
    f1_ = np.swapaxes(f1, 1, 2)  # [a, b]
    gain_down = (
        -1j
        * tc_[:, :, None, :, None]
        * t_[:, None, :, None, :]
        * (f1_[:, None, :, :, None] - np.conj(f1_)[:, :, None, None, :])
    )
    x_upper = np.einsum("zia,zja,zka->zijk", t, tc, np.conj(f1))
    x_lower = np.einsum("zbi,zbj,zbk->zijk", tc, t, f0)
    return gain_up, gain_down, x_upper, x_lower


def _redfield_terms(term: LinkTerms):
    t, f0, f1 = term.amplitude, term.particle, term.hole
    tc, tf0, tf1 = np.conj(t), t * f0, t * f1
    gain_up = -1j * (
        t[:, :, None, :, None] * np.conj(tf0)[:, None, :, None, :] - tf0[:, :, None, :, None] * tc[:, None, :, None, :]
    )
    tc_, t_, tf1_ = (np.swapaxes(a, 1, 2) for a in (tc, t, tf1))
    gain_down = -1j * (
        tc_[:, :, None, :, None] * tf1_[:, None, :, None, :]
        - np.conj(tf1_)[:, :, None, :, None] * t_[:, None, :, None, :]
    )
    x_upper = t @ np.conj(np.swapaxes(tf1, 1, 2))
    x_lower = np.conj(np.swapaxes(t, 1, 2)) @ tf0
    return gain_up, gain_down, _spectator(x_upper), _spectator(x_lower)


def _lindblad_terms(term: LinkTerms):
    entering, leaving = term.jumps
    gain_up = entering[:, :, None, :, None] * np.conj(entering)[:, None, :, None, :]
    out_ = np.swapaxes(leaving, 1, 2)
    gain_down = np.conj(out_)[:, :, None, :, None] * out_[:, None, :, None, :]
    x_upper = -0.5j * (leaving @ np.conj(np.swapaxes(leaving, 1, 2)))
    x_lower = -0.5j * (np.conj(np.swapaxes(entering, 1, 2)) @ entering)
    return gain_up, gain_down, _spectator(x_upper), _spectator(x_lower)


def _spectator(x: np.ndarray) -> np.ndarray:
    """``X[i, j]`` as ``X[i, j; k]`` for every k (Redfield and Lindblad: no dependence on k)."""
    return np.broadcast_to(x[..., None], x.shape + (x.shape[-1],))
