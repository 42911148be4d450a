"""The C target: one C99 source and its header, needing libm alone.

``<name>_solve(params, probabilities, currents)`` evaluates one parameter point: the lead
temperatures (refused when negative), each mixed block by a cyclic Jacobi eigen-solver
(eigenvalues sorted ascending; eigenvector signs are free, and no rate depends on them), the
matrix elements and rates printed by SymPy's ``C99CodePrinter`` (common subexpressions first,
each rate commented with its exact form), the steady state by GTH state reduction with a
pivoting dense solve where it cannot reduce, and the currents as in the package.
``<name>_solve_points`` loops over many points.  Compiled with ``-D<NAME>_SELFTEST`` the source
has a ``main`` that solves its reference table and exits 1 on any deviation above 1e-12 relative.

The C target needs real Hamiltonian entries and couplings (real eigenvectors and amplitudes);
models with complex ones are refused (:class:`GenerationError`).
"""

from __future__ import annotations

import re

import sympy
from sympy.printing.c import C99CodePrinter

from symbolic_pme.errors import GenerationError

from .plan import SolverPlan
from .printing import KernelFunctionPrinting
from .reference_points import TOLERANCE, ReferencePoint, current_floors
from .summary import describe, identifiers

__all__ = ["c_sources", "check_c_target"]

USAGE = """\
Use: #include "{name}.h", compile {name}.c with any C99 compiler and link libm (-lm):

    double params[{upper}_PARAMETERS], probabilities[{upper}_STATES], currents[{upper}_CURRENTS];
    int status = {name}_solve(params, probabilities, currents);   /* 0, or {upper}_NOT_FINITE, ... */

params, probabilities and currents follow the orders listed in {name}.h; currents holds the
particle currents of every lead, then the energy currents, then the heat currents.
cc -std=c99 -D{upper}_SELFTEST {name}.c -lm builds a self-test against the reference table."""


class _Printer(KernelFunctionPrinting, C99CodePrinter):
    """C99 code with the generated source's names for symbols and the stable Fermi functions."""

    modulus_squared = "square"

    def _print_Pi(self, expr):
        return "3.14159265358979323846"  # M_PI is not C99

    def _print_Pow(self, expr):
        if expr.exp == 2:
            return f"square({self._print(expr.base)})"
        return super()._print_Pow(expr)


def check_c_target(plan: SolverPlan) -> None:
    """Refuse what the C target cannot solve.

    Parameters
    ----------
    plan:
        The solver's plan.

    Raises
    ------
    GenerationError
        When a Hamiltonian entry or a coupling may be complex.
    """
    if not plan.real:
        raise GenerationError(
            f"{plan.source}: complex hoppings or couplings need complex eigenvectors and amplitudes, which the C "
            "target does not have; generate the Python target instead"
        )


def c_sources(plan: SolverPlan, references: list[ReferencePoint], *, name: str) -> tuple[str, str]:
    """The generated source and header.

    Parameters
    ----------
    plan:
        What to solve (real; see :func:`check_c_target`).
    references:
        The reference table.
    name:
        The prefix of every exported name (a C identifier); the header is ``<name>.h``.

    Returns
    -------
    tuple of str
        ``(source, header)``.
    """
    upper = name.upper()
    text = describe(plan, points=len(references), usage=USAGE.format(name=name, upper=upper))
    comment = "/*\n" + "\n".join(f" * {line}".rstrip() for line in _safe(text).splitlines()) + "\n */\n"
    return comment + _source(plan, references, name, upper), comment + _header(plan, name, upper)


def _safe(text: str) -> str:
    """Text that cannot end or open a C comment."""
    return text.replace("*/", "* /").replace("/*", "/ *")


def _strings(values) -> str:
    escaped = (v.replace("\\", "\\\\").replace('"', '\\"') for v in values)
    return "{" + ", ".join(f'"{v}"' for v in escaped) + "}"


def _numbers(values) -> str:
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


