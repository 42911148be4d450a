"""Plots of labelled steady-state results (matplotlib).

Axis labels come from the result: sweep axes by parameter name, currents by lead name
(``I_tip``), each with its unit where one is given (``units={"V": "eV"}``, ``energy_unit="eV"``).
Units follow the model (hbar = e = k_B = 1, docs/conventions.md): a particle current is in
``e·E/ħ`` for the energy unit E (``e·energy/ħ`` when none is named), an energy or heat current
in ``E²/ħ``.  Legends stand beside the axes, never over curves; tick labels carry no offset;
a map with values of both signs is diverging, white at zero, its two halves stretched to the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN

from .results import SteadyState

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from .response import Derivatives

__all__ = ["plot_curves", "plot_field", "plot_map", "plot_probabilities"]

_QUANTITIES = {CHARGE: "current", ENERGY: "energy current", HEAT: "heat current", SPIN: "spin current"}
_SYMBOLS = {CHARGE: "I", ENERGY: "J", HEAT: "Q", SPIN: "I_S"}


def _axes(ax: Axes | None) -> Axes:
    """The given axes, or those of a new pyplot figure (shown inline in notebooks)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: figures made on given axes need no pyplot

    return plt.subplots(figsize=(6.0, 4.0), layout="constrained")[1]


def _label(name: str, unit: str | None) -> str:
    return f"{name} ({unit})" if unit else name


def _current_unit(quantity: str, energy_unit: str | None) -> str:
    energy = energy_unit or "energy"
    return f"{energy}²/ħ" if quantity in (ENERGY, HEAT) else f"e·{energy}/ħ"


def _per(unit: str, axis_unit: str | None, energy_unit: str | None) -> str:
    """The unit of a derivative: ``unit`` per ``axis_unit`` (``e/ħ`` for a current per energy)."""
    energy = energy_unit or "energy"
    if axis_unit == energy:
        return {f"e·{energy}/ħ": "e/ħ", f"{energy}²/ħ": f"{energy}/ħ"}.get(unit, f"{unit} / {energy}")
    return f"{unit} / {axis_unit}" if axis_unit else unit


def _plain_ticks(ax: Axes) -> None:
    """Tick labels without an offset (``+1.2e3`` added to every label), in every scalar axis."""
    for axis in (ax.xaxis, ax.yaxis):
        formatter = axis.get_major_formatter()
        if hasattr(formatter, "set_useOffset"):
            formatter.set_useOffset(False)
            formatter.set_useMathText(True)


def _legend(ax: Axes, **options: object) -> None:
    """A legend beside the axes (upper left of the space to their right): it covers no curve."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **options)


def _currents(result: SteadyState, quantity: str) -> dict[str, np.ndarray]:
    if quantity not in result.currents:
        raise ValueError(f"no {quantity!r} currents in this result; quantities: {', '.join(result.currents)}")
    return result.currents[quantity]


def _one_axis(result: SteadyState) -> tuple[str, np.ndarray]:
    if len(result.axes) != 1:
        raise ValueError(f"expected a result with one sweep axis, got axes {list(result.axes) or 'none'}")
    return next(iter(result.axes.items()))


def plot_curves(
    result: SteadyState,
    channels: Sequence[str] | None = None,
    *,
    quantity: str = CHARGE,
    units: Mapping[str, str] | None = None,
    energy_unit: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Current of each channel (lead) against the single sweep axis, e.g. an I-V curve.

    Currents are positive from the channel into the system (``docs/conventions.md``).

    Parameters
    ----------
    result : SteadyState
        A result with one sweep axis.
    channels : sequence of str, optional
        The channels to plot (default: all).
    quantity : str, optional
        The carried quantity (default ``"charge"``: the particle current).
    units : mapping of str to str, optional
        Units of the sweep parameters, for the axis label (``{"V": "eV"}``).
    energy_unit : str, optional
        The model's energy unit, for the current's unit (``e·eV/ħ``; default ``e·energy/ħ``).
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes plotted on.

    Raises
    ------
    ValueError
        If the result does not have exactly one sweep axis, or for an unknown quantity or channel.
    """
    name, values = _one_axis(result)
    currents = _currents(result, quantity)
    ax = _axes(ax)
    for channel in channels or list(currents):
        if channel not in currents:
            raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(currents)}")
        ax.plot(values, currents[channel], label=f"{_SYMBOLS.get(quantity, quantity)}_{channel}")
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set_xlabel(_label(name, (units or {}).get(name)))
    what = f"{_QUANTITIES.get(quantity, quantity)} into the system"
    ax.set_ylabel(_label(what, _current_unit(quantity, energy_unit)))
    _plain_ticks(ax)
    _legend(ax, title="lead")
    return ax


