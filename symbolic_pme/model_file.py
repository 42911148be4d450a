"""Model files: a dot, its leads and its parameters in one TOML file (read with ``tomllib``).

The schema (every key; docs/model-files.md explains each with examples)::

    title = "..."                    # optional; defaults to the file name
    [system]      orbitals = [...] or a count;  spin = false
    [parameters]  name = default value (a number, or an expression of numbers and pi)
    [onsite]      orbital = eps                      (eps_i n_i; with spin both spins)
    [[hopping]]   orbitals = [i, j]; value = Omega   (Omega d_i^+ d_j + h.c.)
    [[coulomb]]   orbitals = [i, j]; value = U       (U n_i n_j; [i, i] with spin: U n_i_up n_i_down)
    [[lead]]      name; mu; temperature; coupling = {orbital = t}; band = [low, high] (optional)

Any value may be a number or an expression string over the declared parameters (``"V/2"``,
``"eps0 + 0.1"``, ``"sqrt(G/(2*pi))"``).  Expressions are read by
:func:`symbolic_pme.expressions.parse_expression`, a whitelist over Python's ``ast``; file text is
never evaluated as Python.  Units and signs are those of the Python API (DESIGN.md).

The whole file is checked before anything is built: the first problem raises
:class:`ModelFileError` with one message naming the file, the table and the key.
"""

from __future__ import annotations

import keyword
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sympy

from .expressions import CONSTANTS, FUNCTIONS, ExpressionError, parse_expression
from .fock import FockSpace
from .hamiltonian import Hamiltonian
from .lead import Lead
from .transport import TransportModel

if TYPE_CHECKING:  # pragma: no cover
    from symbolic_pme.numeric.network import CompiledNetwork

__all__ = ["ModelFile", "ModelFileError", "load_model"]

_TOP_KEYS = ("title", "system", "parameters", "onsite", "hopping", "coulomb", "lead")
_SYSTEM_KEYS = ("orbitals", "spin")
_PAIR_KEYS = ("orbitals", "value")
_LEAD_KEYS = ("name", "mu", "temperature", "coupling", "band")


class ModelFileError(ValueError):
    """A model file that cannot be read; the message names the file, the table and the key."""


@dataclass(frozen=True)
class ModelFile:
    """A model read from a file.

    Attributes
    ----------
    path:
        The file.
    title:
        The ``title`` (or the file name without extension).
    parameters:
        ``{name: default}`` of every declared parameter, in file order.
    model:
        The :class:`TransportModel` (symbols are the declared parameters, all real).
    """

    path: Path
    title: str
    parameters: dict[str, float]
    model: TransportModel

    @property
    def orbitals(self) -> tuple[str, ...]:
        return self.model.space.orbitals

    @property
    def spin(self) -> bool:
        return self.model.space.spin

    @property
    def leads(self) -> tuple[str, ...]:
        """Lead names in file order."""
        return tuple(lead.name for lead in self.model.leads)

    @property
    def used_parameters(self) -> tuple[str, ...]:
        """Declared parameters that enter the model, in file order (the others change nothing)."""
        used = {s.name for s in self.model.parameters}
        return tuple(name for name in self.parameters if name in used)

    def compile(self) -> CompiledNetwork:
        """The numeric solver, with the declared defaults."""
        return self.model.compile(defaults={n: self.parameters[n] for n in self.used_parameters})


