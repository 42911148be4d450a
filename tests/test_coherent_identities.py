"""Identities of the coherent steady states and the commands that use them.

- Trace one, Hermitian density-matrix blocks and (Lindblad) positive semi-definite blocks on a
  random spinless model; Sum_lead I = 0.
- With level spacings much larger than the broadening (couplings scaled down 100 times), every
  coherent approach gives the Pauli currents to 1e-3 of their largest value.
- The elimination over charge levels (with the half-by-half products of real sources) gives
  the dense solve's steady state, with and without principal parts, spinless and spinful.
- A compiled model solved with a coherent approach is freed when dropped (its cached kernel).
- ``solve --approach`` JSON keys, ``check`` output and the refusal of a model whose kernel
  cannot fit in memory, with the estimate.
"""

import gc
import json
import re
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest
from symbolic_pme.numeric import coherent
from symbolic_pme.numeric.coherent_steady import coherent_kernel

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.cli.main import main
from symbolic_pme.errors import GridTooLarge
from symbolic_pme.files.model_file import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_random_models import random_model_text  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
TRIANGLE = Path(__file__).resolve().parent.parent / "examples" / "triangle.toml"


@pytest.mark.parametrize("approach", ["lindblad", "redfield", "1vn"])
def test_trace_hermiticity_positivity(approach, tmp_path):
    path = tmp_path / "random.toml"
    path.write_text(random_model_text(4, False, 7))
    result = load_model(path).compile().sweep({"V": np.linspace(-1.5, 1.5, 7)}, approach=approach)
    assert np.all(np.abs(result.probabilities.sum(axis=-1) - 1) < 1e-12)
    for block in result.density_matrices:
        assert np.max(np.abs(block - np.conj(np.swapaxes(block, -1, -2)))) < 1e-14
        if approach == "lindblad":
            assert np.all(np.linalg.eigvalsh(block) > -1e-12)
    total = result.current["L"] + result.current["R"]
    assert np.all(np.abs(total) <= 1e-10 * np.abs(result.current["L"]).max())


@pytest.mark.parametrize(("orbitals", "spin"), [(4, False), (2, True)])
@pytest.mark.parametrize(("approach", "principal_parts"), [("lindblad", False), ("1vn", False), ("redfield", True)])
def test_level_elimination_gives_the_dense_solution(orbitals, spin, approach, principal_parts, tmp_path, monkeypatch):
    path = tmp_path / "random.toml"
    path.write_text(re.sub(r"(\[\[lead\]\]\n)", r"\1band = [-1e4, 1e4]\n", random_model_text(orbitals, spin, 3)))
    axes = {"V": np.linspace(-1.5, 1.5, 5)}
    solvers = [load_model(path).compile(), load_model(path).compile()]
    monkeypatch.setattr(coherent, "DENSE_MAX", 10**6)  # a kernel built now solves one dense kernel
    dense = solvers[0].sweep(axes, approach=approach, principal_parts=principal_parts)
    monkeypatch.setattr(coherent, "DENSE_MAX", 0)  # a kernel built from now on eliminates level by level
    levels = solvers[1].sweep(axes, approach=approach, principal_parts=principal_parts)
    assert [coherent_kernel(s.blocks).map.dense for s in solvers] == [True, False]
    np.testing.assert_allclose(levels.probabilities, dense.probabilities, rtol=0, atol=1e-13)
    for lead, current in dense.current.items():
        np.testing.assert_allclose(levels.current[lead], current, rtol=1e-10, atol=1e-16)
    for a, b in zip(levels.density_matrices, dense.density_matrices):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)


def test_a_compiled_model_is_freed_after_a_coherent_solve(tmp_path):
    path = tmp_path / "random.toml"
    path.write_text(random_model_text(3, False, 5))
    compiled = load_model(path).compile()
    compiled.solve(V=0.2, approach="redfield")
    blocks = weakref.ref(compiled.blocks)
    del compiled
    gc.collect()
    assert blocks() is None  # the kernel cached for it holds its blocks weakly


def test_approaches_coincide_with_pauli_when_spacings_exceed_broadening():
    molecule = Hamiltonian(
        FockSpace(["a", "b", "c"]),
        onsite={"a": 0.0, "b": 0.1, "c": 0.2},
        hopping={("a", "b"): 0.05, ("b", "c"): 0.02, ("c", "a"): 0.05},
    )
    leads = [
        Lead("substrate", mu=0, temperature=0.1, coupling={"a": 0.001, "b": 0.001, "c": 0.001}),
        Lead("tip", mu="V", temperature=0.1, coupling={"a": 0.0001, "b": 0.0001, "c": 0.00001}),
    ]
    compiled = TransportModel(molecule, leads).compile()
    axes = {"V": np.linspace(-1, 1, 21)}
    pauli = compiled.sweep(axes)
    for approach in ("lindblad", "redfield", "1vn"):
        coherent = compiled.sweep(axes, approach=approach)
        for lead in ("substrate", "tip"):
            scale = np.abs(pauli.current[lead]).max()
            assert np.abs(coherent.current[lead] - pauli.current[lead]).max() < 1e-3 * scale, (approach, lead)
        assert np.abs(coherent.probabilities - pauli.probabilities).max() < 1e-3


