"""The spin-flip symmetry (numeric/symmetry.py): what it derives equals what it replaces.

Without a magnetic field a spinful dot commutes with the flip of every spin.  The compiled model
then (1) takes the eigensystems of S_z < 0 from those of S_z > 0 and diagonalizes S_z = 0 by its
even and odd parts, (2) reads each mirror tunnelling block's rates from its block, and (3) solves
the chain lumped on the orbits {a, pi a}.  Each step is checked here against the computation it
replaces: eigenpairs of the blocks themselves, |T|^2 computed link by link, and the full chain
(the block elimination without lumping, and the dense LU).  A Zeeman term or a polarized lead
breaks the symmetry; those models must take the full path and still agree with the dense LU.
"""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric.symmetry import flip_symmetric_eigensystem, lumped_level_blocks

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.files.model_file import load_model

DATA = Path(__file__).resolve().parent / "data"
V = sp.Symbol("V", real=True)


def _relative(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b))))


def _device(orbitals, *, zeeman=0.0, polarization=0.0, degenerate=False, hopping=True, seed=3):
    """A random spinful dot with two leads at mu = +-V/2; ``zeeman`` splits the spins,
    ``polarization`` makes lead L couple to spin up more, ``degenerate`` gives every orbital the
    same energy and hopping (degenerate many-body levels); without ``hopping`` every block is
    exact (Fock states, whose order the flip permutes)."""
    rng = np.random.default_rng(seed)
    names = [f"o{i}" for i in range(orbitals)]
    space = FockSpace(names, spin=True)
    onsite = {}
    for name in names:
        energy = 0.1 if degenerate else float(rng.uniform(-0.3, 0.3))
        if zeeman:
            onsite[f"{name}_up"], onsite[f"{name}_down"] = energy + zeeman, energy - zeeman
        else:
            onsite[name] = energy
    hopping = {
        (names[i], names[j]): 0.05 if degenerate else float(rng.uniform(-0.15, 0.15))
        for i in range(orbitals)
        for j in range(i + 1, orbitals)
        if hopping
    }
    coulomb = {(names[i], names[j]): float(rng.uniform(0.1, 0.5)) for i in range(orbitals) for j in range(i, orbitals)}
    dot = Hamiltonian(space, onsite=onsite, hopping=hopping, coulomb=coulomb)
    left = {name: float(rng.uniform(0.02, 0.1)) for name in names}
    if polarization:
        left = {
            f"{n}_{s}": t * (1 + polarization if s == "up" else 1.0) for n, t in left.items() for s in ("up", "down")
        }
    right = {name: float(rng.uniform(0.02, 0.1)) for name in names}
    leads = [
        Lead("L", mu=V / 2, temperature=0.05, coupling=left),
        Lead("R", mu=-V / 2, temperature=0.05, coupling=right),
    ]
    return TransportModel(dot, leads)


def _without_flip(model):
    """The same model compiled with the symmetry switched off (the full computation)."""
    compiled = model.compile()
    compiled._blocks.spin_flip = None
    compiled._blocks._mirror_links = None
    return compiled


@pytest.fixture(scope="module", params=["random_spinful_3", "random_spinful_4"])
def reference_model(request):
    return load_model(DATA / f"{request.param}.toml").model


def _coefficients(compiled, **values):
    blocks = compiled._blocks
    return blocks, blocks.coefficients(
        compiled.symbol_values({k: np.asarray(v, dtype=float) for k, v in values.items()})
    )


def test_reference_models_take_the_symmetric_path(reference_model):
    compiled = reference_model.compile()
    blocks, coefficients = _coefficients(compiled, V=0.3)
    assert blocks.spin_flip is not None
    assert blocks.eigensystems(coefficients).flip_symmetric
    mirrors = blocks.mirror_links(coefficients)
    assert mirrors is not None and sum(m < k for k, m in enumerate(mirrors)) == len(mirrors) // 2


