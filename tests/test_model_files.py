"""Model files: what a file builds is the model the Python API builds, and bad files are refused.

Every malformed file below goes through the command line (in-process) and must end with exit
status 2 and one line on stderr that names the file, the table and the key (or the problem).
"""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.cli import main
from symbolic_pme.files.model_file import ModelFileError, load_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

SINGLE_LEVEL = """\
title = "level"
[system]
orbitals = ["d"]
[parameters]
eps = 0.2
V = 0.5
T = 0.05
[onsite]
d = "eps"
[[lead]]
name = "L"
mu = "V/2"
temperature = "T"
coupling = { d = 0.1 }
[[lead]]
name = "R"
mu = "-V/2"
temperature = "T"
coupling = { d = 0.05 }
"""


def run(arguments, capsys):
    """Exit status, stdout and stderr of the command, run in-process."""
    try:
        status = main([str(a) for a in arguments])
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    return status, out, err


def symbols(*names):
    return [sp.Symbol(n, real=True) for n in names]


# --------------------------------------------------------------------------------------------------
# Files build the same models as Python
# --------------------------------------------------------------------------------------------------


def same_generator(a: TransportModel, b: TransportModel) -> bool:
    assert a.states == b.states
    difference = a.network.generator() - b.network.generator()
    return all(sp.simplify(entry) == 0 for entry in difference)


def test_triangle_file_is_the_python_triangle():
    v, temp = symbols("V", "T")
    molecule = Hamiltonian(
        FockSpace(["a", "b", "c"]),
        onsite={"a": 0.0, "b": 0.1, "c": 0.2},
        hopping={("a", "b"): 0.05, ("b", "c"): 0.02, ("c", "a"): 0.05},
    )
    leads = [
        Lead("substrate", mu=0, temperature=temp, coupling={"a": 0.1, "b": 0.1, "c": 0.1}),
        Lead("tip", mu=v, temperature=temp, coupling={"a": 0.01, "b": 0.01, "c": 0.001}),
    ]
    loaded = load_model(EXAMPLES / "triangle.toml")
    assert loaded.title == "Triangular molecule on a substrate under an STM tip"
    assert loaded.parameters == {"V": 0.5, "T": 0.1}
    assert loaded.leads == ("substrate", "tip")
    assert same_generator(loaded.model, TransportModel(molecule, leads))


def test_anderson_file_is_the_python_anderson_level():
    eps, u, v, temp, t = symbols("eps", "U", "V", "T", "t")
    dot = Hamiltonian(FockSpace(["d"], spin=True), onsite={"d": eps}, coulomb={("d", "d"): u})
    leads = [
        Lead("L", mu=v / 2, temperature=temp, coupling={"d": t}),
        Lead("R", mu=-v / 2, temperature=temp, coupling={"d": t}),
    ]
    loaded = load_model(EXAMPLES / "anderson.toml")
    assert loaded.spin and loaded.orbitals == ("d",)
    assert same_generator(loaded.model, TransportModel(dot, leads))


def test_expressions_spin_orbitals_counts_and_bands(tmp_path):
    text = """
[system]
orbitals = 2
spin = true
[parameters]
G = "2*pi*0.01"
e0 = -0.3
[onsite]
"0" = "e0 + 0.1"
"1_up" = "e0"
"1_down" = "e0 - 0.05"
[[coulomb]]
orbitals = ["0", "0"]
value = 1
[[lead]]
name = "s"
mu = 0
temperature = 0.1
coupling = { "0" = "sqrt(G/(2*pi))", "1_up" = 0.1 }
band = [-2, "2*1"]
"""
    path = tmp_path / "expressions.toml"
    path.write_text(text)
    loaded = load_model(path)
    assert loaded.title == "expressions"  # the file name without extension
    assert loaded.parameters["G"] == pytest.approx(2 * np.pi * 0.01, rel=1e-15)
    model = loaded.model
    e0 = sp.Symbol("e0", real=True)
    g = sp.Symbol("G", real=True)
    assert model.space.modes == ("0_up", "1_up", "0_down", "1_down")
    diagonal = {model.space.label(s): model.hamiltonian.element(s, s) for s in model.space.states}
    assert sp.simplify(diagonal["↑0"] - (e0 + sp.Rational(1, 10))) == 0
    assert sp.simplify(diagonal["0↓"] - (e0 - sp.Float(0.05))) == 0
    assert sp.simplify(diagonal["20"] - (2 * e0 + sp.Rational(1, 5) + 1)) == 0  # U n_up n_down
    lead = model.lead("s")
    assert sp.simplify(lead.coupling["0"] - sp.sqrt(g / (2 * sp.pi))) == 0
    assert lead.band == (-2, 2)
    assert set(loaded.used_parameters) == {"G", "e0"}


