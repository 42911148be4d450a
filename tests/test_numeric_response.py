"""Exact derivatives and thermoelectric linear response (issue 11, items 3 and 4, numeric).

1. ``CompiledNetwork.derivatives`` equals fourth-order central differences of steady-state solves
   (the test oracle, not the method; step 1e-4, truncation ~1e-13 relative) on random models
   (flat 8-state and level 16-state paths, and the dense resolvent): dP, and dI, dJ, dQ of both
   leads, along the bias, a lead temperature, ``mu[L]`` and ``T[R]``.
2. Parameters inside numerically diagonalized blocks (the triangle's gate, a hopping, a coupling
   and U, spinless and spinful) by first-order perturbation theory, checked the same way; a
   derivative that couples degenerate eigenstates is refused by name.
3. ``sum dP = 0``; Onsager reciprocity ``L_12 = L_21`` to 1e-10 on random models; the single
   level's thermopower ``S = (eps - mu)/T`` and tight coupling ``det L = 0``; refusals.
4. Second derivatives along pairs of directions (``analyse(second_derivatives=...)``, issue 14:
   the exact Jacobian of dI/dV fits) equal fourth-order central differences of the exact first
   derivatives (truncation ~(h/gap)^4; the step is halved where a block has a small gap): random
   models with an on-site energy and a hopping of a mixed block as parameters (flat, level and
   dense paths), the triangle through its mixed blocks (spinless and spinful) and the example
   triangle along V and T; lead directions are the parts of the bias exactly; a pair whose
   second order couples degenerate eigenstates is refused.
"""

import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from symbolic_pme.numeric.solver import GTH_MAX_STATES
from test_random_models import load_random_model, random_model_text

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.files.model_file import load_model

STEP = 1e-4
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def central_difference(compiled, values, parameter):
    """Fourth-order central differences along ``parameter`` of any steady-state output."""
    points = []
    for k in (-2, -1, 1, 2):
        shifted = dict(values)
        shifted[parameter] = values[parameter] + k * STEP
        points.append(compiled.steady_state(shifted))

    def stencil(get):
        a, b, c, d = (np.asarray(get(p)) for p in points)
        return (a - 8 * b + 8 * c - d) / (12 * STEP)

    return stencil


def assert_derivatives_match(compiled, values, directions, method="auto"):
    exact = compiled.derivatives(values, with_respect_to=directions, method=method)
    for direction in directions:
        stencil = central_difference(compiled, values, direction)
        np.testing.assert_allclose(exact.probabilities[direction].sum(axis=-1), 0.0, atol=1e-14)
        expected = stencil(lambda r: r.probabilities)
        np.testing.assert_allclose(exact.probabilities[direction], expected, atol=1e-8 * np.abs(expected).max())
        for quantity in ("charge", "energy", "heat"):
            for lead, value in exact.currents[quantity][direction].items():
                expected = stencil(lambda r: r.currents[quantity][lead])
                scale = max(np.abs(expected).max(), 1e-9)
                np.testing.assert_allclose(value, expected, rtol=1e-7, atol=1e-8 * scale)


@pytest.mark.parametrize("orbitals, spin, method", [(3, False, "auto"), (2, True, "auto"), (2, True, "dense")])
def test_derivatives_equal_central_differences_on_random_models(orbitals, spin, method, tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, orbitals, spin, 5).compile()
    values = {"V": 0.3, "TL": 0.1, "TR": 0.15}
    assert_derivatives_match(compiled, values, ("V", "TL"), method)


