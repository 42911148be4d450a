"""Every public object has a numpydoc docstring, and every docstring example runs.

Public means listed in the ``__all__`` of a module of ``symbolic_pme`` (the numeric layer
included), and the public methods of those classes.  A function that takes arguments documents
them under ``Parameters``; one that returns a value has ``Returns`` (or ``Yields``); one that
raises has ``Raises``.  A class that takes arguments or has fields documents them under
``Parameters`` or ``Attributes``.  The ``Examples`` sections are run as doctests.
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
import textwrap

import pytest

import symbolic_pme
import symbolic_pme.numeric


def _modules() -> list:
    names = {"symbolic_pme", "symbolic_pme.numeric"}
    for package in (symbolic_pme, symbolic_pme.numeric):
        names |= {m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")}
    names.discard("symbolic_pme.__main__")  # runs the command when imported
    modules = [importlib.import_module(name) for name in sorted(names)]
    # the compiled extension (numeric/_loops.c) has no Python source; its wrappers are checked
    return [m for m in modules if getattr(m, "__file__", "").endswith(".py")]


MODULES = _modules()


def _public_objects() -> dict[str, object]:
    found: dict[str, object] = {}
    seen: set[int] = set()
    for module in MODULES:
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{obj.__module__}.{obj.__qualname__}"] = obj
            if inspect.isclass(obj):
                for attribute, value in vars(obj).items():
                    if attribute.startswith("_"):
                        continue
                    function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
                    if inspect.isfunction(function) or isinstance(value, property) or hasattr(value, "attrname"):
                        found[f"{obj.__module__}.{obj.__qualname__}.{attribute}"] = value
    return found


PUBLIC = _public_objects()


def _sections(doc: str) -> set[str]:
    return set(re.findall(r"^(\w[\w ]*)\n-{3,}$", textwrap.dedent(doc), re.M))


def _has_section(doc: str, *names: str) -> bool:
    text = inspect.cleandoc(doc)
    return any(re.search(rf"^{name}\n-{{3,}}$", text, re.M) for name in names)


def _missing(obj: object) -> list[str]:
    doc = inspect.getdoc(obj) if not isinstance(obj, property) and not hasattr(obj, "attrname") else obj.__doc__
    if not doc or not doc.strip():
        return ["a docstring"]
    if isinstance(obj, property) or hasattr(obj, "attrname"):
        return []  # a property's docstring says what it is; its type is its annotation
    function = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
    missing = []
    text = inspect.cleandoc(doc)
    if inspect.isclass(function):
        takes = []
        if dataclasses.is_dataclass(function):
            takes = [f.name for f in dataclasses.fields(function)]
        elif hasattr(function, "_fields"):
            takes = list(function._fields)
        elif "__init__" in vars(function):
            takes = [p for p in inspect.signature(function.__init__).parameters if p not in ("self", "args", "kwargs")]
        if takes and not _has_section(text, "Parameters", "Attributes"):
            missing.append("Parameters or Attributes")
        return missing
    signature = inspect.signature(function)
    arguments = [p for p in signature.parameters if p not in ("self", "cls")]
    if arguments and not _has_section(text, "Parameters"):
        missing.append("Parameters")
    returns = signature.return_annotation
    if returns not in (inspect.Signature.empty, None, "None") and not _has_section(text, "Returns", "Yields"):
        missing.append("Returns")
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        source = ""
    body = source.split(":\n", 1)[-1]
    if re.search(r"^\s+raise \w", body, re.M) and not _has_section(text, "Raises"):
        missing.append("Raises")
    return missing


def test_every_public_object_has_a_numpydoc_docstring():
    problems = {name: missing for name, obj in PUBLIC.items() if (missing := _missing(obj))}
    listing = "\n".join(f"  {name}: needs {', '.join(missing)}" for name, missing in sorted(problems.items()))
    assert not problems, f"{len(problems)} public objects lack numpydoc sections:\n{listing}"


def test_every_module_has_a_docstring():
    assert [m.__name__ for m in MODULES if not (m.__doc__ or "").strip()] == []


def test_the_conventions_are_cited_from_the_repository():
    """Docstrings cite docs/conventions.md (shipped with the code), not the design notes."""
    citing = [m.__name__ for m in MODULES if "DESIGN.md" in inspect.getsource(m)]
    assert citing == []


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, module.__name__, globs=dict(vars(module))):
        if test.examples and test.name.startswith(module.__name__):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
