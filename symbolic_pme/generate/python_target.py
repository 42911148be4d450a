"""The Python target: one readable module that needs NumPy alone.

The module's docstring describes the model (:func:`~symbolic_pme.generate.summary.describe`);
its body evaluates, for scalars or broadcastable arrays of the parameters:

1. each lead's temperature (refused when negative), each mixed block's Hamiltonian and its
   ``numpy.linalg.eigh`` (eigenvalues ascending, as the package);
2. the placeholders of the rates from the eigenvectors (each commented with its symbolic name);
3. every rate, printed by SymPy's ``NumPyPrinter`` from the form the package compiles
   (common subexpressions first, each rate commented with its exact form);
4. the steady state by GTH state reduction, and the currents of every lead, with the same
   algorithms as ``symbolic_pme.numeric`` (copied into the module).

``validate()`` solves the reference table at the end of the module and raises
``ValidationError`` on any deviation above 1e-12 relative.
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import NumPyPrinter

from .plan import SolverPlan
from .printing import KernelFunctionPrinting
from .reference_points import TOLERANCE, ReferencePoint, current_floors
from .summary import describe, identifiers

__all__ = ["python_source"]

USAGE = """\
Use (NumPy is the only dependency):

    import {module}
    result = {module}.solve(V=numpy.linspace(-1, 1, 201))   # parameters not given: the defaults
    result["probabilities"]["{state}"]     # arrays of the broadcast shape of the parameters
    result["current"]["{lead}"], result["energy_current"]["{lead}"], result["heat_current"]["{lead}"]
    {module}.validate()   # recompute the reference table; ValidationError above 1e-12 relative"""


class _Printer(KernelFunctionPrinting, NumPyPrinter):
    """NumPy code with the generated module's names for symbols and the stable Fermi functions."""

    def __init__(self, names: dict[sympy.Symbol, str]):
        super().__init__(names, {"fully_qualified_modules": True, "inline": True})

    def _print_conjugate(self, expr):
        return self._call("numpy.conjugate", expr)


def python_source(plan: SolverPlan, references: list[ReferencePoint], *, module: str) -> str:
    """The generated module's text.

    Parameters
    ----------
    plan:
        What to solve.
    references:
        The reference table.
    module:
        The module's import name (for the usage note in its docstring).

    Returns
    -------
    str
    """
    names = dict(identifiers(plan))
    for number, block in enumerate(plan.blocks):
        names |= {w: f"w{number}[..., {k}]" for k, w in enumerate(block.eigenvalues)}
        names |= {u: f"u{number}[..., {i}, {k}]" for i, row in enumerate(block.eigenvectors) for k, u in enumerate(row)}
    elements = {}
    for symbol, value in plan.placeholders.items():
        if not value.is_Symbol:  # matrix elements get a name; energies are eigenvalues
            elements[symbol] = f"element_{len(elements)}"
    printer = _Printer(names | elements | {s: names[v] for s, v in plan.placeholders.items() if v.is_Symbol})
    usage = USAGE.format(module=module, state=plan.states[-1], lead=plan.leads[-1])
    text = describe(plan, points=len(references), usage=usage)
    body = [
        f'"""{text}\n"""\n',
        "import numpy\n",
        "#: Parameters (in order) and their defaults.",
        f"PARAMETERS = {{{', '.join(f'{s.name!r}: {d!r}' for s, d in plan.parameters.items())}}}",
        f"STATES = {tuple(plan.states)!r}",
        f"LEADS = {tuple(plan.leads)!r}",
        "#: The jumps: source and target states, lead and direction (+1: an electron enters from the lead).",
        f"SOURCE = numpy.array({[t.source for t in plan.transitions]})",
        f"TARGET = numpy.array({[t.target for t in plan.transitions]})",
        f"LEAD = numpy.array({[t.lead for t in plan.transitions]})",
        f"DIRECTION = numpy.array({[1 if t.entering else -1 for t in plan.transitions]})",
        "#: Largest relative deviation from the reference table that validate() accepts; currents compare",
        "#: relative to at least CURRENT_FLOORS (particle, energy, heat): a thousandth of the largest in the table.",
        f"TOLERANCE = {TOLERANCE!r}",
        f"CURRENT_FLOORS = {current_floors(references, len(plan.leads))!r}",
        "",
        "",
        _solve(plan, printer, elements),
        RUNTIME,
        _reference_table(references),
    ]
    return "\n".join(body)


