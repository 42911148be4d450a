"""Detailed balance: Boltzmann rates, the per-channel Kolmogorov check, entropy production, and
transport models at equilibrium and under bias."""

import itertools
import random

import numpy as np
import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, RateNetwork, TransportModel, boltzmann_network, detailed_balance
from symbolic_pme.networks import cycle_currents, entropy_production, prove_boltzmann_ratio

temperature = sp.Symbol("T", positive=True)


def random_network(seed: int, n: int = 4, extra_edges: int = 2):
    """A random connected graph: a random spanning tree plus ``extra_edges`` chords (so it has
    cycles), symbolic energies and prefactors."""
    rng = random.Random(seed)
    states = [f"s{i}" for i in range(n)]
    pairs = [(states[i], states[rng.randrange(i)]) for i in range(1, n)]
    others = [p for p in itertools.combinations(states, 2) if p not in pairs and p[::-1] not in pairs]
    pairs += rng.sample(others, extra_edges)
    energies = {s: sp.Symbol(f"E_{s}", real=True) for s in states}
    couplings = {p: sp.Symbol(f"g_{p[0]}_{p[1]}", positive=True) for p in pairs}
    return states, energies, couplings, pairs


def is_boltzmann(net: RateNetwork, energies) -> bool:
    """P_s exp(E_s/T) is the same for all states, exactly, and the P add up to 1.

    The closed form is a ratio of tree sums w_s / N; so P_a e^{E_a/T} = P_b e^{E_b/T} is
    w_a e^{E_a/T} - w_b e^{E_b/T} = 0 after expanding (exponentials of sums split and cancel).
    """
    p = net.steady_state()
    fractions = {s: sp.fraction(p[s]) for s in net.states}
    first = net.states[0]
    for s in net.states[1:]:
        (wa, na), (wb, nb) = fractions[first], fractions[s]
        difference = wa * nb * sp.exp(energies[first] / temperature) - wb * na * sp.exp(energies[s] / temperature)
        if sp.expand(difference) != 0:
            return False
    return sp.expand(sp.together(sum(p.values()) - 1)) == 0


@pytest.mark.parametrize("rule", ["symmetric", "metropolis", "glauber"])
def test_rules_are_proved_to_give_the_boltzmann_ratio(rule):
    d, t = sp.Symbol("D", real=True), sp.Symbol("T", positive=True)
    assert sp.simplify(prove_boltzmann_ratio(rule) - sp.exp(-d / t)) == 0


def test_a_rule_that_violates_detailed_balance_is_refused():
    with pytest.raises(ValueError, match="violates detailed balance"):
        prove_boltzmann_ratio(lambda d, t: sp.exp(-d / t))  # ratio exp(-2D/T)
    with pytest.raises(ValueError, match="violates detailed balance"):
        boltzmann_network({"a": 0, "b": 1}, {("a", "b"): 1}, 1, rule=lambda d, t: 1 + d**2)


@pytest.mark.parametrize("seed, rule", [(0, "symmetric"), (1, "metropolis")])
def test_boltzmann_rates_on_random_networks(seed, rule):
    """Detailed balance holds symbolically, the steady state is Boltzmann, the entropy
    production is exactly zero; multiplying one rate on a cycle by 2 breaks all three."""
    states, energies, couplings, pairs = random_network(seed)
    net = boltzmann_network(energies, couplings, temperature, rule=rule)
    report = detailed_balance(net)
    assert report.holds is True and len(report.cycles) == 2
    assert is_boltzmann(net, energies)
    assert entropy_production(net) == 0

    chord = report.cycles[0].cycle.steps[0]  # an edge that lies on a cycle
    perturbed = RateNetwork(
        net.states,
        [(t.source, t.target, 2 * t.rate if (t.source, t.target) == chord[:2] else t.rate) for t in net.transitions],
    )
    broken = detailed_balance(perturbed)
    assert broken.holds is False
    assert any(c.ratio in (2, sp.Rational(1, 2)) for c in broken.cycles)
    assert not is_boltzmann(perturbed, energies)
    sigma = entropy_production(perturbed)
    rng = np.random.default_rng(seed)
    point = {s: float(v) for s, v in zip(sorted(perturbed.parameters, key=str), rng.uniform(0.2, 1.5, 20))}
    assert float(sigma.subs(point)) > 1e-6


