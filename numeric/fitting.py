"""Least-squares fits of model parameters to measured currents or dI/dV, with exact Jacobians.

:func:`fit` minimizes ``sum_i (model_i(theta) - data_i)^2`` over the points of a
:class:`~symbolic_pme.numeric.measured.Measurement` with :func:`scipy.optimize.least_squares`
(trust-region reflective, bounds allowed).  The Jacobian comes from the exact derivatives of
:meth:`CompiledNetwork.analyse <symbolic_pme.numeric.network.CompiledNetwork.analyse>`
(:mod:`~symbolic_pme.numeric.response`), not from finite differences in the parameters:

* ``target="current"``: the residual and its Jacobian ``dI/dtheta`` come from one pass (the
  steady state and the derivatives share the factorized generator); the Jacobian of an accepted
  step costs nothing more.
* ``target="didv"``: the model ``dI/dV`` is the exact derivative along the bias parameter, and
  its Jacobian ``d(dI/dV)/dtheta = d^2 I / dV dtheta`` the exact mixed second derivative
  (``second_derivatives=[(V, theta), ...]`` of :meth:`CompiledNetwork.analyse
  <symbolic_pme.numeric.network.CompiledNetwork.analyse>`: the kernel differentiated twice,
  ``d^2P = -R (d^2W P + d_VW d_thetaP + d_thetaW d_VP)``, the Fermi functions' second
  derivatives and second-order perturbation theory of the mixed blocks; see
  :mod:`~symbolic_pme.numeric.response`).  Both come from one pass, as for currents: the
  Jacobian of an accepted step costs nothing more, whatever the number of parameters.  That
  pass costs more than a plain dI/dV pass (about 2.5 times on the triangle's 41 x 7 map with
  three parameters), where a finite-difference Jacobian costs one plain pass per parameter.

The Jacobians are exact to rounding: no step in theta (or in the bias) and no truncation error;
where a mixed block's degenerate eigenstates make them undefined the fit is refused, as
:meth:`CompiledNetwork.analyse` refuses.  ``jacobian="2-point"`` or ``"3-point"`` fits the same
residual with SciPy's finite differences instead (for comparison; :attr:`Fit.evaluations`
counts the model passes either way, SciPy's ``nfev`` leaves out those of its finite-difference
Jacobians).  The result says which Jacobian was used (:attr:`Fit.jacobian`).

Why SciPy and not lmfit: ``scipy.optimize.least_squares`` is already a core dependency, takes an
analytic Jacobian and bounds, and reports the Jacobian at the solution, from which the
covariance follows in three lines; lmfit would add a dependency for its parameter objects and
reports, which :class:`Fit` provides for what a model file needs (named values, standard
errors, covariance, residual, plot).

Statistics: with ``m`` points, ``n`` parameters and the Jacobian ``J`` at the solution, the
covariance is ``s^2 (J^T J)^-1`` with the residual variance ``s^2 = |r|^2 / (m - n)`` (the
measurement errors are estimated from the scatter of the residual, taken equal at every point);
the standard errors are the square roots of its diagonal.  Where the data do not determine the
parameters (a singular ``J^T J``: two parameters that change the model alike, or one that does
not change it) the covariance and the standard errors are infinite.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .measured import Measurement, load_measurement

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from symbolic_pme.files.model_file import ModelFile

    from .network import CompiledNetwork

__all__ = ["Fit", "TARGETS", "fit"]

#: What can be fitted: a lead's particle current, or its derivative along the bias.
TARGETS = ("current", "didv")

#: Jacobians :func:`fit` can use.
JACOBIANS = ("exact", "2-point", "3-point")


@dataclass(frozen=True)
class Fit:
    """The result of :func:`fit`.

    Attributes
    ----------
    parameters : tuple of str
        The fitted parameters, in the order of :attr:`covariance`.
    values : dict of str to float
        The fitted values.
    errors : dict of str to float
        Their standard errors (``sqrt`` of the covariance's diagonal; ``inf`` where the data do
        not determine the parameters).
    covariance : numpy.ndarray
        ``(n, n)``: ``s^2 (J^T J)^-1`` with ``s^2 = |r|^2 / (m - n)``.
    start : dict of str to float
        The starting values.
    fixed : dict of str to float
        The values of the parameters that were not fitted (and are not data axes).
    target : str
        ``"current"`` or ``"didv"``.
    lead : str
        The lead whose current (or dI/dV) was fitted (from the lead into the dot).
    bias : str or None
        The parameter of the derivative of a ``"didv"`` fit.
    data : Measurement
        The measurement fitted.
    model : numpy.ndarray
        The fitted model on the data's points (data's shape; NaN where the data are).
    residual : numpy.ndarray
        ``model - data`` (data's shape; NaN where the data are).
    residual_norm : float
        ``|r|``, over the finite data points.
    points : int
        ``m``, the finite data points fitted.
    evaluations : int
        Model passes over the data's points (with the exact Jacobian each pass gives it too;
        each step of a finite-difference Jacobian counts one).
    jacobian_evaluations : int
        Jacobians evaluated (SciPy's ``njev``).
    function_evaluations : int
        Residuals evaluated (SciPy's ``nfev``; without finite-difference steps).
    jacobian : str
        How the Jacobian was computed.
    seconds : float
        Wall time of the fit.
    success : bool
        Whether SciPy reports convergence.
    message : str
        SciPy's message.
    """

    parameters: tuple[str, ...]
    values: dict[str, float]
    errors: dict[str, float]
    covariance: np.ndarray
    start: dict[str, float]
    fixed: dict[str, float]
    target: str
    lead: str
    bias: str | None
    data: Measurement
    model: np.ndarray
    residual: np.ndarray
    residual_norm: float
    points: int
    evaluations: int
    jacobian_evaluations: int
    function_evaluations: int
    jacobian: str
    seconds: float
    success: bool
    message: str

    @property
    def correlation(self) -> np.ndarray:
        """The correlation matrix ``C_ij / (s_i s_j)`` (NaN where a standard error is infinite)."""
        scale = np.sqrt(np.diag(self.covariance))
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.covariance / np.outer(scale, scale)

    def plot(self, path: str | Path | None = None, *, figure: Figure | None = None) -> Figure:
        """Data against the fit: curves for one axis, maps of data, fit and residual for two.

        Matplotlib is imported only here.

        Parameters
        ----------
        path : str or pathlib.Path, optional
            Write the figure there (format from the extension).
        figure : matplotlib.figure.Figure, optional
            Draw on it (default: a new figure).

        Returns
        -------
        matplotlib.figure.Figure
            The figure.

        Raises
        ------
        ValueError
            If the data have more than two dimensions.
        """
        from matplotlib.figure import Figure

        data = self.data
        if len(data.shape) > 2:
            raise ValueError(f"plot: data of {len(data.shape)} dimensions; plot one or two at a time")
        label = f"I_{self.lead}" if self.target == "current" else f"dI_{self.lead}/d{self.bias}"
        title = ", ".join(f"{n} = {self.values[n]:.4g} ± {self.errors[n]:.2g}" for n in self.parameters)
        if len(data.shape) == 2 and all(data.axis(k) is not None for k in (0, 1)):
            figure = figure or Figure(figsize=(12.0, 3.6), layout="constrained")
            (name_y, y), (name_x, x) = data.axis(0), data.axis(1)
            panels = figure.subplots(1, 3, sharex=True, sharey=True)
            limit = np.nanmax(np.abs(np.concatenate([data.values.ravel(), self.model.ravel()])))
            misfit = np.nanmax(np.abs(self.residual))
            for ax, values, what, scale in (
                (panels[0], data.values, f"data ({data.name})", limit),
                (panels[1], self.model, "fit", limit),
                (panels[2], self.residual, "fit − data", misfit),
            ):
                mesh = ax.pcolormesh(x, y, values, cmap="RdBu_r", vmin=-scale, vmax=scale, shading="nearest")
                figure.colorbar(mesh, ax=ax, label=label)
                ax.set(title=what, xlabel=name_x)
            panels[0].set_ylabel(name_y)
        else:
            figure = figure or Figure(figsize=(7.0, 4.0), layout="constrained")
            ax = figure.subplots()
            found = data.axis(0) if len(data.shape) == 1 else None
            name, x = found if found is not None else ("point", np.arange(data.values.size))
            order = np.argsort(x, kind="stable")
            ax.plot(x[order], data.values.ravel()[order], ".", label=f"data ({data.name})")
            ax.plot(x[order], self.model.ravel()[order], "-", label="fit")
            ax.set(xlabel=name, ylabel=label)
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
        figure.suptitle(title, fontsize="medium")
        if path is not None:
            figure.savefig(path)
        return figure


def fit(
    model: CompiledNetwork | ModelFile,
    data: Measurement | str | Path,
    *,
    parameters: Sequence[str],
    bounds: Mapping[str, tuple[float, float]] | None = None,
    target: str = "current",
    lead: str | None = None,
    start: Mapping[str, float] | None = None,
    fixed: Mapping[str, float] | None = None,
    bias: str = "V",
    jacobian: str = "exact",
    column: str | None = None,
    max_evaluations: int | None = None,
) -> Fit:
    """Fit model parameters to a measured current or dI/dV by least squares, with exact Jacobians.

    See the module docstring for the Jacobians and the statistics.

    Parameters
    ----------
    model : CompiledNetwork or ModelFile
        A compiled transport model, or a model file (compiled here).
    data : Measurement, str or pathlib.Path
        The measurement, or a file :func:`~symbolic_pme.numeric.measured.load_measurement` reads;
        its coordinates must be parameters of the model.
    parameters : sequence of str
        The parameters to fit (not data axes).
    bounds : mapping of str to (float, float), optional
        ``{name: (low, high)}`` for some of ``parameters`` (unbounded otherwise); the start must
        lie strictly inside.
    target : {"current", "didv"}, optional
        Fit the lead's particle current (default) or its derivative along ``bias``.
    lead : str, optional
        The lead (default: a model file's tip lead, otherwise the last lead).
    start : mapping of str to float, optional
        Starting values (default: the model's defaults).
    fixed : mapping of str to float, optional
        Values of parameters that are neither fitted nor data axes (default: the defaults).
    bias : str, optional
        The bias parameter of ``target="didv"`` (default ``"V"``).
    jacobian : {"exact", "2-point", "3-point"}, optional
        The exact Jacobian (default), or SciPy's finite differences (for comparison).
    column : str, optional
        The measured column when ``data`` is a file (see ``load_measurement``).
    max_evaluations : int, optional
        SciPy's ``max_nfev`` (default: SciPy's, 100 per parameter).

    Returns
    -------
    Fit
        The fitted values, standard errors, covariance, residual, counts and a plot method.

    Raises
    ------
    ValueError
        For an unknown target, lead, Jacobian or parameter, a fitted parameter that is also a
        data axis or fixed, bounds that exclude the start, fewer finite data points than
        parameters, a model that is not a transport model, and the errors of the data file and
        of the model's solves.

    Examples
    --------
    >>> from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
    >>> leads = [Lead("L", "V", 0.1, {"d": 0.1}), Lead("R", 0, 0.1, {"d": 0.1})]
    >>> level = TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": "eps"}), leads).compile()
    >>> biases = np.linspace(-1, 1, 41)
    >>> measured = level.sweep({"V": biases}, eps=0.3).current["L"]
    >>> data = Measurement(measured, {"V": biases})
    >>> result = fit(level, data, parameters=["eps"], lead="L", start={"eps": 0.2})
    >>> round(result.values["eps"], 6)
    0.3
    """
    from scipy.optimize import least_squares

    from symbolic_pme.files.model_file import ModelFile

    began = time.perf_counter()
    lead = _lead_of(model, lead)
    compiled = model.compile() if isinstance(model, ModelFile) else model
    if compiled.blocks is None:
        raise ValueError("fit: the model must be a compiled transport model (leads and rate groups)")
    if not isinstance(data, Measurement):
        data = load_measurement(data, column=column)
    names = _check(compiled, data, parameters, target, lead, bias, jacobian, fixed or {})
    defaults = compiled.defaults
    x0 = np.array([float((start or {}).get(n, defaults.get(n, np.nan))) for n in names])
    unknown = sorted(set(start or {}) - set(names))
    if unknown:
        raise ValueError(f"start: {', '.join(unknown)} not among the fitted parameters ({', '.join(names)})")
    if not np.all(np.isfinite(x0)):
        missing = [n for n, v in zip(names, x0) if not np.isfinite(v)]
        raise ValueError(f"start: give starting values for {', '.join(missing)} (no default)")
    low, high = _bounds(names, bounds or {}, x0)
    others = {n: float(v) for n, v in defaults.items() if n not in names and n not in data.coordinates}
    others.update({n: float(v) for n, v in (fixed or {}).items()})
    problem = _Problem(compiled, data, names, others, target, lead, bias, exact=jacobian == "exact")
    options = {} if max_evaluations is None else {"max_nfev": max_evaluations}
    solution = least_squares(
        problem.residual,
        x0,
        jac=problem.jacobian if jacobian == "exact" else jacobian,
        bounds=(low, high),
        x_scale="jac",
        **options,
    )
    residual = solution.fun * problem.scale
    m, n = residual.size, len(names)
    covariance = _covariance(solution.jac * problem.scale, residual, m, n)
    errors = np.sqrt(np.diag(covariance))
    model_values = np.full(data.shape, np.nan)
    model_values[problem.mask] = residual + problem.measured
    if jacobian == "exact":
        how = "exact" if target == "current" else "exact (second derivatives d2I/dV dtheta)"
    else:
        how = f"finite differences ({jacobian})"
    return Fit(
        parameters=names,
        values=dict(zip(names, map(float, solution.x))),
        errors=dict(zip(names, map(float, errors))),
        covariance=covariance,
        start=dict(zip(names, map(float, x0))),
        fixed=others,
        target=target,
        lead=lead,
        bias=bias if target == "didv" else None,
        data=data,
        model=model_values,
        residual=model_values - data.values,
        residual_norm=float(np.linalg.norm(residual)),
        points=m,
        evaluations=problem.evaluations,
        jacobian_evaluations=int(solution.njev or 0),
        function_evaluations=int(solution.nfev),
        jacobian=how,
        seconds=time.perf_counter() - began,
        success=bool(solution.success),
        message=str(solution.message),
    )


class _Problem:
    """The residual and its exact Jacobian (unless ``exact`` is false: finite differences, which need
    plain passes) on the finite data points, with a count of model passes."""

    def __init__(self, compiled, data: Measurement, names, others, target: str, lead: str, bias: str, *, exact: bool):
        self.compiled, self.names, self.others = compiled, names, others
        self.target, self.lead, self.bias, self.exact = target, lead, bias, exact
        self.mask = np.isfinite(data.values)
        self.measured = data.values[self.mask]
        #: residuals are divided by the data's largest magnitude: SciPy's tolerances are absolute
        self.scale = float(np.max(np.abs(self.measured))) or 1.0
        ndim = len(data.shape)
        self.grid = {n: c.reshape((1,) * (ndim - c.ndim) + c.shape) for n, c in data.coordinates.items()}
        self.evaluations = 0
        self._cached: tuple[np.ndarray, np.ndarray] | None = None

    def _values(self, x: np.ndarray) -> dict[str, np.ndarray | float]:
        return {**self.others, **dict(zip(self.names, map(float, x))), **self.grid}

    def model(self, x: np.ndarray) -> np.ndarray:
        """The model on the finite data points; the exact Jacobian of the same pass is kept for ``x``.

        ``"current"``: ``I`` and ``dI/dtheta``; ``"didv"``: ``dI/dV`` and ``d^2I/dV dtheta``.
        """
        self.evaluations += 1
        values, lead = self._values(x), self.lead
        if not self.exact:
            if self.target == "current":
                return np.broadcast_to(self.compiled.steady_state(values).current[lead], self.mask.shape)[self.mask]
            d = self.compiled.analyse(values, derivatives=[self.bias], derivative_quantities=("charge",)).derivatives
            return np.broadcast_to(d.current[self.bias][lead], self.mask.shape)[self.mask]
        if self.target == "didv":
            pairs = [(self.bias, n) for n in self.names]
            d = self.compiled.analyse(
                values, derivatives=[self.bias], second_derivatives=pairs, derivative_quantities=("charge",)
            ).derivatives
            model, columns = d.current[self.bias][lead], [d.second_current[pair][lead] for pair in pairs]
        else:
            analysis = self.compiled.analyse(values, derivatives=self.names, derivative_quantities=("charge",))
            model = analysis.steady_state.current[lead]
            columns = [analysis.derivatives.current[n][lead] for n in self.names]
        jacobian = np.stack([np.broadcast_to(c, self.mask.shape)[self.mask] for c in columns], axis=1)
        self._cached = (np.array(x, dtype=float), jacobian)
        return np.broadcast_to(model, self.mask.shape)[self.mask]

    def residual(self, x: np.ndarray) -> np.ndarray:
        """``(model - data) / scale`` on the finite data points."""
        return (self.model(x) - self.measured) / self.scale

    def jacobian(self, x: np.ndarray) -> np.ndarray:
        """The exact Jacobian (``points, parameters``), from the pass of the residual at ``x``."""
        if self._cached is None or not np.array_equal(self._cached[0], x):
            self.model(x)
        return self._cached[1] / self.scale


def _lead_of(model, lead: str | None) -> str:
    from symbolic_pme.files.model_file import ModelFile

    if isinstance(model, ModelFile):
        leads = model.leads
        default = model.tip_lead or leads[-1]
    else:
        blocks = model.blocks
        leads = blocks.lead_names if blocks is not None else tuple(model.network.channels)
        default = leads[-1]
    if lead is None:
        return default
    if lead not in leads:
        raise ValueError(f"lead: unknown lead {lead!r}; leads: {', '.join(leads)}")
    return lead


def _check(compiled, data: Measurement, parameters, target, lead, bias, jacobian, fixed) -> tuple[str, ...]:
    if target not in TARGETS:
        raise ValueError(f"target: {target!r} is not one of {', '.join(TARGETS)}")
    if jacobian not in JACOBIANS:
        raise ValueError(f"jacobian: {jacobian!r} is not one of {', '.join(JACOBIANS)}")
    known = compiled.parameters
    names = tuple(dict.fromkeys(parameters))
    if not names:
        raise ValueError("parameters: name at least one parameter to fit")
    listed = ", ".join(known) or "none"
    for name in data.coordinates:
        if name not in known:
            raise ValueError(
                f"{data.source}: axis {name!r} is not a parameter of the model ({listed}); choose the axes "
                "(a CSV file's coordinate columns)"
            )
    for name in names + tuple(fixed):
        if name not in known:
            raise ValueError(f"unknown parameter {name!r}; the model's parameters: {listed}")
    for name in names:
        if name in data.coordinates:
            raise ValueError(f"parameter {name!r} is an axis of the data; it cannot also be fitted")
        if name in fixed:
            raise ValueError(f"parameter {name!r} is both fitted and fixed")
    for name in fixed:
        if name in data.coordinates:
            raise ValueError(f"parameter {name!r} is an axis of the data; it cannot also be fixed")
    if target == "didv" and bias not in known:
        raise ValueError(f"bias: {bias!r} is not a parameter of the model; name the bias parameter of dI/dV")
    points = int(np.count_nonzero(np.isfinite(data.values)))
    if points <= len(names):
        raise ValueError(
            f"{data.source}: {points} finite data point(s) for {len(names)} parameter(s); a fit needs more points"
        )
    return names


def _bounds(names, bounds: Mapping[str, tuple[float, float]], x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unknown = sorted(set(bounds) - set(names))
    if unknown:
        raise ValueError(f"bounds: {', '.join(unknown)} not among the fitted parameters ({', '.join(names)})")
    low = np.array([float(bounds.get(n, (-math.inf, math.inf))[0]) for n in names])
    high = np.array([float(bounds.get(n, (-math.inf, math.inf))[1]) for n in names])
    for n, lo, hi, x in zip(names, low, high, x0):
        if not lo < hi:
            raise ValueError(f"bounds: {n}: the lower bound {lo:g} must be below the upper bound {hi:g}")
        if not lo < x < hi:
            raise ValueError(f"bounds: {n}: the start {x:g} must lie strictly between {lo:g} and {hi:g}")
    return low, high


def _covariance(jacobian: np.ndarray, residual: np.ndarray, m: int, n: int) -> np.ndarray:
    """``s^2 (J^T J)^-1`` by SVD; infinite where ``J`` is rank-deficient."""
    _, singular, vt = np.linalg.svd(np.asarray(jacobian), full_matrices=False)
    variance = float(residual @ residual) / (m - n)
    threshold = np.finfo(float).eps * max(m, n) * (singular[0] if singular.size else 0.0)
    if np.any(singular <= threshold):
        return np.full((n, n), np.inf)
    return variance * (vt.T / singular**2) @ vt
