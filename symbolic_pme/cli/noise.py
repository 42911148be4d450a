"""``solve --noise`` and ``--derivative``, ``derive --noise``: counting statistics and exact derivatives.

``solve --noise`` adds the cumulants of each lead's particle current (from the lead into the dot;
with spin, the total over both spin channels): the noise ``C_2``, the Fano factor ``C_2 / C_1``
(signed: negative for a lead the current leaves through) and the skewness ``C_3``;
``--derivative NAME`` the exact derivative of every lead's particle current with respect to a
model parameter.  Both come from one pass of :meth:`CompiledNetwork.analyse
<symbolic_pme.numeric.network.CompiledNetwork.analyse>` that also gives the steady state (and the
exact dI/dV of a ``--plot`` map), differentiating the particle currents alone.  ``derive --noise``
prints the closed-form noise and Fano factor of every lead
(:func:`symbolic_pme.networks.statistics.cumulants`) where the model is small enough.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from symbolic_pme.errors import ClosedFormTooLarge, CommandError

if TYPE_CHECKING:  # pragma: no cover (main imports this module for --help: no NumPy or SymPy)
    import numpy as np
    import sympy

    from symbolic_pme.files.model_file import ModelFile
    from symbolic_pme.numeric.analysis import Analysis

__all__ = [
    "NOISE_KEYS",
    "ZERO_CURRENT",
    "add_noise_options",
    "check_noise_options",
    "closed_form_noise",
    "noise_outputs",
]

#: The keys ``--noise`` adds to the output, in order: C_2, C_2 / C_1, C_3.
NOISE_KEYS = ("noise", "fano", "skewness")
#: A current at most this fraction of the noise counts as zero (rounding at equilibrium, where the
#: Fano factor is undefined: a true Fano factor of 10^12 needs a bias of 10^-12 temperatures).
ZERO_CURRENT = 1e-12


def add_noise_options(solve: argparse.ArgumentParser) -> None:
    """Add ``--noise`` and ``--derivative NAME`` to the ``solve`` parser.

    Parameters
    ----------
    solve : argparse.ArgumentParser
        The ``solve`` subcommand's parser.
    """
    solve.add_argument(
        "--noise",
        action="store_true",
        help="add the noise C_2, the Fano factor C_2/C_1 and the skewness C_3 of each lead's particle current "
        "(keys noise, fano, skewness)",
    )
    solve.add_argument(
        "--derivative",
        action="append",
        default=[],
        metavar="NAME",
        help="add the exact derivative of each lead's particle current with respect to the parameter NAME "
        "(key d_current_d_NAME; repeatable)",
    )


def check_noise_options(arguments: argparse.Namespace, model: ModelFile) -> tuple[str, ...]:
    """Refuse, before computing, what ``--noise`` and ``--derivative`` cannot do.

    Parameters
    ----------
    arguments : argparse.Namespace
        The parsed ``solve`` arguments (``noise``, ``derivative``, ``approach``, ``workers``,
        ``scheduler``).
    model : ModelFile
        The model file.

    Returns
    -------
    tuple of str
        The ``--derivative`` names, without repeats.

    Raises
    ------
    CommandError
        For a name that is not a parameter of the model, or either option with a coherent
        approach or with ``--workers`` / ``--scheduler``.
    """
    names = tuple(dict.fromkeys(arguments.derivative))
    for name in names:
        if name not in model.parameters:
            known = ", ".join(model.parameters) or "none"
            raise CommandError(f"--derivative {name}: no such parameter in {model.path}; parameters: {known}")
    if arguments.noise or names:
        option = "--noise" if arguments.noise else "--derivative"
        if arguments.approach != "pauli":
            raise CommandError(f"{option}: available with the Pauli equation only, not --approach {arguments.approach}")
        if arguments.workers is not None or arguments.scheduler is not None:
            raise CommandError(f"{option}: solves in this process; give no --workers or --scheduler")
    return names


def noise_outputs(analysis: Analysis, *, noise: bool, derivatives: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    """The output keys of ``--noise`` and ``--derivative``, from an analysis.

    Parameters
    ----------
    analysis : Analysis
        The result of :meth:`CompiledNetwork.analyse` with ``cumulants=3`` (for ``noise``) and
        the ``derivatives`` among its directions.
    noise : bool
        Whether ``--noise`` was given.
    derivatives : tuple of str
        The ``--derivative`` names (zero along a parameter that the model does not use, which
        ``analyse`` was not asked for).

    Returns
    -------
    dict of str to dict of str to numpy.ndarray
        ``{"noise" | "fano" | "skewness" | "d_current_d_NAME": {lead: values of the sweep shape}}``.
        The Fano factor is NaN where the current is zero, at most :data:`ZERO_CURRENT` times the
        noise (at equilibrium, where it is undefined).
    """
    import numpy as np

    outputs: dict[str, dict[str, np.ndarray]] = {}
    if noise:
        statistics = analysis.statistics
        fano = {}
        for lead, (current, noise_, *_) in statistics.cumulants.items():
            defined = np.abs(current) > ZERO_CURRENT * np.abs(noise_)
            fano[lead] = np.divide(noise_, current, out=np.full(np.shape(current), np.nan), where=defined)
        outputs.update(zip(NOISE_KEYS, (statistics.noise, fano, statistics.skewness)))
    found = analysis.derivatives.current if analysis.derivatives is not None else {}
    shape, leads = analysis.steady_state.shape, analysis.steady_state.current
    for name in derivatives:  # a parameter the model does not use: derivatives zero
        outputs[f"d_current_d_{name}"] = found.get(name) or {lead: np.zeros(shape) for lead in leads}
    return outputs


def closed_form_noise(model: ModelFile, show: Callable[[sympy.Basic], str], *, latex: bool) -> Iterator[str]:
    """The lines of ``derive --noise``: the closed-form noise and Fano factor of every lead.

    Parameters
    ----------
    model : ModelFile
        The model file.
    show : callable
        How an expression is printed (the derivation's notation).
    latex : bool
        Whether the notation is LaTeX (for the names on the left).

    Yields
    ------
    str
        The lines: a heading, then ``C_2[lead] = ...`` and ``F[lead] = ...`` per lead (with two
        leads, for the first, and the second's by charge conservation: the same ``C_2``, the
        opposite ``F``), or a line saying why there are no closed forms.
    """
    from symbolic_pme.networks.statistics import MAX_STATES, cumulants, factored

    from .derive import MAX_TREES, _heading, _labelled

    transport = model.model
    yield from _heading("Closed-form noise and Fano factor (particle current from each lead into the dot)")
    if not transport.spectrum.exact:
        yield "not derived: eigenstates of mixed blocks are numeric; use `symbolic-pme solve --noise`."
        return
    if len(transport.states) > MAX_STATES:
        yield (
            f"not derived: closed-form noise is derived for at most {MAX_STATES} states, this model has "
            f"{len(transport.states)}; use `symbolic-pme solve --noise`."
        )
        return
    yield "C_2 = zero-frequency noise (S = 2 C_2), F = C_2 / C_1 (signed: negative where the current leaves)."
    leads = model.leads if len(model.leads) != 2 else model.leads[:1]
    for lead in leads:
        try:
            current, noise = cumulants(transport.network, lead, order=2, max_trees=MAX_TREES)
        except ClosedFormTooLarge as error:
            yield f"not derived: {error}"
            return
        for name, value in (("C_2", noise), ("F", factored(noise / current, True))):
            prefix = f"{name}^{{\\mathrm{{{lead}}}}} = " if latex else f"{name}[{lead}] = "
            yield _labelled(prefix, show(value))
    if len(model.leads) == 2:
        first, other = model.leads
        yield (
            f"C_2[{other}] = C_2[{first}] and F[{other}] = -F[{first}]: with two leads, what enters through one "
            "leaves through the other"
        )
