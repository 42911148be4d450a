"""Speed of the coherent approaches: the triangle's 100 x 100 map and the random reference models.

1. The gated triangle of ``benchmarks/triangle_map.py`` (gate x tip bias, 100 x 100 points):
   Pauli, Redfield and 1vN maps in one run, each the best of a few repeats (steady state and the
   particle, energy and heat currents of both leads).
2. The random models of ../shared/reference (16 and 64 states, 11 bias points) per approach,
   beside QmeQ's time recorded in each file (``timing.wall_s``: Builder plus the 11-point loop,
   single-threaded).  Ours excludes compiling the model (done once) and is the best of a few
   repeats of ``sweep({"V": ...}, approach=...)``.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/coherent_map.py [--points N] [--repeats R]
(single-threaded BLAS, as QmeQ's timings are; on a shared machine multi-threaded BLAS mostly
waits for the other core).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from triangle_map import triangle_model  # noqa: I001 - the benchmark folder is on sys.path when run

from symbolic_pme.files.model_file import load_model

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
MODELS = ("random_spinless_4", "random_spinful_2", "random_spinless_6", "random_spinful_3")
QMEQ = {"lindblad": "Lindblad", "redfield": "Redfield", "1vn": "1vN"}


def best(function, repeats: int) -> float:
    """The shortest of ``repeats`` wall times of ``function()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    options = parser.parse_args()
    compiled = triangle_model().compile()
    axes = {"gate": np.linspace(-0.6, 0.4, options.points), "V": np.linspace(-1, 1, options.points)}
    print(f"triangle {options.points} x {options.points} map")
    for approach in ("pauli", "redfield", "1vn"):
        compiled.sweep(axes, approach=approach)  # first call: work arrays, memoised eigensystems
        seconds = best(lambda: compiled.sweep(axes, approach=approach), options.repeats)
        print(f"  {approach:8s} {seconds:8.3f} s  ({1e6 * seconds / options.points**2:.1f} us per point)")
    print("random reference models, 11 points: ours / QmeQ (wall s)")
    for name in MODELS:
        data = json.loads((REFERENCE / f"{name}.json").read_text())
        model = load_model(REFERENCE / f"{name}.toml").compile()
        biases = np.array(data["params"]["sweep_values"])
        for approach, key in QMEQ.items():
            qmeq = data["results"][f"{key}|dband=10000.0|itype=2"]["timing"]["wall_s"]
            model.sweep({"V": biases}, approach=approach)
            seconds = best(lambda: model.sweep({"V": biases}, approach=approach), options.repeats)
            print(f"  {name:18s} {approach:8s} {seconds:8.4f}  QmeQ {qmeq:8.4f}  ratio {seconds / qmeq:6.2f}")


if __name__ == "__main__":
    main()
