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
the real form of ``L rho = 0`` (``rho`` Hermitian: ``M`` real unknowns, the diagonal and the real
and imaginary parts above it) with one equation replaced by ``Tr rho = 1``, one batched LAPACK
solve over the grid points of a chunk.
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


class DensityLayout:
    """Where each element of a sector-block-diagonal density matrix sits.

    The complex vector ``rho`` holds sector after sector, each block row-major
    (``offsets[s] + b * d_s + b'``).  The real parameters are the diagonals (sector order), then
    the real parts of the elements above the diagonals, then their imaginary parts.

    Parameters
    ----------
    sizes : sequence of int
        The dimension ``d_s`` of each sector.

    Attributes
    ----------
    sizes : tuple of int
        As given.
    offsets : tuple of int
        The position of each sector's block in the complex vector.
    size : int
        ``M = sum_s d_s^2``, the number of complex elements (and of real parameters).
    diagonal : numpy.ndarray
        Positions of the diagonal elements in the complex vector, sector by sector.

    Examples
    --------
    >>> layout = DensityLayout([1, 2])
    >>> layout.size, layout.diagonal.tolist()
    (5, [0, 1, 4])
    """

    def __init__(self, sizes):
        self.sizes = tuple(int(d) for d in sizes)
        self.offsets = tuple(int(o) for o in np.cumsum([0] + [d * d for d in self.sizes])[:-1])
        self.size = sum(d * d for d in self.sizes)
        diagonal, upper, lower = [], [], []
        for offset, d in zip(self.offsets, self.sizes):
            rows, columns = np.triu_indices(d, 1)
            diagonal.append(offset + np.arange(d) * (d + 1))
            upper.append(offset + rows * d + columns)
            lower.append(offset + columns * d + rows)
        self.diagonal = np.concatenate(diagonal)
        self._upper, self._lower = np.concatenate(upper), np.concatenate(lower)
        pairs = len(self._upper)
        # parameter p reads element first[p] (row gather); its column is cA L[:, first] + cB L[:, second]
        self._first = np.concatenate([self.diagonal, self._upper, self._upper])
        self._second = np.concatenate([self.diagonal, self._lower, self._lower])
        ones, zeros = np.ones(len(self.diagonal)), np.zeros(len(self.diagonal))
        self._first_weight = np.concatenate([ones, np.ones(pairs), np.full(pairs, 1j)])
        self._second_weight = np.concatenate([zeros, np.ones(pairs), np.full(pairs, -1j)])
        self._row_weight = np.concatenate([ones, np.ones(pairs), np.full(pairs, -1j)])  # Re z, Re z, Im z

    def block(self, sector: int) -> slice:
        """The slice of the complex vector that holds one sector's block.

        Parameters
        ----------
        sector : int
            The sector's index.

        Returns
        -------
        slice
            ``offsets[s] : offsets[s] + d_s^2``.
        """
        return slice(self.offsets[sector], self.offsets[sector] + self.sizes[sector] ** 2)

    def real_kernel(self, liouvillian: np.ndarray) -> np.ndarray:
        """The real form of a Hermiticity-preserving Liouvillian, on the real parameters.

        Parameters
        ----------
        liouvillian : numpy.ndarray
            ``(batch, M, M)`` complex, acting on the complex vector.

        Returns
        -------
        numpy.ndarray
            ``(batch, M, M)`` real: ``d r/dt = K r`` for the real parameters ``r``.
        """
        rows = liouvillian[:, self._first, :]
        columns = rows[:, :, self._first] * self._first_weight + rows[:, :, self._second] * self._second_weight
        columns *= self._row_weight[:, None]
        return np.ascontiguousarray(columns.real)

    def density_vector(self, parameters: np.ndarray) -> np.ndarray:
        """The complex vector of density matrices from their real parameters.

        Parameters
        ----------
        parameters : numpy.ndarray
            ``(batch, M)`` real.

        Returns
        -------
        numpy.ndarray
            ``(batch, M)`` complex.
        """
        n, pairs = len(self.diagonal), len(self._upper)
        rho = np.empty(parameters.shape, dtype=complex)
        rho[:, self.diagonal] = parameters[:, :n]
        above = parameters[:, n : n + pairs] + 1j * parameters[:, n + pairs :]
        rho[:, self._upper] = above
        rho[:, self._lower] = np.conj(above)
        return rho

    def trace_row(self) -> np.ndarray:
        """The row ``Tr rho`` on the real parameters (ones at the diagonals).

        Returns
        -------
        numpy.ndarray
            ``(M,)``.
        """
        row = np.zeros(self.size)
        row[: len(self.diagonal)] = 1.0
        return row


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
    layout : DensityLayout
        Where the density-matrix elements sit.
    """

    def __init__(self, blocks: TransportBlocks):
        self.blocks = blocks
        self.layout = DensityLayout([len(plan.states) for plan in blocks.sectors])

    def work_per_point(self) -> int:
        """Numbers held per grid point while a chunk is solved.

        Returns
        -------
        int
            The complex Liouvillian and its row gather (two M x M complex arrays), the real
            kernel and LAPACK's copy of it, plus the link terms (four-index blocks).
        """
        size = self.layout.size
        sizes = [len(plan.states) for plan in self.blocks.sectors]
        links = sum(2 * (sizes[k.lower] * sizes[k.upper]) ** 2 + 2 * sizes[k.upper] ** 3 for k in self.blocks.links)
        return 6 * size * size + 2 * links

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

    def liouvillian(self, terms: list[LinkTerms], energies: list[np.ndarray], *, approach: str) -> np.ndarray:
        """The complex Liouvillian of one chunk.

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
        numpy.ndarray
            ``(batch, M, M)`` complex, ``d rho/dt = L rho`` on the complex vector.

        Raises
        ------
        ValueError
            For an unknown approach.
        """
        if approach not in APPROACHES:
            raise ValueError(f"approach: unknown coherent approach {approach!r}; choose from {', '.join(APPROACHES)}")
        layout, batch = self.layout, energies[0].shape[0]
        kernel = np.zeros((batch, layout.size, layout.size), dtype=complex)
        same = [np.zeros((batch, d, d, d), dtype=complex) for d in layout.sizes]  # X[i, j; k] per sector
        for sector, e in enumerate(energies):
            index = np.arange(layout.block(sector).start, layout.block(sector).stop)
            kernel[:, index, index] = -1j * (e[:, :, None] - e[:, None, :]).reshape(batch, -1)
        build = {"lindblad": _lindblad_terms, "redfield": _redfield_terms, "1vn": _neumann_terms}[approach]
        for term in terms:
            lower, upper = term.link.lower, term.link.upper
            gain_up, gain_down, x_upper, x_lower = build(term)
            m_upper, m_lower = layout.sizes[upper], layout.sizes[lower]
            kernel[:, layout.block(upper), layout.block(lower)] += gain_up.reshape(batch, m_upper**2, m_lower**2)
            kernel[:, layout.block(lower), layout.block(upper)] += gain_down.reshape(batch, m_lower**2, m_upper**2)
            same[upper] += x_upper
            same[lower] += x_lower
        for sector, x in enumerate(same):
            d, offset = layout.sizes[sector], layout.offsets[sector]
            p, q, r = np.ogrid[:d, :d, :d]
            # d rho_pq/dt -= i sum_r X[p, r; q] rho_rq  and  += i sum_r conj(X[q, r; p]) rho_pr
            kernel[:, offset + p * d + q, offset + r * d + q] += -1j * np.swapaxes(x, 2, 3)
            kernel[:, offset + p * d + q, offset + p * d + r] += 1j * np.conj(np.moveaxis(x, 3, 1))
        return kernel

    def steady_state(self, kernel: np.ndarray) -> np.ndarray:
        """Steady density matrices (trace one) of a chunk's Liouvillians.

        Parameters
        ----------
        kernel : numpy.ndarray
            ``(batch, M, M)`` complex, from :meth:`liouvillian`.

        Returns
        -------
        numpy.ndarray
            ``(batch, M)`` complex: each point's density matrix as the complex vector.

        Raises
        ------
        NonUniqueSteadyState
            Where the kernel has more than one steady state (its ``indices`` give the points
            of the chunk).
        """
        layout = self.layout
        real = layout.real_kernel(kernel)
        real[:, 0, :] = layout.trace_row()  # the first diagonal's equation follows from the others
        rhs = np.zeros((layout.size, 1))
        rhs[0, 0] = 1.0
        try:
            parameters = np.linalg.solve(real, rhs)[..., 0]
        except np.linalg.LinAlgError:
            singular = np.linalg.cond(real) > 1 / np.finfo(float).eps
            bad = [(int(i),) for i in np.flatnonzero(singular)]
            raise NonUniqueSteadyState(
                f"the coherent steady state is not unique at {len(bad)} point(s) of this chunk: "
                "the couplings there split the density matrix into disconnected parts",
                indices=bad,
            ) from None
        return layout.density_vector(parameters)


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
