"""``solve --noise`` / ``--derivative`` and ``derive --noise``: keys, shapes, values against the
Python API and the closed forms, the table and CSV columns, the binary formats, the refusals, the
exact dI/dV of ``--plot`` maps and ``analyse(derivative_quantities=...)``."""

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from test_model_files import run

from symbolic_pme import fermi
from symbolic_pme.cli.noise import ZERO_CURRENT
from symbolic_pme.files.model_file import load_model
from symbolic_pme.networks.statistics import cumulants

ROOT = Path(__file__).resolve().parent.parent
SINGLE = ROOT / "examples" / "single_level.toml"
ANDERSON = ROOT / "examples" / "anderson.toml"
TRIANGLE = ROOT / "examples" / "triangle_coulomb.toml"
NOISE_KEYS = ("noise", "fano", "skewness")


def solve(arguments, capsys, *, format_name="json"):
    status, out, err = run(["solve", *map(str, arguments), "--format", format_name, "-q"], capsys)
    assert status == 0, err
    return json.loads(out) if format_name == "json" else out


def test_json_keys_and_shapes_follow_the_current(capsys):
    document = solve([ANDERSON, "--sweep", "eps=-1:0:4", "--sweep", "V=-1:1:3", "--noise", "--derivative", "V"], capsys)
    for key in (*NOISE_KEYS, "d_current_d_V"):
        assert list(document[key]) == document["leads"] == ["L", "R"]
        for lead in document["leads"]:
            assert np.shape(document[key][lead]) == np.shape(document["current"][lead]) == (4, 3)
    point = solve([SINGLE, "--noise", "--derivative", "eps"], capsys)
    assert all(isinstance(point[key]["L"], float) for key in (*NOISE_KEYS, "d_current_d_eps"))
    plain = solve([SINGLE], capsys)
    assert not set(point) - set(plain) - {*NOISE_KEYS, "d_current_d_eps"}
    assert not {*NOISE_KEYS, "d_current_d_eps"} & set(plain)


