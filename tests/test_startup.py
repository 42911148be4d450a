"""Start-up and polish (issue 14, item 5): what the command imports, its plots and its derivations.

``symbolic-pme --help`` imports neither NumPy, SymPy, SciPy, Matplotlib nor tqdm, and takes at
most 0.15 s more than a bare interpreter; ``solve`` without ``--plot`` imports no Matplotlib.
Plots label axes with symbols and units, keep legends off the curves and tick labels free of
offsets, and centre dI/dV maps at zero with the data's range; ``derive`` prints numbers as the
file gives them and one notation at a time.
"""

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from symbolic_pme.numeric.plots import plot_curves, plot_map, plot_probabilities

from symbolic_pme.cli.derive import derivation
from symbolic_pme.cli.figures import axis_units
from symbolic_pme.files.model_file import load_model

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HEAVY = ("numpy", "sympy", "scipy", "matplotlib", "tqdm")


def imported(code: str) -> set[str]:
    """The top-level packages a fresh interpreter has imported after running ``code``."""
    script = f"import sys\n{code}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_help_imports_nothing_heavy():
    code = "from symbolic_pme.cli.main import parser\nparser().format_help()\nimport symbolic_pme"
    assert not imported(code) & set(HEAVY)


def test_help_takes_at_most_0_15_s_more_than_a_bare_interpreter():
    def fastest(arguments):
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, *arguments], capture_output=True, check=True, cwd=ROOT, timeout=60)
            times.append(time.perf_counter() - start)
        return min(times)

    assert fastest(["-m", "symbolic_pme", "--help"]) - fastest(["-c", "pass"]) <= 0.15


def test_solve_without_plot_imports_no_matplotlib():
    code = f"from symbolic_pme.cli import main\nmain(['solve', r'{EXAMPLES / 'triangle.toml'}', '--sweep', 'V=0:1:3'])"
    assert "matplotlib" not in imported(code)


def test_quiet_help_names_what_it_hides(capsys):
    from symbolic_pme.cli.main import parser

    text = " ".join(parser()._subparsers._group_actions[0].choices["solve"].format_help().split())
    assert "progress bar" in text and "wrote PATH" in text and "coherences" in text


@pytest.fixture(scope="module")
def tip_results():
    model = load_model(EXAMPLES / "triangle_tip.toml")
    solver = model.compile()
    return (
        model,
        solver.sweep({"V": np.linspace(-1, 1, 41)}),
        solver.sweep({"x": np.linspace(-8, 8, 21), "V": np.linspace(-1, 1, 21)}),
    )


def test_labels_carry_symbols_and_units_and_ticks_no_offset(tip_results):
    model, iv, _ = tip_results
    units = axis_units(model)
    assert units == {"V": "eV", "T": "eV", "x": "Å", "y": "Å", "height": "Å", "lam": "Å", "R": "Å"}
    top, bottom = Figure(layout="constrained").subplots(2, 1)
    plot_curves(iv, units=units, energy_unit="eV", ax=top)
    plot_probabilities(iv, units=units, ax=bottom)
    assert top.get_xlabel() == "V (eV)" and top.get_ylabel().endswith("(e·eV/ħ)")
    assert [t.get_text() for t in top.get_legend().get_texts()] == ["I_substrate", "I_tip"]
    for ax in (top, bottom):
        assert ax.yaxis.get_major_formatter().get_useOffset() is False
        legend = ax.get_legend()  # beside the axes: anchored to their right edge
        assert legend._loc == 2 and legend.get_bbox_to_anchor().x0 >= ax.bbox.x1 - 1e-9


def test_didv_maps_are_centred_at_zero_with_the_datas_range(tip_results):
    model, _, scan = tip_results
    ax = Figure().subplots()
    plot_map(scan, "tip", derivative=True, along="V", horizontal="x", units=axis_units(model), energy_unit="eV", ax=ax)
    mesh = ax.collections[0]
    data = np.gradient(scan.current["tip"], scan.axes["V"], axis=1)
    assert mesh.get_array().shape == (21, 21) and ax.get_xlabel() == "x (Å)" and ax.get_ylabel() == "V (eV)"
    ax = Figure().subplots()
    plot_map(scan, "tip", ax=ax)
    norm = ax.collections[0].norm
    current = scan.current["tip"]
    assert isinstance(norm, TwoSlopeNorm) and norm.vcenter == 0
    assert (norm.vmin, norm.vmax) == (current.min(), current.max())
    assert data.min() >= 0 or isinstance(mesh.norm, TwoSlopeNorm)


def test_derive_prints_numbers_as_given_in_one_notation():
    model = load_model(EXAMPLES / "triangle.toml")
    ascii_text = derivation(model)
    assert "0.300000000000000" not in ascii_text and "111               3   0.3" in ascii_text
    assert ascii_text.isascii()
    unicode_text = derivation(model, unicode=True)
    assert "⎡" in unicode_text and "0.300000000000000" not in unicode_text
    assert "lam = 2/log(10) (0.868588963806504)" in derivation(load_model(EXAMPLES / "triangle_tip.toml"))
    with pytest.raises(ValueError, match="one notation"):
        derivation(model, latex=True, unicode=True)
