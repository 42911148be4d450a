"""The factored coherent kernels (one eigensystem per chunk) against the general path.

A bias sweep of a small model (dense kernel) builds its Liouvillians and currents from sparse
matrices made once per eigensystem (``symbolic_pme.numeric.coherent_factored``); the same sweep
with that path switched off takes the tensor products per group of ``CoherentKernel``.  Both must
give the same populations, density matrices and currents (particle, energy, heat and S_z), for
every approach, with and without spin, real and complex hoppings, principal parts on and off.
"""

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from symbolic_pme.numeric.coherent_steady import coherent_kernel

from symbolic_pme.files.model_file import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_random_models import random_model_text  # noqa: E402

CASES = [
    (approach, principal_parts)
    for approach in ("lindblad", "redfield", "1vn")
    for principal_parts in (False, True)
    if not (approach == "lindblad" and principal_parts)
]


def model_text(orbitals, spin, seed, *, complex_hopping):
    """A random dot with leads given the band [-1e4, 1e4] (for the principal parts), and
    optionally its first hopping made complex."""
    text = re.sub(r"(\[\[lead\]\]\n)", r"\1band = [-1e4, 1e4]\n", random_model_text(orbitals, spin, seed))
    if complex_hopping:
        text, count = re.subn(r"(\[\[hopping\]\]\norbitals = [^\n]*\nvalue = )([-0-9.e]+)", r'\1"\2 + 0.07*I"', text, 1)
        assert count == 1
    return text


def solved_both_ways(path, approach, principal_parts):
    """The same sweep through the factored kernels and through the general path."""
    factored, general = load_model(path).compile(), load_model(path).compile()
    coherent_kernel(general.blocks).factored = lambda *args, **options: None  # the general path only
    axes = {"V": np.linspace(-1.5, 1.5, 9)}
    results = [m.sweep(axes, approach=approach, principal_parts=principal_parts) for m in (factored, general)]
    return results, coherent_kernel(factored.blocks)


def close(a, b, scale):
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) <= 1e-12 * scale


@pytest.mark.parametrize(("orbitals", "spin", "seed"), [(3, False, 1), (4, False, 7), (2, True, 3)])
@pytest.mark.parametrize("complex_hopping", [False, True])
@pytest.mark.parametrize(("approach", "principal_parts"), CASES)
def test_factored_kernels_give_the_general_solution(
    orbitals, spin, seed, complex_hopping, approach, principal_parts, tmp_path
):
    path = tmp_path / "random.toml"
    path.write_text(model_text(orbitals, spin, seed, complex_hopping=complex_hopping))
    (factored, general), kernel = solved_both_ways(path, approach, principal_parts)
    assert kernel.map.dense and (approach, principal_parts or complex_hopping) in kernel._factored_terms
    close(factored.probabilities, general.probabilities, 1.0)
    for a, b in zip(factored.density_matrices, general.density_matrices):
        close(a, b, 1.0)
    charge = max(np.abs(v).max() for v in general.currents["charge"].values())
    assert charge > 1e-6
    for quantity, per_lead in general.currents.items():
        scale = charge if quantity == "spin" else max(np.abs(v).max() for v in per_lead.values())
        for lead, current in per_lead.items():
            close(factored.currents[quantity][lead], current, scale)
    for name, occupation in general.mode_occupations.items():
        close(factored.mode_occupations[name], occupation, 1.0)


def test_a_grid_that_changes_the_eigensystem_takes_the_general_path(tmp_path):
    path = tmp_path / "random.toml"
    text = re.sub(r'\n"0" = [^\n]*', '\n"0" = "eps0"', random_model_text(3, False, 2), count=1)
    path.write_text(text.replace("[parameters]\n", "[parameters]\neps0 = 0.1\n"))
    compiled = load_model(path).compile()
    compiled.sweep({"eps0": np.linspace(-0.2, 0.2, 3), "V": np.linspace(-1, 1, 4)}, approach="redfield")
    assert not coherent_kernel(compiled.blocks)._factored_terms
    compiled.sweep({"V": np.linspace(-1, 1, 4)}, approach="redfield")  # one eigensystem: factored
    assert ("redfield", False) in coherent_kernel(compiled.blocks)._factored_terms
