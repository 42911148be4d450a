"""Currents accurate to their own magnitude when couplings span 1e-8 ... 1 (issue 9, item 4).

Two two-terminal models, one lead coupled 1e-8 and the other 1 (rates 2 pi t^2 differ by 1e16):

(a) examples/single_level.toml with tL = 1e-8, tR = 1, a 201-point bias sweep, against the closed
    form I_L = -I_R = 2 pi tL^2 tR^2 (f_L(eps) - f_R(eps)) / (tL^2 + tR^2), J = eps I,
    Q_a = (eps - mu_a) I_a (mu_L = V/2, mu_R = -V/2, both leads at T);
(b) a 4-orbital spinless chain (neighbour hoppings, Coulomb on all pairs) with lead L on orbitals
    0 and 1 (t = 1e-8, 1e-6) and lead R on orbitals 2 and 3 (t = 1e-3, 1), against a 50-digit
    mpmath reference built here from DESIGN.md's conventions alone (Fock basis, Jordan-Wigner
    signs, T^a_ba = sum_i t_ai <b|d_i^+|a>, Pauli rates, steady state, currents).

Both leads' particle and energy currents must equal the reference to 1e-10 relative to their own
magnitude wherever the current is not a near-cancellation (the single level: |f_L - f_R| >= 1e-3
at the level; the chain: |I| >= 1e-3 of the smaller of the two leads' gross fluxes, see
``not_tiny``), and sum_a I_a = sum_a J_a = 0 to 1e-12 relative to max_a |I_a| at every point.
"""

from pathlib import Path

import mpmath
import numpy as np
import pytest

from symbolic_pme.files.model_file import load_model

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RELATIVE = 1e-10
CONSERVATION = 1e-12


def assert_own_magnitude(ours, reference, where, what, scale=None):
    """|ours - reference| <= RELATIVE * |reference| (or * scale) at the points ``where``."""
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    scale = np.abs(reference) if scale is None else np.asarray(scale, dtype=float)
    error = np.abs(ours - reference)[where]
    bound = RELATIVE * scale[where]
    worst = int(np.argmax(error / bound))
    assert np.all(error <= bound), f"{what}: error {error[worst]:.3g} against value {reference[where][worst]:.3g}"


def assert_conserved(currents, what):
    """sum over leads = 0 to CONSERVATION * max_a |I_a|, at every point."""
    currents = np.stack([np.asarray(c, dtype=float) for c in currents])
    residual = np.abs(currents.sum(axis=0))
    scale = np.max(np.abs(currents), axis=0)
    worst = int(np.argmax(residual - CONSERVATION * scale))
    assert np.all(residual <= CONSERVATION * scale), (
        f"{what}: sum over leads {residual[worst]:.3g} at a point where max |I_a| = {scale[worst]:.3g}"
    )


# --------------------------------------------------------------------------------------------------
# (a) single level, closed form
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def single_level():
    device = load_model(EXAMPLES / "single_level.toml")
    biases = np.linspace(-1, 1, 201)
    t_left, t_right = 1e-8, 1.0
    result = device.compile().sweep({"V": biases}, tL=t_left, tR=t_right)
    eps, temperature = (mpmath.mpf(device.parameters[name]) for name in ("eps", "T"))
    with mpmath.workdps(30):
        expected = {key: [] for key in ("IL", "fL-fR", "P1")}
        gl, gr = 2 * mpmath.pi * mpmath.mpf(t_left) ** 2, 2 * mpmath.pi * mpmath.mpf(t_right) ** 2
        for v in biases:
            mu_l, mu_r = mpmath.mpf(v) / 2, -mpmath.mpf(v) / 2
            f_l = 1 / (mpmath.exp((eps - mu_l) / temperature) + 1)
            f_r = 1 / (mpmath.exp((eps - mu_r) / temperature) + 1)
            expected["IL"].append(gl * gr * (f_l - f_r) / (gl + gr))
            expected["fL-fR"].append(f_l - f_r)
            expected["P1"].append((gl * f_l + gr * f_r) / (gl + gr))
        expected = {key: np.array([float(x) for x in values]) for key, values in expected.items()}
    expected["eps"] = float(eps)
    return device, biases, result, expected


