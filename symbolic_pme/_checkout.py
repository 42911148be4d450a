"""Finding the fast layer when symbolic_pme is imported from a source checkout.

An installation maps the folder ``numeric/`` to ``symbolic_pme.numeric`` (setuptools
``package-dir``).  Run from a checkout without installing (the repository root on ``sys.path``,
e.g. ``python -m symbolic_pme`` there), the subpackage would not be found; this finder resolves
that one name, and nothing else, to the sibling folder.  It imports nothing until
``symbolic_pme.numeric`` is imported.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

NAME = "symbolic_pme.numeric"
FOLDER = Path(__file__).resolve().parent.parent / "numeric"


class _CheckoutNumeric:
    """Resolves ``symbolic_pme.numeric`` to the checkout's ``numeric/`` folder (a meta path finder:
    the protocol is ``find_spec`` alone, and importlib.abc would cost the start-up of the command)."""

    def find_spec(self, fullname, path=None, target=None):  # noqa: ARG002  (the finder protocol)
        if fullname != NAME:
            return None
        return importlib.util.spec_from_file_location(
            NAME, FOLDER / "__init__.py", submodule_search_locations=[str(FOLDER)]
        )


def find_numeric_in_checkout() -> None:
    """Install the finder if ``symbolic_pme.numeric`` cannot be found otherwise."""
    if any(isinstance(finder, _CheckoutNumeric) for finder in sys.meta_path):
        return
    if importlib.util.find_spec(NAME) is None and (FOLDER / "__init__.py").is_file():
        sys.meta_path.append(_CheckoutNumeric())
