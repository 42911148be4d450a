"""Compile time and per-sweep time of the seed triangle's 201-point I-V curve (issue 9).

The model is ``examples/triangle.toml`` (three spinless orbitals with hoppings, a substrate and an
STM tip whose chemical potential is the bias ``V``; 8 states).  Measured:

* compile, in this process: ``load_model(path)`` and ``.compile()`` timed separately, repeated
  ``--compiles`` times twice over: "cold", with SymPy's cache cleared before each repeat
  (``sympy.core.cache.clear_cache``, so every repeat derives the model afresh), and "warm", with
  the cache kept (the issue's 125-135 ms before the rewrite is this warm figure); medians (and
  minima) are reported;
* compile, in a fresh process: one ``python -c`` child that imports ``symbolic_pme.files.model_file``
  (timed apart) and then times ``load_model(path).compile()`` once, as a new user's first call;
* the sweep after compile: ``compiled.sweep({"V": numpy.linspace(-1, 1, 201)})``.  The first call
  (which may allocate reusable work arrays) is reported separately; then the sweep and the floor
  are timed alternately ``--repeats`` times and the medians are reported, with the median of the
  per-repeat ratios (alternating keeps a shared host's drift out of the ratio, as in
  benchmarks/triangle_map.py);
* the floor: a bare batched ``numpy.linalg.solve`` of 201 random, well-conditioned 8 x 8 systems
  (any Pauli solver must at least solve those).

Targets (issue 9): at most 0.5 ms per sweep after compile (the issue quotes 1.5 ms before the
rewrite, about QmeQ's time, and a floor of 0.14 ms), compile at most 100 ms (quoted before:
125-135 ms).  The compile target is checked against the in-process medians of load + compile,
cold and warm (a PASS on both is a PASS).

On a shared host the medians drift with the neighbours' load (the load average is printed at the
start and the end); ``--threads 1`` keeps BLAS from spinning on a busy second core.

Run:  python benchmarks/triangle_iv.py [--points N] [--repeats R] [--compiles C] [--model PATH]
                                       [--threads T]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

MODEL = Path(__file__).resolve().parent.parent / "examples" / "triangle.toml"
SWEEP_TARGET = 0.5e-3
QUOTED_FLOOR = 0.14e-3  # issue 9's floor of the same sweep, quoted beside its target
COMPILE_TARGET = 0.100

FRESH_CHILD = """
import json, sys, time
start = time.perf_counter()
from symbolic_pme.files.model_file import load_model
imported = time.perf_counter()
model = load_model(sys.argv[1])
loaded = time.perf_counter()
model.compile()
compiled = time.perf_counter()
print(json.dumps({"import": imported - start, "load": loaded - imported, "compile": compiled - loaded}))
"""


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def elapsed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=201, help="bias points of the sweep (default 201)")
    parser.add_argument("--repeats", type=int, default=300, help="alternating sweep/floor repeats (default 300)")
    parser.add_argument("--compiles", type=int, default=7, help="in-process compiles, cold and warm each (default 7)")
    parser.add_argument("--model", default=str(MODEL), help="model file (default examples/triangle.toml)")
    parser.add_argument("--timeout", type=float, default=300.0, help="timeout of the fresh-process child (s)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS threads (sets OMP/OPENBLAS/MKL_NUM_THREADS here and in the child; default: inherit)",
    )
    args = parser.parse_args()
    if args.threads is not None:  # before NumPy is imported
        os.environ.update({name: str(args.threads) for name in THREAD_VARIABLES})
    import numpy as np
    import sympy

    from symbolic_pme.files.model_file import load_model

    load = os.getloadavg()
    from symbolic_pme.numeric.loops import COMPILED

    print(f"triangle I-V: {args.model}, {args.points} bias points")
    print(f"compiled loops (numeric/_loops.c): {'in use' if COMPILED else 'NOT in use: the NumPy versions run'}")
    threads = ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in THREAD_VARIABLES[:2])
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1/5/15 min); "
        f"{threads}",
        flush=True,
    )

    # ---------------------------------------------------------------- compile, in this process
    def compile_repeats(cold: bool) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {"load": [], "compile": [], "total": []}
        for _ in range(args.compiles):
            if cold:
                sympy.core.cache.clear_cache()
            start = time.perf_counter()
            try:
                model = load_model(args.model)
                middle = time.perf_counter()
                model.compile()
            except Exception as error:  # noqa: BLE001 - report, do not crash, while the core is rewritten
                message = (str(error).splitlines() or [""])[0][:300]
                print(f"FAIL: load_model/compile raised {type(error).__name__}: {message}")
                raise SystemExit(1) from None
            end = time.perf_counter()
            times["load"].append(middle - start)
            times["compile"].append(end - middle)
            times["total"].append(end - start)
        return times

    cold = compile_repeats(cold=True)
    warm = compile_repeats(cold=False)
    solver = load_model(args.model).compile()

    # ---------------------------------------------------------------- compile, in a fresh process
    try:
        child = subprocess.run(
            [sys.executable, "-c", FRESH_CHILD, args.model],
            capture_output=True,
            text=True,
            timeout=args.timeout,
            check=False,
        )
        fresh = json.loads(child.stdout.strip().splitlines()[-1]) if child.returncode == 0 else None
        fresh_error = None if fresh else (child.stderr.strip().splitlines() or ["(no message)"])[-1]
    except subprocess.TimeoutExpired:
        fresh, fresh_error = None, f"timeout after {args.timeout:g} s"

    # ---------------------------------------------------------------- sweep after compile
    axes = {"V": np.linspace(-1.0, 1.0, args.points)}
    start = time.perf_counter()
    result = solver.sweep(axes)
    first_call = time.perf_counter() - start
    try:  # a light sanity check: the two leads' currents cancel
        currents = result.currents["charge"]
        residual = float(np.max(np.abs(sum(np.asarray(v) for v in currents.values()))))
    except Exception:  # noqa: BLE001 - the result's layout may change while the core is rewritten
        residual = float("nan")

    rng = np.random.default_rng(0)
    matrices = rng.random((args.points, 8, 8)) + 8 * np.eye(8)
    rhs = rng.random((args.points, 8, 1))
    floors, sweeps = [], []
    for _ in range(args.repeats):
        floors.append(elapsed(lambda: np.linalg.solve(matrices, rhs)))
        sweeps.append(elapsed(lambda: solver.sweep(axes)))
    floors_a, sweeps_a = np.array(floors), np.array(sweeps)
    sweep_median, floor_median = float(np.median(sweeps_a)), float(np.median(floors_a))
    ratio = float(np.median(sweeps_a / floors_a))

    print()
    for title, times in (("cold: SymPy cache cleared before each", cold), ("warm: SymPy cache kept", warm)):
        print(f"compile, in this process, {title}; median of {args.compiles}:")
        rows = (
            ("load", "load_model (file -> exact model):"),
            ("compile", ".compile() (exact model -> kernel):"),
            ("total", "load + compile:"),
        )
        for key, text in rows:
            print(f"  {text:<36} {ms(float(np.median(times[key])))}   (min {ms(min(times[key])).strip()})")
    if fresh:
        print("compile, in a fresh process (one run):")
        print(f"  import symbolic_pme.files.model_file:       {ms(fresh['import'])}")
        print(
            f"  load_model + .compile():              {ms(fresh['load'] + fresh['compile'])}"
            f"   (load {ms(fresh['load']).strip()}, compile {ms(fresh['compile']).strip()})"
        )
    else:
        print(f"compile, in a fresh process: failed ({fresh_error})")
    print(f"sweep of {args.points} points after compile:")
    print(f"  first call (allocates work arrays):   {ms(first_call)}")
    print(
        f"  sweep, median of {args.repeats}:{'':<{18 - len(str(args.repeats))}}{ms(sweep_median)}"
        f"   (min {ms(float(sweeps_a.min())).strip()}; {sweep_median / args.points * 1e6:.2f} us/point)"
    )
    print(
        f"  floor: batched numpy.linalg.solve:    {ms(floor_median)}"
        f"   (min {ms(float(floors_a.min())).strip()}; {args.points} systems of 8 x 8)"
    )
    print(f"  ratio sweep / floor (median):         {ratio:8.2f}")
    print(f"  check: max |I_substrate + I_tip|:     {residual:.2e}")

    print()
    print("Targets (issue 9; quoted there before the rewrite: sweep 1.5 ms, floor 0.14 ms, compile 125-135 ms):")
    verdict = "PASS" if sweep_median <= SWEEP_TARGET else "FAIL"
    print(f"  {verdict:<5} {args.points}-point I-V sweep after compile <= 0.5 ms    {ms(sweep_median).strip()}")
    # the same target in units of the floor, which drifts with the machine as the sweep does
    implied = SWEEP_TARGET / QUOTED_FLOOR
    print(
        f"        (in floors: the issue's 0.5 ms over its quoted 0.14 ms floor is {implied:.1f}x; "
        f"measured median ratio {ratio:.2f}x)"
    )
    for title, times in (("cold", cold), ("warm", warm)):
        median = float(np.median(times["total"]))
        verdict = "PASS" if median <= COMPILE_TARGET else "FAIL"
        print(f"  {verdict:<5} compile, {title} (load_model + .compile, median) <= 100 ms  {ms(median).strip()}")
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
