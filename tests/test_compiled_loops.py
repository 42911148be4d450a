"""The compiled loops of the small-model solve (numeric/_loops.c) against their NumPy references.

Each compiled loop does the NumPy version's arithmetic in the same order, so the two agree to the
last bit on the same inputs; the whole solve of a model agrees with the NumPy path (run in a child
process with ``SYMBOLIC_PME_NUMPY_LOOPS=1``) to rounding.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from symbolic_pme.numeric import loops
from symbolic_pme.numeric.blocks import _remove_residuals, _remove_residuals_numpy
from symbolic_pme.numeric.flat import FlatRates
from symbolic_pme.numeric.solver import _steady_state_gth_numpy, steady_state_gth

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = Path(__file__).resolve().parent / "data"

needs_compiled = pytest.mark.skipif(not loops.COMPILED, reason="compiled loops switched off (SYMBOLIC_PME_NUMPY_LOOPS)")


def test_the_install_built_the_compiled_loops():
    """The README's install builds the extension: a failed build must not pass unnoticed."""
    if os.environ.get("SYMBOLIC_PME_NUMPY_LOOPS", "") not in ("", "0"):
        pytest.skip("compiled loops switched off on purpose")
    assert loops.COMPILED
    assert loops.compiled_loops() is not None


def test_the_compiled_loops_are_built_from_this_source():
    """A failed rebuild leaves an editable checkout its last module: a stale one must not pass."""
    module = loops.compiled_loops()
    source = Path(__file__).resolve().parents[1] / "numeric" / "_loops.c"
    if module is None or not source.exists():
        pytest.skip("no compiled loops, or no source beside the tests")
    assert module.SOURCE == hashlib.sha256(source.read_bytes()).hexdigest()


def _random_transfer(rng, n: int, batch: int) -> np.ndarray:
    """Rates spanning eleven orders of magnitude, some points with an unreachable state."""
    transfer = rng.random((n, n, batch)) * 10.0 ** rng.uniform(-8, 3, (n, n, batch))
    if batch > 2 and n > 1:
        transfer[:, n - 1, 0] = 0.0  # state n-1 cannot leave at point 0: a failed point
        transfer[: n - 1, 1 % n, 1] = 0.0
    return transfer


@needs_compiled
@pytest.mark.parametrize("n, batch", [(1, 4), (2, 3), (3, 0), (5, 70), (8, 201), (12, 129), (16, 65)])
def test_gth_equals_the_numpy_reduction_bitwise(n, batch):
    transfer = _random_transfer(np.random.default_rng(n * 1000 + batch), n, batch)
    compiled, compiled_failed = steady_state_gth(transfer.copy())
    reference, reference_failed = _steady_state_gth_numpy(transfer.copy())
    assert compiled.shape == (n, batch) and compiled_failed.dtype == bool
    np.testing.assert_array_equal(compiled_failed, reference_failed)
    good = ~reference_failed
    np.testing.assert_array_equal(compiled[:, good], reference[:, good])
    if batch > 2 and n > 1:
        assert compiled_failed[0]
    if good.any():
        np.testing.assert_allclose(compiled[:, good].sum(axis=0), 1.0, rtol=1e-14)
        assert np.all(compiled[:, good] >= 0)


@needs_compiled
def test_gth_of_more_states_than_the_loops_take_runs_in_numpy():
    transfer = _random_transfer(np.random.default_rng(7), loops.GTH_STATES + 1, 5)
    compiled, _ = steady_state_gth(transfer.copy())
    reference, _ = _steady_state_gth_numpy(transfer.copy())
    np.testing.assert_array_equal(compiled, reference)


def _layout(rng) -> tuple[FlatRates, int]:
    """Three leads' blocks between the states of a 7-state model."""
    blocks = [
        (np.array([1, 2]), np.array([0]), 0),
        (np.array([3, 4, 5]), np.array([1, 2]), 0),
        (np.array([1, 2]), np.array([0]), 1),
        (np.array([6]), np.array([3, 4, 5]), 1),
        (np.array([3, 4, 5]), np.array([1, 2]), 2),
    ]
    return FlatRates(blocks, 7, 3), 7


