"""Steady-state solvers of large Pauli generators, side by side (issue 9, item 3).

For random dots of 1024 and 4096 many-body states (``random_models.py``), at one bias point, this
times the three ways to solve ``W P = 0, sum P = 1`` on the same rates:

* block elimination down the charge levels (``numeric.solver.steady_state_levels``: what the
  compiled network uses above ``GTH_MAX_STATES`` states),
* SciPy's sparse LU (SuperLU) of the whole generator with a symmetric fill-reducing ordering,
  ``permc_spec="MMD_AT_PLUS_A"``; the normalization fixes ``P_0 = 1`` and solves the other
  ``n - 1`` rows (replacing a row by ones would fill the factors), then rescales,
* SciPy's default sparse ordering (``COLAMD``), the same way,
* a dense LU of the whole generator (LAPACK).

Each is timed as the median of a few runs in this process, alternately, and the largest
difference of its probabilities from the block elimination's is printed.  Run:
``python benchmarks/level_solver.py [--only spinless-12 ...] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from random_models import random_model_toml
from symbolic_pme.numeric.solver import steady_state_levels

from symbolic_pme.files.model_file import load_model

MODELS = {"spinless-10": (10, False), "spinless-12": (12, False), "spinful-5": (5, True), "spinful-6": (6, True)}


def rates_of(name: str):
    """The compiled model's level blocks and dense generator at V = 0.3 (one grid point)."""
    orbitals, spin = MODELS[name]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.toml"
        path.write_text(random_model_toml(orbitals, spin=spin))
        compiled = load_model(path).compile()
    blocks = compiled._blocks  # the compiled kernel's stages, as the solve uses them
    coefficients = blocks.coefficients(compiled._symbol_values(compiled.grid(V=0.3).values))
    rates_in, rates_out, _ = blocks.rates(coefficients, ())
    up, down = blocks.level_blocks(rates_in, rates_out, 1)
    generator = blocks.generator(rates_in, rates_out, 1)[0]
    order = np.concatenate(blocks.levels)
    return up, down, generator, order


def levels(up, down, order):
    p = np.concatenate(steady_state_levels(up, down), axis=1)[0]
    result = np.empty_like(p)
    result[order] = p
    return result


def sparse_lu(generator: np.ndarray, ordering: str) -> np.ndarray:
    w = scipy.sparse.csc_array(generator)
    inner = w[1:, 1:].tocsc()
    rhs = -generator[1:, 0]
    rest = scipy.sparse.linalg.splu(inner, permc_spec=ordering).solve(rhs)
    p = np.concatenate([[1.0], rest])
    return p / p.sum()


def dense_lu(generator: np.ndarray) -> np.ndarray:
    rest = scipy.linalg.lu_solve(scipy.linalg.lu_factor(generator[1:, 1:]), -generator[1:, 0])
    p = np.concatenate([[1.0], rest])
    return p / p.sum()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = ["spinless-10", "spinless-12", "spinful-6"]
    parser.add_argument("--only", nargs="+", choices=sorted(MODELS), default=default)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    header = f"{'model':<13}{'states':>7}{'levels':>11}{'MMD_AT_PLUS_A':>15}{'COLAMD':>11}{'dense LU':>11}"
    print(header + "   max |dP| vs levels")
    for name in args.only:
        up, down, generator, order = rates_of(name)
        methods = {
            "levels": lambda: levels(up, down, order),
            "mmd": lambda: sparse_lu(generator, "MMD_AT_PLUS_A"),
            "colamd": lambda: sparse_lu(generator, "COLAMD"),
            "dense": lambda: dense_lu(generator),
        }
        times = {key: [] for key in methods}
        results = {}
        for _ in range(args.repeats):
            for key, run in methods.items():
                start = time.perf_counter()
                results[key] = run()
                times[key].append(time.perf_counter() - start)
        median = {key: statistics.median(t) for key, t in times.items()}
        error = max(float(np.abs(results[k] - results["levels"]).max()) for k in ("mmd", "colamd", "dense"))
        print(
            f"{name:<13}{len(generator):>7}{median['levels']:>10.3f}s{median['mmd']:>14.3f}s"
            f"{median['colamd']:>10.3f}s{median['dense']:>10.3f}s   {error:.1e}"
        )
        print(
            f"{'':<13}{'':>7}  sparse LU (MMD_AT_PLUS_A) / levels = {median['mmd'] / median['levels']:.2f}, "
            f"dense LU / levels = {median['dense'] / median['levels']:.2f}"
        )


if __name__ == "__main__":
    main()
