"""``symbolic-pme solve --coherences``: the JSON key ``coherences`` of a coherent approach.

- Its layout (docs/model-files.md): one entry per sector of two or more states, their labels,
  the pairs of the upper triangle, real and imaginary parts of the sweep shape + (pairs,).
- Its values: the off-diagonal elements of the Python API's density matrices, exactly; with the
  populations in ``probabilities`` they make Hermitian blocks of trace one.
- Refusals before computing: with the Pauli equation, and with a format other than JSON.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from symbolic_pme.cli.main import main
from symbolic_pme.files.model_file import load_model

TRIANGLE = Path(__file__).resolve().parent.parent / "examples" / "triangle.toml"


def solve_json(tmp_path, *options):
    output = tmp_path / "out.json"
    assert main(["solve", str(TRIANGLE), *options, "--format", "json", "-o", str(output), "-q"]) == 0
    return json.loads(output.read_text())


def test_coherences_layout_and_values_over_a_sweep(tmp_path):
    document = solve_json(tmp_path, "--approach", "redfield", "--sweep", "V=-1:1:5", "--coherences")
    result = load_model(TRIANGLE).compile().sweep({"V": np.linspace(-1, 1, 5)}, approach="redfield")
    labels = [state["label"] for state in document["states"]]
    expected = [(sector, block) for sector, block in zip(result.sectors, result.density_matrices) if len(sector) > 1]
    assert [entry["states"] for entry in document["coherences"]] == [list(sector) for sector, _ in expected]
    probabilities = np.array(document["probabilities"])
    total = np.zeros(5)
    for entry, (sector, block) in zip(document["coherences"], expected):
        d = len(sector)
        rows, columns = np.triu_indices(d, 1)
        assert entry["pairs"] == [[sector[a], sector[b]] for a, b in zip(rows, columns)]
        real, imag = np.array(entry["real"]), np.array(entry["imag"])
        assert real.shape == imag.shape == (5, d * (d - 1) // 2)
        np.testing.assert_array_equal(real + 1j * imag, block[:, rows, columns])
        # the JSON's pieces make the sector's Hermitian block back
        rho = np.zeros((5, d, d), dtype=complex)
        rho[:, rows, columns] = real + 1j * imag
        rho[:, columns, rows] = real - 1j * imag
        rho[:, np.arange(d), np.arange(d)] = probabilities[:, [labels.index(s) for s in sector]]
        np.testing.assert_allclose(rho, block, rtol=0, atol=1e-15)
        total += np.trace(rho, axis1=1, axis2=2).real
    assert np.abs(real).max() > 1e-6  # the triangle's near-degenerate pair is coherent
    singles = [labels.index(s[0]) for s in result.sectors if len(s) == 1]
    np.testing.assert_allclose(total + probabilities[:, singles].sum(axis=1), 1.0, atol=1e-12)


def test_coherences_of_one_point_are_flat_lists(tmp_path):
    document = solve_json(tmp_path, "--approach", "1vn", "--coherences")
    assert document["approach"] == "1vn"
    for entry in document["coherences"]:
        assert len(entry["real"]) == len(entry["imag"]) == len(entry["pairs"])
        assert all(isinstance(value, float) for value in entry["real"])
    assert "coherences" not in solve_json(tmp_path, "--approach", "1vn")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--coherences", "--format", "json"], "the Pauli equation keeps no coherences"),
        (["--coherences", "--approach", "lindblad", "--format", "csv"], "give --format json, not csv"),
    ],
)
def test_coherences_refused_where_there_are_none_to_write(capsys, options, message):
    assert main(["solve", str(TRIANGLE), *options]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