def _header(plan: SolverPlan, name: str, upper: str) -> str:
    n_parameters = len(plan.parameters)
    lines = [
        f"#ifndef {upper}_H",
        f"#define {upper}_H",
        "",
        f"#define {upper}_PARAMETERS {n_parameters}  /* params[]: {', '.join(s.name for s in plan.parameters)} */",
        f"#define {upper}_STATES {len(plan.states)}  /* probabilities[]: {', '.join(plan.states)} */",
        f"#define {upper}_LEADS {len(plan.leads)}  /* {', '.join(plan.leads)} */",
        f"#define {upper}_CURRENTS {3 * len(plan.leads)}  /* currents[]: I, then J, then Q of each lead */",
        "",
        "/* Positions in params[] */",
    ]
    lines += [
        f"#define {upper}_{symbol.name} {k}  /* default {default!r} */"
        for k, (symbol, default) in enumerate(plan.parameters.items())
        if symbol.name.isascii() and symbol.name.isidentifier()
    ]
    lines += [
        "",
        "/* Return values of the solvers */",
        f"#define {upper}_OK 0",
        f"#define {upper}_NOT_FINITE 1  /* a parameter is NaN or infinite */",
        f"#define {upper}_NEGATIVE_TEMPERATURE 2  /* a lead's temperature is below zero */",
        f"#define {upper}_NOT_UNIQUE 3  /* no unique steady state (a coupling is zero?) */",
        "",
    ]
    if n_parameters:
        lines += [
            f"extern const double {name}_defaults[{upper}_PARAMETERS];",
            f"extern const char *const {name}_parameter_names[{upper}_PARAMETERS];",
        ]
    lines += [
        f"extern const char *const {name}_state_names[{upper}_STATES];",
        f"extern const char *const {name}_current_names[{upper}_CURRENTS];",
        "",
        "/* One point: params in, probabilities and currents out.  Returns 0, or one of the codes above",
        "   (the outputs are then NaN). */",
        f"int {name}_solve(const double *params, double *probabilities, double *currents);",
        "",
        "/* count points, each point's values consecutive (row-major arrays).  Returns 0, or the code of",
        "   the first point that failed. */",
        f"int {name}_solve_points(long count, const double *params, double *probabilities, double *currents);",
        "",
        f"#endif /* {upper}_H */",
    ]
    return "\n".join(lines) + "\n"


def _source(plan: SolverPlan, references: list[ReferencePoint], name: str, upper: str) -> str:
    names = dict(identifiers(plan))
    for number, block in enumerate(plan.blocks):
        names |= {w: f"w{number}[{k}]" for k, w in enumerate(block.eigenvalues)}
        names |= {
            u: f"u{number}[{i * block.size + k}]" for i, row in enumerate(block.eigenvectors) for k, u in enumerate(row)
        }
    elements = {s: f"element_{k}" for k, s in enumerate(s for s, v in plan.placeholders.items() if not v.is_Symbol)}
    printer = _Printer(names | elements | {s: names[v] for s, v in plan.placeholders.items() if v.is_Symbol})
    currents = [f"{kind} {lead}" for kind in ("current", "energy_current", "heat_current") for lead in plan.leads]
    solve = _solve(plan, printer, elements, name, upper)
    lines = [
        f'#include "{name}.h"',
        "",
        "#include <math.h>",
        "",
        "#define N_STATES " + str(len(plan.states)),
        "#define N_LEADS " + str(len(plan.leads)),
        "#define N_TRANSITIONS " + str(len(plan.transitions)),
        "",
    ]
    if plan.parameters:
        lines += [
            f"const double {name}_defaults[{upper}_PARAMETERS] = {_numbers(plan.parameters.values())};",
            f"const char *const {name}_parameter_names[{upper}_PARAMETERS] = "
            f"{_strings(s.name for s in plan.parameters)};",
        ]
    lines += [
        f"const char *const {name}_state_names[{upper}_STATES] = {_strings(plan.states)};",
        f"const char *const {name}_current_names[{upper}_CURRENTS] = {_strings(currents)};",
        "",
        "/* The jumps: source and target states, lead, direction (+1: an electron enters from the lead) */",
        f"static const int source[N_TRANSITIONS] = {{{', '.join(str(t.source) for t in plan.transitions)}}};",
        f"static const int target[N_TRANSITIONS] = {{{', '.join(str(t.target) for t in plan.transitions)}}};",
        f"static const int lead[N_TRANSITIONS] = {{{', '.join(str(t.lead) for t in plan.transitions)}}};",
        "static const double direction[N_TRANSITIONS] = "
        f"{{{', '.join('1.0' if t.entering else '-1.0' for t in plan.transitions)}}};",
        RUNTIME,
        *_helpers(solve, plan),
        solve,
        POINTS.replace("NAME", name).replace("UPPER", upper),
        _selftest(references, name, upper),
    ]
    return "\n".join(lines)


