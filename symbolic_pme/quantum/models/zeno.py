"""The quantum Zeno turnover of a dephasing-assisted rate, found symbolically.

A rate obtained by eliminating a coherence, such as W = 2|V|^2 gamma / (hbar^2 (omega0^2 + gamma^2)),
first grows with the dephasing rate gamma (dephasing opens the detuned transition), peaks, and
then falls like 1/gamma (frequent "measurements" freeze the populations: the quantum Zeno
effect).  :func:`zeno_turnover` finds the optimum dephasing rate, the maximal rate and both
asymptotes of any such rate expression.  gamma is the decay rate of the coherence (docs/conventions.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = ["ZenoTurnover", "zeno_turnover"]


@dataclass(frozen=True)
class ZenoTurnover:
    """The maximum of ``rate`` over ``gamma > 0`` and its asymptotes.

    Attributes
    ----------
    rate : sympy.Expr
        The rate expression analysed.
    gamma : sympy.Symbol
        The dephasing rate (the decay rate of the coherence, ``docs/conventions.md``).
    optimum : sympy.Expr
        The dephasing rate of the maximum.
    maximum : sympy.Expr
        The rate there.
    small_gamma : sympy.Expr
        The leading term for gamma -> 0.
    large_gamma : sympy.Expr
        The leading term for gamma -> oo.
    """

    rate: sympy.Expr
    gamma: sympy.Symbol
    optimum: sympy.Expr
    maximum: sympy.Expr
    small_gamma: sympy.Expr
    large_gamma: sympy.Expr


def zeno_turnover(rate: sympy.Expr, gamma: sympy.Symbol) -> ZenoTurnover:
    """Maximum over gamma > 0 and the asymptotes of a rate ``rate(gamma)``.

    The stationary points of d rate / d gamma are found exactly; since the other parameters are
    real of unknown sign, a root like ``±omega0`` is taken as its modulus ``|omega0|`` and kept
    when it is still a stationary point.

    Parameters
    ----------
    rate : sympy.Expr
        The rate as a function of ``gamma`` (e.g. from
        :func:`~symbolic_pme.quantum.reduction.adiabatic_elimination`).
    gamma : sympy.Symbol
        The dephasing rate symbol: the decay rate of the coherence (``docs/conventions.md``).

    Returns
    -------
    ZenoTurnover
        The optimum, the maximum and both asymptotes, in the symbol ``gamma``.

    Raises
    ------
    TypeError
        When ``gamma`` is not a SymPy symbol.
    ValueError
        When ``rate`` does not depend on ``gamma``, unless exactly one positive stationary point
        remains, or when it is provably a minimum.

    Examples
    --------
    >>> import sympy
    >>> V, w0, gamma = sympy.symbols("V w0 gamma", real=True)
    >>> turnover = zeno_turnover(2 * V**2 * gamma / (gamma**2 + w0**2), gamma)
    >>> turnover.optimum, turnover.small_gamma, turnover.large_gamma
    (Abs(w0), 2*V**2*gamma/w0**2, 2*V**2/gamma)
    """
    if not isinstance(gamma, sympy.Symbol):
        raise TypeError(f"gamma: expected a SymPy symbol, got {type(gamma).__name__}")
    if gamma not in rate.free_symbols:
        raise ValueError(f"rate: does not depend on {gamma}")
    g = sympy.Symbol(gamma.name, positive=True)
    w = rate.xreplace({gamma: g})
    slope = sympy.together(sympy.diff(w, g))
    candidates = []
    for root in sympy.solve(sympy.numer(slope), g):
        if root.is_positive is False:
            continue
        magnitude = sympy.Abs(root) if root.is_positive is None else root
        if sympy.simplify(slope.xreplace({g: magnitude})) == 0 and magnitude not in candidates:
            candidates.append(magnitude)
    if len(candidates) != 1:
        raise ValueError(f"rate: expected one stationary point in {gamma} > 0, found {candidates}")
    (optimum,) = candidates
    curvature = sympy.simplify(sympy.diff(w, g, 2).xreplace({g: optimum}))
    if curvature.is_positive:
        raise ValueError(f"rate: the stationary point {gamma} = {optimum} is a minimum")
    maximum = sympy.simplify(w.xreplace({g: optimum}))
    small = w.as_leading_term(g)
    x = sympy.Symbol("x", positive=True)
    large = w.xreplace({g: 1 / x}).as_leading_term(x).xreplace({x: 1 / g})
    back = {g: gamma}
    return ZenoTurnover(
        rate=rate,
        gamma=gamma,
        optimum=optimum.xreplace(back),
        maximum=maximum.xreplace(back),
        small_gamma=sympy.factor(small).xreplace(back),
        large_gamma=sympy.factor(large).xreplace(back),
    )