def test_single_level_file_conventions():
    device = load_model(EXAMPLES / "single_level.toml")
    (V,) = [s for s in device.model.parameters if s.name == "V"]
    left, right = device.model.leads
    assert (left.name, right.name) == ("L", "R")
    assert float(left.mu.subs(V, 0.3)) == pytest.approx(0.15) and float(right.mu.subs(V, 0.3)) == pytest.approx(-0.15)
    assert str(left.temperature) == str(right.temperature) == "T"
    level = device.model.energies[1]
    assert float(level.subs({s: device.parameters[s.name] for s in level.free_symbols})) == device.parameters["eps"]


def test_single_level_currents_to_their_own_magnitude(single_level):
    device, biases, result, expected = single_level
    where = np.abs(expected["fL-fR"]) >= 1e-3
    assert where.sum() >= 150  # most of the sweep, including V = -0.01 from the issue
    assert where[np.argmin(np.abs(biases + 0.01))]
    current_l = expected["IL"]
    assert_own_magnitude(result.current["L"], current_l, where, "I_L")
    assert_own_magnitude(result.current["R"], -current_l, where, "I_R")
    eps = expected["eps"]
    assert_own_magnitude(result.energy_current["L"], eps * current_l, where, "J_L")
    assert_own_magnitude(result.energy_current["R"], -eps * current_l, where, "J_R")
    for lead, mu, sign in (("L", biases / 2, 1), ("R", -biases / 2, -1)):
        particle, energy = sign * current_l, sign * eps * current_l
        # Q = J - mu I: accurate relative to the two terms it is made of
        scale = np.abs(energy) + np.abs(mu * particle)
        assert_own_magnitude(result.heat_current[lead], energy - mu * particle, where, f"Q_{lead}", scale)


def test_single_level_occupation(single_level):
    device, biases, result, expected = single_level
    assert np.max(np.abs(result.occupations["d"] - expected["P1"])) <= 1e-12


def test_single_level_conservation_at_every_point(single_level):
    device, biases, result, expected = single_level
    assert_conserved(result.current.values(), "particle current")
    assert_conserved(result.energy_current.values(), "energy current")


# --------------------------------------------------------------------------------------------------
# (b) 4-orbital chain, 50-digit reference
# --------------------------------------------------------------------------------------------------
CHAIN = {
    "onsite": [0.12, -0.05, 0.2, 0.03],
    "hopping": {(0, 1): 0.05, (1, 2): 0.04, (2, 3): 0.06},
    "coulomb": {(0, 1): 0.3, (1, 2): 0.25, (2, 3): 0.35, (0, 2): 0.1, (1, 3): 0.12, (0, 3): 0.05},
    "leads": {  # name: (mu as a multiple of V, temperature, {orbital: t})
        "L": (0.5, 0.05, {0: 1e-8, 1: 1e-6}),
        "R": (-0.5, 0.08, {2: 1e-3, 3: 1.0}),
    },
}
CHAIN_BIASES = np.array([-1.6, -0.9, -0.4, -0.15, 0.25, 0.7, 1.4])


def chain_model_text():
    lines = ['title = "coupling-span chain"', "[system]", "orbitals = 4", "[parameters]", "V = 0.0", "[onsite]"]
    lines += [f'"{i}" = {e!r}' for i, e in enumerate(CHAIN["onsite"])]
    for table in ("hopping", "coulomb"):
        for (i, j), value in CHAIN[table].items():
            lines += [f"[[{table}]]", f'orbitals = ["{i}", "{j}"]', f"value = {value!r}"]
    for name, (mu, temperature, coupling) in CHAIN["leads"].items():
        pairs = ", ".join(f'"{i}" = {t!r}' for i, t in coupling.items())
        lines += ["[[lead]]", f'name = "{name}"', f'mu = "{mu!r}*V"', f"temperature = {temperature!r}"]
        lines += [f"coupling = {{ {pairs} }}"]
    return "\n".join(lines) + "\n"