def test_values_equal_the_python_api(capsys):
    arguments = [ANDERSON, "--sweep", "eps=-1.2:0.2:5", "--sweep", "V=-1.5:1.5:4", "--set", "T=0.08"]
    document = solve([*arguments, "--noise", "--derivative", "V", "--derivative", "U"], capsys)
    solver = load_model(ANDERSON).compile()
    axes = {"eps": np.linspace(-1.2, 0.2, 5), "V": np.linspace(-1.5, 1.5, 4)}
    analysis = solver.analyse(axes=axes, T=0.08, cumulants=3, derivatives=["V", "U"])
    statistics, derivatives = analysis.statistics, analysis.derivatives
    for lead in ("L", "R"):
        np.testing.assert_allclose(document["current"][lead], analysis.steady_state.current[lead], rtol=1e-12)
        np.testing.assert_allclose(document["noise"][lead], statistics.noise[lead], rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(document["fano"][lead], statistics.fano[lead], rtol=1e-12)
        np.testing.assert_allclose(document["skewness"][lead], statistics.skewness[lead], rtol=1e-12, atol=1e-300)
        for name in ("V", "U"):
            expected = derivatives.current[name][lead]
            np.testing.assert_allclose(document[f"d_current_d_{name}"][lead], expected, rtol=1e-12, atol=1e-300)
    # the Fano factor is signed: the current enters through one lead and leaves through the other
    fano = np.array(document["fano"]["L"])
    assert np.all(np.sign(fano) == np.sign(np.array(document["current"]["L"])))
    np.testing.assert_allclose(document["fano"]["R"], -fano, rtol=1e-9)


def test_single_level_fano_factor_at_large_bias_is_the_closed_form(capsys):
    t_l, t_r = 0.1, 0.05
    point = solve(
        [SINGLE, "--set", "V=40", "--set", "T=0.05", "--set", f"tL={t_l}", "--set", f"tR={t_r}", "--noise"], capsys
    )
    g_l, g_r = 2 * np.pi * t_l**2, 2 * np.pi * t_r**2
    fano = (g_l**2 + g_r**2) / (g_l + g_r) ** 2
    assert point["fano"]["L"] == pytest.approx(fano, rel=1e-12)
    assert point["fano"]["R"] == pytest.approx(-fano, rel=1e-12)
    assert point["noise"]["L"] == pytest.approx(fano * point["current"]["L"], rel=1e-12)
    # and the general closed form of the tool at the same point, both leads
    model = load_model(SINGLE)
    values = {**model.parameters, "V": 40.0, "T": 0.05, "tL": t_l, "tR": t_r}
    substitution = {sp.Symbol(name, real=True): value for name, value in values.items()}
    for lead in ("L", "R"):
        current, noise, skewness = (
            float(c.subs(substitution).evalf(30)) for c in cumulants(model.model.network, lead, order=3)
        )
        assert point["current"][lead] == pytest.approx(current, rel=1e-12)
        assert point["noise"][lead] == pytest.approx(noise, rel=1e-12)
        assert point["skewness"][lead] == pytest.approx(skewness, rel=1e-10)


def test_fano_factor_is_null_at_zero_current(capsys):
    document = solve([SINGLE, "--sweep", "V=-1:1:3", "--noise"], capsys)
    assert document["fano"]["L"][1] is None and document["fano"]["R"][1] is None
    assert document["noise"]["L"][1] > 0  # thermal noise, 2 T G
    assert abs(document["current"]["L"][1]) <= ZERO_CURRENT * document["noise"]["L"][1]


def test_derivative_of_an_unused_parameter_is_zero(tmp_path, capsys):
    path = tmp_path / "unused.toml"
    path.write_text(SINGLE.read_text().replace("[parameters]\n", "[parameters]\nspare = 1.0\n"))
    document = solve([path, "--sweep", "V=-1:1:3", "--derivative", "spare"], capsys)
    assert document["d_current_d_spare"] == {"L": [0.0, 0.0, 0.0], "R": [0.0, 0.0, 0.0]}


def test_csv_and_table_columns(capsys):
    arguments = [SINGLE, "--sweep", "V=0.2:1:3", "--noise", "--derivative", "eps"]
    rows = list(csv.DictReader(io.StringIO(solve(arguments, capsys, format_name="csv"))))
    document = solve(arguments, capsys)
    for lead in ("L", "R"):
        for key in (*NOISE_KEYS, "d_current_d_eps"):
            column = [float(row[f"{key}[{lead}]"]) for row in rows]
            assert column == document[key][lead]
    header = list(rows[0])
    assert header.index("heat_current[R]") < header.index("noise[L]") < header.index("occupation[d]")
    table = solve(arguments, capsys, format_name="table").splitlines()
    names = next(line for line in table if line.split()[:1] == ["V"]).split()
    for lead in ("L", "R"):
        assert {f"C2[{lead}]", f"F[{lead}]", f"C3[{lead}]", f"dI/deps[{lead}]"} <= set(names)
    values = [float(v) for v in table[-1].split()]
    assert values[names.index("F[L]")] == pytest.approx(document["fano"]["L"][-1], rel=1e-5)
    point = solve([SINGLE, "--noise"], capsys, format_name="table")
    assert "fano" in point and "skewness" in point


def test_binary_formats_carry_the_keys(tmp_path, capsys):
    path = tmp_path / "noise.npz"
    status, _, err = run(
        [
            "solve",
            ANDERSON,
            "--sweep",
            "V=-1:1:3",
            "--noise",
            "--derivative",
            "eps",
            "--format",
            "npz",
            "-o",
            path,
            "-q",
        ],
        capsys,
    )
    assert status == 0, err
    document = solve([ANDERSON, "--sweep", "V=-1:1:3", "--noise", "--derivative", "eps"], capsys)
    with np.load(path) as archive:
        dims = json.loads(str(archive["attrs.dims"]))
        for key in (*NOISE_KEYS, "d_current_d_eps"):
            assert dims[key] == ["V", "lead"]
            np.testing.assert_array_equal(archive[key][:, 0], np.array(document[key]["L"], dtype=float))


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--derivative", "nope"], "--derivative nope: no such parameter"),
        (["--noise", "--approach", "lindblad"], "--noise: available with the Pauli equation only"),
        (["--derivative", "V", "--workers", "2"], "--derivative: solves in this process"),
    ],
    ids=["unknown name", "coherent approach", "workers"],
)
def test_refusals_are_one_line_with_exit_2(extra, fragment, capsys):
    status, out, err = run(["solve", SINGLE, "--sweep", "V=-1:1:3", *extra], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err, err


def test_derive_noise_prints_the_closed_form(capsys):
    status, out, err = run(["derive", SINGLE, "--noise"], capsys)
    assert status == 0, err
    text = out.split("Closed-form noise and Fano factor")[1]
    model = load_model(SINGLE)
    current, noise = cumulants(model.model.network, "L", order=2)
    printed = {line.split(" = ")[0]: line.split(" = ", 1)[1] for line in text.splitlines() if " = " in line}
    names = {str(s): s for s in noise.free_symbols | current.free_symbols} | {"fermi": fermi}
    assert sp.simplify(sp.sympify(printed["C_2[L]"], locals=names) - noise) == 0
    assert sp.simplify(sp.sympify(printed["F[L]"], locals=names) - noise / current) == 0
    assert "C_2[R] = C_2[L] and F[R] = -F[L]" in text
    status, out, _ = run(["derive", SINGLE], capsys)
    assert "Closed-form noise" not in out


def test_derive_noise_says_when_not_feasible(capsys):
    status, out, err = run(["derive", ROOT / "examples" / "triangle.toml", "--noise"], capsys)
    assert status == 0, err
    assert "not derived:" in out.split("Closed-form noise and Fano factor")[1]


def test_plot_maps_use_the_exact_derivative(monkeypatch, tmp_path, capsys):
    from symbolic_pme.numeric import plots

    seen = []
    original = plots.plot_map

    def spy(result, channel, **options):
        seen.append(options.get("derivatives"))
        return original(result, channel, **options)

    monkeypatch.setattr("symbolic_pme.cli.figures.plot_map", spy)
    monkeypatch.setattr(np, "gradient", lambda *a, **k: pytest.fail("np.gradient used for an exact map"))
    image = tmp_path / "map.png"
    status, _, err = run(
        ["solve", TRIANGLE, "--sweep", "gate=-0.6:0.4:6", "--sweep", "V=-1:1:5", "--plot", image, "-q"], capsys
    )
    assert status == 0, err and image.stat().st_size > 0
    exact = seen[-1]
    assert exact is not None and exact.with_respect_to == ("V",) and list(exact.currents) == ["charge"]
    solver = load_model(TRIANGLE).compile()
    axes = {"gate": np.linspace(-0.6, 0.4, 6), "V": np.linspace(-1, 1, 5)}
    reference = solver.analyse(axes=axes, derivatives=["V"]).derivatives.current["V"]["tip"]
    np.testing.assert_allclose(exact.current["V"]["tip"], reference, rtol=1e-12, atol=1e-300)


def test_derivative_quantities_select_the_currents():
    solver = load_model(ANDERSON).compile()
    values = {"V": np.linspace(-1, 1, 7), "eps": -0.3}
    full = solver.analyse(values, derivatives=["V", "eps"]).derivatives
    charge = solver.analyse(values, derivatives=["V", "eps"], derivative_quantities=("charge",)).derivatives
    heat = solver.analyse(values, derivatives=["V"], derivative_quantities=["heat"]).derivatives
    assert list(charge.currents) == ["charge"] and list(heat.currents) == ["heat"]
    for lead in ("L", "R"):
        for name in ("V", "eps"):
            np.testing.assert_array_equal(charge.current[name][lead], full.current[name][lead])
        np.testing.assert_allclose(heat.heat_current["V"][lead], full.heat_current["V"][lead], rtol=1e-13, atol=1e-300)
    for bad in ((), "charge", ("charge", "spin")):
        with pytest.raises(ValueError, match="derivative_quantities"):
            solver.analyse(values, derivatives=["V"], derivative_quantities=bad)
