"""The coherent approaches (Lindblad, Redfield, 1vN) against QmeQ 1.1 (tests/data/coherent_*.json).

Which entries are matched, and why:

- ``<approach>|dband=10000.0|itype=2`` (principal parts neglected) for every model -- the
  triangle, the single level and the random models of 16 and 64 states --, populations in the
  eigenbasis (matched by charge and energy; degenerate groups as sorted sets), particle, energy
  and heat currents per lead and the occupation ``Tr(rho n_i)`` of every spin-orbital (with the
  coherences), to 1e-9 relative to the largest value.  Our infinite band equals
  QmeQ's band of 1e4 here (no transition energy lies outside it).
- ``Lindblad|...|itype=0`` equals ``itype=2`` (QmeQ's Lindblad jump operators use the golden-rule
  rates only): matched as well.
- ``Redfield|1vN|...|itype=0`` (principal values over the band [-1e4, 1e4]) for the triangle and
  the single level, with ``principal_parts=True`` and the leads given that band: our principal
  values are exact (digamma), QmeQ's come from QUADPACK; they agree to 1e-9.  On the random
  models QmeQ's itype=0 entries differ from ours by up to 5e-4 (spinless 6 orbitals): not
  compared here.
"""

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from symbolic_pme import Lead, TransportModel
from symbolic_pme.files.model_file import load_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_qmeq_reference import MU_RULES, model_from_qmeq_parameters  # noqa: E402
from test_random_models import matched_groups  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
TOLERANCE = 1e-9
APPROACHES = {"lindblad": "Lindblad", "redfield": "Redfield", "1vn": "1vN"}
QUANTITIES = ("current", "energy_current", "heat_current")


def load(name):
    return json.loads((DATA / f"coherent_{name}.json").read_text())


def close(ours, theirs, what):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, what
    scale = np.max(np.abs(theirs))
    error = np.max(np.abs(ours - theirs))
    assert error <= TOLERANCE * scale, f"{what}: max error {error:.3g}, largest value {scale:.3g}"


def compare(result, data, entry, leads, channels, modes, what):
    points = data["results"][entry]
    reference = np.array([p["prob_eigen"] for p in points])
    ours, theirs = [], []
    for mine, indices in matched_groups(result, data["states"]):
        ours.append(np.sort(result.probabilities[:, mine], axis=-1))
        theirs.append(np.sort(reference[:, indices], axis=-1))
    close(np.concatenate(ours, -1), np.concatenate(theirs, -1), f"{what} populations")
    # Tr(rho n_i) with the coherences; QmeQ's spin-orbital order is ours
    occupations = np.stack([result.occupations[mode] for mode in modes], axis=-1)
    close(occupations, np.array([p["orbital_occupation"] for p in points]), f"{what} occupations")
    for quantity in QUANTITIES:
        expected = np.array([[sum(p[quantity][c] for c in channels[lead]) for lead in leads] for p in points])
        got = np.stack([getattr(result, quantity)[lead] for lead in leads], axis=-1)
        close(got, expected, f"{what} {quantity}")


@pytest.fixture(scope="module", params=sorted(MU_RULES))
def seed_case(request):
    name = request.param.removesuffix(".json")
    data = load(name)
    model = model_from_qmeq_parameters(data["params"], MU_RULES[request.param])
    banded = TransportModel(
        model.hamiltonian,
        [Lead(lead.name, lead.mu, lead.temperature, lead.coupling, band=(-1e4, 1e4)) for lead in model.leads],
    )
    modes = model.hamiltonian.space.modes
    return data, model.compile(), banded.compile(), [lead.name for lead in model.leads], modes


@pytest.mark.parametrize("approach", sorted(APPROACHES))
@pytest.mark.parametrize("itype", [2, 0])
def test_seed_models(seed_case, approach, itype):
    data, compiled, banded, leads, modes = seed_case
    x = np.array([p["x"] for p in data["results"][f"Lindblad|dband=10000.0|itype={itype}"]])
    principal = itype == 0 and approach != "lindblad"
    solver = banded if principal else compiled
    result = solver.sweep({"x": x}, approach=approach, principal_parts=principal)
    channels = {lead: [k] for k, lead in enumerate(leads)}
    entry = f"{APPROACHES[approach]}|dband=10000.0|itype={itype}"
    compare(result, data, entry, leads, channels, modes, approach)


@pytest.fixture(
    scope="module", params=["random_spinless_4", "random_spinful_2", "random_spinless_6", "random_spinful_3"]
)
def random_case(request):
    data = load(request.param)
    device = load_model(DATA / f"{request.param}.toml")
    return data, device


@pytest.mark.parametrize("approach", sorted(APPROACHES))
def test_random_models_itype_2(random_case, approach):
    data, device = random_case
    x = np.array([p["x"] for p in data["results"]["Lindblad|dband=10000.0|itype=2"]])
    result = device.compile().sweep({"V": x}, approach=approach)
    channels = data["params"]["physical_leads"]
    for itype in (2, 0) if approach == "lindblad" else (2,):
        entry = f"{APPROACHES[approach]}|dband=10000.0|itype={itype}"
        compare(
            result, data, entry, list(device.leads), channels, device.model.space.modes, f"{approach} itype={itype}"
        )


def test_principal_parts_of_a_small_random_model_need_and_use_the_band(tmp_path):
    text = (DATA / "random_spinless_4.toml").read_text()
    with pytest.raises(ValueError, match="infinite band"):
        load_model(DATA / "random_spinless_4.toml").compile().solve(approach="redfield", principal_parts=True)
    path = tmp_path / "banded.toml"
    path.write_text(re.sub(r"(\[\[lead\]\]\n)", r"\1band = [-1e4, 1e4]\n", text))
    with_parts = load_model(path).compile().solve(V=0.5, approach="redfield", principal_parts=True)
    without = load_model(path).compile().solve(V=0.5, approach="redfield")
    assert abs(with_parts.current["L"] - without.current["L"]) > 1e-6 * abs(without.current["L"])
