"""Generated C solvers (issue 13): they compile warning-free, pass their self-test, reproduce the
package through ctypes, and refuse what the C target cannot do (exit 2, one line)."""

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from test_generate_python import assert_reproduces, grid_of

import symbolic_pme.generate.generation as generation
from symbolic_pme.cli import main
from symbolic_pme.files.model_file import load_model
from symbolic_pme.generate import generate

ROOT = Path(__file__).resolve().parent.parent
CC = shutil.which("cc")
FLAGS = ["-std=c99", "-Wall", "-Werror"]

needs_cc = pytest.mark.skipif(CC is None, reason="no C compiler (cc)")


def command(*arguments, capsys) -> tuple[int, str, str]:
    """``symbolic-pme ...`` in this process: exit status, stdout, stderr."""
    status = main([str(a) for a in arguments])
    out, err = capsys.readouterr()
    return status, out, err


@needs_cc
@pytest.mark.parametrize("stem", ["triangle", "anderson"])
def test_compiles_passes_its_self_test_and_reproduces_the_package(stem, tmp_path):
    path = ROOT / "examples" / f"{stem}.toml"
    source = tmp_path / f"{stem}.c"
    generated = generate(path, language="c", output=source)
    assert generated.files == (source, tmp_path / f"{stem}.h") and generated.deviation <= 1e-12
    selftest = tmp_path / "selftest"
    build = [CC, *FLAGS, f"-D{stem.upper()}_SELFTEST", str(source), "-o", str(selftest), "-lm"]
    subprocess.run(build, check=True, capture_output=True)
    run = subprocess.run([str(selftest)], capture_output=True, text=True)
    assert run.returncode == 0 and "8 reference points" in run.stdout, run.stdout
    library = tmp_path / f"lib{stem}.so"
    build = [CC, *FLAGS, "-shared", "-fPIC", str(source), "-o", str(library), "-lm"]
    subprocess.run(build, check=True, capture_output=True)
    solver = ctypes.CDLL(str(library))
    model = load_model(path)
    names, leads, n = list(model.used_parameters), model.leads, len(model.model.states)
    grid = grid_of(model)  # the Anderson model's defaults are particle-hole symmetric: eps varies too
    shape = (3, 41)
    params = np.stack([np.broadcast_to(grid.get(name, model.parameters[name]), shape).ravel() for name in names], 1)
    params = np.ascontiguousarray(params)
    probabilities, currents = np.empty((params.shape[0], n)), np.empty((params.shape[0], 3 * len(leads)))
    pointer = ctypes.POINTER(ctypes.c_double)
    solve_points = solver[f"{stem}_solve_points"]
    solve_points.argtypes = [ctypes.c_long, pointer, pointer, pointer]
    status = solve_points(len(params), *(a.ctypes.data_as(pointer) for a in (params, probabilities, currents)))
    assert status == 0
    result = {"probabilities": dict(zip(model.model.states, probabilities.T.reshape((n,) + shape)))}
    for k, kind in enumerate(("current", "energy_current", "heat_current")):
        block = currents[:, k * len(leads) : (k + 1) * len(leads)]
        result[kind] = dict(zip(leads, block.T.reshape((len(leads),) + shape)))
    assert_reproduces(result, model.compile().steady_state(grid), leads)
    # one point through <name>_solve, and a refused one
    one = solver[f"{stem}_solve"]
    one.argtypes = [pointer, pointer, pointer]
    bad = params[0].copy()
    bad[names.index("T")] = -0.1
    assert one(*(a.ctypes.data_as(pointer) for a in (bad, probabilities[0], currents[0]))) == 2  # NEGATIVE_TEMPERATURE
    assert np.isnan(probabilities[0]).all()


def test_without_a_compiler_the_check_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(generation.shutil, "which", lambda name: None)
    generated = generate(ROOT / "examples" / "single_level.toml", language="c", output=tmp_path / "level.c")
    assert generated.deviation is None and "self-test was not run" in generated.note
    assert "#ifdef LEVEL_SELFTEST" in (tmp_path / "level.c").read_text()
    assert (
        "int level_solve(const double *params, double *probabilities, double *currents);"
        in (tmp_path / "level.h").read_text()
    )


RING = """
[system]
orbitals = ["a", "b", "c"]
[parameters]
V = 0.3
[onsite]
a = 0.0
b = 0.0
c = 0.0
[[hopping]]
orbitals = ["a", "b"]
value = {hopping}
[[hopping]]
orbitals = ["b", "c"]
value = {hopping}
[[hopping]]
orbitals = ["c", "a"]
value = {hopping}
[[lead]]
name = "L"
mu = "V/2"
temperature = 0.05
coupling = {{ a = 0.1 }}
[[lead]]
name = "R"
mu = "-V/2"
temperature = 0.05
coupling = {{ b = 0.1 }}
"""


@pytest.mark.parametrize(
    "hopping, language, message",
    [
        ('"0.05*exp(I*V)"', "c", "complex hoppings or couplings need complex eigenvectors"),
        ("0.05", "python", "degenerate levels in block N=1"),  # a symmetric ring: degenerate at every point
    ],
    ids=["complex-in-c", "degenerate-everywhere"],
)
def test_refusals_are_one_line_with_exit_status_2(hopping, language, message, tmp_path, capsys):
    (tmp_path / "ring.toml").write_text(RING.format(hopping=hopping))
    output = tmp_path / ("ring.c" if language == "c" else "ring.py")
    status, out, err = command("generate", tmp_path / "ring.toml", "--language", language, "-o", output, capsys=capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ring.toml"]


def test_command_refuses_a_missing_folder_before_computing(tmp_path, capsys):
    output = tmp_path / "no" / "t.c"
    status, _, err = command(
        "generate", ROOT / "examples" / "triangle.toml", "--language", "c", "-o", output, capsys=capsys
    )
    assert status == 2 and err.count("\n") == 1 and "does not exist" in err
