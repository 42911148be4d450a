"""Shared test helpers: the tests folder is importable (``notebooks``, ``reference``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
