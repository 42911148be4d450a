"""End-to-end speed and memory on random dots of 16 to 16 384 many-body states (issue 9).

What is measured.  Random dots with all-pairs Coulomb and two leads (benchmarks/random_models.py:
the draw of ../shared/reference/random_*.toml, NumPy ``default_rng(2026)``, hoppings on all
pairs): spinless n = 4, 6, 8, 10, 12, 14 orbitals and spinful 2 ... 7 orbitals.  For each model one
end-to-end steady-state solve in a FRESH Python process (this script with ``--child``), the wall
time of each stage taken inside the child with ``time.perf_counter``:

* import  -- ``import numpy, symbolic_pme.files.model_file, symbolic_pme.numeric`` (reported, not
  counted in the total: ``import symbolic_pme`` no longer imports the numeric layer, so it is
  imported here explicitly, as before);
* build   -- ``symbolic_pme.files.model_file.load_model(path)`` (file -> exact TransportModel);
* compile -- ``.compile()`` (symbolic model -> numeric kernel);
* solve   -- ``.solve(V=0.3)`` (one steady state with the currents);

"total" is build + compile + solve.  "peak" is the child's peak resident set size over its whole
life (``ru_maxrss``, KiB on Linux, of the child as reaped by ``os.wait4``; it includes the
interpreter and the imports, as a fresh-process figure of any tool does).  A further model,
``sweep-spinless-10``, times one 101-point bias sweep ``.sweep({"V": linspace(-1, 1, 101)})``
after compile (build and compile are reported beside it).

The floor, measured in the same run (in its own fresh child per model): the batched
``numpy.linalg.eigh`` of the model's Hamiltonian blocks (charge blocks; (charge, S_z) blocks with
spin), built here with NumPy directly from the TOML file (Jordan-Wigner signs of DESIGN.md; blocks
of one size are stacked into one batched call), plus one dense LU (``scipy.linalg.lu_factor``) of
a random diagonally dominant matrix of the size of the largest charge block (the largest diagonal
block of the generator in charge order: S_z blocks are coupled by the rates).  Building the blocks
is not part of the floor.  Each floor part is the best of up to 7 repeats within about 3 s (one
for big blocks): on a shared 2-core host a single eigh can take many times its quiet-machine time.

Printed beside QmeQ 1.1's figures as QUOTED in issue 9's table (one steady-state solve, fresh
process, these 2-core machines; not measured here), with the ratios total/floor, QmeQ time / ours
and our peak memory / QmeQ's, and the issue's targets with PASS/FAIL.

Safety.  Each child runs under a wall-clock timeout (``--timeout``, default 300 s; the child is
killed) and an address-space cap (``resource.setrlimit(RLIMIT_AS)``, ``--memory-cap``, default
20 GiB or 80 % of physical memory if less), so a runaway model is reported as "timeout" or
"failed: MemoryError ..." instead of taking the machine down.  ``--max-states N`` skips the big
models (``--max-states 64`` is a quick run today).

A fresh-process figure is one run: on a shared host it drifts with the neighbours' load (printed at
the start and the end); ``--threads 1`` keeps BLAS from spinning on a busy second core.

Run:  python benchmarks/scaling.py [--only NAME ...] [--timeout S] [--max-states N] [--threads T]
                                   [--memory-cap GIB] [--floor-only | --no-floor]
                                   [--models-dir DIR] [--json PATH]
      names: spinless-4 ... spinless-14, spinful-2 ... spinful-7, sweep-spinless-10
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_models import model_states, random_model_toml

GIB = 1024**3
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
SWEEP_POINTS = 101
BIAS = 0.3


@dataclass(frozen=True)
class Case:
    name: str
    orbitals: int
    spin: bool
    kind: str = "solve"  # "solve" or "sweep"

    @property
    def states(self) -> int:
        return model_states(self.orbitals, spin=self.spin)

    @property
    def model_name(self) -> str:
        return f"{'spinful' if self.spin else 'spinless'}-{self.orbitals}"


CASES = (
    [Case(f"spinless-{n}", n, False) for n in (4, 6, 8, 10, 12, 14)]
    + [Case(f"spinful-{n}", n, True) for n in range(2, 8)]
    + [Case("sweep-spinless-10", 10, False, "sweep")]
)

# QmeQ 1.1 as QUOTED in issue 9's table (seconds, MiB); None = not given there.  Not measured here.
# "cannot": the issue says QmeQ cannot run it (its dense arrays need about 18 GiB).
QMEQ: dict[str, tuple[object, object]] = {
    "spinless-4": (1.6e-3, None),
    "spinless-6": (5.7e-3, 72.0),
    "spinless-8": (48e-3, 81.0),
    "spinless-10": (0.8, 175.0),
    "spinless-12": ((11.0, 15.0), 1.3 * 1024),
    "spinless-14": ("cannot", "cannot"),
    "spinful-3": (13e-3, None),
    "spinful-4": (103e-3, None),
    "spinful-6": (12.0, 2.0 * 1024),
    "spinful-7": ("cannot", "cannot"),
}

# Issue 9's targets: (case, quantity, limit, text).  quantity: "total" (s), "peak" (MiB), "sweep" (s).
TARGETS = [
    ("spinless-12", "total", 2.5, "spinless 12 (4096 states) end to end <= 2.5 s"),
    ("spinless-12", "peak", 400.0, "spinless 12 (4096 states) peak <= 400 MiB"),
    ("spinful-6", "total", 1.0, "spinful 6 (4096 states, S_z blocks) end to end <= 1 s"),
    ("spinless-14", "total", 120.0, "spinless 14 (16384 states) end to end <= 120 s"),
    ("spinless-14", "peak", 4096.0, "spinless 14 (16384 states) peak <= 4 GiB"),
    ("spinful-7", "total", 120.0, "spinful 7 (16384 states) end to end <= 120 s"),
    ("spinful-7", "peak", 4096.0, "spinful 7 (16384 states) peak <= 4 GiB"),
    ("sweep-spinless-10", "sweep", 3.0, f"spinless 10 {SWEEP_POINTS}-point bias sweep <= 3 s"),
]


# ==================================================================================================
# Child side: runs in a fresh process, writes one JSON line per finished stage to --report
# ==================================================================================================


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


class _Reporter:
    def __init__(self, path: str):
        self.stream = open(path, "a", encoding="utf-8")

    def write(self, **record) -> None:
        record.setdefault("peak_mib", _peak_mib())
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()

    def stage(self, name: str, function):
        start = time.perf_counter()
        try:
            value = function()
        except BaseException as error:  # MemoryError, KeyboardInterrupt, anything: report and stop
            message = str(error).splitlines()[0][:300] if str(error) else ""
            self.write(stage=name, seconds=time.perf_counter() - start, error=f"{type(error).__name__}: {message}")
            raise SystemExit(1) from None
        self.write(stage=name, seconds=time.perf_counter() - start)
        return value


def _limit_memory(cap_bytes: int) -> None:
    import resource

    if cap_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (cap_bytes, cap_bytes))


def child_solve(model: str, report: _Reporter, sweep: bool) -> None:
    def imports():
        import numpy  # noqa: F401

        import symbolic_pme.files.model_file
        import symbolic_pme.numeric  # noqa: F401  (the numeric layer; lazy since issue 15)

        return symbolic_pme.files.model_file

    model_file = report.stage("import", imports)
    loaded = report.stage("build", lambda: model_file.load_model(model))
    compiled = report.stage("compile", loaded.compile)
    if sweep:
        result = report.stage("sweep", lambda: compiled.sweep({"V": np.linspace(-1.0, 1.0, SWEEP_POINTS)}))
    else:
        result = report.stage("solve", lambda: compiled.solve(V=BIAS))
    try:  # a light sanity check; the result's layout may change while the core is rewritten
        probabilities = np.asarray(result.probabilities)
        check = {"sum_P_minus_1": float(np.max(np.abs(probabilities.sum(axis=-1) - 1.0)))}
        charge = result.currents.get("charge", {})
        if charge:
            total = sum(np.asarray(v) for v in charge.values())
            scale = max(float(np.max(np.abs(v))) for v in charge.values())
            check["sum_I_over_max_I"] = float(np.max(np.abs(total))) / scale if scale else 0.0
    except Exception as error:  # noqa: BLE001
        check = {"unavailable": f"{type(error).__name__}: {error}"[:200]}
    report.write(stage="check", seconds=0.0, **check)


def hamiltonian_blocks(document: dict) -> tuple[list[np.ndarray], list[int]]:
    """Numeric Hamiltonian blocks of a model file (numbers only), NumPy only.

    Returns the blocks (charge blocks, or (charge, S_z) blocks with spin) and the charge-block
    sizes.  Conventions of DESIGN.md: mode 0 is the most significant bit, d_m^+ carries
    (-1)^(sum_{j<m} n_j); with spin all spin-up modes first (orbital i up = mode i, down = n + i).
    """
    system = document["system"]
    orbitals = system["orbitals"]
    names = [str(i) for i in range(orbitals)] if isinstance(orbitals, int) else list(orbitals)
    spin = bool(system.get("spin", False))
    n = len(names)
    modes = 2 * n if spin else n
    index = {name: i for i, name in enumerate(names)}

    def modes_of(name: str) -> list[int]:
        if name in index:
            return [index[name], n + index[name]] if spin else [index[name]]
        orbital, _, kind = name.rpartition("_")
        return [index[orbital] + (n if kind == "down" else 0)]

    def number(value) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"floor: only numeric Hamiltonian values are supported, got {value!r}")
        return float(value)

    states = np.arange(2**modes, dtype=np.int64)
    bits = [(states >> (modes - 1 - m)) & 1 for m in range(modes)]  # occupation of each mode
    diagonal = np.zeros(states.size)
    for name, value in document.get("onsite", {}).items():
        for m in modes_of(name):
            diagonal += number(value) * bits[m]
    for entry in document.get("coulomb", []):
        i, j = entry["orbitals"]
        u = number(entry["value"])
        if i == j:  # Hubbard U n_up n_down
            up, down = modes_of(i)
            diagonal += u * bits[up] * bits[down]
        else:
            for a in modes_of(i):
                for b in modes_of(j):
                    diagonal += u * bits[a] * bits[b]
    hoppings = []
    for entry in document.get("hopping", []):
        i, j = entry["orbitals"]
        value = number(entry["value"])
        hoppings += [(p, q, value) for p, q in zip(modes_of(i), modes_of(j))]

    charge = np.bitwise_count(states.astype(np.uint64)).astype(np.int64)
    if spin:
        up_mask = ((1 << n) - 1) << n  # modes 0..n-1 are the high bits
        n_up = np.bitwise_count((states & up_mask).astype(np.uint64)).astype(np.int64)
        key = charge * (modes + 1) + (2 * n_up - charge)  # (N, 2 S_z)
    else:
        key = charge
    position = np.empty(states.size, dtype=np.int64)
    blocks = []
    for k in np.unique(key):
        members = states[key == k]
        position[members] = np.arange(members.size)
        block = np.diag(diagonal[members])
        for p, q, value in hoppings:  # value (d_p^+ d_q + d_q^+ d_p)
            for create, destroy in ((p, q), (q, p)):
                bit_c, bit_d = modes - 1 - create, modes - 1 - destroy
                ok = (((members >> bit_d) & 1) == 1) & ((((members >> bit_c) & 1) == 0) | (create == destroy))
                source = members[ok]
                middle = source ^ (1 << bit_d)
                target = middle | (1 << bit_c)
                # signs: modes j < m sit on the bits above bit(m)
                above_d = np.bitwise_count((source >> (bit_d + 1)).astype(np.uint64)).astype(np.int64)
                above_c = np.bitwise_count((middle >> (bit_c + 1)).astype(np.uint64)).astype(np.int64)
                sign = 1.0 - 2.0 * ((above_d + above_c) & 1)
                block[position[target], position[source]] += value * sign
        blocks.append(block)
    charge_sizes = [int(np.count_nonzero(charge == c)) for c in range(modes + 1)]
    return blocks, charge_sizes


def _best(function, repeats: int, budget: float) -> float:
    """Best time of up to ``repeats`` calls, stopping once ``budget`` seconds are spent."""
    times, spent = [], 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
        spent += times[-1]
        if spent > budget:
            break
    return min(times)


def child_floor(model: str, report: _Reporter) -> None:
    import scipy.linalg

    with open(model, "rb") as stream:
        document = tomllib.load(stream)
    blocks, charge_sizes = report.stage("blocks", lambda: hamiltonian_blocks(document))
    by_size: dict[int, list[np.ndarray]] = {}
    for block in blocks:
        by_size.setdefault(block.shape[0], []).append(block)
    stacks = [np.stack(group) for group in by_size.values()]

    def eigh_all():
        for stack in stacks:
            np.linalg.eigh(stack)

    eigh = report.stage("eigh", lambda: _best(eigh_all, 7, 3.0))
    largest = max(charge_sizes)
    rng = np.random.default_rng(0)
    matrix = rng.random((largest, largest)) + largest * np.eye(largest)
    lu = report.stage("lu", lambda: _best(lambda: scipy.linalg.lu_factor(matrix, check_finite=False), 7, 3.0))
    report.write(
        stage="floor",
        seconds=eigh + lu,
        eigh=eigh,
        lu=lu,
        blocks=len(blocks),
        largest_block=max(b.shape[0] for b in blocks),
        largest_charge_block=largest,
    )


def child_main(args: argparse.Namespace) -> None:
    _limit_memory(int(args.memory_cap * GIB))
    report = _Reporter(args.report)
    if args.child == "floor":
        child_floor(args.model, report)
    else:
        child_solve(args.model, report, sweep=args.child == "sweep")


# ==================================================================================================
# Parent side
# ==================================================================================================


@dataclass
class Run:
    status: str = "not run"  # "ok", "failed: ...", "timeout in <stage>", "killed by signal ..."
    stages: dict[str, dict] = field(default_factory=dict)
    wall: float = float("nan")  # the child process, start to exit, seen from here
    peak_mib: float = float("nan")

    def seconds(self, stage: str) -> float:
        return self.stages.get(stage, {}).get("seconds", float("nan")) if stage in self.stages else float("nan")

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def run_child(kind: str, model: Path, args: argparse.Namespace, workdir: Path) -> Run:
    report = workdir / f"{model.stem}.{kind}.report"
    errors = workdir / f"{model.stem}.{kind}.stderr"
    report.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--model",
        str(model),
        "--report",
        str(report),
        "--memory-cap",
        str(args.memory_cap),
    ]
    environment = dict(os.environ)
    if args.threads is not None:
        environment.update({name: str(args.threads) for name in THREAD_VARIABLES})
    start = time.perf_counter()
    with open(errors, "w", encoding="utf-8") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr, env=environment
        )
    timed_out = False
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > args.timeout:
            process.kill()
            pid, status, usage = os.wait4(process.pid, 0)
            timed_out = True
            break
        time.sleep(0.01)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, so Popen must not wait again
    run = Run(wall=time.perf_counter() - start, peak_mib=usage.ru_maxrss / 1024.0)
    records = [json.loads(line) for line in report.read_text().splitlines() if line.strip()] if report.exists() else []
    run.stages = {r["stage"]: r for r in records}
    failed = [r for r in records if "error" in r]
    order = ["import", "build", "compile", "solve", "sweep"] if kind != "floor" else ["blocks", "eigh", "lu"]
    pending = next((s for s in order if s not in run.stages), "the end")
    if timed_out:
        run.status = f"timeout in {pending} (> {args.timeout:g} s)"
    elif failed:
        run.status = f"failed in {failed[0]['stage']}: {failed[0]['error']}"
    elif process.returncode < 0:
        run.status = f"killed in {pending} by {signal.Signals(-process.returncode).name}"
    elif process.returncode != 0:
        tail = [line for line in errors.read_text().splitlines() if line.strip()][-1:] or ["(no message)"]
        run.status = f"failed (exit {process.returncode}): {tail[0][:200]}"
    else:
        run.status = "ok"
    return run


def _fmt_s(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "-"
    if seconds < 1e-2:
        return f"{seconds * 1e3:.2f} ms"
    if seconds < 1.0:
        return f"{seconds * 1e3:.0f} ms"
    return f"{seconds:.2f} s"


def _fmt_mib(mib: float) -> str:
    return "-" if mib != mib else f"{mib:.0f}"


def _fmt_ratio(value: float) -> str:
    if value != value:
        return "-"
    return f"{value:.3g}"


def _qmeq_seconds(value) -> tuple[str, float]:
    """(text, a number for ratios: the lower end of a quoted range, i.e. in QmeQ's favour)."""
    if value is None:
        return "-", float("nan")
    if isinstance(value, str):
        return value, float("nan")
    if isinstance(value, tuple):
        return f"{value[0]:g}-{value[1]:g} s", float(value[0])
    return _fmt_s(value), float(value)


def default_memory_cap() -> float:
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / GIB
    except (ValueError, OSError):
        return 20.0
    return round(min(20.0, 0.8 * physical), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [case.name for case in CASES]
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=names, help="run only these models")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per child process (default 300)")
    parser.add_argument("--max-states", type=int, default=None, metavar="N", help="skip models with more than N states")
    parser.add_argument(
        "--memory-cap",
        type=float,
        default=default_memory_cap(),
        metavar="GIB",
        help="address-space limit of each child in GiB (default: 20, or 80%% of RAM if less)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        metavar="T",
        help="BLAS threads of the children (sets OMP/OPENBLAS/MKL_NUM_THREADS; default: inherit)",
    )
    parser.add_argument("--no-floor", action="store_true", help="skip the eigh + LU floor")
    parser.add_argument("--floor-only", action="store_true", help="measure only the floors")
    parser.add_argument("--models-dir", help="write the model files here (default: a temporary folder)")
    parser.add_argument("--json", help="also write all measurements to this JSON file")
    parser.add_argument("--child", choices=["solve", "sweep", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return

    cases = [c for c in CASES if not args.only or c.name in args.only]
    skipped = [c for c in cases if args.max_states is not None and c.states > args.max_states]
    cases = [c for c in cases if c not in skipped]
    if args.floor_only and args.no_floor:
        parser.error("--floor-only and --no-floor exclude each other")

    load_before = os.getloadavg()
    print(
        f"scaling benchmark: {len(cases)} models, fresh process each; timeout {args.timeout:g} s, "
        f"memory cap {args.memory_cap:g} GiB per child"
    )
    threads = (
        f"{args.threads} (--threads)"
        if args.threads is not None
        else ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in THREAD_VARIABLES[:2])
    )
    print(
        f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} {load_before[1]:.2f} "
        f"{load_before[2]:.2f} (1/5/15 min); BLAS threads of the children: {threads}"
    )
    if skipped:
        print(f"skipped (more than {args.max_states} states): {', '.join(c.name for c in skipped)}")

    with tempfile.TemporaryDirectory(prefix="pme-scaling-") as scratch:
        workdir = Path(scratch)
        model_dir = Path(args.models_dir) if args.models_dir else workdir
        model_dir.mkdir(parents=True, exist_ok=True)
        runs: dict[str, Run] = {}
        floors: dict[str, Run] = {}
        for case in cases:
            path = model_dir / f"random_{case.model_name.replace('-', '_')}.toml"
            path.write_text(random_model_toml(case.orbitals, spin=case.spin))
            if case.kind == "solve" and not args.no_floor:
                floors[case.name] = run_child("floor", path, args, workdir)
                print(
                    f"  {case.name:<18} floor  {floors[case.name].status:<10} "
                    f"{_fmt_s(floors[case.name].seconds('floor'))}",
                    flush=True,
                )
            if args.floor_only:
                runs[case.name] = Run(status="not run (--floor-only)")
                continue
            runs[case.name] = run_child(case.kind, path, args, workdir)
            run = runs[case.name]
            stage = "sweep" if case.kind == "sweep" else "solve"
            times = ", ".join(f"{s} {_fmt_s(run.seconds(s))}" for s in ("build", "compile", stage) if s in run.stages)
            print(
                f"  {case.name:<18} {case.kind:<6} {run.status}: {times}; peak {_fmt_mib(run.peak_mib)} MiB", flush=True
            )

    print()
    header = (
        f"{'model':<12} {'states':>6} {'import':>8} {'build':>8} {'compile':>9} {'solve':>9} "
        f"{'total':>9} {'peak MiB':>8} {'floor':>9} {'= eigh':>9} {'+ LU':>9} {'LU n':>5} "
        f"{'tot/floor':>9}  status"
    )
    print("Ours, one solve at V = 0.3 (total = build + compile + solve; peak RSS of the fresh child):")
    print(header)
    print("-" * len(header))
    for case in cases:
        if case.kind != "solve":
            continue
        run, floor = runs[case.name], floors.get(case.name, Run())
        total = run.seconds("build") + run.seconds("compile") + run.seconds("solve")
        record = floor.stages.get("floor", {})
        print(
            f"{case.name:<12} {case.states:>6} {_fmt_s(run.seconds('import')):>8} {_fmt_s(run.seconds('build')):>8} "
            f"{_fmt_s(run.seconds('compile')):>9} {_fmt_s(run.seconds('solve')):>9} {_fmt_s(total):>9} "
            f"{_fmt_mib(run.peak_mib):>8} {_fmt_s(floor.seconds('floor')):>9} "
            f"{_fmt_s(record.get('eigh', float('nan'))):>9} {_fmt_s(record.get('lu', float('nan'))):>9} "
            f"{record.get('largest_charge_block', '-'):>5} "
            f"{_fmt_ratio(total / floor.seconds('floor') if floor.ok else float('nan')):>9}  {run.status}"
            + ("" if floor.ok or args.no_floor else f"; floor {floor.status}")
        )

    print()
    print("Beside QmeQ 1.1 (its figures QUOTED from issue 9's table, not measured here; ratios use the")
    print("lower end of a quoted range):")
    header = (
        f"{'model':<12} {'states':>6} {'ours':>9} {'QmeQ':>10} {'QmeQ/ours':>9} {'ours MiB':>8} "
        f"{'QmeQ MiB':>8} {'ours/QmeQ mem':>13}"
    )
    print(header)
    print("-" * len(header))
    for case in cases:
        if case.kind != "solve":
            continue
        run = runs[case.name]
        total = run.seconds("build") + run.seconds("compile") + run.seconds("solve")
        q_time, q_mem = QMEQ.get(case.name, (None, None))
        q_text, q_seconds = _qmeq_seconds(q_time)
        q_mib = q_mem if isinstance(q_mem, float) else float("nan")
        mem_text = q_mem if isinstance(q_mem, str) else _fmt_mib(q_mib)
        ours = _fmt_s(total) if run.ok else run.status.split(":")[0].split(" (")[0]
        peak = run.peak_mib if run.ok else float("nan")
        print(
            f"{case.name:<12} {case.states:>6} {ours:>9} {q_text:>10} "
            f"{_fmt_ratio(q_seconds / total if run.ok else float('nan')):>9} {_fmt_mib(peak):>8} {mem_text:>8} "
            f"{_fmt_ratio(peak / q_mib if run.ok else float('nan')):>13}"
        )

    sweep_case = next((c for c in cases if c.kind == "sweep"), None)
    if sweep_case:
        run = runs[sweep_case.name]
        print()
        print(
            f"{SWEEP_POINTS}-point bias sweep of spinless 10 (V in [-1, 1], after compile): "
            f"build {_fmt_s(run.seconds('build'))}, compile {_fmt_s(run.seconds('compile'))}, "
            f"sweep {_fmt_s(run.seconds('sweep'))}, peak {_fmt_mib(run.peak_mib)} MiB  [{run.status}]"
        )

    print()
    print("Targets (issue 9):")
    for name, quantity, limit, text in TARGETS:
        run = runs.get(name)
        if run is None:
            verdict, value = "not run", ""
        elif not run.ok:
            verdict, value = "FAIL", run.status
        else:
            if quantity == "total":
                measured = run.seconds("build") + run.seconds("compile") + run.seconds("solve")
                value = _fmt_s(measured)
            elif quantity == "sweep":
                measured = run.seconds("sweep")
                value = _fmt_s(measured)
            else:
                measured = run.peak_mib
                value = f"{measured:.0f} MiB"
            verdict = "PASS" if measured <= limit else "FAIL"
        print(f"  {verdict:<7} {text:<56} {value}")
    spinless12 = runs.get("spinless-12")
    if spinless12 is not None and spinless12.ok:
        total = sum(spinless12.seconds(s) for s in ("build", "compile", "solve"))
        print(
            f"  (spinless 12 beside QmeQ: {11.0 / total:.2f}x faster than its 11 s (want >= 5), "
            f"{spinless12.peak_mib / (1.3 * 1024):.2f} of its 1.3 GiB (want <= 1/3))"
        )
    load_after = os.getloadavg()
    print(f"load average at the end: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")

    if args.json:
        document = {
            "timeout": args.timeout,
            "memory_cap_gib": args.memory_cap,
            "load_before": load_before,
            "load_after": load_after,
            "cpus": os.cpu_count(),
            "models": {
                c.name: {
                    "states": c.states,
                    "run": vars(runs[c.name]),
                    "floor": vars(floors[c.name]) if c.name in floors else None,
                }
                for c in cases
            },
            "qmeq_quoted": {k: list(v) if isinstance(v, tuple) else v for k, v in QMEQ.items()},
        }
        Path(args.json).write_text(json.dumps(document, indent=1, default=str))
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
