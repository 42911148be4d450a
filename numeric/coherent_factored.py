"""The coherent kernels of one eigensystem as sparse matrices times the lead factors of each point.

On a grid along which the Hamiltonian does not change (a bias sweep: one eigensystem for every
point), every entry of the real Liouvillian of :mod:`~symbolic_pme.numeric.coherent` and every
lead's current is a sum of *terms* ``c T^(*)[a] T^(*)[b] W`` (the formulas of the module
docstrings of :mod:`~symbolic_pme.numeric.coherent` and
:mod:`~symbolic_pme.numeric.coherent_currents`): a number ``c``, two tunnelling amplitudes of one
link (fixed by the eigensystem) and a lead-factor *monomial* ``W`` that changes from point to
point: ``u = pi f + i PV0`` or ``v = pi (1 - f) - i PV1`` of one transition, or its conjugate
(Redfield, 1vN), or ``s_a s_b`` with ``s = sqrt(2 Re w)`` (Lindblad's jump amplitudes).  So, per
eigensystem, the Liouvillian's entries are one sparse matrix ``B`` times the vector ``Phi`` of
the real parts of the monomials (and a one, for ``-i [H, rho]``), and each lead's current is
``sum_k Phi_k (C_k . x)`` over its monomials, ``x`` the real parameters of the steady state.

:class:`FactoredTerms` lists the terms once per model and kind (approach, real or complex
sources); :meth:`FactoredTerms.matrices` sums them into ``B`` and ``C`` from an eigensystem's
amplitudes (a few vectorized calls, once per bias sweep); a chunk of points then costs one
sparse product for its kernels and one for its currents, instead of the tensor products per
group of :class:`~symbolic_pme.numeric.coherent.CoherentKernel`.

Transitions are numbered by their place in the groups' zero-padded amplitude arrays
(:class:`~symbolic_pme.numeric.coherent.GroupTerms`, ``(G, L, m_upper, m_lower)`` each, one
group after the other): those arrays raveled are the amplitudes ``T``, transition energies and
lead factors ``u``, ``v`` the terms index.  Units and signs as in ``docs/conventions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.sparse import csr_array

from .coherent_layout import DensityLayout, _expand
from .loops import compiled_loops

__all__ = ["FactoredMatrices", "FactoredTerms"]

#: The columns of a term list.
_KERNEL_COLUMNS = ("target", "source", "p", "q", "r", "s", "first", "second", "coefficient", "monomial")
_CURRENT_COLUMNS = ("sector", "i", "j", "first", "second", "coefficient", "monomial", "energy")


@dataclass(frozen=True)
class FactoredMatrices:
    """The sparse matrices of one eigensystem (:meth:`FactoredTerms.matrices`).

    Attributes
    ----------
    kernel : scipy.sparse.csr_array
        ``(M^2, monomials + 1)``: the entries of the row-major ``M x M`` Liouvillian (rows that
        are zero by structure are empty) from the monomials and a one (the last column,
        ``-i [H, rho]``); its product with the monomials of a chunk is the chunk's kernels.
    currents : scipy.sparse.csr_array
        ``(2 current_monomials, 2 sum_s d_s^2)``: row k gives the functional of the flat
        densities (as float64, real and imaginary parts side by side) that monomial k multiplies
        in the particle currents, row ``current_monomials + k`` in the energy currents.
    """

    kernel: csr_array
    currents: csr_array


class _TermList:
    """Columns of term arrays, appended batch by batch."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._parts: dict[str, list[np.ndarray]] = {name: [] for name in names}

    def add(self, **columns) -> None:
        size = max(np.size(v) for v in columns.values())
        for name, value in columns.items():
            self._parts[name].append(np.broadcast_to(np.asarray(value), (size,)).ravel())

    def joined(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in self._parts.items()}