def test_declared_parameters_that_only_enter_mixed_blocks_count_as_used():
    loaded = load_model(EXAMPLES / "double_dot.toml")
    # detuning and Omega enter only the numerically diagonalized N=1 block
    assert set(loaded.used_parameters) == set(loaded.parameters)
    assert {"detuning", "Omega"} <= {s.name for s in loaded.model.parameters}


# --------------------------------------------------------------------------------------------------
# Malformed files: exit status 2, one line naming the file, the table and the key
# --------------------------------------------------------------------------------------------------


def edit(old, new, text=SINGLE_LEVEL):
    assert old in text
    return text.replace(old, new, 1)


MALFORMED = {
    "toml syntax": (edit('title = "level"', 'title = "level'), ["not valid TOML"]),
    "unknown top-level key": ("colour = 1\n" + SINGLE_LEVEL, ["top level", "'colour'", "unknown key"]),
    "unknown key in system": (edit('orbitals = ["d"]', 'orbitals = ["d"]\nspinn = true'), ["[system]", "'spinn'"]),
    "no system table": (edit('[system]\norbitals = ["d"]\n', ""), ["[system]", "missing"]),
    "system without orbitals": (edit('orbitals = ["d"]', "spin = false"), ["[system]", "'orbitals'", "missing"]),
    "orbitals a string": (edit('orbitals = ["d"]', 'orbitals = "d"'), ["[system]", "'orbitals'", "the string 'd'"]),
    "repeated orbital": (edit('orbitals = ["d"]', 'orbitals = ["d", "d"]'), ["[system]", "'orbitals'", "repeated"]),
    "zero orbitals": (edit('orbitals = ["d"]', "orbitals = 0"), ["[system]", "'orbitals'", "at least one"]),
    "spin not a boolean": (edit('orbitals = ["d"]', 'orbitals = ["d"]\nspin = "yes"'), ["[system]", "'spin'"]),
    "bad parameter name": (edit("eps = 0.2", '"2x" = 1\neps = 0.2'), ["[parameters]", "'2x'", "not a valid"]),
    "parameter named sqrt": (edit("eps = 0.2", "sqrt = 1\neps = 0.2"), ["[parameters]", "'sqrt'", "built-in"]),
    "default refers to a parameter": (edit("V = 0.5", 'V = "eps"'), ["[parameters]", "'V'", "a default must"]),
    "boolean default": (edit("V = 0.5", "V = true"), ["[parameters]", "'V'", "boolean"]),
    "parameter table an array": (
        "parameters = [1]\n" + edit("[parameters]\neps = 0.2\nV = 0.5\nT = 0.05\n", ""),
        ["[parameters]", "expected a table"],
    ),
    "unknown orbital in onsite": (edit('d = "eps"', 'd = "eps"\nx = 0.1'), ["[onsite]", "'x'", "unknown orbital"]),
    "undefined parameter": (edit('d = "eps"', 'd = "eps2"'), ["[onsite]", "'d'", "undefined parameter 'eps2'"]),
    "malformed expression": (edit('d = "eps"', 'd = "eps +* 2"'), ["[onsite]", "'d'", "malformed expression"]),
    "attribute access": (edit('d = "eps"', 'd = "eps.real"'), ["[onsite]", "'d'", "not allowed"]),
    "complex energy": (edit('d = "eps"', 'd = "I*eps"'), ["[onsite]", "'d'", "must be real"]),
    "division by zero": (edit('d = "eps"', 'd = "eps/0"'), ["[onsite]", "'d'", "division by zero"]),
    "lead without couplings": (
        edit("coupling = { d = 0.1 }", "coupling = {}"),
        ["[[lead]] 'L'", "'coupling'", "no couplings"],
    ),
    "lead missing coupling": (edit("coupling = { d = 0.1 }\n", ""), ["[[lead]] entry 1", "'coupling'", "missing"]),
    "coupling to unknown orbital": (
        edit("coupling = { d = 0.1 }", "coupling = { e = 0.1 }"),
        ["[[lead]] 'L'", "'coupling.e'", "unknown orbital 'e'"],
    ),
    "negative temperature": (
        edit('temperature = "T"', "temperature = -0.1"),
        ["[[lead]] 'L'", "'temperature'", "negative"],
    ),
    "negative default temperature": (edit("T = 0.05", "T = -0.05"), ["[[lead]] 'L'", "'temperature'", "negative"]),
    "unknown key in lead": (
        edit('name = "L"', 'name = "L"\ngamma = 1'),
        ["[[lead]] entry 1", "'gamma'", "unknown key"],
    ),
    "repeated lead name": (edit('name = "R"', 'name = "L"'), ["[[lead]] entry 2", "'name'", "unique"]),
    "no leads": (SINGLE_LEVEL.split("[[lead]]")[0], ["[[lead]]", "no leads"]),
    "band of three": (edit('name = "L"', 'name = "L"\nband = [-1, 0, 1]'), ["[[lead]] 'L'", "'band'", "[low, high]"]),
    "band reversed": (edit('name = "L"', 'name = "L"\nband = [1, -1]'), ["[[lead]] 'L'", "'band'", "lower edge"]),
    "hopping one orbital": (
        SINGLE_LEVEL + '[[hopping]]\norbitals = ["d", "d"]\nvalue = 0.1\n',
        ["[[hopping]] entry 1", "'orbitals'", "twice"],
    ),
    "hopping without value": (
        edit('orbitals = ["d"]', 'orbitals = ["d", "e"]') + '[[hopping]]\norbitals = ["d", "e"]\n',
        ["[[hopping]] entry 1", "'value'", "missing"],
    ),
    "hopping pair twice": (
        edit('orbitals = ["d"]', 'orbitals = ["d", "e"]')
        + '[[hopping]]\norbitals = ["d", "e"]\nvalue = 0.1\n[[hopping]]\norbitals = ["e", "d"]\nvalue = 0.1\n',
        ["[[hopping]] entry 2", "'orbitals'", "given twice"],
    ),
    "hopping not an array of tables": (
        SINGLE_LEVEL.replace('title = "level"', 'title = "level"\nhopping = 1'),
        ["[[hopping]]", "array of tables"],
    ),
    "coulomb one orbital without spin": (
        SINGLE_LEVEL + '[[coulomb]]\norbitals = ["d", "d"]\nvalue = 1\n',
        ["[[coulomb]] entry 1", "'orbitals'", "with spin"],
    ),
    "coulomb mixing orbital and spin-orbital": (
        edit('orbitals = ["d"]', 'orbitals = ["d", "e"]\nspin = true')
        + '[[coulomb]]\norbitals = ["d", "e_up"]\nvalue = 1\n',
        ["[[coulomb]] entry 1", "'orbitals'", "mixes"],
    ),
    "exponent tower": (edit('d = "eps"', 'd = "eps + 10**10**10"'), ["[onsite]", "'d'", "exponent"]),
    "infinite default": (edit("V = 0.5", 'V = "1e308*10"'), ["[parameters]", "'V'", "not a finite number"]),
    "complex energy whose default hides it": (
        edit("eps = 0.2", "eps = 0.0").replace('d = "eps"', 'd = "I*eps"'),
        ["[onsite], [[hopping]], [[coulomb]]", "not Hermitian"],
    ),
    "spin-orbital coupled twice": (
        edit('orbitals = ["d"]', 'orbitals = ["d"]\nspin = true').replace(
            "coupling = { d = 0.1 }", "coupling = { d = 0.1, d_up = 0.2 }"
        ),
        ["[[lead]]", "'d_up' is given twice"],
    ),
    "value of a wrong type": (edit('d = "eps"', "d = [0.1]"), ["[onsite]", "'d'", "an array"]),
    "title not a string": (edit('title = "level"', "title = 3"), ["top level", "'title'", "expected a string"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_file_is_refused_in_one_line(case, tmp_path, capsys):
    text, fragments = MALFORMED[case]
    path = tmp_path / "model.toml"
    path.write_text(text)
    status, out, err = run(["solve", path], capsys)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symbolic-pme: error: ")
    assert str(path) in err
    for fragment in fragments:
        assert fragment in err, (case, err)
    with pytest.raises(ModelFileError):
        load_model(path)


def test_missing_file_and_directory(tmp_path, capsys):
    for target, fragment in ((tmp_path / "absent.toml", "no such file"), (tmp_path, "is a directory")):
        for command in ("solve", "derive"):
            status, out, err = run([command, target], capsys)
            assert status == 2 and out == "" and fragment in err and err.count("\n") == 1


def test_python_code_in_an_expression_is_refused_and_runs_nothing(tmp_path, capsys):
    marker = tmp_path / "executed"
    attempts = [
        f"__import__('os').system('touch {marker}')",
        f"open('{marker}', 'w')",
        "(lambda: 1)()",
        "[x for x in ()]",
        "eps.__class__",
        "'text'",
    ]
    for code in attempts:
        path = tmp_path / "evil.toml"
        path.write_text(edit('mu = "V/2"', f'mu = "{code}"'))
        status, out, err = run(["solve", path], capsys)
        assert status == 2 and out == ""
        assert "[[lead]] 'L'" in err and "'mu'" in err and "not allowed" in err, err
        status, _, err = run(["solve", EXAMPLES / "single_level.toml", "--set", f"V={code}"], capsys)
        assert status == 2 and "--set V" in err and "not allowed" in err, err
    assert not marker.exists()
