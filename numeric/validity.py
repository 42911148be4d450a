"""Does a reduced rate network describe its Lindblad model?  Measured, on parameter grids.

:func:`check_reduction` compares a :class:`~symbolic_pme.networks.network.RateNetwork` (typically from
:func:`~symbolic_pme.quantum.reduction.adiabatic_elimination`) with the exact Lindblad equation it came
from, at every point of a grid, and returns a :class:`ValidityReport`:

* relaxation: the slowest non-zero Liouvillian eigenvalue against the slowest non-zero Pauli
  eigenvalue (for two levels -2W), relative error; a complex slowest Liouvillian eigenvalue
  means the populations oscillate (``oscillating``) -- the rate picture cannot describe that;
* steady state: largest population difference, and the relative error of every current;
* dynamics: largest population difference along the evolution from ``initial`` over
  ``horizon`` slowest relaxation times;
* conditions: ``coupling_ratio`` = max 4|V_ab|^2 / (Delta_ab^2 + hbar^2 Gamma_ab^2) (must be << 1
  for the elimination) and ``secular_ratio`` = hbar * max Gamma_ab / (smallest level spacing of H)
  (must be << 1 for a Pauli equation in the eigenbasis of H).

A point is ``valid`` when nothing oscillates and every measured error is below ``tolerance``;
the conditions are reported alongside as the reasons.  Units: hbar = 1 unless the model has it as
a parameter; rates per unit time; dephasing rates as in docs/conventions.md (decay rate of rho_12).

One convention for every ratio here: a condition ratio is the quantity that must be small over
the one it must be small against, so ``ratio << 1`` means the approximation holds.
:func:`secular_ratio` applies the same ratio to a computed transport steady state: the lifetime
broadening of two eigenstates of one charge (and S_z) block over their spacing,
``(Gamma_b + Gamma_b')/2 / |E_b - E_b'|`` with Gamma_b = -W_bb the total rate out of b (hbar = 1).
Where it is of order one or above, coherences within the block are not negligible and the Pauli
result can deviate from a coherent treatment; how much depends on the model.  For the seed's
triangle (ratio about 1.1, set by the strong substrate coupling) QmeQ's Redfield and Lindblad tip
currents differ from Pauli by 0.1 % and 0.7 % (../shared/reference); for degenerate levels coupled
to the same lead (ratio infinite) the difference can be of order one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from numpy.typing import ArrayLike

from symbolic_pme.checks import initial_probabilities
from symbolic_pme.networks.network import RateNetwork
from symbolic_pme.quantum.lindblad import LindbladModel
from symbolic_pme.quantum.validity import coherence_decay_rates, coupling_conditions

from .dynamics import propagate
from .kernel import ExpressionKernel, stack_outputs
from .lindblad import compile_lindblad
from .network import CompiledNetwork, compile_network
from .results import SteadyState

__all__ = ["SecularCheck", "secular_ratio", "ValidityReport", "check_reduction", "slowest_relaxation"]


@dataclass(frozen=True)
class ValidityReport:
    """Measured agreement of a reduced network with its Lindblad model (arrays of grid shape).

    Every ratio is small where its approximation holds (``docs/conventions.md``).

    Attributes
    ----------
    axes : dict of str to numpy.ndarray
        The sweep axes, as in :class:`~symbolic_pme.numeric.results.SteadyState`.
    shape : tuple of int
        Grid shape (``()`` for one point).
    tolerance : float
        The largest relative error accepted by :attr:`valid`.
    slowest_exact : numpy.ndarray
        Slowest non-zero Liouvillian eigenvalue (complex).
    slowest_pauli : numpy.ndarray
        Slowest non-zero eigenvalue of the Pauli generator (real; for two levels -2W).
    rate_error : numpy.ndarray
        Relative error of ``slowest_pauli`` against ``slowest_exact``.
    oscillating : numpy.ndarray
        True where the slowest Liouvillian eigenvalue is complex beyond the tolerance (the
        populations oscillate; no rate picture describes that).
    steady_state_error : numpy.ndarray
        Largest difference of the steady-state populations.
    current_errors : dict of str to dict of str to numpy.ndarray
        ``current_errors[quantity][channel]``: relative errors of the steady-state currents.
    dynamics_error : numpy.ndarray
        Largest population difference along the evolution from the initial state.
    coupling_ratio : numpy.ndarray
        Largest ``4|V_ab|^2 / (Delta_ab^2 + hbar^2 Gamma_ab^2)`` (``<< 1`` for the elimination).
    secular_ratio : numpy.ndarray
        ``hbar * max Gamma_ab`` over the smallest level spacing of H (``<< 1`` for a Pauli
        equation in the eigenbasis of H).
    """

    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    tolerance: float
    slowest_exact: np.ndarray
    slowest_pauli: np.ndarray
    rate_error: np.ndarray
    oscillating: np.ndarray
    steady_state_error: np.ndarray
    current_errors: dict[str, dict[str, np.ndarray]]
    dynamics_error: np.ndarray
    coupling_ratio: np.ndarray
    secular_ratio: np.ndarray

    @property
    def valid(self) -> np.ndarray:
        """True where nothing oscillates and every measured error is below the tolerance."""
        ok = ~self.oscillating & (self.rate_error < self.tolerance)
        ok &= (self.steady_state_error < self.tolerance) & (self.dynamics_error < self.tolerance)
        for errors in self.current_errors.values():
            for error in errors.values():
                ok &= error < self.tolerance
        return ok

    def __str__(self) -> str:
        if self.shape:
            valid = self.valid
            return (
                f"ValidityReport over {self.shape} points (tolerance {self.tolerance:g}): "
                f"{int(valid.sum())} valid, {int(self.oscillating.sum())} oscillating; "
                f"largest rate error {np.max(self.rate_error):.3g}, dynamics error {np.max(self.dynamics_error):.3g}"
            )
        lines = [
            f"Pauli reduction {'VALID' if self.valid else 'NOT valid'} (tolerance {self.tolerance:g})",
            f"  slowest relaxation: exact {complex(self.slowest_exact):.6g}, Pauli {float(self.slowest_pauli):.6g}, "
            f"relative error {float(self.rate_error):.3g}" + ("  -- populations OSCILLATE" if self.oscillating else ""),
            f"  steady state: largest population error {float(self.steady_state_error):.3g}",
        ]
        for quantity, errors in self.current_errors.items():
            for channel, error in errors.items():
                lines.append(f"  current of {quantity!r} from {channel!r}: relative error {float(error):.3g}")
        lines += [
            f"  dynamics: largest population error {float(self.dynamics_error):.3g}",
            f"  condition 4|V|^2 << Delta^2 + hbar^2 Gamma^2: ratio {float(self.coupling_ratio):.3g}",
            f"  secular condition (eigenbasis) hbar Gamma << level spacing: ratio {float(self.secular_ratio):.3g}",
        ]
        return "\n".join(lines)


def slowest_relaxation(generators: np.ndarray) -> np.ndarray:
    """The slowest non-zero eigenvalue of each generator.

    The eigenvalue of largest real part once the one closest to zero (the steady state) is
    removed.

    Parameters
    ----------
    generators : numpy.ndarray
        Stacked generators ``(..., m, m)`` (Pauli generators or Liouvillians), ``m >= 2``.

    Returns
    -------
    numpy.ndarray
        ``(...)``, complex.

    Examples
    --------
    >>> round(float(slowest_relaxation(np.array([[-2.0, 1.0], [2.0, -1.0]])).real), 6)
    -3.0
    """
    eigenvalues = np.linalg.eigvals(generators)
    steady = np.argmin(np.abs(eigenvalues), axis=-1)
    real = eigenvalues.real.copy()
    np.put_along_axis(real, steady[..., None], -np.inf, axis=-1)
    slowest = np.argmax(real, axis=-1)
    return np.take_along_axis(eigenvalues, slowest[..., None], axis=-1)[..., 0]


def check_reduction(
    model: LindbladModel,
    network: RateNetwork,
    values: Mapping[str, ArrayLike] | None = None,
    /,
    *,
    axes: Mapping[str, ArrayLike] | None = None,
    initial: str | Mapping[str, float] | None = None,
    horizon: float = 3.0,
    points: int = 31,
    tolerance: float = 0.05,
    **kwargs: ArrayLike,
) -> ValidityReport:
    """Compare ``network`` with the exact Lindblad ``model`` at every grid point.

    Parameters
    ----------
    model : LindbladModel
        The exact model.
    network : RateNetwork
        The reduced network, over the same states (typically
        :func:`~symbolic_pme.quantum.reduction.adiabatic_elimination` of ``model``).
    values : mapping of str to array_like, optional
        Parameter values (numbers or broadcasting arrays), as in ``solve``.
    axes : mapping of str to array_like, optional
        Named 1-D sweep axes, as in ``sweep``.
    initial : str or mapping of str to float, optional
        Starting state of the dynamics check (default: the first state).
    horizon : float, optional
        How long the dynamics are followed, in slowest Pauli relaxation times (default 3).
    points : int, optional
        Number of times at which the dynamics are compared (default 31).
    tolerance : float, optional
        The largest relative error a valid point may have (default 0.05); positive.
    **kwargs : array_like
        Parameter values by name.

    Returns
    -------
    ValidityReport
        The measured errors and the conditions, each of the grid's shape.

    Raises
    ------
    ValueError
        If the network's states differ from the model's, it has parameters the model lacks, the
        tolerance is not positive, or for invalid parameter values.

    Examples
    --------
    >>> from symbolic_pme.quantum.lindblad import two_level
    >>> from symbolic_pme.quantum.reduction import adiabatic_elimination
    >>> model = two_level(0, "V", "gamma")
    >>> report = check_reduction(model, adiabatic_elimination(model), V=0.1, gamma=10.0)
    >>> bool(report.valid), bool(report.oscillating), round(float(report.coupling_ratio), 6)
    (True, False, 0.0004)
    >>> bool(check_reduction(model, adiabatic_elimination(model), V=1.0, gamma=1.0).oscillating)
    True
    """
    if tuple(network.states) != tuple(model.states):
        raise ValueError(f"network: states {network.states} differ from the model's {model.states}")
    if not tolerance > 0:
        raise ValueError(f"tolerance: must be positive, got {tolerance!r}")
    lindblad = compile_lindblad(model)
    pauli = compile_network(network)
    extra = sorted(set(pauli.parameters) - set(lindblad.parameters))
    if extra:
        raise ValueError(f"network: parameters {extra} are not parameters of the model")
    grid = lindblad.grid(values, axes, **kwargs)
    model_values = grid.values
    network_values = {name: grid.values[name] for name in pauli.parameters}

    liouvillian = np.broadcast_to(lindblad.liouvillian(model_values), grid.shape + (len(model.states) ** 2,) * 2)
    generator = np.broadcast_to(pauli.generator(network_values), grid.shape + (len(model.states),) * 2)
    slowest_exact = slowest_relaxation(liouvillian)
    slowest_pauli = slowest_relaxation(generator).real
    scale = np.abs(slowest_pauli)
    rate_error = np.abs(slowest_exact - slowest_pauli) / np.where(scale > 0, scale, 1.0)
    oscillating = np.abs(slowest_exact.imag) > tolerance * np.abs(slowest_exact.real)

    exact, reduced = lindblad.solve(model_values), pauli.solve(network_values)
    steady_state_error = np.max(np.abs(exact.probabilities - reduced.probabilities), axis=-1)
    current_errors: dict[str, dict[str, np.ndarray]] = {}
    for quantity, by_channel in exact.currents.items():
        current_errors[quantity] = {}
        for channel, current in by_channel.items():
            other = reduced.currents.get(quantity, {}).get(channel, np.zeros(grid.shape))
            size = np.maximum(np.abs(current), np.finfo(float).tiny)
            current_errors[quantity][channel] = np.broadcast_to(np.abs(current - other) / size, grid.shape)

    time_unit = np.where(scale > 0, scale, 1.0)[..., None, None]
    p0 = initial_probabilities(model.states, model.states[0] if initial is None else initial)
    rho0 = np.diag(p0).astype(complex).reshape(-1)
    times = np.linspace(0.0, horizon, points)
    n = len(model.states)
    rhos = propagate(liouvillian / time_unit, rho0, times).reshape(grid.shape + (points, n, n))
    exact_populations = np.real(np.einsum("...ii->...i", rhos))
    pauli_populations = propagate(generator / time_unit, p0, times)
    dynamics_error = np.max(np.abs(exact_populations - pauli_populations), axis=(-2, -1))

    coupling_ratio, secular_ratio = _conditions(model, lindblad.parameters, grid)
    return ValidityReport(
        axes=grid.axes,
        shape=grid.shape,
        tolerance=tolerance,
        slowest_exact=slowest_exact,
        slowest_pauli=slowest_pauli,
        rate_error=rate_error,
        oscillating=oscillating,
        steady_state_error=steady_state_error,
        current_errors=current_errors,
        dynamics_error=dynamics_error,
        coupling_ratio=coupling_ratio,
        secular_ratio=secular_ratio,
    )


def _conditions(model: LindbladModel, parameters, grid) -> tuple[np.ndarray, np.ndarray]:
    """Largest coupling ratio, and hbar * max coherence decay rate / smallest level spacing."""
    symbols = sorted(model.parameters, key=lambda s: s.name)
    values = {s: grid.values[s.name] for s in symbols}
    ratios = list(coupling_conditions(model).values())
    coupling = np.zeros(grid.shape)
    if ratios:
        largest = np.max(stack_outputs(ExpressionKernel(ratios, symbols)(values)), axis=-1)
        coupling = np.broadcast_to(largest, grid.shape)
    n = len(model.states)
    decay = list(coherence_decay_rates(model).values())
    outputs = ExpressionKernel(list(model.hamiltonian) + [model.hbar] + decay, symbols)(values)
    hamiltonian = np.broadcast_to(stack_outputs(outputs[: n * n]), grid.shape + (n * n,)).reshape(grid.shape + (n, n))
    hbar = np.broadcast_to(np.asarray(outputs[n * n], dtype=float), grid.shape)
    broadening = hbar * np.max(stack_outputs(outputs[n * n + 1 :]), axis=-1) if decay else np.zeros(grid.shape)
    if n < 2:
        return coupling, np.zeros(grid.shape)
    levels = np.linalg.eigvalsh(hamiltonian)
    spacing = np.min(np.diff(levels, axis=-1), axis=-1)
    with np.errstate(divide="ignore"):
        secular = np.where(spacing > 0, broadening / np.where(spacing > 0, spacing, 1.0), np.inf)
    return coupling, np.broadcast_to(secular, grid.shape)


@dataclass(frozen=True)
class SecularCheck:
    """Largest broadening-to-spacing ratio over all pairs of states in one block.

    Attributes
    ----------
    ratio : numpy.ndarray
        Array of the result's grid shape: ``max ((Gamma_b + Gamma_b')/2) / |E_b - E_b'|``
        (``<< 1`` where the Pauli equation holds); 0 where no block holds two states, ``inf``
        for two degenerate states with a non-zero broadening.
    worst : tuple of str or None
        The pair of state labels attaining the largest ratio over the whole grid (None if none).
    """

    ratio: np.ndarray
    worst: tuple[str, str] | None

    def valid(self, *, threshold: float = 0.1) -> np.ndarray:
        """Where the secular condition holds.

        Parameters
        ----------
        threshold : float, optional
            The largest ratio accepted (default 0.1: broadening a tenth of the spacing).

        Returns
        -------
        numpy.ndarray
            Booleans of the grid's shape: True where the ratio is at most ``threshold``.
        """
        return self.ratio <= threshold


def secular_ratio(solver: CompiledNetwork, result: SteadyState) -> SecularCheck:
    """Check the secular condition of a steady state computed by ``solver``.

    Blocks are the sets of states with equal ``charge`` (and ``spin``, when the states carry it)
    among the result's state values; energies are the state value ``energy``.  The ratio is
    lifetime broadening over level spacing, small where the Pauli equation holds
    (``docs/conventions.md``).

    Parameters
    ----------
    solver : CompiledNetwork
        The compiled transport model that computed ``result`` (its escape rates give the
        broadening).
    result : SteadyState
        A steady state of ``solver`` with the state values ``energy`` and ``charge``.

    Returns
    -------
    SecularCheck
        The largest ratio at each grid point and the pair of states attaining the largest.

    Raises
    ------
    ValueError
        If the result lacks the state value ``energy`` or ``charge`` (it is not a transport
        model's).
    """
    for needed in ("energy", "charge"):
        if needed not in result.state_values:
            raise ValueError(f"secular_ratio needs the state value {needed!r} (a transport model provides it)")
    keys = [
        result.state_values[name].reshape(-1, len(result.states))[0]
        for name in ("charge", "spin")
        if name in result.state_values
    ]
    blocks: dict[tuple, list[int]] = {}
    for k in range(len(result.states)):
        blocks.setdefault(tuple(float(key[k]) for key in keys), []).append(k)
    pairs = [pair for members in blocks.values() for pair in combinations(members, 2)]
    if not pairs:
        return SecularCheck(np.zeros(result.shape), None)
    broadening = solver.escape_rates(result.parameters)
    energies = np.broadcast_to(result.energies, broadening.shape)
    spacing = np.stack([np.abs(energies[..., b] - energies[..., c]) for b, c in pairs], axis=-1)
    width = np.stack([(broadening[..., b] + broadening[..., c]) / 2 for b, c in pairs], axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):  # zero width: no broadening, no limit
        ratios = np.where(width > 0, width / spacing, 0.0)
    worst_pair = pairs[int(np.unravel_index(np.argmax(ratios), ratios.shape)[-1])]
    return SecularCheck(ratios.max(axis=-1), (result.states[worst_pair[0]], result.states[worst_pair[1]]))
