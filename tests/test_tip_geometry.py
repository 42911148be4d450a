"""Tip geometry (issue 14, item 1): positions, the coupling law t0 exp(-d/decay), the level shift.

The example ``examples/triangle_tip.toml`` recovers the seed's triangle (``examples/triangle.toml``)
at its default tip position, above the middle of edge a-b; the tip position is an ordinary
parameter (swept into images, differentiated exactly); bad geometry is refused in one line
naming the table and the key.
"""

from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
import sympy as sp
from test_model_files import run

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.files.model_file import ModelFileError, load_model
from symbolic_pme.parsing import evaluate
from symbolic_pme.transport.geometry import DISTANCE, Tip, distances, exponential_coupling, point_charge_lever

ROOT = Path(__file__).resolve().parent.parent
TIP = ROOT / "examples" / "triangle_tip.toml"
SEED = ROOT / "examples" / "triangle.toml"
POSITIONS = {"a": (-np.sqrt(65) / 2, 0.0), "b": (np.sqrt(65) / 2, 0.0), "c": (0.0, np.sqrt(195) / 2)}
T0, DECAY = 0.01 * 10**3.5625, 2 / np.log(10)


def test_the_default_tip_position_gives_the_seed_couplings():
    model = load_model(TIP)
    tip = model.model.leads[model.leads.index("tip")]
    couplings = {o: evaluate(t, model.parameters).real for o, t in tip.coupling.items()}
    assert couplings == pytest.approx({"a": 0.01, "b": 0.01, "c": 0.001}, rel=1e-14)
    distances_there = {o: evaluate(d, model.parameters).real for o, d in model.tip.distances(model.positions).items()}
    assert distances_there == pytest.approx({"a": 57 / 8, "b": 57 / 8, "c": 73 / 8}, rel=1e-15)


def test_triangle_tip_solves_as_the_seed_there_to_1e_12():
    axes = {"V": np.linspace(-1, 1, 201)}
    tip, seed = load_model(TIP).compile().sweep(axes), load_model(SEED).compile().sweep(axes)
    assert tip.states == seed.states
    for kind in ("current", "energy_current", "heat_current"):
        for lead in ("substrate", "tip"):
            a, b = getattr(tip, kind)[lead], getattr(seed, kind)[lead]
            assert np.max(np.abs(a - b)) <= 1e-12 * np.max(np.abs(b)), (kind, lead)
    np.testing.assert_allclose(tip.probabilities, seed.probabilities, rtol=0, atol=1e-12)


def test_an_image_pixel_is_the_model_with_the_law_evaluated_by_hand():
    x, y, V = 1.3, 2.1, 0.3
    image = load_model(TIP).compile().sweep({"y": np.array([-1.0, y]), "x": np.array([x, 4.0])}, V=V)
    d = {o: np.sqrt((x - p[0]) ** 2 + (y - p[1]) ** 2 + 5.875**2) for o, p in POSITIONS.items()}
    molecule = Hamiltonian(
        FockSpace(["a", "b", "c"]),
        onsite={"a": 0.0, "b": 0.1, "c": 0.2},
        hopping={("a", "b"): 0.05, ("b", "c"): 0.02, ("c", "a"): 0.05},
    )
    leads = [
        Lead("substrate", mu=0, temperature=0.1, coupling={o: 0.1 for o in "abc"}),
        Lead("tip", mu=V, temperature=0.1, coupling={o: T0 * np.exp(-d[o] / DECAY) for o in "abc"}),
    ]
    by_hand = TransportModel(molecule, leads).compile().steady_state()
    assert image.current["tip"][1, 0] == pytest.approx(float(by_hand.current["tip"]), rel=1e-12)


def test_the_point_charge_shift_moves_each_level_by_r_over_d_times_the_bias():
    model = load_model(TIP)
    values = {**model.parameters, "R": 2.0, "x": 0.5, "y": -1.0}
    d = {o: np.sqrt((0.5 - p[0]) ** 2 + (-1.0 - p[1]) ** 2 + 5.875**2) for o, p in POSITIONS.items()}
    hamiltonian = model.model.hamiltonian
    onsite = {0: "c", 1: "b", 2: "a"}  # single-electron Fock states 001, 010, 100
    block = hamiltonian.block((1,))
    base = {"a": 0.0, "b": 0.1, "c": 0.2}
    for k, orbital in onsite.items():
        assert evaluate(block[k, k], values).real == pytest.approx(base[orbital] + 2.0 / d[orbital] * 0.5, rel=1e-14)