def chain_reference(biases, digits=50):
    """Pauli steady state and currents of CHAIN, in mpmath at ``digits`` digits.

    Fock state |n_0 n_1 n_2 n_3>, orbital 0 the most significant bit; d_i^+ carries
    (-1)^(sum_{j<i} n_j).  Rate a -> b (electron in from lead a): 2 pi |T_ba|^2 f(E_b - E_a),
    b -> a: 2 pi |T_ba|^2 (1 - f).  Returns per bias: sorted (charge, energy, P) and, per lead,
    the particle and energy currents into the dot and the gross particle and energy fluxes.
    """
    n = 4
    with mpmath.workdps(digits):
        mp = mpmath.mpf

        def occupied(state, i):
            return (state >> (n - 1 - i)) & 1

        def sign(state, i):
            return -1 if sum(occupied(state, j) for j in range(i)) % 2 else 1

        def create(state, i):  # d_i^+ |state> = sign |state'>, or None
            if occupied(state, i):
                return None
            return sign(state, i), state | (1 << (n - 1 - i))

        def annihilate(state, i):
            if not occupied(state, i):
                return None
            return sign(state, i), state & ~(1 << (n - 1 - i))

        blocks = {N: [s for s in range(2**n) if bin(s).count("1") == N] for N in range(n + 1)}
        eigen = {}
        for N, basis in blocks.items():
            position = {s: k for k, s in enumerate(basis)}
            h = mpmath.zeros(len(basis))
            for k, s in enumerate(basis):
                h[k, k] = sum(mp(e) * occupied(s, i) for i, e in enumerate(CHAIN["onsite"]))
                h[k, k] += sum(mp(u) * occupied(s, i) * occupied(s, j) for (i, j), u in CHAIN["coulomb"].items())
                for (i, j), omega in CHAIN["hopping"].items():
                    for c, a in ((i, j), (j, i)):  # Omega (d_i^+ d_j + d_j^+ d_i)
                        step = annihilate(s, a)
                        if step is None:
                            continue
                        step2 = create(step[1], c)
                        if step2 is None:
                            continue
                        h[position[step2[1]], k] += mp(omega) * step[0] * step2[0]
            energies, vectors = mpmath.eigsy(h)
            order = sorted(range(len(basis)), key=lambda k: energies[k])
            eigen[N] = ([energies[k] for k in order], [vectors[:, k] for k in order], position)

        labels = [(N, k) for N in range(n + 1) for k in range(len(blocks[N]))]
        index = {label: m for m, label in enumerate(labels)}
        energy = {label: eigen[label[0]][0][label[1]] for label in labels}
        # T^a_ba for every lead, N -> N + 1
        amplitudes = {}
        for name, (_, _, coupling) in CHAIN["leads"].items():
            for N in range(n):
                _, vectors_a, position_a = eigen[N]
                _, vectors_b, position_b = eigen[N + 1]
                d = mpmath.zeros(len(position_b), len(position_a))
                for s, col in position_a.items():
                    for i, t in coupling.items():
                        step = create(s, i)
                        if step is not None:
                            d[position_b[step[1]], col] += mp(t) * step[0]
                for ka, va in enumerate(vectors_a):
                    dva = d * va
                    for kb, vb in enumerate(vectors_b):
                        amplitudes[name, (N, ka), (N + 1, kb)] = sum(vb[r] * dva[r] for r in range(len(vb)))

        out = []
        for v in biases:
            jumps = []  # (lead, a, b, rate a->b, rate b->a)
            for (name, a, b), amplitude in amplitudes.items():
                factor, temperature, _ = CHAIN["leads"][name]
                x = (energy[b] - energy[a] - mp(factor) * mp(v)) / mp(temperature)
                gamma = 2 * mpmath.pi * amplitude**2
                jumps.append((name, a, b, gamma / (mpmath.exp(x) + 1), gamma / (mpmath.exp(-x) + 1)))
            w = mpmath.zeros(len(labels))
            for _, a, b, rate_in, rate_out in jumps:
                ia, ib = index[a], index[b]
                w[ib, ia] += rate_in
                w[ia, ia] -= rate_in
                w[ia, ib] += rate_out
                w[ib, ib] -= rate_out
            for col in range(len(labels)):  # normalization: replace the first equation by sum P = 1
                w[0, col] = 1
            rhs = mpmath.zeros(len(labels), 1)
            rhs[0] = 1
            p = mpmath.lu_solve(w, rhs)
            point = {"states": [(N, float(energy[N, k]), float(p[index[N, k]])) for N, k in labels]}
            for name in CHAIN["leads"]:
                net = gross = net_energy = gross_energy = mp(0)
                for lead, a, b, rate_in, rate_out in jumps:
                    if lead != name:
                        continue
                    flux_in, flux_out = rate_in * p[index[a]], rate_out * p[index[b]]
                    delta = energy[b] - energy[a]
                    net += flux_in - flux_out
                    gross += flux_in + flux_out
                    net_energy += delta * (flux_in - flux_out)
                    gross_energy += abs(delta) * (flux_in + flux_out)
                point[name] = tuple(float(x) for x in (net, gross, net_energy, gross_energy))
            out.append(point)
        return out


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    path = tmp_path_factory.mktemp("chain") / "chain.toml"
    path.write_text(chain_model_text())
    device = load_model(path)
    result = device.compile().sweep({"V": CHAIN_BIASES})
    return device, result, chain_reference(CHAIN_BIASES)


