"""Random dot models as model-file TOML text, drawn like ../shared/reference/random_*.toml.

The draw, from one NumPy ``default_rng(seed)`` stream in this order (the order of the reference
models, so that ``random_model_toml(4, spin=False)`` is exactly ``random_spinless_4.toml`` and a
spinful or bigger model drawn from the right point of the stream equals the other all-pairs
references, e.g. ``random_spinless_8`` and ``random_spinful_2``):

1. on-site energies eps_i in [-0.5, 0.5], one per orbital;
2. hoppings Omega_ij in [-0.2, 0.2] on every pair i < j (pairs in lexicographic order);
3. Coulomb U_ij in [0, 0.6] on every pair i < j (all-pairs density-density U n_i n_j; with spin
   it couples every pair of the two orbitals' spin-orbitals, as the model file defines);
4. with spin only: on-site U_ii in [0, 0.6] (U n_i_up n_i_down), one per orbital;
5. couplings t in [0.005, 0.1], first lead L for every orbital, then lead R (both spins alike).

Leads: L with T = 0.1 and mu = V/2, R with T = 0.15 and mu = -V/2; one parameter ``V``
(default 0).  ``hopping_pairs`` may restrict the hoppings to a subset of the pairs (a documented
choice, e.g. a chain); the random draw is the same either way (all pairs are drawn, the others
are dropped), so the other numbers do not change with the subset.

Used by ``benchmarks/scaling.py``; on its own it writes one model:

    python benchmarks/random_models.py 8 [--spin] [--seed 2026] [-o model.toml]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable

import numpy as np

__all__ = ["model_states", "random_model_toml"]


def model_states(orbitals: int, *, spin: bool) -> int:
    """Number of many-body (Fock) states: 2 ** spin-orbitals."""
    return 2 ** (orbitals * (2 if spin else 1))


def random_model_toml(
    orbitals: int,
    *,
    spin: bool,
    seed: int = 2026,
    rng: np.random.Generator | None = None,
    hopping_pairs: Iterable[tuple[int, int]] | None = None,
    title: str | None = None,
) -> str:
    """TOML text of a random dot with ``orbitals`` orbitals and two leads L, R.

    Parameters
    ----------
    orbitals:
        Number of orbitals (named ``"0"`` ... ``"n-1"``).
    spin:
        Spinful (every orbital carries up and down; on-site Hubbard U added).
    seed:
        Seed of ``numpy.random.default_rng`` (ignored when ``rng`` is given).
    rng:
        A generator to draw from instead (to continue one stream over several models).
    hopping_pairs:
        Keep the hoppings only on these pairs ``(i, j)``; default: all pairs.
    title:
        The model's title; default ``random_spinless_<n>`` / ``random_spinful_<n>``.

    Examples
    --------
    >>> text = random_model_toml(2, spin=True)
    >>> text.count("[[coulomb]]"), text.count("[[lead]]")
    (3, 2)
    """
    if orbitals < 1:
        raise ValueError(f"orbitals: need at least 1, got {orbitals}")
    generator = rng if rng is not None else np.random.default_rng(seed)
    pairs = list(itertools.combinations(range(orbitals), 2))
    onsite = generator.uniform(-0.5, 0.5, orbitals)
    hopping = generator.uniform(-0.2, 0.2, len(pairs))
    coulomb = generator.uniform(0.0, 0.6, len(pairs))
    hubbard = generator.uniform(0.0, 0.6, orbitals) if spin else np.zeros(0)
    coupling = generator.uniform(0.005, 0.1, (2, orbitals))
    keep = set(pairs) if hopping_pairs is None else {tuple(sorted(p)) for p in hopping_pairs}

    kind = "spinful" if spin else "spinless"
    title = title or f"random_{kind}_{orbitals}"
    subset = "all pairs" if hopping_pairs is None else f"{len(keep)} of {len(pairs)} pairs"
    lines = [
        f"# {title}: random model, numpy default_rng (benchmarks/random_models.py); hoppings on {subset};",
        f"# all-pairs Coulomb{' and on-site U' if spin else ''}; {model_states(orbitals, spin=spin)} many-body states.",
        f'title = "{title}"',
        "",
        "[system]",
        f"orbitals = {orbitals}",
        f"spin = {'true' if spin else 'false'}",
        "",
        "[parameters]",
        "V = 0.0",
        "",
        "[onsite]",
    ]
    lines += [f'"{i}" = {float(e)!r}' for i, e in enumerate(onsite)]
    for (i, j), value in zip(pairs, hopping):
        if (i, j) in keep:
            lines += ["", "[[hopping]]", f'orbitals = ["{i}", "{j}"]', f"value = {float(value)!r}"]
    for (i, j), value in itertools.chain(zip(pairs, coulomb), zip(((i, i) for i in range(orbitals)), hubbard)):
        lines += ["", "[[coulomb]]", f'orbitals = ["{i}", "{j}"]', f"value = {float(value)!r}"]
    for (name, mu, temperature), row in zip((("L", "V/2", 0.1), ("R", "-V/2", 0.15)), coupling):
        table = ", ".join(f'"{i}" = {float(t)!r}' for i, t in enumerate(row))
        lines += [
            "",
            "[[lead]]",
            f'name = "{name}"',
            f'mu = "{mu}"',
            f"temperature = {temperature}",
            f"coupling = {{ {table} }}",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("orbitals", type=int, help="number of orbitals")
    parser.add_argument("--spin", action="store_true", help="spinful (with on-site U)")
    parser.add_argument("--seed", type=int, default=2026, help="numpy default_rng seed (default 2026)")
    parser.add_argument("-o", "--output", help="write to this file (default: stdout)")
    args = parser.parse_args(argv)
    text = random_model_toml(args.orbitals, spin=args.spin, seed=args.seed)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as stream:
            stream.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
