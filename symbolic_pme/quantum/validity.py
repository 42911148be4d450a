"""When may the coherences be eliminated?  The conditions, symbolically.

Eliminating the coherence rho_ab assumes it relaxes much faster than the populations it
connects move.  For a pair coupled by V_ab (H_ab), with energy difference Delta_ab = H_aa - H_bb
and total decay rate Gamma_ab of rho_ab (dephasing, plus half of every rate out of a or b), the
condition is

    4 |V_ab|^2 << Delta_ab^2 + hbar^2 Gamma_ab^2

(for two levels, hbar = 1: 4V^2 << omega0^2 + gamma^2).  When it fails the populations
oscillate coherently (Rabi oscillations, quantum beats) instead of relaxing.  A different
condition, the secular one (level spacings of H large against hbar times the rates), is what a
Pauli equation written in the *eigenbasis* of H needs; :mod:`symbolic_pme.numeric.validity` reports both and
compares the reduced network with the exact Lindblad equation.  Every ratio here is small where
the elimination holds (``docs/conventions.md``); a dephasing rate gamma is the decay rate of the
coherence it causes.
"""

from __future__ import annotations

import sympy

from symbolic_pme.quantum.lindblad import LindbladModel

__all__ = ["coherence_decay_rates", "coupling_conditions"]

Pair = tuple[str, str]


def coherence_decay_rates(model: LindbladModel) -> dict[Pair, sympy.Expr]:
    """The rate at which the dissipators alone damp each coherence.

    A dephasing rate gamma contributes gamma (it is the decay rate of the coherence,
    ``docs/conventions.md``), a decay out of a or b half its rate.

    Parameters
    ----------
    model : LindbladModel
        The Lindblad model.

    Returns
    -------
    dict of (str, str) to sympy.Expr
        ``{(a, b): Gamma_ab}`` for a before b, per unit time.

    Examples
    --------
    >>> from symbolic_pme.quantum import two_level
    >>> coherence_decay_rates(two_level("w0", "V", "gamma"))
    {('1', '2'): gamma}
    """
    n = len(model.states)
    dissipative = model.liouvillian(hamiltonian=False)
    rates = {}
    for i in range(n):
        for j in range(i + 1, n):
            rates[model.states[i], model.states[j]] = sympy.factor(-sympy.re(dissipative[i * n + j, i * n + j]))
    return rates


def coupling_conditions(model: LindbladModel) -> dict[Pair, sympy.Expr]:
    """The condition ratio of the elimination for every coupled pair.

    Parameters
    ----------
    model : LindbladModel
        The Lindblad model.

    Returns
    -------
    dict of (str, str) to sympy.Expr
        ``{(a, b): 4 |V_ab|^2 / (Delta_ab^2 + hbar^2 Gamma_ab^2)}`` for a before b with
        ``H_ab != 0``; the elimination needs every ratio << 1.

    Examples
    --------
    >>> from symbolic_pme.quantum import two_level
    >>> coupling_conditions(two_level("w0", "V", "gamma"))
    {('1', '2'): 4*V**2/(gamma**2 + w0**2)}
    """
    n = len(model.states)
    h, decay = model.hamiltonian, coherence_decay_rates(model)
    ratios = {}
    for i in range(n):
        for j in range(i + 1, n):
            if h[i, j] != 0:
                pair = (model.states[i], model.states[j])
                coupling = sympy.Abs(h[i, j]) ** 2
                detuning_squared = (h[i, i] - h[j, j]) ** 2
                ratios[pair] = sympy.factor(4 * coupling / (detuning_squared + model.hbar**2 * decay[pair] ** 2))
    return ratios
