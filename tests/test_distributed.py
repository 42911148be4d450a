"""Sweeps through executors (issue 14, item 4): bitwise the serial result, lost workers retried or reported.

The process-pool tests come first: they fork, which is safe only before the Dask cluster of the
last tests has started its threads.
"""

from __future__ import annotations

import os
import pickle
from concurrent.futures import BrokenExecutor, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import sympy
from symbolic_pme.numeric import compile_network
from symbolic_pme.numeric.network import CompiledNetwork

from symbolic_pme.cli import main
from symbolic_pme.errors import NonUniqueSteadyState, WorkerLost
from symbolic_pme.files.model_file import load_model
from symbolic_pme.networks.network import RateNetwork

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: 53 x 40 points in chunks of 12 rows (480 points): five chunks, the last one short.
AXES = {"gate": np.linspace(-0.6, 0.4, 53), "V": np.linspace(-1, 1, 40)}


def small_chunks(monkeypatch: pytest.MonkeyPatch, points: int = 480) -> None:
    """Solve in chunks of ``points`` (the parent decides the chunks, serially and distributed alike)."""
    monkeypatch.setattr(CompiledNetwork, "_chunk_size", lambda self, total, progress, method="auto": points)


def assert_identical(result, serial) -> None:
    assert result.shape == serial.shape and list(result.axes) == list(serial.axes)
    assert np.array_equal(result.probabilities, serial.probabilities)
    assert result.currents.keys() == serial.currents.keys()
    for quantity, by_lead in serial.currents.items():
        for lead, values in by_lead.items():
            assert np.array_equal(result.currents[quantity][lead], values), (quantity, lead)
    for name, values in serial.state_values.items():
        assert np.array_equal(result.state_values[name], values), name


@pytest.fixture(scope="module")
def coulomb() -> CompiledNetwork:
    return load_model(EXAMPLES / "triangle_coulomb.toml").compile()


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(max_workers=2) as executor:
        yield executor


def test_a_compiled_network_pickles_as_its_recipe_and_solves_the_same(coulomb):
    again = pickle.loads(pickle.dumps(coulomb))
    assert again is not coulomb and again.parameters == coulomb.parameters
    assert pickle.loads(pickle.dumps(coulomb)) is again  # compiled once per process (and thread)
    assert_identical(again.sweep({"V": np.linspace(-1, 1, 11)}), coulomb.sweep({"V": np.linspace(-1, 1, 11)}))


def test_a_process_pool_gives_the_serial_result_bitwise(coulomb, pool, monkeypatch):
    small_chunks(monkeypatch)
    serial = coulomb.sweep(AXES)
    assert_identical(coulomb.sweep(AXES, executor=pool), serial)
    # steady_state takes an executor too, and an open network goes through its closed embedding
    values = {"V": np.linspace(-1, 1, 30)[:, None], "gate": np.linspace(-0.5, 0.5, 20)}
    assert_identical(coulomb.steady_state(values, executor=pool), coulomb.steady_state(values))
    k, gamma = sympy.symbols("k G", positive=True)
    chain = RateNetwork(["D", "A"], [("D", "A", k), ("A", "D", 1)], sources={"D": gamma}, sinks=[("A", 2, "out")])
    compiled = compile_network(chain, defaults={"G": 1.0})
    axes = {"k": np.linspace(0.5, 3, 2000)}
    assert_identical(compiled.sweep(axes, executor=pool), compiled.sweep(axes))


def test_the_real_chunks_of_a_large_grid_are_solved_bitwise_alike(pool):
    triangle = load_model(EXAMPLES / "triangle.toml").compile()
    axes = {"V": np.linspace(-1, 1, 300), "T": np.linspace(0.05, 0.2, 250)}  # 75 000 points: two chunks
    assert_identical(triangle.sweep(axes, executor=pool), triangle.sweep(axes))


def test_an_error_of_the_solve_comes_back_located_in_the_whole_grid(pool, monkeypatch):
    small_chunks(monkeypatch, 100)
    ring = compile_network(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): "k"}))
    k = np.linspace(1, 2, 1000)
    k[731] = 0.0  # the two states disconnect there
    with pytest.raises(NonUniqueSteadyState, match=r"first at index \(731,\) \(k = 0\)"):
        ring.sweep({"k": k}, executor=pool)


