"""The ``--plot`` figure: I–V curves for one sweep axis, current and dI/dV maps for two.

Figures are made without pyplot (no display or GUI backend is needed); the format follows the
file extension (PNG, PDF, SVG, ...).  Sizes are fixed so that scripts can rely on them:
one axis gives 960 x 960 pixels at 150 dpi, two axes 1800 x 720.
"""

from __future__ import annotations

import io
from pathlib import Path

from matplotlib.figure import Figure

from symbolic_pme.numeric.plots import plot_curves, plot_map, plot_probabilities
from symbolic_pme.numeric.results import SteadyState

from .settings import CommandError

__all__ = ["DPI", "FIGURE_SIZES", "check_plot", "render_plot"]

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


def render_plot(result: SteadyState, suffix: str, title: str, lead: str | None) -> bytes:
    """The figure of a one- or two-axis result, as the bytes of an image file.

    Nothing is written: the command writes the file once everything else has succeeded.

    Parameters
    ----------
    result : SteadyState
        A solve over one or two sweep axes.
    suffix : str
        The file extension that picks the format (``".png"``).
    title : str
        The figure title.
    lead : str or None
        The lead to show; by default every lead for curves, the last lead for maps.

    Returns
    -------
    bytes
        The image file.
    """
    axes = len(result.axes)
    figure = Figure(figsize=FIGURE_SIZES[axes], dpi=DPI, layout="constrained")
    if axes == 1:
        top, bottom = figure.subplots(2, 1, sharex=True)
        plot_curves(result, None if lead is None else [lead], ax=top)
        plot_probabilities(result, ax=bottom)
        top.set_title(title)
    else:
        lead = lead or list(result.current)[-1]
        left, right = figure.subplots(1, 2)
        plot_map(result, lead, ax=left)
        plot_map(result, lead, derivative=True, ax=right)
        figure.suptitle(title)
    image = io.BytesIO()
    figure.savefig(image, dpi=DPI, format=suffix.lower().lstrip("."))
    return image.getvalue()