def _solve(plan: SolverPlan, printer: _Printer, elements: dict[sympy.Symbol, str]) -> str:
    """The text of ``solve``."""
    unpack = ", ".join(printer.doprint(s) for s in plan.parameters)
    lines = [
        "def solve(**parameters):",
        '    """Steady state and currents at the given parameters (the defaults for the others).',
        "",
        "    Parameters",
        "    ----------",
        "    **parameters",
        "        Values by name: numbers or arrays that broadcast together.",
        "",
        "    Returns",
        "    -------",
        "    dict",
        '        ``"probabilities"``: ``{state: array}``; ``"current"``, ``"energy_current"``,',
        '        ``"heat_current"``: ``{lead: array}``, each of the parameters\' broadcast shape.',
        "",
        "    Raises",
        "    ------",
        "    ValueError",
        "        For an unknown parameter, a value that is not a finite real number, a negative",
        "        temperature, or a steady state that is not unique.",
        '    """',
        f"    {unpack}{',' if len(plan.parameters) == 1 else ''} = values = _values(parameters)"
        if plan.parameters
        else "    values = _values(parameters)",
        "    shape = numpy.broadcast_shapes(*(numpy.shape(v) for v in values))",
    ]
    for name, temperature in zip(plan.leads, plan.temperatures):
        lines.append(f"    _check_temperature({name!r}, {printer.doprint(temperature)})")
    for number, block in enumerate(plan.blocks):
        lines.append(f"    # block {block.label}, its eigenstates {', '.join(plan.states[s] for s in block.states)}")
        rows = ", ".join("[" + ", ".join(printer.doprint(e) for e in row) + "]" for row in block.matrix.tolist())
        lines.append(f"    w{number}, u{number} = _eigh([{rows}])")
    if elements:
        lines.append("    # the matrix elements <b|d^+_m|a> between eigenstates")
    for symbol, name in elements.items():
        lines.append(f"    {name} = {printer.doprint(plan.placeholders[symbol])}  # {symbol}")
    energies = ", ".join(printer.doprint(e) for e in plan.energies)
    lines.append(f"    energies = _stack([{energies}], shape)")
    temporaries, rates = sympy.cse([t.rate for t in plan.transitions], symbols=_temporaries(printer))
    lines.append("    # the rates: common parts first")
    for symbol, value in temporaries:
        lines.append(f"    {printer.doprint(symbol)} = {printer.doprint(value)}")
    lines.append("    rates = _stack(")
    lines.append("        [")
    for k, (transition, rate) in enumerate(zip(plan.transitions, rates)):
        arrow = f"{plan.states[transition.source]} -> {plan.states[transition.target]}"
        lines.append(f"            # {k}: {arrow} via {plan.leads[transition.lead]}: {transition.exact}")
        lines.append(f"            {printer.doprint(rate)},")
    lines += ["        ],", "        shape,", "    )"]
    mus = ", ".join(printer.doprint(mu) for mu in plan.chemical_potentials)
    lines.append(f"    return _results(rates, energies, _stack([{mus}], shape), shape)")
    return "\n".join(lines) + "\n"


def _temporaries(printer: _Printer):
    """CSE symbols ``x0, x1, ...``, named in the printer as they are made."""
    for number in sympy.numbered_symbols("x"):
        printer._names[number] = number.name
        yield number


