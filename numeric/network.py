"""Compiled rate networks: rates, generator, steady state and currents on whole parameter grids.

:class:`CompiledNetwork` turns a :class:`symbolic_pme.network.RateNetwork` into one vectorized
kernel.  A solve runs, with no Python loop over grid points:

1. placeholder stage (optional): batched diagonalization of mixed Hamiltonian blocks, only along
   the axes of the parameters those blocks contain (a bias sweep never re-diagonalizes);
2. one CSE-compiled function for every rate, carried quantity and state value;
3. generator assembly by scatter, then one batched LAPACK solve (:func:`numeric.solver.steady_state`);
4. currents of every carried quantity per channel, and per-state values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import sympy

from symbolic_pme.expressions import to_expr
from symbolic_pme.network import RateNetwork
from symbolic_pme.spectrum import Spectrum

from .expressions import ExpressionKernel, stack_outputs
from .inputs import Grid, arrange
from .results import SteadyState
from .solver import steady_state
from .spectrum import NumericSpectrum

__all__ = ["CompiledNetwork", "compile_network"]

Check = tuple[sympy.Expr, str]


class CompiledNetwork:
    """A :class:`RateNetwork` compiled for batched numeric evaluation.

    Parameters
    ----------
    network:
        The network; its steady state must be unique (checked structurally here, and numerically
        at every grid point when solving).
    spectrum:
        Supplies the placeholder symbols (numeric eigenstates) the rates contain, if any.
    nonnegative:
        ``(expression, description)`` pairs that must not be negative (e.g. lead temperatures);
        a solve that violates one raises ValueError naming it.
    defaults:
        Values for parameters a solve does not set.
    """

    def __init__(
        self,
        network: RateNetwork,
        spectrum: Spectrum | None = None,
        nonnegative: Sequence[Check] = (),
        defaults: Mapping[str, float] | None = None,
    ):
        network.require_unique_steady_state()
        self.network = network
        placeholders = set(spectrum.placeholders) if spectrum is not None else set()
        free = set(network.parameters) | set().union(set(), *(e.free_symbols for e, _ in nonnegative))
        if spectrum is not None:
            free |= spectrum.parameters
        symbols = sorted(free - placeholders, key=lambda s: s.name)
        names = [s.name for s in symbols]
        clashes = sorted({n for n in names if names.count(n) > 1})
        if clashes:
            raise ValueError(f"two different symbols share the name(s) {clashes}; rename one")
        self._symbols: dict[str, sympy.Symbol] = dict(zip(names, symbols))
        #: Parameter names, sorted.
        self.parameters: tuple[str, ...] = tuple(names)
        self.defaults: dict[str, float] = {}
        for name, value in (defaults or {}).items():
            if name not in self._symbols:
                raise ValueError(f"default for unknown parameter {name!r}; parameters: {', '.join(names)}")
            self.defaults[name] = value
        self._spectrum = NumericSpectrum(spectrum, symbols) if placeholders else None
        self._checks = [(ExpressionKernel([expr], symbols), expr, what) for expr, what in nonnegative]
        self._build_kernel(symbols + sorted(placeholders, key=lambda s: s.name))
        self._build_structure()

    # ----------------------------------------------------------------------------- construction
    def _build_kernel(self, arguments: list[sympy.Symbol]) -> None:
        network = self.network
        transitions = network.transitions
        expressions = [t.rate for t in transitions]
        self._quantity_slices: dict[str, slice] = {}
        for quantity in network.quantities:
            start = len(expressions)
            expressions += [t.carries.get(quantity, sympy.S.Zero) for t in transitions]
            self._quantity_slices[quantity] = slice(start, len(expressions))
        self._value_slices: dict[str, slice] = {}
        for name, values in network.state_values.items():
            start = len(expressions)
            expressions += list(values)
            self._value_slices[name] = slice(start, len(expressions))
        self._kernel = ExpressionKernel(expressions, arguments)

    def _build_structure(self) -> None:
        network = self.network
        n = len(network.states)
        transitions = network.transitions
        self._source = np.array([network.index(t.source) for t in transitions], dtype=np.intp)
        target = np.array([network.index(t.target) for t in transitions], dtype=np.intp)
        flat = target * n + self._source
        self._order = np.argsort(flat, kind="stable")
        sorted_flat = flat[self._order]
        first = np.ones(len(sorted_flat), dtype=bool)
        first[1:] = sorted_flat[1:] != sorted_flat[:-1]
        self._pair_starts = np.flatnonzero(first)
        self._pair_flat = sorted_flat[self._pair_starts]
        channels = network.channels
        self._channel_matrix = np.zeros((len(transitions), len(channels)))
        for k, t in enumerate(transitions):
            if t.channel is not None:
                self._channel_matrix[k, channels.index(t.channel)] = 1.0

    # ----------------------------------------------------------------------------- public API
    @property
    def states(self) -> tuple[str, ...]:
        return self.network.states

    def solve(self, values: Mapping[str, object] | None = None, /, **kwargs) -> SteadyState:
        """Steady state for parameter values given as numbers or broadcasting arrays.

        ``solve(V=0.3)``, ``solve({"V": biases[:, None], "eps": gates[None, :]})``.
        """
        return self._evaluate(arrange(self.parameters, self.defaults, _merge(values, kwargs)))

    def sweep(self, axes: Mapping[str, object], values: Mapping[str, object] | None = None, /, **kwargs) -> SteadyState:
        """Steady state on the outer grid of named 1-D axes (first axis = axis 0).

        ``sweep({"V": np.linspace(-1, 1, 201)}, T=0.1)``; fixed values must be numbers.
        """
        if not axes:
            raise ValueError("sweep: give at least one axis, e.g. sweep({'V': numpy.linspace(-1, 1, 101)})")
        return self._evaluate(arrange(self.parameters, self.defaults, _merge(values, kwargs), axes))

    def rates(self, values: Mapping[str, object] | None = None, /, **kwargs) -> np.ndarray:
        """Rates of :attr:`network.transitions <RateNetwork.transitions>`, shape ``grid + (n_transitions,)``."""
        grid = arrange(self.parameters, self.defaults, _merge(values, kwargs))
        return self._rates(self._outputs(grid), grid.shape)

    def generator(self, values: Mapping[str, object] | None = None, /, **kwargs) -> np.ndarray:
        """Generator matrices W (dP/dt = W P), shape ``grid + (n, n)``."""
        return self._generator(self.rates(values, **kwargs))

    # ----------------------------------------------------------------------------- evaluation
    def _outputs(self, grid: Grid) -> list:
        values: dict[sympy.Symbol, np.ndarray] = {self._symbols[n]: a for n, a in grid.values.items()}
        for kernel, expr, what in self._checks:
            (result,) = kernel(values)
            result = np.asarray(result)
            if np.any(result < 0):
                raise ValueError(f"{what} is negative ({expr} = {float(result.min()):.6g}); it must be >= 0")
        if self._spectrum is not None:
            values.update(self._spectrum.evaluate(values))
        return self._kernel(values)

    def _rates(self, outputs: list, shape: tuple[int, ...]) -> np.ndarray:
        transitions = self.network.transitions
        rates = np.empty(shape + (len(transitions),))
        for k in range(len(transitions)):
            rates[..., k] = outputs[k]
        if not np.all(np.isfinite(rates)) or np.any(rates < 0):
            bad = ~np.isfinite(rates) | (rates < 0)
            k = int(np.argmax(bad.reshape(-1, len(transitions)).any(axis=0)))
            raise ValueError(f"rate {transitions[k].source} -> {transitions[k].target} is negative or not finite here")
        return rates

    def _generator(self, rates: np.ndarray) -> np.ndarray:
        n = len(self.network.states)
        shape = rates.shape[:-1]
        w = np.zeros(shape + (n * n,))
        if rates.shape[-1]:
            w[..., self._pair_flat] = np.add.reduceat(rates[..., self._order], self._pair_starts, axis=-1)
        w = w.reshape(shape + (n, n))
        diagonal = np.arange(n)
        w[..., diagonal, diagonal] = -w.sum(axis=-2)
        return w

    def _evaluate(self, grid: Grid) -> SteadyState:
        outputs = self._outputs(grid)
        rates = self._rates(outputs, grid.shape)
        probabilities = steady_state(self._generator(rates), overwrite=True)
        flux = rates * probabilities[..., self._source]
        channels = self.network.channels
        currents = {}
        for quantity, part in self._quantity_slices.items():
            carried = stack_outputs(outputs[part])
            totals = (flux * carried) @ self._channel_matrix
            currents[quantity] = {c: totals[..., k] for k, c in enumerate(channels)}
        state_values = {
            name: np.broadcast_to(stack_outputs(outputs[part]), grid.shape + (len(self.network.states),))
            for name, part in self._value_slices.items()
        }
        return SteadyState(
            states=self.network.states,
            axes=grid.axes,
            shape=grid.shape,
            probabilities=probabilities,
            currents=currents,
            state_values=state_values,
            parameters=grid.values,
        )


def _merge(values: Mapping[str, object] | None, kwargs: Mapping[str, object]) -> dict[str, object]:
    merged = {str(k): v for k, v in (values or {}).items()}
    for name in kwargs:
        if name in merged:
            raise ValueError(f"parameter {name!r} is given twice")
    merged.update(kwargs)
    return merged


def compile_network(
    network: RateNetwork,
    defaults: Mapping[str, float] | None = None,
    nonnegative: Sequence[tuple[object, str]] = (),
) -> CompiledNetwork:
    """Compile a plain :class:`RateNetwork` (no placeholders) for batched solves."""
    checks = [(to_expr(expr, what), what) for expr, what in nonnegative]
    return CompiledNetwork(network, nonnegative=checks, defaults=defaults)