def test_sweeps_over_the_tip_position_and_exact_derivatives_along_it():
    solver = load_model(TIP).compile()
    grid = {"y": np.linspace(-6, 10, 9), "x": np.linspace(-8, 8, 11)}
    image = solver.sweep(grid, V=0.3, R=2.0)
    assert image.current["tip"].shape == (9, 11) and np.all(image.current["tip"] > 0)
    # the current is largest with the tip above a molecule, smallest far from all three
    assert image.current["tip"].max() > 10 * image.current["tip"][0, 0]
    x, step = np.array([1.0]), 1e-5
    exact = solver.derivatives(with_respect_to=["x"], x=x, V=0.3, R=2.0).current["x"]["tip"]
    ahead, behind = (solver.sweep({"x": x + s}, V=0.3, R=2.0).current["tip"] for s in (step, -step))
    assert exact == pytest.approx((ahead - behind) / (2 * step), rel=1e-6)


def test_the_python_api_gives_the_expressions_of_the_file():
    x, y, h, t0, lam, R, V = sp.symbols("x y height t0 lam R V", real=True)
    tip = Tip(x=x, y=y, height=h, t0=t0, decay=lam, lever=point_charge_lever(DISTANCE, radius=R), bias=V)
    model = load_model(TIP)
    assert tip == model.tip
    d_a = sp.sqrt((x + sp.sqrt(65) / 2) ** 2 + y**2 + h**2)
    assert sp.simplify(tip.distances(model.positions)["a"] - d_a) == 0
    assert sp.simplify(tip.couplings(model.positions)["a"] - t0 * sp.exp(-d_a / lam)) == 0
    assert sp.simplify(tip.shifts(model.positions)["a"] - R * V / d_a) == 0
    assert exponential_coupling(3, t0=2, decay=3) == 2 * sp.exp(-1)
    assert distances({"o": (3, 4, 1)}, (0, 0, 1))["o"] == 5
    assert Tip(x=0, y=0, height=1, t0=1, decay=1).shifts({"o": (0, 0)}) == {}
    with pytest.raises(ValueError, match="both a lever arm and a bias"):
        Tip(x=0, y=0, height=1, t0=1, decay=1, lever="R/d")
    with pytest.raises(ValueError, match=r"\[x, y\] or \[x, y, z\]"):
        distances({"o": (1,)}, (0, 0, 1))


def test_closed_forms_carry_the_tip_position(tmp_path):
    single = """title = "level under a tip"
[system]
orbitals = ["d"]
[parameters]
x = 0.0
height = 4.0
V = 0.1
[geometry]
positions = { d = [1, 0, 0.5] }
[tip]
x = "x"
y = 0
height = "height"
t0 = 1
decay = 1
lever = "2/sqrt(d**2 + 1)"
bias = "V"
[[lead]]
name = "substrate"
mu = 0
temperature = 0.1
coupling = { d = 0.1 }
[[lead]]
name = "tip"
mu = "V"
temperature = 0.1
"""
    path = tmp_path / "level.toml"
    path.write_text(single)
    model = load_model(path)
    current = model.model.current("tip")
    assert {s.name for s in current.free_symbols} == {"x", "height", "V"}
    d = sp.sqrt((sp.Symbol("x", real=True) - 1) ** 2 + (sp.Symbol("height", real=True) - sp.Float(0.5)) ** 2)
    energy = model.model.spectrum.energy(1)
    assert sp.simplify(energy - 2 / sp.sqrt(d**2 + 1) * sp.Symbol("V", real=True)) == 0