def load_model(path: str | Path) -> ModelFile:
    """Read and check a model file; raise :class:`ModelFileError` on the first problem."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            document = tomllib.load(stream)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except OSError as error:
        raise ModelFileError(f"{path}: cannot read it ({error.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ModelFileError(f"{path}: not valid TOML ({error})") from None
    return _Reader(path, document).model_file()


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
        if "system" not in document:
            raise self.fail("[system]", None, "missing; give at least 'orbitals'")
        space = self.space(self.table(document, "system", "[system]"))
        parameters = self.parameters(self.table(document, "parameters", "[parameters]"))
        hamiltonian = self.hamiltonian(space)
        leads = self.leads(space)
        try:
            model = TransportModel(hamiltonian, leads)
        except ValueError as error:  # e.g. a spin-orbital coupled both by its name and its orbital's
            raise self.fail("[[lead]]", None, str(error)) from None
        return ModelFile(self.path, title, parameters, model)

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
        try:
            return FockSpace(orbitals, spin=spin)
        except (TypeError, ValueError) as error:
            raise self.fail("[system]", "orbitals", str(error).removeprefix("orbitals: ")) from None

    def parameters(self, table: dict[str, Any]) -> dict[str, float]:
        for name, raw in table.items():
            if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
                raise self.fail("[parameters]", name, "not a valid parameter name (letters, digits, _; not leading _)")
            if name in FUNCTIONS or name in CONSTANTS:
                raise self.fail("[parameters]", name, "the name of a built-in function or constant; choose another")
            value = self.expression(raw, "[parameters]", name, constant=True)
            if not value.is_extended_real:
                raise self.fail("[parameters]", name, f"parameters are real numbers, got {value}")
            if not math.isfinite(float(value)):
                raise self.fail("[parameters]", name, f"{raw!r} is not a finite number")
            self.defaults[name] = float(value)
            self.symbols[name] = sympy.Symbol(name, real=True)
        return self.defaults

    def hamiltonian(self, space: FockSpace) -> Hamiltonian:
        onsite = {}
        for name, raw in self.table(self.document, "onsite", "[onsite]").items():
            self.mode_name(space, name, "[onsite]", name)
            onsite[name] = self.real(raw, "[onsite]", name)
        hopping = self.pairs(space, "hopping", distinct=True)
        coulomb = self.pairs(space, "coulomb", distinct=not space.spin)
        try:
            return Hamiltonian(space, onsite=onsite, hopping=hopping, coulomb=coulomb)
        except ValueError as error:
            raise self.fail("[onsite], [[hopping]], [[coulomb]]", None, str(error)) from None

    def pairs(self, space: FockSpace, key: str, distinct: bool) -> dict[tuple[str, str], sympy.Expr]:
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

    def leads(self, space: FockSpace) -> list[Lead]:
        entries = self.array_of_tables("lead")
        if not entries:
            raise self.fail("[[lead]]", None, "no leads; give at least one [[lead]] table")
        leads, names = [], set()
        for number, entry in enumerate(entries, start=1):
            where = f"[[lead]] entry {number}"
            self.check_keys(entry, _LEAD_KEYS, where)
            for required in ("name", "mu", "temperature", "coupling"):
                if required not in entry:
                    raise self.fail(where, required, "missing")
            name = entry["name"]
            if not isinstance(name, str) or not name.strip():
                raise self.fail(where, "name", f"expected a non-empty string, got {_kind(name)}")
            if name in names:
                raise self.fail(where, "name", f"a second lead named {name!r}; lead names must be unique")
            names.add(name)
            where = f"[[lead]] {name!r}"
            mu = self.real(entry["mu"], where, "mu")
            temperature = self.real(entry["temperature"], where, "temperature")
            at_defaults = self.at_defaults(temperature).real
            if at_defaults < 0:
                raise self.fail(where, "temperature", f"negative at the defaults ({temperature} = {at_defaults:g})")
            coupling = entry["coupling"]
            if not isinstance(coupling, dict):
                raise self.fail(where, "coupling", f"expected a table {{orbital = t, ...}}, got {_kind(coupling)}")
            if not coupling:
                raise self.fail(where, "coupling", "no couplings; give at least one orbital amplitude")
            amplitudes = {}
            for orbital, raw in coupling.items():
                self.mode_name(space, orbital, where, f"coupling.{orbital}")
                amplitudes[orbital] = self.expression(raw, where, f"coupling.{orbital}")
            band = self.band(entry["band"], where) if "band" in entry else None
            try:
                leads.append(Lead(name, mu, temperature, amplitudes, band))
            except ValueError as error:
                raise self.fail(where, None, str(error)) from None
        return leads

    def band(self, raw: Any, where: str) -> tuple[sympy.Expr, sympy.Expr]:
        if not (isinstance(raw, list) and len(raw) == 2):
            raise self.fail(where, "band", f"expected [low, high], got {raw!r}")
        low, high = (self.real(edge, where, "band") for edge in raw)
        if (high - low).is_negative:
            raise self.fail(where, "band", f"lower edge {low} above upper edge {high}")
        return low, high

    # ----------------------------------------------------------------------------- values and names
    def mode_name(self, space: FockSpace, name: str, where: str, key: str) -> None:
        try:
            space.modes_of(name)
        except ValueError as error:
            raise self.fail(where, key, str(error)) from None

    def expression(self, raw: Any, where: str, key: str, constant: bool = False) -> sympy.Expr:
        """A number, or an expression string over the declared parameters (``constant``: over none)."""
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise self.fail(where, key, f"expected a number or an expression string, got {_kind(raw)}")
        if isinstance(raw, float) and not math.isfinite(raw):
            raise self.fail(where, key, f"{raw} is not a finite number")
        if not isinstance(raw, str):
            return sympy.sympify(raw)
        allowed = () if constant else tuple(self.symbols)
        try:
            value = parse_expression(raw, symbols=self.symbols, allowed_names=allowed)
        except ExpressionError as error:
            problem = str(error)
            if constant and problem.startswith("undefined parameter"):
                problem = f"a default must be a number or an expression of numbers (got {raw!r})"
            raise self.fail(where, key, problem) from None
        if value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo):
            raise self.fail(where, key, f"{raw!r} is not finite")
        return value

    def real(self, raw: Any, where: str, key: str) -> sympy.Expr:
        """An expression that must be real (energies, chemical potentials, temperatures): it is
        checked structurally and at the parameter defaults."""
        value = self.expression(raw, where, key)
        if value.is_extended_real is False or self.at_defaults(value).imag != 0:
            raise self.fail(where, key, f"must be real, got {value}")
        return value

    def at_defaults(self, value: sympy.Expr) -> complex:
        """The value of an expression at the parameter defaults."""
        return complex(value.xreplace({self.symbols[n]: v for n, v in self.defaults.items()}))


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
