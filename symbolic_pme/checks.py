"""The validation every face of the package shares: rates, labels, couplings, Hermiticity, and
initial states.

Each function checks one kind of input and raises :class:`ValueError` (or :class:`TypeError` for
a value of the wrong kind) with a message that names the argument (``what``), so that the model
objects (rate networks, Lindblad models, Hamiltonians, exciton models) and both layers (exact and
numeric) report bad input in the same words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt
import sympy

from symbolic_pme.parsing import Value, to_expr

__all__ = [
    "hermitian",
    "initial_probabilities",
    "initial_weights",
    "label_pairs",
    "rate",
    "state_labels",
]


def rate(value: Value, what: str) -> sympy.Expr:
    """A rate: an exact expression that is real and not negative.

    Sign and realness are asked of numbers and of simple expressions (``-k``, ``2*k``,
    ``k1*k2``); composite rates (golden-rule products, ...) would make SymPy's assumption engine
    dominate the construction of large networks, and are checked numerically when solved instead.

    Parameters
    ----------
    value : number, str or sympy.Expr
        The rate (per unit time).
    what : str
        What it is, for the message (``"rate a -> b"``).

    Returns
    -------
    sympy.Expr
        The rate as an exact expression.

    Raises
    ------
    ValueError
        If it is not real or is negative.

    Examples
    --------
    >>> rate("2*k", "rate a -> b")
    2*k
    >>> rate(-1, "rate a -> b")
    Traceback (most recent call last):
    ...
    ValueError: rate a -> b is negative (-1); rates must be >= 0
    """
    expr = to_expr(value, what)
    if expr.is_Atom or all(a.is_Atom for a in expr.args):
        if expr.is_extended_real is False:
            raise ValueError(f"{what} must be real, got {expr}")
        if expr.is_negative:
            raise ValueError(f"{what} is negative ({expr}); rates must be >= 0")
    return expr


def state_labels(states: Sequence[str]) -> tuple[str, ...]:
    """Validated state labels: a non-empty sequence of unique, non-empty strings.

    Parameters
    ----------
    states : sequence of str
        The labels, in order.

    Returns
    -------
    tuple of str
        The same labels.

    Raises
    ------
    TypeError
        For a single string.
    ValueError
        For no labels, a label that is not a non-empty string, or a label given twice.
    """
    if isinstance(states, str):
        raise TypeError("states: expected a sequence of labels, got a single string")
    labels = tuple(states)
    if not labels:
        raise ValueError("states: give at least one state")
    for label in labels:
        if not isinstance(label, str) or not label:
            raise ValueError(f"states: labels must be non-empty strings, got {label!r}")
    repeated = sorted(label for label, count in Counter(labels).items() if count > 1)
    if repeated:
        raise ValueError(f"states: labels must be unique, repeated: {', '.join(repeated)}")
    return labels


def label_pairs(
    pairs: Mapping[tuple[str, str], Value], labels: Sequence[str] | None, *, what: str, kind: str
) -> list[tuple[str, str, sympy.Expr]]:
    """Couplings keyed by pairs of different, known labels, each unordered pair given once.

    Parameters
    ----------
    pairs : mapping of (str, str) to value
        ``{(i, j): value}``.
    labels : sequence of str or None
        The labels a pair may name; None leaves that check to the caller.
    what : str
        The argument's name for the messages (``"hopping"``, ``"coupling"``).
    kind : str
        What a label names, for the messages (``"orbital"``, ``"site"``).

    Returns
    -------
    list of (str, str, sympy.Expr)
        ``(i, j, value)`` in the order given.

    Raises
    ------
    ValueError
        For a key that is not a pair of strings, an unknown label, a pair of equal labels, or a
        pair given twice (in either order).
    """
    seen: set[frozenset[str]] = set()
    checked = []
    for key, value in pairs.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(isinstance(k, str) for k in key)):
            raise ValueError(f"{what} {key!r}: expected a pair of {kind} names")
        i, j = key
        where = f"{what} {key!r}"
        for label in key if labels is not None else ():
            if label not in labels:
                raise ValueError(f"{where}: unknown {kind} {label!r}; {kind}s: {', '.join(labels)}")
        if i == j:
            raise ValueError(f"{where}: a {what} joins two different {kind}s")
        if frozenset(key) in seen:
            raise ValueError(f"{where}: the pair {i!r}, {j!r} is given twice")
        seen.add(frozenset(key))
        checked.append((i, j, to_expr(value, where)))
    return checked


def hermitian(matrix: sympy.MatrixBase, labels: Sequence[str], *, what: str, hint: str = "") -> None:
    """Check that an exact matrix equals its conjugate transpose.

    Only the stored entries of a sparse matrix are visited; each difference is simplified only
    when it is not already zero.

    Parameters
    ----------
    matrix : sympy.MatrixBase
        Square matrix over the basis ``labels``.
    labels : sequence of str
        Names of the basis states, for the message.
    what : str
        The matrix's name (``"the Hamiltonian"``).
    hint : str, optional
        How to fix it, appended to the message.

    Raises
    ------
    ValueError
        Naming the first pair of elements that are not conjugate.
    """
    entries = matrix.todok().items() if hasattr(matrix, "todok") else np.ndenumerate(np.array(matrix, dtype=object))
    for (i, j), value in entries:
        partner = sympy.conjugate(matrix[j, i])
        difference = value - partner
        if difference != 0 and sympy.simplify(difference) != 0:
            raise ValueError(
                f"{what} is not Hermitian: <{labels[i]}|H|{labels[j]}> = {value} but "
                f"<{labels[j]}|H|{labels[i]}>* = {partner}" + (f" ({hint})" if hint else "")
            )


def initial_weights(states: Sequence[str], initial: str | Mapping[str, Value]) -> dict[str, sympy.Expr]:
    """Exact, non-negative initial weights from a state label or a ``{state: weight}`` mapping.

    Parameters
    ----------
    states : sequence of str
        The state labels.
    initial : str or mapping of str to value
        One state (weight 1) or weights of some states (not normalized here).

    Returns
    -------
    dict of str to sympy.Expr
        ``{state: weight}`` for the states named.

    Raises
    ------
    ValueError
        For an unknown state or a negative weight.

    Examples
    --------
    >>> initial_weights(["a", "b"], {"b": 2})
    {'b': 2}
    """
    if isinstance(initial, str):
        initial = {initial: 1}
    weights = {}
    for state, value in initial.items():
        if state not in states:
            raise ValueError(f"initial: unknown state {state!r}; states: {', '.join(states)}")
        weight = to_expr(value, f"initial weight of {state!r}")
        if weight.is_negative:
            raise ValueError(f"initial weight of {state!r} is negative ({weight})")
        weights[state] = weight
    return weights


def initial_probabilities(states: Sequence[str], initial: str | Mapping[str, float] | npt.ArrayLike) -> np.ndarray:
    """Initial probabilities from a state label, a ``{state: p}`` mapping or an array.

    Parameters
    ----------
    states : sequence of str
        The state labels, in order.
    initial : str, mapping of str to float, or array_like
        One state (probability 1), probabilities of some states (the others 0), or one
        probability per state.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(states),)``.

    Raises
    ------
    ValueError
        For an unknown state, a wrong shape, or probabilities that are not finite, not >= 0 or do
        not sum to 1 (to 1e-9).

    Examples
    --------
    >>> initial_probabilities(["a", "b"], "b").tolist()
    [0.0, 1.0]
    """
    states = tuple(states)
    n = len(states)
    p = np.zeros(n)
    if isinstance(initial, (str, Mapping)):
        for state, weight in initial_weights(states, initial).items():
            p[states.index(state)] = float(weight)
    else:
        p = np.asarray(initial, dtype=float)
        if p.shape != (n,):
            raise ValueError(f"initial: expected {n} probabilities, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1) > 1e-9:
        raise ValueError("initial: probabilities must be finite, >= 0 and sum to 1")
    return p