def test_glauber_steady_state_is_boltzmann_numerically():
    """The heat-bath rule on a ring with a branch: P matches exp(-E/T)/Z at a random point."""
    energies = {"a": 0.0, "b": 0.3, "c": -0.2, "d": 0.5}
    net = boltzmann_network(
        energies, {("a", "b"): 1, ("b", "c"): 2, ("c", "a"): 0.5, ("c", "d"): 1.5}, 0.25, rule="glauber"
    )
    assert detailed_balance(net).holds is True
    p = net.steady_state()
    z = sum(np.exp(-e / 0.25) for e in energies.values())
    np.testing.assert_allclose(
        [float(p[s]) for s in energies], [np.exp(-e / 0.25) / z for e in energies.values()], rtol=1e-12
    )


def test_ring_without_detailed_balance_has_positive_entropy_production_and_current():
    net = RateNetwork.from_rates(
        {("1", "2"): 2, ("2", "3"): 2, ("3", "1"): 2, ("2", "1"): 1, ("3", "2"): 1, ("1", "3"): 1}
    )
    assert detailed_balance(net).holds is False
    (j,) = cycle_currents(net).values()
    # by symmetry P = 1/3 each, J = (2 - 1)/3 around 1 -> 2 -> 3, sigma = 3 J ln 2
    assert abs(j) == sp.Rational(1, 3)
    assert sp.simplify(entropy_production(net) - sp.log(2)) == 0


# ------------------------------------------------------------------------------------ transport
eps, mu, mu_l, mu_r = sp.symbols("epsilon mu mu_L mu_R", real=True)
t_l, t_r = sp.symbols("t_L t_R", positive=True)


def single_level(mu_left, mu_right, temp=temperature) -> TransportModel:
    leads = [
        Lead("L", mu=mu_left, temperature=temp, coupling={"d": t_l}),
        Lead("R", mu=mu_right, temperature=temp, coupling={"d": t_r}),
    ]
    return TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": eps}), leads)


def test_transport_at_one_mu_and_t_passes_and_is_gibbs():
    model = single_level(mu, mu)
    assert detailed_balance(model.network).holds is True
    p = model.steady_state()
    z = 1 + sp.exp(-(eps - mu) / temperature)
    assert sp.simplify((p["1"] - sp.exp(-(eps - mu) / temperature) / z).rewrite(sp.exp)) == 0
    assert sp.simplify(entropy_production(model.network)) == 0


def test_transport_two_orbitals_at_equilibrium_is_gibbs():
    """Two coupled-free orbitals with interaction U, one mu and T: P_s ∝ exp(-(E_s - mu N_s)/T)."""
    u = sp.Symbol("U", real=True)
    space = FockSpace(["a", "b"])
    dot = Hamiltonian(space, onsite={"a": eps, "b": eps + 1}, coulomb={("a", "b"): u})
    leads = [
        Lead("L", mu=mu, temperature=temperature, coupling={"a": t_l, "b": t_r}),
        Lead("R", mu=mu, temperature=temperature, coupling={"a": t_r}),
    ]
    model = TransportModel(dot, leads)
    net = model.network
    assert detailed_balance(net).holds is True
    p = model.steady_state()
    energy, charge = net.state_values["energy"], net.state_values["charge"]
    weights = [sp.exp(-(e - mu * q) / temperature) for e, q in zip(energy, charge)]
    for s, w in zip(net.states, weights):
        ratio = sp.simplify((p[s] / p[net.states[0]]).rewrite(sp.exp))
        assert sp.simplify(ratio - w / weights[0]) == 0


def test_biased_dot_passes_the_summed_test_but_fails_per_channel_naming_the_leads():
    model = single_level(sp.Rational(1, 5), -sp.Rational(1, 5), sp.Rational(1, 10))
    net = model.network
    assert detailed_balance(net, by_channel=False).holds is True  # two states: no summed cycle
    report = detailed_balance(net)
    assert report.holds is False
    (condition,) = report.cycles
    assert set(condition.cycle.channels) == {"L", "R"}
    # forward/backward = f_L (1 - f_R) / ((1 - f_L) f_R) = exp((mu_L - mu_R)/T) = e^4
    assert sp.simplify(condition.ratio - sp.exp(4)) == 0 or sp.simplify(condition.ratio - sp.exp(-4)) == 0
    assert "-[L]->" in str(report) and "-[R]->" in str(report)
    assert model.current("L") != 0


def test_biased_dot_entropy_production_is_current_times_bias_over_t():
    """sigma = I (mu_L - mu_R)/T, the Joule heat over T (symbolic bias)."""
    model = single_level(mu_l, mu_r)
    report = detailed_balance(model.network)
    assert report.holds is None  # holds only where mu_L = mu_R
    sigma = entropy_production(model.network)
    expected = model.current("L") * (mu_l - mu_r) / temperature
    assert sp.simplify(sp.expand_log(sp.simplify((sigma - expected).rewrite(sp.exp)), force=True)) == 0