class _Dying(Executor):
    """A process pool whose worker exits (``os._exit``) on the chunk numbered ``doomed``."""

    def __init__(self, doomed: int) -> None:
        self.pool, self.doomed, self.submitted = ProcessPoolExecutor(max_workers=2), doomed, 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.submitted += 1
        if self.submitted == self.doomed:
            return self.pool.submit(os._exit, 1)
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, **kwargs) -> None:
        self.pool.shutdown(wait=wait, cancel_futures=True)


def test_a_worker_that_dies_mid_sweep_is_reported_never_dropped(coulomb, monkeypatch):
    small_chunks(monkeypatch)
    with _Dying(doomed=3) as dying, pytest.raises(WorkerLost) as lost:
        coulomb.sweep(AXES, executor=dying)
    message = str(lost.value)
    assert "a worker was lost while solving grid rows" in message and "of 53 along axis 0 (gate from" in message
    assert "BrokenProcessPool" in message and "no result is returned" in message


class _Flaky(Executor):
    """Threads; the first submission of chunk ``doomed`` fails as if its worker had died."""

    def __init__(self, doomed: int) -> None:
        self.threads, self.doomed, self.submitted = ThreadPoolExecutor(max_workers=2), doomed, 0

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.submitted += 1
        if self.submitted == self.doomed:
            lost: Future = Future()
            lost.set_exception(BrokenExecutor("the worker died"))
            return lost
        return self.threads.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, **kwargs) -> None:
        self.threads.shutdown(wait=wait)


def test_a_chunk_whose_worker_was_lost_is_solved_again(coulomb, monkeypatch):
    small_chunks(monkeypatch)
    with _Flaky(doomed=2) as flaky:
        result = coulomb.sweep(AXES, executor=flaky)
    assert flaky.submitted == 5 + 1  # five chunks, one of them twice
    assert_identical(result, coulomb.sweep(AXES))


def _npz(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _solve_npz(tmp_path: Path, name: str, *extra: str) -> dict:
    path = tmp_path / f"{name}.npz"
    arguments = ["solve", str(EXAMPLES / "triangle.toml"), "--sweep", "V=-1:1:300", "--sweep", "T=0.05:0.2:250"]
    assert main([*arguments, "--format", "npz", "-o", str(path), "-q", *extra]) == 0
    return _npz(path)


def assert_same_files(found: dict, expected: dict, *, blas_threads_differ: bool = False) -> None:
    """Equal arrays; with ``blas_threads_differ`` (Dask workers run BLAS on one thread), energy
    and heat currents to the last bit of their scale (a threaded GEMM rounds differently)."""
    assert found.keys() == expected.keys()
    for name, values in expected.items():
        if blas_threads_differ and name in ("energy_current", "heat_current"):
            np.testing.assert_allclose(found[name], values, rtol=0, atol=2e-15 * np.abs(values).max())
        else:
            assert np.array_equal(found[name], values), name


def test_the_command_with_local_workers_writes_the_serial_result(tmp_path, capsys):
    assert_same_files(_solve_npz(tmp_path, "workers", "--workers", "2"), _solve_npz(tmp_path, "serial"))
    assert main(["solve", str(EXAMPLES / "triangle.toml"), "--workers", "0"]) == 2
    assert "--workers 0: give a number of processes from 1 to 256" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, timeout="60s") as local,
        Client(local, timeout="60s") as client,
    ):
        yield local, client


def test_a_dask_cluster_gives_the_serial_result_bitwise(cluster, coulomb, monkeypatch):
    _, client = cluster
    small_chunks(monkeypatch)
    with client.get_executor() as executor:
        assert_identical(coulomb.sweep(AXES, executor=executor), coulomb.sweep(AXES))
    assert len(client.scheduler_info()["workers"]) == 2


def test_the_command_on_a_dask_scheduler_writes_the_serial_result(cluster, tmp_path, capsys):
    local, _ = cluster
    dask = _solve_npz(tmp_path, "dask", "--scheduler", local.scheduler_address)
    assert_same_files(dask, _solve_npz(tmp_path, "serial"), blas_threads_differ=True)
