"""``generate``: a model file in, a validated standalone solver out.

The files are written only after the generated code has passed its own check in a temporary
folder: the Python module's ``validate()`` (imported there, in this process), or the C source
compiled with the system ``cc`` and ``-D<NAME>_SELFTEST`` and run.  Without a ``cc`` the C files
are written and the result says that the check was skipped.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from symbolic_pme.errors import GenerationError
from symbolic_pme.files.model_file import ModelFile, load_model

from .c_target import c_sources, check_c_target
from .plan import solver_plan
from .python_target import python_source
from .reference_points import reference_points

__all__ = ["C_FLAGS", "LANGUAGES", "GeneratedSolver", "generate", "solver_name"]

#: The targets.
LANGUAGES = ("python", "c")
#: How ``generate`` compiles the C self-test (with ``-D<NAME>_SELFTEST`` and ``-lm``).
C_FLAGS = ("-std=c99", "-O2")
#: Longest a C compile or self-test may take, in seconds.
_TIMEOUT = 120


@dataclass(frozen=True)
class GeneratedSolver:
    """What :func:`generate` wrote.

    Attributes
    ----------
    language:
        ``"python"`` or ``"c"``.
    files:
        The files written (the C source first, then its header).
    name:
        The module name (Python) or the prefix of the exported names (C).
    points:
        Number of reference points in the file.
    deviation:
        The largest relative deviation from the reference table that the validation found, or
        None when it was skipped (no C compiler).
    note:
        One line on the validation, for the user.
    """

    language: str
    files: tuple[Path, ...]
    name: str
    points: int
    deviation: float | None
    note: str


def solver_name(path: str | Path) -> str:
    """The identifier a generated solver is named by: its file name without extension, with every
    character that is not an ASCII letter, digit or underscore replaced by ``_``.

    Parameters
    ----------
    path:
        The output file.

    Returns
    -------
    str

    Examples
    --------
    >>> solver_name("out/triangle-solver.c")
    'triangle_solver'
    """
    name = re.sub(r"[^A-Za-z0-9_]", "_", Path(path).stem)
    return f"solver_{name}" if not name or name[0].isdigit() else name


def generate(
    model: ModelFile | str | Path, *, language: str, output: str | Path, points: int = 8, seed: int = 0
) -> GeneratedSolver:
    """Generate, validate and write a standalone solver of a model file.

    Parameters
    ----------
    model:
        A model file's path, or the :class:`~symbolic_pme.files.model_file.ModelFile` read from it.
    language:
        ``"python"`` (one module, NumPy only) or ``"c"`` (a C99 source and its header, libm only).
    output:
        The file to write: ``NAME.py``, or ``NAME.c`` (``NAME.h`` is written beside it).  NAME
        names the module or prefixes the C functions (``NAME_solve``), see :func:`solver_name`.
    points:
        Number of reference points in the file's table.
    seed:
        Seed of the reference points' draws (the same seed, the same file).

    Returns
    -------
    GeneratedSolver

    Raises
    ------
    GenerationError
        For a target that cannot solve the model (more than
        :data:`~symbolic_pme.generate.plan.MAX_STATES` states; for C, complex amplitudes), no
        reference points near the defaults, or generated code that fails its own check.
    ValueError
        For an unknown language, an output file of the wrong extension, a bad model file
        (:class:`~symbolic_pme.errors.ModelFileError`) or ``points`` below 1.
    """
    if language not in LANGUAGES:
        raise ValueError(f"language: {language!r} is not a target; choose from {', '.join(LANGUAGES)}")
    output = Path(output)
    suffix = ".py" if language == "python" else ".c"
    if output.suffix != suffix:
        raise ValueError(f"output: {output} must end in {suffix} for the {language} target")
    if points < 1:
        raise ValueError(f"points: at least one reference point is needed, got {points}")
    model_file = model if isinstance(model, ModelFile) else load_model(model)
    name = solver_name(output)
    plan = solver_plan(model_file)
    if language == "c":
        check_c_target(plan)
    references = reference_points(model_file, plan, count=points, seed=seed)
    if language == "python":
        texts = {output: python_source(plan, references, module=name)}
    else:
        source, header = c_sources(plan, references, name=name)
        texts = {output: source, output.with_suffix(".h"): header}
    with tempfile.TemporaryDirectory() as folder:
        staged = {Path(folder) / path.name: text for path, text in texts.items()}
        for path, text in staged.items():
            path.write_text(text, encoding="utf-8")
        first = next(iter(staged))
        deviation, note = _validate_python(first) if language == "python" else _validate_c(first, name)
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
    return GeneratedSolver(language, tuple(texts), name, len(references), deviation, note)


def _validate_python(path: Path) -> tuple[float, str]:
    """Import the module and run its ``validate()``."""
    spec = importlib.util.spec_from_file_location(f"_generated_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        deviation = module.validate()
    except module.ValidationError as error:
        raise GenerationError(f"the generated module fails its validation: {error}") from None
    points = len(module.REFERENCE)
    return deviation, f"validate(): {points} reference points reproduced (largest relative deviation {deviation:.2g})"


def _validate_c(source: Path, name: str) -> tuple[float | None, str]:
    """Compile the self-test with ``cc`` and run it (or say that there is no ``cc``)."""
    compiler = shutil.which("cc")
    if compiler is None:
        return None, "no C compiler (cc) found: the self-test was not run; compile it with -D{name.upper()}_SELFTEST"
    program = source.with_suffix("")
    command = [compiler, *C_FLAGS, f"-D{name.upper()}_SELFTEST", str(source), "-o", str(program), "-lm"]
    compiled = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    if compiled.returncode != 0:
        first = (compiled.stderr.strip().splitlines() or ["no message"])[0]
        raise GenerationError(f"the generated C does not compile with {' '.join(command[:3])}: {first}")
    run = subprocess.run([str(program)], capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    report = run.stdout.strip()
    if run.returncode != 0:
        raise GenerationError(f"the generated C fails its self-test: {report or run.stderr.strip()}")
    deviation = float(report.rsplit(" ", 1)[-1])
    return deviation, f"self-test (cc {' '.join(C_FLAGS)}): {report.split(': ', 1)[-1]}"