def test_solve_approach_json(tmp_path, capsys):
    output = tmp_path / "out.json"
    assert main(["solve", str(TRIANGLE), "--approach", "1vn", "--format", "json", "-o", str(output), "-q"]) == 0
    document = json.loads(output.read_text())
    assert document["approach"] == "1vn"
    assert {"probabilities", "current", "energy_current", "heat_current"} <= set(document)
    assert abs(sum(document["probabilities"]) - 1) < 1e-12
    assert main(["solve", str(TRIANGLE), "--format", "json", "-o", str(output), "-q"]) == 0
    assert json.loads(output.read_text())["approach"] == "pauli"


def test_check_prints_each_leads_largest_difference(capsys):
    assert main(["check", str(TRIANGLE), "--sweep", "V=-1:1:41"]) == 0
    out = capsys.readouterr().out
    assert "Redfield against Pauli over 41 grid point(s)" in out
    for lead in ("substrate", "tip"):
        line = next(row for row in out.splitlines() if row.strip().startswith(f"{lead}:"))
        assert float(line.split(":")[1].split()[0]) == pytest.approx(1.15e-3, rel=0.05)
        assert " at V = " in line


def test_solve_note_gives_the_measured_difference(capsys):
    assert main(["solve", str(TRIANGLE), "--sweep", "V=-1:1:21"]) == 0
    assert "measured: Redfield changes the current" in capsys.readouterr().err


def test_over_large_model_is_refused_with_its_estimate(tmp_path):
    path = tmp_path / "big.toml"
    path.write_text(random_model_text(10, False, 9))  # 1024 states: a Liouville space of 184756 elements
    compiled = load_model(path).compile()
    with pytest.raises(GridTooLarge, match=r"GiB.*184756 x 184756|184756 x 184756.*GiB"):
        compiled.solve(approach="redfield")


CUT_OFF = """
title = "orbital b reaches lead L through h only"

[system]
orbitals = ["a", "b"]
spin = false

[parameters]
V = 0.2
h = 0.03

[onsite]
a = 0.1
b = 0.3

[[lead]]
name = "L"
mu = "V/2"
temperature = 0.1
coupling = { a = 0.05, b = "h" }

[[lead]]
name = "R"
mu = "-V/2"
temperature = 0.1
coupling = { a = 0.04 }
"""


@pytest.mark.parametrize("approach", ["lindblad", "redfield", "1vn"])
@pytest.mark.parametrize("dense", [True, False])  # one LU of the whole kernel, or elimination by level
def test_a_point_where_a_coupling_vanishes_is_reported(approach, dense, tmp_path, monkeypatch):
    """At h = 0 orbital b is cut off from both leads: the steady state is not unique there (its
    occupation is never set), and the other points still solve.  Redfield's LU meets no exact zero
    pivot there, nor 1vN's elimination (they had returned one of the steady states): the
    condition estimate finds them."""
    from symbolic_pme.errors import NonUniqueSteadyState
    from symbolic_pme.files.model_file import load_model

    if not dense:
        monkeypatch.setattr(coherent, "DENSE_MAX", 0)
    path = tmp_path / "cut.toml"
    path.write_text(CUT_OFF)
    compiled = load_model(path).compile()
    assert coherent_kernel(compiled.blocks).map.dense == dense
    result = compiled.sweep({"h": np.array([0.03, 0.02])}, approach=approach)
    assert np.allclose(result.probabilities.sum(axis=-1), 1.0, rtol=0, atol=1e-12)
    with pytest.raises(NonUniqueSteadyState, match=r"not unique at 1 grid point\(s\), first at index \(1,\)"):
        compiled.sweep({"h": np.array([0.03, 0.0, 0.02])}, approach=approach)


def test_the_condition_estimate_finds_kernels_singular_in_floating_point():
    """``_solved`` solves a fixed random vector by the same LU: a kernel whose rows are dependent
    only up to rounding (no exact zero pivot) is reported, a well-conditioned one solved as numpy
    solves it (to rounding: two right-hand sides take other BLAS kernels than one), and the
    estimate never exceeds the infinity-norm condition number."""
    from symbolic_pme.errors import NonUniqueSteadyState

    rng = np.random.default_rng(7)
    size = 12
    trace = np.zeros(size)
    trace[:4] = 1.0
    regular = rng.standard_normal((3, size, size)) + size * np.eye(size)
    replaced = regular.copy()
    replaced[:, 0, :] = trace
    expected = np.linalg.solve(replaced, np.eye(size)[:, :1])[..., 0]
    assert np.allclose(coherent._solved(regular.copy(), trace), expected, rtol=0, atol=1e-14)
    estimate = np.abs(np.linalg.solve(replaced, coherent._probe(size))).max(axis=(1, 2))
    estimate *= np.abs(np.diagonal(replaced, axis1=1, axis2=2)).max(axis=1)
    assert np.all(estimate <= np.linalg.cond(replaced, np.inf))
    singular = regular.copy()
    singular[1, 2, :] = 0.3 * singular[1, 1, :]  # dependent rows, up to the rounding of 0.3
    with pytest.raises(NonUniqueSteadyState, match="not unique at 1 point") as caught:
        coherent._solved(singular, trace)
    assert caught.value.indices == [(1,)]
