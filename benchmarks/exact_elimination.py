"""Time of the exact adiabatic elimination of three dephased FMO sites (issue 12, item 4).

The model is sites 1-3 of the FMO matrix of tutorial 03 (float energies and couplings in cm^-1),
a trap on site 3 and a loss on every site, with the dephasing rate gamma either a number or a
free symbol, and with the float entries either kept or written as exact rationals.  Before the
elimination solved in exact real coordinates (symbolic_pme/quantum/_real_coordinates.py), the
issue measured 0.1 s with numbers, 7.7 s with rationals and more than 10 minutes with floats and
a free gamma.  Each case is run ``--repeats`` times; the median and the minimum are printed.

Run:  python benchmarks/exact_elimination.py [--repeats R]
"""

from __future__ import annotations

import argparse
import statistics
import time

import sympy

from symbolic_pme.quantum import adiabatic_elimination
from symbolic_pme.quantum.models import haken_strobl_reineker

ENERGIES = {"1": 200.0, "2": 320.0, "3": 0.0}
COUPLINGS = {("1", "2"): -87.7, ("1", "3"): 5.5, ("2", "3"): 30.8}
PER_PS = 5.3088  # 1 / ps in cm^-1


def model(dephasing, exact: bool):
    """The three sites; ``exact`` writes every float as the rational of its decimal digits."""

    def value(x: float):
        return sympy.Rational(str(x)) if exact else x

    return haken_strobl_reineker(
        {s: value(e) for s, e in ENERGIES.items()},
        {pair: value(v) for pair, v in COUPLINGS.items()},
        dephasing,
        traps={"3": value(PER_PS)},
        losses={s: value(1e-3 * PER_PS) for s in ENERGIES},
    )


def main() -> None:
    """Time every case and print median and minimum."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    gamma = sympy.Symbol("gamma", positive=True)
    cases = {
        "numbers (gamma = 100.0)": model(100.0, exact=False),
        "rationals, free gamma": model(gamma, exact=True),
        "floats, free gamma": model(gamma, exact=False),
    }
    for name, case in cases.items():
        times = []
        for _ in range(args.repeats):
            sympy.core.cache.clear_cache()
            start = time.perf_counter()
            adiabatic_elimination(case)
            times.append(time.perf_counter() - start)
        print(f"{name:26s} median {statistics.median(times):7.3f} s   min {min(times):7.3f} s")


if __name__ == "__main__":
    main()
