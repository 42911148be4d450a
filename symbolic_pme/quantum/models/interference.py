"""Interference and quantum beats: two states that react to one product.

States ``a`` and ``b`` (energies E_a = hbar*omega, E_b = 0) both turn into the same ``product``
through one channel: a single jump operator ``|product>(sqrt(Gamma_a) <a| + sqrt(Gamma_b) <b|)``
(the two paths end in the same final state, so their amplitudes add).  The product flux is

    J = Tr(L rho L^+) = Gamma_a rho_aa + Gamma_b rho_bb + sqrt(Gamma_a Gamma_b) (rho_ab + rho_ba),

and the last, phase-dependent term is interference.  From the superposition
(|a> + e^{i theta} |b>)/sqrt(2) the coherence turns as rho_ab(t) = e^{-i omega t} e^{-i theta}/2,
so the flux beats: J(t) = (Gamma_a + Gamma_b)/2 + sqrt(Gamma_a Gamma_b) cos(omega t + theta) while
the decay is still negligible.  A rate equation knows only populations: it gives the average
and misses the beats.  Quantum beats are visible when the level splitting hbar*omega is not
large against hbar times the rates -- the secular condition of the Pauli picture fails.
Conventions (hbar = 1 unless given, rates per unit time): ``docs/conventions.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy

from symbolic_pme.checks import rate as checked_rate
from symbolic_pme.parsing import Value, to_expr
from symbolic_pme.quantum.lindblad import Jump, LindbladModel

__all__ = ["beat_model", "pure_state", "unitary_evolution"]

BEAT_STATES = ("a", "b", "product")


def beat_model(splitting: Value, rate_a: Value, rate_b: Value, *, hbar: Value = 1) -> LindbladModel:
    """The model of the module docstring: two states decaying into one common product.

    Parameters
    ----------
    splitting : value
        E_a - E_b = hbar*omega, an energy.
    rate_a, rate_b : value
        Gamma_a, Gamma_b >= 0, the decay rates of ``a`` and ``b`` into the product (per unit
        time).
    hbar : value, optional
        1 by default; a positive number or a symbol.

    Returns
    -------
    LindbladModel
        States ``("a", "b", "product")``, one jump (channel ``"reaction"``, carrying
        ``{"product": 1}`` per jump).

    Raises
    ------
    ValueError
        For a negative rate or hbar <= 0.

    Examples
    --------
    >>> model = beat_model("w", "G_a", "G_b")
    >>> model, model.channels, model.quantities
    (LindbladModel(3 states, 1 jumps), ('reaction',), ('product',))
    """
    n = len(BEAT_STATES)
    h = sympy.zeros(n, n)
    h[0, 0] = to_expr(splitting, "splitting")
    op = sympy.zeros(n, n)
    for k, (rate, what) in enumerate(((rate_a, "rate_a"), (rate_b, "rate_b"))):
        value = checked_rate(rate, what)
        op[2, k] = sympy.sqrt(value)
    return LindbladModel(BEAT_STATES, h, [Jump(op, 1, "reaction", {"product": 1})], hbar=hbar)


def pure_state(states: Sequence[str], amplitudes: Mapping[str, Value]) -> sympy.Matrix:
    """The density matrix ``|psi><psi|`` of ``psi = sum_s c_s |s>``.

    Parameters
    ----------
    states : sequence of str
        The basis labels.
    amplitudes : mapping of str to value
        ``{state: c_s}`` (complex values allowed; normalized here); other states have 0.

    Returns
    -------
    sympy.Matrix
        The normalized, simplified density matrix.

    Raises
    ------
    ValueError
        For an unknown state, or amplitudes that are all zero.

    Examples
    --------
    >>> pure_state(["a", "b"], {"a": 1, "b": 1})
    Matrix([
    [1/2, 1/2],
    [1/2, 1/2]])
    """
    labels = list(states)
    psi = sympy.zeros(len(labels), 1)
    for state, value in amplitudes.items():
        if state not in labels:
            raise ValueError(f"amplitudes: unknown state {state!r}; states: {', '.join(labels)}")
        psi[labels.index(state)] = to_expr(value, f"amplitude of {state!r}")
    norm = sympy.sqrt(sympy.simplify(sum(sympy.Abs(c) ** 2 for c in psi)))
    if norm == 0:
        raise ValueError("amplitudes: the state is zero")
    psi = psi / norm
    return (psi * psi.H).applyfunc(sympy.simplify)


def unitary_evolution(model: LindbladModel, rho: sympy.MatrixBase, t: sympy.Symbol) -> sympy.Matrix:
    """The coherent part of the evolution alone: ``U rho U^+`` with ``U = exp(-i H t / hbar)``.

    The Lindblad evolution to zeroth order in the rates, valid while t * rate << 1.

    Parameters
    ----------
    model : LindbladModel
        The model (its Hamiltonian and hbar are used).
    rho : sympy.MatrixBase
        The density matrix at time 0.
    t : sympy.Symbol
        The time (or a value).

    Returns
    -------
    sympy.Matrix
        rho(t), simplified.
    """
    u = (-sympy.I * model.hamiltonian * t / model.hbar).exp()
    return (u * rho * u.H).applyfunc(sympy.simplify)
