"""Work buffers kept between solves, the BLAS thread limit and the kept sparse structure of D.

The flat path, the level blocks of multi-point chunks and the analysis keep their large
temporaries in the compiled model's workspace (fresh ones cost page faults); nothing a solve
returns may share memory with them, and a solve of another grid must not see a previous one's
values.  Many points are solved with one BLAS thread (``numeric/threads.py``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from symbolic_pme.numeric.blocks import SparseCreation
from symbolic_pme.numeric.threads import SMALL_WORK, blas_threads_for
from threadpoolctl import threadpool_info

from symbolic_pme.files.model_file import load_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA = Path(__file__).resolve().parent / "data"


def _fresh(path: Path):
    return load_model(path).compile()


@pytest.mark.parametrize("path", [EXAMPLES / "triangle.toml", DATA / "random_spinless_8.toml"], ids=["flat", "levels"])
def test_repeated_solves_of_other_grids_equal_fresh_models(path):
    """Sweeps of different lengths on one compiled model (reusing its buffers) equal the same
    sweeps on freshly compiled models, and earlier results are not overwritten by later solves."""
    model = _fresh(path)
    biases = [np.linspace(-1.0, 1.0, 37), np.linspace(-0.5, 0.9, 11), np.linspace(-1.0, 1.0, 37)]
    kept = [model.sweep({"V": v}) for v in biases]
    for v, result in zip(biases, kept):
        reference = _fresh(path).sweep({"V": v})
        np.testing.assert_array_equal(result.probabilities, reference.probabilities)
        for lead in reference.current:
            np.testing.assert_array_equal(result.current[lead], reference.current[lead])
    np.testing.assert_array_equal(kept[0].probabilities, kept[2].probabilities)


def test_analysis_after_a_sweep_equals_a_fresh_analysis():
    """The analysis shares buffer names with the plain steady state, for the same contents."""
    model = _fresh(EXAMPLES / "triangle.toml")
    model.sweep({"V": np.linspace(-1.0, 1.0, 50)})
    values = {"V": np.linspace(-0.8, 0.8, 23)}
    after = model.analyse(values, cumulants=2, derivatives=["V"])
    fresh = _fresh(EXAMPLES / "triangle.toml").analyse(values, cumulants=2, derivatives=["V"])
    for lead in fresh.statistics.noise:
        np.testing.assert_array_equal(after.statistics.noise[lead], fresh.statistics.noise[lead])
        np.testing.assert_array_equal(after.derivatives.current["V"][lead], fresh.derivatives.current["V"][lead])
    plain = model.sweep(values)
    np.testing.assert_allclose(after.steady_state.probabilities, plain.probabilities, rtol=1e-12, atol=1e-15)


def _blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_many_points_run_with_one_blas_thread_and_the_limit_is_lifted_after():
    before = _blas_threads()
    with blas_threads_for(10_000, 8):
        assert all(n == 1 for n in _blas_threads())
    assert _blas_threads() == before
    with blas_threads_for(1, 16_384):  # one point of a large model keeps the library's threads
        assert _blas_threads() == before
    with blas_threads_for(SMALL_WORK // 8 - 1, 8):  # too little work to switch
        assert _blas_threads() == before


def test_sparse_creation_matrix_equals_the_dense_sum_of_its_entries():
    """D = sum_i t_i <b|d_i^+|a> from the kept CSR structure, on links of sectors of 70 states."""
    compiled = _fresh(DATA / "random_spinless_8.toml")
    blocks = compiled.blocks
    coefficients = blocks.coefficients(compiled.symbol_values(compiled.grid({}).values))
    checked = 0
    for link in blocks.links:
        m_upper = len(blocks.sectors[link.upper].occupations)
        m_lower = len(blocks.sectors[link.lower].occupations)
        dense = np.zeros((m_upper, m_lower))
        for slot, rows, columns, signs in link.creation:
            dense[rows, columns] += float(coefficients[slot]) * signs
        sparse = SparseCreation.of(link.creation, m_upper, m_lower).matrix(coefficients)
        np.testing.assert_array_equal(sparse.toarray(), dense)
        checked += m_lower >= 32
    assert checked > 0
