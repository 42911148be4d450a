"""Model files: a dot, its leads and its parameters in one TOML file (read with ``tomllib``).

The schema (every key; docs/model-files.md explains each with examples)::

    title = "..."                    # optional; defaults to the file name
    [system]      orbitals = [...] or a count;  spin = false
    [parameters]  name = default value (a number, or an expression of numbers and pi)
    [onsite]      orbital = eps                      (eps_i n_i; with spin both spins)
    [[hopping]]   orbitals = [i, j]; value = Omega   (Omega d_i^+ d_j + h.c.)
    [[coulomb]]   orbitals = [i, j]; value = U       (U n_i n_j; [i, i] with spin: U n_i_up n_i_down)
    [[lead]]      name; mu; temperature; coupling = {orbital = t}; band = [low, high] (optional)
    [units]       energy = "eV"; length = "Å"       (labels only)
    [geometry]    positions = {orbital = [x, y] or [x, y, z]}
    [tip]         lead = "tip"; x; y; height; t0; decay   (t_i = t0 exp(-d_i/decay): the lead's coupling)
                  radius or lever (an expression in d); bias    (eps_i += alpha(d_i) bias; optional)

Any value may be a number or an expression string over the declared parameters (``"V/2"``,
``"eps0 + 0.1"``, ``"sqrt(G/(2*pi))"``).  Expressions are read by
:func:`symbolic_pme.parsing.parse_expression`, a whitelist over Python's ``ast``; file text is
never evaluated as Python.  Units and signs are those of the Python API (docs/conventions.md).

The whole file is checked before anything is built: the first problem raises
:class:`ModelFileError` with one message naming the file, the table and the key.  Sizes are
limited (:data:`MAX_FILE_BYTES`, :data:`MAX_NAME_LENGTH`, :data:`MAX_PARAMETERS`,
:data:`MAX_LEADS`, :data:`symbolic_pme.transport.fock.MAX_MODES`), each checked before any work that
grows with it, and every value must evaluate, at the defaults, to a finite number of magnitude at
most :data:`MAX_VALUE` (the evaluation guard; :meth:`ModelFile.check_values` repeats it at other
parameter values).
"""

from __future__ import annotations

import itertools
import keyword
import math
import os
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy

from symbolic_pme.parsing import CONSTANTS, FUNCTIONS, ExpressionError, evaluate, parse_expression
from symbolic_pme.parsing import number as exact_number
from symbolic_pme.transport.fock import MAX_MODES, FockSpace
from symbolic_pme.transport.geometry import DISTANCE, Tip
from symbolic_pme.transport.hamiltonian import Hamiltonian
from symbolic_pme.transport.lead import Lead
from symbolic_pme.transport.model import TransportModel

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.numeric.network import CompiledNetwork

from symbolic_pme.errors import ModelFileError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LEADS",
    "MAX_NAME_LENGTH",
    "MAX_PARAMETERS",
    "MAX_TITLE_LENGTH",
    "MAX_VALUE",
    "ModelFile",
    "ModelValue",
    "load_model",
]

#: Largest model file read, in bytes (only regular files are read).
MAX_FILE_BYTES = 1 << 20
#: Longest orbital, parameter or lead name, in characters.
MAX_NAME_LENGTH = 64
#: Longest title, in characters.
MAX_TITLE_LENGTH = 200
#: Most declared parameters.
MAX_PARAMETERS = 1000
#: Most leads.
MAX_LEADS = 32
#: Largest magnitude of any value (parameter, energy, chemical potential, temperature, band edge,
#: hopping, Coulomb term, coupling) wherever it is evaluated: far beyond any physical scale, yet
#: small enough that products of rates and energies cannot overflow a double.
MAX_VALUE = 1e50

