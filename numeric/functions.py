"""Numerically stable special functions used by compiled kernels."""

from __future__ import annotations

import numpy as np

__all__ = [
    "fermi",
    "fermi_complement",
    "golden_rule_pair",
    "modulus_squared",
    "weighted_fermi",
    "weighted_fermi_complement",
]


def fermi(x: np.ndarray | float, temperature: np.ndarray | float) -> np.ndarray:
    """Fermi–Dirac occupation ``1/(exp(x/T) + 1)``, stable for any ``|x|/T``.

    ``x = E - mu`` and ``T`` share one unit (k_B = 1) and broadcast.  ``exp(x/T)`` may overflow
    to ``inf``; that is the exact limit (occupation 0) and is computed without warnings, so the
    result is accurate to a few ulp in both tails and never NaN.  (This form is about twice as
    fast as ``scipy.special.expit`` and as accurate.)  At ``T = 0`` it is the step function,
    1/2 at ``x = 0``.  Temperatures must not be negative (callers validate their inputs).
    """
    return weighted_fermi(1.0, x, temperature)


def fermi_complement(x: np.ndarray | float, temperature: np.ndarray | float) -> np.ndarray:
    """Hole occupation ``1 - fermi(x, T) = 1/(exp(-x/T) + 1)``, computed directly (no
    cancellation when the occupation is close to one); same conventions as :func:`fermi`."""
    return weighted_fermi_complement(1.0, x, temperature)


def weighted_fermi(weight, x, temperature) -> np.ndarray:
    """``weight * fermi(x, T)`` in one pass less than the product (a golden-rule rate
    ``Gamma f``: the weight divides ``1 + exp(x/T)`` directly)."""
    return _logistic(weight, x, temperature, 1.0)


def weighted_fermi_complement(weight, x, temperature) -> np.ndarray:
    """``weight * (1 - fermi(x, T))``, like :func:`weighted_fermi`."""
    return _logistic(weight, x, temperature, -1.0)


def _logistic(weight, x, temperature, sign: float) -> np.ndarray:
    """``weight/(exp(sign * x/T) + 1)`` with the T = 0 step and no overflow warnings."""
    if isinstance(temperature, float | int) or np.ndim(temperature) == 0:
        positive = float(temperature) > 0  # the usual case: one temperature, no array check
    else:
        temperature = np.asarray(temperature, dtype=float)
        positive = bool((temperature > 0).all())
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        # one reciprocal of the (usually scalar) temperature, then one multiplication per element
        z = np.multiply(x, sign / np.asarray(temperature, dtype=float))
        if not isinstance(z, np.ndarray):  # scalar inputs: make it writable for the in-place steps
            z = np.array(z, dtype=float)
        if not positive:
            x = np.asarray(x, dtype=float)
            step = np.where(x == 0, 0.0, np.copysign(np.inf, sign * x))
            z = np.where(temperature == 0, step, z)
        np.exp(z, out=z)
    z += 1.0
    if np.shape(weight) == () or np.broadcast_shapes(np.shape(weight), z.shape) == z.shape:
        return np.divide(weight, z, out=z)
    return np.divide(weight, z)


#: Largest ``x/T`` whose exponential is computed directly (exp(709) is below the float maximum).
_EXP_LIMIT = 709.0


def golden_rule_pair(weight: np.ndarray, x: np.ndarray, temperature: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(weight * fermi(x, T), weight * (1 - fermi(x, T)))`` from one exponential.

    With ``z = exp(x/T)``: ``weight/(1 + z)`` and ``weight/(1 + z) * z``, both to full relative
    precision, one ``exp`` and one division per element (an electron's in- and out-rates of a
    golden-rule block; divisions and masked selections are the slow operations here).  Where
    ``x/T`` exceeds 709 the first is ``weight * exp(-x/T)`` instead (no overflow); ``T = 0``
    gives the step (1/2 at ``x = 0``).  Arguments broadcast; temperatures must not be negative.
    """
    x = np.asarray(x, dtype=float)
    temperature = np.asarray(temperature, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        z = x * np.reciprocal(temperature)
        if not np.all(temperature > 0):
            z = np.where(temperature == 0, np.where(x == 0, 0.0, np.copysign(np.inf, x)), z)
        beyond = z > _EXP_LIMIT
        tail = np.exp(-z) if beyond.any() else None
        np.minimum(z, _EXP_LIMIT, out=z)
        np.exp(z, out=z)
        entering = np.divide(weight, 1.0 + z)
        leaving = np.multiply(entering, z, out=z if z.shape == entering.shape else None)
        if tail is not None:
            entering = np.where(beyond, weight * tail, entering)
    return entering, leaving


def modulus_squared(z: np.ndarray | complex) -> np.ndarray:
    """``|z|^2`` without the square root of ``abs``: ``z.real**2 + z.imag**2``."""
    z = np.asarray(z)
    if not np.iscomplexobj(z):
        return z * z
    return z.real * z.real + z.imag * z.imag
