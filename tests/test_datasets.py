"""Labelled datasets and big outputs (issue 14, item 3): to_xarray, NetCDF, npz, streamed text."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from symbolic_pme.numeric.datasets import CONVENTIONS, load_npz, save_npz, to_xarray

from symbolic_pme.cli import formats, main
from symbolic_pme.files.model_file import load_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def coulomb():
    model = load_model(EXAMPLES / "triangle_coulomb.toml")
    axes = {"gate": np.linspace(-0.6, 0.4, 7), "V": np.linspace(-1, 1, 9)}
    return model, model.compile().sweep(axes)


def test_to_xarray_labels_axes_states_leads_and_keeps_state_values_on_their_own_axes(coulomb):
    model, result = coulomb
    dataset = result.to_xarray(title=model.title)
    assert dict(dataset.sizes) == {"gate": 7, "V": 9, "state": 8, "lead": 2, "mode": 3}
    assert list(dataset.state.values) == list(result.states) and list(dataset.lead.values) == ["substrate", "tip"]
    assert np.array_equal(dataset.V.values, result.axes["V"]) and np.array_equal(dataset.gate, result.axes["gate"])
    assert dataset.probability.dims == ("gate", "V", "state")
    assert np.array_equal(dataset.probability.sel(state="N=1:0").values, result.probability("N=1:0"))
    for name, quantity in (
        ("current", "current"),
        ("energy_current", "energy_current"),
        ("heat_current", "heat_current"),
    ):
        assert dataset[name].dims == ("gate", "V", "lead")
        assert np.array_equal(dataset[name].sel(lead="tip").values, getattr(result, quantity)["tip"])
    # the gate shifts the levels, the bias does not: energies along gate only; charges a coordinate
    assert dataset.energy.dims == ("gate", "state")
    assert np.array_equal(dataset.energy.values, result.energies[:, 0, :])
    assert dataset.charge.dims == ("state",) and list(dataset.charge.values) == [0, 1, 1, 1, 2, 2, 2, 3]
    assert np.allclose(dataset.occupation.sel(mode="a").values, result.occupations["a"], rtol=0, atol=1e-15)
    assert dataset.attrs["title"] == model.title and "docs/conventions.md" in dataset.attrs["conventions"]
    assert json.loads(dataset.attrs["parameters"]) == {"T": 0.05, "U": 0.3}


def test_netcdf_and_npz_files_hold_the_same_dataset(coulomb, tmp_path, capsys):
    model, result = coulomb
    arguments = ["solve", str(EXAMPLES / "triangle_coulomb.toml"), "--sweep", "gate=-0.6:0.4:7", "--sweep", "V=-1:1:9"]
    assert main([*arguments, "--format", "netcdf", "-o", str(tmp_path / "map.nc"), "-q"]) == 0
    with xr.open_dataset(tmp_path / "map.nc", engine="h5netcdf") as stored:
        assert stored.identical(to_xarray(result, title=model.title))
    assert main([*arguments, "--format", "npz", "-o", str(tmp_path / "map.npz"), "-q"]) == 0
    variables, attributes = load_npz(tmp_path / "map.npz")
    expected = to_xarray(result, title=model.title)
    assert set(variables) == set(expected.variables)
    for name, (dims, values) in variables.items():
        assert dims == expected[name].dims and np.array_equal(values, expected[name].values), name
    assert attributes == {k: expected.attrs[k] for k in ("title", "parameters", "conventions")}
    assert attributes["conventions"] == CONVENTIONS
    assert capsys.readouterr().out == ""  # binary formats never go to stdout


def test_binary_formats_need_an_output_file(capsys):
    for name in ("netcdf", "npz"):
        assert main(["solve", str(EXAMPLES / "triangle.toml"), "--format", name]) == 2
        error = capsys.readouterr().err
        assert f"--format {name} writes a binary file" in error and "give -o PATH" in error


def test_a_missing_extra_is_named(coulomb, monkeypatch, tmp_path, capsys):
    for module in ("xarray", "h5netcdf"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(ImportError, match=r"to_xarray needs xarray.*pip install 'symbolic_pme\[data\]'"):
        coulomb[1].to_xarray()
    save_npz(coulomb[1], tmp_path / "plain.npz")  # npz needs NumPy alone
    arguments = ["solve", str(EXAMPLES / "triangle.toml"), "--format", "netcdf", "-o", str(tmp_path / "x.nc")]
    assert main(arguments) == 2
    assert "--format netcdf needs xarray" in capsys.readouterr().err and not (tmp_path / "x.nc").exists()


def _old_csv(columns: dict[str, np.ndarray], shape: tuple[int, ...]) -> str:
    """The CSV as it was built before streaming: csv.writer over every row, repr of each float."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(columns)
    flat = [np.broadcast_to(v, shape).reshape(-1) for v in columns.values()]
    for row in zip(*flat):
        writer.writerow([repr(float(v)) for v in row])
    return stream.getvalue()


@pytest.mark.parametrize("block", [formats.BLOCK_POINTS, 5])
def test_streamed_text_is_the_text_built_whole(coulomb, monkeypatch, block):
    model, result = coulomb
    monkeypatch.setattr(formats, "BLOCK_POINTS", block)  # 5: many blocks, rows split inside the grid
    fixed = {"T": 0.05, "U": 0.3}
    stream = io.StringIO()
    formats.write_json(stream, model, result, fixed)
    assert stream.getvalue() == json.dumps(formats.document(model, result, fixed), allow_nan=False) + "\n"
    stream = io.StringIO()
    formats.write_csv(stream, model, result, fixed)
    assert stream.getvalue() == _old_csv(formats._columns(model, result, fixed, full=True), result.shape)
    stream = io.StringIO()
    formats.write_table(stream, model, result, fixed)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 4 + 7 * 9 and lines[-1].split()[:2] == ["0.4", "1"]
