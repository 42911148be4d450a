"""Generated Python solvers (issue 13): self-contained, faithful to the package, self-checking.

Every example model's module runs in an isolated interpreter (``python -I -S``) whose ``sys.path``
holds only NumPy (a folder with links to the numpy package) and the module: SymPy and
symbolic_pme cannot be imported there.  It reproduces the package's solve on a sweep to 1e-12 and
its ``validate()`` passes; a corrupted reference table makes ``validate()`` fail.
"""

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from symbolic_pme.errors import GenerationError
from symbolic_pme.files.model_file import load_model
from symbolic_pme.generate import generate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.toml"))
KINDS = ("current", "energy_current", "heat_current")

ISOLATED = """
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
for name in ("sympy", "symbolic_pme", "scipy"):
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"{name} is importable")
import numpy
solver = __import__(sys.argv[3])
grid = json.loads(sys.argv[4])
result = solver.solve(**{name: numpy.array(values) for name, values in grid.items()})
deviation = solver.validate()
print(json.dumps({
    "deviation": deviation,
    "probabilities": {k: v.tolist() for k, v in result["probabilities"].items()},
    **{kind: {k: v.tolist() for k, v in result[kind].items()} for kind in %r},
}))
""" % (KINDS,)


@pytest.fixture(scope="module")
def only_numpy(tmp_path_factory) -> Path:
    """A folder holding links to NumPy (and its bundled libraries) and nothing else."""
    folder = tmp_path_factory.mktemp("only_numpy")
    site = Path(np.__file__).resolve().parent.parent
    for entry in site.iterdir():
        if entry.name == "numpy" or entry.name.startswith("numpy.libs"):
            (folder / entry.name).symlink_to(entry)
    return folder


def grid_of(model) -> dict[str, np.ndarray]:
    """A bias sweep, broadcast against three values of another parameter (the temperature, if
    nothing else): a (3, 41) grid."""
    names = list(model.used_parameters)
    other = next((n for n in names if n not in ("V", "T")), "T")
    default = model.parameters[other]
    return {"V": np.linspace(-1, 1, 41)[None, :], other: default + np.array([[-0.05], [0.0], [0.05]])}


def assert_reproduces(result: dict, package, leads) -> None:
    """Probabilities to 1e-12 relative; currents to 1e-12 relative to at least a thousandth of the
    largest of their kind (at V = 0 they vanish, and both sides are rounding noise)."""
    for k, state in enumerate(package.states):
        np.testing.assert_allclose(result["probabilities"][state], package.probabilities[..., k], rtol=1e-12, atol=0)
    for kind in KINDS:
        reference = getattr(package, kind)
        floor = 1e-3 * max(np.abs(reference[lead]).max() for lead in leads)
        for lead in leads:
            deviation = np.abs(np.asarray(result[kind][lead]) - reference[lead])
            assert np.all(deviation <= 1e-12 * np.maximum(np.abs(reference[lead]), floor)), (kind, lead)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_module_reproduces_the_package_without_sympy_or_symbolic_pme(path, tmp_path, only_numpy):
    output = tmp_path / f"{path.stem}_solver.py"
    generated = generate(path, language="python", output=output)
    assert generated.files == (output,) and generated.deviation <= 1e-12
    text = output.read_text()
    assert re.findall(r"^(?:import|from) \S+", text, re.M) == ["import numpy"]
    model = load_model(path)
    grid = grid_of(model)
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            ISOLATED,
            str(only_numpy),
            str(tmp_path),
            output.stem,
            json.dumps({k: v.tolist() for k, v in grid.items()}),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    result = json.loads(run.stdout)
    assert result["deviation"] <= 1e-12
    assert_reproduces(result, model.compile().steady_state(grid), model.leads)


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_corrupted_reference_table_fails_validation(tmp_path):
    output = tmp_path / "triangle_solver.py"
    generate(ROOT / "examples" / "triangle.toml", language="python", output=output)
    text = output.read_text()
    table = text.index("REFERENCE = (")
    probability = re.compile(r"\), \((\d\.\d+(?:e-\d+)?),").search(text, table)  # the first probability
    value = float(probability.group(1))
    corrupted = tmp_path / "corrupted.py"
    corrupted.write_text(text[: probability.start(1)] + repr(value * (1 + 1e-10)) + text[probability.end(1) :])
    module = load(corrupted)
    with pytest.raises(module.ValidationError, match=r"reference point 0: probability '000'"):
        module.validate()
    assert load(output).validate() <= 1e-12


def test_scalars_defaults_and_bad_input(tmp_path):
    path = ROOT / "examples" / "single_level.toml"
    solver = load(generate(path, language="python", output=tmp_path / "level.py").files[0])
    model = load_model(path)
    assert solver.PARAMETERS == model.parameters and solver.STATES == model.model.states
    result, package = solver.solve(), model.compile().solve()
    assert np.shape(result["current"]["L"]) == ()
    assert_reproduces(result, package, model.leads)
    for bad, message in (({"W": 1.0}, "unknown parameter 'W'"), ({"T": -0.1}, "negative"), ({"V": np.nan}, "NaN")):
        with pytest.raises(ValueError, match=message):
            solver.solve(**bad)


def test_complex_hoppings_in_python(tmp_path):
    """A hopping with a phase: complex eigenvectors, numpy.linalg.eigh as in the package."""
    model_path = tmp_path / "ring.toml"
    model_path.write_text(
        '[system]\norbitals = ["a", "b"]\n[parameters]\nV = 0.3\nT = 0.05\nphi = 0.4\n[onsite]\na = 0.0\nb = 0.05\n'
        '[[hopping]]\norbitals = ["a", "b"]\nvalue = "0.05*exp(I*phi)"\n'
        '[[lead]]\nname = "L"\nmu = "V/2"\ntemperature = "T"\ncoupling = { a = 0.1 }\n'
        '[[lead]]\nname = "R"\nmu = "-V/2"\ntemperature = "T"\ncoupling = { b = 0.1, a = "0.02*exp(I*phi)" }\n'
    )
    generated = generate(model_path, language="python", output=tmp_path / "ring_solver.py")
    solver, model = load(generated.files[0]), load_model(model_path)
    grid = {"V": np.linspace(-1, 1, 21), "phi": np.array([[0.1], [1.0]])}
    assert_reproduces(solver.solve(**grid), model.compile().steady_state(grid), model.leads)


def test_refusals(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(
        '[system]\norbitals = 3\nspin = true\n[[lead]]\nname = "L"\nmu = 0\ntemperature = 0.1\ncoupling = { 0 = 0.1 }\n'
    )
    with pytest.raises(GenerationError, match="64 states; generated solvers cover models of up to 16 states"):
        generate(big, language="python", output=tmp_path / "big.py")
    with pytest.raises(ValueError, match=r"must end in \.py"):
        generate(ROOT / "examples" / "triangle.toml", language="python", output=tmp_path / "triangle.c")
    with pytest.raises(ValueError, match="'julia' is not a target"):
        generate(ROOT / "examples" / "triangle.toml", language="julia", output=tmp_path / "triangle.jl")
    assert list(tmp_path.glob("*.py")) == [] and list(tmp_path.glob("*.c")) == []
