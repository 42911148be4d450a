"""The coherent reference: Lindblad models solved numerically on whole parameter grids.

:class:`CompiledLindblad` compiles a :class:`symbolic_pme.quantum.lindblad.LindbladModel` (its Hamiltonian,
jump operators, rates and hbar, in one CSE kernel) and assembles the Liouvillian for every grid
point at once,

    L = -(i/hbar)(H (x) 1 - 1 (x) H^T) + sum_k r_k (A_k (x) A_k^* - (K_k (x) 1 + 1 (x) K_k^T)/2),

on row-major vec(rho) (K = A^+ A), then solves for steady states (one batched LAPACK solve),
evolves in time (:func:`symbolic_pme.numeric.dynamics.propagate`) and returns eigenvalues.  Results carry the
same labels as the rate-network results (``probabilities``, ``currents[quantity][channel]``), so a
reduction can be checked against its exact Lindblad equation point by point.  Meant for small
systems (the Liouvillian has n^2 rows).  Conventions as in the symbolic model: hbar = 1 unless
it is a parameter; a dephasing rate is the decay rate of the coherence it causes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from symbolic_pme.checks import initial_probabilities
from symbolic_pme.networks.network import NonUniqueSteadyState
from symbolic_pme.quantum.lindblad import LindbladModel

from .dynamics import Evolution, propagate, time_axis
from .inputs import Grid, Parameters, TakesParameters
from .kernel import ExpressionKernel, stack_outputs
from .results import SteadyState
from .solver import NEGATIVE_TOLERANCE

__all__ = ["CompiledLindblad", "LindbladSteadyState", "compile_lindblad"]


@dataclass(frozen=True)
class LindbladSteadyState(SteadyState):
    """A :class:`~symbolic_pme.numeric.results.SteadyState` that also holds the density matrices.

    Attributes
    ----------
    density_matrices : numpy.ndarray or None
        ``shape + (n, n)``, complex; :attr:`probabilities` are their diagonals.  The other
        fields are those of :class:`~symbolic_pme.numeric.results.SteadyState`.
    """

    density_matrices: np.ndarray | None = None


class CompiledLindblad(TakesParameters):
    """A Lindblad model compiled for batched numeric evaluation.

    Conventions as in ``docs/conventions.md``: hbar = 1 unless it is a parameter; a dephasing
    rate is the decay rate of the coherence it causes.

    Parameters
    ----------
    model : LindbladModel
        The model.
    defaults : mapping of str to float, optional
        Values for parameters a call does not set.

    Examples
    --------
    >>> from symbolic_pme.quantum.lindblad import two_level
    >>> compiled = CompiledLindblad(two_level("w", "V", "gamma"), defaults={"w": 0.0})
    >>> compiled.solve(V=0.5, gamma=1.0).probabilities.round(6)
    array([0.5, 0.5])
    >>> bool(abs(compiled.eigenvalues(V=0.5, gamma=1.0)[0]) < 1e-12)  # the steady state's zero first
    True
    """

    def __init__(self, model: LindbladModel, *, defaults: Mapping[str, float] | None = None):
        self.model = model
        self._parameters = Parameters(model.parameters, defaults=defaults)
        symbols = list(self._parameters.symbols.values())
        n = len(model.states)
        expressions = list(model.hamiltonian) + [model.hbar]
        for jump in model.jumps:
            expressions += [jump.rate, *jump.operator]
        self._kernel = ExpressionKernel(expressions, symbols)
        carried = [jump.carries.get(q, 0) for q in model.quantities for jump in model.jumps]
        self._carried = ExpressionKernel(carried, symbols)
        self._n = n

    @property
    def states(self) -> tuple[str, ...]:
        """The model's state labels (the order of rows and columns of the density matrices)."""
        return self.model.states

    # ----------------------------------------------------------------------------- public API
    def liouvillian(self, values: Mapping[str, ArrayLike] | None = None, /, **kwargs: ArrayLike) -> np.ndarray:
        """Liouvillians on the grid, acting on row-major vec(rho).

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values (numbers or broadcasting arrays).
        **kwargs : array_like
            Parameter values by name.

        Returns
        -------
        numpy.ndarray
            ``grid + (n^2, n^2)``, complex; rows and columns as :attr:`LindbladModel.elements`.

        Raises
        ------
        ValueError
            For invalid parameter values, hbar that is not positive, or a negative jump rate.
        """
        return self._liouvillian(self.grid(values, **kwargs))[0]

    def eigenvalues(self, values: Mapping[str, ArrayLike] | None = None, /, **kwargs: ArrayLike) -> np.ndarray:
        """Liouvillian eigenvalues, sorted by decreasing real part.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values (numbers or broadcasting arrays).
        **kwargs : array_like
            Parameter values by name.

        Returns
        -------
        numpy.ndarray
            ``grid + (n^2,)``, complex: the steady state's 0 first, then the slowest relaxation.
        """
        eigenvalues = np.linalg.eigvals(self.liouvillian(values, **kwargs))
        order = np.argsort(-eigenvalues.real, axis=-1, kind="stable")
        return np.take_along_axis(eigenvalues, order, axis=-1)

    def solve(self, values: Mapping[str, ArrayLike] | None = None, /, **kwargs: ArrayLike) -> LindbladSteadyState:
        """Steady state for values given as numbers or broadcasting arrays.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values (numbers or broadcasting arrays).
        **kwargs : array_like
            Parameter values by name.

        Returns
        -------
        LindbladSteadyState
            Density matrices, populations and the currents of every channel, positive into the
            system.

        Raises
        ------
        NonUniqueSteadyState
            Where the Liouvillian has several zero modes (e.g. a coupling or rate that is zero).
        FloatingPointError
            Where the solution is not finite or clearly negative.
        """
        return self._steady(self.grid(values, **kwargs))

    def sweep(
        self, axes: Mapping[str, ArrayLike], values: Mapping[str, ArrayLike] | None = None, /, **kwargs: ArrayLike
    ) -> LindbladSteadyState:
        """Steady state on the outer grid of named 1-D axes (first axis = axis 0).

        Parameters
        ----------
        axes : mapping of str to array_like
            Named 1-D sweep axes (at least one).
        values : mapping of str to array_like, optional
            Fixed parameter values (single numbers).
        **kwargs : array_like
            Fixed parameter values by name.

        Returns
        -------
        LindbladSteadyState
            The steady state on the grid, as :meth:`solve`.

        Raises
        ------
        ValueError
            If no axis is given, or for invalid values.
        """
        if not axes:
            raise ValueError("sweep: give at least one axis, e.g. sweep({'gamma': numpy.linspace(0, 1, 101)})")
        return self._steady(self.grid(values, axes, **kwargs))

    def evolve(
        self,
        times: ArrayLike,
        initial: str | Mapping[str, float] | ArrayLike,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        axes: Mapping[str, ArrayLike] | None = None,
        **kwargs: ArrayLike,
    ) -> Evolution:
        """Density matrices, populations and currents against time.

        Parameters
        ----------
        times : array_like
            1-D, finite, non-negative and non-decreasing (time unit = hbar / energy unit).
        initial : str, mapping of str to float or array_like
            A state label, ``{state: probability}`` (a diagonal density matrix), ``n``
            probabilities, or an n x n density matrix (Hermitian, trace one, positive
            semi-definite).
        values : mapping of str to array_like, optional
            Parameter values (numbers or broadcasting arrays).
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes.
        **kwargs : array_like
            Parameter values by name.

        Returns
        -------
        Evolution
            Populations, currents and ``density_matrices`` ``grid + (n_times, n, n)``.

        Raises
        ------
        ValueError
            For an invalid initial state, times or parameter values.
        """
        rho0 = self._initial(initial)
        grid = self.grid(values, axes, **kwargs)
        liouvillian, parts = self._liouvillian(grid)
        n = self._n
        vectors = propagate(liouvillian, rho0.reshape(-1), times)
        rhos = vectors.reshape(vectors.shape[:-1] + (n, n))
        populations = np.real(np.einsum("...ii->...i", rhos))
        currents = self._currents(grid, parts, rhos, time_axis=True)
        return Evolution(self.states, time_axis(times), grid.axes, grid.shape, populations, currents, rhos)

    # ----------------------------------------------------------------------------- internals
    def _liouvillian(self, grid: Grid) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Liouvillians ``grid + (n^2, n^2)`` and, per jump, (rate, K = A^+ A) arrays."""
        n, shape = self._n, grid.shape
        outputs = self._kernel(self._parameters.by_symbol(grid.values))
        hamiltonian = _matrices(outputs[: n * n], shape, n)
        hbar = np.broadcast_to(np.asarray(outputs[n * n], dtype=float), shape)
        if np.any(hbar <= 0):
            raise ValueError("hbar must be positive")
        eye = np.eye(n)
        superop = (
            -1j
            / hbar[..., None, None, None, None]
            * (np.einsum("...ak,bl->...abkl", hamiltonian, eye) - np.einsum("ak,...lb->...abkl", eye, hamiltonian))
        )
        parts = []
        position = n * n + 1
        for k, jump in enumerate(self.model.jumps):
            rate = np.broadcast_to(np.asarray(outputs[position], dtype=float), shape)
            if np.any(rate < 0):
                via = f" [{jump.channel}]" if jump.channel is not None else ""
                raise ValueError(f"rate of jump {k}{via} ({jump.rate}) is negative for these parameters")
            op = _matrices(outputs[position + 1 : position + 1 + n * n], shape, n)
            position += 1 + n * n
            kk = np.einsum("...ma,...mb->...ab", op.conj(), op)
            r = rate[..., None, None, None, None]
            superop = superop + r * (
                np.einsum("...ak,...bl->...abkl", op, op.conj())
                - 0.5 * np.einsum("...ak,bl->...abkl", kk, eye)
                - 0.5 * np.einsum("ak,...lb->...abkl", eye, kk)
            )
            parts.append((rate, kk))
        return superop.reshape(shape + (n * n, n * n)), parts

    def _steady(self, grid: Grid) -> LindbladSteadyState:
        n = self._n
        liouvillian, parts = self._liouvillian(grid)
        system = np.array(liouvillian)
        system[..., 0, :] = np.eye(n).reshape(-1)  # row of rho_00 -> Tr rho = 1
        rhs = np.zeros(n * n, dtype=complex)
        rhs[0] = 1.0
        try:
            solution = np.linalg.solve(system, rhs[:, None])[..., 0]
        except np.linalg.LinAlgError:
            raise NonUniqueSteadyState(
                "the Lindblad steady state is not unique at some grid point (several zero modes of the "
                "Liouvillian, e.g. a coupling or rate that is zero)"
            ) from None
        rhos = solution.reshape(grid.shape + (n, n))
        rhos = 0.5 * (rhos + np.conj(np.swapaxes(rhos, -1, -2)))
        if not np.all(np.isfinite(rhos)):
            raise FloatingPointError("Lindblad steady state not finite at some grid point")
        populations = np.real(np.einsum("...ii->...i", rhos)).copy()
        if np.any(populations < -NEGATIVE_TOLERANCE):
            raise FloatingPointError(f"Lindblad steady state lost accuracy: population {populations.min():.3g}")
        np.maximum(populations, 0.0, out=populations)
        return LindbladSteadyState(
            states=self.states,
            axes=grid.axes,
            shape=grid.shape,
            probabilities=populations,
            currents=self._currents(grid, parts, rhos, time_axis=False),
            parameters=grid.values,
            density_matrices=rhos,
        )

    def _currents(self, grid: Grid, parts, rhos: np.ndarray, time_axis: bool) -> dict[str, dict[str, np.ndarray]]:
        """``sum_{k in channel} q_k r_k Tr(K_k rho)`` for every quantity and channel."""
        jumps = self.model.jumps
        amounts = self._carried(self._parameters.by_symbol(grid.values))
        extra = (None,) if time_axis else ()
        flows = []
        for rate, kk in parts:
            if time_axis:
                flow = np.einsum("...ab,...tba->...t", kk, rhos)
            else:
                flow = np.einsum("...ab,...ba->...", kk, rhos)
            flows.append(np.real(flow) * rate[(...,) + extra])
        currents: dict[str, dict[str, np.ndarray]] = {}
        for q, quantity in enumerate(self.model.quantities):
            currents[quantity] = {}
            for channel in self.model.channels:
                total = np.zeros(flows[0].shape) if flows else np.zeros(grid.shape)
                for k, jump in enumerate(jumps):
                    if jump.channel == channel:
                        amount = np.asarray(amounts[q * len(jumps) + k], dtype=float)
                        total = total + amount[(...,) + extra] * flows[k]
                currents[quantity][channel] = total
        return currents

    def _initial(self, initial) -> np.ndarray:
        n = self._n
        if isinstance(initial, (str, Mapping)):
            return np.diag(initial_probabilities(self.states, initial)).astype(complex)
        rho = np.asarray(initial, dtype=complex)
        if rho.shape == (n,):
            return np.diag(initial_probabilities(self.states, rho.real)).astype(complex)
        if rho.shape != (n, n):
            raise ValueError(f"initial: expected a state label, {n} probabilities or an {n}x{n} density matrix")
        if not np.allclose(rho, rho.conj().T, atol=1e-12):
            raise ValueError("initial: the density matrix is not Hermitian")
        if abs(np.trace(rho) - 1) > 1e-9:
            raise ValueError("initial: the density matrix must have trace 1")
        if np.linalg.eigvalsh(rho).min() < -1e-9:
            raise ValueError("initial: the density matrix is not positive semi-definite")
        return rho


def _matrices(outputs, shape: tuple[int, ...], n: int) -> np.ndarray:
    """Kernel outputs of n*n matrix entries as an array ``shape + (n, n)``."""
    stacked = stack_outputs(outputs)
    return np.broadcast_to(stacked, shape + (n * n,)).reshape(shape + (n, n))


def compile_lindblad(model: LindbladModel, *, defaults: Mapping[str, float] | None = None) -> CompiledLindblad:
    """Compile a Lindblad model for batched steady states, dynamics and spectra.

    Parameters
    ----------
    model : LindbladModel
        The model (Hamiltonian, jump operators, rates and hbar).
    defaults : mapping of str to float, optional
        Values for parameters a call does not set.

    Returns
    -------
    CompiledLindblad
        The compiled model.

    Examples
    --------
    >>> from symbolic_pme.quantum.lindblad import two_level
    >>> compiled = compile_lindblad(two_level(0, "V", "gamma"))
    >>> compiled.parameters
    ('V', 'gamma')
    """
    return CompiledLindblad(model, defaults=defaults)
