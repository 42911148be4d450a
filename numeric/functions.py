"""Numerically stable special functions used by compiled kernels."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

__all__ = ["fermi"]


def fermi(x: np.ndarray | float, temperature: np.ndarray | float) -> np.ndarray:
    """Fermi–Dirac occupation ``1/(exp(x/T) + 1)`` without overflow.

    ``x = E - mu`` and ``T`` share one unit (k_B = 1) and broadcast.  Evaluated as the logistic
    function ``expit(-x/T)``, which never overflows: ``|x|/T`` may be arbitrarily large.  At
    ``T = 0`` it is the step function, 1/2 at ``x = 0``.  Temperatures must not be negative
    (callers validate their inputs).
    """
    x = np.asarray(x, dtype=float)
    temperature = np.asarray(temperature, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = np.negative(x) / temperature
    if not np.all(temperature > 0):
        step = np.where(x == 0, 0.0, np.copysign(np.inf, np.negative(x)))
        z = np.where(temperature == 0, step, z)
    return expit(z)