class FactoredTerms:
    """The terms of one approach's Liouvillian and currents, listed once per model and kind.

    Parameters
    ----------
    layout : DensityLayout
        Where the real parameters sit (the kernel is the dense ``M x M`` one, row-major).
    groups : sequence of PairGroup
        The stacked sector pairs.
    group_leads, group_spins : sequence of numpy.ndarray
        Per group, the lead of each of its links and the S_z an electron in through it carries,
        ``(G, L)`` each.
    leads : int
        The number of leads.
    approach : {"lindblad", "redfield", "1vn"}
        The kernel.
    complex_sources : bool
        Whether amplitudes or lead factors are complex (real and imaginary parts are then kept
        apart); else only real parts are listed.

    Attributes
    ----------
    transitions : int
        The entries of the padded amplitude arrays, in all.
    monomials : int
        The real monomials: ``Re u, Re v`` of every transition (and ``Im u, Im v`` with complex
        sources, interleaved), or Lindblad's products ``s_a s_b`` that occur.
    current_monomials : int
        The first monomials, those the currents take (all but Lindblad's products that only
        the kernel has).
    lead_count : int
        The leads.
    monomial_leads, monomial_spins : numpy.ndarray
        ``(current_monomials,)``: the lead (int32) of each current monomial and the S_z of its
        link there (for the spin currents); :attr:`leads` and :attr:`spins` are the same as
        ``(current_monomials, lead_count)`` matrices.
    """

    def __init__(
        self,
        layout: DensityLayout,
        groups,
        group_leads,
        group_spins,
        *,
        leads: int,
        approach: str,
        complex_sources: bool,
    ) -> None:
        self.layout, self.approach, self.complex = layout, approach, complex_sources
        sizes = [g.pairs * g.links.shape[1] * g.m_upper * g.m_lower for g in groups]
        self.transitions = n = int(sum(sizes))
        kernel, current = _TermList(_KERNEL_COLUMNS), _TermList(_CURRENT_COLUMNS)
        lead_of, spin_of = np.zeros(n, dtype=np.int64), np.zeros(n)
        start = 0
        for group, size, link_leads, link_spins in zip(groups, sizes, group_leads, group_spins):
            block, links = group.m_upper * group.m_lower, group.links.shape[1]
            for g, link in np.ndindex(group.links.shape):
                base = start + (g * links + link) * block
                lead_of[base : base + block], spin_of[base : base + block] = link_leads[g, link], link_spins[g, link]
                sectors = (
                    int(group.upper[g]),
                    int(group.lower[g]),
                    int(group.upper_sizes[g]),
                    int(group.lower_sizes[g]),
                )
                for direction in range(2):
                    self._kernel_terms(kernel, base, group.m_lower, *sectors, direction=direction)
                self._current_terms(current, base, group.m_lower, *sectors)
            start += size
        kernel, current = kernel.joined(), current.joined()
        self._number_monomials(kernel, current, lead_of, spin_of, leads)
        self._kernel_slots(kernel)
        self._current_slots(current)

    # ----------------------------------------------------------------------------- the terms
    def _kernel_terms(self, terms, base, m_lower, upper, lower, d_u, d_l, *, direction):
        """The gain and loss terms of one link and direction (0: an electron in, 1: out)."""
        if direction == 0:  # target the upper sector (x), source the lower one (y): P = T, w = u
            target, source, d_x, d_y, which, conjugated = upper, lower, d_u, d_l, 0, False

            def tau(x, y):
                return base + x * m_lower + y
        else:  # target the lower sector, source the upper one: P[a, b] = conj(T[b, a]), w = conj(v[b, a])
            target, source, d_x, d_y, which, conjugated = lower, upper, d_l, d_u, 1, True

            def tau(x, y):
                return base + y * m_lower + x

        lindblad, redfield = self.approach == "lindblad", self.approach == "redfield"
        # gains: target (x, x') <- source (y, y'), P[x y] conj(P[x' y']) W
        x, y, x_, y_ = (a.ravel() for a in np.indices((d_x, d_y, d_x, d_y)))
        common = dict(
            target=target,
            source=source,
            p=x,
            q=x_,
            r=y,
            s=y_,
            first=self._amplitude(tau(x, y), conjugated),
            second=self._amplitude(tau(x_, y_), not conjugated),
        )
        if lindblad:  # J (x) conj(J), J = s o P
            terms.add(**common, coefficient=1.0, monomial=self._pair(which, tau(x, y), tau(x_, y_)))
        else:  # Redfield: w[x y] + conj(w[x' y']); 1vN: w[x y'] + conj(w[x' y])
            first, second = (tau(x, y), tau(x_, y_)) if redfield else (tau(x, y_), tau(x_, y))
            terms.add(**common, coefficient=1.0, monomial=self._factor(which, first, conjugated))
            terms.add(**common, coefficient=1.0, monomial=self._factor(which, second, not conjugated))
        # losses on the source sector, x over the target:
        #   (p, q) <- (r, q) by loss[p, r, q] = -sum_x conj(P[x p]) P[x r] w[x, r (Redfield) or q (1vN)]
        #   (p, q) <- (p, r) by conj(loss[q, r, p]) = -sum_x P[x q] conj(P[x r]) conj(w[x, r or p])
        # (Lindblad: -1/2 J^+ J, with s[x p] s[x r] and s[x q] s[x r])
        x, p, r, q = (a.ravel() for a in np.indices((d_x, d_y, d_y, d_y)))
        scale = -0.5 if lindblad else -1.0
        for conjugate_loss in (False, True):
            outer, inner, (r_, s_) = (q, p, (p, r)) if conjugate_loss else (p, q, (r, q))
            common = dict(
                target=source,
                source=source,
                p=p,
                q=q,
                r=r_,
                s=s_,
                first=self._amplitude(tau(x, outer), conjugated == conjugate_loss),
                second=self._amplitude(tau(x, r), conjugated != conjugate_loss),
            )
            if lindblad:
                terms.add(**common, coefficient=scale, monomial=self._pair(which, tau(x, outer), tau(x, r)))
            else:
                at = tau(x, r) if redfield else tau(x, inner)
                terms.add(**common, coefficient=scale, monomial=self._factor(which, at, conjugated != conjugate_loss))

    def _current_terms(self, terms, base, m_lower, upper, lower, d_u, d_l):
        """The particle-current terms of one link (energy currents weigh each by ``E[energy]``)."""

        def tau(x, y):
            return base + x * m_lower + y

        lindblad, neumann = self.approach == "lindblad", self.approach == "1vn"
        # an electron in, from the lower sector: conj(T[x y]) T[x y'] W rho_l[y', y]
        x, y, y_ = (a.ravel() for a in np.indices((d_u, d_l, d_l)))
        common = dict(
            sector=lower, i=y_, j=y, first=self._amplitude(tau(x, y), True), second=self._amplitude(tau(x, y_), False)
        )
        if lindblad:
            terms.add(**common, coefficient=1.0, monomial=self._pair(0, tau(x, y), tau(x, y_)), energy=tau(x, y))
        else:
            at = tau(x, y) if neumann else tau(x, y_)
            terms.add(**common, coefficient=2.0, monomial=self._factor(0, at, False), energy=at)
        # an electron out, from the upper sector: -conj(T[x y]) T[x' y] W rho_u[x, x']
        x, x_, y = (a.ravel() for a in np.indices((d_u, d_u, d_l)))
        common = dict(
            sector=upper, i=x, j=x_, first=self._amplitude(tau(x, y), True), second=self._amplitude(tau(x_, y), False)
        )
        if lindblad:
            terms.add(**common, coefficient=-1.0, monomial=self._pair(1, tau(x, y), tau(x_, y)), energy=tau(x, y))
        else:
            at = tau(x, y) if neumann else tau(x_, y)
            terms.add(**common, coefficient=-2.0, monomial=self._factor(1, at, False), energy=at)

    def _amplitude(self, tau: np.ndarray, conjugate: bool) -> np.ndarray:
        """Index into ``(T, conj(T))`` side by side."""
        return tau + (self.transitions if conjugate else 0)

    def _factor(self, which: int, tau: np.ndarray, conjugate: bool) -> np.ndarray:
        """Key of a linear monomial, ``2 (which n + tau) + conjugate`` (which 0: u, 1: v)."""
        return 2 * (which * self.transitions + tau) + int(conjugate)

    def _pair(self, which: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Key of a Lindblad monomial ``s_a s_b`` (symmetric in a and b)."""
        n = self.transitions
        return (which * n + np.minimum(a, b)) * n + np.maximum(a, b)

    # ----------------------------------------------------------------------------- numbering
    def _number_monomials(self, kernel, current, lead_of, spin_of, leads) -> None:
        """The real monomial columns, those of the currents first, and each current monomial's lead and spin."""
        n = self.transitions
        if self.approach == "lindblad":
            # the currents take 1040 of the 2480 products s_a s_b of a 16-state model: kept first,
            # their rows of the monomials are a slice
            in_currents = np.unique(current["monomial"])
            self._pairs = np.concatenate([in_currents, np.setdiff1d(kernel["monomial"], in_currents)])
            self._pair_order = np.argsort(self._pairs)
            #: Lindblad: ``which * 2n + a`` and ``which * 2n + b`` of each monomial s_a s_b, into (s_u, s_v).
            which, a, b = self._pairs // (n * n), (self._pairs // n) % n, self._pairs % n
            self.pair_factors = ((which * n + a).astype(np.int32), (which * n + b).astype(np.int32))
            self.monomials, self.current_monomials = len(self._pairs), len(in_currents)
            transition = a[: self.current_monomials]
        else:
            self._pairs = None
            per = 2 if self.complex else 1
            transition = np.repeat(np.tile(np.arange(n), 2), per)
            self.monomials = self.current_monomials = len(transition)
        self.lead_count = leads
        self.monomial_leads = np.asarray(lead_of[transition], dtype=np.int32)
        self.monomial_spins = np.asarray(spin_of[transition], dtype=float)

    @cached_property
    def leads(self) -> np.ndarray:
        """``(current_monomials, lead_count)``: 1 where a monomial belongs to a lead."""
        leads = np.zeros((self.current_monomials, self.lead_count))
        leads[np.arange(self.current_monomials), self.monomial_leads] = 1.0
        return leads

    @cached_property
    def spins(self) -> np.ndarray:
        """``(current_monomials, lead_count)``: the S_z of a monomial's link at its lead."""
        return self.leads * self.monomial_spins[:, None]

    def _columns(self, keys: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The column of each monomial's real (part 0) or imaginary (part 1) part, and its sign."""
        if self.approach == "lindblad":
            order = self._pair_order
            return order[np.searchsorted(self._pairs[order], keys)], np.ones(len(keys))
        slot, conjugate = keys // 2, keys % 2
        if not self.complex:
            return slot, np.ones(len(keys))
        return 2 * slot + part, np.where((part == 1) & (conjugate == 1), -1.0, 1.0)

    def _parts(self, terms, which, imaginary, signs):
        """Sub-terms ``coefficient part(T T) Phi[column]`` of ``Re z`` or ``Im z`` of the terms ``which``.

        ``Re z = c (Re TT Re W - Im TT Im W)``, ``Im z = c (Im TT Re W + Re TT Im W)``; real
        sources have only ``Re z = c TT W``.

        Returns
        -------
        picked : numpy.ndarray
            Index into ``which`` of each sub-term.
        product : numpy.ndarray
            Index into the products ``T T`` (as float64, real and imaginary parts side by side
            for complex sources).
        column, coefficient : numpy.ndarray
        """
        coefficient = terms["coefficient"][which] * signs
        options = (
            ((0, 0, 1.0, False),)
            if not self.complex
            else ((0, 0, 1.0, False), (1, 1, -1.0, False), (1, 0, 1.0, True), (0, 1, 1.0, True))
        )
        picked, product, columns, coefficients = [], [], [], []
        for tt_part, w_part, factor, of_imaginary in options:
            if w_part == 1 and self.approach == "lindblad":
                continue  # s_a s_b is real
            chosen = np.flatnonzero(imaginary == of_imaginary)
            column, sign = self._columns(terms["monomial"][which[chosen]], np.full(len(chosen), w_part))
            picked.append(chosen)
            product.append(2 * which[chosen] + tt_part if self.complex else which[chosen])
            columns.append(column)
            coefficients.append(coefficient[chosen] * sign * factor)
        return tuple(np.concatenate(a) for a in (picked, product, columns, coefficients))

    def _kernel_slots(self, kernel) -> None:
        """Real entries of the kernel terms (rows p <= q), summed into the slots of ``B``."""
        layout, sectors = self.layout, self.layout.sectors
        pairs = kernel["target"] * len(sectors) + kernel["source"]
        positions, which, imaginary, signs = [], [], [], []
        for key in np.unique(pairs):
            members = np.flatnonzero(pairs == key)
            t, s = divmod(int(key), len(sectors))
            p, q, r, s_ = (kernel[k][members] for k in ("p", "q", "r", "s"))
            row, col, elem, imag, coeff = _expand(
                p, q, r, s_, members, np.zeros(len(members), bool), sectors[t], sectors[s]
            )
            positions.append(layout.index[t][row] * layout.size + layout.index[s][col])
            which.append(elem)
            imaginary.append(imag)
            signs.append(coeff)
        positions, which, imaginary, signs = map(np.concatenate, (positions, which, imaginary, signs))
        picked, product, column, coefficient = self._parts(kernel, which, imaginary, signs)
        # -i [H, rho]: d Re rho_pq/dt = (E_p - E_q) Im rho_pq, d Im rho_pq/dt = -(E_p - E_q) Re rho_pq
        offsets = np.cumsum([0] + [s.size for s in sectors])
        h_positions, h_signs, h_p, h_q = [], [], [], []
        for k, sector in enumerate(sectors):
            p, q = np.triu_indices(sector.size, 1)
            re, im = layout.index[k][sector.real_index[p, q]], layout.index[k][sector.imaginary_index[p, q]]
            for a, b, sign in ((re, im, 1.0), (im, re, -1.0)):
                h_positions.append(a * layout.size + b)
                h_signs.append(np.full(len(p), sign))
                h_p.append(offsets[k] + p)
                h_q.append(offsets[k] + q)
        width = self.monomials + 1
        keys = np.concatenate(
            [positions[picked] * width + column, np.concatenate(h_positions) * width + self.monomials]
        )
        unique, slots = np.unique(keys, return_inverse=True)
        indptr = np.searchsorted(unique // width, np.arange(layout.size**2 + 1))
        self._kernel_matrix = _structure(unique % width, indptr, (layout.size**2, width))
        slots, products = slots.ravel(), len(picked)
        # the sub-terms' slots, then those of -i [H, rho] (added after them, as one bincount would)
        self._kernel_slots_of, self._hamiltonian_slots = slots[:products].astype(np.int32), slots[products:].copy()
        self._kernel_products = self._gathers(kernel, product, coefficient)
        self._hamiltonian = tuple(np.concatenate(a) for a in (h_signs, h_p, h_q))

    def _current_slots(self, current) -> None:
        """``Re(z rho[i, j]) = Re z Re rho - Im z Im rho`` of the current terms on the flat densities
        (as float64: real and imaginary parts side by side), summed into the slots of ``C``."""
        offsets = np.cumsum([0] + [s.size**2 for s in self.layout.sectors])
        sizes = np.array([s.size for s in self.layout.sectors])
        element = offsets[current["sector"]] + current["i"] * sizes[current["sector"]] + current["j"]
        owners = np.arange(len(element))
        if self.complex:
            entries = np.concatenate([2 * element, 2 * element + 1])
            imaginary = np.repeat([False, True], len(element))
            signs = np.repeat([1.0, -1.0], len(element))
            owners = np.concatenate([owners, owners])
        else:
            entries, imaginary, signs = 2 * element, np.zeros(len(element), bool), np.ones(len(element))
        picked, product, column, coefficient = self._parts(current, owners, imaginary, signs)
        width = 2 * int(offsets[-1])
        keys = column * width + entries[picked]
        unique, slots = np.unique(keys, return_inverse=True)
        indptr = np.searchsorted(unique // width, np.arange(self.current_monomials + 1))
        # particle rows, then energy rows: the same entries twice
        self._current_matrix = _structure(
            np.concatenate([unique % width] * 2),
            np.concatenate([indptr, indptr[1:] + indptr[-1]]),
            (2 * self.current_monomials, width),
        )
        self._current_slots_of = slots.ravel()
        self._current_products = self._gathers(current, product, coefficient)
        self._current_energies = current["energy"][owners[picked]]
        self._matrices = FactoredMatrices(self._kernel_matrix, self._current_matrix)

    def _gathers(self, terms, product, coefficient) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
        """Per sub-term: the indices of its two amplitudes into ``(T, conj(T))``, the part of their
        product it takes (complex sources; None for real ones) and its coefficient."""
        if not self.complex:
            first, second = (terms[k][product].astype(np.int32) for k in ("first", "second"))
            return first, second, None, np.ascontiguousarray(coefficient, dtype=float)
        return terms["first"][product // 2], terms["second"][product // 2], product % 2, coefficient

    # ----------------------------------------------------------------------------- per eigensystem
    def matrices(self, amplitudes: np.ndarray, energies: np.ndarray, gaps: np.ndarray) -> FactoredMatrices:
        """``B`` and ``C`` of one eigensystem.

        Parameters
        ----------
        amplitudes : numpy.ndarray
            ``(transitions,)``: the groups' padded amplitudes raveled, real or complex.
        energies : numpy.ndarray
            ``(n_states,)``: every sector's eigenenergies, sector after sector.
        gaps : numpy.ndarray
            ``(transitions,)``: ``E_upper - E_lower`` of each transition.

        Returns
        -------
        FactoredMatrices
            The same object at every call (its data overwritten): the matrices of the last
            eigensystem.
        """
        if self.complex:  # real amplitudes with principal parts too: the products' parts side by side
            amplitudes = amplitudes.astype(complex, copy=False)
        both = np.concatenate([amplitudes, np.conj(amplitudes) if self.complex else amplitudes])
        sign, p, q = self._hamiltonian
        kernel = _weight_sums(both, self._kernel_products, self._kernel_slots_of, len(self._kernel_matrix.data))
        np.add.at(kernel, self._hamiltonian_slots, sign * (energies[p] - energies[q]))
        self._kernel_matrix.data[...] = kernel
        particle = self._weights(both, self._current_products)
        slots, half = self._current_slots_of, self._current_matrix.nnz // 2
        data = self._current_matrix.data
        data[:half] = np.bincount(slots, particle, minlength=half)
        data[half:] = np.bincount(slots, particle * gaps[self._current_energies], minlength=half)
        return self._matrices

    @staticmethod
    def _weights(both: np.ndarray, gathers) -> np.ndarray:
        """``coefficient part(T T)`` of every sub-term."""
        first, second, part, coefficient = gathers
        if part is None and both.dtype == np.float64:
            products = np.empty(len(first))
            pair_products(both[:, None], first, second, products[:, None], coefficient=coefficient)
            return products
        products = np.take(both, first)
        products *= np.take(both, second)
        if part is not None:
            products = products.view(float).reshape(-1, 2)[np.arange(len(part)), part]
        products *= coefficient
        return products

    # ----------------------------------------------------------------------------- per point
    def monomial_values(self, particle: np.ndarray, hole: np.ndarray) -> np.ndarray:
        """The monomials of the points of a chunk, and a one.

        Parameters
        ----------
        particle, hole : numpy.ndarray
            ``(batch, transitions)``: ``u`` and ``v`` of every transition, real or complex.

        Returns
        -------
        numpy.ndarray
            ``(monomials + 1, batch)`` float64, C-contiguous: the monomials along the first axis
            (the operand the sparse products take).
        """
        batch, n = particle.shape
        if self.approach == "lindblad":
            values = np.empty((self.monomials + 1, batch))
            loops = compiled_loops()
            if loops is not None and all(w.dtype == np.float64 and w.flags.c_contiguous for w in (particle, hole)):
                loops.lindblad_monomials(particle, hole, *self.pair_factors, values, n, batch)
                return values
            # written in place: on a 16-state model's sweep the temporaries had cost 60 us of 85
            jumps = np.empty((2 * n, batch))  # s = sqrt(2 Re w), (2n, batch)
            jumps[:n], jumps[n:] = particle.real.T, hole.real.T
            np.multiply(jumps, 2.0, out=jumps)
            np.sqrt(np.maximum(jumps, 0.0, out=jumps), out=jumps)
            pair_products(jumps, *self.pair_factors, values[:-1])
            values[-1] = 1.0
            return values
        values = np.empty((self.monomials + 1, batch))
        if self.complex:  # real and imaginary parts of each factor, one after the other
            for k, factor in enumerate((particle, hole)):
                parts = values[2 * k * n : 2 * (k + 1) * n].reshape(n, 2, batch)
                parts[:, 0], parts[:, 1] = factor.real.T, factor.imag.T
        else:
            values[:n], values[n : 2 * n] = particle.T, hole.T
        values[-1] = 1.0
        return values


def _weight_sums(both: np.ndarray, gathers, slots: np.ndarray, length: int) -> np.ndarray:
    """``sum coefficient part(T T)`` of the sub-terms in each of ``length`` slots."""
    first, second, part, coefficient = gathers
    if part is None and both.dtype == np.float64:
        sums = np.zeros(length)
        pair_products(both[:, None], first, second, sums[:, None], coefficient=coefficient, slots=slots)
        return sums
    return np.bincount(slots, FactoredTerms._weights(both, gathers), minlength=length)


def pair_products(
    values: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    out: np.ndarray,
    *,
    coefficient: np.ndarray | None = None,
    slots: np.ndarray | None = None,
) -> None:
    """Rows' pairwise products: ``out[t] = c[t] values[first[t]] values[second[t]]``, or with ``slots``
    summed, ``out[slots[t]] += ...`` (in the order of t, as ``numpy.bincount`` sums).

    By the compiled loop where it is built (the same arithmetic, without the temporaries of the
    NumPy gathers), else by NumPy.

    Parameters
    ----------
    values : numpy.ndarray
        ``(rows, width)`` float64, C-contiguous.
    first, second : numpy.ndarray
        ``(terms,)`` int32: the rows of each product's factors.
    out : numpy.ndarray
        ``(terms, width)``, or with ``slots`` ``(targets, width)`` (added to), float64 C-contiguous.
    coefficient : numpy.ndarray, optional
        ``(terms,)`` float64; default 1.
    slots : numpy.ndarray, optional
        ``(terms,)`` int32: the row of ``out`` each product is added to.
    """
    loops = compiled_loops()
    if loops is not None:
        none = np.empty(0)
        loops.pair_product_sums(
            values,
            first,
            second,
            none if coefficient is None else coefficient,
            none if slots is None else slots,
            out,
            values.shape[1],
        )
        return
    products = np.take(values, first, axis=0)
    products *= np.take(values, second, axis=0)
    if coefficient is not None:
        products *= coefficient[:, None]
    if slots is None:
        out[...] = products
    else:
        np.add.at(out, slots, products)  # in the order of t, as the compiled loop adds


def _structure(indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]) -> csr_array:
    """A CSR matrix of fixed structure whose data each eigensystem overwrites (zeros until then)."""
    return csr_array((np.zeros(len(indices)), indices.astype(np.int32), indptr.astype(np.int32)), shape=shape)
