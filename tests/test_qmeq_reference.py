"""Agreement with QmeQ 1.1 (Pauli approach) on the reference data in tests/data.

Every stored point is compared: probabilities in the eigenbasis (states matched by charge and
energy), particle, energy and heat currents of every lead, orbital occupations, and the full rate
matrix at one bias.  Tolerance: 1e-10 relative to the largest value of each quantity.
"""

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel

DATA = Path(__file__).resolve().parent / "data"
TOLERANCE = 1e-10
x = sp.Symbol("x", real=True)

#: mu of each lead as a function of the sweep value x, from each file's ``mulst_rule``
MU_RULES = {
    "a_triangle_noU.json": [sp.S.Zero, x],  # substrate mu = 0, tip mu = x
    "c_single_level.json": [x / 2, -x / 2],  # lead 0 mu = +V/2, lead 1 mu = -V/2
}


def load(name):
    return json.loads((DATA / name).read_text())


def model_from_qmeq_parameters(params, mus):
    """A TransportModel from QmeQ's hsingle / coulomb / tleads / tlst (real couplings here)."""
    space = FockSpace(params["nsingle"])
    onsite = {str(i): value for i, j, value in params["hsingle"] if i == j}
    hopping = {(str(i), str(j)): value for i, j, value in params["hsingle"] if i != j}
    interaction = {tuple(map(str, key[:4])): key[4] for key in params["coulomb"]}
    temperatures = dict(params["tlst"])
    leads = [
        Lead(
            f"lead{lead}",
            mu=mus[lead],
            temperature=temperatures[lead],
            coupling={str(o): t for l, o, t in params["tleads"] if l == lead},
        )
        for lead in range(params["nleads"])
    ]
    return TransportModel(Hamiltonian(space, onsite=onsite, hopping=hopping, interaction=interaction), leads)


def match_states(result, reference_states, model):
    """Index of the reference state with the same charge and energy, for each of our states."""
    charges = [s.charge for s in model.spectrum.states]
    energies = result.energies.reshape(-1, len(charges))[0]
    order = []
    for charge, energy in zip(charges, energies):
        candidates = [
            s["index"] for s in reference_states if s["charge"] == charge and abs(s["energy"] - energy) < 1e-9
        ]
        assert len(candidates) == 1, f"no unique reference state for charge {charge}, energy {energy}"
        order.append(candidates[0])
    assert sorted(order) == list(range(len(reference_states)))
    return order


def close(ours, theirs):
    theirs = np.asarray(theirs)
    scale = np.max(np.abs(theirs))
    assert np.max(np.abs(np.asarray(ours) - theirs)) <= TOLERANCE * scale


@pytest.fixture(params=sorted(MU_RULES), scope="module")
def case(request):
    data = load(request.param)
    model = model_from_qmeq_parameters(data["params"], MU_RULES[request.param])
    points = data["points"]
    result = model.compile().sweep({"x": np.array([p["x"] for p in points])})
    return data, model, result


def test_chemical_potentials_follow_the_files_rule(case):
    data, model, result = case
    for p in data["points"]:
        mus = [float(lead.mu.subs(x, p["x"])) for lead in model.leads]
        assert np.allclose(mus, p["mulst"], rtol=0, atol=1e-15)


def test_probabilities_in_the_eigenbasis(case):
    data, model, result = case
    order = match_states(result, data["states"], model)
    reference = np.array([p["prob_eigen"] for p in data["points"]])
    close(result.probabilities, reference[:, order])


@pytest.mark.parametrize("quantity", ["current", "energy_current", "heat_current"])
def test_currents_of_every_lead(case, quantity):
    data, model, result = case
    reference = np.array([p[quantity] for p in data["points"]])
    ours = getattr(result, quantity)
    close(np.stack([ours[lead.name] for lead in model.leads], axis=-1), reference)


def test_orbital_occupations(case):
    data, model, result = case
    reference = np.array([p["orbital_occupation"] for p in data["points"]])
    close(np.stack([result.occupations[m] for m in model.space.modes], axis=-1), reference)


def test_rate_matrix_entry_by_entry(case):
    data, model, result = case
    example = data["pauli_kernel_example"]
    # the sweep value x of the example, from its chemical potentials
    (x_value,) = {float(v) for lead, mu in zip(model.leads, example["mulst"]) for v in sp.solve(lead.mu - mu, x)}
    order = match_states(result, data["states"], model)
    ours = model.compile().generator(x=x_value)
    theirs = np.array(example["W"])[np.ix_(order, order)]
    close(ours, theirs)


def test_single_level_closed_form_stored_with_the_data():
    data = load("c_single_level.json")
    analytic = data["analytic"]
    model = model_from_qmeq_parameters(data["params"], MU_RULES["c_single_level.json"])
    result = model.compile().sweep({"x": np.array(data["params"]["sweep_values"])})
    close(result.current["lead0"], analytic["current_L"])
    close(result.probability("1"), analytic["P_occupied"])
