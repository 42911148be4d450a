"""The package's layout as the README describes it, and what importing it costs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_importing_the_exact_layer_loads_no_numeric_module_and_no_matplotlib():
    code = (
        "import sys\n"
        "import symbolic_pme\n"
        "from symbolic_pme import FockSpace, Hamiltonian, Lead, RateNetwork, TransportModel, load_model\n"
        "loaded = [m for m in sys.modules if m.startswith(('symbolic_pme.numeric', 'matplotlib'))]\n"
        "print(' '.join(loaded))"
    )
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert finished.stdout.split() == []


def test_the_readme_layout_names_every_module_and_subpackage():
    section = _layout_section()
    named = set(re.findall(r"`([a-z_][a-z_0-9/.]*)`", section))
    named |= {part.strip("/") for name in named for part in re.split(r"[/.]", name) if part}
    missing = []
    for folder in (ROOT / "symbolic_pme", ROOT / "numeric"):
        for path in folder.rglob("*.py"):
            if path.name.startswith("_") or "__pycache__" in path.parts:
                continue
            if path.stem not in named:
                missing.append(str(path.relative_to(ROOT)))
        for package in folder.rglob("__init__.py"):
            if package.parent != folder and package.parent.name not in named:
                missing.append(str(package.parent.relative_to(ROOT)) + "/")
    assert sorted(missing) == []