_TOP_KEYS = ("title", "system", "parameters", "onsite", "hopping", "coulomb", "lead", "units", "geometry", "tip")
_SYSTEM_KEYS = ("orbitals", "spin")
_PAIR_KEYS = ("orbitals", "value")
_LEAD_KEYS = ("name", "mu", "temperature", "coupling", "band")
_UNIT_KEYS = ("energy", "length")
_GEOMETRY_KEYS = ("positions",)
_TIP_KEYS = ("lead", "x", "y", "height", "t0", "decay", "radius", "lever", "bias")
#: Longest unit name (``[units]``), in characters.
_MAX_UNIT_LENGTH = 20


@dataclass(frozen=True)
class ModelValue:
    """One value of a model file, as written and as read.

    Attributes
    ----------
    table : str
        The table it stands in (``"[[lead]] 'L'"``).
    key : str
        Its key (``"temperature"``).
    text : int, float or str
        What the file says (a number or an expression string).
    expr : sympy.Expr
        The expression read from it.
    """

    table: str
    key: str
    text: int | float | str
    expr: sympy.Expr


@dataclass(frozen=True)
class ModelFile:
    """A model read from a file (see :func:`load_model`).

    Attributes
    ----------
    path : pathlib.Path
        The file.
    title : str
        The ``title`` (or the file name without extension).
    parameters : dict of str to float
        ``{name: default}`` of every declared parameter, in file order.
    model : TransportModel
        The transport model (symbols are the declared parameters, all real); units and signs
        as in docs/conventions.md.
    values : tuple of ModelValue, optional
        Every value of the file, as written and as read (what :meth:`check_values` re-checks).
    positions : dict of str to tuple of sympy.Expr, optional
        ``[geometry] positions``: ``{orbital: (x, y, z)}`` (z = 0 where the file gives two).
    tip : Tip or None, optional
        ``[tip]``: the tip whose coupling law gives the tip lead's amplitudes and whose lever
        arm, if any, shifts the on-site energies (:mod:`symbolic_pme.transport.geometry`).
    tip_lead : str or None, optional
        The lead whose coupling comes from :attr:`tip`.
    units : dict of str to str, optional
        ``[units]``: names of the energy and length units, for labels (``{"energy": "eV"}``).
    """

    path: Path
    title: str
    parameters: dict[str, float]
    model: TransportModel
    values: tuple[ModelValue, ...] = ()
    positions: dict[str, tuple[sympy.Expr, sympy.Expr, sympy.Expr]] = field(default_factory=dict)
    tip: Tip | None = None
    tip_lead: str | None = None
    units: dict[str, str] = field(default_factory=dict)

    @property
    def orbitals(self) -> tuple[str, ...]:
        """Orbital names, in file order."""
        return self.model.space.orbitals

    @property
    def spin(self) -> bool:
        """Whether the orbitals carry spin (``[system] spin``)."""
        return self.model.space.spin

    @property
    def leads(self) -> tuple[str, ...]:
        """Lead names in file order."""
        return tuple(lead.name for lead in self.model.leads)

    @cached_property
    def used_parameters(self) -> tuple[str, ...]:
        """Declared parameters that enter the model, in file order (the others change nothing)."""
        used = {s.name for s in self.model.parameters}
        return tuple(name for name in self.parameters if name in used)

    def check_values(self, fixed: Mapping[str, float], ends: Mapping[str, tuple[float, float]]) -> None:
        """The evaluation guard at the values of a solve.

        Every value of the file must be a finite number of magnitude at most :data:`MAX_VALUE` with
        the ``fixed`` values (the defaults for the rest) and at every combination of the ``ends`` of
        the swept parameters it contains.

        Parameters
        ----------
        fixed : mapping of str to float
            ``{name: value}`` replacing defaults (``--set``).
        ends : mapping of str to (float, float)
            ``{name: (start, stop)}`` of swept parameters (``--sweep``).

        Raises
        ------
        ModelFileError
            Naming the file, the table, the key, the value and the parameter values.
        """
        base = {**self.parameters, **fixed}
        for value in self.values:
            names = [s.name for s in value.expr.free_symbols]
            swept = [name for name in names if name in ends]
            where = "at a --sweep end point" if swept else "with --set" if set(names) & set(fixed) else None
            if where is None:
                continue  # the defaults: checked when the file was read
            for corner in itertools.product(*(sorted(set(ends[name])) for name in swept)):
                values = {**base, **dict(zip(swept, corner))}
                problem = _out_of_range(value.expr, values)
                if problem:
                    raise ModelFileError(
                        f"{self.path}: {value.table}, key {value.key!r}: {_violation(value, problem, values, where)}"
                    )

    def compile(self) -> CompiledNetwork:
        """The numeric solver, with the declared defaults.

        Returns
        -------
        CompiledNetwork
            The compiled model; parameters a solve does not set take their file defaults.
        """
        return self.model.compile(defaults={n: self.parameters[n] for n in self.used_parameters})


