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

QmeQ's recorded times come from another run, on a machine whose speed swings by up to 2x within
minutes (the same code took 0.94-1.85 ms here in one hour).  With ``--qmeq PYTHON`` (an
interpreter with QmeQ 1.1, made by ``benchmarks/install_qmeq.sh``) QmeQ is also timed live, the
same loop as the files record (``benchmarks/qmeq_worker.py``), beside ours repeat by repeat, and the
ratios to its live times are printed too: measured in one run, both sides in the same phase of
the machine.  Its currents are checked against ours (to 1e-4) so that both time the same model.
QmeQ's timed loop follows its untimed ``Builder()``; with ``--qmeq`` ours likewise follows the
untimed compile of a model from its file (thrown away: the timed sweep is the kept model's, with
nothing memoised).  Without it our sweep would start on the caches QmeQ's process has just used:
right after a QmeQ run it took 2.3-2.5 ms instead of 1.2-1.7 ms (medians, random_spinless_4,
Lindblad); after the compile 1.8-2.2 ms.

Run:  OPENBLAS_NUM_THREADS=1 python benchmarks/coherent_map.py [--points N] [--repeats R] [--qmeq PYTHON]
(single-threaded BLAS, as QmeQ's timings are).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
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


class LiveQmeQ:
    """QmeQ timed on request in its own interpreter (``qmeq_worker.py``)."""

    def __init__(self, python: str) -> None:
        worker = Path(__file__).with_name("qmeq_worker.py")
        self._process = subprocess.Popen(
            [python, str(worker)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def timed(self, model: Path, kerntype: str, itype: int) -> dict:
        request = {"model": str(model), "kerntype": kerntype, "itype": itype}
        self._process.stdin.write(json.dumps(request) + "\n")
        self._process.stdin.flush()
        return json.loads(self._process.stdout.readline())

    def close(self) -> None:
        self._process.stdin.close()
        self._process.wait()


def check_currents(data: dict, result, live: list) -> None:
    """Our currents of each lead against QmeQ's (its channels summed), to 1e-4 of the largest (QmeQ's
    principal parts are quadratures, ours closed forms: they differ by up to 1e-7 of the current)."""
    channels = np.array(live)
    for lead, members in data["params"]["physical_leads"].items():
        theirs = channels[:, members].sum(axis=1)
        if not np.allclose(result.current[lead], theirs, rtol=0, atol=1e-4 * np.abs(theirs).max()):
            difference = np.abs(result.current[lead] - theirs).max()
            raise SystemExit(f"QmeQ's live {lead} current differs from ours by {difference:.1e}: not the same model")


def random_models(repeats: int, qmeq: LiveQmeQ | None = None, names: tuple[str, ...] = MODELS) -> None:
    print("random reference models, 11 bias points: ours (sweep, nothing memoised) / QmeQ loop_s")
    live_columns = "  QmeQ live best  median  ratio best  median" if qmeq else ""
    print(
        f"  {'model':18s} {'approach':8s} itype  best s  median s  QmeQ loop    wall  ratio best  median{live_columns}"
    )
    worst = {"best": 0.0, "median": 0.0}
    worst_live = {"best": 0.0, "median": 0.0}
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
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
            for approach, itype, key in cases:
                options = {"approach": approach, "principal_parts": itype == 0}
                model = models[0 if itype == 0 else 2]
                result = model.sweep({"V": biases}, **options)  # index maps of this kind
                runs[approach, itype] = (model, options, [], [])
                if qmeq:  # the same model on both sides: the currents agree
                    check_currents(data, result, qmeq.timed(REFERENCE / f"{name}.json", key, itype)["current"])
            for _ in range(repeats):  # interleaved: a drift in the machine's speed hits every case alike
                for (approach, itype, key), (model, options, seconds, theirs) in zip(cases, runs.values()):
                    if qmeq:  # like QmeQ's timed loop, ours follows the untimed build of a model
                        load_model(REFERENCE / f"{name}.toml").compile()
                    forget(model)
                    seconds.append(elapsed(lambda: model.sweep({"V": biases}, **options)))
                    if qmeq:
                        theirs.append(qmeq.timed(REFERENCE / f"{name}.json", key, itype)["loop_s"])
            for approach, itype, key in cases:
                timing = data["results"][f"{key}|dband=10000.0|itype={itype}"]["timing"]
                ours = {"best": min(runs[approach, itype][2]), "median": float(np.median(runs[approach, itype][2]))}
                ratio = {kind: seconds / timing["loop_s"] for kind, seconds in ours.items()}
                line = (
                    f"  {'':18s} {approach:8s} {itype:5d} {ours['best']:7.4f} {ours['median']:9.4f} "
                    f"{timing['loop_s']:10.4f} {timing['wall_s']:7.4f} {ratio['best']:11.2f} {ratio['median']:7.2f}"
                )
                if qmeq:  # per repeat, ours over theirs timed right after it
                    theirs = np.array(runs[approach, itype][3])
                    pairs = np.array(runs[approach, itype][2]) / theirs
                    live = {"best": min(runs[approach, itype][2]) / theirs.min(), "median": float(np.median(pairs))}
                    line += f" {theirs.min():15.4f} {np.median(theirs):7.4f} {live['best']:11.2f} {live['median']:7.2f}"
                if approach != "pauli":
                    worst = {kind: max(worst[kind], ratio[kind]) for kind in worst}
                    if qmeq:
                        worst_live = {kind: max(worst_live[kind], live[kind]) for kind in worst}
                print(line)
    print(
        f"  largest ratio of a coherent approach: {worst['best']:.2f} best, {worst['median']:.2f} median (target < 1)"
    )
    if qmeq:
        print(
            f"  largest ratio to QmeQ timed live: {worst_live['best']:.2f} best to best, "
            f"{worst_live['median']:.2f} median of the per-repeat ratios (target < 1)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--qmeq", metavar="PYTHON", help="an interpreter with QmeQ 1.1: time it live beside ours")
    parser.add_argument("--skip-triangle", action="store_true", help="only the random reference models")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS, help="the random models to time")
    options = parser.parse_args()
    if not options.skip_triangle:
        triangle(options.points, options.repeats)
    qmeq = LiveQmeQ(options.qmeq) if options.qmeq else None
    try:
        random_models(options.repeats, qmeq, tuple(options.models))
    finally:
        if qmeq:
            qmeq.close()


if __name__ == "__main__":
    main()
