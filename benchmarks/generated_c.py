"""The generated C solver of the triangle against the package's batched kernel (issue 13).

The model is ``examples/triangle.toml`` (8 states, two mixed 3 x 3 blocks, substrate and tip).
Measured in one run, on a 100 x 100 grid of tip bias V in [-1, 1] and temperature T in [0.05, 0.2]
(10^4 points):

* the generated C (``symbolic_pme.generate``, compiled with ``cc -std=c99 -O2`` as a shared
  library): one ctypes call of ``triangle_solve_points`` over all points, so that the per-point
  time is the C code's own (a Jacobi diagonalization of both blocks, 60 rates, GTH and the
  currents at every point);
* the package: ``compiled.sweep({"V": ..., "T": ...})`` after compiling (which diagonalizes the
  constant blocks once and batches everything else over the grid);
* QmeQ 1.1's Pauli solver: the 8.3 us per point quoted in issue 13 (not run here).

Both are repeated ``--repeats`` times, alternately; medians are printed per point.

Run:  python benchmarks/generated_c.py [--repeats R] [--side N]
"""

from __future__ import annotations

import argparse
import ctypes
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from symbolic_pme.files.model_file import load_model
from symbolic_pme.generate import generate

MODEL = Path(__file__).resolve().parent.parent / "examples" / "triangle.toml"
QMEQ_PER_POINT = 8.3e-6


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeats", type=int, default=15)
    options.add_argument("--side", type=int, default=100, help="grid side (side^2 points)")
    arguments = options.parse_args()
    compiler = shutil.which("cc")
    if compiler is None:
        raise SystemExit("no C compiler (cc): nothing to measure")
    side = arguments.side
    biases, temperatures = np.linspace(-1, 1, side), np.linspace(0.05, 0.2, side)
    points = side * side
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "triangle.c"
        generated = generate(MODEL, language="c", output=source)
        library = Path(folder) / "libtriangle.so"
        subprocess.run(
            [compiler, "-std=c99", "-O2", "-shared", "-fPIC", str(source), "-o", str(library), "-lm"], check=True
        )
        solver = ctypes.CDLL(str(library))
        pointer = ctypes.POINTER(ctypes.c_double)
        solve_points = solver.triangle_solve_points
        solve_points.argtypes = [ctypes.c_long, pointer, pointer, pointer]
        grid_v, grid_t = np.meshgrid(biases, temperatures, indexing="ij")
        params = np.ascontiguousarray(np.stack([grid_v.ravel(), grid_t.ravel()], axis=1))
        probabilities, currents = np.empty((points, 8)), np.empty((points, 6))
        arguments_c = [a.ctypes.data_as(pointer) for a in (params, probabilities, currents)]

        compiled = load_model(MODEL).compile()
        axes = {"V": biases, "T": temperatures}
        package = compiled.sweep(axes)  # warm-up (work arrays, memos)
        assert solve_points(points, *arguments_c) == 0
        c_current = currents[:, 1].reshape(side, side)
        worst = np.max(np.abs(c_current - package.current["tip"]) / np.abs(package.current["tip"]).max())
        c_times, package_times = [], []
        for _ in range(arguments.repeats):
            start = time.perf_counter()
            solve_points(points, *arguments_c)
            c_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            compiled.sweep(axes)
            package_times.append(time.perf_counter() - start)
    c_point, package_point = statistics.median(c_times) / points, statistics.median(package_times) / points
    print(f"triangle, {side} x {side} grid (V x T), {arguments.repeats} repeats, medians per point:")
    print(f"  generated C (cc -O2, one call):   {c_point * 1e6:6.2f} us   ({generated.note})")
    print(f"  symbolic_pme batched kernel:      {package_point * 1e6:6.2f} us")
    print(f"  QmeQ 1.1 (issue 13):              {QMEQ_PER_POINT * 1e6:6.2f} us")
    print(
        f"  C / package {c_point / package_point:.2f}, C / QmeQ {c_point / QMEQ_PER_POINT:.2f}; "
        f"tip current of C vs package: largest deviation {worst:.1e} of its largest value"
    )


if __name__ == "__main__":
    main()