def not_tiny(reference, net, gross):
    """The explicit criterion: |net| >= 1e-3 * min over leads of that lead's gross flux.

    The analogue of |f_L - f_R| >= 1e-3: in at least the weakly coupled lead the current is not a
    near-cancellation of its in- and out-fluxes, so it is well defined to ~1e-13 in double precision.
    """
    smallest_gross = [min(point[lead][gross] for lead in ("L", "R")) for point in reference]
    return np.array([abs(point["L"][net]) >= 1e-3 * g for point, g in zip(reference, smallest_gross)])


def test_chain_reference_is_converged_and_conserving():
    # the 50-digit reference agrees with 70 digits, and its currents obey sum_a I_a = 0 exactly enough
    coarse, fine = chain_reference(CHAIN_BIASES[:2]), chain_reference(CHAIN_BIASES[:2], digits=70)
    for a, b in zip(coarse, fine):
        for lead in ("L", "R"):
            assert a[lead][0] == pytest.approx(b[lead][0], rel=1e-14, abs=0)
        assert abs(a["L"][0] + a["R"][0]) <= 1e-14 * abs(a["L"][0])
        assert abs(a["L"][2] + a["R"][2]) <= 1e-14 * abs(a["L"][2])


def test_chain_probabilities(chain):
    device, result, reference = chain
    n = len(device.model.states)
    charges = np.broadcast_to(result.state_values["charge"], result.probabilities.shape)
    for k, point in enumerate(reference):
        order = np.lexsort((result.energies[k], charges[k]))
        energies = np.array([e for _, e, _ in point["states"]])
        probabilities = np.array([p for _, _, p in point["states"]])
        assert list(charges[k][order]) == [c for c, _, _ in point["states"]]
        assert np.max(np.abs(result.energies[k][order] - energies)) <= 1e-12
        assert np.max(np.abs(result.probabilities[k][order] - probabilities)) <= 1e-10 * probabilities.max()
        assert len(order) == n


def test_chain_currents_to_their_own_magnitude(chain):
    device, result, reference = chain
    where = not_tiny(reference, 0, 1)
    assert where.sum() >= 4, f"only {where.sum()} of {len(where)} bias points carry a current that is not tiny"
    for lead in ("L", "R"):
        expected = np.array([point[lead][0] for point in reference])
        assert_own_magnitude(result.current[lead], expected, where, f"I_{lead}")
    where = not_tiny(reference, 2, 3)
    assert where.sum() >= 4
    for lead in ("L", "R"):
        expected = np.array([point[lead][2] for point in reference])
        assert_own_magnitude(result.energy_current[lead], expected, where, f"J_{lead}")


def test_chain_conservation_at_every_point(chain):
    device, result, reference = chain
    assert_conserved(result.current.values(), "particle current")
    assert_conserved(result.energy_current.values(), "energy current")
