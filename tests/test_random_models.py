"""Random many-body dots at real sizes (issue 9).

1. QmeQ 1.1 agreement (Pauli, infinite band) on the random models of ../shared/reference, trimmed
   into tests/data with their model files: spinless 4, 6, 8 orbitals, spinful 2, 3, 4 orbitals
   (16 to 256 states).  Every stored point, from one sweep per model: probabilities in the
   eigenbasis matched by (charge, energy) -- QmeQ orders the states of a block differently, and
   spin-degenerate states are compared as sorted sets --, particle, energy and heat currents per
   lead (QmeQ's spin channels summed per physical lead), occupations per orbital (spin-orbitals
   summed), all to 1e-9 relative to the largest value of each quantity.
2. Physics identities on random models of 256 and 1024 states, spinless and spinful, drawn here
   from the distribution of the reference models (a seeded model file in tmp_path): sum P = 1,
   P >= 0, sum_a I_a = 0 and sum_a J_a = 0 at every point, and at equilibrium (V = 0, both leads at
   one temperature) the Gibbs state P_s ~ exp(-E_s/T) (mu = 0) and no current.
3. The block path (``model.compile()``) and the scalar path (``network.expanded()`` compiled one
   transition at a time) give the same generator on small models, with and without spin and with
   and without mixed (numerically diagonalized) blocks.
4. A grid too large for memory is refused with the estimate in GiB.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from symbolic_pme.files.model_file import load_model

DATA = Path(__file__).resolve().parent / "data"
PAULI_TOLERANCE = 1e-9
ENERGY_MATCH = 1e-9  # |E_ours - E_QmeQ| that identifies a state (and groups degenerate ones)

REFERENCE_MODELS = [
    "random_spinless_4",
    "random_spinless_6",
    "random_spinless_8",
    "random_spinful_2",
    "random_spinful_3",
    "random_spinful_4",
]


# --------------------------------------------------------------------------------------------------
# Random model files (the distribution of ../shared/reference/README.md)
# --------------------------------------------------------------------------------------------------
def _connected(orbitals, pairs):
    parent = list(range(orbitals))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i, j in pairs:
        parent[root(i)] = root(j)
    return len({root(i) for i in range(orbitals)}) == 1


def random_model_text(orbitals, spin, seed, *, hopping_fraction=0.6, coulomb=True):
    """A random dot as model-file text, drawn like the reference models.

    eps in [-0.5, 0.5]; hoppings in [-0.2, 0.2] on a random connected set of
    ``round(hopping_fraction * pairs)`` pairs (none for 0: every block is Fock-diagonal);
    U in [0, 0.6] on all pairs and, with spin, on site (U n_up n_down); couplings t in
    [0.005, 0.1] per orbital and lead (both spins alike).  Leads L and R: mu = +V/2 and -V/2,
    temperatures the parameters TL (default 0.1) and TR (default 0.15).
    """
    rng = np.random.default_rng(seed)
    names = [str(i) for i in range(orbitals)]
    all_pairs = [(i, j) for i in range(orbitals) for j in range(i + 1, orbitals)]
    lines = [
        f'title = "random_{"spinful" if spin else "spinless"}_{orbitals}_seed{seed}"',
        "[system]",
        f"orbitals = {orbitals}",
        f"spin = {'true' if spin else 'false'}",
        "[parameters]",
        "V = 0.0",
        "TL = 0.1",
        "TR = 0.15",
        "[onsite]",
    ]
    lines += [f'"{name}" = {float(rng.uniform(-0.5, 0.5))!r}' for name in names]
    n_hop = round(hopping_fraction * len(all_pairs))
    if n_hop:
        n_hop = max(n_hop, orbitals - 1)
        while True:
            chosen = [all_pairs[k] for k in sorted(rng.choice(len(all_pairs), n_hop, replace=False))]
            if _connected(orbitals, chosen):
                break
        for i, j in chosen:
            lines += ["[[hopping]]", f'orbitals = ["{i}", "{j}"]', f"value = {float(rng.uniform(-0.2, 0.2))!r}"]
    if coulomb:
        for i, j in all_pairs + ([(i, i) for i in range(orbitals)] if spin else []):
            lines += ["[[coulomb]]", f'orbitals = ["{i}", "{j}"]', f"value = {float(rng.uniform(0, 0.6))!r}"]
    for lead, mu in (("L", "V/2"), ("R", "-V/2")):
        coupling = ", ".join(f'"{name}" = {float(rng.uniform(0.005, 0.1))!r}' for name in names)
        lines += ["[[lead]]", f'name = "{lead}"', f'mu = "{mu}"', f'temperature = "T{lead}"']
        lines += [f"coupling = {{ {coupling} }}"]
    return "\n".join(lines) + "\n"


def load_random_model(tmp_path_factory, orbitals, spin, seed, **options):
    path = tmp_path_factory.mktemp("models") / f"random_{orbitals}_{spin}_{seed}.toml"
    path.write_text(random_model_text(orbitals, spin, seed, **options))
    return load_model(path)


def test_random_model_files_have_the_stated_structure(tmp_path_factory):
    device = load_random_model(tmp_path_factory, 3, True, 11)
    assert device.leads == ("L", "R")
    assert device.parameters == {"V": 0.0, "TL": 0.1, "TR": 0.15}
    assert len(device.model.states) == 4**3
    assert "hopping" not in random_model_text(4, False, 1, hopping_fraction=0)


# --------------------------------------------------------------------------------------------------
# 1. QmeQ agreement
# --------------------------------------------------------------------------------------------------
def close(ours, theirs, what):
    ours, theirs = np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, what
    scale = np.max(np.abs(theirs))
    assert scale > 0, what
    error = np.max(np.abs(ours - theirs))
    assert error <= PAULI_TOLERANCE * scale, f"{what}: max error {error:.3g}, largest value {scale:.3g}"


def degenerate_groups(charges, energies):
    """Indices grouped by charge and energy (within ENERGY_MATCH), keyed (charge, lowest energy)."""
    groups = {}
    for charge in sorted(set(charges)):
        members = sorted((e, i) for i, (c, e) in enumerate(zip(charges, energies)) if c == charge)
        current = None
        for energy, index in members:
            if current is None or energy - current[-1][0] > ENERGY_MATCH:
                current = []
                groups[(charge, energy)] = current
            current.append((energy, index))
    return {key: [i for _, i in group] for key, group in groups.items()}


def matched_groups(result, reference_states):
    """Pairs (our state indices, reference state indices) of states with one charge and energy."""
    n = result.probabilities.shape[-1]
    charges = np.broadcast_to(result.state_values["charge"], result.probabilities.shape).reshape(-1, n)[0]
    energies = result.energies.reshape(-1, n)[0]
    ours = degenerate_groups([int(round(c)) for c in charges], energies)
    theirs = degenerate_groups([s["charge"] for s in reference_states], [s["energy"] for s in reference_states])
    assert len(ours) == len(theirs), "different degeneracy structure"
    pairs = []
    for (charge, energy), mine in ours.items():
        keys = [k for k in theirs if k[0] == charge and abs(k[1] - energy) <= ENERGY_MATCH]
        assert len(keys) == 1, f"no reference state with charge {charge} and energy {energy}"
        reference = theirs[keys[0]]
        assert len(reference) == len(mine), f"degeneracy differs at charge {charge}, energy {energy}"
        pairs.append((mine, [reference_states[i]["index"] for i in reference]))
    assert sorted(i for _, ref in pairs for i in ref) == list(range(len(reference_states)))
    return pairs


@pytest.fixture(scope="module", params=REFERENCE_MODELS)
def reference_case(request):
    data = json.loads((DATA / f"{request.param}.json").read_text())
    device = load_model(DATA / f"{request.param}.toml")
    points = data["points"]
    result = device.compile().sweep({"V": np.array([p["x"] for p in points])})
    return data, device, result


def test_reference_chemical_potentials_follow_the_model_file(reference_case):
    data, device, result = reference_case
    (V,) = [s for s in device.model.parameters if s.name == "V"]
    for lead in device.model.leads:
        channels = data["params"]["physical_leads"][lead.name]
        for p in data["points"]:
            mu = float(lead.mu.subs(V, p["x"]))
            assert all(abs(p["mulst"][c] - mu) <= 1e-15 for c in channels)


def test_reference_energies_and_probabilities_matched_by_charge_and_energy(reference_case):
    data, device, result = reference_case
    reference = np.array([p["prob_eigen"] for p in data["points"]])
    reference_energies = np.array([s["energy"] for s in data["states"]])
    n = len(data["states"])
    assert result.probabilities.shape == (len(data["points"]), n)
    ours, theirs, energies_ours, energies_theirs = [], [], [], []
    for mine, reference_indices in matched_groups(result, data["states"]):
        # within a degenerate group the order is arbitrary: compare sorted values
        ours.append(np.sort(result.probabilities[:, mine], axis=-1))
        theirs.append(np.sort(reference[:, reference_indices], axis=-1))
        energies_ours.append(np.sort(result.energies[:, mine], axis=-1))
        stored = np.sort(reference_energies[reference_indices])
        energies_theirs.append(np.broadcast_to(stored, (len(reference), len(mine))))
    close(np.concatenate(ours, axis=-1), np.concatenate(theirs, axis=-1), "probabilities")
    close(np.concatenate(energies_ours, axis=-1), np.concatenate(energies_theirs, axis=-1), "energies")


@pytest.mark.parametrize("quantity", ["current", "energy_current", "heat_current"])
def test_reference_currents_per_lead(reference_case, quantity):
    data, device, result = reference_case
    leads = data["params"]["physical_leads"]
    assert sorted(leads) == sorted(device.leads)
    theirs = np.array([[sum(p[quantity][c] for c in leads[name]) for name in device.leads] for p in data["points"]])
    ours = np.stack([getattr(result, quantity)[name] for name in device.leads], axis=-1)
    close(ours, theirs, quantity)


def test_reference_orbital_occupations(reference_case):
    data, device, result = reference_case
    space = device.model.space
    orbital_modes = data["params"]["orbital_modes"]
    assert sorted(orbital_modes) == sorted(space.orbitals)
    occupations = result.occupations
    ours, theirs = [], []
    for orbital in space.orbitals:
        modes = space.modes_of(orbital)
        assert list(modes) == orbital_modes[orbital]  # QmeQ's spin-orbital order is ours
        ours.append(sum(occupations[space.modes[m]] for m in modes))
        theirs.append([sum(p["orbital_occupation"][m] for m in modes) for p in data["points"]])
    close(np.stack(ours, axis=-1), np.array(theirs).T, "orbital occupations")


# --------------------------------------------------------------------------------------------------
# 2. Physics identities at 256 and 1024 states
# --------------------------------------------------------------------------------------------------
LARGE = [
    # (orbitals, spin, seed, bias points)
    (8, False, 801, np.linspace(-1.5, 1.5, 6)),  # 256 states
    (10, False, 1001, np.array([-0.9, 1.3])),  # 1024 states
    (4, True, 401, np.linspace(-1.5, 1.5, 6)),  # 256 states
    (5, True, 501, np.array([-1.1, 0.7])),  # 1024 states
]


@pytest.fixture(scope="module", params=LARGE, ids=lambda c: f"{'spinful' if c[1] else 'spinless'}{c[0]}")
def large_case(request, tmp_path_factory):
    orbitals, spin, seed, biases = request.param
    device = load_random_model(tmp_path_factory, orbitals, spin, seed)
    assert len(device.model.states) == (4 if spin else 2) ** orbitals
    return device, device.compile(), biases


def test_large_identities_out_of_equilibrium(large_case):
    device, compiled, biases = large_case
    result = compiled.sweep({"V": biases})
    p = result.probabilities
    assert p.shape == (len(biases), len(device.model.states))
    assert np.all(np.abs(p.sum(axis=-1) - 1) <= 1e-12)
    assert np.all(p >= 0)
    for quantity in ("current", "energy_current"):
        currents = np.stack([getattr(result, quantity)[lead] for lead in device.leads])
        scale = np.max(np.abs(currents), axis=0)  # max_a |I_a| at each point
        assert np.all(scale > 0), quantity
        residual = np.abs(currents.sum(axis=0))
        assert np.all(residual <= 1e-12 * scale), f"{quantity}: sum over leads {residual} vs {scale}"
    # heat current Q_a = J_a - mu_a I_a, mu_L = V/2, mu_R = -V/2
    for lead, sign in (("L", 1), ("R", -1)):
        expected = result.energy_current[lead] - sign * biases / 2 * result.current[lead]
        scale = np.abs(result.energy_current[lead]) + np.abs(biases / 2 * result.current[lead])
        assert np.all(np.abs(result.heat_current[lead] - expected) <= 1e-12 * scale)


def test_large_equilibrium_is_gibbs_with_no_current(large_case):
    device, compiled, _ = large_case
    temperature = 0.12
    result = compiled.solve(V=0.0, TL=temperature, TR=temperature)
    energies = result.energies
    weights = np.exp(-(energies - energies.min()) / temperature)  # mu = 0 for both leads
    gibbs = weights / weights.sum()
    assert np.all(np.abs(result.probabilities - gibbs) <= 1e-9 * gibbs + 1e-14)
    # no current: zero to rounding of the gross tunnelling flux (sum of 2 pi t^2 over all couplings)
    spins = 2 if device.spin else 1
    gross = spins * sum(2 * np.pi * float(t) ** 2 for lead in device.model.leads for t in lead.coupling.values())
    energy_scale = gross * float(np.max(np.abs(energies)))
    for lead in device.leads:
        assert abs(result.current[lead]) <= 1e-12 * gross
        assert abs(result.energy_current[lead]) <= 1e-12 * energy_scale
        assert abs(result.heat_current[lead]) <= 1e-12 * energy_scale


# --------------------------------------------------------------------------------------------------
# 3. Block path and scalar path
# --------------------------------------------------------------------------------------------------
SMALL = [
    # (orbitals, spin, seed, hopping fraction): with hoppings the blocks are mixed (numeric eigh).
    # The scalar path compiles one SymPy expression per transition: keep these at <= 16 states.
    (3, False, 31, 1.0),
    (4, False, 41, 0.6),
    (4, False, 42, 0.0),  # Fock-diagonal: every block exact
    (2, True, 21, 1.0),
    (2, True, 22, 0.0),  # Fock-diagonal with spin
]


def _block_and_scalar_generators(device, biases):
    from symbolic_pme.numeric import compile_network

    model = device.model
    values = {"TL": 0.1, "TR": 0.15} if "TL" in device.used_parameters else {}
    expanded = model.network.expanded()
    assert tuple(expanded.states) == tuple(model.network.states)
    block = model.compile().generator(V=biases, **values)
    scalar = compile_network(expanded, spectrum=model.spectrum).generator(V=biases, **values)
    return block, scalar


@pytest.mark.parametrize("case", SMALL, ids=lambda c: f"{'spinful' if c[1] else 'spinless'}{c[0]}-hop{c[3]}")
def test_block_and_scalar_paths_give_one_generator(case, tmp_path_factory):
    orbitals, spin, seed, fraction = case
    device = load_random_model(tmp_path_factory, orbitals, spin, seed, hopping_fraction=fraction)
    biases = np.array([-0.8, 0.1, 1.2])
    block, scalar = _block_and_scalar_generators(device, biases)
    n = len(device.model.states)
    assert block.shape == scalar.shape == (len(biases), n, n)
    assert np.max(np.abs(block - scalar)) <= 1e-12 * np.max(np.abs(scalar))
    # a generator: non-negative off the diagonal, columns summing to zero
    off = scalar - np.einsum("...ii->...i", scalar)[..., None] * np.eye(n)
    assert np.all(off >= 0)
    assert np.max(np.abs(scalar.sum(axis=-2))) <= 1e-13 * np.max(np.abs(scalar))


# --------------------------------------------------------------------------------------------------
# 4. Refusal of an over-large grid
# --------------------------------------------------------------------------------------------------
def test_over_large_grid_is_refused_with_its_estimate(tmp_path_factory):
    device = load_random_model(tmp_path_factory, 6, False, 61)  # 64 states
    compiled = device.compile()
    # 40 000 x 25 000 = 1e9 points: the probabilities alone need 1e9 * 64 * 8 bytes = 477 GiB
    axes = {"V": np.linspace(-1, 1, 40_000), "TL": np.linspace(0.05, 0.2, 25_000)}
    with pytest.raises(ValueError, match="GiB") as error:
        compiled.sweep(axes, TR=0.15)
    numbers = re.findall(r"(\d[\d,]*\.?\d*(?:[eE][+-]?\d+)?)\s*GiB", str(error.value))
    estimates = [float(number.replace(",", "")) for number in numbers]
    assert estimates and max(estimates) >= 1e9 * 64 * 8 / 2**30
