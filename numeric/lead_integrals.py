"""The lead integrals of first-order coherent kernels (Redfield, 1vN): golden-rule and principal parts.

For a transition of energy ``E = E_upper - E_lower`` through a lead at chemical potential mu and
temperature T, with ``x = (E - mu)/T`` and the band ``[D-, D+]`` (absolute energies) as
``R- = (D- - mu)/T``, ``R+ = (D+ - mu)/T``, the first-order kernels need (QmeQ's ``func_1vN``)::

    particle  F0(E) = PV int_{R-}^{R+} f(y)/(y - x) dy        - i pi f(x)
    hole      F1(E) = -PV int_{R-}^{R+} (1 - f(y))/(y - x) dy + i pi (1 - f(x))

(dimensionless; a kernel term ``T T* F`` is a rate, ``-2 Im(|T|^2 F0) = 2 pi |T|^2 f``).  The
imaginary parts are the golden rule, zero for ``E`` outside the band.  The principal parts are
computed exactly, not by quadrature: splitting ``f(y) = theta(-y) + (f(y) - theta(-y))``,

    PV int_{R-}^{R+} f(y)/(y - x) dy = Re psi(1/2 + i x/(2 pi)) + log(2 pi) - log|x - R-|,
    -PV int_{R-}^{R+} (1 - f(y))/(y - x) dy = Re psi(1/2 + i x/(2 pi)) + log(2 pi) - log|R+ - x|,

with psi the digamma function; the only omission is the tail of ``f - theta`` beyond the band,
smaller than ``exp(-min(-R-, R+))`` (``exp(-10^5)`` for QmeQ's ``dband = 1e4`` at T = 0.1).
QmeQ's ``itype = 0`` integrates the same principal values by QUADPACK's ``dqawc``; the two agree
to about 1e-12 (the quadrature's actual error).  ``itype = 2`` neglects the principal parts: that
is ``principal_parts=False`` here.  An infinite band has no finite principal parts (they diverge
as ``log D``), so they need a band.

The energy-current factors are ``E F0`` and ``E F1``; QmeQ adds the real constants
``int f dE`` and ``int f dE - (D+ - D-)``, which drop out of every current exactly (they multiply
the trace of a Hermitian product, whose imaginary part vanishes) and are left out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import psi

from .functions import golden_rule_pair

__all__ = ["lead_factors", "principal_values"]


def principal_values(
    energy: ArrayLike, mu: ArrayLike, temperature: ArrayLike, band: tuple[ArrayLike, ArrayLike]
) -> tuple[np.ndarray, np.ndarray]:
    """Principal parts of the particle and hole lead integrals over a finite band.

    Parameters
    ----------
    energy : array_like
        Transition energies ``E_upper - E_lower``.
    mu : array_like
        The lead's chemical potential.
    temperature : array_like
        The lead's temperature, positive.
    band : (array_like, array_like)
        The band edges ``(D-, D+)`` in absolute energy, ``D- < mu < D+``.  All broadcast.

    Returns
    -------
    particle : numpy.ndarray
        ``PV int f(y)/(y - x) dy`` over the band (the real part of ``F0``).
    hole : numpy.ndarray
        ``-PV int (1 - f(y))/(y - x) dy`` over the band (the real part of ``F1``).

    Raises
    ------
    ValueError
        If a temperature is not positive (the principal parts are singular at T = 0).

    Examples
    --------
    >>> particle, hole = principal_values(0.0, 0.0, 1.0, (-1e4, 1e4))
    >>> bool(abs(particle - hole) < 1e-12)  # a symmetric band, x = 0
    True
    """
    temperature = np.asarray(temperature, dtype=float)
    if not np.all(temperature > 0):
        raise ValueError("principal parts: every lead temperature must be positive (they are singular at T = 0)")
    mu = np.asarray(mu, dtype=float)
    x = (np.asarray(energy, dtype=float) - mu) / temperature
    low = (np.asarray(band[0], dtype=float) - mu) / temperature
    high = (np.asarray(band[1], dtype=float) - mu) / temperature
    common = psi(0.5 + 1j * x / (2 * np.pi)).real + np.log(2 * np.pi)
    return common - np.log(np.abs(x - low)), common - np.log(np.abs(high - x))


def lead_factors(
    energy: ArrayLike,
    mu: ArrayLike,
    temperature: ArrayLike,
    band: tuple[ArrayLike, ArrayLike] | None,
    *,
    principal_parts: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The particle and hole factors ``F0``, ``F1`` of a Redfield or 1vN kernel.

    Parameters
    ----------
    energy : array_like
        Transition energies ``E_upper - E_lower``.
    mu : array_like
        The lead's chemical potential.
    temperature : array_like
        The lead's temperature (not negative; positive with ``principal_parts``).
    band : (array_like, array_like) or None
        Band edges in absolute energy; None for an infinite band.  All broadcast.
    principal_parts : bool
        Include the principal-value integrals (needs a band); otherwise they are neglected
        (QmeQ's ``itype = 2``).

    Returns
    -------
    particle : numpy.ndarray
        ``F0``, complex.
    hole : numpy.ndarray
        ``F1``, complex.

    Raises
    ------
    ValueError
        With ``principal_parts`` and an infinite band, or a temperature that is not positive.

    Examples
    --------
    >>> particle, hole = lead_factors(np.array([0.0]), 0.0, 0.1, None, principal_parts=False)
    >>> complex(particle[0]), complex(hole[0])  # -i pi f, i pi (1 - f) at f = 1/2
    (-1.5707963267948966j, 1.5707963267948966j)
    """
    energy = np.asarray(energy, dtype=float)
    inside = 1.0 if band is None else ((energy >= band[0]) & (energy <= band[1])).astype(float)
    entering, leaving = golden_rule_pair(np.pi * inside, energy - mu, temperature)
    particle, hole = -1j * entering, 1j * leaving
    if principal_parts:
        if band is None:
            raise ValueError(
                "principal parts: the lead has an infinite band, where they diverge as log(bandwidth); "
                "give the lead a band (e.g. band = [-1e4, 1e4]) or neglect them"
            )
        real_particle, real_hole = principal_values(energy, mu, temperature, band)
        particle, hole = particle + real_particle, hole + real_hole
    return particle, hole