def test_eigensystems_are_eigensystems_of_their_own_blocks(reference_model):
    compiled = reference_model.compile()
    blocks, coefficients = _coefficients(compiled, V=0.3)
    flip = blocks.spin_flip
    systems = blocks.eigensystems(coefficients)
    for s, (h, (energies, vectors)) in enumerate(zip(blocks.hamiltonians(coefficients), systems)):
        if vectors is None:
            assert np.array_equal(energies, np.diagonal(h).real)
            continue
        scale = np.abs(h).max()
        assert np.abs(h @ vectors - vectors * energies[None, :]).max() <= 1e-13 * scale
        assert np.abs(vectors.T @ vectors - np.eye(len(energies))).max() <= 1e-13
        assert np.all(np.diff(energies) >= 0)
        assert np.allclose(energies, np.linalg.eigvalsh(h), rtol=0, atol=1e-13 * scale)
        if flip.partners[s] == s:  # S_z = 0: every eigenstate even or odd under the flip
            parity = np.einsum("jk,jk->k", vectors[flip.fock_maps[s]], vectors)
            assert np.allclose(np.abs(parity), 1.0, rtol=0, atol=1e-12)
            assert np.abs(vectors[flip.fock_maps[s]] - vectors * np.sign(parity)).max() <= 1e-12


def test_mirror_rates_equal_the_rates_computed_link_by_link(reference_model):
    compiled = reference_model.compile()
    blocks, coefficients = _coefficients(compiled, V=0.3)
    mirrors = blocks.mirror_links(coefficients)
    read = blocks.tunnelling_rates(coefficients)
    computed = [2 * np.pi * np.abs(t) ** 2 for t in blocks._tunnelling_amplitudes(coefficients)]
    scale = max(float(r.max()) for r in computed)
    for k, m in enumerate(mirrors):
        if m < k:
            assert read[k] is read[m]
        assert np.abs(read[k] - computed[k]).max() <= 1e-14 * scale
        # the mirror relation itself: the same |T|^2 elementwise in eigenstate order
        assert np.abs(computed[k] - computed[m]).max() <= 1e-14 * scale


@pytest.mark.parametrize("biases", [[0.3], np.linspace(-0.8, 0.8, 9)], ids=["point", "sweep"])
def test_lumped_solve_equals_the_full_chain(reference_model, biases):
    ours = reference_model.compile().sweep({"V": np.asarray(biases)})
    full = _without_flip(reference_model).sweep({"V": np.asarray(biases)})
    dense = _without_flip(reference_model).sweep({"V": np.asarray(biases)}, method="lu")
    charge_scale = max(np.max(np.abs(c)) for c in full.current.values())
    for other in (full, dense):
        assert _relative(ours.probabilities, other.probabilities) <= 1e-12
        for quantity in ("current", "energy_current", "heat_current"):
            for lead, value in getattr(ours, quantity).items():
                reference = getattr(other, quantity)[lead]
                assert np.max(np.abs(value - reference)) <= 1e-11 * np.max(np.abs(reference))
    assert np.allclose(ours.probabilities.sum(axis=-1), 1.0, rtol=0, atol=1e-14)
    # no field: no spin current, in either solve, beyond rounding of the charge current
    for result in (ours, full):
        for value in result.spin_current.values():
            assert np.max(np.abs(value)) <= 1e-13 * charge_scale


def _lumped_by_definition(block, target_image, source_image):
    """``sum_{a in A} W[a, b]`` for each target orbit A and the first state b of each source orbit."""
    first_target = np.flatnonzero(target_image >= np.arange(len(target_image)))
    first_source = np.flatnonzero(source_image >= np.arange(len(source_image)))
    lumped = np.zeros(block.shape[:1] + (len(first_target), len(first_source)))
    for o, a in enumerate(first_target):
        members = {a, target_image[a]}
        lumped[:, o] = sum(block[:, m][:, first_source] for m in members)
    return lumped


def test_lumped_blocks_are_the_full_blocks_lumped(reference_model):
    compiled = reference_model.compile()
    blocks, coefficients = _coefficients(compiled, V=np.array([-0.5, 0.3]))
    rates_in, rates_out, _ = blocks.rates(coefficients, (2,))
    up, down = blocks.level_blocks(rates_in, rates_out, 2)
    lumped_up, lumped_down = lumped_level_blocks(rates_in, rates_out, blocks._lumped_links, blocks.spin_flip)
    pi = blocks.spin_flip.levels
    for n in range(len(up)):
        scale = max(up[n].max(), down[n].max())
        # the symmetry the lumping rests on, W[pi b, pi a] = W[b, a], to rounding
        assert np.abs(up[n][:, pi[n + 1]][:, :, pi[n]] - up[n]).max() <= 1e-14 * scale
        assert np.abs(down[n][:, pi[n]][:, :, pi[n + 1]] - down[n]).max() <= 1e-14 * scale
        assert np.abs(lumped_up[n] - _lumped_by_definition(up[n], pi[n + 1], pi[n])).max() <= 1e-15 * scale
        assert np.abs(lumped_down[n] - _lumped_by_definition(down[n], pi[n], pi[n + 1])).max() <= 1e-15 * scale


