"""The batched steady-state solvers: GTH state reduction and the LU solve."""

import numpy as np
import pytest
from symbolic_pme.numeric.solver import steady_state, steady_state_gth

from symbolic_pme import NonUniqueSteadyState


def random_rates(n, batch, seed, density=0.5):
    """transfer[j, i] = rate i -> j, a connected random network per grid point."""
    rng = np.random.default_rng(seed)
    transfer = rng.random((n, n, batch)) * (rng.random((n, n, 1)) < density)
    ring = np.roll(np.eye(n), 1, axis=0)[:, :, None] * rng.uniform(0.1, 1.0, (1, 1, batch))
    transfer += ring  # i -> i + 1 around a ring: irreducible
    transfer[np.arange(n), np.arange(n)] = 0.0
    return transfer


def generators(transfer):
    w = np.moveaxis(transfer, -1, 0).copy()
    n = w.shape[-1]
    w[:, np.arange(n), np.arange(n)] = -w.sum(axis=1)
    return w


@pytest.mark.parametrize("n", [1, 2, 3, 8, 12])
def test_gth_equals_lu_and_solves_the_balance(n):
    transfer = random_rates(n, 200, seed=n)
    w = generators(transfer)
    reference = steady_state(w)
    probabilities, failed = steady_state_gth(transfer.copy())
    assert not failed.any()
    assert np.all(probabilities >= 0)
    assert np.allclose(probabilities.sum(axis=0), 1, rtol=0, atol=1e-14)
    assert np.allclose(probabilities.T, reference, rtol=1e-12, atol=1e-15)
    residual = np.einsum("bji,ib->bj", w, probabilities)
    assert np.max(np.abs(residual)) < 1e-13


def test_gth_keeps_relative_accuracy_of_tiny_probabilities():
    """A detailed-balance chain with P_k proportional to exp(-50 k): the smallest is ~1e-109;
    GTH reproduces every probability to 1e-13 relative to itself."""
    n, step = 6, 50.0
    transfer = np.zeros((n, n, 1))
    for k in range(n - 1):
        transfer[k + 1, k] = np.exp(-step)  # uphill k -> k+1
        transfer[k, k + 1] = 1.0  # downhill
    exact = np.exp(-step * np.arange(n))
    exact /= exact.sum()
    probabilities, failed = steady_state_gth(transfer.copy())
    assert not failed.any()
    assert np.allclose(probabilities[:, 0], exact, rtol=1e-13, atol=0)


def test_gth_flags_points_it_cannot_reduce():
    """An absorbing last state (no rate back) cannot be eliminated: flagged for the LU path,
    which solves it; a disconnected point is flagged and LU reports it."""
    transfer = np.zeros((2, 2, 3))
    transfer[1, 0] = 1.0  # 0 -> 1 at every point
    transfer[0, 1] = [1.0, 0.0, 0.0]  # 1 -> 0 only at point 0
    transfer[1, 0, 2] = 0.0  # point 2: no rates at all
    _, failed = steady_state_gth(transfer.copy())
    assert list(failed) == [False, True, True]
    w = generators(transfer)
    assert np.allclose(steady_state(w[:2]), [[0.5, 0.5], [0.0, 1.0]])
    with pytest.raises(NonUniqueSteadyState, match=r"at 1 grid point\(s\), first at index \(0,\)"):
        steady_state(w[2:])
