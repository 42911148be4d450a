"""Hostile input: the command line never prints a traceback, never hangs, never writes an infinity.

Every case below, malformed model files and hostile argument combinations, must end with exit
status 2, exactly one line on stderr (no traceback), nothing on stdout, nothing written or run,
within a bound on time and memory; every hostile file also makes ``load_model`` raise
``ModelFileError``.  The classes: numbers too big for a float, values beyond the documented
range at the defaults and at sweep end points, deep and large expressions, unbounded reads
(devices, FIFOs, huge files), sizes checked before the work that scales with them, sweep
specifications, output paths, code injection and malformed TOML.
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_model_files import SINGLE_LEVEL, edit, run

from symbolic_pme.cli import derive
from symbolic_pme.cli.settings import MAX_GRID_POINTS
from symbolic_pme.cli.solve import MAX_RESULT_VALUES
from symbolic_pme.files.model_file import (
    MAX_FILE_BYTES,
    MAX_LEADS,
    MAX_PARAMETERS,
    MAX_VALUE,
    ModelFileError,
    load_model,
)
from symbolic_pme.parsing import MAX_DEPTH, MAX_LENGTH, MAX_NODES
from symbolic_pme.transport.fock import MAX_MODES

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 2.0
MEBIBYTES = 200
MARKER = "executed"
TWO_ORBITALS = edit('orbitals = ["d"]', 'orbitals = ["d", "e"]')

# --------------------------------------------------------------------------------------------------
# Hostile model files: {case: (file text, or a function of the folder giving the path; fragments)}
# --------------------------------------------------------------------------------------------------

OVERFLOWING = {
    "power": "10**999",
    "product": "1e308*10",
    "product of large": "1e200*1e200",
    "sum": "1e308 + 1e308",
    "negative": "-1e308*10",
    "exp": "exp(800)",
    "cosh": "cosh(800)",
    "sinh": "sinh(1000)",
    "tower": "((9**999)**999)**999",
    "right tower": "9**9**9",
    "two tower": "2**2**2**2**2**2",
    "sin of a huge power": "sin(10**999)",
    "cos of a huge power": "cos(2**5000)",
    "long integer": "1" + "0" * 400,
    "nested exp": "exp(exp(exp(9)))",
    "division by zero": "1/(1-1)",
    "pole of log": "log(0)",
    "zero to a negative power": "0**-1",
}
KEYS = {
    "onsite": ('d = "eps"', 'd = "{}"', ["[onsite]", "'d'"]),
    "mu": ('mu = "V/2"', 'mu = "{}"', ["[[lead]] 'L'", "'mu'"]),
    "temperature": ('temperature = "T"', 'temperature = "{}"', ["[[lead]] 'L'", "'temperature'"]),
    "coupling": ("coupling = { d = 0.1 }", 'coupling = {{ d = "{}" }}', ["[[lead]] 'L'", "'coupling.d'"]),
    "default": ("V = 0.5", 'V = "{}"', ["[parameters]", "'V'"]),
}

FILES: dict = {}
for _expression_name, _expression in OVERFLOWING.items():
    for _key, (_old, _new, _where) in KEYS.items():
        if _key in ("onsite", "coupling") or _expression_name in ("power", "product", "exp", "tower", "long integer"):
            FILES[f"overflow {_expression_name} in {_key}"] = (edit(_old, _new.format(_expression)), _where)

FILES.update(
    {
        "onsite beyond the range": (edit('d = "eps"', 'd = "eps*1e300"'), ["[onsite]", "'d'", "beyond the limit"]),
        "temperature beyond the range": (
            edit('temperature = "T"', 'temperature = "1e60"'),
            ["'temperature'", "beyond the limit"],
        ),
        "negative power of a small default": (
            edit('d = "eps"', 'd = "T**-100"'),
            ["'d'", "beyond the limit", "T = 0.05"],
        ),
        "cosh of a default": (edit('d = "eps"', 'd = "cosh(V*2000)"'), ["'d'", "overflows", "V = 0.5"]),
        "exp of a default": (edit('mu = "V/2"', 'mu = "exp(V*300)"'), ["'mu'", "beyond the limit", "V = 0.5"]),
        "pole at the defaults": (edit('d = "eps"', 'd = "1/(V - 0.5)"'), ["'d'", "division by zero", "V = 0.5"]),
        "log of zero at the defaults": (edit('d = "eps"', 'd = "log(V - 0.5)"'), ["'d'", "pole", "V = 0.5"]),
        "huge hopping": (
            TWO_ORBITALS + '[[hopping]]\norbitals = ["d", "e"]\nvalue = "1e51"\n',
            ["[[hopping]] entry 1", "'value'", "beyond the limit"],
        ),
        "overflowing coulomb": (
            TWO_ORBITALS + '[[coulomb]]\norbitals = ["d", "e"]\nvalue = "exp(710)"\n',
            ["[[coulomb]] entry 1", "'value'", "overflows"],
        ),
        "overflowing band": (edit('name = "L"', 'name = "L"\nband = [-1, "10**400"]'), ["'band'", "overflows"]),
        "an infinite TOML float": (edit("V = 0.5", "V = 1e400"), ["[parameters]", "'V'", "not a finite number"]),
        "a TOML nan": (edit("V = 0.5", "V = nan"), ["[parameters]", "'V'", "not a finite number"]),
        # deep and large expressions
        "999 unary minus": (edit('d = "eps"', 'd = "' + "-" * 999 + 'eps"'), ["'d'", f"more than {MAX_DEPTH} levels"]),
        "999 chained sums": (edit('d = "eps"', 'd = "' + "+".join(["V"] * 999) + '"'), ["'d'", "levels deep"]),
        "600-level power tower": (edit('d = "eps"', 'd = "' + "V**" * 600 + 'V"'), ["'d'", "levels deep"]),
        "nested calls": (edit('d = "eps"', 'd = "' + "sqrt(" * 150 + "V" + ")" * 150 + '"'), ["'d'", "levels deep"]),
        "nested parentheses": (edit('d = "eps"', 'd = "' + "-(" * 300 + "V" + ")" * 300 + '"'), ["'d'"]),
        "too long": (edit('d = "eps"', 'd = "' + "V+" * MAX_LENGTH + 'V"'), ["'d'", f"longer than {MAX_LENGTH}"]),
        "too many parts": (  # 14 products of 49 factors: 1371 parts, 62 levels, 1385 characters
            edit('d = "eps"', 'd = "' + "+".join(["*".join(["V"] * 49)] * 14) + '"'),
            ["'d'", f"more than {MAX_NODES} parts"],
        ),
        "exponent too large": (edit('d = "eps"', 'd = "V**1001"'), ["'d'", "exponent"]),
        "derive hang class": (edit('d = "eps"', 'd = "(eps + V)**9999"'), ["'d'", "exponent"]),
        # unbounded reads
        "symlink to /dev/zero": (
            lambda folder: _symlink(folder, "/dev/zero"),
            ["not a regular file", "character device"],
        ),
        "symlink to /dev/urandom": (lambda folder: _symlink(folder, "/dev/urandom"), ["not a regular file"]),
        "symlink to /dev/null": (lambda folder: _symlink(folder, "/dev/null"), ["not a regular file"]),
        "a FIFO": (lambda folder: _fifo(folder), ["not a regular file", "FIFO"]),
        "a directory": (lambda folder: _directory(folder), ["is a directory"]),
        "a dangling symlink": (lambda folder: _symlink(folder, str(folder / "absent")), ["no such file"]),
        "larger than the limit": ("#" * (MAX_FILE_BYTES + 1) + "\n" + SINGLE_LEVEL, [f"larger than {MAX_FILE_BYTES}"]),
        "not UTF-8": (b'title = "\xff\xfe"\n' + SINGLE_LEVEL.encode(), ["not UTF-8", "0xff"]),
        "UTF-16": (SINGLE_LEVEL.encode("utf-16"), ["not UTF-8"]),
        "binary": (bytes(range(256)) * 4, ["not UTF-8"]),
        "NUL bytes": ("\0" * 100 + SINGLE_LEVEL, ["not valid TOML"]),
        "deeply nested arrays": ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", ["not valid TOML"]),
        "deeply nested tables": ("x = " + "{a = " * 50_000 + "1" + "}" * 50_000 + "\n", ["not valid TOML"]),
        "two byte-order marks": ("\ufeff\ufeff" + SINGLE_LEVEL, ["not valid TOML"]),
        # sizes, checked before the work that scales with them
        "10**18 orbitals": (
            edit('orbitals = ["d"]', "orbitals = 1000000000000000000"),
            ["'orbitals'", f"{MAX_MODES} modes"],
        ),
        "largest TOML integer of orbitals": (edit('orbitals = ["d"]', "orbitals = 9223372036854775807"), ["modes"]),
        "one orbital too many": (edit('orbitals = ["d"]', f"orbitals = {MAX_MODES + 1}"), [f"{MAX_MODES} modes"]),
        "too many orbitals with spin": (
            edit('orbitals = ["d"]', f"orbitals = {MAX_MODES // 2 + 1}\nspin = true"),
            ["with spin", f"{MAX_MODES} modes"],
        ),
        "100000 orbital names": (
            edit('orbitals = ["d"]', "orbitals = [" + ", ".join(f'"o{i}"' for i in range(100_000)) + "]"),
            ["'orbitals'", "100000 orbitals"],
        ),
        "a long orbital name": (edit('orbitals = ["d"]', f'orbitals = ["d", "{"x" * 1000}"]'), ["longer than 64"]),
        "negative orbital count": (edit('orbitals = ["d"]', "orbitals = -5"), ["'orbitals'", "at least one"]),
        "20000 parameters": (
            edit("eps = 0.2", "\n".join(f"p{i} = {i}" for i in range(20_000)) + "\neps = 0.2"),
            ["[parameters]", f"more than the {MAX_PARAMETERS}"],
        ),
        "a long parameter name": (
            edit("eps = 0.2", f"{'p' * 1000} = 1\neps = 0.2"),
            ["[parameters]", "longer than 64"],
        ),
        "too many leads": (
            SINGLE_LEVEL
            + "".join(
                f'[[lead]]\nname = "x{i}"\nmu = 0\ntemperature = 1\ncoupling = {{ d = 0.1 }}\n'
                for i in range(MAX_LEADS)
            ),
            ["[[lead]]", f"more than the {MAX_LEADS}"],
        ),
        "a long lead name": (edit('name = "L"', f'name = "{"L" * 1000}"'), ["'name'", "longer than 64"]),
        "a long title": (edit('title = "level"', f'title = "{"t" * 10_000}"'), ["'title'", "longer than 200"]),
    }
)

for _code in (
    f"__import__('os').system('touch {MARKER}')",
    f"open('{MARKER}', 'w')",
    "(lambda: 1)()",
    "[x for x in ()]",
    "eps.__class__",
    "getattr(eps, 'x')",
    "exec('1')",
    "eps if eps else eps",
    "eps[0]",
    "eps < 1",
):
    FILES[f"code {_code[:30]}"] = (edit('mu = "V/2"', f'mu = "{_code}"'), ["[[lead]] 'L'", "'mu'", "not allowed"])


def _symlink(folder: Path, target: str) -> Path:
    path = folder / "model.toml"
    path.symlink_to(target)
    return path


def _fifo(folder: Path) -> Path:
    path = folder / "model.toml"
    os.mkfifo(path)
    return path


def _directory(folder: Path) -> Path:
    path = folder / "model.toml"
    path.mkdir()
    return path


def _model(folder: Path, source) -> Path:
    if callable(source):
        return source(folder)
    path = folder / "model.toml"
    path.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
    return path


# --------------------------------------------------------------------------------------------------
# Hostile arguments: {case: (arguments after `solve {model}`, fragments, file text)}
# --------------------------------------------------------------------------------------------------

SWEPT = edit("coupling = { d = 0.1 }", 'coupling = { d = "exp(V*100)" }')
POLE = edit("coupling = { d = 0.1 }", 'coupling = { d = "0.1/V" }')
ARGUMENTS = {
    "10**8 sweep points": (["--sweep", "V=0:1:100000000"], ["--sweep V", f"the {MAX_GRID_POINTS}"], SINGLE_LEVEL),
    "a 400-digit point count": (["--sweep", "V=0:1:" + "9" * 400], ["--sweep V", "whole number"], SINGLE_LEVEL),
    "a superscript count": (["--sweep", "V=0:1:⁵"], ["--sweep V", "whole number", "'⁵'"], SINGLE_LEVEL),
    "an Arabic-Indic count": (["--sweep", "V=0:1:٣"], ["--sweep V", "whole number"], SINGLE_LEVEL),
    "a negative count": (["--sweep", "V=0:1:-3"], ["--sweep V", "whole number"], SINGLE_LEVEL),
    "a 10**4 x 10**4 grid": (
        ["--sweep", "V=0:1:10000", "--sweep", "eps=0:1:10000"],
        ["--sweep", "10000 x 10000"],
        SINGLE_LEVEL,
    ),
    "too many sweeps": ([a for i in range(9) for a in ("--sweep", f"p{i}=0:1:1")], ["more than the 8"], SINGLE_LEVEL),
    "set beyond the range": (["--set", "V=1e60"], ["--set V", "beyond the limit"], SINGLE_LEVEL),
    "set a huge power": (["--set", "V=10**999"], ["--set V", "overflows"], SINGLE_LEVEL),
    "set exp(1000)": (["--set", "V=exp(1000)"], ["--set V", "overflows"], SINGLE_LEVEL),
    "set an overflowing product": (["--set", "V=1e308*10"], ["--set V", "overflows"], SINGLE_LEVEL),
    "set a deep expression": (["--set", "V=" + "-" * 999 + "1"], ["--set V", "levels deep"], SINGLE_LEVEL),
    "set infinity": (["--set", "V=1e999"], ["--set V", "non-finite"], SINGLE_LEVEL),
    "set a division by zero": (["--set", "V=1/0"], ["--set V", "division by zero"], SINGLE_LEVEL),
    "sweep to infinity": (["--sweep", "V=0:1e999:3"], ["--sweep V", "non-finite"], SINGLE_LEVEL),
    "sweep beyond the range": (["--sweep", "V=-1e60:0:3"], ["--sweep V", "beyond the limit"], SINGLE_LEVEL),
    "set code": (["--set", f"V=__import__('os').system('touch {MARKER}')"], ["--set V", "not allowed"], SINGLE_LEVEL),
    "sweep code": (["--sweep", f"V=open('{MARKER}','w'):1:3"], ["--sweep V", "not allowed"], SINGLE_LEVEL),
    "sweep end point overflows a value": (
        ["--sweep", "V=0:2:3"],
        ["'coupling.d'", "beyond the limit", "--sweep end point", "V = 2"],
        SWEPT,
    ),
    "sweep start point overflows a value": (["--sweep", "V=9:0:3"], ["'coupling.d'", "V = 9"], SWEPT),
    "set overflows a value": (["--set", "V=8"], ["'coupling.d'", "with --set", "V = 8"], SWEPT),
    "a pole inside the sweep": (
        ["--sweep", "V=-1:1:3"],
        ["[[lead]] 'L', key 'coupling.d'", "not finite at grid point (1,)", "V = 0"],
        POLE,
    ),
    "a pole inside a grid": (
        ["--sweep", "eps=0:1:2", "--sweep", "V=-1:1:5"],
        ["'coupling.d'", "grid point (0, 2)", "V = 0"],
        POLE,
    ),
    "a pole at a set value": (["--set", "V=0"], ["'coupling.d'", "division by zero"], POLE),
    "output to /dev/full": (["-o", "/dev/full"], ["--output /dev/full", "not a regular file"], SINGLE_LEVEL),
    "output to /dev/null": (["-o", "/dev/null"], ["--output /dev/null", "not a regular file"], SINGLE_LEVEL),
    "output into /proc": (["-o", "/proc/out.json"], ["--output /proc/out.json", "cannot write"], SINGLE_LEVEL),
    "plot into /proc": (
        ["--sweep", "V=0:1:3", "--plot", "/proc/x.png"],
        ["--plot /proc/x.png", "cannot"],
        SINGLE_LEVEL,
    ),
    "a result too large": (
        ["--sweep", f"V=0:1:{MAX_RESULT_VALUES // 16 + 1}"],
        ["16 states", f"more than the {MAX_RESULT_VALUES}"],
        edit('orbitals = ["d"]', 'orbitals = ["d", "e", "f", "g"]'),
    ),
    "output to a folder": (["-o", "{tmp}"], ["--output", "is a folder"], SINGLE_LEVEL),
    "plot to a folder": (["--sweep", "V=0:1:3", "--plot", "{tmp}/dir.png"], ["--plot", "is a folder"], SINGLE_LEVEL),
    "output into a missing folder": (["-o", "{tmp}/missing/x.json"], ["--output", "does not exist"], SINGLE_LEVEL),
    "output to a FIFO": (["-o", "{tmp}/fifo"], ["--output", "not a regular file"], SINGLE_LEVEL),
    "negative temperature inside the sweep": (
        ["--sweep", "T=-0.1:0.1:3"],
        ["model.toml", "temperature of lead 'L'", "negative"],
        SINGLE_LEVEL,
    ),
}


# --------------------------------------------------------------------------------------------------
# The checks every case must pass
# --------------------------------------------------------------------------------------------------


def _peak_mebibytes() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def refused(arguments, capsys, folder: Path, fragments) -> str:
    """Run the command in-process; check exit status 2, one stderr line with the fragments,
    nothing on stdout, nothing written or executed, and the time and memory bounds."""
    before = set(folder.iterdir())
    peak, start = _peak_mebibytes(), time.perf_counter()
    status, out, err = run(arguments, capsys)
    elapsed = time.perf_counter() - start
    assert status == 2, err
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("symbolic-pme: error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    assert elapsed < SECONDS, f"{elapsed:.2f} s"
    assert _peak_mebibytes() - peak < MEBIBYTES
    assert set(folder.iterdir()) == before, "something was written"
    assert not (folder / MARKER).exists() and not (ROOT / MARKER).exists()
    return err


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A working folder (the cwd, so that a relative marker would appear in it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("case", sorted(FILES))
def test_hostile_file_is_refused_in_one_line(case, folder, capsys):
    source, fragments = FILES[case]
    path = _model(folder, source)
    refused(["solve", path], capsys, folder, [str(path), *fragments])
    with pytest.raises(ModelFileError):
        load_model(path)


@pytest.mark.parametrize("case", sorted(ARGUMENTS))
def test_hostile_arguments_are_refused_in_one_line(case, folder, capsys):
    arguments, fragments, text = ARGUMENTS[case]
    path = _model(folder, text)
    (folder / "dir.png").mkdir()
    os.mkfifo(folder / "fifo")
    refused(["solve", path, *(a.format(tmp=folder) for a in arguments)], capsys, folder, fragments)


@pytest.mark.parametrize("case", ["overflow exp in coupling", "999 unary minus", "symlink to /dev/zero", "a FIFO"])
def test_derive_refuses_the_same_files(case, folder, capsys):
    source, fragments = FILES[case]
    path = _model(folder, source)
    refused(["derive", path], capsys, folder, [str(path), *fragments])


def test_derive_does_not_attempt_closed_forms_of_huge_powers(folder, capsys):
    path = _model(folder, edit('d = "eps"', 'd = "(eps + V)**999 - (eps - V)**999"'))
    start = time.perf_counter()
    status, out, err = run(["derive", path], capsys)
    assert status == 0 and err == "" and time.perf_counter() - start < SECONDS
    assert "Tunnelling rates" in out and "0 -> 1 [L]" in out
    assert f"not derived: the rates hold a power 999, above the {derive.MAX_POWER}" in out


def test_derive_stops_at_its_time_budget_and_keeps_what_it_printed(folder, capsys, monkeypatch):
    monkeypatch.setattr(derive, "TIME_BUDGET", 0.5)
    monkeypatch.setattr(derive, "MAX_POWER", 10**6)  # let the closed form try, and run out of time
    path = _model(folder, edit('d = "eps"', 'd = "(eps + V)**999 - (eps - V)**999"'))
    start = time.perf_counter()
    status, out, err = run(["derive", path], capsys)
    assert status == 0 and err == "" and time.perf_counter() - start < SECONDS
    assert "Tunnelling rates" in out and "0 -> 1 [L]" in out
    assert "stopped: the derivation did not finish within 0.5 s (2 states, 2 blocks, 4 rates)" in out


def test_a_byte_order_mark_is_accepted(folder, capsys):
    path = _model(folder, "\ufeff" + SINGLE_LEVEL)
    status, out, err = run(["solve", path, "--format", "json"], capsys)
    assert status == 0 and '"title": "level"' in out


def test_json_never_holds_nan_or_infinity_and_no_warning_reaches_stderr(folder, capsys):
    # tiny and huge values within the range: results finite, nothing on stderr
    text = edit("coupling = { d = 0.1 }", 'coupling = { d = "1e-150" }').replace('d = "eps"', 'd = "eps*1e40"')
    path = _model(folder, text)
    status, out, err = run(["solve", path, "--sweep", "V=-1e40:1e40:5", "--format", "json", "-q"], capsys)
    assert status == 0 and err == ""
    assert "NaN" not in out and "Infinity" not in out


def test_values_at_the_limit_are_accepted(folder, capsys):
    path = _model(folder, edit('d = "eps"', f'd = "{MAX_VALUE:g}"'))
    status, _, err = run(["solve", path, "-q"], capsys)
    assert status == 0, err


# --------------------------------------------------------------------------------------------------
# A few cases in a real process: no traceback, no hang
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["a FIFO", "symlink to /dev/zero", "overflow tower in onsite"])
def test_hostile_file_in_a_real_process(case, tmp_path):
    source, fragments = FILES[case]
    path = _model(tmp_path, source)
    finished = subprocess.run(
        [sys.executable, "-m", "symbolic_pme", "solve", str(path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert finished.returncode == 2 and finished.stdout == ""
    assert finished.stderr.count("\n") == 1 and "Traceback" not in finished.stderr
    assert all(fragment in finished.stderr for fragment in fragments), finished.stderr


def test_the_time_budget_stops_code_that_swallows_its_alarms():
    """SymPy catches ``Exception`` in places: the budget's alarm is a BaseException, and it comes
    again after one is swallowed all the same (a CI run once hung in ``factor`` for minutes)."""
    swallowed = 0
    start = time.perf_counter()
    with pytest.raises(derive._OutOfTime):
        with derive._time_budget(0.05):
            while True:
                try:  # the clock read inside too: an alarm landing in it is swallowed like the others
                    if time.perf_counter() - start > 5:
                        break
                    time.sleep(0.001)
                except Exception:  # noqa: BLE001 - what a library may do
                    pass
                except derive._OutOfTime:
                    swallowed += 1
                    if swallowed > 1:
                        raise
    assert swallowed == 2 and time.perf_counter() - start < 1.0
    time.sleep(0.2)  # no alarm is left armed after the block


def test_an_alarm_that_lands_in_a_finalizer_is_not_reported(monkeypatch):
    """A finalizer swallows what it raises and Python reports it on stderr: within the budget, its
    alarm is dropped quietly there (the next one stops the block), every other report still goes
    to the hook that was in place, and that hook is back afterwards."""
    import sys
    import types

    reported = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)

    def report(error):
        return types.SimpleNamespace(
            exc_type=type(error), exc_value=error, exc_traceback=None, err_msg=None, object=None
        )

    with derive._time_budget(5):
        sys.unraisablehook(report(derive._OutOfTime()))
        sys.unraisablehook(report(RuntimeError("a finalizer's own error")))
    assert [type(r.exc_value) for r in reported] == [RuntimeError]
    assert sys.unraisablehook == reported.append