def test_solve_and_plot_an_image_and_a_line_scan(capsys, tmp_path):
    image, scan = tmp_path / "image.png", tmp_path / "scan.png"
    status, out, err = run(
        ["solve", TIP, "--sweep", "y=-6:10:9", "--sweep", "x=-8:8:9", "--set", "V=0.3", "--plot", image, "-q"], capsys
    )
    assert status == 0 and err == "" and len(out.splitlines()) >= 81
    assert matplotlib.image.imread(image).shape[:2] == (720, 1800)
    status, _, _ = run(["solve", TIP, "--sweep", "x=-8:8:9", "--sweep", "V=-1:1:9", "--plot", scan, "-q"], capsys)
    assert status == 0 and matplotlib.image.imread(scan).shape[:2] == (720, 1800)


BAD = {
    "unknown key in [tip]": (('decay = "lam"', 'decay = "lam"\nspeed = 1'), ["[tip]", "'speed'", "unknown key"]),
    "missing height": (('height = "height"\n', ""), ["[tip]", "'height'", "missing"]),
    "no such tip lead": (('lead = "tip"', 'lead = "stm"'), ["[tip]", "'lead'", "no [[lead]] named 'stm'"]),
    "a position of one coordinate": (('a = ["-sqrt(65)/2", 0]', "a = [1]"), ["[geometry]", "'positions.a'", "[x, y]"]),
    "a position of an unknown orbital": (("c = [0,", "q = [0,"), ["[geometry]", "'positions.q'", "unknown orbital"]),
    "a missing position": ((', c = [0, "sqrt(195)/2"]', ""), ["[geometry]", "'positions'", "no position for c"]),
    "a position that is a string": (('b = ["sqrt(65)/2", 0]', 'b = "here"'), ["[geometry]", "'positions.b'"]),
    "a complex coordinate": (('b = ["sqrt(65)/2", 0]', 'b = ["I", 0]'), ["[geometry]", "'positions.b'", "real"]),
    "an undefined parameter": (('x = "x"', 'x = "xx"'), ["[tip]", "'x'", "undefined parameter 'xx'"]),
    "a negative decay": (('decay = "lam"', "decay = -1"), ["[tip]", "'decay'", "positive"]),
    "radius and lever": (('radius = "R"', 'radius = "R"\nlever = "1/d"'), ["[tip]", "'lever'", "not both"]),
    "a shift without bias": (('bias = "V"\n', ""), ["[tip]", "'bias'", "missing"]),
    "a bias without shift": (('radius = "R"', ""), ["[tip]", "'bias'", "without a lever arm"]),
    "a lever in a declared d": (('radius = "R"', 'lever = "R/d"'), ["[tip]", "'lever'", "hides the distance"]),
    "a lever with other names": (('radius = "R"', 'lever = "R/dist"'), ["[tip]", "'lever'", "'dist'"]),
    "a tip lead with a coupling": (
        (
            'name = "tip"                                # its coupling comes from [tip]',
            'name = "tip"\ncoupling = { a = 1 }',
        ),
        ["[[lead]] 'tip'", "'coupling'", "comes from [tip]"],
    ),
    "a tip on a molecule with a lever": (
        ("height = 5.875", "height = 0.0\nr0 = 0"),
        ["[tip]", "'shift.a'", "not a finite number", "at the defaults"],
    ),
    "a unit that is not a string": (('length = "Å"', "length = 1"), ["[units]", "'length'"]),
    "[geometry] not a table": (("[geometry]\npositions = {", "[tip.positions]\nq = {"), ["[geometry]", "table"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_geometry_is_one_line_naming_table_and_key(case, tmp_path, capsys):
    (old, new), fragments = BAD[case]
    text = TIP.read_text()
    if case == "a lever in a declared d":
        text = text.replace("R = 0.0 ", "d = 1.0\nR = 0.0 ")
    if case == "[geometry] not a table":
        text = "geometry = 1\n" + text
        fragments = ["[geometry]", "expected a table"]
    if case == "a tip on a molecule with a lever":
        text = text.replace("x = 0.0 ", 'x = "-sqrt(65)/2" ').replace("R = 0.0 ", "R = 1.0 ")
        fragments = ["[tip]", "'shift.a'", "at the defaults"]
    assert old in text, case
    path = tmp_path / "tip.toml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    message = str(error.value)
    assert "\n" not in message and all(f in message for f in fragments), message
    status, out, err = run(["solve", path], capsys)
    assert status == 2 and out == "" and len(err.splitlines()) == 1
