"""Physics identities on random models: normalization, positivity, conservation, equilibrium.

Models of several sizes, with and without spin and Coulomb terms, with real and complex
hoppings, two or three leads.  Out of equilibrium: sum P = 1, P >= 0, sum_a I_a = 0 and
sum_a J_a = 0 (particle and energy conservation), with spin sum_a S_a = 0.  With every lead at one
mu and T: the Gibbs distribution exp(-(E - mu N)/T)/Z and no current at all.
"""

import numpy as np
import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel

V = sp.Symbol("V", real=True)

CASES = [
    # (orbitals, spin, coulomb, complex hopping, number of leads, seed)
    (1, False, False, False, 2, 1),
    (2, False, True, False, 2, 2),
    (3, False, False, True, 3, 3),
    (4, False, True, True, 2, 4),
    (1, True, True, False, 2, 5),
    (2, True, False, True, 3, 6),
    (2, True, True, False, 2, 7),
    (3, True, True, True, 2, 8),
]


def random_model(orbitals, spin, coulomb, complex_hopping, n_leads, seed):
    """A random dot; lead k has mu = a_k V and temperature T_k (parameters), so that V = 0 with
    equal temperatures is equilibrium."""
    rng = np.random.default_rng(seed)
    names = [f"o{i}" for i in range(orbitals)]
    space = FockSpace(names, spin=spin)
    onsite = {name: float(rng.uniform(-0.5, 0.5)) for name in names}
    hopping = {}
    for i in range(orbitals):
        for j in range(i + 1, orbitals):
            value = float(rng.uniform(-0.1, 0.1))
            if complex_hopping:
                value = value * complex(np.exp(1j * rng.uniform(0, 2 * np.pi)))
            hopping[(names[i], names[j])] = value
    interaction = {}
    if coulomb:
        for i in range(orbitals):
            for j in range(i if spin else i + 1, orbitals):
                interaction[(names[i], names[j])] = float(rng.uniform(0.1, 0.8))
    dot = Hamiltonian(space, onsite=onsite, hopping=hopping, coulomb=interaction)
    leads = []
    for k in range(n_leads):
        coupling = {name: float(rng.uniform(0.02, 0.2)) for name in names}
        leads.append(Lead(f"lead{k}", mu=V * float(rng.uniform(-1, 1)), temperature=f"T{k}", coupling=coupling))
    return TransportModel(dot, leads)


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"{c[0]}orb-spin{c[1]}-U{c[2]}-cplx{c[3]}-{c[4]}leads")
def compiled(request):
    model = random_model(*request.param)
    return model, model.compile()


def test_identities_out_of_equilibrium(compiled):
    model, solver = compiled
    rng = np.random.default_rng(len(model.states))
    temperatures = {f"T{k}": float(rng.uniform(0.02, 0.2)) for k in range(len(model.leads))}
    result = solver.sweep({"V": np.linspace(-1.5, 1.5, 31)}, **temperatures)
    p = result.probabilities
    assert np.allclose(p.sum(axis=-1), 1, rtol=0, atol=1e-13)
    assert np.all(p >= 0)
    scale = max(np.max(np.abs(result.current[lead.name])) for lead in model.leads)
    assert scale > 0
    assert np.max(np.abs(sum(result.current.values()))) <= 1e-11 * scale
    energy_scale = max(np.max(np.abs(result.energy_current[lead.name])) for lead in model.leads)
    assert np.max(np.abs(sum(result.energy_current.values()))) <= 1e-11 * energy_scale
    # heat: Q_a = J_a - mu_a I_a for every lead
    for lead in model.leads:
        mu = sp.lambdify(V, lead.mu)(result.axes["V"])
        expected = result.energy_current[lead.name] - mu * result.current[lead.name]
        assert np.allclose(result.heat_current[lead.name], expected, rtol=0, atol=1e-12 * energy_scale)
    if model.hamiltonian.conserves_sz:
        assert np.max(np.abs(sum(result.spin_current.values()))) <= 1e-11 * scale


def test_equilibrium_is_gibbs_with_no_current(compiled):
    model, solver = compiled
    result = solver.solve(V=0, **{f"T{k}": 0.07 for k in range(len(model.leads))})
    energies = result.energies
    charges = np.array([s.charge for s in model.spectrum.states])
    weights = np.exp(-(energies - energies.min()) / 0.07)  # mu = 0, T = 0.07 for every lead
    gibbs = weights / weights.sum()
    assert np.allclose(result.probabilities, gibbs, rtol=1e-9, atol=1e-13)
    # mean charge consistent with the grand-canonical weights
    assert np.isclose(result.expectation("charge"), gibbs @ charges, rtol=1e-9)
    for quantity in ("current", "energy_current", "heat_current"):
        for value in getattr(result, quantity).values():
            assert abs(value) <= 1e-14


def test_equilibrium_at_nonzero_chemical_potential_weights_by_charge():
    mu, temperature = 0.13, 0.05
    space = FockSpace(["a", "b"], spin=True)
    dot = Hamiltonian(
        space, onsite={"a": 0.05, "b": 0.2}, hopping={("a", "b"): 0.04}, coulomb={("a", "a"): 0.3, ("a", "b"): 0.1}
    )
    leads = [
        Lead("L", mu=mu, temperature=temperature, coupling={"a": 0.05, "b": 0.01}),
        Lead("R", mu=mu, temperature=temperature, coupling={"b": 0.07}),
    ]
    model = TransportModel(dot, leads)
    result = model.compile().solve()
    charges = np.array([s.charge for s in model.spectrum.states])
    grand = result.energies - mu * charges
    gibbs = np.exp(-(grand - grand.min()) / temperature)
    assert np.allclose(result.probabilities, gibbs / gibbs.sum(), rtol=1e-9, atol=1e-14)
