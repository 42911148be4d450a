"""Every tutorial notebook executes from top to bottom."""

from pathlib import Path

import pytest
from notebooks import run_notebook

TUTORIALS = sorted((Path(__file__).resolve().parent.parent / "tutorials").glob("*.ipynb"))


def test_tutorials_exist():
    assert TUTORIALS, "no tutorial notebooks found in tutorials/"


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.name for p in TUTORIALS])
def test_tutorial_runs(path):
    run_notebook(path)