def test_lead_directions_are_the_parts_of_a_parameter_direction(tmp_path_factory):
    """mu_L = V/2 and mu_R = -V/2: d/dV = (d/dmu_L - d/dmu_R)/2; d/dTR = d/dT[R]."""
    compiled = load_random_model(tmp_path_factory, 3, False, 5).compile()
    values = {"V": np.array([-0.4, 0.3]), "TL": 0.1, "TR": 0.15}
    d = compiled.derivatives(values, with_respect_to=("V", "mu[L]", "mu[R]", "TR", "T[R]"))
    for quantity in ("charge", "heat"):
        for lead in ("L", "R"):
            by_mu = (d.currents[quantity]["mu[L]"][lead] - d.currents[quantity]["mu[R]"][lead]) / 2
            np.testing.assert_allclose(d.currents[quantity]["V"][lead], by_mu, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(d.currents[quantity]["TR"][lead], d.currents[quantity]["T[R]"][lead], rtol=1e-12)


def triangle(spin=False, hoppings=(None, 0.02, 0.05), onsite=None):
    gate, bias, omega, t_c, u = sp.symbols("gate V Omega tc U", real=True)
    space = FockSpace(["a", "b", "c"], spin=spin)
    ab, bc, ca = (omega if h is None else h for h in hoppings)
    dot = Hamiltonian(
        space,
        onsite=onsite or {"a": gate, "b": gate + 0.1, "c": 0.3 * gate + 0.2},
        hopping={("a", "b"): ab, ("b", "c"): bc, ("c", "a"): ca},
        coulomb=None if onsite is not None else {("a", "b"): u, **({("a", "a"): 0.3} if spin else {})},
    )
    substrate = Lead("substrate", mu=0, temperature=0.1, coupling={"a": t_c, "b": 0.1, "c": 0.1})
    tip = Lead("tip", mu=bias, temperature=0.1, coupling={"a": 0.01, "b": 0.01, "c": 0.001})
    return TransportModel(dot, [substrate, tip]).compile()


@pytest.mark.parametrize("spin", [False, True], ids=["spinless", "spinful"])
def test_derivatives_through_mixed_blocks_equal_central_differences(spin):
    # with spin, an on-site U on "a" lifts the spin degeneracies inside the charge blocks (where
    # eigh's basis of a degenerate pair may turn between the stencil's points)
    compiled = triangle(spin)
    values = {"gate": -0.1, "V": 0.4, "Omega": 0.07, "tc": 0.08, "U": 0.3}
    assert_derivatives_match(compiled, values, ("gate", "Omega", "tc", "U"), "auto" if not spin else "levels")


def test_a_derivative_coupling_degenerate_eigenstates_is_refused_by_name():
    e_a = sp.Symbol("e_a", real=True)
    compiled = triangle(hoppings=(0.05, 0.05, 0.05), onsite={"a": e_a, "b": 0, "c": 0})  # E = 0.1, -0.05, -0.05
    with pytest.raises(ValueError, match="'e_a'.*degenerate"):
        compiled.derivatives(e_a=0.0, V=0.3, tc=0.1, with_respect_to=("e_a",))
    assert compiled.derivatives(e_a=0.0, V=0.3, tc=0.1, with_respect_to=("V",)).shape == ()


# --------------------------------------------------------------------------------------------------
# thermoelectrics
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("orbitals, spin", [(3, False), (2, True), (4, True)])
def test_onsager_reciprocity_on_random_models(orbitals, spin, tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, orbitals, spin, 9).compile()
    temperatures = np.array([0.05, 0.1, 0.3])
    result = compiled.thermoelectric(V=0.0, TL=temperatures, TR=temperatures)
    onsager = result.onsager
    assert onsager.shape == (3, 2, 2)
    scale = np.sqrt(onsager[..., 0, 0] * onsager[..., 1, 1])
    np.testing.assert_array_less(np.abs(onsager[..., 0, 1] - onsager[..., 1, 0]), 1e-10 * scale)
    np.testing.assert_allclose(
        result.conductance * result.seebeck**2 * temperatures / result.thermal_conductance,
        result.figure_of_merit,
        rtol=1e-9,
    )
    assert np.all(result.thermal_conductance > 0) and np.all(result.conductance > 0)


def test_single_level_thermopower_and_tight_coupling():
    eps, mu, temperature = sp.symbols("eps mu T", real=True)
    space = FockSpace(["d"])
    leads = [Lead(name, mu=mu, temperature=temperature, coupling={"d": t}) for name, t in (("L", 0.1), ("R", 0.03))]
    compiled = TransportModel(Hamiltonian(space, onsite={"d": eps}), leads).compile()
    rng = np.random.default_rng(3)
    e, m, t = rng.uniform(-0.3, 0.3, 20), rng.uniform(-0.1, 0.1, 20), rng.uniform(0.05, 0.3, 20)
    result = compiled.thermoelectric(eps=e, mu=m, T=t)
    np.testing.assert_allclose(result.seebeck, (e - m) / t, rtol=1e-11)
    onsager = result.onsager
    determinant = onsager[..., 0, 0] * onsager[..., 1, 1] - onsager[..., 0, 1] * onsager[..., 1, 0]
    np.testing.assert_array_less(np.abs(determinant), 1e-11 * onsager[..., 0, 0] * onsager[..., 1, 1])
    np.testing.assert_allclose(onsager[..., 1, 0], (e - m) * onsager[..., 0, 0], rtol=1e-11)  # Q = (eps - mu) I
    assert result.lead == "L" and result.shape == (20,)


def test_bad_requests_are_refused_by_name(tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, 3, False, 5).compile()
    with pytest.raises(ValueError, match="unknown direction 'W'.*mu\\[L\\]"):
        compiled.derivatives(V=0.1, with_respect_to=("W",))
    with pytest.raises(ValueError, match="temperature of lead 'L' must be positive"):
        compiled.derivatives(V=0.1, TL=0.0, with_respect_to=("V",))
    with pytest.raises(ValueError, match="chemical potentials differ"):
        compiled.thermoelectric(V=0.1, TL=0.1, TR=0.1)
    with pytest.raises(ValueError, match="temperatures differ"):
        compiled.thermoelectric(V=0.0, TL=0.1, TR=0.2)
    with pytest.raises(ValueError, match="unknown lead 'X'"):
        compiled.thermoelectric(V=0.0, TL=0.1, TR=0.1, lead="X")


# --------------------------------------------------------------------------------------------------
# second derivatives
# --------------------------------------------------------------------------------------------------
def assert_second_derivatives_match(compiled, values, pairs, *, method="auto", step=5e-5, rtol=1e-7):
    """d^2/da db of P and of every current against fourth-order central differences along b of
    the exact d/da (relative to each array's largest value); returns the worst relative error."""
    exact = compiled.analyse(values, second_derivatives=pairs, method=method).derivatives
    assert exact.pairs == tuple(pairs)
    worst = 0.0
    for a, b in pairs:
        sides = []
        for k in (-2, -1, 1, 2):
            shifted = dict(values)
            shifted[b] = values[b] + k * step
            sides.append(compiled.analyse(shifted, derivatives=[a], method=method).derivatives)

        def stencil(get):
            w, x, y, z = (np.asarray(get(side)) for side in sides)
            return (w - 8 * x + 8 * y - z) / (12 * step)

        np.testing.assert_allclose(exact.second_probabilities[(a, b)].sum(axis=-1), 0.0, atol=1e-12)
        checks = [(exact.second_probabilities[(a, b)], stencil(lambda d: d.probabilities[a]))]
        for quantity in ("charge", "energy", "heat"):
            for lead, value in exact.second_currents[quantity][(a, b)].items():
                checks.append((value, stencil(lambda d: d.currents[quantity][a][lead])))
        for value, expected in checks:
            scale = max(np.abs(expected).max(), 1e-9)
            worst = max(worst, float(np.abs(value - expected).max() / scale))
            np.testing.assert_allclose(value, expected, rtol=0, atol=rtol * scale, err_msg=f"{(a, b)}")
    return worst


def symbolic_random_model(tmp_path_factory, orbitals, spin, seed):
    """A random model whose first on-site energy ``e0`` and first hopping ``w`` are parameters
    (both inside a numerically diagonalized block)."""
    text = random_model_text(orbitals, spin, seed)
    hopping = re.search(r"^\[\[hopping\]\]\norbitals = .*\nvalue = (.*)$", text, re.M)
    onsite = re.search(r'^"0" = (.*)$', text, re.M)
    defaults = f"e0 = {onsite.group(1)}\nw = {hopping.group(1)}\n"
    text = text[: hopping.start(1)] + '"w"' + text[hopping.end(1) :]
    text = text[: onsite.start()] + '"0" = "e0"' + text[onsite.end() :]
    text = text.replace("TR = 0.15\n", "TR = 0.15\n" + defaults, 1)
    path = tmp_path_factory.mktemp("models") / f"symbolic_{orbitals}_{spin}_{seed}.toml"
    path.write_text(text)
    return load_model(path).compile()


RANDOM_PAIRS = [("V", "V"), ("V", "TL"), ("V", "e0"), ("V", "w"), ("e0", "w"), ("w", "w"), ("TL", "TR")]
RANDOM_PAIRS += [("mu[L]", "V"), ("T[R]", "w")]


@pytest.mark.parametrize(
    "orbitals, spin, method, step",
    [(3, False, "auto", 5e-5), (2, True, "auto", 2.5e-5), (5, False, "auto", 2.5e-5), (2, True, "dense", 2.5e-5)],
    ids=["flat-8", "flat-16", "levels-32", "dense-16"],
)
def test_second_derivatives_equal_central_differences_of_the_first_on_random_models(
    orbitals, spin, method, step, tmp_path_factory
):
    compiled = symbolic_random_model(tmp_path_factory, orbitals, spin, 5)
    assert (compiled.blocks.flat is not None) == (len(compiled.states) <= GTH_MAX_STATES)
    defaults = compiled.defaults
    values = {"V": 0.3, "TL": 0.1, "TR": 0.15, "e0": defaults["e0"], "w": defaults["w"]}
    assert_second_derivatives_match(compiled, values, RANDOM_PAIRS, method=method, step=step)


@pytest.mark.parametrize("spin", [False, True], ids=["spinless", "spinful"])
def test_second_derivatives_through_mixed_blocks_of_the_triangle(spin):
    # spinful: a gap of 8e-4 inside a 9-state block makes the stencil's truncation (h/gap)^4
    compiled = triangle(spin)
    values = {"gate": -0.1, "V": 0.4, "Omega": 0.07, "tc": 0.08, "U": 0.3}
    pairs = [("V", "gate"), ("V", "Omega"), ("V", "tc"), ("V", "U"), ("gate", "Omega"), ("Omega", "Omega")]
    pairs += [("U", "tc"), ("tc", "tc")]
    method, step, rtol = ("auto", 5e-5, 1e-7) if not spin else ("levels", 1.25e-5, 1e-6)
    assert_second_derivatives_match(compiled, values, pairs, method=method, step=step, rtol=rtol)


def test_second_derivatives_of_the_example_triangle_along_bias_and_temperature():
    compiled = load_model(EXAMPLES / "triangle.toml").compile()
    values = {"V": np.linspace(-0.8, 0.8, 9), "T": 0.1}
    assert_second_derivatives_match(compiled, values, [("V", "V"), ("V", "T"), ("T", "V"), ("T", "T")])


def test_second_derivatives_along_lead_directions_are_the_parts_of_the_bias(tmp_path_factory):
    """mu_L = V/2, mu_R = -V/2: d^2/dV^2 = (d_LL - 2 d_LR + d_RR)/4; T[R] is TR; symmetric pairs."""
    compiled = symbolic_random_model(tmp_path_factory, 3, False, 5)
    values = {"V": np.array([-0.4, 0.3]), "TL": 0.1, "TR": 0.15}
    pairs = [("V", "V"), ("mu[L]", "mu[L]"), ("mu[L]", "mu[R]"), ("mu[R]", "mu[R]"), ("T[R]", "w"), ("TR", "w")]
    pairs += [("w", "TR"), ("T[R]", "T[R]"), ("TR", "TR")]
    d = compiled.analyse(values, derivatives=["e0"], second_derivatives=pairs).derivatives
    assert d.with_respect_to == ("e0", "V", "mu[L]", "mu[R]", "T[R]", "w", "TR")
    for quantity in ("charge", "energy", "heat"):
        second = d.second_currents[quantity]
        for lead in ("L", "R"):
            parts = (second[("mu[L]", "mu[L]")][lead] - 2 * second[("mu[L]", "mu[R]")][lead]) / 4
            parts = parts + second[("mu[R]", "mu[R]")][lead] / 4
            np.testing.assert_allclose(second[("V", "V")][lead], parts, rtol=1e-12, atol=1e-16)
            np.testing.assert_allclose(second[("T[R]", "w")][lead], second[("TR", "w")][lead], rtol=1e-12)
            np.testing.assert_allclose(second[("w", "TR")][lead], second[("TR", "w")][lead], rtol=1e-10)
            np.testing.assert_allclose(second[("T[R]", "T[R]")][lead], second[("TR", "TR")][lead], rtol=1e-12)
    assert d.second_current is d.second_currents["charge"]


def test_a_pair_coupling_degenerate_eigenstates_at_second_order_is_refused():
    """a, b degenerate at 0, c at 1, hoppings s (a-c) and r (b-c) zero: neither first order couples
    a and b, the second order along (s, r) does (through c); (s, s) does not."""
    s, r, bias = sp.symbols("s r V", real=True)
    space = FockSpace(["a", "b", "c"])
    dot = Hamiltonian(space, onsite={"a": 0, "b": 0, "c": 1}, hopping={("a", "c"): s, ("b", "c"): r})
    leads = [
        Lead("L", mu=bias, temperature=0.1, coupling={"a": 0.05, "b": 0.02, "c": 0.03}),
        Lead("R", mu=0, temperature=0.1, coupling={"a": 0.01, "b": 0.04, "c": 0.02}),
    ]
    compiled = TransportModel(dot, leads).compile()
    values = {"s": 0.0, "r": 0.0, "V": 0.2}
    with pytest.raises(ValueError, match=r"second derivative along \('s', 'r'\).*degenerate"):
        compiled.analyse(values, second_derivatives=[("s", "r")])
    # the currents' (s, s) derivative is exact there (the labels of the degenerate pair swap
    # away from s = 0, so the probabilities are not compared)
    exact = compiled.analyse(values, second_derivatives=[("s", "s")]).derivatives.second_current[("s", "s")]
    step = 1e-4
    sides = [
        compiled.derivatives({**values, "s": k * step}, with_respect_to=["s"]).current["s"] for k in (-2, -1, 1, 2)
    ]
    for lead in ("L", "R"):
        w, x, y, z = (side[lead] for side in sides)
        assert exact[lead] == pytest.approx((w - 8 * x + 8 * y - z) / (12 * step), rel=1e-9)


def test_malformed_pairs_are_refused(tmp_path_factory):
    compiled = load_random_model(tmp_path_factory, 3, False, 5).compile()
    for pairs, message in [
        ("V", "a sequence of pairs"),
        ([("V",)], "each entry a pair"),
        (["VT"], "each entry a pair"),
        ([("V", 1)], "pair of direction names"),
        ([("V", "W")], "unknown direction 'W'"),
    ]:
        with pytest.raises(ValueError, match=message):
            compiled.analyse(V=0.1, second_derivatives=pairs)