@needs_compiled
def test_transfer_matrix_equals_the_sparse_product():
    rng = np.random.default_rng(3)
    flat, n = _layout(rng)
    rates = rng.random((2 * len(flat.upper), 33))
    buffer = np.full(n * n * 40, np.nan)  # a reused buffer larger than needed, with stale values
    compiled = flat.transfer_matrix(rates, out=buffer)
    np.testing.assert_array_equal(compiled, flat.transfer @ rates)
    assert np.shares_memory(compiled, buffer)


@needs_compiled
@pytest.mark.parametrize("varying_energies", [False, True])
def test_flat_currents_equal_the_numpy_sums(varying_energies):
    rng = np.random.default_rng(4)
    flat, n = _layout(rng)
    batch, size = 29, len(flat.upper)
    rates = rng.random((2 * size, batch)) * 10.0 ** rng.uniform(-8, 0, (2 * size, batch))
    probabilities = rng.random((n, batch))
    probabilities /= probabilities.sum(axis=0)
    delta = rng.normal(size=(size, batch if varying_energies else 1))
    charge, energy, gross = flat.currents(rates, delta, probabilities)
    reference = flat._currents_numpy(rates, delta, probabilities)
    np.testing.assert_allclose(gross, reference[2], rtol=1e-14)  # (the NumPy sums are a product)
    scale = np.abs(reference[2]).max(axis=0)  # each point's gross flux bounds the rounding
    np.testing.assert_allclose(charge, reference[0], rtol=0, atol=1e-15 * scale.max())
    np.testing.assert_allclose(energy, reference[1], rtol=0, atol=1e-14 * scale.max())
    # the currents are the sums over each lead's own entries
    lead = 1
    entries = np.flatnonzero(flat.lead == lead)
    inflow = probabilities[flat.lower[entries]] * rates[entries]
    outflow = probabilities[flat.upper[entries]] * rates[size + entries]
    np.testing.assert_allclose(gross[lead], (inflow + outflow).sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(charge[lead], (inflow - outflow).sum(axis=0), rtol=1e-12, atol=1e-15 * scale.max())


@needs_compiled
@pytest.mark.parametrize("leads", [1, 2, 3, 5])
def test_remove_residuals_equals_the_numpy_version_bitwise(leads):
    rng = np.random.default_rng(leads)
    gross = rng.random((leads, 301)) * 10.0 ** rng.uniform(-9, 0, (leads, 301))
    gross[:, 0] = 0.0  # no flux at all: no shares
    gross[:, 1] = 1.0  # equal fluxes: the first lead takes the rest
    values = rng.normal(size=(leads, 301)) * gross
    compiled, reference = values.copy(), values.copy()
    _remove_residuals([compiled], gross)
    _remove_residuals_numpy([reference], gross)
    np.testing.assert_array_equal(compiled, reference)
    assert np.all(np.abs(compiled.sum(axis=0)) <= 1e-15 * np.abs(compiled).max(axis=0) + 1e-300)


def test_loops_reject_inconsistent_buffers():
    module = loops.compiled_loops()
    if module is None:
        pytest.skip("compiled loops switched off")
    with pytest.raises(ValueError, match="transfer holds"):
        module.steady_state_gth(np.zeros(7), np.zeros(2), np.zeros(1, dtype=np.uint8), 2, 1)
    with pytest.raises(ValueError, match="1 <= n"):
        module.steady_state_gth(np.zeros(17 * 17), np.zeros(17), np.zeros(1, dtype=np.uint8), 17, 1)
    with pytest.raises(ValueError, match="out of range"):
        module.transfer_matrix(np.zeros(2), np.array([0, 9], dtype=np.int64), np.zeros(4), 2, 4, 1)
    with pytest.raises(ValueError, match="at least one lead"):
        module.remove_residuals(np.zeros(0), np.zeros(0), 0, 0)


SWEEP_CHILD = """
import json, sys
import numpy as np
from symbolic_pme.files.model_file import load_model
from symbolic_pme.numeric import loops
approach = sys.argv[2] if len(sys.argv) > 2 else "pauli"
result = load_model(sys.argv[1]).compile().sweep({"V": np.linspace(-1.0, 1.0, 41)}, approach=approach)
print(json.dumps({
    "compiled": loops.COMPILED,
    "probabilities": result.probabilities.tolist(),
    "currents": {q: {c: v.tolist() for c, v in per.items()} for q, per in result.currents.items()},
}))
"""


def _sweep_in_child(model: Path, numpy_loops: bool, folder: Path, approach: str = "pauli") -> dict:
    """The sweep in a fresh process started in ``folder`` (not the checkout, whose source tree
    would shadow the installed package on the child's path)."""
    environment = dict(os.environ, SYMBOLIC_PME_NUMPY_LOOPS="1" if numpy_loops else "0")
    child = subprocess.run(
        [sys.executable, "-c", SWEEP_CHILD, str(model), approach],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        cwd=folder,
    )
    return json.loads(child.stdout)


@needs_compiled
@pytest.mark.parametrize(
    "model, approach",
    [
        (EXAMPLES / "triangle.toml", "pauli"),
        (DATA / "random_spinless_4.toml", "lindblad"),  # the factored dense kernel
        (DATA / "random_spinful_2.toml", "1vn"),
    ],
)
def test_a_sweep_agrees_with_the_numpy_path(tmp_path, model, approach):
    compiled = _sweep_in_child(model, numpy_loops=False, folder=tmp_path, approach=approach)
    reference = _sweep_in_child(model, numpy_loops=True, folder=tmp_path, approach=approach)
    assert compiled["compiled"] and not reference["compiled"]
    # (the coherent solves differ in their LU: LAPACK's of the transposed kernel, by point)
    np.testing.assert_allclose(compiled["probabilities"], reference["probabilities"], rtol=1e-13, atol=1e-14)
    scale = max(np.abs(v).max() for per_lead in reference["currents"].values() for v in per_lead.values())
    for quantity, per_lead in reference["currents"].items():
        largest = max(np.abs(v).max() for v in per_lead.values())
        if largest < 1e-12 * scale:  # vanishes by symmetry (spin, with no field): rounding on both sides
            largest = scale
        for lead, values in per_lead.items():
            np.testing.assert_allclose(compiled["currents"][quantity][lead], values, rtol=0, atol=1e-13 * largest)


def _generators(rng, size: int, batch: int, *, twist: float = 0.1) -> np.ndarray:
    """Kernels ``(batch, size, size)`` of random rate matrices (columns summing to zero), plus a small
    random part (as a coherent kernel's commutator adds) that keeps them regular."""
    rates = rng.random((batch, size, size)) * 10.0 ** rng.uniform(-3, 1, (batch, size, size))
    rates[:, np.arange(size), np.arange(size)] = 0.0
    return _with_diagonal(rates) + twist * rng.normal(size=(batch, size, size))


def _with_diagonal(rates: np.ndarray) -> np.ndarray:
    """The generators of the off-diagonal rates: each column sums to zero."""
    size = rates.shape[-1]
    off = rates * (1 - np.eye(size))
    return off - np.eye(size) * off.sum(axis=-2)[..., None, :]


@needs_compiled
@pytest.mark.parametrize("size, batch", [(1, 3), (7, 5), (36, 19), (70, 11)])
def test_dense_steady_equals_the_numpy_solve(size, batch):
    from symbolic_pme.numeric.coherent import _solved, _solved_numpy

    rng = np.random.default_rng(size * 100 + batch)
    kernel = _generators(rng, size, batch)
    trace = (rng.random(size) < 0.5).astype(float)
    trace[0] = 1.0
    kept = kernel.copy()
    reference = _solved_numpy(kernel.copy(), trace)
    for layout in (kernel, np.ascontiguousarray(np.swapaxes(kernel, 0, 2)).swapaxes(0, 2)):  # any strides
        compiled = _solved(layout, trace)
        np.testing.assert_allclose(compiled, reference, rtol=1e-10, atol=1e-12 * np.abs(reference).max())
        np.testing.assert_array_equal(layout, kept)  # the kernel is left as it is
    # the solution solves the kernel with its first row replaced by the trace
    system = kernel.copy()
    system[:, 0, :] = trace
    residual = np.einsum("bij,bj->bi", system, compiled) - np.eye(size)[0]
    assert np.abs(residual).max() < 1e-10 * np.abs(system).max() * np.abs(compiled).max()


@needs_compiled
@pytest.mark.parametrize("size, batch", [(1, 2), (2, 3), (5, 4), (9, 7), (36, 9), (70, 11), (150, 5), (151, 3)])
def test_the_lane_lu_agrees_with_lapacks(size, batch, monkeypatch):
    """Four points a lane each (the last lanes of a group given the identity) or LAPACK point by
    point: the same steady states to rounding, and the same condition estimates (the same pivots
    and probes; 151 parameters and more always go to LAPACK)."""
    from symbolic_pme.numeric import coherent

    module = loops.compiled_loops()
    assert module.lanes_supported(size) == (module.lanes_supported(1) and size <= 150)
    rng = np.random.default_rng(size + 7 * batch)
    kernel = _generators(rng, size, batch)
    trace = (rng.random(size) < 0.5).astype(float)
    trace[0] = 1.0
    results = {}
    for lanes in (False, True):
        solutions, estimates = np.empty((batch, size)), np.empty(batch)
        module.dense_steady(kernel, trace, coherent._probe(size), solutions, estimates, *coherent._lu(), lanes)
        monkeypatch.setattr(coherent, "LANE_LU", lanes)
        np.testing.assert_array_equal(coherent._solved(kernel, trace), solutions)  # what the solve takes
        results[lanes] = solutions, estimates
    (lapack, lapack_estimates), (lanes, lane_estimates) = results[False], results[True]
    np.testing.assert_allclose(lanes, lapack, rtol=1e-10, atol=1e-12 * np.abs(lapack).max())
    np.testing.assert_allclose(lane_estimates, lapack_estimates, rtol=1e-8)
    system = kernel.copy()
    system[:, 0, :] = trace
    residual = np.einsum("bij,bj->bi", system, lanes) - np.eye(size)[0]
    assert np.abs(residual).max() < 1e-10 * np.abs(system).max() * np.abs(lanes).max()


@needs_compiled
@pytest.mark.parametrize("lanes", [False, True])
def test_a_kernel_that_is_not_finite_has_no_estimate(lanes):
    """NaN or infinite entries at one point: its estimate is NaN (reported as not unique), the
    other points of its lane group are solved as alone."""
    from symbolic_pme.numeric.coherent import _lu, _probe

    module = loops.compiled_loops()
    rng = np.random.default_rng(3)
    kernel = _generators(rng, 8, 6)
    alone = np.empty((6, 8)), np.empty(6)
    module.dense_steady(kernel, np.ones(8), _probe(8), *alone, *_lu(), lanes)
    kernel[2, 4, 5], kernel[3, 1, 1] = np.nan, np.inf
    solutions, estimates = np.empty((6, 8)), np.empty(6)
    module.dense_steady(kernel, np.ones(8), _probe(8), solutions, estimates, *_lu(), lanes)
    assert np.isnan(estimates[2]) and np.isnan(estimates[3])
    keep = [0, 1, 4, 5]
    np.testing.assert_array_equal(solutions[keep], alone[0][keep])
    np.testing.assert_array_equal(estimates[keep], alone[1][keep])


@needs_compiled
@pytest.mark.parametrize("lanes", [False, True])
def test_dense_steady_reports_the_points_with_two_steady_states(lanes, monkeypatch):
    from symbolic_pme.numeric import coherent
    from symbolic_pme.numeric.coherent import _solved

    from symbolic_pme.errors import NonUniqueSteadyState

    monkeypatch.setattr(coherent, "LANE_LU", lanes)

    rng = np.random.default_rng(11)
    kernel = _generators(rng, 6, 4, twist=0.0)
    kernel[1, :3, 3:] = kernel[1, 3:, :3] = 0.0  # point 1: states 0-2 and 3-5 never meet
    kernel[3, :, 5] = kernel[3, 5, :] = 0.0  # point 3: nothing reaches state 5, which never leaves
    kernel = _with_diagonal(kernel)
    with pytest.raises(NonUniqueSteadyState) as raised:
        _solved(kernel, np.ones(6))
    assert raised.value.indices == [(1,), (3,)]
    assert _solved(kernel[[0, 2]], np.ones(6)).shape == (2, 6)  # the other points are unique


@needs_compiled
@pytest.mark.parametrize("batch", [1, 11, 37])
def test_factored_steady_equals_the_dense_solve_of_the_product_bitwise(batch):
    from scipy.sparse import csr_array, random_array
    from symbolic_pme.numeric.coherent import FactoredKernels, _reshaped, _solved

    rng = np.random.default_rng(batch)
    size, columns = 9, 40
    # a random sparse part on 39 monomials, and a generator on the last (the constant one)
    sparse = random_array((size * size, columns - 1), density=0.1, rng=rng, format="csr", dtype=float)
    matrix = csr_array(np.hstack([sparse.toarray(), _generators(rng, size, 1)[0].reshape(-1, 1)]))
    matrix.indices, matrix.indptr = matrix.indices.astype(np.int32), matrix.indptr.astype(np.int32)
    monomials = np.vstack([rng.random((columns - 1, batch)) * 0.01, np.ones((1, batch))])
    kernels = FactoredKernels(matrix, monomials)
    trace = np.ones(size)
    reference = _solved(_reshaped(kernels.array(), (-1, size, size)), trace)
    np.testing.assert_array_equal(kernels.solved(trace), reference)  # the same kernels, the same LU


@needs_compiled
@pytest.mark.parametrize("with_coefficient, with_slots", [(False, False), (True, False), (True, True), (False, True)])
def test_pair_products_equal_the_numpy_gathers_bitwise(with_coefficient, with_slots, monkeypatch):
    from symbolic_pme.numeric import coherent_factored

    rng = np.random.default_rng(5)
    values = rng.normal(size=(30, 7))
    first, second = rng.integers(0, 30, 200, dtype=np.int32), rng.integers(0, 30, 200, dtype=np.int32)
    coefficient = rng.normal(size=200) if with_coefficient else None
    slots = rng.integers(0, 50, 200, dtype=np.int32) if with_slots else None
    shape = (50, 7) if with_slots else (200, 7)
    compiled, reference = np.zeros(shape), np.zeros(shape)
    coherent_factored.pair_products(values, first, second, compiled, coefficient=coefficient, slots=slots)
    monkeypatch.setattr(coherent_factored, "compiled_loops", lambda: None)
    coherent_factored.pair_products(values, first, second, reference, coefficient=coefficient, slots=slots)
    np.testing.assert_array_equal(compiled, reference)
    products = values[first] * values[second] * (1.0 if coefficient is None else coefficient[:, None])
    expected = np.zeros(shape)
    if with_slots:
        np.add.at(expected, slots, products)
    else:
        expected = products
    np.testing.assert_allclose(compiled, expected, rtol=1e-13, atol=1e-13)


def test_the_coherent_loops_reject_inconsistent_buffers():
    module = loops.compiled_loops()
    if module is None:
        pytest.skip("compiled loops switched off")
    from symbolic_pme.numeric.coherent import _lu

    with pytest.raises(ValueError, match="out of range"):
        module.pair_product_sums(
            np.zeros((3, 2)),
            np.array([0, 3], np.int32),
            np.array([0, 1], np.int32),
            np.empty(0),
            np.empty(0),
            np.zeros((2, 2)),
            2,
        )
    with pytest.raises(ValueError, match="kernels must be"):
        module.dense_steady(np.zeros((2, 3, 4)), np.ones(3), np.ones((3, 1)), np.zeros(6), np.zeros(2), *_lu(), True)
    with pytest.raises(ValueError, match="not a CSR matrix"):  # an index beyond the monomials
        module.factored_steady(
            np.array([0, 1, 1, 1, 1], dtype=np.int32),
            np.array([5], dtype=np.int32),
            np.ones(1),
            np.ones((2, 1)),
            2,
            1,
            np.ones(2),
            np.ones((2, 1)),
            np.zeros(2),
            np.zeros(1),
            *_lu(),
            True,
        )
    with pytest.raises(TypeError, match="capsule"):
        module.dense_steady(
            np.zeros((1, 2, 2)), np.ones(2), np.ones((2, 1)), np.zeros(2), np.zeros(1), None, None, True
        )


@needs_compiled
@pytest.mark.parametrize("shape, m", [((), 1), ((), 6), ((3,), 4), ((2, 5), 7), ((4,), 40)])
def test_eigh_equals_numpy_bitwise(shape, m):
    from symbolic_pme.numeric.eigensystems import eigh

    rng = np.random.default_rng(m)
    h = rng.normal(size=shape + (m, m))
    h = h + np.swapaxes(h, -1, -2)
    h[..., 0, -1] += 1.0  # the upper triangle is not read, as by NumPy
    values, vectors = eigh(h)
    reference = np.linalg.eigh(h)
    np.testing.assert_array_equal(values, reference[0])
    np.testing.assert_array_equal(vectors, reference[1])
    lower = np.tril(h) + np.swapaxes(np.tril(h, -1), -1, -2)
    np.testing.assert_allclose(lower @ vectors, vectors * values[..., None, :], atol=1e-12 * np.abs(h).max())


def test_eigh_of_complex_matrices_is_numpys():
    from symbolic_pme.numeric.eigensystems import eigh

    rng = np.random.default_rng(2)
    h = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    h = h + h.conj().T
    values, vectors = eigh(h)
    np.testing.assert_array_equal(values, np.linalg.eigh(h)[0])
    assert vectors.dtype == complex


@needs_compiled
def test_lindblad_monomials_equal_the_numpy_version_bitwise(monkeypatch):
    from types import SimpleNamespace

    from symbolic_pme.numeric import coherent_factored

    rng = np.random.default_rng(8)
    batch, n, monomials = 7, 30, 90
    particle, hole = rng.normal(size=(batch, n)), rng.normal(size=(batch, n))  # negative rates: s = 0
    particle[2, 3], hole[1, 0] = np.nan, -0.0
    used = rng.choice(2 * n, 12, replace=False).astype(np.int32)  # few of the padded factors, as in a model
    factors = (used[rng.integers(0, 12, monomials)], used[rng.integers(0, 12, monomials)])
    factors[0][:2], factors[1][:2] = 3, n  # rows 3 and n: the NaN rate and the -0 one
    terms = SimpleNamespace(approach="lindblad", monomials=monomials, pair_factors=factors, complex=False)
    compiled = coherent_factored.FactoredTerms.monomial_values(terms, particle, hole)
    monkeypatch.setattr(coherent_factored, "compiled_loops", lambda: None)
    reference = coherent_factored.FactoredTerms.monomial_values(terms, particle, hole)
    np.testing.assert_array_equal(compiled, reference)  # NaNs in the same places
    jumps = np.sqrt(np.maximum(2 * np.concatenate([particle, hole], axis=1), 0.0))
    np.testing.assert_allclose(compiled[:-1], (jumps[:, factors[0]] * jumps[:, factors[1]]).T, rtol=1e-15)
    assert np.isnan(compiled[0, 2]) and np.all(compiled[-1] == 1.0)


@needs_compiled
@pytest.mark.parametrize(
    "model, approach", [("random_spinful_2.toml", "redfield"), ("random_spinless_4.toml", "lindblad")]
)
def test_densities_and_factored_currents_equal_the_numpy_versions(monkeypatch, model, approach):
    from symbolic_pme.numeric import coherent, coherent_currents
    from symbolic_pme.numeric.coherent_steady import coherent_kernel

    from symbolic_pme.files.model_file import load_model

    compiled = load_model(DATA / model).compile()
    biases = {"V": np.linspace(-1.0, 1.5, 9)}
    fast = compiled.sweep(biases, approach=approach)
    monkeypatch.setattr(coherent_currents, "compiled_loops", lambda: None)  # the same solve, NumPy's currents
    reference = compiled.sweep(biases, approach=approach)
    assert set(fast.currents) == set(reference.currents) and ("spin" in fast.currents) == ("spinful" in model)
    scale = max(np.abs(v).max() for v in reference.currents["charge"].values())
    for quantity, per_lead in reference.currents.items():
        for lead, values in per_lead.items():
            # the two sum the same terms in another order: rounding of the largest current, 1e-14
            np.testing.assert_allclose(fast.currents[quantity][lead], values, rtol=1e-13, atol=1e-14 * scale)
    np.testing.assert_allclose(fast.current["L"], -fast.current["R"], rtol=1e-10)  # charge is conserved
    kernel = coherent_kernel(compiled.blocks)
    parameters = np.random.default_rng(1).normal(size=(5, kernel.layout.size))
    gathered = kernel.densities(parameters)
    monkeypatch.setattr(coherent, "compiled_loops", lambda: None)
    np.testing.assert_array_equal(gathered, kernel.densities(parameters))
