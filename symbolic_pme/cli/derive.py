"""``symbolic-pme derive``: the exact objects of a model file, as text or LaTeX.

Prints the many-body states, the Hamiltonian blocks, the golden-rule rates and, where feasible,
the closed-form steady state and currents (and, with ``noise``, the closed-form noise and Fano
factor of every lead, :func:`.noise.closed_form_noise`).  Closed forms are derived when every eigenstate is an
exact Fock state (no block is mixed by hoppings) and the matrix-tree sum is small; otherwise the
reason is printed and ``symbolic-pme solve`` is the way to numbers.

The derivation works within a budget: models of more than :data:`MAX_LISTED_STATES` states are
summarized (the numbers of states, blocks and rates), and where the derivation runs longer than
:data:`TIME_BUDGET` seconds (a closed form that SymPy cannot simplify in time) it stops, says so
and keeps what it has printed.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sympy

from symbolic_pme.files.model_file import ModelFile
from symbolic_pme.networks.matrix_tree import ClosedFormTooLarge

__all__ = ["MAX_LISTED_STATES", "MAX_POWER", "MAX_TREES", "TIME_BUDGET", "derivation"]

#: Largest number of spanning trees per state for which closed forms are attempted (the
#: spinful Anderson level needs 4, the spinless triangle 2304).
MAX_TREES = 200
#: Largest model whose states, blocks and rates are listed one by one (8 spinless orbitals).
MAX_LISTED_STATES = 256
#: Seconds a derivation may take before it stops and says so.
TIME_BUDGET = 5.0
#: Largest integer power in the rates for which closed forms are attempted: simplifying a
#: ratio of tree sums expands powers, and ``(eps + V)**999`` alone would take minutes.
MAX_POWER = 16

_CONVENTIONS = (
    "Units: hbar = e = k_B = 1.  Gamma = 2 pi |t|^2.  fermi(x, T) = 1/(exp(x/T) + 1).",
    "Currents: particle current I and energy current J from each lead into the dot; heat Q = J - mu I.",
)


def derivation(
    model: ModelFile, *, latex: bool = False, unicode: bool = False, budget: float | None = None, noise: bool = False
) -> str:
    """The derivation of a model file as text.

    The states, Hamiltonian blocks, golden-rule rates and, where feasible, the closed-form steady
    state and currents, under a header stating the conventions (hbar = e = k_B = 1,
    ``Gamma = 2 pi |t|^2``, currents from each lead into the dot; docs/conventions.md).  One
    notation throughout: ASCII by default (matrices drawn in ASCII), Unicode or LaTeX on request.
    Numbers appear as the file gives them (``0.3``, never ``0.300000000000000``): the parameter
    defaults as written, floats in expressions in their shortest form.

    Parameters
    ----------
    model : ModelFile
        The model file.
    latex : bool, optional
        Expressions as LaTeX.  Keyword-only; default False.
    unicode : bool, optional
        Expressions and matrices drawn in Unicode (SymPy's pretty printer).  Keyword-only; default
        False (ASCII).
    budget : float, optional
        Seconds the derivation may take (default :data:`TIME_BUDGET`); past it, the text ends
        with what was derived so far and a line saying that the rest did not finish.
    noise : bool, optional
        Also the closed-form noise ``C_2`` and Fano factor ``C_2 / C_1`` of every lead's particle
        current, where the model is small enough, within a budget of its own of the same length.
        Keyword-only; default False.

    Returns
    -------
    str
        The text, ending in a newline.

    Raises
    ------
    ValueError
        If both ``latex`` and ``unicode`` are asked for.
    """
    if latex and unicode:
        raise ValueError("derive: choose one notation, --latex or --unicode")
    show = _notation(latex=latex, unicode=unicode)
    lines: list[str] = []
    seconds = TIME_BUDGET if budget is None else budget
    try:
        with _time_budget(seconds):
            lines.extend(_lines(model, show, latex, unicode))
    except _OutOfTime:
        lines += [
            "",
            f"stopped: the derivation did not finish within {seconds:g} s ({_sizes(model)}); "
            "use `symbolic-pme solve` for numbers",
        ]
    if noise:
        from .noise import closed_form_noise

        try:
            with _time_budget(seconds):
                lines.extend(closed_form_noise(model, show, latex=latex))
        except _OutOfTime:
            lines += [
                "",
                f"stopped: the closed-form noise did not finish within {seconds:g} s ({_sizes(model)}); "
                "use `symbolic-pme solve --noise` for numbers",
            ]
    return "\n".join(lines) + "\n"


def _notation(*, latex: bool, unicode: bool) -> Callable[[sympy.Basic], str]:
    """How expressions are printed: LaTeX, Unicode or ASCII, floats in their shortest form."""
    if latex:
        return lambda expr: sympy.latex(expr, full_prec=False)
    if unicode:
        return lambda expr: sympy.pretty(expr, use_unicode=True, full_prec=False)
    return lambda expr: sympy.sstr(expr, full_prec=False)


def _matrix(block: sympy.Matrix, show: Callable[[sympy.Basic], str], *, latex: bool, unicode: bool) -> str:
    """A Hamiltonian block: drawn by the pretty printer in the notation's characters."""
    return show(block) if latex else sympy.pretty(block, use_unicode=unicode, full_prec=False)


def _labelled(prefix: str, text: str) -> str:
    """``prefix text``, with a drawing of several lines starting on the next line."""
    return f"{prefix}\n{text}" if "\n" in text else f"{prefix}{text}"


def _defaults(model: ModelFile) -> str:
    """The parameter defaults as the file writes them (an expression with its value)."""
    written = {v.key: v.text for v in model.values if v.table == "[parameters]"}
    shown = []
    for name, value in model.parameters.items():
        text = written.get(name, value)
        shown.append(f"{name} = {text}" + (f" ({value:.15g})" if isinstance(text, str) else ""))
    return ", ".join(shown) or "none"


class _OutOfTime(BaseException):
    """The time budget of a derivation ran out.

    A BaseException, like KeyboardInterrupt: SymPy catches ``Exception`` in places (a CI run
    hung in ``factor`` for minutes after the one alarm had been swallowed there)."""


#: Seconds between the alarms after the budget has run out, should one be swallowed all the same.
_REPEAT = 0.05


@contextmanager
def _time_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`_OutOfTime` inside the block after ``seconds``, and again every
    :data:`_REPEAT` seconds until the block has left (a real-time timer; where there is none,
    off the main thread or on Windows, the block runs without a limit)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    armed = True

    def out_of_time(_signal: int, _frame: object) -> None:
        if armed:
            raise _OutOfTime

    unraisable = sys.unraisablehook

    def quiet(report) -> None:  # an alarm that lands in a finalizer is dropped there: the next one comes
        if not isinstance(report.exc_value, _OutOfTime):
            unraisable(report)

    previous = signal.signal(signal.SIGALRM, out_of_time)
    sys.unraisablehook = quiet
    signal.setitimer(signal.ITIMER_REAL, seconds, _REPEAT)
    try:
        yield
    finally:
        while True:  # an alarm may land here too: disarm until it takes, then no alarm raises
            try:
                armed = False
                break
            except _OutOfTime:
                continue
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.unraisablehook = unraisable


def _sizes(model: ModelFile) -> str:
    transport = model.model
    blocks = len(transport.hamiltonian.sectors)
    return f"{len(transport.states)} states, {blocks} blocks, {len(transport.network.transitions)} rates"


def _lines(model: ModelFile, show: Callable[[sympy.Basic], str], latex: bool, unicode: bool) -> Iterator[str]:
    transport, spectrum = model.model, model.model.spectrum
    yield model.title
    yield "=" * len(model.title)
    yield f"model file: {model.path}"
    yield "parameters (defaults): " + _defaults(model)
    yield from _CONVENTIONS
    if len(spectrum.states) > MAX_LISTED_STATES:
        yield ""
        yield f"not listed: {_sizes(model)}, more than the {MAX_LISTED_STATES} states listed one by one;"
        yield "no closed forms for a model of this size; use `symbolic-pme solve` for numbers."
        return

    yield from _heading(f"States ({len(spectrum.states)})")
    yield f"{'label':<12}{'charge':>7}   energy"
    for k, state in enumerate(spectrum.states):
        yield _labelled(f"{state.label:<12}{state.charge:>7}   ", show(spectrum.energy(k)))

    yield from _heading("Hamiltonian blocks")
    space, hamiltonian = transport.space, transport.hamiltonian
    for key, fock_states in hamiltonian.sectors.items():
        sector = f"N={key[0]}" + (f", Sz={key[1]}" if len(key) > 1 else "")
        yield f"{sector}, basis {', '.join(space.label(s) for s in fock_states)}:"
        block = hamiltonian.block(key)
        yield _matrix(block, show, latex=latex, unicode=unicode)

    if spectrum.placeholders:
        yield from _heading("Numeric eigenstates")
        yield "Blocks mixed by hoppings are diagonalized numerically; in the rates below"
        yield "  E_{label}      is the energy of that eigenstate,"
        yield "  <b|d^+_m|a>    the many-body matrix element of the creation operator of mode m."

    yield from _heading("Tunnelling rates (Fermi golden rule)")
    for transition in transport.network.transitions:
        yield _labelled(f"{transition.source} -> {transition.target} [{transition.channel}]: ", show(transition.rate))

    yield from _closed_forms(model, show, latex)


def _closed_forms(model: ModelFile, show: Callable[[sympy.Basic], str], latex: bool) -> Iterator[str]:
    transport = model.model
    yield from _heading("Closed-form steady state and currents")
    if not transport.spectrum.exact:
        yield "not derived: eigenstates of mixed blocks are numeric (see above); use `symbolic-pme solve`."
        return
    power = _largest_power(transport.network.transitions)
    if power > MAX_POWER:
        yield f"not derived: the rates hold a power {power}, above the {MAX_POWER} a closed form is simplified with."
        return
    try:
        probabilities = transport.network.steady_state(simplify=True, max_trees=MAX_TREES)
    except ClosedFormTooLarge as error:
        yield f"not derived: {error}"
        return
    for state, p in probabilities.items():
        yield _labelled(f"P_{{{_latex_label(state)}}} = " if latex else f"P[{state}] = ", show(p))
    for lead in model.leads:
        for name, function in (("I", transport.current), ("J", transport.energy_current)):
            prefix = f"{name}_{{\\mathrm{{{lead}}}}} = " if latex else f"{name}[{lead}] = "
            yield _labelled(prefix, show(function(lead)))


def _largest_power(transitions) -> int:
    """The largest integer exponent (in magnitude) in the rates, 0 if none."""
    powers = (p.exp for t in transitions for p in t.rate.atoms(sympy.Pow))
    return max((abs(int(e)) for e in powers if e.is_Integer), default=0)


def _latex_label(label: str) -> str:
    """A state label in LaTeX (the spin arrows as commands)."""
    return label.replace("↑", r"\uparrow ").replace("↓", r"\downarrow ").strip()


def _heading(text: str) -> Iterator[str]:
    yield ""
    yield text
    yield "-" * len(text)
