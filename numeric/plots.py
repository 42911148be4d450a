"""Plots of labelled steady-state results (matplotlib).

Axis labels come from the result: sweep axes by parameter name, currents by lead name.  Units
follow the model (hbar = e = k_B = 1: currents are particle currents in the unit of the rates).
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, SPIN

from .results import SteadyState

__all__ = ["plot_curves", "plot_map", "plot_probabilities"]

_QUANTITIES = {CHARGE: "current", ENERGY: "energy current", HEAT: "heat current", SPIN: "spin current"}


def _axes(ax: Axes | None) -> Axes:
    """The given axes, or those of a new pyplot figure (shown inline in notebooks)."""
    if ax is not None:
        return ax
    return plt.subplots(figsize=(6.0, 4.0), layout="constrained")[1]


def _currents(result: SteadyState, quantity: str) -> dict[str, np.ndarray]:
    if quantity not in result.currents:
        raise ValueError(f"no {quantity!r} currents in this result; quantities: {', '.join(result.currents)}")
    return result.currents[quantity]


def _one_axis(result: SteadyState) -> tuple[str, np.ndarray]:
    if len(result.axes) != 1:
        raise ValueError(f"expected a result with one sweep axis, got axes {list(result.axes) or 'none'}")
    return next(iter(result.axes.items()))


def plot_curves(
    result: SteadyState, channels: Sequence[str] | None = None, *, quantity: str = CHARGE, ax: Axes | None = None
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
        ax.plot(values, currents[channel], label=channel)
    ax.axhline(0, color="0.7", lw=0.8)
    ax.set_xlabel(name)
    ax.set_ylabel(f"{_QUANTITIES.get(quantity, quantity)} into the system")
    ax.legend(title="lead")
    return ax


def plot_probabilities(result: SteadyState, *, ax: Axes | None = None, threshold: float = 1e-3) -> Axes:
    """Probability of each state against the single sweep axis.

    Parameters
    ----------
    result : SteadyState
        A result with one sweep axis.
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).
    threshold : float, optional
        States whose probability never reaches it are left out (default 1e-3).

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
    ax.set_xlabel(name)
    ax.set_ylabel("probability")
    ax.legend(title="state", fontsize="small", ncols=2)
    return ax


def plot_map(
    result: SteadyState,
    channel: str,
    *,
    quantity: str = CHARGE,
    derivative: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Colour map of a channel's current over a two-axis sweep.

    Axis 0 is vertical, axis 1 horizontal.  A map with negative values is diverging (white at
    zero).

    Parameters
    ----------
    result : SteadyState
        A result with two sweep axes.
    channel : str
        The channel (lead) whose current is shown.
    quantity : str, optional
        The carried quantity (default ``"charge"``: the particle current).
    derivative : bool, optional
        Show the derivative along axis 1 instead (e.g. dI/dV on a gate x bias stability
        diagram).
    ax : matplotlib.axes.Axes, optional
        Where to plot (default: a new figure).

    Returns
    -------
    matplotlib.axes.Axes
        The axes plotted on.

    Raises
    ------
    ValueError
        If the result does not have two sweep axes, for an unknown quantity or channel, or for a
        derivative along an axis of fewer than two points.
    """
    if len(result.axes) != 2:
        raise ValueError(f"expected a result with two sweep axes, got axes {list(result.axes) or 'none'}")
    (name_y, y), (name_x, x) = result.axes.items()
    currents = _currents(result, quantity)
    if channel not in currents:
        raise ValueError(f"unknown channel {channel!r}; channels: {', '.join(currents)}")
    values = currents[channel]
    label = f"{_QUANTITIES.get(quantity, quantity)} from {channel}"
    if derivative:
        if len(x) < 2:
            raise ValueError(f"derivative: axis {name_x!r} needs at least two points")
        values = np.gradient(values, x, axis=1)
        label = f"d({label})/d{name_x}"
    ax = _axes(ax)
    signed = np.min(values) < 0  # a diverging map with white at zero; viridis for values >= 0
    mesh = ax.pcolormesh(x, y, values, shading="nearest", cmap="RdBu_r" if signed else "viridis")
    if signed:
        bound = np.max(np.abs(values))
        mesh.set_clim(-bound, bound)
    ax.figure.colorbar(mesh, ax=ax, label=label)
    ax.set_xlabel(name_x)
    ax.set_ylabel(name_y)
    return ax
