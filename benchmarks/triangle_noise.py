"""Cost of noise, Fano factor and exact dI/dV on the triangle's 100 x 100 map, and on a large model.

1. The triangle of ``benchmarks/triangle_map.py`` (8 states, gate x tip bias): the plain map
   (``sweep``: steady state, particle/energy/heat currents) against the same map with the noise and
   Fano factor of both leads (``counting_statistics(order=2)``) and the exact dI/dV
   (``derivatives(with_respect_to=("V",))``), timed alternately in one run; the ratio reported is
   the median of the per-repeat ratios (target <= 3).
2. A large model (random spinless dot, 10 orbitals, 1024 states; block elimination along the charge
   levels): time per point of the plain steady state, of C_1..C_3 of both leads, and of the exact
   dI/dV.

Run:  python benchmarks/triangle_noise.py [--points N] [--repeats R] [--orbitals K]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_random_models import random_model_text  # noqa: E402
from triangle_map import elapsed, triangle_model  # noqa: E402

from symbolic_pme.files.model_file import load_model  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100, help="grid points per axis (default 100)")
    parser.add_argument("--repeats", type=int, default=7, help="alternating repeats (default 7)")
    parser.add_argument("--orbitals", type=int, default=10, help="orbitals of the large spinless model (default 10)")
    args = parser.parse_args()

    solver = triangle_model().compile()
    axes = {"gate": np.linspace(-0.6, 0.4, args.points), "V": np.linspace(-1.0, 1.0, args.points)}

    def with_noise() -> None:
        solver.sweep(axes)
        solver.counting_statistics(axes=axes, order=2)
        solver.derivatives(axes=axes, with_respect_to=("V",))

    with_noise()  # allocates work arrays, compiles the derivative kernels
    plain, full = [], []
    for _ in range(args.repeats):
        plain.append(elapsed(lambda: solver.sweep(axes)))
        full.append(elapsed(with_noise))
    ratio = float(np.median(np.array(full) / np.array(plain)))
    points = args.points**2
    print(f"triangle map, {args.points} x {args.points} = {points} points")
    print(f"  plain map (steady state, currents), best of {args.repeats}: {min(plain) * 1e3:8.1f} ms")
    print(f"  with noise, Fano factor and exact dI/dV:        {min(full) * 1e3:8.1f} ms")
    print(f"  ratio (median of alternating repeats):           {ratio:8.2f}   (target <= 3)")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "large.toml"
        path.write_text(random_model_text(args.orbitals, False, 1))
        large = load_model(path).compile()
    values = {"V": np.linspace(-0.8, 0.8, 4), "TL": 0.1, "TR": 0.15}
    large.steady_state(values)
    times = {
        "steady state": elapsed(lambda: large.steady_state(values)),
        "C_1..C_3, both leads": elapsed(lambda: large.counting_statistics(values)),
        "exact dI/dV": elapsed(lambda: large.derivatives(values, with_respect_to=("V",))),
    }
    print(f"large model: spinless, {args.orbitals} orbitals, {len(large.states)} states, 4 points")
    for what, seconds in times.items():
        print(f"  {what:24s} {seconds / 4 * 1e3:8.1f} ms/point  ({seconds / times['steady state']:.2f} x)")


if __name__ == "__main__":
    main()
