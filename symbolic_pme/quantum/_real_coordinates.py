"""Exact linear algebra of Lindblad models in real coordinates (shared by the reductions).

The coherences ``rho_ij`` (i < j) enter as ``Re rho_ij`` and ``Im rho_ij``, so that for real
parameters every matrix is real and lies in the field of rational functions of the model's
symbols over the rationals; SymPy's :class:`~sympy.polys.matrices.DomainMatrix` solves in it with
fast integer GCDs, where its generic ``LUsolve`` on expression trees with ``I`` takes minutes for
three dephased sites.  Floats are made rationals of their decimal digits first, and results of
such models are turned back into floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sympy
from sympy.polys.constructor import construct_domain
from sympy.polys.matrices import DomainMatrix

from symbolic_pme.quantum.lindblad import Jump, LindbladModel


def real_columns(matrix: sympy.Matrix, pairs: Sequence[tuple[int, int]], n: int) -> sympy.Matrix:
    """Columns of an element-basis matrix for the real coordinates ``Re rho_ij, Im rho_ij`` of
    each pair: ``rho_ij = x + i y`` and ``rho_ji = x - i y``."""
    columns = []
    for i, j in pairs:
        upper, lower = matrix[:, i * n + j], matrix[:, j * n + i]
        columns += [upper + lower, sympy.I * (upper - lower)]
    return sympy.Matrix.hstack(sympy.zeros(matrix.rows, 0), *columns).applyfunc(sympy.expand)


def real_rows(matrix: sympy.Matrix, pairs: Sequence[tuple[int, int]], n: int) -> sympy.Matrix:
    """The rows ``d Re rho_ij/dt`` and ``d Im rho_ij/dt`` of each pair of an element-basis matrix."""
    rows = []
    for i, j in pairs:
        upper, lower = matrix[i * n + j, :], matrix[j * n + i, :]
        rows += [(upper + lower) / 2, -sympy.I * (upper - lower) / 2]
    return sympy.Matrix.vstack(sympy.zeros(0, matrix.cols), *rows).applyfunc(sympy.expand)


def field(matrices: Iterable[sympy.Matrix]):
    """The smallest field (of SymPy's polynomial domains) that holds every entry."""
    entries = list({value for matrix in matrices for value in matrix.values()})
    domain, _ = construct_domain(entries or [sympy.S.One], field=True, extension=True)
    return domain


def domain_matrix(matrix: sympy.Matrix, domain) -> DomainMatrix:
    """A SymPy matrix as a sparse :class:`DomainMatrix` over ``domain``."""
    rows: dict[int, dict[int, object]] = {}
    for (i, j), value in matrix.todok().items():
        if value != 0:
            rows.setdefault(i, {})[j] = domain.from_sympy(value)
    return DomainMatrix(rows, matrix.shape, domain)


def rationalized(model: LindbladModel) -> tuple[LindbladModel, bool]:
    """The model with every Float replaced by the rational of its decimal digits, and whether
    there were any (then the reduced rates are converted back to floats)."""
    exprs = [model.hamiltonian, model.hbar] + [e for j in model.jumps for e in (j.operator, j.rate)]
    floats = set().union(*(e.atoms(sympy.Float) for e in exprs))
    if not floats:
        return model, False
    exact = {f: sympy.Rational(str(f)) for f in floats}
    jumps = [Jump(j.operator.xreplace(exact), j.rate.xreplace(exact), j.channel, j.carries) for j in model.jumps]
    return LindbladModel(model.states, model.hamiltonian.xreplace(exact), jumps, hbar=model.hbar.xreplace(exact)), True


def as_floats(expr: sympy.Expr) -> sympy.Expr:
    """An exact result of float input back in floats: numerator and denominator divided by the
    denominator's leading coefficient, every number a Float."""
    numerator, denominator = sympy.fraction(expr)
    lead = sympy.Poly(denominator).LC() if denominator.free_symbols else denominator
    return sympy.N(sympy.expand(numerator / lead)) / sympy.N(sympy.expand(denominator / lead))