def load_model(path: str | Path) -> ModelFile:
    """Read and check a model file.

    Only a regular file of at most :data:`MAX_FILE_BYTES` is read (a FIFO, a device such as
    ``/dev/zero`` or a symbolic link to one is refused without reading), as UTF-8 with an
    optional byte-order mark.  The whole file is checked before anything is built; the schema is
    in the module docstring and docs/model-files.md.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file.

    Returns
    -------
    ModelFile
        The model, its declared parameters and their defaults.

    Raises
    ------
    ModelFileError
        On the first problem (a missing, unreadable, oversized or non-regular file, invalid TOML,
        an unknown or missing key, a bad name or value, a value failing the evaluation guard); the
        message names the file, the table and the key.
    """
    path = Path(path)
    text = _read_text(path)
    try:
        document = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as error:
        raise ModelFileError(f"{path}: not valid TOML ({error})") from None
    except RecursionError:
        raise ModelFileError(f"{path}: not valid TOML (arrays or tables nested too deeply)") from None
    return _Reader(path, document).model_file()


def _read_text(path: Path) -> str:
    """The text of a regular file of at most :data:`MAX_FILE_BYTES`, decoded as UTF-8."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read it ({error.strerror})") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise ModelFileError(f"{path}: is a directory, not a model file")
        raise ModelFileError(f"{path}: not a regular file ({_file_kind(mode)}); a model file must be a regular file")
    with os.fdopen(descriptor, "rb") as stream:
        try:
            data = stream.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise ModelFileError(f"{path}: cannot read it ({error.strerror})") from None
    if len(data) > MAX_FILE_BYTES:
        raise ModelFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes, the limit for a model file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ModelFileError(f"{path}: not UTF-8 text (byte {error.start} is {data[error.start]:#04x})") from None


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "a socket or other special file")


def _text(raw: float | str) -> str:
    """A file value for a message (expressions quoted, long ones cut)."""
    if not isinstance(raw, str):
        return repr(raw)
    return repr(raw if len(raw) <= 60 else raw[:60] + "...")


def _out_of_range(expr: sympy.Expr, values: Mapping[str, float]) -> str | None:
    """Why ``expr`` fails the evaluation guard at ``values`` (None when it passes)."""
    try:
        value = evaluate(expr, values)
    except ExpressionError as error:
        return f"is {error}" if str(error).startswith("not a finite number") else f"cannot be evaluated ({error})"
    if max(abs(value.real), abs(value.imag)) > MAX_VALUE:
        return f"is {_number(value)}, beyond the limit of {MAX_VALUE:g} in magnitude,"
    return None


def _violation(value: ModelValue, problem: str, values: Mapping[str, float], where: str) -> str:
    """``'exp(V)' is 1e+60, beyond ... at the defaults (V = 138.2)``."""
    used = sorted(s.name for s in value.expr.free_symbols)
    assignments = ", ".join(f"{name} = {values[name]:g}" for name in used)
    return f"{_text(value.text)} {problem} {where}" + (f" ({assignments})" if assignments else "")


def _number(value: complex) -> str:
    return f"{value.real:.6g}" if value.imag == 0 else f"{value:.6g}"


# --------------------------------------------------------------------------------------------------
# Reading, table by table
# --------------------------------------------------------------------------------------------------


class _Reader:
    """Checks one parsed document; every ``fail`` names the file, the table and the key."""

    def __init__(self, path: Path, document: dict[str, Any]):
        self.path = path
        self.document = document
        self.symbols: dict[str, sympy.Symbol] = {}
        self.defaults: dict[str, float] = {}
        self.values: list[ModelValue] = []

    def fail(self, table: str, key: str | None, problem: str) -> ModelFileError:
        where = f"{table}, key {key!r}" if key is not None else table
        return ModelFileError(f"{self.path}: {where}: {problem}")

    # ----------------------------------------------------------------------------- whole file
    def model_file(self) -> ModelFile:
        document = self.document
        self.check_keys(document, _TOP_KEYS, "top level")
        title = document.get("title", self.path.stem)
        if not isinstance(title, str):
            raise self.fail("top level", "title", f"expected a string, got {_kind(title)}")
        if len(title) > MAX_TITLE_LENGTH:
            raise self.fail("top level", "title", f"longer than {MAX_TITLE_LENGTH} characters ({len(title)})")
        if "system" not in document:
            raise self.fail("[system]", None, "missing; give at least 'orbitals'")
        space = self.space(self.table(document, "system", "[system]"))
        parameters = self.parameters(self.table(document, "parameters", "[parameters]"))
        units = self.units(self.table(document, "units", "[units]"))
        positions = self.positions(space, self.table(document, "geometry", "[geometry]"))
        tip, tip_lead = self.tip(space, positions)
        hamiltonian = self.hamiltonian(space, self.derived(tip.shifts(positions), "shift") if tip else {})
        couplings = self.derived(tip.couplings(positions), "coupling") if tip else None
        leads = self.leads(space, tip_lead, couplings)
        try:
            model = TransportModel(hamiltonian, leads)
        except ValueError as error:  # e.g. a spin-orbital coupled both by its name and its orbital's
            raise self.fail("[[lead]]", None, str(error)) from None
        return ModelFile(self.path, title, parameters, model, tuple(self.values), positions, tip, tip_lead, units)

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(where, key, f"unknown key; allowed here: {', '.join(allowed)}")

    def table(self, parent: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(where, None, f"expected a table, got {_kind(value)}")
        return value

    def array_of_tables(self, key: str) -> list[dict[str, Any]]:
        value = self.document.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"[[{key}]]", None, f"expected an array of tables ([[{key}]] entries), got {_kind(value)}")
        return value

    # ----------------------------------------------------------------------------- tables
    def space(self, system: dict[str, Any]) -> FockSpace:
        self.check_keys(system, _SYSTEM_KEYS, "[system]")
        if "orbitals" not in system:
            raise self.fail("[system]", "orbitals", "missing; give a list of names or a count")
        orbitals, spin = system["orbitals"], system.get("spin", False)
        if not isinstance(spin, bool):
            raise self.fail("[system]", "spin", f"expected true or false, got {_kind(spin)}")
        if not (isinstance(orbitals, list) or (isinstance(orbitals, int) and not isinstance(orbitals, bool))):
            raise self.fail("[system]", "orbitals", f"expected a list of names or a count, got {_kind(orbitals)}")
        self.check_mode_count(orbitals if isinstance(orbitals, int) else len(orbitals), spin=spin)
        if isinstance(orbitals, list):
            self.check_orbital_names(orbitals)
        try:
            return FockSpace(orbitals, spin=spin)
        except (TypeError, ValueError) as error:
            raise self.fail("[system]", "orbitals", str(error).removeprefix("orbitals: ")) from None

    def check_mode_count(self, orbitals: int, *, spin: bool) -> None:
        """At most :data:`MAX_MODES` spin-orbitals, checked before any name is made."""
        modes = orbitals * (2 if spin else 1)
        if modes > MAX_MODES:
            spins = f" with spin ({modes} spin-orbitals)" if spin else ""
            raise self.fail(
                "[system]", "orbitals", f"{orbitals} orbitals{spins} are more than the {MAX_MODES} modes supported"
            )

    def check_orbital_names(self, names: list[Any]) -> None:
        """Orbital names are short strings, each given once (checked in one pass)."""
        seen: set[str] = set()
        for name in names:
            if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
                problem = f"the name {_text(name)} is longer than {MAX_NAME_LENGTH} characters"
                raise self.fail("[system]", "orbitals", problem)
            if isinstance(name, str) and name in seen:
                raise self.fail("[system]", "orbitals", f"names must be unique, repeated: {name}")
            if isinstance(name, str):
                seen.add(name)

    def parameters(self, table: dict[str, Any]) -> dict[str, float]:
        if len(table) > MAX_PARAMETERS:
            problem = f"{len(table)} parameters are more than the {MAX_PARAMETERS} supported"
            raise self.fail("[parameters]", None, problem)
        for name, raw in table.items():
            if len(name) > MAX_NAME_LENGTH:
                shown = name[:MAX_NAME_LENGTH] + "..."
                raise self.fail("[parameters]", shown, f"longer than {MAX_NAME_LENGTH} characters")
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise self.fail("[parameters]", name, "not a valid parameter name (letters, digits, _; not leading _)")
            if name in FUNCTIONS or name in CONSTANTS:
                raise self.fail("[parameters]", name, "the name of a built-in function or constant; choose another")
            value = self.expression(raw, "[parameters]", name, constant=True)
            number = self.at_defaults(value)
            if not value.is_extended_real or number.imag != 0:
                raise self.fail("[parameters]", name, f"parameters are real numbers, got {value}")
            self.defaults[name] = number.real
            self.symbols[name] = sympy.Symbol(name, real=True)
        return self.defaults

    def hamiltonian(self, space: FockSpace, shifts: Mapping[str, sympy.Expr]) -> Hamiltonian:
        onsite: dict[str, sympy.Expr] = {}
        for name, raw in self.table(self.document, "onsite", "[onsite]").items():
            self.mode_name(space, name, "[onsite]", name)
            onsite[name] = self.real(raw, "[onsite]", name)
        for name, shift in shifts.items():  # the tip's field: eps_i + alpha_i bias (both spins)
            onsite[name] = onsite.get(name, sympy.S.Zero) + shift
        hopping = self.pairs(space, "hopping", distinct=True)
        coulomb = self.pairs(space, "coulomb", distinct=not space.spin)
        try:
            return Hamiltonian(space, onsite=onsite, hopping=hopping, coulomb=coulomb)
        except ValueError as error:
            raise self.fail("[onsite], [[hopping]], [[coulomb]]", None, str(error)) from None

    def pairs(self, space: FockSpace, key: str, *, distinct: bool) -> dict[tuple[str, str], sympy.Expr]:
        """``[[hopping]]`` or ``[[coulomb]]`` entries as ``{(i, j): value}``."""
        pairs: dict[tuple[str, str], sympy.Expr] = {}
        for number, entry in enumerate(self.array_of_tables(key), start=1):
            where = f"[[{key}]] entry {number}"
            self.check_keys(entry, _PAIR_KEYS, where)
            for required in _PAIR_KEYS:
                if required not in entry:
                    raise self.fail(where, required, "missing")
            names = entry["orbitals"]
            if not (isinstance(names, list) and len(names) == 2 and all(isinstance(n, str) for n in names)):
                raise self.fail(where, "orbitals", f"expected two orbital names, got {names!r}")
            for name in names:
                self.mode_name(space, name, where, "orbitals")
            if space.spin and (names[0] in space.orbitals) != (names[1] in space.orbitals):
                raise self.fail(where, "orbitals", f"{names!r} mixes an orbital and a spin-orbital; use one kind")
            if names[0] == names[1] and (distinct or names[0] not in space.orbitals):
                need = "two different orbitals" + ("" if key == "hopping" else " (or, with spin, one orbital twice)")
                raise self.fail(where, "orbitals", f"{names[0]!r} twice; a {key} term needs {need}")
            pair = (names[0], names[1])
            if pair in pairs or pair[::-1] in pairs:
                raise self.fail(where, "orbitals", f"the pair {names[0]!r}, {names[1]!r} is given twice")
            if key == "hopping":
                pairs[pair] = self.expression(entry["value"], where, "value")
            else:
                pairs[pair] = self.real(entry["value"], where, "value")
        return pairs

    def leads(self, space: FockSpace, tip_lead: str | None, tip_couplings: dict[str, sympy.Expr] | None) -> list[Lead]:
        """The ``[[lead]]`` entries; the lead named by ``[tip] lead`` takes ``tip_couplings``."""
        entries = self.array_of_tables("lead")
        if not entries:
            raise self.fail("[[lead]]", None, "no leads; give at least one [[lead]] table")
        if len(entries) > MAX_LEADS:
            raise self.fail("[[lead]]", None, f"{len(entries)} leads are more than the {MAX_LEADS} supported")
        leads, names = [], set()
        for number, entry in enumerate(entries, start=1):
            where = f"[[lead]] entry {number}"
            self.check_keys(entry, _LEAD_KEYS, where)
            for required in ("name", "mu", "temperature"):
                if required not in entry:
                    raise self.fail(where, required, "missing")
            name = entry["name"]
            if name == tip_lead:
                if "coupling" in entry:
                    problem = "the tip lead's coupling comes from [tip] (t0, decay); remove one of the two"
                    raise self.fail(f"[[lead]] {name!r}", "coupling", problem)
            elif "coupling" not in entry:
                raise self.fail(where, "coupling", "missing")
            if not isinstance(name, str) or not name.strip():
                raise self.fail(where, "name", f"expected a non-empty string, got {_kind(name)}")
            if len(name) > MAX_NAME_LENGTH:
                raise self.fail(where, "name", f"{_text(name)} is longer than {MAX_NAME_LENGTH} characters")
            if name in names:
                raise self.fail(where, "name", f"a second lead named {name!r}; lead names must be unique")
            names.add(name)
            where = f"[[lead]] {name!r}"
            mu = self.real(entry["mu"], where, "mu")
            temperature = self.real(entry["temperature"], where, "temperature")
            at_defaults = self.at_defaults(temperature).real
            if at_defaults < 0:
                raise self.fail(where, "temperature", f"negative at the defaults ({temperature} = {at_defaults:g})")
            amplitudes = tip_couplings if name == tip_lead else self.couplings(space, entry["coupling"], where)
            band = self.band(entry["band"], where) if "band" in entry else None
            try:
                leads.append(Lead(name, mu, temperature, amplitudes, band=band))
            except ValueError as error:
                raise self.fail(where, None, str(error)) from None
        return leads

    def couplings(self, space: FockSpace, coupling: Any, where: str) -> dict[str, sympy.Expr]:
        if not isinstance(coupling, dict):
            raise self.fail(where, "coupling", f"expected a table {{orbital = t, ...}}, got {_kind(coupling)}")
        if not coupling:
            raise self.fail(where, "coupling", "no couplings; give at least one orbital amplitude")
        amplitudes = {}
        for orbital, raw in coupling.items():
            self.mode_name(space, orbital, where, f"coupling.{orbital}")
            amplitudes[orbital] = self.expression(raw, where, f"coupling.{orbital}")
        return amplitudes

    def band(self, raw: Any, where: str) -> tuple[sympy.Expr, sympy.Expr]:
        if not (isinstance(raw, list) and len(raw) == 2):
            raise self.fail(where, "band", f"expected [low, high], got {raw!r}")
        low, high = (self.real(edge, where, "band") for edge in raw)
        if (high - low).is_negative:
            raise self.fail(where, "band", f"lower edge {low} above upper edge {high}")
        return low, high

    # ----------------------------------------------------------------------------- geometry and tip
    def units(self, table: dict[str, Any]) -> dict[str, str]:
        self.check_keys(table, _UNIT_KEYS, "[units]")
        for key, name in table.items():
            if not isinstance(name, str) or not name.strip() or len(name) > _MAX_UNIT_LENGTH:
                problem = f"expected a unit name of 1 to {_MAX_UNIT_LENGTH} characters, got {_kind(name)}"
                raise self.fail("[units]", key, problem)
        return dict(table)

    def positions(self, space: FockSpace, geometry: dict[str, Any]) -> dict[str, tuple[sympy.Expr, ...]]:
        """``[geometry] positions`` as ``{orbital: (x, y, z)}`` (real values; z = 0 if not given)."""
        self.check_keys(geometry, _GEOMETRY_KEYS, "[geometry]")
        table = geometry.get("positions", {})
        if not isinstance(table, dict):
            raise self.fail(
                "[geometry]", "positions", f"expected a table {{orbital = [x, y], ...}}, got {_kind(table)}"
            )
        positions = {}
        for orbital, raw in table.items():
            key = f"positions.{orbital}"
            if orbital not in space.orbitals:
                known = ", ".join(space.orbitals)
                raise self.fail(
                    "[geometry]", key, f"unknown orbital {orbital!r} (positions are per orbital); known: {known}"
                )
            if not (isinstance(raw, list) and len(raw) in (2, 3)):
                raise self.fail("[geometry]", key, f"expected [x, y] or [x, y, z], got {_kind(raw)}")
            coordinates = [self.real(value, "[geometry]", key) for value in raw]
            positions[orbital] = (*coordinates, sympy.S.Zero)[:3]
        return positions

    def tip(self, space: FockSpace, positions: dict[str, tuple[sympy.Expr, ...]]) -> tuple[Tip | None, str | None]:
        """``[tip]``: the tip and the name of its lead (None, None without the table)."""
        if "tip" not in self.document:
            return None, None
        table = self.table(self.document, "tip", "[tip]")
        self.check_keys(table, _TIP_KEYS, "[tip]")
        for required in ("x", "y", "height", "t0", "decay"):
            if required not in table:
                raise self.fail("[tip]", required, "missing")
        lead = table.get("lead", "tip")
        names = [entry.get("name") for entry in self.array_of_tables("lead")]
        if lead not in names:
            known = ", ".join(str(name) for name in names) or "none"
            raise self.fail("[tip]", "lead", f"no [[lead]] named {lead!r}; leads: {known}")
        missing = [orbital for orbital in space.orbitals if orbital not in positions]
        if missing:
            problem = f"no position for {', '.join(missing)}; [tip] needs the position of every orbital"
            raise self.fail("[geometry]", "positions", problem)
        shift = [key for key in ("radius", "lever") if key in table]
        if len(shift) == 2:
            raise self.fail("[tip]", "lever", "give either radius (the point-charge lever arm R/d) or lever, not both")
        if shift and "bias" not in table:
            raise self.fail("[tip]", "bias", f"missing; the level shift of {shift[0]!r} multiplies the bias")
        if "bias" in table and not shift:
            raise self.fail("[tip]", "bias", "a bias without a lever arm; give radius or lever too, or remove bias")
        values = {
            key: self.real(table[key], "[tip]", key) for key in ("x", "y", "height", "decay", "bias") if key in table
        }
        if not self.at_defaults(values["decay"]).real > 0:
            raise self.fail(
                "[tip]", "decay", f"the decay length must be positive, got {values['decay']} at the defaults"
            )
        t0 = self.expression(table["t0"], "[tip]", "t0")
        lever = None
        if "radius" in table:
            lever = self.real(table["radius"], "[tip]", "radius") / DISTANCE
        elif "lever" in table:
            lever = self.lever(table["lever"])
        coordinates = {key: values[key] for key in ("x", "y", "height")}
        tip = Tip(**coordinates, t0=t0, decay=values["decay"], lever=lever, bias=values.get("bias"))
        return tip, lead

    def lever(self, raw: Any) -> sympy.Expr:
        """``[tip] lever``: an expression in the parameters and the tip–orbital distance ``d``."""
        if DISTANCE.name in self.symbols:
            problem = f"the parameter {DISTANCE.name!r} hides the distance d of the lever arm; rename the parameter"
            raise self.fail("[tip]", "lever", problem)
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise self.fail("[tip]", "lever", f"expected a number or an expression string, got {_kind(raw)}")
        try:
            symbols = {**self.symbols, DISTANCE.name: DISTANCE}
            value = (
                exact_number(raw)
                if not isinstance(raw, str)
                else parse_expression(raw, symbols=symbols, allowed_names=tuple(symbols))
            )
        except ExpressionError as error:
            raise self.fail("[tip]", "lever", str(error)) from None
        if value.is_extended_real is False:
            raise self.fail("[tip]", "lever", f"must be real, got {value}")
        return value

    def derived(self, values: dict[str, sympy.Expr], kind: str) -> dict[str, sympy.Expr]:
        """The tip's couplings or shifts, each through the evaluation guard as ``[tip] kind.orbital``."""
        for orbital, expr in values.items():
            key, read = f"{kind}.{orbital}", ModelValue("[tip]", f"{kind}.{orbital}", str(expr), expr)
            problem = _out_of_range(expr, self.defaults)
            if problem:
                raise self.fail("[tip]", key, _violation(read, problem, self.defaults, "at the defaults"))
            self.values.append(read)
        return values

    # ----------------------------------------------------------------------------- values and names
    def mode_name(self, space: FockSpace, name: str, where: str, key: str) -> None:
        try:
            space.modes_of(name)
        except ValueError as error:
            raise self.fail(where, key, str(error)) from None

    def expression(self, raw: Any, where: str, key: str, *, constant: bool = False) -> sympy.Expr:
        """A number, or an expression string over the declared parameters (``constant``: over none),
        that passes the evaluation guard at the defaults; recorded for :meth:`ModelFile.check_values`."""
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise self.fail(where, key, f"expected a number or an expression string, got {_kind(raw)}")
        if isinstance(raw, float) and not math.isfinite(raw):
            raise self.fail(where, key, f"{raw} is not a finite number")
        value = self.parse(raw, where, key, constant=constant)
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.fail(where, key, f"{raw!r} is not finite")
        read = ModelValue(where, key, raw, value)
        problem = _out_of_range(value, self.defaults)
        if problem:
            raise self.fail(where, key, _violation(read, problem, self.defaults, "at the defaults"))
        self.values.append(read)
        return value

    def parse(self, raw: float | str, where: str, key: str, *, constant: bool) -> sympy.Expr:
        if not isinstance(raw, str):
            return exact_number(raw)
        allowed = () if constant else tuple(self.symbols)
        try:
            return parse_expression(raw, symbols=self.symbols, allowed_names=allowed)
        except ExpressionError as error:
            problem = str(error)
            if constant and problem.startswith("undefined parameter"):
                problem = f"a default must be a number or an expression of numbers (got {raw!r})"
            raise self.fail(where, key, problem) from None

    def real(self, raw: Any, where: str, key: str) -> sympy.Expr:
        """An expression that must be real (energies, chemical potentials, temperatures): it is
        checked structurally and at the parameter defaults."""
        value = self.expression(raw, where, key)
        if value.is_extended_real is False or self.at_defaults(value).imag != 0:
            raise self.fail(where, key, f"must be real, got {value}")
        return value

    def at_defaults(self, value: sympy.Expr) -> complex:
        """The value of an expression at the parameter defaults, in floating point (every value
        has passed the evaluation guard in :meth:`expression`)."""
        return evaluate(value, self.defaults)


def _kind(value: Any) -> str:
    names: dict[type, Callable[[Any], str]] = {
        bool: lambda v: f"the boolean {str(v).lower()}",
        dict: lambda v: "a table",
        list: lambda v: "an array",
        str: lambda v: f"the string {v!r}",
    }
    for kind, describe in names.items():
        if isinstance(value, kind):
            return describe(value)
    return f"{type(value).__name__} {value!r}"