def _reference_table(references: list[ReferencePoint]) -> str:
    lines = [
        "",
        "#: Computed by symbolic_pme at generation time: (parameters in PARAMETERS order, probabilities",
        "#: in STATES order, particle then energy then heat currents in LEADS order).",
        "REFERENCE = (",
    ]
    for point in references:
        lines.append(f"    ({point.parameters!r}, {point.probabilities!r}, {point.currents!r}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


RUNTIME = '''

def validate():
    """Solve every point of REFERENCE and compare with the values symbolic_pme computed.

    Returns
    -------
    float
        The largest relative deviation found.

    Raises
    ------
    ValidationError
        When some value deviates by more than TOLERANCE, relative to itself (a current: to at least
        its CURRENT_FLOORS entry).
    """
    parameters, probabilities, currents = (numpy.array(column, dtype=float) for column in zip(*REFERENCE))
    result = solve(**{name: parameters[:, k] for k, name in enumerate(PARAMETERS)})
    quantities = [("probability", "probabilities", STATES)]
    quantities += [(f"{kind} of lead", kind, LEADS) for kind in ("current", "energy_current", "heat_current")]
    computed = numpy.stack([result[key][label] for _, key, labels in quantities for label in labels], axis=1)
    expected = numpy.concatenate([probabilities, currents], axis=1)
    what = [f"{name} {label!r}" for name, _, labels in quantities for label in labels]
    deviation, scale = numpy.abs(computed - expected), numpy.abs(expected)
    scale[:, len(STATES) :] = numpy.maximum(scale[:, len(STATES) :], numpy.repeat(CURRENT_FLOORS, len(LEADS)))
    relative = numpy.divide(deviation, scale, out=numpy.zeros_like(deviation), where=scale > 0)
    relative[(scale == 0) & (deviation > 0)] = numpy.inf
    if relative.max() > TOLERANCE:
        point, value = numpy.unravel_index(numpy.argmax(relative), relative.shape)
        raise ValidationError(
            f"reference point {point}: {what[value]} is {computed[point, value]!r}, symbolic_pme computed "
            f"{expected[point, value]!r} (relative deviation {relative[point, value]:.3g} > {TOLERANCE:g})"
        )
    return float(relative.max())


class ValidationError(RuntimeError):
    """The solver does not reproduce its reference table."""


def fermi(x, temperature):
    """Fermi occupation 1/(exp(x/T) + 1), overflow-free; the step (1/2 at x = 0) at T = 0."""
    return _logistic(1.0, x, temperature, 1.0)


def fermi_complement(x, temperature):
    """1 - fermi(x, T), computed directly."""
    return _logistic(1.0, x, temperature, -1.0)


def weighted_fermi(weight, x, temperature):
    """weight * fermi(x, T) in one division."""
    return _logistic(weight, x, temperature, 1.0)


def weighted_fermi_complement(weight, x, temperature):
    """weight * (1 - fermi(x, T)) in one division."""
    return _logistic(weight, x, temperature, -1.0)


def modulus_squared(z):
    """|z|^2 without a square root."""
    z = numpy.asarray(z)
    return z.real * z.real + z.imag * z.imag if numpy.iscomplexobj(z) else z * z


def _logistic(weight, x, temperature, sign):
    """weight/(exp(sign x/T) + 1): exp may overflow to inf, the exact limit; the step at T = 0."""
    x, temperature = numpy.asarray(x, dtype=float), numpy.asarray(temperature, dtype=float)
    with numpy.errstate(over="ignore", divide="ignore", invalid="ignore"):
        z = x * (sign / temperature)
        z = numpy.where(temperature == 0, numpy.where(x == 0, 0.0, numpy.copysign(numpy.inf, sign * x)), z)
        return weight / (numpy.exp(z) + 1.0)


def _values(parameters):
    """The parameters in PARAMETERS order, as float arrays (defaults for those not given)."""
    unknown = [name for name in parameters if name not in PARAMETERS]
    if unknown:
        raise ValueError(f"unknown parameter {unknown[0]!r}; this model's parameters: {', '.join(PARAMETERS)}")
    values = []
    for name, default in PARAMETERS.items():
        try:
            value = numpy.asarray(parameters.get(name, default), dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name!r}: {parameters[name]!r} is not a real number or array") from None
        if not numpy.all(numpy.isfinite(value)):
            raise ValueError(f"parameter {name!r}: NaN or infinite value")
        values.append(value)
    return values


def _check_temperature(lead, temperature):
    if numpy.any(numpy.asarray(temperature) < 0):
        raise ValueError(f"temperature of lead {lead!r} is negative ({numpy.min(temperature):.6g}); it must be >= 0")


def _eigh(rows):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian matrix given by its entries (numbers or
    arrays that broadcast), batched over their shape."""
    entries = [numpy.asarray(e) for row in rows for e in row]
    shape = numpy.broadcast_shapes(*(e.shape for e in entries))
    size = len(rows)
    matrix = numpy.empty(shape + (size, size), dtype=numpy.result_type(*entries, float))
    for k, entry in enumerate(entries):
        matrix[..., k // size, k % size] = entry
    if numpy.iscomplexobj(matrix) and not numpy.any(matrix.imag):
        matrix = matrix.real
    return numpy.linalg.eigh(matrix)


def _stack(values, shape):
    """Values (numbers or arrays broadcastable to shape) as one array (len(values), points)."""
    result = numpy.empty((len(values),) + shape)
    for k, value in enumerate(values):
        result[k] = value
    return result.reshape(len(values), -1)


def _results(rates, energies, mus, shape):
    """Probabilities and currents from the rates (transitions, points), the state energies and each
    lead's chemical potential (states or leads, points)."""
    probabilities = _steady_state(rates)
    flux = rates * probabilities[SOURCE]
    members = (LEAD[None, :] == numpy.arange(len(LEADS))[:, None]).astype(float)
    particle, gross = (members * DIRECTION) @ flux, members @ flux
    energy = members @ (flux * (energies[TARGET] - energies[SOURCE]))
    for net in (particle, energy):
        _remove_residual(net, gross)
    heat = energy - mus * particle
    labelled = {"probabilities": dict(zip(STATES, probabilities))}
    for key, values in (("current", particle), ("energy_current", energy), ("heat_current", heat)):
        labelled[key] = dict(zip(LEADS, values))
    return {key: {label: v.reshape(shape) for label, v in part.items()} for key, part in labelled.items()}


def _remove_residual(values, gross):
    """Remove the rounding residual of sum_lead = 0 in proportion to each lead's gross flux; the lead
    of the largest flux then takes minus the sum of the others."""
    residual = values.sum(axis=0)
    total = gross.sum(axis=0)
    share = numpy.divide(gross, total, out=numpy.zeros_like(gross), where=total > 0)
    values -= share * residual
    strongest, points = numpy.argmax(gross, axis=0), numpy.arange(values.shape[1])
    values[strongest, points] = 0.0
    values[strongest, points] = -values.sum(axis=0)


def _steady_state(rates):
    """Steady states (states, points): GTH state reduction, a dense solve where it cannot reduce."""
    n, points = len(STATES), rates.shape[1]
    transfer = numpy.zeros((n, n, points))
    numpy.add.at(transfer, (TARGET, SOURCE), rates)
    generators = numpy.moveaxis(transfer, -1, 0).copy()
    probabilities, failed = _gth(transfer)
    if failed.any():
        probabilities[:, failed] = _dense_steady_state(generators[failed]).T
    return probabilities


def _gth(transfer):
    """Grassmann-Taksar-Heyman state reduction of transfer[j, i] = rate i -> j (n, n, points), which
    it overwrites: states are censored from the last to the first, each adding only non-negative
    numbers, then back-substitution.  Returns (probabilities, failed points)."""
    n, points = transfer.shape[0], transfer.shape[2]
    escape = numpy.empty((n, points))
    with numpy.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for k in range(n - 1, 0, -1):
            escape[k] = transfer[:k, k].sum(axis=0)
            weight = transfer[:k, k] * (1.0 / escape[k])
            transfer[:k, :k] += weight[:, None, :] * transfer[k, None, :k]
        probabilities = numpy.empty((n, points))
        probabilities[0] = 1.0
        for j in range(1, n):
            probabilities[j] = (probabilities[:j] * transfer[j, :j]).sum(axis=0) / escape[j]
        probabilities /= probabilities.sum(axis=0)
    failed = ~numpy.all(numpy.isfinite(probabilities), axis=0)
    if n > 1:
        failed |= ~numpy.all(escape[1:] > 0, axis=0)
    return probabilities, failed


def _dense_steady_state(generators):
    """Steady states (points, n) of off-diagonal rate matrices [target, source] by a dense solve."""
    n = generators.shape[-1]
    index = numpy.arange(n)
    generators[:, index, index] = -generators.sum(axis=1)
    generators[:, 0, :] = 1.0
    rhs = numpy.zeros((n, 1))
    rhs[0, 0] = 1.0
    try:
        probabilities = numpy.linalg.solve(generators, rhs)[..., 0]
    except numpy.linalg.LinAlgError:
        raise ValueError("the steady state is not unique at these parameters (a coupling is zero?)") from None
    if not numpy.all(numpy.isfinite(probabilities)) or probabilities.min() < -1e-9:
        raise ValueError("the steady state lost accuracy at these parameters (rates spanning too many orders)")
    return numpy.maximum(probabilities, 0.0)
'''
