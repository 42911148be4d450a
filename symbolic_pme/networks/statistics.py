"""Full counting statistics of a rate network: the tilted generator and the cumulants of a current.

Count the quantity q (charge by default) that the jumps through one channel carry into the
system, ``n(t) = sum of q over the jumps of the channel up to time t``.  Its cumulant generating
function grows at long times as ``lambda(chi) t``, where ``lambda`` is the eigenvalue of the
*tilted generator*

    W(chi)[j, i] = sum over jumps i -> j of  k * exp(i chi q)   (q = 0 outside the channel),
    W(chi)[i, i] = W[i, i],

that vanishes at ``chi = 0``.  The *cumulant rates* ``C_k = d^k lambda / d(i chi)^k`` at
``chi = 0`` are ``<<n^k>>/t`` at long times: ``C_1`` is the current (the same sign as
:meth:`RateNetwork.current`: positive when q flows from the channel into the system), ``C_2`` the
zero-frequency noise (the symmetrized noise power ``S = 2 C_2`` in the convention where shot noise
is ``S = 2 I``), ``C_3`` the skewness; the Fano factor ``F = C_2 / C_1`` is 1 for a Poisson process.
Units: ``C_k`` is (unit of q)^k per unit time (hbar = e = 1: electrons^k per unit time for charge).

Without diagonalizing (Flindt et al., Phys. Rev. B 77, 165325, 2008; Bagrets and Nazarov 2003):
with ``s = i chi``, ``W(s) = sum_k s^k/k! W_k`` where ``W_0 = W`` and the *jump matrices*
``W_k[j, i] = sum over counted jumps i -> j of q^k k``; the eigenvector ``rho(s) = sum_k s^k/k!
rho_k`` normalized by ``1^T rho(s) = 1`` has ``rho_0 = P`` (the steady state) and ``1^T rho_k = 0``.
Order k of ``W(s) rho(s) = lambda(s) rho(s)`` gives

    C_k   = sum_{j=1..k} binom(k, j) 1^T W_j rho_{k-j},
    rho_k = R sum_{j=1..k} binom(k, j) (C_j - W_j) rho_{k-j},

where ``R`` is the pseudo-inverse of W on the complement of P: ``x = R y`` solves ``W x = y``
with ``1^T x = 0`` (the Drazin inverse, ``W R = R W = 1 - P 1^T``).  So
``C_1 = 1^T W_1 P`` and ``C_2 = 1^T W_2 P - 2 1^T W_1 R W_1 P``.  ``R`` is applied by one exact
linear solve of the generator with one state removed (its in-tree weight must not vanish), in the
field of rational functions of the rates' symbols; no matrix is inverted and no eigenvalue is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import sympy
from sympy.polys.constructor import construct_domain
from sympy.polys.matrices import DomainMatrix

from symbolic_pme.errors import ClosedFormTooLarge
from symbolic_pme.networks.network import FACTOR_MAX_TERMS, RateNetwork
from symbolic_pme.quantities import CHARGE

__all__ = [
    "MAX_CUMULANT_ORDER",
    "MAX_STATES",
    "CountingStatistics",
    "counting_statistics",
    "cumulants",
    "fano_factor",
    "tilted_generator",
]

#: Highest cumulant order :func:`cumulants` derives (the kurtosis; each order costs one more solve
#: and the closed forms grow fast).
MAX_CUMULANT_ORDER = 4
#: Largest network (number of states) whose cumulants are derived in closed form; larger ones
#: belong to the numeric layer.  The spanning-tree limit ``max_trees`` applies as well.
MAX_STATES = 12


@dataclass(frozen=True)
class CountingStatistics:
    """The first three cumulant rates of a quantity counted through one channel.

    Attributes
    ----------
    channel : str
        The channel (for a transport model: the lead) whose jumps are counted.
    quantity : str
        The counted quantity (``"charge"``, ``"energy"``, ...), positive into the system.
    current : sympy.Expr
        ``C_1``, the mean current from the channel into the system.
    noise : sympy.Expr
        ``C_2``, the zero-frequency noise (half the symmetrized noise power ``S``).
    skewness : sympy.Expr
        ``C_3``, the third cumulant rate.
    """

    channel: str
    quantity: str
    current: sympy.Expr
    noise: sympy.Expr
    skewness: sympy.Expr

    @property
    def fano(self) -> sympy.Expr:
        """The Fano factor ``C_2 / C_1`` (1 for a Poisson process)."""
        return factored(self.noise / self.current, True)


def tilted_generator(
    network: RateNetwork, channel: str, *, quantity: str = CHARGE, chi: sympy.Symbol | None = None
) -> sympy.Matrix:
    """The generator with a counting field on the jumps through ``channel``.

    Parameters
    ----------
    network : RateNetwork
        A closed network (no sources or sinks).
    channel : str
        The channel whose jumps are counted (for a transport model: a lead name; both spin
        channels of a lead share it, so the total over the lead is counted).
    quantity : str, optional
        The counted quantity (default ``"charge"``): a jump carrying ``q`` of it into the system
        is weighted by ``exp(i chi q)``.
    chi : sympy.Symbol, optional
        The counting field; default ``Symbol("chi", real=True)``.

    Returns
    -------
    sympy.Matrix
        ``W(chi)``, with ``W(chi)[j, i]`` the (weighted) rates ``i -> j`` and the diagonal of the
        generator unchanged; ``W(0)`` is :meth:`RateNetwork.generator`.

    Raises
    ------
    ValueError
        For an unknown channel or quantity, or an open network.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> net = RateNetwork(["0", "1"], [("0", "1", 2, "L", {"charge": 1}), ("1", "0", 3, "R", {"charge": -1})])
    >>> tilted_generator(net, "L")
    Matrix([
    [          -2,  3],
    [2*exp(I*chi), -3]])
    """
    _validate(network, channel, quantity)
    chi = sympy.Symbol("chi", real=True) if chi is None else chi
    n = len(network.states)
    tilted = sympy.zeros(n, n)
    for t in network.transitions:
        i, j = network.index(t.source), network.index(t.target)
        q = t.carries.get(quantity, sympy.S.Zero) if t.channel == channel else sympy.S.Zero
        tilted[j, i] += t.rate * sympy.exp(sympy.I * chi * q)
        tilted[i, i] -= t.rate
    return tilted


def cumulants(
    network: RateNetwork,
    channel: str,
    *,
    quantity: str = CHARGE,
    order: int = 3,
    simplify: bool = True,
    max_trees: int = 20000,
) -> tuple[sympy.Expr, ...]:
    """Closed-form cumulant rates ``C_1 .. C_order`` of a quantity counted through one channel.

    ``C_k = d^k lambda / d(i chi)^k`` at ``chi = 0``, with ``lambda`` the eigenvalue of
    :func:`tilted_generator` that vanishes at ``chi = 0``, by the recursive (Rayleigh–Schrödinger)
    scheme of the module docstring: no diagonalization.

    Parameters
    ----------
    network : RateNetwork
        A closed network of at most :data:`MAX_STATES` states with a unique steady state.
    channel : str
        The counted channel (a lead: the total over its spin channels).
    quantity : str, optional
        The counted quantity, default ``"charge"`` (positive into the system).
    order : int, optional
        Highest cumulant, 1 to :data:`MAX_CUMULANT_ORDER` (default 3).
    simplify : bool, optional
        Factor each result (as far as stays cheap: not above ``FACTOR_MAX_TERMS`` terms, and
        products of exponentials are only merged); otherwise one exact ratio of polynomials.
    max_trees : int, optional
        Spanning-tree limit of the steady state, as in :meth:`RateNetwork.steady_state`.

    Returns
    -------
    tuple of sympy.Expr
        ``(C_1, ..., C_order)``, in (unit of the quantity)^k per unit time.

    Raises
    ------
    ValueError
        Unknown channel or quantity, an open network, or ``order`` outside 1..MAX_CUMULANT_ORDER.
    NonUniqueSteadyState
        When the network splits into several closed classes.
    ClosedFormTooLarge
        Above :data:`MAX_STATES` states or ``max_trees`` spanning trees (use the numeric layer).

    Examples
    --------
    A Poisson process has all cumulants equal to its rate:

    >>> import sympy
    >>> from symbolic_pme.networks import RateNetwork
    >>> k, g = sympy.symbols("k g", positive=True)
    >>> net = RateNetwork(["0", "1"], [("0", "1", k, "L", {"charge": 1}), ("1", "0", g, "R", {"charge": -1})])
    >>> cumulants(net, "L", order=2)
    (g*k/(g + k), g*k*(g**2 + k**2)/(g + k)**3)
    """
    if not isinstance(order, int) or not 1 <= order <= MAX_CUMULANT_ORDER:
        raise ValueError(f"order: expected an integer from 1 to {MAX_CUMULANT_ORDER}, got {order!r}")
    _validate(network, channel, quantity)
    n = len(network.states)
    if n > MAX_STATES:
        raise ClosedFormTooLarge(
            f"closed-form cumulants are derived for at most {MAX_STATES} states, this network has {n}; "
            "use the numeric layer (symbolic_pme.numeric) instead"
        )
    sums = network.tree_sums(max_trees)
    weights = [sums.weights[s] for s in network.states]
    reference = next(i for i, w in enumerate(weights) if w != 0)
    jumps = [_jump_matrix(network, channel, quantity, k) for k in range(1, order + 1)]
    algebra = _Recursion(network.generator(), jumps, [w / sums.norm for w in weights], reference)
    return tuple(factored(value, simplify) for value in algebra.cumulants(order))


def fano_factor(
    network: RateNetwork, channel: str, *, quantity: str = CHARGE, simplify: bool = True, max_trees: int = 20000
) -> sympy.Expr:
    """The Fano factor ``F = C_2 / C_1`` of a quantity counted through one channel.

    Parameters
    ----------
    network, channel, quantity, simplify, max_trees
        As for :func:`cumulants`.

    Returns
    -------
    sympy.Expr
        ``C_2 / C_1``: dimensionless for charge (1 for Poisson, < 1 sub-Poissonian); in units of
        the quantity otherwise.  Where ``C_1`` vanishes (equilibrium) the ratio is undefined.

    Raises
    ------
    ValueError, NonUniqueSteadyState, ClosedFormTooLarge
        As for :func:`cumulants`.

    Examples
    --------
    >>> import sympy
    >>> from symbolic_pme.networks import RateNetwork
    >>> k, g = sympy.symbols("k g", positive=True)
    >>> net = RateNetwork(["0", "1"], [("0", "1", k, "L", {"charge": 1}), ("1", "0", g, "R", {"charge": -1})])
    >>> fano_factor(net, "L")
    (g**2 + k**2)/(g + k)**2
    """
    current, noise = cumulants(network, channel, quantity=quantity, order=2, simplify=False, max_trees=max_trees)
    return factored(noise / current, simplify)


def counting_statistics(
    network: RateNetwork, channel: str, *, quantity: str = CHARGE, simplify: bool = True, max_trees: int = 20000
) -> CountingStatistics:
    """Current, noise and skewness (``C_1, C_2, C_3``) of a quantity counted through one channel.

    Parameters
    ----------
    network, channel, quantity, simplify, max_trees
        As for :func:`cumulants`.

    Returns
    -------
    CountingStatistics
        The three cumulant rates; its ``fano`` is ``C_2 / C_1``.

    Raises
    ------
    ValueError, NonUniqueSteadyState, ClosedFormTooLarge
        As for :func:`cumulants`.

    Examples
    --------
    >>> from symbolic_pme.networks import RateNetwork
    >>> net = RateNetwork(["0", "1"], [("0", "1", 1, "L", {"charge": 1}), ("1", "0", 1, "R", {"charge": -1})])
    >>> stats = counting_statistics(net, "L")
    >>> stats.current, stats.noise, stats.skewness, stats.fano
    (1/2, 1/4, 1/8, 1/2)
    """
    values = cumulants(network, channel, quantity=quantity, order=3, simplify=simplify, max_trees=max_trees)
    return CountingStatistics(channel, quantity, *values)


class _Recursion:
    """The recursion of the module docstring in exact polynomial arithmetic, without gcds.

    Rates, jump matrices and the steady state become polynomials in the generators of the
    expressions (symbols, ``fermi(...)``, ``pi``, ``exp(...)``): the generator and jump matrices
    times ``scale`` (the least common multiple of their denominators, 1 for polynomial rates: the
    cumulants of ``scale * W`` are ``scale`` times those of W) and ``P = p / D``.  The
    pseudo-inverse drops the row and column of a ``reference`` state whose in-tree weight is not
    zero: that block A of the generator is invertible, and ``z`` (``z_r = 0``) with ``A z = y`` on
    the other rows solves row r too (the columns of W and y sum to zero); ``x = z - (1^T z) P``
    then has ``1^T x = 0``.  ``A^{-1} = adj(A) / det(A)``.  The inverses of ``D`` and ``det(A)``
    are two formal generators, replaced at the end: polynomial products only, no greatest common
    divisor of large polynomials on the way (a fraction field computes one at every addition:
    minutes for the noise of the Anderson level, a fraction of a second this way).
    """

    def __init__(
        self, generator: sympy.Matrix, jumps: list[sympy.Matrix], steady_state: list[sympy.Expr], reference: int
    ):
        self.n = n = generator.rows
        inverse_norm, inverse_det = sympy.Dummy("inverse_norm"), sympy.Dummy("inverse_det")
        exprs = list(generator) + [e for w in jumps for e in w] + list(steady_state) + [inverse_norm, inverse_det]
        field, elements = construct_domain(exprs, field=True, composite=True)
        self.domain = field.get_ring()
        self.ring = ring = self.domain.ring
        self.formal = tuple(ring.symbols.index(x) for x in (inverse_norm, inverse_det))
        matrices = [elements[k * n * n : (k + 1) * n * n] for k in range(len(jumps) + 1)]
        self.scale = _common_denominator(e for m in matrices for e in m)
        generator_, *self.jumps = [[e.numer * self.scale.exquo(e.denom) for e in m] for m in matrices]
        probabilities = elements[len(matrices) * n * n : -2]
        self.norm = _common_denominator(probabilities)
        inverse = ring.gens[self.formal[0]]
        self.steady_state = [p.numer * self.norm.exquo(p.denom) * inverse for p in probabilities]
        self.keep = [i for i in range(n) if i != reference]
        block = DomainMatrix(
            [[generator_[i * n + j] for j in self.keep] for i in self.keep], (n - 1, n - 1), self.domain
        )
        adjugate, self.det = block.adj_det() if self.keep else (block, ring.one)
        self.adjugate = adjugate.to_list()

    def cumulants(self, order: int) -> list[sympy.Expr]:
        """``C_1 .. C_order`` as exact SymPy ratios."""
        zero = self.ring.zero
        rho = [self.steady_state]
        values = []
        for k in range(1, order + 1):
            jumped = [self._apply(self.jumps[j - 1], rho[k - j]) for j in range(1, k + 1)]
            values.append(sum((comb(k, j) * sum(jumped[j - 1], zero) for j in range(1, k + 1)), zero))
            if k < order:
                y = [zero] * self.n
                for j in range(1, k + 1):
                    y = [yi + comb(k, j) * (values[j - 1] * r - w) for yi, r, w in zip(y, rho[k - j], jumped[j - 1])]
                rho.append(self._pseudo_inverse(y))
        return [self._ratio(value) for value in values]

    def _apply(self, matrix: list, vector: list) -> list:
        """``matrix @ vector`` (the matrix flat, row by row)."""
        n, zero = self.n, self.ring.zero
        return [sum((matrix[i * n + j] * vector[j] for j in range(n) if vector[j]), zero) for i in range(n)]

    def _pseudo_inverse(self, y: list) -> list:
        """``x`` with ``W x = y`` (times ``scale``) and ``1^T x = 0``, for ``1^T y = 0``."""
        zero, inverse = self.ring.zero, self.ring.gens[self.formal[1]]
        z = [zero] * self.n
        for row, i in zip(self.adjugate, self.keep):
            z[i] = sum((a * y[j] for a, j in zip(row, self.keep)), zero) * inverse
        total = sum(z, zero)
        return [zi - total * p for zi, p in zip(z, self.steady_state)]

    def _ratio(self, value) -> sympy.Expr:
        """``value / scale`` with the formal inverses of ``D`` and ``det(A)`` replaced: a
        numerator over ``D^a det(A)^b scale``, with the factors D and det(A) that divide the
        numerator exactly divided out."""
        parts: dict[tuple[int, int], object] = {}
        for monom, coeff in value.terms():
            powers = tuple(monom[g] for g in self.formal)
            rest = tuple(0 if g in self.formal else m for g, m in enumerate(monom))
            parts[powers] = parts.get(powers, self.ring.zero) + self.ring({rest: coeff})
        if not parts:
            return sympy.S.Zero
        a, b = (max(powers[g] for powers in parts) for g in (0, 1))
        numerator = sum((p * self.norm ** (a - i) * self.det ** (b - j) for (i, j), p in parts.items()), self.ring.zero)
        numerator, b = _divide_out(numerator, self.det, b)
        numerator, a = _divide_out(numerator, self.norm, a)
        denominator = self.norm**a * self.det**b * self.scale
        return self.domain.to_sympy(numerator) / self.domain.to_sympy(denominator)


def _common_denominator(elements) -> object:
    """The least common multiple of the denominators of fraction-field elements."""
    elements = list(elements)
    common = elements[0].denom.ring.one if elements else None
    for e in elements:
        common = common.lcm(e.denom)
    return common


def _divide_out(numerator, factor, power: int) -> tuple[object, int]:
    """Divide ``numerator`` by ``factor`` as long as it divides exactly, at most ``power`` times."""
    while power and factor != 1:
        quotient, remainder = numerator.div(factor)
        if remainder:
            break
        numerator, power = quotient, power - 1
    return numerator, power


def _jump_matrix(network: RateNetwork, channel: str, quantity: str, power: int) -> sympy.Matrix:
    """``W_k[j, i]`` = sum over jumps ``i -> j`` through ``channel`` of ``q^power * rate``."""
    n = len(network.states)
    jumps = sympy.zeros(n, n)
    for t in network.transitions:
        q = t.carries.get(quantity, sympy.S.Zero)
        if t.channel == channel and q != 0:
            jumps[network.index(t.target), network.index(t.source)] += q**power * t.rate
    return jumps


def _validate(network: RateNetwork, channel: str, quantity: str) -> None:
    """Refuse open networks, unknown channels and unknown quantities."""
    if network.is_open:
        raise ValueError(
            "network: counting statistics need a closed network (this one has sources or sinks, "
            "whose populations are not probabilities)"
        )
    if channel not in network.channels:
        raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(map(str, network.channels))}")
    if quantity not in network.quantities:
        raise ValueError(f"unknown quantity {quantity!r}; quantities: {', '.join(network.quantities)}")


def factored(expr: sympy.Expr, simplify: bool) -> sympy.Expr:
    """``expr`` factored when ``simplify`` and cheap: the policy of ``TreeSums.ratio`` (cancel
    and factor when the numerator has at most ``FACTOR_MAX_TERMS`` terms; only merge products of
    exponentials), shared with :mod:`symbolic_pme.networks.response`."""
    if not simplify:
        return expr
    if expr.has(sympy.exp):
        return sympy.powsimp(expr)
    numerator, _ = sympy.fraction(sympy.together(expr))
    if len(sympy.Add.make_args(numerator)) > FACTOR_MAX_TERMS:
        return expr
    return sympy.factor(sympy.cancel(expr))
