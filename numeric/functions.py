"""Numerically stable special functions used by compiled kernels."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "fermi",
    "fermi_complement",
    "FACTOR_LIMIT",
    "boltzmann_factor",
    "chemical_factor",
    "golden_rule_pair",
    "golden_rule_pair_factored",
    "modulus_squared",
    "weighted_fermi",
    "weighted_fermi_complement",
]


def fermi(x: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """Fermi–Dirac occupation ``1/(exp(x/T) + 1)``, stable for any ``|x|/T``.

    ``exp(x/T)`` may overflow to ``inf``; that is the exact limit (occupation 0) and is computed
    without warnings, so the result is accurate to a few ulp in both tails and never NaN.  (This
    form is about twice as fast as ``scipy.special.expit`` and as accurate.)  At ``T = 0`` it is
    the step function, 1/2 at ``x = 0``.  Units as in ``docs/conventions.md`` (k_B = 1).

    Parameters
    ----------
    x : array_like
        Energy above the chemical potential, ``E - mu``.
    temperature : array_like
        Temperature ``T`` in the unit of ``x``; must not be negative (callers validate their
        inputs).  Broadcasts with ``x``.

    Returns
    -------
    numpy.ndarray
        The occupation, of the broadcast shape of the arguments.

    Examples
    --------
    >>> fermi(np.array([-1.0, 0.0, 1000.0]), 0.1).round(6)
    array([0.999955, 0.5     , 0.      ])
    >>> fermi(0.0, 0.0)
    array(0.5)
    """
    return weighted_fermi(1.0, x, temperature)


def fermi_complement(x: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """Hole occupation ``1 - fermi(x, T) = 1/(exp(-x/T) + 1)``, computed directly.

    There is no cancellation when the occupation is close to one; same conventions as
    :func:`fermi`.

    Parameters
    ----------
    x : array_like
        Energy above the chemical potential, ``E - mu``.
    temperature : array_like
        Temperature, not negative; broadcasts with ``x``.

    Returns
    -------
    numpy.ndarray
        ``1 - fermi(x, T)``, of the broadcast shape of the arguments.

    Examples
    --------
    >>> print(f"{float(fermi_complement(-50.0, 1.0)):.6g}")  # 1 - fermi(-50, 1) rounds to 0
    1.92875e-22
    """
    return weighted_fermi_complement(1.0, x, temperature)


def weighted_fermi(weight: ArrayLike, x: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """``weight * fermi(x, T)`` in one pass less than the product.

    A golden-rule rate ``Gamma f``: the weight divides ``1 + exp(x/T)`` directly.

    Parameters
    ----------
    weight : array_like
        The prefactor (a rate ``Gamma``, not negative).
    x : array_like
        Energy above the chemical potential, ``E - mu``.
    temperature : array_like
        Temperature, not negative.  All three broadcast.

    Returns
    -------
    numpy.ndarray
        ``weight * fermi(x, T)``.
    """
    return _logistic(weight, x, temperature, 1.0)


def weighted_fermi_complement(weight: ArrayLike, x: ArrayLike, temperature: ArrayLike) -> np.ndarray:
    """``weight * (1 - fermi(x, T))``, like :func:`weighted_fermi`.

    Parameters
    ----------
    weight : array_like
        The prefactor (a rate ``Gamma``, not negative).
    x : array_like
        Energy above the chemical potential, ``E - mu``.
    temperature : array_like
        Temperature, not negative.  All three broadcast.

    Returns
    -------
    numpy.ndarray
        ``weight * (1 - fermi(x, T))``.
    """
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


def golden_rule_pair(
    weight: ArrayLike,
    x: ArrayLike,
    temperature: ArrayLike,
    *,
    out: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(weight * fermi(x, T), weight * (1 - fermi(x, T)))`` from one exponential.

    With ``z = exp(x/T)``: ``weight/(1 + z)`` and ``weight/(1 + z) * z``, both to full relative
    precision, one ``exp`` and one division per element (an electron's in- and out-rates of a
    golden-rule block, ``docs/conventions.md``; divisions and masked selections are the slow
    operations here).  Where ``x/T`` exceeds 709 the first is ``weight * exp(-x/T)`` instead
    (no overflow); ``T = 0`` gives the step (1/2 at ``x = 0``).

    Parameters
    ----------
    weight : array_like
        The prefactor ``2 pi |T|^2`` (not negative).
    x : array_like
        Energy difference minus the chemical potential, ``E_b - E_a - mu``.
    temperature : array_like
        Temperature, not negative.  All three broadcast.
    out : tuple of numpy.ndarray, optional
        ``(entering, leaving)`` arrays of the broadcast shape to write the results to (no
        temporaries are made then; ``x`` may be ``out[1]`` itself).

    Returns
    -------
    entering : numpy.ndarray
        ``weight * fermi(x, T)``: the rate of an electron entering from the lead.
    leaving : numpy.ndarray
        ``weight * (1 - fermi(x, T))``: the rate of an electron leaving into the lead.

    Examples
    --------
    >>> entering, leaving = golden_rule_pair(2.0, np.array([0.0, 1.0]), 0.5)
    >>> (entering + leaving).tolist()
    [2.0, 2.0]
    """
    x = np.asarray(x, dtype=float)
    temperature = np.asarray(temperature, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        z = np.asarray(np.multiply(x, np.reciprocal(temperature), out=None if out is None else out[1]))
        # (a float comparison for the usual single temperature: NumPy's calls cost microseconds)
        if not (float(temperature) > 0 if temperature.ndim == 0 else (temperature > 0).all()):
            z[...] = np.where(temperature == 0, np.where(x == 0, 0.0, np.copysign(np.inf, x)), z)
        tail = None
        if z.size and z.max() > _EXP_LIMIT:  # one reduction where the mask would cost three passes
            beyond = z > _EXP_LIMIT
            tail = np.exp(-z)
            np.minimum(z, _EXP_LIMIT, out=z)
        np.exp(z, out=z)
        if out is None:
            entering = np.divide(weight, 1.0 + z)
        else:
            entering = np.divide(weight, np.add(z, 1.0, out=out[0]), out=out[0])
        leaving = np.multiply(entering, z, out=z if z.shape == entering.shape else None)
        if tail is not None:
            np.copyto(entering, weight * tail, where=beyond)
    return entering, leaving


#: Largest ``|E/T|`` of either factor of :func:`golden_rule_pair_factored`: each factor and their
#: product stay normal floats (``e^{+-350}`` is ``1e+-152``).
FACTOR_LIMIT = 350.0


def boltzmann_factor(energies: np.ndarray, temperature: np.ndarray) -> np.ndarray | None:
    """``exp(E/T)``, the factor :func:`golden_rule_pair_factored` keeps, where it may be kept.

    Parameters
    ----------
    energies : numpy.ndarray
        Energy differences ``E``.
    temperature : numpy.ndarray
        The temperature.

    Returns
    -------
    numpy.ndarray or None
        None unless ``temperature`` is one positive number and every ``|E/T| <=
        FACTOR_LIMIT``.

    Examples
    --------
    >>> boltzmann_factor(np.array([0.0, 0.1]), np.asarray(0.1)).round(6).tolist()
    [1.0, 2.718282]
    >>> boltzmann_factor(np.array([40.0]), np.asarray(0.1)) is None  # |E/T| = 400
    True
    """
    if temperature.ndim or not float(temperature) > 0:
        return None
    if np.abs(energies).max(initial=0.0) > FACTOR_LIMIT * float(temperature):
        return None
    return np.exp(energies / float(temperature))


def chemical_factor(mu: ArrayLike, temperature: float) -> np.ndarray | None:
    """``exp(-mu/T)``, the per-point factor of :func:`golden_rule_pair_factored`.

    Parameters
    ----------
    mu : array_like
        Chemical potentials.
    temperature : float
        The (positive) temperature.

    Returns
    -------
    numpy.ndarray or None
        None where some ``|mu/T|`` exceeds ``FACTOR_LIMIT``.

    Examples
    --------
    >>> chemical_factor(np.array([0.0, -0.1]), 0.1).round(6).tolist()
    [1.0, 2.718282]
    """
    exponent = -np.asarray(mu) / temperature
    if np.abs(exponent).max(initial=0.0) > FACTOR_LIMIT:
        return None
    return np.exp(exponent)


def golden_rule_pair_factored(
    weight: np.ndarray, boltzmann: np.ndarray, chemical: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`golden_rule_pair` with ``exp((E - mu)/T)`` as the product ``exp(E/T) exp(-mu/T)``.

    A bias sweep changes ``mu`` and not the energy differences ``E``: ``exp(E/T)`` is computed
    once per block, ``exp(-mu/T)`` once per grid point, and each rate costs a multiplication
    instead of an exponential (the exponential was a third of a 101-point sweep of 1024 states).
    The argument's own rounding, ``eps max(|E|, |mu|)/T``, bounds the accuracy of either form;
    the product's is at most twice that.

    Parameters
    ----------
    weight : numpy.ndarray
        The prefactors ``2 pi |T|^2`` (not negative).
    boltzmann : numpy.ndarray
        ``exp(E/T)`` of the energy differences, each ``|E/T| <= FACTOR_LIMIT``.
    chemical : numpy.ndarray
        ``exp(-mu/T)``, each ``|mu/T| <= FACTOR_LIMIT``.  The three broadcast; the product of
        the last two has the result's shape.

    Returns
    -------
    entering, leaving : numpy.ndarray
        ``weight f`` and ``weight (1 - f)``.

    Examples
    --------
    >>> x, mu, t = np.array([[0.3, -0.2]]), np.array([0.1, 0.0]), 0.05
    >>> entering, leaving = golden_rule_pair_factored(np.ones((1, 2)), np.exp(x / t), np.exp(-mu / t)[:, None, None])
    >>> direct = golden_rule_pair(1.0, x[None] - mu[:, None, None], t)
    >>> bool(np.allclose(entering, direct[0], rtol=1e-14) and np.allclose(leaving, direct[1], rtol=1e-14))
    True
    """
    z = np.multiply(chemical, boltzmann)
    entering = np.add(z, 1.0)
    np.divide(weight, entering, out=entering)
    return entering, np.multiply(entering, z, out=z)


def modulus_squared(z: ArrayLike) -> np.ndarray:
    """``|z|^2`` without the square root of ``abs``: ``z.real**2 + z.imag**2``.

    Parameters
    ----------
    z : array_like
        Real or complex numbers.

    Returns
    -------
    numpy.ndarray
        ``|z|^2``, real.

    Examples
    --------
    >>> modulus_squared(np.array([3 + 4j, 1j]))
    array([25.,  1.])
    """
    z = np.asarray(z)
    if not np.iscomplexobj(z):
        return z * z
    return z.real * z.real + z.imag * z.imag
