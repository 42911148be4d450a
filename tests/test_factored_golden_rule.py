"""The golden rule with exp((E - mu)/T) = exp(E/T) exp(-mu/T) (numeric/functions.py).

A bias sweep changes mu and not the energies, so both the block and the flat layouts keep
exp(E/T) and multiply by exp(-mu/T) per point.  Checked here: the factored rates equal the
direct golden rule (one exponential per rate) to rounding, on the block path of a random model
and on the flat path of the seed triangle, with the energies changing along the grid too, and
the fallback where a factor would leave the safe range (|E/T| or |mu/T| > FACTOR_LIMIT).
"""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric.functions import FACTOR_LIMIT, golden_rule_pair, golden_rule_pair_factored

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.files.model_file import load_model

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def test_factored_pair_equals_the_direct_pair_across_the_safe_range():
    rng = np.random.default_rng(5)
    temperature = 0.01
    energies = rng.uniform(-FACTOR_LIMIT, FACTOR_LIMIT, size=(6, 7)) * temperature
    mu = rng.uniform(-FACTOR_LIMIT, FACTOR_LIMIT, size=9) * temperature
    weight = rng.uniform(0.0, 2.0, size=(6, 7))
    entering, leaving = golden_rule_pair_factored(
        weight, np.exp(energies / temperature), np.exp(-mu / temperature)[:, None, None]
    )
    direct_in, direct_out = golden_rule_pair(weight, energies[None] - mu[:, None, None], temperature)
    # relative to each rate: the argument's rounding, eps * max(|E|, |mu|)/T <= 350 eps, bounds both
    for ours, direct in ((entering, direct_in), (leaving, direct_out)):
        assert np.all(np.isfinite(ours))
        scale = np.maximum(np.abs(direct), 1e-300)
        assert np.max(np.abs(ours - direct) / scale) <= 2 * 2 * FACTOR_LIMIT * np.finfo(float).eps
    assert np.allclose(entering + leaving, weight[None], rtol=1e-15, atol=0)


def _direct_block_rates(blocks, coefficients, shape):
    """The rates of every link from one exponential per rate (what the factored form replaces)."""
    gammas, deltas = blocks.tunnelling_rates(coefficients), blocks.energy_differences(coefficients)
    batch = int(np.prod(shape))
    result = []
    for link, gamma, delta in zip(blocks.links, gammas, deltas):
        mu_slot, t_slot, _ = blocks.lead_slots[link.lead]
        x = delta - coefficients[mu_slot][..., None, None]
        pair = golden_rule_pair(gamma, x, coefficients[t_slot][..., None, None])
        result.append([np.broadcast_to(r, shape + gamma.shape[-2:]).reshape((batch,) + gamma.shape[-2:]) for r in pair])
    return result


def _gated_dot():
    """Five spinless orbitals (32 states: the block path) with a gate on orbital 0."""
    rng = np.random.default_rng(9)
    names = [f"o{i}" for i in range(5)]
    onsite = {name: float(rng.uniform(-0.3, 0.3)) for name in names}
    onsite["o0"] = sp.Symbol("gate") + onsite["o0"]
    hopping = {(names[i], names[i + 1]): float(rng.uniform(-0.1, 0.1)) for i in range(4)}
    coulomb = {(names[i], names[j]): 0.2 for i in range(5) for j in range(i + 1, 5)}
    dot = Hamiltonian(FockSpace(names), onsite=onsite, hopping=hopping, coulomb=coulomb)
    v = sp.Symbol("V", real=True)
    leads = [
        Lead("L", mu=v / 2, temperature=0.05, coupling={name: 0.05 for name in names}),
        Lead("R", mu=-v / 2, temperature=0.08, coupling={"o4": 0.07, "o2": 0.02}),
    ]
    return TransportModel(dot, leads)


@pytest.mark.parametrize("grid", ["bias", "bias and gate"])
def test_block_rates_equal_the_direct_golden_rule(grid):
    if grid == "bias":
        compiled = load_model(DATA / "random_spinless_6.toml").compile()
        values, shape = {"V": np.linspace(-1.0, 1.0, 5)}, (5,)
    else:  # the gate moves the energies along a second axis
        compiled = _gated_dot().compile()
        values, shape = {"V": np.linspace(-1.0, 1.0, 5)[:, None], "gate": np.array([[-0.1, 0.0, 0.2]])}, (5, 3)
    blocks = compiled._blocks
    assert blocks.flat is None
    coefficients = blocks.coefficients(compiled.symbol_values(values))
    assert all(f is not None for f in blocks.boltzmann_factors(coefficients))
    rates_in, rates_out, _ = blocks.rates(coefficients, shape)
    direct = _direct_block_rates(blocks, coefficients, shape)
    for (direct_in, direct_out), ours_in, ours_out in zip(direct, rates_in, rates_out):
        scale = max(direct_in.max(), direct_out.max())
        assert np.abs(ours_in - direct_in).max() <= 1e-13 * scale
        assert np.abs(ours_out - direct_out).max() <= 1e-13 * scale


@pytest.mark.parametrize("temperature", [0.1, 1e-5], ids=["factored", "beyond the limit"])
def test_flat_rates_equal_the_direct_golden_rule(temperature):
    compiled = load_model(ROOT / "examples" / "triangle.toml").compile()
    blocks = compiled._blocks
    assert blocks.flat is not None
    values = {"V": np.linspace(-1.0, 1.0, 11), "T": np.asarray(temperature)}
    coefficients = blocks.coefficients(compiled.symbol_values(values))
    rates, _ = blocks.flat_rates(coefficients, (11,))
    factors = blocks._flat_factors._value  # what this evaluation kept: exp(delta/T) per run, or None
    assert all((f is not None) == (temperature == 0.1) for f in factors)  # |E/T| ~ 1e5 at 1e-5
    direct = _direct_block_rates(blocks, coefficients, (11,))
    entering = blocks.flat.concatenate([pair[0] for pair in direct]).T
    leaving = blocks.flat.concatenate([pair[1] for pair in direct]).T
    expected = np.concatenate([entering, leaving])
    assert np.all(np.isfinite(rates))
    assert np.abs(rates - expected).max() <= 1e-13 * expected.max()


def test_no_factors_are_kept_beyond_their_memory_bound(monkeypatch):
    import symbolic_pme.numeric.blocks as blocks_module

    compiled = load_model(DATA / "random_spinless_6.toml").compile()
    blocks = compiled._blocks
    monkeypatch.setattr(blocks_module, "FACTOR_MEMORY", 8 * blocks._rate_entries - 1)  # one rate too many
    coefficients = blocks.coefficients(compiled.symbol_values({"V": np.linspace(-1.0, 1.0, 5)}))
    assert all(f is None for f in blocks.boltzmann_factors(coefficients))
    rates_in, rates_out, _ = blocks.rates(coefficients, (5,))
    for (direct_in, direct_out), ours_in, ours_out in zip(
        _direct_block_rates(blocks, coefficients, (5,)), rates_in, rates_out
    ):
        assert np.array_equal(ours_in, direct_in) and np.array_equal(ours_out, direct_out)