def _helpers(solve: str, plan: SolverPlan) -> list[str]:
    """The Fermi functions that ``solve`` calls and, for mixed blocks, the eigen-solver."""
    code = re.sub(r"/\*.*?\*/", "", solve, flags=re.S)  # the exact forms in comments call fermi too
    called = [text for function, text in FERMI_FUNCTIONS.items() if re.search(rf"\b{function}\(", code)]
    return ([LOGISTIC] if called else []) + called + ([EIGEN_SOLVER] if plan.blocks else [])


def _solve(plan: SolverPlan, printer: _Printer, elements: dict[sympy.Symbol, str], name: str, upper: str) -> str:
    lines = [
        f"int {name}_solve(const double *params, double *probabilities, double *currents)",
        "{",
        "    double energies[N_STATES], rates[N_TRANSITIONS], mus[N_LEADS];",
        "    int k;",
        f"    for (k = 0; k < {upper}_PARAMETERS; ++k) {{",
        "        if (!isfinite(params[k])) {",
        f"            return failed({upper}_NOT_FINITE, probabilities, currents);",
        "        }",
        "    }",
    ]
    lines += [f"    const double {printer.doprint(s)} = params[{k}];" for k, s in enumerate(plan.parameters)]
    for lead, temperature in zip(plan.leads, plan.temperatures):
        lines += [
            f"    if (!({printer.doprint(temperature)} >= 0)) {{  /* lead {_safe(lead)} */",
            f"        return failed({upper}_NEGATIVE_TEMPERATURE, probabilities, currents);",
            "    }",
        ]
    for number, block in enumerate(plan.blocks):
        states = ", ".join(plan.states[s] for s in block.states)
        entries = ", ".join(printer.doprint(e) for e in block.matrix)
        size = block.size
        lines += [
            f"    /* block {block.label}, its eigenstates {_safe(states)} */",
            f"    double h{number}[{size * size}] = {{{entries}}}, w{number}[{size}], u{number}[{size * size}];",
            f"    eigen_symmetric({size}, h{number}, w{number}, u{number});",
        ]
    for symbol, element in elements.items():
        lines.append(
            f"    const double {element} = {printer.doprint(plan.placeholders[symbol])};  /* {_safe(str(symbol))} */"
        )
    lines += [f"    energies[{k}] = {printer.doprint(e)};" for k, e in enumerate(plan.energies)]
    temporaries, rates = sympy.cse([t.rate for t in plan.transitions], symbols=_temporaries(printer))
    lines += [f"    const double {printer.doprint(s)} = {printer.doprint(v)};" for s, v in temporaries]
    for k, (transition, rate) in enumerate(zip(plan.transitions, rates)):
        arrow = f"{plan.states[transition.source]} -> {plan.states[transition.target]}"
        lines.append(
            f"    /* {k}: {_safe(arrow)} via {_safe(plan.leads[transition.lead])}: {_safe(str(transition.exact))} */"
        )
        lines.append(f"    rates[{k}] = {printer.doprint(rate)};")
    lines += [f"    mus[{k}] = {printer.doprint(mu)};" for k, mu in enumerate(plan.chemical_potentials)]
    lines += [
        "    if (steady_state(rates, probabilities)) {",
        f"        return failed({upper}_NOT_UNIQUE, probabilities, currents);",
        "    }",
        "    lead_currents(rates, energies, mus, probabilities, currents);",
        f"    return {upper}_OK;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _temporaries(printer: _Printer):
    """CSE symbols ``x0, x1, ...``, named in the printer as they are made."""
    for number in sympy.numbered_symbols("x"):
        printer._names[number] = number.name
        yield number


def _selftest(references: list[ReferencePoint], name: str, upper: str) -> str:
    rows, leads = len(references), len(references[0].currents) // 3
    width = max(1, len(references[0].parameters))

    def table(kind: str, size: str, values) -> str:
        body = ",\n".join(f"    {_numbers(v) if v else '{0.0}'}" for v in values)
        return f"static const double reference_{kind}[{rows}][{size}] = {{\n{body}\n}};"

    return "\n".join(
        [
            f"#ifdef {upper}_SELFTEST",
            "#include <stdio.h>",
            "",
            "/* Computed by symbolic_pme at generation time */",
            table("parameters", str(width), [p.parameters for p in references]),
            table("probabilities", f"{upper}_STATES", [p.probabilities for p in references]),
            table("currents", f"{upper}_CURRENTS", [p.currents for p in references]),
            "/* Currents compare relative to at least these (particle, energy, heat): a thousandth of the largest */",
            f"static const double current_floors[3] = {_numbers(current_floors(references, leads))};",
            f"#define TOLERANCE {TOLERANCE!r}",
            SELFTEST.replace("NAME", name).replace("UPPER", upper).replace("ROWS", str(rows)),
            f"#endif /* {upper}_SELFTEST */",
        ]
    )


RUNTIME = r"""
static double square(double z)
{
    return z * z;
}

/* Grassmann-Taksar-Heyman state reduction of t[j * n + i] = rate i -> j (overwritten): states are
   censored from the last to the first, adding only non-negative numbers, then back-substitution.
   Returns 1 where a state cannot reach the states before it (then use dense_steady_state). */
static int gth(double *t, double *p)
{
    double escape[N_STATES], total = 0.0;
    int i, j, k;
    for (k = N_STATES - 1; k > 0; --k) {
        double sum = 0.0;
        for (j = 0; j < k; ++j) {
            sum += t[j * N_STATES + k];
        }
        if (!(sum > 0) || !isfinite(sum)) {
            return 1;
        }
        escape[k] = sum;
        double scale = 1.0 / sum;
        for (j = 0; j < k; ++j) {
            double weight = t[j * N_STATES + k] * scale;
            for (i = 0; i < k; ++i) {
                t[j * N_STATES + i] += weight * t[k * N_STATES + i];
            }
        }
    }
    p[0] = 1.0;
    for (j = 1; j < N_STATES; ++j) {
        double sum = 0.0;
        for (i = 0; i < j; ++i) {
            sum += p[i] * t[j * N_STATES + i];
        }
        p[j] = sum / escape[j];
    }
    for (j = 0; j < N_STATES; ++j) {
        total += p[j];
    }
    for (j = 0; j < N_STATES; ++j) {
        p[j] /= total;
    }
    return !isfinite(total);
}

/* The steady state of the generator built from a[j * n + i] = rate i -> j (overwritten) by Gaussian
   elimination with partial pivoting, its first row replaced by the normalization; 1 if singular. */
static int dense_steady_state(double *a, double *p)
{
    int i, j, k;
    for (i = 0; i < N_STATES; ++i) {
        double out = 0.0;
        for (j = 0; j < N_STATES; ++j) {
            out += j == i ? 0.0 : a[j * N_STATES + i];
        }
        a[i * N_STATES + i] = -out;
    }
    for (i = 0; i < N_STATES; ++i) {
        a[i] = 1.0;
        p[i] = i == 0 ? 1.0 : 0.0;
    }
    for (k = 0; k < N_STATES; ++k) {
        int pivot = k;
        for (i = k + 1; i < N_STATES; ++i) {
            if (fabs(a[i * N_STATES + k]) > fabs(a[pivot * N_STATES + k])) {
                pivot = i;
            }
        }
        if (a[pivot * N_STATES + k] == 0) {
            return 1;
        }
        for (j = 0; j < N_STATES; ++j) {
            double swap = a[k * N_STATES + j];
            a[k * N_STATES + j] = a[pivot * N_STATES + j];
            a[pivot * N_STATES + j] = swap;
        }
        double swap = p[k];
        p[k] = p[pivot];
        p[pivot] = swap;
        for (i = k + 1; i < N_STATES; ++i) {
            double factor = a[i * N_STATES + k] / a[k * N_STATES + k];
            for (j = k; j < N_STATES; ++j) {
                a[i * N_STATES + j] -= factor * a[k * N_STATES + j];
            }
            p[i] -= factor * p[k];
        }
    }
    for (k = N_STATES - 1; k >= 0; --k) {
        for (j = k + 1; j < N_STATES; ++j) {
            p[k] -= a[k * N_STATES + j] * p[j];
        }
        p[k] /= a[k * N_STATES + k];
        if (!isfinite(p[k]) || p[k] < -1e-9) {
            return 1;
        }
    }
    for (k = 0; k < N_STATES; ++k) {
        p[k] = p[k] < 0 ? 0.0 : p[k];
    }
    return 0;
}

static int steady_state(const double *rates, double *p)
{
    double t[N_STATES * N_STATES] = {0};
    int k;
    for (k = 0; k < N_TRANSITIONS; ++k) {
        t[target[k] * N_STATES + source[k]] += rates[k];
    }
    if (!gth(t, p)) {
        return 0;
    }
    for (k = 0; k < N_STATES * N_STATES; ++k) {
        t[k] = 0.0;
    }
    for (k = 0; k < N_TRANSITIONS; ++k) {
        t[target[k] * N_STATES + source[k]] += rates[k];
    }
    return dense_steady_state(t, p);
}

/* Remove the rounding residual of sum_lead = 0 in proportion to each lead's gross flux; the lead of
   the largest flux then takes minus the sum of the others. */
static void remove_residual(double *values, const double *gross)
{
    double residual = 0.0, total = 0.0, others = 0.0;
    int l, strongest = 0;
    for (l = 0; l < N_LEADS; ++l) {
        residual += values[l];
        total += gross[l];
        strongest = gross[l] > gross[strongest] ? l : strongest;
    }
    for (l = 0; l < N_LEADS; ++l) {
        values[l] -= (total > 0 ? gross[l] / total : 0.0) * residual;
    }
    for (l = 0; l < N_LEADS; ++l) {
        others += l == strongest ? 0.0 : values[l];
    }
    values[strongest] = -others;
}

static void lead_currents(const double *rates, const double *energies, const double *mus, const double *p,
                          double *currents)
{
    double particle[N_LEADS] = {0}, energy[N_LEADS] = {0}, gross[N_LEADS] = {0};
    int k, l;
    for (k = 0; k < N_TRANSITIONS; ++k) {
        double flux = rates[k] * p[source[k]];
        particle[lead[k]] += direction[k] * flux;
        gross[lead[k]] += flux;
        energy[lead[k]] += flux * (energies[target[k]] - energies[source[k]]);
    }
    remove_residual(particle, gross);
    remove_residual(energy, gross);
    for (l = 0; l < N_LEADS; ++l) {
        currents[l] = particle[l];
        currents[N_LEADS + l] = energy[l];
        currents[2 * N_LEADS + l] = energy[l] - mus[l] * particle[l];
    }
}

static int failed(int status, double *probabilities, double *currents)
{
    int k;
    for (k = 0; k < N_STATES; ++k) {
        probabilities[k] = NAN;
    }
    for (k = 0; k < 3 * N_LEADS; ++k) {
        currents[k] = NAN;
    }
    return status;
}
"""


# Included where the rates call them (an unused static function is a warning).
LOGISTIC = r"""
/* weight/(exp(sign x/T) + 1): exp may overflow to inf, the exact limit; the step at T = 0 */
static double logistic(double weight, double x, double temperature, double sign)
{
    double z;
    if (temperature > 0) {
        z = x * (sign / temperature);
    } else {
        z = x == 0 ? 0.0 : copysign(INFINITY, sign * x);
    }
    return weight / (exp(z) + 1.0);
}
"""

FERMI_FUNCTIONS = {
    "fermi": r"""
static double fermi(double x, double temperature)
{
    return logistic(1.0, x, temperature, 1.0);
}
""",
    "fermi_complement": r"""
static double fermi_complement(double x, double temperature)
{
    return logistic(1.0, x, temperature, -1.0);
}
""",
    "weighted_fermi": r"""
static double weighted_fermi(double weight, double x, double temperature)
{
    return logistic(weight, x, temperature, 1.0);
}
""",
    "weighted_fermi_complement": r"""
static double weighted_fermi_complement(double weight, double x, double temperature)
{
    return logistic(weight, x, temperature, -1.0);
}
""",
}

EIGEN_SOLVER = r"""
/* Eigenvalues (ascending, w) and eigenvectors (columns of v, row-major m x m) of the real symmetric
   matrix a (row-major m x m, destroyed) by cyclic Jacobi rotations, until every off-diagonal element
   is below the rounding of its diagonal pair (a hundredth of an ulp of each). */
static void eigen_symmetric(int m, double *a, double *w, double *v)
{
    int i, j, k, p, q, sweep, rotated = 1;
    for (i = 0; i < m; ++i) {
        for (j = 0; j < m; ++j) {
            v[i * m + j] = i == j ? 1.0 : 0.0;
        }
    }
    for (sweep = 0; sweep < 100 && rotated; ++sweep) {
        rotated = 0;
        for (p = 0; p < m; ++p) {
            for (q = p + 1; q < m; ++q) {
                double apq = a[p * m + q], app = a[p * m + p], aqq = a[q * m + q];
                if (fabs(app) + 100.0 * fabs(apq) == fabs(app) && fabs(aqq) + 100.0 * fabs(apq) == fabs(aqq)) {
                    a[p * m + q] = a[q * m + p] = 0.0; /* below the rounding of both diagonal entries */
                    continue;
                }
                double theta = (aqq - app) / (2.0 * apq);
                double t = fabs(theta) > 1e150 ? 0.5 / theta
                                               : copysign(1.0, theta) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (k = 0; k < m; ++k) {
                    double akp = a[k * m + p], akq = a[k * m + q];
                    a[k * m + p] = c * akp - s * akq;
                    a[k * m + q] = s * akp + c * akq;
                }
                for (k = 0; k < m; ++k) {
                    double apk = a[p * m + k], aqk = a[q * m + k];
                    a[p * m + k] = c * apk - s * aqk;
                    a[q * m + k] = s * apk + c * aqk;
                }
                for (k = 0; k < m; ++k) {
                    double vkp = v[k * m + p], vkq = v[k * m + q];
                    v[k * m + p] = c * vkp - s * vkq;
                    v[k * m + q] = s * vkp + c * vkq;
                }
                a[p * m + q] = a[q * m + p] = 0.0;
                rotated = 1;
            }
        }
    }
    for (i = 0; i < m; ++i) {
        w[i] = a[i * m + i];
    }
    for (i = 1; i < m; ++i) { /* insertion sort of the eigenpairs */
        for (j = i; j > 0 && w[j - 1] > w[j]; --j) {
            double swap = w[j];
            w[j] = w[j - 1];
            w[j - 1] = swap;
            for (k = 0; k < m; ++k) {
                swap = v[k * m + j];
                v[k * m + j] = v[k * m + j - 1];
                v[k * m + j - 1] = swap;
            }
        }
    }
}
"""

POINTS = """
int NAME_solve_points(long count, const double *params, double *probabilities, double *currents)
{
    long i;
    int first = UPPER_OK;
    for (i = 0; i < count; ++i) {
        int status = NAME_solve(params + i * UPPER_PARAMETERS, probabilities + i * UPPER_STATES,
                                currents + i * UPPER_CURRENTS);
        first = first == UPPER_OK ? status : first;
    }
    return first;
}
"""

SELFTEST = r"""
static double deviation(double value, double expected, double floor)
{
    double difference = fabs(value - expected), scale = fabs(expected) > floor ? fabs(expected) : floor;
    return scale > 0 ? difference / scale : (difference > 0 ? INFINITY : 0.0);
}

int main(void)
{
    double worst = 0.0;
    int r, k;
    for (r = 0; r < ROWS; ++r) {
        double probabilities[UPPER_STATES], currents[UPPER_CURRENTS];
        int status = NAME_solve(reference_parameters[r], probabilities, currents);
        if (status != UPPER_OK) {
            printf("NAME self-test: reference point %d: status %d\n", r, status);
            return 1;
        }
        for (k = 0; k < UPPER_STATES + UPPER_CURRENTS; ++k) {
            int state = k < UPPER_STATES;
            double value = state ? probabilities[k] : currents[k - UPPER_STATES];
            double expected = state ? reference_probabilities[r][k] : reference_currents[r][k - UPPER_STATES];
            double relative = deviation(value, expected, state ? 0.0 : current_floors[(k - UPPER_STATES) / N_LEADS]);
            if (relative > TOLERANCE) {
                printf("NAME self-test: reference point %d: %s%s is %.17g, symbolic_pme computed %.17g\n", r,
                       state ? "probability of " : "",
                       state ? NAME_state_names[k] : NAME_current_names[k - UPPER_STATES], value, expected);
                return 1;
            }
            worst = relative > worst ? relative : worst;
        }
    }
    printf("NAME self-test: %d reference points, largest relative deviation %.3g\n", ROWS, worst);
    return 0;
}
"""
