"""The README's examples run as written and say what they show."""

import re
from pathlib import Path

import numpy as np
import sympy as sp

from symbolic_pme import fermi
from symbolic_pme.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks():
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_readme_python_examples_run_and_match_their_comments(monkeypatch):
    monkeypatch.chdir(README.parent)  # the examples name files relative to the repository
    namespace: dict = {}
    for k, block in enumerate(python_blocks()):
        exec(compile(block, f"README.md:block{k}", "exec"), namespace)  # noqa: S102 - our own README
    result, stability, level = namespace["result"], namespace["stability"], namespace["level"]
    assert namespace["device"].parameters == {"V": 0.5, "T": 0.1}
    assert np.allclose(namespace["iv"].current["tip"], result.current["tip"], rtol=0, atol=1e-18)
    check = namespace["check"]
    gamma_, k_ia, k_loss = (namespace[n] for n in ("G", "k_IA", "k_loss"))
    assert sp.simplify(namespace["chain"].steady_state()["I"] - gamma_ / (k_ia + k_loss)) == 0
    yields = namespace["first_passage"](namespace["chain"], initial="D").yields
    assert sp.simplify(yields["loss"] - k_loss / (k_ia + k_loss)) == 0
    assert namespace["detailed_balance"](level.network).holds is None
    v, w0, g = namespace["V"], namespace["w0"], namespace["gamma"]
    assert sp.simplify(namespace["W"] - 2 * v**2 * g / (w0**2 + g**2)) == 0
    assert 1.05 < check.ratio.max() < 1.15 and check.worst == ("N=2:1", "N=2:2")
    assert result.axes["V"].shape == (201,)
    assert result.states == ("000", "N=1:0", "N=1:1", "N=1:2", "N=2:0", "N=2:1", "N=2:2", "111")
    assert result.probabilities.shape == (201, 8)
    assert result.energies.shape == (201, 8)
    assert stability.current["tip"].shape == (100, 100)
    assert namespace["dataset"].current.dims == ("V", "lead") and namespace["grid"].shape == (500, 150)
    assert namespace["dataset"].attrs["title"] == namespace["device"].title
    assert list(stability.axes) == ["gate", "V"]
    eps, mu_l, mu_r, temp, t_l, t_r = (namespace[n] for n in ("eps", "mu_L", "mu_R", "T", "t_L", "t_R"))
    f_l, f_r = fermi(eps - mu_l, temp), fermi(eps - mu_r, temp)
    assert sp.simplify(level.steady_state()["1"] - (t_l**2 * f_l + t_r**2 * f_r) / (t_l**2 + t_r**2)) == 0
    assert sp.simplify(level.current("L") - 2 * sp.pi * t_l**2 * t_r**2 * (f_l - f_r) / (t_l**2 + t_r**2)) == 0
    scale = np.abs(result.current["tip"]).max()
    assert np.allclose(result.current["tip"], -result.current["substrate"], rtol=0, atol=1e-12 * scale)


def test_quick_start_has_the_two_commands_ci_runs():
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("## ", 1)[0]
    commands = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL).group(1).strip().splitlines()
    assert commands == [
        "pip install '.[data,dask]' && symbolic-pme solve examples/triangle.toml --sweep V=-1:1:201 --plot triangle_iv.png",
        "pytest",
    ]


def test_readme_command_examples_run(monkeypatch, tmp_path, capsys):
    """Every ``symbolic-pme`` line of the README runs (in a scratch folder, for the files it writes)."""
    text = README.read_text(encoding="utf-8")
    lines = [line.split("#")[0].split() for line in text.splitlines() if line.startswith("symbolic-pme ")]
    assert len(lines) == 8
    monkeypatch.chdir(tmp_path)
    for words in lines:
        if "--scheduler" in words:  # needs a Dask cluster: tests/test_distributed.py runs one
            continue
        arguments = [str(README.parent / w) if w.startswith("examples/") else w for w in words[1:]]
        assert main(arguments) == 0, words
    capsys.readouterr()
    assert (tmp_path / "iv.json").exists() and (tmp_path / "diamonds.png").exists() and (tmp_path / "iv.nc").exists()