@pytest.mark.parametrize(
    ("options", "symmetric"),
    [
        ({}, True),
        ({"degenerate": True}, True),
        ({"hopping": False}, True),
        ({"zeeman": 0.02}, False),
        ({"polarization": 0.5}, False),
    ],
    ids=["plain", "degenerate", "fock-diagonal", "zeeman", "polarized"],
)
def test_broken_or_degenerate_symmetry_still_agrees_with_the_dense_solve(options, symmetric):
    model = _device(3, **options)
    compiled = model.compile()
    blocks, coefficients = _coefficients(compiled, V=0.4)
    takes_it = blocks.spin_flip is not None and blocks.eigensystems(coefficients).flip_symmetric
    assert takes_it == symmetric
    assert (blocks.mirror_links(coefficients) is not None) == symmetric
    biases = {"V": np.linspace(-1.0, 1.0, 7)}
    ours, dense = compiled.sweep(biases), _without_flip(model).sweep(biases, method="lu")
    assert _relative(ours.probabilities, dense.probabilities) <= 1e-11
    for lead, value in ours.current.items():
        assert np.max(np.abs(value - dense.current[lead])) <= 1e-11 * np.max(np.abs(dense.current[lead]))


def test_zeeman_split_currents_carry_spin():
    """Not a symmetric model in disguise: with a field the two spins' currents differ."""
    result = _device(3, zeeman=0.05).compile().solve(V=0.4)
    assert abs(result.spin_current["L"]) > 1e-6 * abs(result.current["L"])


def test_flip_symmetric_eigensystem_of_a_random_symmetric_matrix():
    rng = np.random.default_rng(11)
    flip = np.array([3, 1, 5, 0, 6, 2, 4])  # an involution with fixed point 1
    a = rng.normal(size=(2, 7, 7))
    a = a + np.swapaxes(a, -1, -2)
    h = (a + a[:, flip][:, :, flip]) / 2  # commutes with the permutation
    # the second: even and odd eigenvalues 0, 1, 2 degenerate in pairs (a plain eigh mixes them)
    even = np.zeros((7, 4))
    for k, (r, p) in enumerate([(0, 3), (1, 1), (2, 5), (4, 6)]):
        even[[r, p], k] = np.sqrt(0.5) if r != p else 1.0
    odd = np.zeros((7, 3))
    for k, (r, p) in enumerate([(0, 3), (2, 5), (4, 6)]):
        odd[r, k], odd[p, k] = np.sqrt(0.5), -np.sqrt(0.5)
    even = even @ np.linalg.qr(rng.normal(size=(4, 4)))[0]
    odd = odd @ np.linalg.qr(rng.normal(size=(3, 3)))[0]
    basis = np.concatenate([even, odd], axis=1)
    h[1] = basis @ np.diag([0.0, 1.0, 2.0, 3.0, 0.0, 1.0, 2.0]) @ basis.T
    energies, vectors = flip_symmetric_eigensystem(h, flip)
    assert np.allclose(energies, np.linalg.eigvalsh(h), rtol=0, atol=1e-13)
    assert np.abs(h @ vectors - vectors * energies[:, None, :]).max() <= 1e-13
    assert np.abs(np.swapaxes(vectors, -1, -2) @ vectors - np.eye(7)).max() <= 1e-13
    assert np.allclose(energies[1], [0, 0, 1, 1, 2, 2, 3], rtol=0, atol=1e-13)
    parity = np.einsum("bjk,bjk->bk", vectors[:, flip], vectors)
    assert np.allclose(np.abs(parity), 1.0, rtol=0, atol=1e-13)
    # four even orbits ({0,3}, {1}, {2,5}, {4,6}) and three odd ones
    assert np.all((parity > 0).sum(axis=-1) == 4)


def test_spinless_models_have_no_flip():
    compiled = load_model(DATA / "random_spinless_6.toml").model.compile()
    assert compiled._blocks.spin_flip is None
