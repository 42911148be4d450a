"""Tip geometry: tip–orbital distances, the tip's coupling law and its level shift, all exact.

An STM tip at ``(x, y, height)`` above orbitals at positions ``(x_i, y_i[, z_i])`` (``z_i = 0`` by
default) is ``d_i = sqrt((x - x_i)**2 + (y - y_i)**2 + (height - z_i)**2)`` from orbital i.  Two
laws turn the distances into a model (docs/model-files.md, ``[geometry]`` and ``[tip]``):

* the coupling law ``t_i = t0 exp(-d_i / decay)``: the tunnelling amplitude of the tip lead to
  orbital i (``decay`` is the length over which the amplitude falls by e; the current,
  ``Gamma = 2 pi t**2``, falls twice as fast);
* the level shift ``eps_i -> eps_i + alpha_i bias``: the tip's field moves the levels by a lever
  arm ``alpha_i`` times the tip's bias.  The point-charge form ``alpha_i = radius / d_i`` is the
  potential at orbital i of a conducting sphere of that radius held at the bias (the charge
  ``4 pi eps0 radius bias`` at its centre, the electrostatics of ppafm's ChargeRings); any other
  lever arm is an expression in :data:`DISTANCE` and the parameters.

Every result is a SymPy expression in the given parameters, so that the tip position, the decay
length and the bias are ordinary parameters: closed forms, the compiled kernel and sweeps over
``x``, ``y`` or ``height`` work unchanged.  Lengths share one unit (any); ``t0`` is in the unit of
the amplitudes, ``bias`` in the energy unit (docs/conventions.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from symbolic_pme.parsing import Value, to_expr

__all__ = ["DISTANCE", "Tip", "distances", "exponential_coupling", "point_charge_lever"]

#: The tip–orbital distance in a lever-arm expression (``"radius/d"``): substituted per orbital.
DISTANCE = sympy.Symbol("d", positive=True)


def _position(name: str, position: Sequence[Value]) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    if isinstance(position, (str, bytes)) or not isinstance(position, Sequence) or len(position) not in (2, 3):
        raise ValueError(f"position of {name!r}: expected [x, y] or [x, y, z], got {position!r}")
    coordinates = [to_expr(value, f"position of {name!r}") for value in position]
    for value in coordinates:
        if value.is_extended_real is False:
            raise ValueError(f"position of {name!r}: coordinates must be real, got {value}")
    x, y, *z = coordinates
    return x, y, z[0] if z else sympy.S.Zero


def distances(positions: Mapping[str, Sequence[Value]], tip: Sequence[Value]) -> dict[str, sympy.Expr]:
    """The distance from the tip to each orbital.

    Parameters
    ----------
    positions : mapping of str to sequence of Value
        ``{orbital: (x_i, y_i)}`` or ``{orbital: (x_i, y_i, z_i)}`` (``z_i = 0`` by default).
    tip : sequence of Value
        ``(x, y, height)`` of the tip.

    Returns
    -------
    dict of str to sympy.Expr
        ``{orbital: d_i}`` with ``d_i = sqrt((x - x_i)**2 + (y - y_i)**2 + (height - z_i)**2)``.

    Raises
    ------
    ValueError
        If a position is not two or three real coordinates, or ``tip`` is not three.

    Examples
    --------
    >>> distances({"a": (0, 0), "b": (3, 0)}, ("x", 0, 4))["b"]
    sqrt((x - 3)**2 + 16)
    """
    if isinstance(tip, (str, bytes)) or not isinstance(tip, Sequence) or len(tip) != 3:
        raise ValueError(f"tip: expected (x, y, height), got {tip!r}")
    x, y, height = _position("the tip", tip)[:2] + (to_expr(tip[2], "height of the tip"),)
    result = {}
    for name, position in positions.items():
        xi, yi, zi = _position(name, position)
        result[name] = sympy.sqrt((x - xi) ** 2 + (y - yi) ** 2 + (height - zi) ** 2)
    return result


def exponential_coupling(distance: Value, *, t0: Value, decay: Value) -> sympy.Expr:
    """The coupling law ``t = t0 exp(-d / decay)`` of a tip to an orbital at distance ``d``.

    Parameters
    ----------
    distance : Value
        The tip–orbital distance ``d`` (a length).
    t0 : Value
        The amplitude extrapolated to ``d = 0``.  Keyword-only.
    decay : Value
        The decay length λ (the unit of ``d``): the amplitude falls by e over λ, the rate
        ``Gamma = 2 pi t**2`` by e**2.  Keyword-only.

    Returns
    -------
    sympy.Expr
        The amplitude.

    Examples
    --------
    >>> exponential_coupling(2, t0="t0", decay="lam")
    t0*exp(-2/lam)
    """
    d = to_expr(distance, "distance")
    return to_expr(t0, "t0 of the coupling law") * sympy.exp(-d / to_expr(decay, "decay of the coupling law"))


def point_charge_lever(distance: Value, *, radius: Value) -> sympy.Expr:
    """The point-charge lever arm ``alpha = radius / d`` of a tip at distance ``d``.

    A conducting sphere of radius R held at the bias V carries the charge ``4 pi eps0 R V``; at the
    distance d from its centre its potential is ``V R / d``, so a level there moves by
    ``(R / d) V`` (the form of ppafm's ChargeRings, a point charge ``Q_tip`` proportional to V).

    Parameters
    ----------
    distance : Value
        The distance d from the centre of the tip's charge (at least R for the form to hold).
    radius : Value
        R, in the unit of d.  Keyword-only.

    Returns
    -------
    sympy.Expr
        The lever arm α (dimensionless).

    Examples
    --------
    >>> point_charge_lever("d", radius=2)
    2/d
    """
    return to_expr(radius, "radius of the tip") / to_expr(distance, "distance")


@dataclass(frozen=True, kw_only=True)
class Tip:
    """An STM tip: its position, its coupling law and, optionally, the level shift of its field.

    Parameters
    ----------
    x, y, height : Value
        The tip's position (lengths; usually parameter names, so that they can be swept).
    t0, decay : Value
        The coupling law ``t_i = t0 exp(-d_i / decay)`` (:func:`exponential_coupling`).
    lever : Value, optional
        The lever arm α as an expression in :data:`DISTANCE` (``"d"``) and the parameters:
        ``eps_i -> eps_i + alpha(d_i) bias``.  :func:`point_charge_lever` gives the point-charge
        form (``"R/d"``).  Default: no shift.
    bias : Value, optional
        The tip's bias (an energy, usually the tip lead's chemical potential); required with a
        lever.

    Raises
    ------
    ValueError
        If a value cannot be read, or a lever is given without a bias (or a bias without a lever).

    Examples
    --------
    >>> tip = Tip(x="x", y=0, height=4, t0=1, decay="lam", lever="R/d", bias="V")
    >>> tip.couplings({"a": (0, 3)})["a"]
    exp(-sqrt(x**2 + 25)/lam)
    >>> tip.shifts({"a": (0, 3)})["a"]
    R*V/sqrt(x**2 + 25)
    """

    x: Value
    y: Value
    height: Value
    t0: Value
    decay: Value
    lever: Value | None = None
    bias: Value | None = None

    def __post_init__(self) -> None:
        for field in ("x", "y", "height", "t0", "decay"):
            object.__setattr__(self, field, to_expr(getattr(self, field), f"{field} of the tip"))
        if (self.lever is None) != (self.bias is None):
            raise ValueError("tip: a level shift needs both a lever arm and a bias")
        if self.lever is not None:
            lever = to_expr(self.lever, "lever of the tip", symbols={DISTANCE.name: DISTANCE})
            object.__setattr__(self, "lever", lever.xreplace({sympy.Symbol("d", real=True): DISTANCE}))
            object.__setattr__(self, "bias", to_expr(self.bias, "bias of the tip"))

    def distances(self, positions: Mapping[str, Sequence[Value]]) -> dict[str, sympy.Expr]:
        """The distance from the tip to each orbital (:func:`distances`).

        Parameters
        ----------
        positions : mapping of str to sequence of Value
            ``{orbital: (x_i, y_i[, z_i])}``.

        Returns
        -------
        dict of str to sympy.Expr
            ``{orbital: d_i}``.
        """
        return distances(positions, (self.x, self.y, self.height))

    def couplings(self, positions: Mapping[str, Sequence[Value]]) -> dict[str, sympy.Expr]:
        """The tip lead's amplitudes ``{orbital: t0 exp(-d_i / decay)}``, for :class:`Lead`.

        Parameters
        ----------
        positions : mapping of str to sequence of Value
            ``{orbital: (x_i, y_i[, z_i])}``.

        Returns
        -------
        dict of str to sympy.Expr
            ``{orbital: t_i}``.
        """
        return {
            name: exponential_coupling(d, t0=self.t0, decay=self.decay) for name, d in self.distances(positions).items()
        }

    def shifts(self, positions: Mapping[str, Sequence[Value]]) -> dict[str, sympy.Expr]:
        """The level shifts ``{orbital: alpha(d_i) bias}`` to add to the on-site energies.

        Parameters
        ----------
        positions : mapping of str to sequence of Value
            ``{orbital: (x_i, y_i[, z_i])}``.

        Returns
        -------
        dict of str to sympy.Expr
            ``{orbital: shift}``; empty without a lever.
        """
        if self.lever is None:
            return {}
        return {name: self.lever.subs(DISTANCE, d) * self.bias for name, d in self.distances(positions).items()}
