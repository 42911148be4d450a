"""Closed-form steady states by the Markov-chain matrix-tree theorem (Kirchhoff, King–Altman).

For a network with rates k_ij (i -> j) and a unique steady state, the unnormalized steady-state
population of state r is the sum, over all spanning trees directed towards r (every other state
has exactly one outgoing edge and every path ends in r), of the product of the tree's rates.

The number of trees grows very fast with the network (a complete network of n states has
n^(n-2) trees per root), so :func:`count_in_trees` counts them first (Kirchhoff's determinant on
unit weights, exact in integers) and :func:`in_tree_weights` refuses networks beyond a limit with
:class:`ClosedFormTooLarge` instead of running for hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sympy

from symbolic_pme.errors import ClosedFormTooLarge

__all__ = ["count_in_trees", "in_tree_weights"]

Edges = Mapping[tuple[int, int], sympy.Expr]


def count_in_trees(n: int, edges: Sequence[tuple[int, int]]) -> list[float]:
    """Number of spanning trees directed towards each state.

    Kirchhoff's determinant of the unit-weight Laplacian minor, in floating point: exact for
    counts below 2**53, an estimate above (all it is needed for is a size limit).

    Parameters
    ----------
    n : int
        Number of states (0..n-1).
    edges : sequence of (int, int)
        The pairs ``(i, j)`` with a rate from i to j (repeats count once).

    Returns
    -------
    list of float
        The number of in-trees of each root state, in state order.

    Examples
    --------
    >>> count_in_trees(3, [(0, 1), (1, 0), (1, 2), (2, 1), (0, 2), (2, 0)])
    [3.0, 3.0, 3.0]
    """
    laplacian = np.zeros((n, n))
    for i, j in set(edges):
        laplacian[i, i] += 1
        laplacian[i, j] -= 1
    counts = []
    for r in range(n):
        keep = [k for k in range(n) if k != r]
        counts.append(float(round(np.linalg.det(laplacian[np.ix_(keep, keep)]))) if keep else 1.0)
    return counts


def in_tree_weights(n: int, edges: Edges, *, max_trees: int = 20000) -> list[sympy.Expr]:
    """Sum over spanning in-trees of the product of rates, for each root state.

    Parameters
    ----------
    n : int
        Number of states (0..n-1).
    edges : mapping of (int, int) to sympy.Expr
        ``{(i, j): rate}`` for i != j, the total rate from i to j (probability per unit time).
    max_trees : int, optional
        Refuse when any root has more trees than this (counted first by
        :func:`count_in_trees`).

    Returns
    -------
    list of sympy.Expr
        The unnormalized steady-state weight of each root state, in state order.

    Raises
    ------
    ClosedFormTooLarge
        At once, when some root has more than ``max_trees`` trees.

    Examples
    --------
    >>> import sympy
    >>> a, b = sympy.symbols("a b")
    >>> in_tree_weights(2, {(0, 1): a, (1, 0): b})
    [b, a]
    """
    counts = count_in_trees(n, list(edges))
    if max(counts) > max_trees:
        raise ClosedFormTooLarge(
            f"the closed form needs {max(counts):.0f} spanning trees for one state (limit {max_trees}); "
            "compile the network and solve numerically instead"
        )
    successors: list[list[int]] = [[] for _ in range(n)]
    for i, j in edges:
        successors[i].append(j)
    for s in successors:
        s.sort()
    return [_trees_towards(root, n, edges, successors) for root in range(n)]


def _trees_towards(root: int, n: int, edges: Edges, successors: list[list[int]]) -> sympy.Expr:
    others = [k for k in range(n) if k != root]
    chosen: dict[int, int] = {}
    terms: list[sympy.Expr] = []

    def reaches(start: int, target: int) -> bool:
        node = start
        while node in chosen:
            node = chosen[node]
            if node == target:
                return True
        return False

    def extend(position: int, factors: list[sympy.Expr]) -> None:
        if position == len(others):
            terms.append(sympy.Mul(*factors))
            return
        node = others[position]
        for nxt in successors[node]:
            if nxt != root and reaches(nxt, node):
                continue
            chosen[node] = nxt
            factors.append(edges[(node, nxt)])
            extend(position + 1, factors)
            factors.pop()
            del chosen[node]

    extend(0, [])
    return sympy.Add(*terms)
