"""Speed of the coherent approaches: the triangle's 100 x 100 map and the random reference models.

1. The gated triangle of ``benchmarks/triangle_map.py`` (gate x tip bias, 100 x 100 points):
   Pauli, Redfield and 1vN maps in one run (steady state and the particle, energy and heat
   currents of both leads), timed alternately repeat by repeat; the ratios to Pauli are the
   medians of the per-repeat ratios (a shared machine drifts in speed within seconds).
2. The random models of ../shared/reference (16 and 64 states, 11 bias points) per approach,
   beside QmeQ's time recorded in each file.  What QmeQ's ``timing`` covers (its ``what``):
   ``Builder()`` (``build_s``) plus 11 x ``(change(mulst) + solve())`` (``loop_s``), the first
   solve diagonalising, the others not, single-threaded.  Ours, like with like: one
   ``sweep({"V": 11 values}, approach=...)`` of the compiled model with nothing memoised (the
   eigensystems, amplitudes and stacked link arrays are forgotten before each repeat, so it
   diagonalizes once, as QmeQ's first solve does), best and median of the repeats (a shared
   machine's speed varies by tens of percent from run to run); the ratios are to QmeQ's
   ``loop_s`` (neither includes building the model: our symbolic compile, printed once per
   model, and the coherent index maps, built on the first coherent solve and printed too, are
   one-off costs like QmeQ's Builder, whose ``wall_s`` is printed beside).  ``itype=2``
   (principal parts neglected) is our default; ``itype=0`` (QmeQ's principal values over
   ``dband = 1e4`` by quadrature) is compared with ``principal_parts=True`` on the same model
   with every lead given the band [-1e4, 1e4] (our principal values are closed-form).  Each
   model's Pauli sweep is timed beside, for scale, against QmeQ's Pauli (``itype=3``); the cases
   of a model are timed alternately, repeat by repeat.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/coherent_map.py [--points N] [--repeats R]
(single-threaded BLAS, as QmeQ's timings are).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

import numpy as np
from symbolic_pme.numeric.coherent_steady import coherent_kernel
from triangle_map import triangle_model  # noqa: I001 - the benchmark folder is on sys.path when run

from symbolic_pme.files.model_file import load_model

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference"
MODELS = ("random_spinless_4", "random_spinful_2", "random_spinless_6", "random_spinful_3")
QMEQ = {"lindblad": "Lindblad", "redfield": "Redfield", "1vn": "1vN"}


def forget(compiled) -> None:
    """Drop what the compiled model memoises between calls (eigensystems, amplitudes, energies)."""
    for value in vars(compiled.blocks).values():
        if hasattr(value, "get") and hasattr(value, "_key"):
            value._key = None


def elapsed(function) -> float:
    """Wall time of ``function()`` in seconds, with nothing memoised."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def triangle(points: int, repeats: int) -> None:
    compiled = triangle_model().compile()
    axes = {"gate": np.linspace(-0.6, 0.4, points), "V": np.linspace(-1, 1, points)}
    approaches = ("pauli", "redfield", "1vn")
    times: dict[str, list[float]] = {a: [] for a in approaches}
    for approach in approaches:
        compiled.sweep(axes, approach=approach)  # first call: work arrays and index maps
    for _ in range(repeats):
        for approach in approaches:
            forget(compiled)
            times[approach].append(elapsed(lambda: compiled.sweep(axes, approach=approach)))
    pauli = np.array(times["pauli"])
    print(f"triangle {points} x {points} map, best of {repeats}, nothing memoised")
    for approach in approaches:
        seconds = min(times[approach])
        ratio = float(np.median(np.array(times[approach]) / pauli))
        print(f"  {approach:8s} {seconds:8.3f} s  {1e6 * seconds / points**2:7.1f} us/point  {ratio:6.1f} x Pauli")


def banded(path: Path, folder: Path) -> Path:
    """The model file with every lead given the band [-1e4, 1e4] (QmeQ's dband)."""
    target = folder / path.name
    target.write_text(re.sub(r"(\[\[lead\]\]\n)", r"\1band = [-1e4, 1e4]\n", path.read_text()))
    return target


def random_models(repeats: int) -> None:
    print("random reference models, 11 bias points: ours (sweep, nothing memoised) / QmeQ loop_s")
    print(f"  {'model':18s} {'approach':8s} itype  best s  median s  QmeQ loop    wall  ratio best  median")
    worst = {"best": 0.0, "median": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        for name in MODELS:
            data = json.loads((REFERENCE / f"{name}.json").read_text())
            biases = np.array(data["params"]["sweep_values"])
            start = time.perf_counter()
            models = {2: load_model(REFERENCE / f"{name}.toml").compile()}
            models[0] = load_model(banded(REFERENCE / f"{name}.toml", Path(folder))).compile()
            compile_time = (time.perf_counter() - start) / 2
            start = time.perf_counter()
            kernel = coherent_kernel(models[2].blocks)
            for rank, complex_sources in ((2, False), (3, False), (2, True), (3, True)):
                kernel.map.compressed(rank=rank, complex_sources=complex_sources)
            maps = time.perf_counter() - start
            print(
                f"  {name}: {len(models[2].states)} states, Liouville space {kernel.layout.size}; "
                f"compile {compile_time:.2f} s, index maps {1e3 * maps:.0f} ms (one-off)"
            )
            # the Pauli sweep for scale (QmeQ's Pauli, itype 3), then every coherent approach
            cases = [("pauli", 3, "Pauli")] + [
                (approach, itype, key)
                for itype in (2, 0)
                for approach, key in QMEQ.items()
                if not (itype == 0 and approach == "lindblad")  # QmeQ's Lindblad has no principal parts
            ]
            runs = {}
            for approach, itype, _ in cases:
                options = {"approach": approach, "principal_parts": itype == 0}
                model = models[0 if itype == 0 else 2]
                model.sweep({"V": biases}, **options)  # index maps of this kind
                runs[approach, itype] = (model, options, [])
            for _ in range(repeats):  # interleaved: a drift in the machine's speed hits every case alike
                for model, options, seconds in runs.values():
                    forget(model)
                    seconds.append(elapsed(lambda: model.sweep({"V": biases}, **options)))
            for approach, itype, key in cases:
                timing = data["results"][f"{key}|dband=10000.0|itype={itype}"]["timing"]
                ours = {"best": min(runs[approach, itype][2]), "median": float(np.median(runs[approach, itype][2]))}
                ratio = {kind: seconds / timing["loop_s"] for kind, seconds in ours.items()}
                if approach != "pauli":
                    worst = {kind: max(worst[kind], ratio[kind]) for kind in worst}
                print(
                    f"  {'':18s} {approach:8s} {itype:5d} {ours['best']:7.4f} {ours['median']:9.4f} "
                    f"{timing['loop_s']:10.4f} {timing['wall_s']:7.4f} {ratio['best']:11.2f} {ratio['median']:7.2f}"
                )
    print(
        f"  largest ratio of a coherent approach: {worst['best']:.2f} best, {worst['median']:.2f} median (target < 1)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    options = parser.parse_args()
    triangle(options.points, options.repeats)
    random_models(options.repeats)


if __name__ == "__main__":
    main()
