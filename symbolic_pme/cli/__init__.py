"""The ``symbolic-pme`` command (also ``python -m symbolic_pme``): solve and derive model files.

``symbolic-pme solve MODEL.toml`` computes the steady state, currents and occupations (one point,
a sweep or a grid; table, JSON or CSV; optional plot); ``symbolic-pme derive MODEL.toml`` prints
the states, Hamiltonian blocks, rates and, where feasible, closed forms.  Bad input is reported in
one line on stderr with exit status 2.
"""

from .main import main

__all__ = ["main"]
