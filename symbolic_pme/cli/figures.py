"""The ``--plot`` figure: I–V curves for one sweep axis, current and dI/dV maps for two.

Two axes make one of three figures: over the tip's ``x`` and ``y`` (the parameters ``[tip] x``
and ``y`` name), a constant-height current image and the mean charge ⟨N⟩, with the orbitals'
positions marked; over a tip coordinate and another parameter (a line scan over x and V), the
current and its derivative along the other parameter, the coordinate horizontal; otherwise
the current and its derivative along axis 1 (dI/dV on a gate x bias grid).  The derivative is
the exact one (:meth:`CompiledNetwork.analyse
<symbolic_pme.numeric.network.CompiledNetwork.analyse>` along :func:`derivative_axis`) where the
command gives it, by finite differences otherwise (a coherent approach, ``--workers``).  Axis labels carry
the units of ``[units]``: parameters that stand alone as an energy (``mu``, ``temperature``,
on-site, hopping, Coulomb, band, ``[tip] bias``) in the energy unit, the tip's coordinates and
lengths in the length unit; currents in e·E/ħ.

Figures are made without pyplot (no display or GUI backend is needed); the format follows the
file extension (PNG, PDF, SVG, ...).  Sizes are fixed so that scripts can rely on them:
one axis gives 960 x 960 pixels at 150 dpi, two axes 1800 x 720.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

import sympy
from matplotlib.figure import Figure

from symbolic_pme.files.model_file import ModelFile
from symbolic_pme.numeric.plots import plot_curves, plot_field, plot_map, plot_probabilities
from symbolic_pme.numeric.response import Derivatives
from symbolic_pme.numeric.results import SteadyState
from symbolic_pme.parsing import evaluate

from .settings import CommandError

__all__ = ["DPI", "FIGURE_SIZES", "axis_units", "check_plot", "derivative_axis", "dimensions", "render_plot"]

DPI = 150
#: Figure size in inches by number of sweep axes.
FIGURE_SIZES = {1: (6.4, 6.4), 2: (12.0, 4.8)}


def check_plot(path: Path, axes: int, lead: str | None, leads: tuple[str, ...]) -> None:
    """Reject, before anything is computed, a plot that cannot be made.

    Parameters
    ----------
    path : pathlib.Path
        The ``--plot`` path; its extension picks the format.
    axes : int
        The number of sweep axes.
    lead : str or None
        The ``--lead`` option.
    leads : tuple of str
        The model's lead names.

    Raises
    ------
    CommandError
        For other than one or two axes, an unknown image format, or an unknown lead.
    """
    if axes not in FIGURE_SIZES:
        raise CommandError(f"--plot needs one or two --sweep axes (I-V curves or a map), got {axes}")
    formats = Figure().canvas.get_supported_filetypes()
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise CommandError(f"--plot {path}: unknown image format {path.suffix!r}; use one of .{', .'.join(formats)}")
    if lead is not None and lead not in leads:
        raise CommandError(f"--lead {lead}: no such lead; leads: {', '.join(leads)}")


def derivative_axis(model: ModelFile, axes: Sequence[str]) -> str | None:
    """The sweep axis along which a two-axis ``--plot`` map is differentiated.

    Parameters
    ----------
    model : ModelFile
        The model file (its tip and the dimensions of its parameters).
    axes : sequence of str
        The two sweep axes, in axis order.

    Returns
    -------
    str or None
        Axis 1 (dI/dV on a gate x bias grid); on a line scan over one tip coordinate, the other
        parameter; None for an image over the tip's (x, y), which shows no derivative.
    """
    x, y = (_bare(model.tip.x), _bare(model.tip.y)) if model.tip else (None, None)
    if x is not None and set(axes) == {x, y}:
        return None
    lengths = [name for name in axes if dimensions(model).get(name) == "length"]
    if model.tip is not None and len(lengths) == 1:
        return next(name for name in axes if name != lengths[0])
    return axes[1]


def render_plot(
    result: SteadyState,
    suffix: str,
    model: ModelFile,
    lead: str | None,
    *,
    fixed: Mapping[str, float],
    derivatives: Derivatives | None = None,
) -> bytes:
    """The figure of a one- or two-axis result, as the bytes of an image file.

    Nothing is written: the command writes the file once everything else has succeeded.

    Parameters
    ----------
    result : SteadyState
        A solve over one or two sweep axes.
    suffix : str
        The file extension that picks the format (``".png"``).
    model : ModelFile
        The model solved (its title, units, positions and tip).
    lead : str or None
        The lead to show; by default every lead for curves, the last lead for maps.
    fixed : mapping of str to float
        The values of the parameters not swept (where the orbitals' positions are evaluated).
    derivatives : Derivatives, optional
        The exact derivatives of the particle currents along :func:`derivative_axis`, drawn on a
        map instead of finite differences.

    Returns
    -------
    bytes
        The image file.
    """
    axes = len(result.axes)
    units, energy = axis_units(model), model.units.get("energy")
    figure = Figure(figsize=FIGURE_SIZES[axes], dpi=DPI, layout="constrained")
    if axes == 1:
        top, bottom = figure.subplots(2, 1, sharex=True)
        plot_curves(result, None if lead is None else [lead], ax=top, units=units, energy_unit=energy)
        plot_probabilities(result, ax=bottom, units=units)
        top.set_title(model.title)
    else:
        lead = lead or list(result.current)[-1]
        left, right = figure.subplots(1, 2)
        common = {"units": units, "energy_unit": energy}
        x, y = (_bare(model.tip.x), _bare(model.tip.y)) if model.tip else (None, None)
        lengths = {name for name in result.axes if dimensions(model).get(name) == "length"}
        if x is not None and set(result.axes) == {x, y}:  # a constant-height image over the tip's (x, y)
            markers = _positions(model, fixed)
            plot_map(result, lead, horizontal=x, markers=markers, ax=left, **common)
            charge = result.expectation("charge")
            plot_field(
                result,
                charge if x != list(result.axes)[0] else charge.T,
                label="⟨N⟩",
                horizontal=x,
                units=units,
                markers=markers,
                ax=right,
            )
            for ax in (left, right):
                ax.set_aspect("equal")
        elif model.tip is not None and len(lengths) == 1:  # a line scan: the coordinate horizontal
            (coordinate,) = lengths
            (other,) = set(result.axes) - lengths
            plot_map(result, lead, horizontal=coordinate, ax=left, **common)
            exact = {"derivatives": derivatives, "along": other}
            plot_map(result, lead, derivative=True, horizontal=coordinate, ax=right, **exact, **common)
        else:
            plot_map(result, lead, ax=left, **common)
            plot_map(result, lead, derivative=True, derivatives=derivatives, ax=right, **common)
        figure.suptitle(model.title)
    image = io.BytesIO()
    figure.savefig(image, dpi=DPI, format=suffix.lower().lstrip("."))
    return image.getvalue()


#: Keys whose value, a lone parameter, makes that parameter an energy (or, for [tip], a length).
_ENERGY_KEYS = ("mu", "temperature", "band", "value", "bias")
_LENGTH_KEYS = ("x", "y", "height", "decay", "radius")


def dimensions(model: ModelFile) -> dict[str, str]:
    """Which parameters are energies and which are lengths, from where they stand alone.

    A parameter that is the whole value of an on-site energy, ``mu``, ``temperature``, ``band``,
    a hopping or Coulomb ``value`` or ``[tip] bias`` is an energy; one that is the whole of
    ``[tip] x``, ``y``, ``height``, ``decay``, ``radius`` or a coordinate in ``[geometry]`` is a
    length.  Others are not listed.

    Parameters
    ----------
    model : ModelFile
        The model file.

    Returns
    -------
    dict of str to str
        ``{parameter: "energy" or "length"}``.
    """
    found: dict[str, str] = {}
    for value in model.values:
        name, key = _bare(value.expr), value.key.split(".")[0]
        if name is None:
            continue
        if value.table == "[geometry]" or (value.table == "[tip]" and key in _LENGTH_KEYS):
            found.setdefault(name, "length")
        elif value.table == "[onsite]" or key in _ENERGY_KEYS:
            found.setdefault(name, "energy")
    return found


def axis_units(model: ModelFile) -> dict[str, str]:
    """The unit of each parameter of :func:`dimensions`, as ``[units]`` names it.

    Parameters
    ----------
    model : ModelFile
        The model file.

    Returns
    -------
    dict of str to str
        ``{parameter: unit}`` for the parameters whose dimension has a unit in ``[units]``.
    """
    return {name: model.units[kind] for name, kind in dimensions(model).items() if kind in model.units}


def _bare(expr: sympy.Expr) -> str | None:
    """The name of a lone parameter, None for anything else."""
    return expr.name if isinstance(expr, sympy.Symbol) else None


def _positions(model: ModelFile, fixed: Mapping[str, float]) -> dict[str, tuple[float, float]]:
    """The orbitals' (x, y) at the values of the solve."""
    values = {**model.parameters, **fixed}
    return {name: (evaluate(p[0], values).real, evaluate(p[1], values).real) for name, p in model.positions.items()}
