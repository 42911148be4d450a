"""Index structures of the coherent kernels, built once per compiled model: where every number goes.

The coherent kernels of :mod:`~symbolic_pme.numeric.coherent` keep a density matrix that is block
diagonal over the sectors (equal charge and, where H conserves it, equal S_z) and solve for its
*real* parameters: per sector of dimension ``d`` the ``d`` populations, then the real parts of the
``d (d - 1)/2`` elements above the diagonal, then their imaginary parts (:class:`SectorParameters`);
the sectors of one charge form a level (:class:`DensityLayout`: the symmetric parameters of all
its sectors, then the antisymmetric ones).

The Liouvillian is assembled per grid point from a few dense *source* tensors (one complex or real
array per group of equally shaped sector pairs and direction, see
:class:`~symbolic_pme.numeric.coherent.CoherentKernel`):

- ``gain[p, y, y']``: ``d rho_t[x, x']/dt = sum_{y, y'} gain[p, y, y'] rho_s[y, y']`` for each
  row pair ``p = (x, x')``, ``x <= x'`` (the others follow by Hermiticity), or for small source
  sectors the whole ``gain[x, y, x', y']``, an electron in (source sector s one charge below the
  target t) or out (s one charge above);
- ``loss[p, r, q]`` (``loss[p, r]`` where it does not depend on q): ``d rho_s[p, q]/dt =
  sum_r loss[p, r, q] rho_s[r, q] + sum_r conj(loss[q, r, p]) rho_s[p, r]`` on the source sector;
- the eigenenergies, for ``-i [H, rho]``.

Every real entry of the Liouvillian's level blocks is a sum of plus or minus the real or
imaginary parts of a few source entries, so the whole real Liouvillian of a point is one sparse
matrix (:class:`LiouvilleMap`, constant per model) times the vector of its sources: no complex
superoperator is formed and converted, and the sums over leads, spin channels and sector pairs
happen inside that one product.  Units and signs as in ``docs/conventions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.sparse import csr_array

__all__ = [
    "WHOLE_GAIN_MAX",
    "DensityLayout",
    "LiouvilleMap",
    "PairGroup",
    "SectorParameters",
    "pair_groups",
    "work_numbers",
]


class SectorParameters:
    """The real parameters of one sector's Hermitian block ``rho`` (``d x d``).

    The ``d^2`` parameters are the diagonal, then the real parts of the elements above it (in the
    order of ``numpy.triu_indices(d, 1)``), then their imaginary parts.

    Parameters
    ----------
    size : int
        The sector's dimension d.

    Attributes
    ----------
    real_index : numpy.ndarray
        ``(d, d)`` int: the parameter of ``Re rho[p, q]`` for ``p <= q`` (the population for
        ``p = q``), -1 below the diagonal.
    imaginary_index : numpy.ndarray
        ``(d, d)`` int: the parameter of ``Im rho[p, q]`` for ``p < q``, -1 elsewhere.

    Examples
    --------
    >>> sector = SectorParameters(2)  # rho = [[x0, x2 + i x3], [x2 - i x3, x1]]
    >>> sector.real_index.tolist(), sector.imaginary_index.tolist()
    ([[0, 2], [-1, 1]], [[-1, 3], [-1, -1]])
    """

    def __init__(self, size: int):
        self.size = d = int(size)
        rows, columns = np.triu_indices(d, 1)
        pairs = len(rows)
        self.real_index = np.full((d, d), -1, dtype=np.int64)
        self.imaginary_index = np.full((d, d), -1, dtype=np.int64)
        self.real_index[np.arange(d), np.arange(d)] = np.arange(d)
        self.real_index[rows, columns] = d + np.arange(pairs)
        self.imaginary_index[rows, columns] = d + pairs + np.arange(pairs)


class DensityLayout:
    """The real parameters of a sector-block-diagonal density matrix, grouped by charge level.

    Within a level come first the *symmetric* parameters of every sector (populations and real
    parts above the diagonal, those that complex conjugation of rho keeps), sector after sector,
    then the *antisymmetric* ones (the imaginary parts).  With real tunnelling amplitudes and no
    principal parts, the gains and losses map each kind onto itself (only ``-i [H, rho]`` mixes
    them), so the blocks between levels are block diagonal in this order.

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
    index : tuple of numpy.ndarray
        Per sector, where its ``d^2`` parameters (in :class:`SectorParameters` order) sit among
        all parameters, the levels one after the other.
    level_starts : tuple of int
        Where each level's parameters start.
    symmetric_sizes : tuple of int
        The symmetric parameters of each level (its first ones).
    size : int
        ``M = sum_s d_s^2``: the real parameters (and complex elements) in all.

    Examples
    --------
    >>> layout = DensityLayout([1, 2, 2, 1], [0, 1, 1, 2])
    >>> layout.size, layout.levels, layout.level_sizes, layout.symmetric_sizes
    (10, ((0,), (1, 2), (3,)), (1, 8, 1), (1, 6, 1))
    >>> layout.index[1].tolist(), layout.index[2].tolist()  # populations, real part, imaginary part
    ([1, 2, 3, 7], [4, 5, 6, 8])
    """

    def __init__(self, sizes, charges):
        self.sectors = tuple(SectorParameters(d) for d in sizes)
        order = sorted(set(charges))
        self.levels = tuple(tuple(k for k, c in enumerate(charges) if c == charge) for charge in order)
        level_of, index, symmetric, starts = [0] * len(self.sectors), [None] * len(self.sectors), [], [0]
        for n, members in enumerate(self.levels):
            kept = [self.sectors[k].size * (self.sectors[k].size + 1) // 2 for k in members]
            symmetric.append(sum(kept))
            offset, flipped = starts[-1], starts[-1] + symmetric[-1]
            for k, count in zip(members, kept):
                d = self.sectors[k].size
                level_of[k] = n
                index[k] = np.concatenate([offset + np.arange(count), flipped + np.arange(d * d - count)])
                offset, flipped = offset + count, flipped + d * d - count
            starts.append(flipped)
        self.level_of, self.index = tuple(level_of), tuple(index)
        self.level_starts, self.symmetric_sizes = tuple(starts), tuple(symmetric)
        self.size = starts[-1]

    @property
    def level_sizes(self) -> tuple[int, ...]:
        """The number of real parameters of each level."""
        return tuple(b - a for a, b in zip(self.level_starts, self.level_starts[1:]))

    def trace_row(self) -> np.ndarray:
        """The row ``Tr rho`` on all parameters (ones at the populations).

        Returns
        -------
        numpy.ndarray
            ``(M,)``.
        """
        row = np.zeros(self.size)
        for sector, index in zip(self.sectors, self.index):
            row[index[: sector.size]] = 1.0
        return row


#: Source sectors of at most this many states have their gains stored whole (one GEMM per sector
#: pair makes them) rather than per target row pair (one GEMM per row pair): below it, a BLAS call
#: costs more than the entries computed twice.
WHOLE_GAIN_MAX = 10

#: Entries per grid point that merging sector pairs of different shapes into one zero-padded
#: group may waste (:func:`pair_groups`): a few microseconds of arithmetic on a bias sweep, against
#: the tens of numpy calls each group costs per chunk (small models are made of many small pairs).
PAD_BUDGET = 1 << 13


@dataclass(frozen=True)
class PairGroup:
    """Sector pairs whose links are stacked into one zero-padded array, with as many links each.

    Attributes
    ----------
    lower, upper : numpy.ndarray
        ``(G,)`` int: each pair's lower and upper sector.
    links : numpy.ndarray
        ``(G, L)`` int: the links (indices into :attr:`TransportBlocks.links`) of each pair,
        one per lead and spin channel.
    lower_sizes, upper_sizes : numpy.ndarray
        ``(G,)`` int: the dimensions of each pair's sectors.
    m_upper, m_lower : int
        The padded dimensions (the largest of each), what the stacked arrays have.
    """

    lower: np.ndarray
    upper: np.ndarray
    links: np.ndarray
    lower_sizes: np.ndarray
    upper_sizes: np.ndarray

    # cached: the kernels read them several times per chunk, and each reduction costs microseconds
    @cached_property
    def m_upper(self) -> int:
        """The padded upper dimension."""
        return int(self.upper_sizes.max())

    @cached_property
    def m_lower(self) -> int:
        """The padded lower dimension."""
        return int(self.lower_sizes.max())

    @property
    def pairs(self) -> int:
        """G, the number of sector pairs."""
        return len(self.lower)

    def dimensions(self, direction: int) -> tuple[int, int]:
        """The padded target and source dimensions of a direction.

        Parameters
        ----------
        direction : int
            0 for an electron in (lower to upper sector), 1 for out.

        Returns
        -------
        tuple of int
            ``(m_x, m_y)``: the target's and the source's.
        """
        return (self.m_upper, self.m_lower) if direction == 0 else (self.m_lower, self.m_upper)

    def whole_gain(self, direction: int) -> bool:
        """Whether a direction's gain is stored whole or per target row pair.

        Parameters
        ----------
        direction : int
            0 for an electron in, 1 for out.

        Returns
        -------
        bool
            True for ``gain[x, y, x', y']`` (source sectors of at most :data:`WHOLE_GAIN_MAX`
            states), False for ``gain[p, y, y']``.
        """
        return self.dimensions(direction)[1] <= WHOLE_GAIN_MAX

    def gain_shape(self, direction: int) -> tuple[int, ...]:
        """The shape of one pair's padded gain in a direction (electron in: 0, out: 1).

        Parameters
        ----------
        direction : int
            0 for an electron in (target the upper sector, x over ``m_upper``), 1 for out.

        Returns
        -------
        tuple of int
            ``(m_x m_y, m_x m_y)`` (:meth:`whole_gain`), else ``(m_x (m_x + 1)/2, m_y, m_y)``: one
            ``m_y x m_y`` matrix per target row pair ``x <= x'``.
        """
        x, y = self.dimensions(direction)
        return (x * y, x * y) if self.whole_gain(direction) else (x * (x + 1) // 2, y, y)

    def gain_elements(self, direction: int) -> int:
        """The entries of one pair's padded gain in a direction.

        Parameters
        ----------
        direction : int
            0 for an electron in, 1 for out.

        Returns
        -------
        int
            The product of :meth:`gain_shape`.
        """
        return int(np.prod(self.gain_shape(direction)))

    def loss_elements(self, rank: int) -> tuple[int, int]:
        """The entries of one pair's padded loss tensors (electron in, electron out) of a rank (2 or 3).

        Parameters
        ----------
        rank : int
            3 for ``loss[p, r, q]`` (1vN), 2 for ``loss[p, r]`` (Redfield, Lindblad).

        Returns
        -------
        tuple of int
            ``(m_lower^rank, m_upper^rank)``: the electron in acts on the lower sector, out on
            the upper one.
        """
        return self.m_lower**rank, self.m_upper**rank

    def source_entries(self, rank: int) -> int:
        """The group's source entries per point: gains in and out, losses of a rank, for all pairs.

        Parameters
        ----------
        rank : int
            The rank of the loss tensors (2 or 3).

        Returns
        -------
        int
            Complex (or real) entries, in the order the map reads them.
        """
        return self.pairs * (self.gain_elements(0) + self.gain_elements(1) + sum(self.loss_elements(rank)))


def _entries(upper: int, lower: int) -> int:
    """Source entries per point of one pair of these dimensions (gains both ways, 1vN losses)."""
    return (upper * (upper + 1) * lower**2 + lower * (lower + 1) * upper**2) // 2 + upper**3 + lower**3


def pair_groups(links, sector_sizes, *, budget: int = PAD_BUDGET) -> tuple[PairGroup, ...]:
    """The sector pairs of a model's links, in groups stacked with zero padding.

    Pairs of one shape and number of links form a group; then, as long as it wastes at most
    ``budget`` padded entries per point in all, the two groups with equal numbers of links whose
    merging wastes least are merged (padded to the larger dimensions).

    Parameters
    ----------
    links : sequence of Link
        :attr:`TransportBlocks.links`.
    sector_sizes : sequence of int
        Each sector's dimension.
    budget : int, optional
        The padded entries per point the merges may waste in all.

    Returns
    -------
    tuple of PairGroup
        In order of first appearance.

    Examples
    --------
    >>> from types import SimpleNamespace as Link
    >>> links = [Link(lower=0, upper=1), Link(lower=1, upper=2), Link(lower=0, upper=1), Link(lower=1, upper=2)]
    >>> [(g.pairs, g.links.tolist(), g.m_upper, g.m_lower) for g in pair_groups(links, [1, 3, 3])]
    [(2, [[0, 2], [1, 3]], 3, 3)]
    >>> len(pair_groups(links, [1, 3, 3], budget=0))
    2
    """
    pairs: dict[tuple[int, int], list[int]] = {}
    for k, link in enumerate(links):
        pairs.setdefault((link.lower, link.upper), []).append(k)
    grouped: dict[tuple[int, int, int], list] = {}
    for (lower, upper), members in pairs.items():
        key = (sector_sizes[upper], sector_sizes[lower], len(members))
        grouped.setdefault(key, []).append((lower, upper, members))
    groups = list(grouped.values())

    def waste(members) -> int:
        upper = max(sector_sizes[u] for _, u, _ in members)
        lower = max(sector_sizes[v] for v, _, _ in members)
        return sum(_entries(upper, lower) - _entries(sector_sizes[u], sector_sizes[v]) for v, u, _ in members)

    left = budget
    while True:
        options = [
            (waste(a + b) - waste(a) - waste(b), i, j)
            for i, a in enumerate(groups)
            for j, b in enumerate(groups[i + 1 :], i + 1)
            if len(a[0][2]) == len(b[0][2])
        ]
        if not options or min(options)[0] > left:
            break
        extra, i, j = min(options)
        left -= extra
        groups[i] = groups[i] + groups.pop(j)
    return tuple(
        PairGroup(
            np.array([lower for lower, _, _ in members], dtype=np.int64),
            np.array([upper for _, upper, _ in members], dtype=np.int64),
            np.array([links_ for _, _, links_ in members], dtype=np.int64),
            np.array([sector_sizes[lower] for lower, _, _ in members], dtype=np.int64),
            np.array([sector_sizes[upper] for _, upper, _ in members], dtype=np.int64),
        )
        for members in groups
    )


class LiouvilleMap:
    """The real Liouvillian's level blocks as one sparse matrix times each point's sources.

    Sources, in this order (float64 numbers; a complex source is its real and imaginary parts
    side by side, ``numpy.ndarray.view(float)``): the eigenenergies of every sector (real), then
    per group the gain tensors of an electron in and out and the loss tensors of an electron in
    and out, each ``(G, ...)``.  Outputs: the level blocks flattened one after the other, first
    ``diagonal[n]`` ``(r_n, r_n)`` of every level, then ``up[n]`` ``(r_{n+1}, r_n)`` (an electron
    in), then ``down[n]`` ``(r_n, r_{n+1})``; or (``dense``) the whole ``M x M`` kernel, row-major,
    rows and columns the parameters of every level one after the other.

    Parameters
    ----------
    layout : DensityLayout
        Where the real parameters sit.
    groups : sequence of PairGroup
        The stacked sector pairs.
    dense : bool, optional
        Output the whole kernel (small models: one solve instead of an elimination per level).

    Examples
    --------
    >>> layout = DensityLayout([1, 1], [0, 1])
    >>> group = PairGroup(np.array([0]), np.array([1]), np.array([[0]]), np.array([1]), np.array([1]))
    >>> live = LiouvilleMap(layout, [group])
    >>> live.output_size, live.source_size(rank=2, complex_sources=False)
    (4, 6)
    >>> sources = np.array([0.0, 0.0, 2.0, 3.0, -2.0, -3.0])  # energies, gains in/out, losses in/out
    >>> live.matrix(rank=2, complex_sources=False) @ sources  # diagonal 0, 1; up; down
    array([-4., -6.,  2.,  3.])
    """

    def __init__(self, layout: DensityLayout, groups, *, dense: bool = False) -> None:
        self.layout, self.groups, self.dense = layout, tuple(groups), dense
        sizes = layout.level_sizes
        blocks = [r * r for r in sizes] + [a * b for a, b in zip(sizes, sizes[1:])] * 2
        offsets = np.cumsum([0] + blocks)
        levels = len(sizes)
        self.diagonal_offsets = tuple(int(o) for o in offsets[:levels])
        self.up_offsets = tuple(int(o) for o in offsets[levels : 2 * levels - 1])
        self.down_offsets = tuple(int(o) for o in offsets[2 * levels - 1 : 3 * levels - 2])
        self.output_size = layout.size**2 if dense else int(offsets[-1])
        self.level_starts = layout.level_starts
        self.state_offsets = tuple(int(o) for o in np.cumsum([0] + [s.size for s in layout.sectors]))
        self._matrices: dict[tuple, object] = {}  # the maps, their compressed forms and the source sections, per kind

    def source_size(self, *, rank: int, complex_sources: bool) -> int:
        """Float64 numbers of one point's sources.

        Parameters
        ----------
        rank : int
            The rank of the loss tensors (2 or 3).
        complex_sources : bool
            Whether the gains and losses are complex (two numbers each).

        Returns
        -------
        int
            The energies (padded to an even count) and every section.
        """
        sections = self.source_sections(rank=rank, complex_sources=complex_sources)
        return sections[-1][-1][1] if sections else self.energy_width

    def source_sections(self, *, rank: int, complex_sources: bool) -> tuple[tuple[tuple[int, int, tuple], ...], ...]:
        """Where each group's source tensors sit among one point's sources; made once per kind.

        Parameters
        ----------
        rank : int
            The rank of the loss tensors (2 or 3).
        complex_sources : bool
            Whether the gains and losses are complex (two numbers each).

        Returns
        -------
        tuple of tuple of (int, int, tuple of int)
            Per group, ``(start, stop, shape)`` of its gain in, gain out, loss in and loss out:
            ``start`` and ``stop`` in float64 numbers, ``shape`` the tensor's in its (real or
            complex) entries, ``(G, ...)``: gains ``(G,) +`` :meth:`PairGroup.gain_shape`, losses
            ``(G, m^(rank - 1), m)`` of the lower sector (in) and the upper one (out).

        Examples
        --------
        >>> group = PairGroup(np.array([0]), np.array([1]), np.array([[0]]), np.array([1]), np.array([1]))
        >>> LiouvilleMap(DensityLayout([1, 1], [0, 1]), [group]).source_sections(rank=2, complex_sources=True)
        (((2, 4, (1, 1, 1)), (4, 6, (1, 1, 1)), (6, 8, (1, 1, 1)), (8, 10, (1, 1, 1))),)
        """
        key = ("sections", rank, complex_sources)
        if key not in self._matrices:
            width, start, sections = 2 if complex_sources else 1, self.energy_width, []
            for group in self.groups:
                shapes = [(group.pairs,) + group.gain_shape(direction) for direction in (0, 1)]
                shapes += [(group.pairs, m ** (rank - 1), m) for m in (group.m_lower, group.m_upper)]
                placed = []
                for shape in shapes:
                    stop = start + width * int(np.prod(shape))
                    placed.append((start, stop, shape))
                    start = stop
                sections.append(tuple(placed))
            self._matrices[key] = tuple(sections)
        return self._matrices[key]

    @property
    def energy_width(self) -> int:
        """Float64 numbers of the energies' section: one per state, padded to an even count
        (complex sections then start 16-byte aligned)."""
        states = self.state_offsets[-1]
        return states + states % 2

    def matrix(self, *, rank: int, complex_sources: bool) -> csr_array:
        """The sparse map from one point's sources to its level blocks, built once per kind.

        Parameters
        ----------
        rank : int
            The rank of the loss tensors (2 or 3).
        complex_sources : bool
            Whether the gains and losses are complex; with real ones (real tunnelling
            amplitudes and no principal parts) their imaginary parts are known to vanish.

        Returns
        -------
        scipy.sparse.csr_array
            ``(output_size, source_size)``.
        """
        key = (rank, complex_sources)
        if key not in self._matrices:
            self._matrices[key] = self._build(rank, complex_sources)
        return self._matrices[key]

    def compressed(self, *, rank: int, complex_sources: bool) -> tuple[np.ndarray, np.ndarray, csr_array]:
        """:meth:`matrix` without its empty rows and columns: the outputs that are not always zero,
        the sources that are read, and the map between them.

        Most entries of the level blocks are zero by structure (a diagonal block has about
        ``2 d`` entries per row), and most sources are never read (the zero padding of a group,
        the row pairs ``x > x'`` of a whole gain, the imaginary parts of real sources): a work
        array that keeps the zeros needs only the others, and gathering the read sources makes
        the product's dense operand a fraction of all of them (a sixth for a 16-state model).

        Parameters
        ----------
        rank : int
            The rank of the loss tensors (2 or 3).
        complex_sources : bool
            As in :meth:`matrix`.

        Returns
        -------
        rows : numpy.ndarray
            The output positions that can be non-zero.
        columns : numpy.ndarray
            The source positions that are read, ascending.
        matrix : scipy.sparse.csr_array
            ``(len(rows), len(columns))``.
        """
        key = ("compressed", rank, complex_sources)
        if key not in self._matrices:
            full = self.matrix(rank=rank, complex_sources=complex_sources)
            rows = np.flatnonzero(np.diff(full.indptr))
            kept = full[rows]
            columns, read = np.unique(kept.indices, return_inverse=True)
            read = read.astype(kept.indices.dtype)
            matrix = csr_array((kept.data, read, kept.indptr), shape=(len(rows), len(columns)))
            self._matrices[key] = (rows, columns, matrix)
        return self._matrices[key]

    def _build(self, rank: int, complex_sources: bool) -> csr_array:
        layout = self.layout
        sectors = layout.sectors
        rows_out, columns_out, sources, values = [], [], [], []

        def emit(rows, columns, elem, imaginary, coeff, base):
            if not complex_sources:
                keep = ~imaginary
                rows, columns, elem, coeff = rows[keep], columns[keep], elem[keep], coeff[keep]
                source = base + elem
            else:
                source = base + 2 * elem + imaginary
            rows_out.append(rows)
            columns_out.append(columns)
            sources.append(source)
            values.append(coeff)

        # -i [H, rho]: d Re rho_pq/dt = (E_p - E_q) Im rho_pq, d Im rho_pq/dt = -(E_p - E_q) Re rho_pq
        for k, sector in enumerate(sectors):
            p, q = np.triu_indices(sector.size, 1)
            re, im = layout.index[k][sector.real_index[p, q]], layout.index[k][sector.imaginary_index[p, q]]
            energy_p, energy_q = self.state_offsets[k] + p, self.state_offsets[k] + q
            for rows, columns, sign in ((re, im, 1.0), (im, re, -1.0)):
                rows_out += [rows, rows]
                columns_out += [columns, columns]
                sources += [energy_p, energy_q]
                values += [np.full(len(rows), sign), np.full(len(rows), -sign)]
        base = self.energy_width
        width = 2 if complex_sources else 1
        templates: dict[tuple, tuple] = {}  # per shape, made once per build
        for group in self.groups:
            x_pad, y_pad = group.m_upper, group.m_lower
            for direction in range(2):  # 0: an electron in (lower -> upper), 1: out
                for i, (lower, upper) in enumerate(zip(group.lower, group.upper)):
                    target, source = (upper, lower) if direction == 0 else (lower, upper)
                    shape = (sectors[target].size, sectors[source].size)
                    padded = (x_pad, y_pad) if direction == 0 else (y_pad, x_pad)
                    whole = group.whole_gain(direction)
                    key = ("gain", whole) + shape + padded
                    if key not in templates:
                        templates[key] = _gain_template(*shape, *padded, whole=whole)
                    rows, columns, elem, imaginary, coeff = templates[key]
                    elem = elem + i * group.gain_elements(direction)
                    emit(layout.index[target][rows], layout.index[source][columns], elem, imaginary, coeff, base)
                base += width * group.pairs * group.gain_elements(direction)
            for which, padded in ((group.lower, y_pad), (group.upper, x_pad)):
                for i, sector in enumerate(which):
                    key = ("loss", sectors[sector].size, padded)
                    if key not in templates:
                        templates[key] = _loss_template(sectors[sector].size, padded, rank)
                    rows, columns, elem, imaginary, coeff = templates[key]
                    place = layout.index[sector]
                    emit(place[rows], place[columns], elem + i * padded**rank, imaginary, coeff, base)
                base += width * group.pairs * padded**rank
        rows, columns = np.concatenate(rows_out), np.concatenate(columns_out)
        return csr_array(
            (np.concatenate(values), (self._positions(rows, columns), np.concatenate(sources))),
            shape=(self.output_size, base),
        )

    def _positions(self, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
        """Output positions of kernel entries (rows and columns among all parameters)."""
        if self.dense:
            return rows * self.layout.size + columns
        starts, sizes = np.array(self.level_starts), np.array(self.layout.level_sizes)
        level = np.repeat(np.arange(len(sizes)), sizes)  # of each parameter
        offsets = np.zeros((len(sizes), len(sizes)), dtype=np.int64)  # of each block, by its levels
        offsets[np.arange(len(sizes)), np.arange(len(sizes))] = self.diagonal_offsets
        offsets[np.arange(1, len(sizes)), np.arange(len(sizes) - 1)] = self.up_offsets
        offsets[np.arange(len(sizes) - 1), np.arange(1, len(sizes))] = self.down_offsets
        row_level, column_level = level[rows], level[columns]
        # every block is row-major with as many columns as its column level has parameters
        local_row, local_column = rows - starts[row_level], columns - starts[column_level]
        return offsets[row_level, column_level] + local_row * sizes[column_level] + local_column


def _expand(p, q, r, s, elem, conjugate, target: SectorParameters, source: SectorParameters):
    """Real entries of complex superoperator entries ``(p q) <- (r s)`` whose values are sources.

    The complex entry maps ``rho_s[r, s]`` to ``d rho_t[p, q]/dt`` with the value ``c = z`` or
    ``conj(z)`` (``conjugate``) of source entry ``elem``.  Rows: the real part of ``p <= q``
    and the imaginary part of ``p < q``; columns: a population ``r = s`` takes ``c``, the real
    part of the pair ``{r, s}`` takes ``c``, its imaginary part ``i c`` for ``r < s`` and
    ``-i c`` for ``r > s`` (``rho_rs = x + i y``, ``rho_sr = x - i y``).

    Returns
    -------
    rows, columns, elem : numpy.ndarray
        Parameter indices within the target and source sector, and the source entry.
    imaginary : numpy.ndarray
        bool: whether the imaginary part of the source entry is taken (else the real part).
    coeff : numpy.ndarray
        +1 or -1.
    """
    keep = p <= q
    p, q, r, s, elem, conjugate = (a[keep] for a in (p, q, r, s, elem, conjugate))
    sigma = np.where(conjugate, -1.0, 1.0)  # Im c = sigma Im z
    low, high = np.minimum(r, s), np.maximum(r, s)
    column_re, column_im = source.real_index[low, high], source.imaginary_index[low, high]
    row_re, row_im = target.real_index[p, q], target.imaginary_index[p, q]
    upper, off = p < q, r != s
    phase = np.where(r < s, 1.0, -1.0)  # the column factor is i phase
    both = upper & off
    parts = (
        (row_re, column_re, elem, np.zeros(len(p), bool), np.ones(len(p))),  # Re c
        (row_im[upper], column_re[upper], elem[upper], np.ones(upper.sum(), bool), sigma[upper]),  # Im c
        (row_re[off], column_im[off], elem[off], np.ones(off.sum(), bool), -phase[off] * sigma[off]),  # Re(i phase c)
        (row_im[both], column_im[both], elem[both], np.zeros(both.sum(), bool), phase[both]),  # Im(i phase c)
    )
    return tuple(np.concatenate(column) for column in zip(*parts))


def _gain_template(target: int, source: int, target_pad: int, source_pad: int, *, whole: bool):
    """Real entries of a gain of a pair of these dimensions, stored whole as ``gain[x, y, x', y']``
    or as ``gain[p, y, y']`` with p the row pair ``x <= x'`` (in ``numpy.triu_indices(target_pad)``
    order); every axis padded (``target_pad``, ``source_pad``)."""
    x, y, x_, y_ = (a.ravel() for a in np.indices((target, source, target, source)))
    if whole:
        elem = ((x * source_pad + y) * target_pad + x_) * source_pad + y_
    else:
        pair = np.full((target_pad, target_pad), -1, dtype=np.int64)
        pair[np.triu_indices(target_pad)] = np.arange(target_pad * (target_pad + 1) // 2)
        elem = (pair[x, x_] * source_pad + y) * source_pad + y_  # negative below the diagonal, dropped
    return _expand(x, x_, y, y_, elem, np.zeros(x.size, bool), SectorParameters(target), SectorParameters(source))


def _loss_template(d: int, pad: int, rank: int):
    """Real entries of a loss tensor on a sector of dimension d (``loss[p, r, q]`` or ``loss[p, r]``),
    stored row-major with every axis ``pad`` long."""
    p, q, r = (a.ravel() for a in np.indices((d, d, d)))
    first = (p * pad + r) * pad + q if rank == 3 else p * pad + r  # loss[p, r, q] rho[r, q]
    second = (q * pad + r) * pad + p if rank == 3 else q * pad + r  # conj(loss[q, r, p]) rho[p, r]
    sector = SectorParameters(d)
    return tuple(
        np.concatenate(pair)
        for pair in zip(
            _expand(p, q, r, q, first, np.zeros(p.size, bool), sector, sector),
            _expand(p, q, p, r, second, np.ones(p.size, bool), sector, sector),
        )
    )


def work_numbers(layout: DensityLayout, groups, *, rank: int) -> int:
    """Float64 numbers a coherent solve holds per grid point.

    Parameters
    ----------
    layout : DensityLayout
        Where the real parameters sit.
    groups : sequence of PairGroup
        The stacked sector pairs.
    rank : int
        The rank of the loss tensors (3 bounds both).

    Returns
    -------
    int
        Complex sources with a temporary as large as the largest gain tensor, the level blocks,
        and the elimination's transfer and censored matrices with LAPACK's copies.
    """
    sizes = layout.level_sizes
    sources = sum(2 * group.source_entries(rank) for group in groups)
    largest = max((2 * g.pairs * max(g.gain_elements(0), g.gain_elements(1)) for g in groups), default=0)
    blocks = sum(r * r for r in sizes) + 2 * sum(a * b for a, b in zip(sizes, sizes[1:]))
    elimination = sum(2 * a * b + 3 * b * b for a, b in zip(sizes, sizes[1:]))
    return sources + largest + blocks + elimination
