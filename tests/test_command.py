"""The ``symbolic-pme`` command: reference data through the command line, output schemas, plots,
the progress bar, help texts, bad arguments and the ``derive`` subcommand."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric.validity import secular_ratio
from test_model_files import run

from symbolic_pme import fermi
from symbolic_pme.cli import main
from symbolic_pme.cli.progress import progress_bar
from symbolic_pme.cli.solve import secular_note
from symbolic_pme.files.model_file import load_model

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"
KEYS = [
    "title",
    "approach",
    "parameters",
    "sweep",
    "leads",
    "states",
    "probabilities",
    "current",
    "energy_current",
    "heat_current",
    "occupations",
]


def command(*arguments, cwd=ROOT):
    """``python -m symbolic_pme ...`` in a fresh process (stdout and stderr are pipes)."""
    return subprocess.run(
        [sys.executable, "-m", "symbolic_pme", *map(str, arguments)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def solve_json(arguments, capsys):
    status, out, err = run(["solve", *arguments, "--format", "json"], capsys)
    assert status == 0, err
    return json.loads(out)


# --------------------------------------------------------------------------------------------------
# QmeQ reference data through the command line
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "example, reference, sweep",
    [("triangle.toml", "a_triangle_noU.json", "V=-1:1:41"), ("single_level.toml", "c_single_level.json", "V=-1:1:11")],
)
def test_command_line_reproduces_the_qmeq_reference(example, reference, sweep):
    finished = command("solve", EXAMPLES / example, "--sweep", sweep, "--format", "json")
    assert finished.returncode == 0, finished.stderr
    # no progress bar when stderr is not a terminal; the triangle's levels are closer than their
    # broadening (secular ratio 1.1), which one note says
    notes = finished.stderr.splitlines()
    if example == "triangle.toml":
        assert len(notes) == 1 and notes[0].startswith(
            "note: the broadening of states N=2:1 and N=2:2 is 1.1 times their spacing"
        )
    else:
        assert notes == []
    ours = json.loads(finished.stdout)
    data = json.loads((DATA / reference).read_text())
    points = data["points"]
    assert np.allclose(ours["sweep"]["V"], [p["x"] for p in points], rtol=0, atol=1e-15)
    # states: QmeQ orders each charge block by energy, so do we (N=<charge>:<k> counts up in energy)
    theirs = sorted(data["states"], key=lambda s: (s["charge"], s["energy"]))
    assert [s["charge"] for s in ours["states"]] == [s["charge"] for s in theirs]
    order = [s["index"] for s in theirs]
    leads = ours["leads"]

    def close(mine, reference_values):
        reference_values = np.asarray(reference_values)
        scale = np.abs(reference_values).max()
        assert np.abs(np.asarray(mine) - reference_values).max() <= 1e-10 * scale

    close(ours["probabilities"], [[p["prob_eigen"][i] for i in order] for p in points])
    for key, reference_key in (
        ("current", "current"),
        ("energy_current", "energy_current"),
        ("heat_current", "heat_current"),
    ):
        for k, lead in enumerate(leads):
            close(ours[key][lead], [p[reference_key][k] for p in points])
    orbitals = list(ours["occupations"])
    for k, orbital in enumerate(orbitals):
        close(ours["occupations"][orbital], [p["orbital_occupation"][k] for p in points])


# --------------------------------------------------------------------------------------------------
# Every example solves, with the conservation laws
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.toml")))
def test_every_example_solves_and_conserves_charge_and_energy(example, capsys):
    model = load_model(EXAMPLES / example)
    sweep = next(n for n in ("V", "detuning") if n in model.parameters)
    out = solve_json([EXAMPLES / example, "--sweep", f"{sweep}=-1:1:21"], capsys)
    p = np.array(out["probabilities"])
    assert p.shape == (21, len(model.model.states)) and np.all(p >= 0)
    assert np.allclose(p.sum(axis=-1), 1, rtol=0, atol=1e-13)
    # energies here are of order 1, so the particle current also sets the scale of J
    scale = max(np.abs(np.array(v)).max() for key in ("current", "energy_current") for v in out[key].values())
    for key in ("current", "energy_current"):
        total = sum(np.array(v) for v in out[key].values())
        assert np.abs(total).max() <= 1e-12 * scale
    # Q = J - mu I for every lead, with mu evaluated from the file at each sweep value
    for lead in model.model.leads:
        values = {sp.Symbol(n, real=True): v for n, v in out["parameters"].items()}
        mu = sp.lambdify(sp.Symbol(sweep, real=True), lead.mu.xreplace(values))(np.array(out["sweep"][sweep]))
        expected = np.array(out["energy_current"][lead.name]) - mu * np.array(out["current"][lead.name])
        assert np.allclose(out["heat_current"][lead.name], expected, rtol=1e-12, atol=1e-18)
    charge = sum(np.array(v) for v in out["occupations"].values())
    charges = np.array([s["charge"] for s in out["states"]])
    assert np.allclose(charge, p @ charges, rtol=0, atol=1e-13)


def test_anderson_current_through_the_command_line_equals_the_closed_form(capsys):
    """The spinful level with equal couplings: I_L (both spins) against the rate equations of
    0, up, down, 2 solved by hand.  Per spin, with a = sum_leads f(eps), b = sum (1 - f(eps)),
    c = sum f(eps + U), d = sum (1 - f(eps + U)): P_up = P_down = x, P_0 = x b/a, P_2 = x c/d,
    x = 1/(b/a + 2 + c/d), and I_L = Gamma [2 f_L(eps) P_0 - 2 (1 - f_L(eps)) x
    + 2 f_L(eps + U) x - 2 (1 - f_L(eps + U)) P_2]."""
    eps, u, temp, t = -0.3, 0.8, 0.05, 0.04
    settings = [f"--set={k}={v}" for k, v in {"eps": eps, "U": u, "T": temp, "t": t}.items()]
    out = solve_json([EXAMPLES / "anderson.toml", "--sweep", "V=-2:2:9", *settings], capsys)
    gamma = 2 * np.pi * t**2
    expected = []
    for v in np.linspace(-2, 2, 9):
        f1 = [float(fermi(eps - mu, temp)) for mu in (v / 2, -v / 2)]
        f2 = [float(fermi(eps + u - mu, temp)) for mu in (v / 2, -v / 2)]
        a, b, c, d = sum(f1), 2 - sum(f1), sum(f2), 2 - sum(f2)
        x = 1 / (b / a + 2 + c / d)
        p0, p2 = x * b / a, x * c / d
        expected.append(gamma * (2 * f1[0] * p0 - 2 * (1 - f1[0]) * x + 2 * f2[0] * x - 2 * (1 - f2[0]) * p2))
    assert np.allclose(out["current"]["L"], expected, rtol=1e-10, atol=1e-16)
    assert np.abs(expected).max() > 1e-3  # the sweep crosses the resonances


# --------------------------------------------------------------------------------------------------
# The JSON schema for no sweep, one sweep and a grid; CSV and table
# --------------------------------------------------------------------------------------------------


def test_json_schema_without_sweep(capsys):
    out = solve_json([EXAMPLES / "triangle.toml", "--set", "V=0.3"], capsys)
    assert list(out) == KEYS
    assert out["title"] == "Triangular molecule on a substrate under an STM tip"
    assert out["parameters"] == {"V": 0.3, "T": 0.1} and out["sweep"] == {}
    assert out["leads"] == ["substrate", "tip"]
    assert out["states"][0] == {"label": "000", "charge": 0} and out["states"][-1] == {"label": "111", "charge": 3}
    assert len(out["probabilities"]) == 8 and all(isinstance(p, float) for p in out["probabilities"])
    for key in ("current", "energy_current", "heat_current"):
        assert list(out[key]) == ["substrate", "tip"] and all(isinstance(v, float) for v in out[key].values())
    assert list(out["occupations"]) == ["a", "b", "c"]
    python = load_model(EXAMPLES / "triangle.toml").compile().solve(V=0.3)
    assert out["current"]["tip"] == float(python.current["tip"])
    assert out["probabilities"] == python.probabilities.tolist()


def test_json_schema_with_one_sweep(capsys):
    out = solve_json([EXAMPLES / "anderson.toml", "--sweep", "V=-1:1:5"], capsys)
    assert list(out) == KEYS
    assert out["sweep"] == {"V": [-1.0, -0.5, 0.0, 0.5, 1.0]}
    assert "V" not in out["parameters"] and out["parameters"]["U"] == 1.0
    assert np.array(out["probabilities"]).shape == (5, 4)
    assert [s["label"] for s in out["states"]] == ["0", "↓", "↑", "2"]
    for key in ("current", "energy_current", "heat_current"):
        assert all(np.array(v).shape == (5,) for v in out[key].values())
    # with spin: one current per lead (both spins) and one occupation per orbital (both spins)
    assert list(out["occupations"]) == ["d"]
    python = load_model(EXAMPLES / "anderson.toml").compile().sweep({"V": np.linspace(-1, 1, 5)})
    assert np.allclose(out["occupations"]["d"], python.occupations["d_up"] + python.occupations["d_down"], atol=1e-15)
    assert np.allclose(out["current"]["L"], python.current["L"], rtol=0, atol=1e-18)


def test_json_schema_with_a_grid_in_the_order_given(capsys):
    arguments = [EXAMPLES / "triangle_coulomb.toml", "--sweep", "V=-1:1:4", "--sweep", "gate=-0.5:0.5:3"]
    out = solve_json(arguments, capsys)
    assert list(out) == KEYS and list(out["sweep"]) == ["V", "gate"]
    assert out["sweep"]["gate"] == [-0.5, 0.0, 0.5]
    assert np.array(out["probabilities"]).shape == (4, 3, 8)
    assert np.array(out["current"]["tip"]).shape == (4, 3)
    assert np.array(out["occupations"]["a"]).shape == (4, 3)
    python = load_model(EXAMPLES / "triangle_coulomb.toml").compile()
    point = python.solve(V=out["sweep"]["V"][2], gate=0.5)
    assert out["current"]["tip"][2][2] == pytest.approx(float(point.current["tip"]), rel=1e-12)


def test_csv_has_one_row_per_grid_point_with_every_value(capsys, tmp_path):
    target = tmp_path / "out.csv"
    arguments = ["solve", EXAMPLES / "single_level.toml", "--sweep", "V=-1:1:3", "--sweep", "eps=0:0.2:2"]
    status, out, err = run([*arguments, "--format", "csv", "-o", target], capsys)
    assert status == 0 and out == "" and f"wrote {target}" in err
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert len(rows) == 6
    assert [(float(r["V"]), float(r["eps"])) for r in rows[:3]] == [(-1, 0), (-1, 0.2), (0, 0)]
    assert {float(r["T"]) for r in rows} == {0.05}
    document = solve_json(arguments[1:], capsys)
    assert float(rows[1]["current[L]"]) == document["current"]["L"][0][1]
    assert float(rows[5]["P[1]"]) == document["probabilities"][2][1][1]
    assert float(rows[4]["occupation[d]"]) == document["occupations"]["d"][2][0]


def test_table_lists_every_point(capsys):
    status, out, _ = run(["solve", EXAMPLES / "triangle.toml", "--sweep", "V=-1:1:201"], capsys)
    lines = out.splitlines()
    assert status == 0 and lines[0] == "Triangular molecule on a substrate under an STM tip"
    header = lines[3].split()
    assert header == ["V", "I[substrate]", "I[tip]", "J[substrate]", "J[tip]", "Q[substrate]", "Q[tip]", "<N>"]
    rows = np.array([line.split() for line in lines[4:]], dtype=float)
    assert rows.shape == (201, 8) and rows[0, 0] == -1 and rows[-1, 0] == 1
    python = load_model(EXAMPLES / "triangle.toml").compile().sweep({"V": np.linspace(-1, 1, 201)})
    assert np.allclose(rows[:, 2], python.current["tip"], rtol=1e-5, atol=0)


def test_table_of_one_point_lists_leads_states_and_orbitals(capsys):
    status, out, _ = run(["solve", EXAMPLES / "single_level.toml", "--set", "V=0"], capsys)
    assert status == 0 and "parameters: eps = 0.2, V = 0, T = 0.05, tL = 0.1, tR = 0.05" in out
    occupation = float(out.split("orbital")[1].split()[2])
    assert occupation == pytest.approx(float(fermi(0.2, 0.05)), abs=1e-6)  # equilibrium: f(eps)


# --------------------------------------------------------------------------------------------------
# Plots and progress
# --------------------------------------------------------------------------------------------------


def test_plot_of_a_sweep_and_of_a_grid_are_pngs_of_the_stated_size(tmp_path, capsys):
    curves, maps = tmp_path / "iv.png", tmp_path / "map.png"
    status, _, _ = run(["solve", EXAMPLES / "triangle.toml", "--sweep", "V=-1:1:21", "--plot", curves, "-q"], capsys)
    assert status == 0
    assert matplotlib.image.imread(curves).shape == (960, 960, 4)
    arguments = ["--sweep", "gate=-0.6:0.4:11", "--sweep", "V=-1:1:13", "--plot", maps, "--lead", "tip", "-q"]
    status, _, err = run(["solve", EXAMPLES / "triangle_coulomb.toml", *arguments], capsys)
    assert status == 0 and err == ""
    image = matplotlib.image.imread(maps)
    assert image.shape == (720, 1800, 4) and image[..., :3].std() > 0.05  # not blank


def test_secular_note_names_the_pair_the_ratio_and_the_point(capsys):
    solver = load_model(EXAMPLES / "triangle_coulomb.toml").compile()
    result = solver.sweep({"gate": np.linspace(-0.6, 0.4, 11), "V": np.linspace(-1, 1, 5)})
    check = secular_ratio(solver, result)
    worst = np.unravel_index(np.argmax(check.ratio), check.ratio.shape)
    note = secular_note(solver, result)
    assert f"states {check.worst[0]} and {check.worst[1]} is {check.ratio.max():.2g} times" in note
    assert f"(at gate = {result.axes['gate'][worst[0]]:g}, V = {result.axes['V'][worst[1]]:g})" in note
    anderson = load_model(EXAMPLES / "anderson.toml").compile()  # no block holds two states
    assert secular_note(anderson, anderson.solve()) is None
    status, _, err = run(["solve", EXAMPLES / "triangle.toml"], capsys)
    assert status == 0 and err.startswith("note: the broadening of states")
    status, _, err = run(["solve", EXAMPLES / "triangle.toml", "-q"], capsys)
    assert status == 0 and err == ""  # --quiet silences the note


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only_and_not_when_quiet():
    shown = Terminal()
    with progress_bar(1000, quiet=False, stream=shown, delay=0) as progress:
        for done in (250, 500, 1000):
            progress(done, 1000)
    assert "|" in shown.getvalue() and "/1.00k [" in shown.getvalue()  # a bar of 1000 points was drawn
    for stream, quiet in ((Terminal(), True), (io.StringIO(), False)):
        with progress_bar(1000, quiet=quiet, stream=stream, delay=0) as progress:
            progress(1000, 1000)
        assert stream.getvalue() == ""


def test_solve_draws_the_bar_on_a_terminal_unless_quiet(monkeypatch, tmp_path):
    monkeypatch.setattr("symbolic_pme.cli.progress.DELAY", 0.0)  # as if the sweep were long
    arguments = ["solve", EXAMPLES / "triangle.toml", "--sweep", "V=-1:1:2001", "-o", tmp_path / "iv.txt"]
    for quiet, drawn in ((False, True), (True, False)):
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        assert main([str(a) for a in arguments + (["--quiet"] if quiet else [])]) == 0
        assert ("/2.00k [" in terminal.getvalue()) == drawn  # 2001 points


# --------------------------------------------------------------------------------------------------
# Entry points, help and bad arguments
# --------------------------------------------------------------------------------------------------


def test_console_script_and_module_entry_points_and_help():
    script = Path(sys.executable).with_name("symbolic-pme")
    assert script.exists(), "the console script is installed next to the interpreter"
    helps = {}
    for arguments in ([], ["solve"], ["derive"]):
        finished = subprocess.run([str(script), *arguments, "--help"], capture_output=True, text=True, check=False)
        assert finished.returncode == 0 and finished.stdout.startswith("usage: symbolic-pme")
        helps[" ".join(arguments)] = finished.stdout
    assert command("--help").stdout == helps[""]  # python -m symbolic_pme is the same command
    for option in ("--set", "--sweep", "--format", "--output", "--plot", "--quiet", "NAME=START:STOP:NUM"):
        assert option in helps["solve"]
    assert "--latex" in helps["derive"] and "solve" in helps[""] and "derive" in helps[""]


UNUSED = """
[system]
orbitals = ["d"]
[parameters]
eps = 0.1
spare = 1
[onsite]
d = "eps"
[[lead]]
name = "L"
mu = 0
temperature = 0.1
coupling = { d = 0.1 }
"""

BAD_ARGUMENTS = {
    "no command": ([], ["choose a command"]),
    "unknown option": (["solve", "{single}", "--frobnicate"], ["unrecognized arguments: --frobnicate"]),
    "unknown format": (["solve", "{single}", "--format", "xml"], ["--format", "invalid choice: 'xml'"]),
    "set without value": (["solve", "{single}", "--set", "V"], ["--set 'V'", "NAME=VALUE"]),
    "set unknown parameter": (["solve", "{single}", "--set", "W=1"], ["--set W", "declares no parameter 'W'"]),
    "set unused parameter": (["solve", "{unused}", "--set", "spare=2"], ["--set spare", "enters nothing"]),
    "set not a number": (["solve", "{single}", "--set", "V=abc"], ["--set V", "'abc'"]),
    "set complex": (["solve", "{single}", "--set", "V=2*I"], ["--set V", "not a finite real number"]),
    "set twice": (["solve", "{single}", "--set", "V=1", "--set", "V=2"], ["--set V", "given twice"]),
    "sweep without count": (["solve", "{single}", "--sweep", "V=-1:1"], ["--sweep V", "START:STOP:NUM"]),
    "sweep fractional count": (["solve", "{single}", "--sweep", "V=-1:1:2.5"], ["--sweep V", "whole number"]),
    "sweep zero points": (["solve", "{single}", "--sweep", "V=-1:1:0"], ["--sweep V", "whole number"]),
    "sweep bad start": (["solve", "{single}", "--sweep", "V=a:1:3"], ["--sweep V", "'a'"]),
    "sweep twice": (["solve", "{single}", "--sweep", "V=0:1:3", "--sweep", "V=0:1:3"], ["--sweep V", "given twice"]),
    "sweep unknown": (["solve", "{single}", "--sweep", "W=0:1:3"], ["--sweep W", "declares no parameter"]),
    "set and sweep": (["solve", "{single}", "--set", "V=1", "--sweep", "V=0:1:3"], ["'V'", "both"]),
    "plot without sweep": (["solve", "{single}", "--plot", "{tmp}/a.png"], ["--plot", "got 0"]),
    "plot of three axes": (
        [
            "solve",
            "{single}",
            "--sweep",
            "V=0:1:2",
            "--sweep",
            "eps=0:1:2",
            "--sweep",
            "T=0.1:1:2",
            "--plot",
            "{tmp}/a.png",
        ],
        ["--plot", "got 3"],
    ),
    "plot format": (["solve", "{single}", "--sweep", "V=0:1:3", "--plot", "{tmp}/a.xyz"], ["--plot", "'.xyz'"]),
    "plot unknown lead": (
        ["solve", "{single}", "--sweep", "V=0:1:3", "--plot", "{tmp}/a.png", "--lead", "tip"],
        ["--lead tip", "leads: L, R"],
    ),
    "lead without plot": (["solve", "{single}", "--lead", "L"], ["--lead", "give --plot"]),
    "negative temperature set": (["solve", "{single}", "--set", "T=-0.1"], ["temperature of lead 'L'", "negative"]),
    "negative temperature swept": (["solve", "{single}", "--sweep", "T=-0.1:0.1:3"], ["temperature", "negative"]),
    "output into a missing folder": (
        ["solve", "{single}", "-o", "{tmp}/missing/out.json"],
        ["--output", "does not exist"],
    ),
    "plot into a missing folder": (
        ["solve", "{single}", "--sweep", "V=0:1:3", "--plot", "{tmp}/missing/a.png"],
        ["--plot", "does not exist"],
    ),
    "derive of a missing file": (["derive", "{tmp}/absent.toml"], ["absent.toml", "no such file"]),
    "unknown command": (["simulate", "{single}"], ["invalid choice: 'simulate'"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_exit_2_with_one_line(case, tmp_path, capsys):
    unused = tmp_path / "unused.toml"
    unused.write_text(UNUSED)
    places = {"single": EXAMPLES / "single_level.toml", "unused": unused, "tmp": tmp_path}
    arguments, fragments = BAD_ARGUMENTS[case]
    status, out, err = run([a.format(**places) for a in arguments], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("symbolic-pme"), err
    for fragment in fragments:
        assert fragment in err, (case, err)
    assert not list(tmp_path.glob("a.*"))  # nothing written


def test_bad_input_in_a_real_process_gives_no_traceback(tmp_path):
    finished = command("solve", EXAMPLES / "single_level.toml", "--set", "T=-1")
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr


# --------------------------------------------------------------------------------------------------
# derive
# --------------------------------------------------------------------------------------------------


def test_derive_prints_states_blocks_rates_and_the_closed_forms(capsys):
    status, out, _ = run(["derive", EXAMPLES / "single_level.toml"], capsys)
    assert status == 0
    eps, v, temp, t_l, t_r = (sp.Symbol(n, real=True) for n in ("eps", "V", "T", "tL", "tR"))
    f_l, f_r = fermi(eps - v / 2, temp), fermi(eps + v / 2, temp)
    printed = {line.split(" = ")[0]: line.split(" = ", 1)[1] for line in out.splitlines() if " = " in line}
    names = {s.name: s for s in (eps, v, temp, t_l, t_r)} | {"fermi": fermi, "pi": sp.pi}
    current = sp.sympify(printed["I[L]"], locals=names)  # our own output, parsed back by SymPy
    assert sp.simplify(current - 2 * sp.pi * t_l**2 * t_r**2 * (f_l - f_r) / (t_l**2 + t_r**2)) == 0
    assert sp.simplify(sp.sympify(printed["J[L]"], locals=names) - eps * current) == 0
    assert (
        sp.simplify(sp.sympify(printed["P[1]"], locals=names) - (t_l**2 * f_l + t_r**2 * f_r) / (t_l**2 + t_r**2)) == 0
    )
    for text in ("States (2)", "Hamiltonian blocks", "N=1, basis 1:", "0 -> 1 [L]: 2*pi*tL**2*fermi(-V/2 + eps, T)"):
        assert text in out


def test_derive_latex_and_models_without_closed_forms(capsys):
    status, out, _ = run(["derive", EXAMPLES / "anderson.toml", "--latex"], capsys)
    assert status == 0 and r"P_{\uparrow} = " in out and r"I_{\mathrm{L}} = " in out and r"\frac" in out
    model = load_model(EXAMPLES / "anderson.toml").model
    assert sp.latex(model.current("L")) in out
    status, out, _ = run(["derive", EXAMPLES / "triangle.toml"], capsys)
    assert status == 0 and "Numeric eigenstates" in out and "E_{N=1:0}" in out
    assert "not derived: eigenstates of mixed blocks are numeric" in out and "P[" not in out