def plot_probabilities(
    result: SteadyState,
    *,
    ax: Axes | None = None,
    threshold: float = 1e-3,
    units: Mapping[str, str] | None = None,
) -> Axes:
    """Probability of each state against the single sweep axis.

    Parameters
    ----------
    result : SteadyState
        A result with one sweep axis.
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).
    threshold : float, optional
        States whose probability never reaches it are left out (default 1e-3).
    units : mapping of str to str, optional
        Units of the sweep parameters, for the axis label (``{"V": "eV"}``).

    Returns
    -------
    matplotlib.axes.Axes
        The axes plotted on.

    Raises
    ------
    ValueError
        If the result does not have exactly one sweep axis.
    """
    name, values = _one_axis(result)
    ax = _axes(ax)
    for k, state in enumerate(result.states):
        p = result.probabilities[..., k]
        if np.max(p) >= threshold:
            ax.plot(values, p, label=state)
    ax.set_xlabel(_label(name, (units or {}).get(name)))
    ax.set_ylabel("probability P")
    _plain_ticks(ax)
    _legend(ax, title="state", fontsize="small")
    return ax


def plot_map(
    result: SteadyState,
    channel: str,
    *,
    quantity: str = CHARGE,
    derivative: bool = False,
    along: str | None = None,
    derivatives: Derivatives | None = None,
    horizontal: str | None = None,
    units: Mapping[str, str] | None = None,
    energy_unit: str | None = None,
    markers: Mapping[str, tuple[float, float]] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Colour map of a channel's current over a two-axis sweep.

    By default axis 0 is vertical and axis 1 horizontal.  A map with values of both signs is
    diverging, white at zero, each half stretched to the data (a dI/dV map); otherwise sequential.

    Parameters
    ----------
    result : SteadyState
        A result with two sweep axes.
    channel : str
        The channel (lead) whose current is shown.
    quantity : str, optional
        The carried quantity (default ``"charge"``: the particle current).
    derivative : bool, optional
        Show the derivative along ``along`` instead (e.g. dI/dV on a gate x bias stability
        diagram, or on a tip position x bias line scan): the exact one from ``derivatives``
        if given, otherwise by ``numpy.gradient``.
    along : str, optional
        The axis of the derivative (default: the horizontal axis).
    derivatives : Derivatives, optional
        Exact derivatives on the same grid with ``along`` among their directions and
        ``quantity`` among their currents (:meth:`CompiledNetwork.analyse
        <symbolic_pme.numeric.network.CompiledNetwork.analyse>` with ``derivatives=[along]``).
    horizontal : str, optional
        The sweep axis drawn horizontally (default: axis 1).
    units : mapping of str to str, optional
        Units of the sweep parameters, for the axis labels (``{"V": "eV", "x": "Å"}``).
    energy_unit : str, optional
        The model's energy unit, for the current's unit (``e·eV/ħ``; default ``e·energy/ħ``).
    markers : mapping of str to (float, float), optional
        Points to mark and label, in the map's (horizontal, vertical) coordinates: the orbitals'
        positions on an image over the tip's (x, y).
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes plotted on.

    Raises
    ------
    ValueError
        If the result does not have two sweep axes, for an unknown quantity, channel or axis, for
        a derivative along an axis of fewer than two points, or for ``derivatives`` without that
        direction or quantity.
    """
    if len(result.axes) != 2:
        raise ValueError(f"expected a result with two sweep axes, got axes {list(result.axes) or 'none'}")
    currents = _currents(result, quantity)
    if channel not in currents:
        raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(currents)}")
    name_x = horizontal or list(result.axes)[1]
    if name_x not in result.axes:
        raise ValueError(f"horizontal: unknown axis {name_x!r}; axes: {', '.join(result.axes)}")
    values = np.broadcast_to(currents[channel], result.shape)
    if name_x == list(result.axes)[0]:
        values = values.T
    unit = _current_unit(quantity, energy_unit)
    label = f"{_SYMBOLS.get(quantity, quantity)}_{channel}"
    if derivative:
        along = along or name_x
        if along not in result.axes:
            raise ValueError(f"along: unknown axis {along!r}; axes: {', '.join(result.axes)}")
        if len(result.axes[along]) < 2:
            raise ValueError(f"derivative: axis {along!r} needs at least two points")
        if derivatives is None:
            values = np.gradient(values, result.axes[along], axis=1 if along == name_x else 0)
        else:
            if along not in derivatives.with_respect_to or quantity not in derivatives.currents:
                raise ValueError(
                    f"derivatives: no derivative of the {quantity} currents along {along!r}; they have "
                    f"{', '.join(derivatives.currents)} along {', '.join(derivatives.with_respect_to)}"
                )
            values = np.broadcast_to(derivatives.currents[quantity][along][channel], result.shape)
            values = values.T if name_x == list(result.axes)[0] else values
        label = f"d{label}/d{along}"
        unit = _per(unit, (units or {}).get(along), energy_unit)
    return plot_field(result, values, label=_label(label, unit), horizontal=name_x, units=units, markers=markers, ax=ax)


def plot_field(
    result: SteadyState,
    values: np.ndarray,
    *,
    label: str,
    horizontal: str | None = None,
    units: Mapping[str, str] | None = None,
    markers: Mapping[str, tuple[float, float]] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Colour map of any array over the two sweep axes of a result (``<N>``, a derivative, ...).

    Parameters
    ----------
    result : SteadyState
        A result with two sweep axes (they label the map).
    values : numpy.ndarray
        The values, of shape ``result.shape``; or already transposed to (vertical, horizontal)
        when ``horizontal`` is axis 0.
    label : str
        The colour bar's label, with its unit.
    horizontal : str, optional
        The sweep axis drawn horizontally (default: axis 1).
    units : mapping of str to str, optional
        Units of the sweep parameters, for the axis labels.
    markers : mapping of str to (float, float), optional
        Labelled points in (horizontal, vertical) coordinates.
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes plotted on.

    Raises
    ------
    ValueError
        If the result does not have two sweep axes, or ``values`` does not fit them.
    """
    from matplotlib.colors import TwoSlopeNorm

    if len(result.axes) != 2:
        raise ValueError(f"expected a result with two sweep axes, got axes {list(result.axes) or 'none'}")
    names = list(result.axes)
    name_x = horizontal or names[1]
    name_y = names[0] if name_x == names[1] else names[1]
    x, y = result.axes[name_x], result.axes[name_y]
    values = np.asarray(values, dtype=float)
    if values.shape != (len(y), len(x)):
        raise ValueError(f"values: expected the shape {(len(y), len(x))} of ({name_y}, {name_x}), got {values.shape}")
    ax = _axes(ax)
    low, high = float(np.min(values)), float(np.max(values))
    if low < 0 < high:  # diverging, white at zero, each half stretched to the data
        mesh = ax.pcolormesh(x, y, values, shading="nearest", cmap="RdBu_r", norm=TwoSlopeNorm(0.0, low, high))
    else:
        mesh = ax.pcolormesh(x, y, values, shading="nearest", cmap="viridis")
    bar = ax.figure.colorbar(mesh, ax=ax, label=label)
    bar.formatter.set_useOffset(False)
    bar.update_ticks()
    ax.set_xlabel(_label(name_x, (units or {}).get(name_x)))
    ax.set_ylabel(_label(name_y, (units or {}).get(name_y)))
    if markers:
        for text, (mx, my) in markers.items():
            ax.plot(mx, my, marker="o", ms=7, mfc="none", mec="white", mew=1.5)
            ax.annotate(text, (mx, my), xytext=(5, 5), textcoords="offset points", color="white", weight="bold")
    _plain_ticks(ax)
    return ax
