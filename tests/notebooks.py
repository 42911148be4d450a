"""Run the code cells of a Jupyter notebook in-process, in order, in one namespace.

The tutorials are executed by the test suite this way rather than through a Jupyter kernel:
no kernel, ZeroMQ or Jupyter packages are needed at test time, a failing cell shows a normal
Python traceback pointing at ``<notebook>:cell<k>``, and the run is fast.  The rules this
imposes on tutorials: plain Python cells (no ``%magics`` or ``!shell`` lines); ``display`` is
available as in Jupyter (a no-op here); figures use the non-interactive Agg backend.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")


def code_cells(path: Path) -> list[str]:
    """The source of every code cell of a version-4 notebook, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    if notebook.get("nbformat") != 4:
        raise ValueError(f"{path.name}: expected an nbformat 4 notebook")
    cells = []
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        cells.append("".join(source) if isinstance(source, list) else source)
    return cells


def run_notebook(path: Path) -> dict:
    """Execute the notebook's code cells with the notebook's folder as working directory;
    return the final namespace (so tests can check values the tutorial computed)."""
    import matplotlib.pyplot as plt

    path = Path(path).resolve()
    namespace: dict = {"__name__": "__main__", "display": lambda *args, **kwargs: None}
    previous = os.getcwd()
    os.chdir(path.parent)
    try:
        for k, source in enumerate(code_cells(path)):
            for line in source.splitlines():
                if line.lstrip().startswith(("%", "!")):
                    raise ValueError(f"{path.name} cell {k}: magics and shell lines are not allowed: {line!r}")
            exec(compile(source, f"{path.name}:cell{k}", "exec"), namespace)  # noqa: S102 - our own tutorials
    finally:
        os.chdir(previous)
        plt.close("all")
    return namespace
