"""Compiled rate networks: rates, generator, steady state and currents on whole parameter grids.

:class:`CompiledNetwork` turns a :class:`symbolic_pme.networks.network.RateNetwork` into vectorized
kernels.  A solve runs, with no Python loop over grid points:

1. placeholder stage (optional): batched diagonalization of mixed Hamiltonian blocks, only along
   the axes of the parameters those blocks contain (a bias sweep never re-diagonalizes);
2. one CSE-compiled function for every rate and carried quantity;
3. the steady state: for small networks by GTH state reduction vectorized across the grid
   (subtraction-free), otherwise the generator as one small dense product of an incidence matrix
   with the rates and one batched LAPACK solve (:mod:`symbolic_pme.numeric.solver`);
4. currents: for a quantity that is the change of a state function (charge, energy, heat; see
   :meth:`RateNetwork.state_function`) from the net probability flow into each state, otherwise
   from the flow through each transition.

Open networks (sources and sinks) are solved through their closed embedding with the same
kernel; time evolution (:meth:`CompiledNetwork.evolve`) and trapping yields
(:meth:`CompiledNetwork.first_passage`) are methods too, and :meth:`CompiledNetwork.steady_state`
chooses the steady-state method (``"auto"``, ``"gth"``, ``"levels"``, ``"lu"``).

Per-transition arrays have the transition axis first.  Large grids are processed in chunks of
bounded size whose work arrays are reused between chunks and calls (bounded memory, no
page-fault churn from fresh multi-megabyte temporaries; see :mod:`symbolic_pme.numeric.chunks`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import nullcontext
from functools import cached_property

import numpy as np
import sympy
from numpy.typing import ArrayLike

from symbolic_pme.checks import initial_probabilities
from symbolic_pme.networks.network import NonUniqueSteadyState, RateNetwork
from symbolic_pme.parsing import to_expr
from symbolic_pme.quantities import CHARGE
from symbolic_pme.transport.spectrum import Spectrum

from .analysis import Analysis, analyse, thermoelectric
from .blocks import TransportBlocks
from .chunks import (
    SteadyStateAssembly,
    Workspace,
    located,
    state_function_currents,
    transition_major,
    with_trailing_axis,
)
from .coherent_steady import coherent_steady_state
from .distributed import Recipe, compiled, solve_chunks
from .dynamics import Evolution, propagate, time_axis
from .first_passage import Trapping
from .inputs import Grid, Parameters, TakesParameters, row_chunks
from .kernel import ExpressionKernel, stack_outputs
from .memory import MemoryEstimate
from .response import Derivatives, Thermoelectric
from .results import SteadyState
from .solver import GTH_MAX_STATES, solve_normalized, steady_state_gth
from .spectrum import NumericSpectrum
from .statistics import CountingStatistics
from .threads import blas_threads_for

__all__ = ["CompiledNetwork", "compile_network"]

Check = tuple[sympy.Expr, str]

#: The steady-state methods of :meth:`CompiledNetwork.steady_state`.
METHODS = ("auto", "gth", "levels", "lu")

#: The outside's share of an open network's embedded steady state below which the open
#: populations are reported as unbounded (a sink or transition rate vanishes at that grid point).
MIN_OUTSIDE_SHARE = 1e-13


class CompiledNetwork(TakesParameters):
    """A :class:`RateNetwork`, closed or open, compiled for batched numeric evaluation.

    An open network (``dP/dt = W P + s``: sources inject population per unit time, sinks remove
    it with a probability per unit time) is compiled through its closed embedding
    (:meth:`RateNetwork.with_environment`: an extra *outside* state that the sinks lead to and
    the sources leave from).  The embedding's steady state ``pi`` gives the open populations
    ``P_i = pi_i / pi_outside``, and every current scales the same way, so open and closed
    networks share one kernel, one solver and one current evaluator at the cost of one extra
    state.  Results of an open network hold populations (not normalized) and the currents of
    every channel, including ``currents["population"][sink_channel]`` = minus the rate at which
    that sink removes population.

    Units and signs as in ``docs/conventions.md`` (hbar = e = k_B = 1; currents positive from
    the channel into the system).

    Parameters
    ----------
    network : RateNetwork
        The network; its steady state must be unique (checked structurally here, and numerically
        at every grid point when solving).
    spectrum : Spectrum, optional
        Supplies the placeholder symbols (numeric eigenstates) the rates contain, if any.
    nonnegative : sequence of (sympy.Expr, str), optional
        ``(expression, description)`` pairs that must not be negative (e.g. lead temperatures);
        a solve that violates one raises ValueError naming it.
    defaults : mapping of str to float, optional
        Values for parameters a solve does not set.

    Examples
    --------
    >>> from symbolic_pme.networks.network import RateNetwork
    >>> net = RateNetwork.from_rates({("a", "b"): 2, ("b", "a"): 1})
    >>> CompiledNetwork(net).steady_state(method="lu").probabilities.round(6)
    array([0.333333, 0.666667])
    """

    def __init__(
        self,
        network: RateNetwork,
        *,
        spectrum: Spectrum | None = None,
        nonnegative: Sequence[Check] = (),
        defaults: Mapping[str, float] | None = None,
    ):
        self._closed: CompiledNetwork | None = None
        #: what the network was compiled from: what a pickle carries (:meth:`__reduce__`)
        options = {"spectrum": spectrum, "nonnegative": tuple(nonnegative), "defaults": defaults}
        self._arguments = (network, options)
        if network.is_open:
            network.require_unique_steady_state()
            self.network = network
            self._closed = CompiledNetwork(
                network.with_environment(), spectrum=spectrum, nonnegative=nonnegative, defaults=defaults
            )
            self._parameters = self._closed._parameters
            return
        network.require_unique_steady_state()
        if network.groups and network.scalar_transitions:
            network = network.expanded()  # one kind of rates per kernel: the scalar path serves both
        self.network = network
        if network.groups:
            spectrum = network.groups[0].spectrum
        free = set(network.parameters) | set().union(set(), *(e.free_symbols for e, _ in nonnegative))
        if spectrum is not None:
            free |= spectrum.parameters
        self._workspace = Workspace()
        self._state_value_views: tuple | None = None  # see broadcast_state_values
        if network.groups:
            self._parameters = Parameters(free, defaults=defaults)
            symbols = list(self._parameters.symbols.values())
            self._checks = [(ExpressionKernel([expr], symbols), expr, what) for expr, what in nonnegative]
            self._blocks: TransportBlocks | None = TransportBlocks(network.groups, symbols)
            self._spectrum = None
            return
        self._blocks = None
        placeholders = set(spectrum.placeholders) if spectrum is not None else set()
        self._parameters = Parameters(free - placeholders, defaults=defaults)
        symbols = list(self._parameters.symbols.values())
        self._spectrum = NumericSpectrum(spectrum, symbols) if placeholders else None
        self._checks = [(ExpressionKernel([expr], symbols), expr, what) for expr, what in nonnegative]
        self._build_kernels(symbols + sorted(placeholders, key=lambda s: s.name))
        self._build_structure()

    # ----------------------------------------------------------------------------- construction
    def _build_kernels(self, arguments: list[sympy.Symbol]) -> None:
        network = self.network
        transitions, channels, states = network.transitions, network.channels, network.states
        expressions = [t.rate for t in transitions]
        #: quantity -> (slice of kernel outputs, True if they are state-function values per
        #: (channel, state), False if carried amounts per transition)
        self._quantities: dict[str, tuple[slice, bool]] = {}
        for quantity in network.quantities:
            start = len(expressions)
            functions = [network.state_function(quantity, c) for c in channels]
            by_state = all(f is not None for f in functions)
            if by_state:
                expressions += [f[s] for f in functions for s in states]
            else:
                expressions += [t.carries.get(quantity, sympy.S.Zero) for t in transitions]
            self._quantities[quantity] = (slice(start, len(expressions)), by_state)
        self._kernel = ExpressionKernel(expressions, arguments)
        names = list(network.state_values)
        self._value_names = names
        self._value_kernel = ExpressionKernel([v for n in names for v in network.state_values[n]], arguments)
        # rates SymPy cannot prove non-negative and finite (in the form they are compiled in)
        # are checked at every solve
        compiled = self._kernel.compiled_expressions
        self._unproven = np.array(
            [k for k in range(len(transitions)) if not (compiled[k].is_nonnegative and compiled[k].is_finite)],
            dtype=np.intp,
        )

    def _build_structure(self) -> None:
        """Incidence matrices over the transition axis.

        ``_incidence_t`` (T, n*n): the flattened generators ``(batch, n*n)`` are ``rates.T @
        incidence_t`` (+1 at W[target, source], -1 at W[source, source]); for a few dozen
        transitions a small GEMM is several times faster than a scatter or ``reduceat``.
        ``_transfer`` (n*n, T): the off-diagonal part, laid out ``(n*n, batch)`` for GTH.
        ``_channel_matrix`` (C, T) sums transitions per channel; ``_netflow_matrix`` (C*n, T) gives each channel's net
        probability flow into each state.
        """
        network = self.network
        n, transitions, channels = len(network.states), network.transitions, network.channels
        self._source = np.array([network.index(t.source) for t in transitions], dtype=np.intp)
        target = np.array([network.index(t.target) for t in transitions], dtype=np.intp)
        k = np.arange(len(transitions))
        incidence = np.zeros((n * n, len(transitions)))
        np.add.at(incidence, (target * n + self._source, k), 1.0)
        self._transfer = incidence.copy()  # off-diagonal part only: what GTH reads
        np.add.at(incidence, (self._source * (n + 1), k), -1.0)
        self._incidence_t = np.ascontiguousarray(incidence.T)
        self._channel_matrix = np.zeros((len(channels), len(transitions)))
        self._netflow_matrix = np.zeros((len(channels) * n, len(transitions)))
        for j, t in enumerate(transitions):
            if t.channel is not None:
                c = channels.index(t.channel)
                self._channel_matrix[c, j] = 1.0
                self._netflow_matrix[c * n + target[j], j] += 1.0
                self._netflow_matrix[c * n + self._source[j], j] -= 1.0

    # ----------------------------------------------------------------------------- public API
    @property
    def blocks(self) -> TransportBlocks | None:
        """The rate groups evaluated as matrices: a closed transport model's; None for networks of
        scalar transitions and for open networks."""
        return self._blocks if self._closed is None else None

    @property
    def states(self) -> tuple[str, ...]:
        """The network's state labels (the last axis of probabilities and per-state arrays)."""
        return self.network.states

    def __reduce__(self) -> tuple:
        """Pickle as the network and options it was compiled from (lambdified kernels do not pickle).

        Unpickling compiles them once per process and thread
        (:func:`~symbolic_pme.numeric.distributed.compiled`): what process pools and clusters
        receive.
        """
        return compiled, (self._recipe,)

    @cached_property
    def _recipe(self) -> Recipe:
        """The pickled arguments of this compiled network, for workers."""
        return Recipe.of(*self._arguments)

    def steady_state(
        self,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        method: str = "auto",
        executor: Executor | None = None,
        approach: str = "pauli",
        principal_parts: bool = False,
        **parameters: ArrayLike,
    ) -> SteadyState:
        """Steady state (populations of an open network) for parameter values.

        One entry point for every master equation of a transport model: ``approach="pauli"``
        (the rate network; the default) or a first-order coherent approach, ``"lindblad"``,
        ``"redfield"`` or ``"1vn"`` (QmeQ's kernels of those names; the density matrix keeps
        the coherences between eigenstates of equal charge and S_z, see
        :mod:`~symbolic_pme.numeric.coherent`).  The coherent approaches share the compiled
        model's eigensystems and tunnelling amplitudes and return a
        :class:`~symbolic_pme.numeric.coherent_steady.CoherentSteadyState`: the same fields,
        populations in the eigenbasis as probabilities, plus the density-matrix blocks.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays, e.g.
            ``{"V": biases[:, None], "eps": gates[None, :]}``; keywords add more.
        method : {"auto", "gth", "levels", "lu"}, optional
            ``"auto"`` (GTH state reduction for small networks, otherwise the batched LU solve,
            or block elimination down the charge chain for rate groups), ``"gth"`` (GTH state
            reduction at every size; points it cannot reduce go to the LU solve), ``"levels"``
            (block elimination; rate-group networks only) or ``"lu"`` (the batched dense LU
            solve).  The coherent approaches have one method (``"auto"``).
        approach : {"pauli", "lindblad", "redfield", "1vn"}, optional
            The master equation (default ``"pauli"``).
        principal_parts : bool, optional
            Redfield and 1vN: include the principal-value integrals over the lead bands
            (QmeQ's ``itype = 0``; every lead needs a band).  Default False: neglected
            (``itype = 2``).
        executor : concurrent.futures.Executor, optional
            Solve the grid in chunks on it (a ``ProcessPoolExecutor``, a Dask client's
            ``get_executor()``, ...): the serial solve's chunks, each solved by a worker and
            assembled in order, so the result is bitwise the serial one
            (:mod:`~symbolic_pme.numeric.distributed`).  Default: here, serially.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        SteadyState
            Probabilities, currents and state values on the grid (a
            :class:`~symbolic_pme.numeric.coherent_steady.CoherentSteadyState` for a coherent
            approach).

        Raises
        ------
        ValueError
            For an unknown method or approach, a coherent approach on a network that is not a
            transport model, invalid parameter values, or a rate or checked expression that is
            negative.
        GridTooLarge
            If a coherent kernel (dense within each charge sector) would not fit in memory.
        NonUniqueSteadyState
            Where the rates split the network into disconnected closed classes (or an open
            network's populations are unbounded).

        Examples
        --------
        >>> from symbolic_pme.networks.network import RateNetwork
        >>> net = RateNetwork.from_rates({("a", "b"): 2, ("b", "a"): 1})
        >>> round(float(CompiledNetwork(net).steady_state(method="gth").probability("a")), 6)
        0.333333
        """
        _check_method(method)
        return self.evaluate(
            self.grid(values, **parameters),
            executor=executor,
            method=method,
            approach=approach,
            principal_parts=principal_parts,
        )

    def solve(self, values: Mapping[str, ArrayLike] | None = None, /, **parameters: ArrayLike) -> SteadyState:
        """Steady state for parameter values: :meth:`steady_state` with the default method.

        ``solve(V=0.3)``, ``solve({"V": biases[:, None], "eps": gates[None, :]})``.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        SteadyState
            Probabilities, currents and state values on the grid.
        """
        return self.steady_state(values, **parameters)

    def sweep(
        self,
        axes: Mapping[str, ArrayLike],
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        method: str = "auto",
        executor: Executor | None = None,
        approach: str = "pauli",
        principal_parts: bool = False,
        **parameters: ArrayLike,
    ) -> SteadyState:
        """Steady state on the outer grid of named 1-D axes (first axis = axis 0).

        ``sweep({"V": np.linspace(-1, 1, 201)}, T=0.1)``.

        Parameters
        ----------
        axes : mapping of str to array_like
            Named non-empty 1-D sweep axes (at least one).
        values : mapping of str to array_like, optional
            Fixed parameter values; they must be numbers.
        method : {"auto", "gth", "levels", "lu"}, optional
            As in :meth:`steady_state`.
        approach : {"pauli", "lindblad", "redfield", "1vn"}, optional
            As in :meth:`steady_state`.
        principal_parts : bool, optional
            As in :meth:`steady_state`.
        executor : concurrent.futures.Executor, optional
            Solve the grid in chunks on it (a ``ProcessPoolExecutor``, a Dask client's
            ``get_executor()``, ...): the serial solve's chunks, each solved by a worker and
            assembled in order, so the result is bitwise the serial one
            (:mod:`~symbolic_pme.numeric.distributed`).  Default: here, serially.
        **parameters : array_like
            Fixed parameter values by name.

        Returns
        -------
        SteadyState
            Probabilities ``grid + (n,)``, currents and state values on the grid.

        Raises
        ------
        ValueError
            If no axis is given, and as :meth:`steady_state`.
        NonUniqueSteadyState
            As :meth:`steady_state`.

        Examples
        --------
        >>> from symbolic_pme.networks.network import RateNetwork
        >>> net = CompiledNetwork(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): 1}))
        >>> net.sweep({"k": [1.0, 3.0]}).probability("a").round(6)
        array([0.5 , 0.25])
        """
        if not axes:
            raise ValueError("sweep: give at least one axis, e.g. sweep({'V': numpy.linspace(-1, 1, 101)})")
        _check_method(method)
        return self.evaluate(
            self.grid(values, axes, **parameters),
            executor=executor,
            method=method,
            approach=approach,
            principal_parts=principal_parts,
        )

    def rates(self, values: Mapping[str, ArrayLike] | None = None, /, **parameters: ArrayLike) -> np.ndarray:
        """Rates of ``network.transitions`` (per unit time).

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        numpy.ndarray
            ``grid + (n_transitions,)``.
        """
        if self._closed is not None:
            return self._closed.rates(values, **parameters)[..., : len(self.network.transitions)]
        grid = self.grid(values, **parameters)
        if self._blocks is not None:
            return self._block_rates_per_transition(grid)
        return np.moveaxis(self._rates(self._outputs(grid.values), grid.shape), 0, -1)

    def escape_rates(self, values: Mapping[str, ArrayLike] | None = None, /, **parameters: ArrayLike) -> np.ndarray:
        """Total rate out of each state: ``-W_ss``, its lifetime broadening with hbar = 1.

        Sinks are included; cheaper than the diagonal of :meth:`generator`.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        numpy.ndarray
            ``grid + (n,)``.
        """
        if self._closed is not None:
            return self._closed.escape_rates(values, **parameters)[..., : len(self.states)]
        if self._blocks is not None:
            grid = self.grid(values, **parameters)
            coefficients, shape, batch = self._block_inputs(grid.values, grid.shape)
            rates_in, rates_out, _ = self._blocks.rates(coefficients, shape)
            return self._blocks.escape_rates(rates_in, rates_out, batch).reshape(shape + (len(self.states),))
        rates = self.rates(values, **parameters)
        escape = np.zeros(rates.shape[:-1] + (len(self.states),))
        for state in range(len(self.states)):
            escape[..., state] = rates[..., self._source == state].sum(axis=-1)
        return escape

    def generator(self, values: Mapping[str, ArrayLike] | None = None, /, **parameters: ArrayLike) -> np.ndarray:
        """Generator matrices W of ``dP/dt = W P [+ s]``, sink rates on the diagonal.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        numpy.ndarray
            ``grid + (n, n)``, ``W[..., j, i]`` = rate i -> j.

        Examples
        --------
        >>> from symbolic_pme.networks.network import RateNetwork
        >>> CompiledNetwork(RateNetwork.from_rates({("a", "b"): 2, ("b", "a"): 1})).generator()
        array([[-2.,  1.],
               [ 2., -1.]])
        """
        n = len(self.states)
        if self._closed is not None:
            return self._closed.generator(values, **parameters)[..., :n, :n]
        grid = self.grid(values, **parameters)
        if self._blocks is not None:
            coefficients, shape, batch = self._block_inputs(grid.values, grid.shape)
            MemoryEstimate.of_arrays(f"generators of {batch} point(s) x {n} states", batch * n * n).check()
            rates_in, rates_out, _ = self._blocks.rates(coefficients, shape)
            return self._blocks.generator(rates_in, rates_out, batch).reshape(shape + (n, n))
        return self._generator(self._rates(self._outputs(grid.values), grid.shape)).reshape(grid.shape + (n, n))

    def source_vector(self, values: Mapping[str, ArrayLike] | None = None, /, **parameters: ArrayLike) -> np.ndarray:
        """Source terms s of an open network (population per unit time into each state).

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        numpy.ndarray
            ``grid + (n,)``.

        Raises
        ------
        ValueError
            For a closed network.
        """
        n = len(self.states)
        return self._embedding("source_vector").generator(values, **parameters)[..., :n, n]

    def sink_rates(
        self, values: Mapping[str, ArrayLike] | None = None, /, **parameters: ArrayLike
    ) -> dict[str, np.ndarray]:
        """The rates out of each state into each sink of an open network.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values as numbers or broadcasting arrays.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        dict of str to numpy.ndarray
            ``{sink channel: rates out of each state into it}``, each ``grid + (n,)``.

        Raises
        ------
        ValueError
            For a closed network.
        """
        closed = self._embedding("sink_rates")
        rates = closed.rates(values, **parameters)
        n = len(self.states)
        result: dict[str, np.ndarray] = {}
        for k, t in enumerate(closed.network.transitions):
            if t.target == self.network.outside:
                rows = result.setdefault(t.channel, np.zeros(rates.shape[:-1] + (n,)))
                rows[..., self.network.index(t.source)] += rates[..., k]
        return result

    def evolve(
        self,
        times: ArrayLike,
        initial: str | Mapping[str, float] | ArrayLike | None = None,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        axes: Mapping[str, ArrayLike] | None = None,
        **parameters: ArrayLike,
    ) -> Evolution:
        """Populations and currents against time.

        A closed network evolves ``dP/dt = W P`` by exact batched matrix exponentials
        (:func:`~symbolic_pme.numeric.dynamics.propagate`).  An open network evolves
        ``dP/dt = W P + s`` through its embedding with the outside row zeroed,
        ``A = [[W, s], [0, 0]]``: the outside's population stays 1, so
        ``[P(t); 1] = expm(A t) [P(0); 1]``, and each current is ``sum_t q_t k_t P_source(t)``
        over the embedding's transitions, sources and sinks included.

        Parameters
        ----------
        times : array_like
            1-D, finite, non-negative and non-decreasing (time unit = 1 / rate unit).
        initial : str, mapping of str to float, array_like or None, optional
            A state label, ``{state: probability}`` or an array (summing to one); None (open
            networks only) starts empty.
        values : mapping of str to array_like, optional
            Parameter values, as in :meth:`steady_state`.
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, as in :meth:`sweep`.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        Evolution
            Populations ``grid + (n_times, n)`` and currents ``grid + (n_times,)``.

        Raises
        ------
        ValueError
            For a closed network without ``initial``, an invalid initial state, times or
            parameter values.
        """
        grid = self.grid(values, axes, **parameters)
        if self._closed is None:
            if initial is None:
                raise ValueError("initial: give the initial state or distribution of a closed network")
            populations = propagate(self.generator(grid.values), initial_probabilities(self.states, initial), times)
            currents = self.currents_for(grid, populations)
        else:
            n = len(self.states)
            start = np.zeros(n) if initial is None else initial_probabilities(self.states, initial)
            generators = self._closed.generator(grid.values).copy()
            generators[..., n, :] = 0.0
            extended = propagate(generators, np.append(start, 1.0), times)
            populations, currents = extended[..., :n], self._closed.currents_for(grid, extended)
        return Evolution(self.states, time_axis(times), grid.axes, grid.shape, populations, currents)

    def first_passage(
        self,
        initial: str | Mapping[str, float] | ArrayLike | None = None,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        axes: Mapping[str, ArrayLike] | None = None,
        **parameters: ArrayLike,
    ) -> Trapping:
        """Trapping yields and mean trapping time of a network with sinks.

        One batched linear solve gives the residence times ``x = -W^{-1} P0`` (expected time
        spent in each state before a sink removes the excitation); the yield of sink channel c
        is ``sum_i kappa_{c,i} x_i`` and the mean trapping time ``sum_i x_i``.  No time
        integration.

        Parameters
        ----------
        initial : str, mapping of str to float, array_like or None, optional
            A state label, ``{state: probability}`` or an array (summing to one); None starts
            the excitation where the sources inject it (their rates as weights).
        values : mapping of str to array_like, optional
            Parameter values, as in :meth:`steady_state`.
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, as in :meth:`sweep`.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        Trapping
            Residence times, yields per sink channel and the mean trapping time.

        Raises
        ------
        ValueError
            For a network without sinks, no ``initial`` and no sources (or sources whose rates
            add up to zero), or invalid parameter values.
        NonUniqueSteadyState
            Where no sink can be reached from some states.
        """
        if not self.network.sinks:
            raise ValueError("compiled: a network with sinks is needed (nothing traps the excitation otherwise)")
        grid = self.grid(values, axes, **parameters)
        generator = self.generator(grid.values)
        if initial is None:
            if not self.network.sources:
                raise ValueError("initial: give the initial state or distribution (the network has no sources)")
            sources = self.source_vector(grid.values)
            total = sources.sum(axis=-1, keepdims=True)
            if np.any(total <= 0):
                raise ValueError("initial: the source rates add up to zero at some grid point")
            start = sources / total
        else:
            start = np.broadcast_to(initial_probabilities(self.states, initial), generator.shape[:-1])
        try:
            residence = np.linalg.solve(-generator, start[..., None])[..., 0]
        except np.linalg.LinAlgError:
            raise NonUniqueSteadyState(
                "no sink can be reached from some states at these parameters (a sink or transition rate is zero)"
            ) from None
        yields = {c: np.sum(rates * residence, axis=-1) for c, rates in self.sink_rates(grid.values).items()}
        return Trapping(self.states, grid.axes, generator.shape[:-2], residence, yields, residence.sum(axis=-1))

    def analyse(
        self,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        axes: Mapping[str, ArrayLike] | None = None,
        cumulants: int = 0,
        quantity: str = CHARGE,
        derivatives: Sequence[str] = (),
        second_derivatives: Sequence[tuple[str, str]] = (),
        derivative_quantities: Sequence[str] = ("charge", "energy", "heat"),
        method: str = "auto",
        progress: Callable[[int, int], None] | None = None,
        **parameters: ArrayLike,
    ) -> Analysis:
        """Steady state, counting statistics and exact derivatives of a transport model in one pass.

        The rates, the steady state, the jump matrices and the factorized generator are computed
        once per chunk of grid points and shared by everything asked for (see
        :mod:`~symbolic_pme.numeric.analysis`); a noise and dI/dV map costs a fraction more than
        the plain map, not three maps.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values, as in :meth:`steady_state`.
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, as in :meth:`sweep`.
        cumulants : int, optional
            The highest cumulant per lead: 0 (none, the default), 1, 2 (noise and Fano factor)
            or 3 (skewness too).
        quantity : str, optional
            What the cumulants count: ``"charge"`` (particles; default), ``"energy"``, ``"heat"``
            or, with spin, ``"spin"``.
        derivatives : sequence of str, optional
            Directions of the exact derivatives: parameter names, ``"mu[lead]"`` or ``"T[lead]"``.
        second_derivatives : sequence of (str, str), optional
            Pairs ``(a, b)`` of directions of exact second derivatives ``d^2/da db`` (e.g.
            ``[("V", "eps")]``: the change of dI/dV with ``eps``); their directions are
            differentiated to first order too.  ``.derivatives.second_current[(a, b)][lead]``.
        derivative_quantities : sequence of str, optional
            Whose currents are differentiated: ``"charge"``, ``"energy"``, ``"heat"`` (default:
            all three); ``("charge",)`` for dI/dV alone, which skips the energy currents' pass.
        method : {"auto", "dense", "levels"}, optional
            ``"auto"`` (dense for small models, block elimination down the charge levels above),
            ``"dense"`` or ``"levels"``.
        progress : callable, optional
            ``progress(done, total)`` after each chunk, with the number of grid points done.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        Analysis
            ``.steady_state`` (a :class:`SteadyState`), ``.statistics`` (a
            :class:`CountingStatistics`, or None without cumulants) and ``.derivatives`` (a
            :class:`Derivatives`, or None without directions).

        Raises
        ------
        ValueError
            For networks that are not transport models, unknown quantities, orders, directions
            or methods; see :func:`~symbolic_pme.numeric.analysis.analyse`.

        Examples
        --------
        >>> from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
        >>> leads = [
        ...     Lead("L", mu=5, temperature=0.01, coupling={"d": 0.1}),
        ...     Lead("R", mu=-5, temperature=0.01, coupling={"d": 0.2}),
        ... ]
        >>> net = TransportModel(Hamiltonian(FockSpace(["d"]), onsite={"d": "eps"}), leads).compile()
        >>> result = net.analyse(eps=[0.0, 0.5], cumulants=2, derivatives=["eps"])
        >>> result.steady_state.currents["charge"]["L"].round(6), result.statistics.fano["L"].round(6)
        (array([0.050265, 0.050265]), array([0.68, 0.68]))
        >>> bool(np.all(np.abs(result.derivatives.current["eps"]["L"]) < 1e-12))  # deep in the bias window
        True
        """
        grid = self.grid(values, axes, **parameters)
        with blas_threads_for(math.prod(grid.shape), len(self.states)):  # see .threads
            return analyse(
                self,
                grid,
                cumulants=cumulants,
                quantity=quantity,
                derivatives=derivatives,
                second_derivatives=second_derivatives,
                derivative_quantities=derivative_quantities,
                method=method,
                progress=progress,
            )

    def counting_statistics(
        self,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        axes: Mapping[str, ArrayLike] | None = None,
        quantity: str = CHARGE,
        order: int = 3,
        method: str = "auto",
        **parameters: ArrayLike,
    ) -> CountingStatistics:
        """Cumulants of the charge (or energy, heat, S_z) transferred from each lead into the dot.

        :meth:`analyse` with only cumulants asked for (a separate result, not fields of
        :meth:`steady_state`: it costs a resolvent per point and depends on the counted
        quantity).  See :mod:`~symbolic_pme.numeric.statistics` for the recursion.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values, as in :meth:`steady_state`.
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, as in :meth:`sweep`.
        quantity : str, optional
            ``"charge"`` (particles; default), ``"energy"``, ``"heat"`` or, with spin, ``"spin"``.
        order : int, optional
            The highest cumulant: 1, 2 or 3.
        method : {"auto", "dense", "levels"}, optional
            As in :meth:`analyse`.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        CountingStatistics
            ``.current``, ``.noise``, ``.fano``, ``.skewness`` as ``{lead: array}``.

        Raises
        ------
        ValueError
            For networks that are not transport models, unknown quantities, orders or methods.
        """
        if order not in (1, 2, 3):
            raise ValueError(f"order: 1, 2 or 3 cumulants can be computed, not {order!r}")
        return self.analyse(
            values, axes=axes, cumulants=order, quantity=quantity, method=method, **parameters
        ).statistics

    def derivatives(
        self,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        with_respect_to: Sequence[str],
        axes: Mapping[str, ArrayLike] | None = None,
        method: str = "auto",
        **parameters: ArrayLike,
    ) -> Derivatives:
        """Exact derivatives of the steady state and of each lead's currents (no finite differences).

        :meth:`analyse` with only derivatives asked for.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values, as in :meth:`steady_state`.
        with_respect_to : sequence of str
            Parameter names, ``"mu[lead]"`` or ``"T[lead]"`` (at least one).
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, as in :meth:`sweep`.
        method : {"auto", "dense", "levels"}, optional
            As in :meth:`analyse`.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        Derivatives
            ``.current[name][lead]`` = dI/d(name); ``.probabilities[name]``; energy and heat too.

        Raises
        ------
        ValueError
            Without a direction, and as :meth:`analyse`.
        """
        if not with_respect_to:
            raise ValueError("with_respect_to: name at least one parameter, 'mu[lead]' or 'T[lead]'")
        return self.analyse(values, axes=axes, derivatives=with_respect_to, method=method, **parameters).derivatives

    def thermoelectric(
        self,
        values: Mapping[str, ArrayLike] | None = None,
        /,
        *,
        lead: str | None = None,
        axes: Mapping[str, ArrayLike] | None = None,
        method: str = "auto",
        **parameters: ArrayLike,
    ) -> Thermoelectric:
        """Linear-response G, K, Seebeck S, ZT and Onsager matrix of a two-lead model at common mu, T.

        Parameters
        ----------
        values : mapping of str to array_like, optional
            Parameter values, as in :meth:`steady_state`.
        lead : str, optional
            The lead whose mu and T are varied (default: the first).
        axes : mapping of str to array_like, optional
            Named 1-D sweep axes, as in :meth:`sweep`.
        method : {"auto", "dense", "levels"}, optional
            As in :meth:`analyse`.
        **parameters : array_like
            Parameter values by name.

        Returns
        -------
        Thermoelectric
            The conductances, the Seebeck coefficient, ZT and the Onsager matrix on the grid.

        Raises
        ------
        ValueError
            See :func:`~symbolic_pme.numeric.analysis.thermoelectric`.
        """
        return thermoelectric(self, self.grid(values, axes, **parameters), lead=lead, method=method)

    def _embedding(self, what: str) -> CompiledNetwork:
        """The compiled closed embedding of an open network (ValueError for a closed network)."""
        if self._closed is None:
            raise ValueError(f"{what}: the network has no sources or sinks (it is closed)")
        return self._closed

    def _open_populations(self, result: SteadyState) -> SteadyState:
        """The open network's populations and currents from the embedding's steady state."""
        n = len(self.states)
        outside = result.probabilities[..., n]
        if np.any(outside < MIN_OUTSIDE_SHARE):
            bad = np.argwhere(np.atleast_1d(outside < MIN_OUTSIDE_SHARE))
            raise NonUniqueSteadyState(
                f"the steady populations are unbounded (or above {1 / MIN_OUTSIDE_SHARE:.0e}) at {len(bad)} grid "
                f"point(s), first at index {tuple(int(i) for i in bad[0])}: there a source feeds states from "
                "which no sink can be reached (a sink or transition rate is zero)"
            )
        scale = 1.0 / outside
        return SteadyState(
            states=self.states,
            axes=result.axes,
            shape=result.shape,
            probabilities=result.probabilities[..., :n] * scale[..., None],
            currents={q: {c: a * scale for c, a in by_channel.items()} for q, by_channel in result.currents.items()},
            state_values={name: v[..., :n] for name, v in result.state_values.items()},
            parameters=result.parameters,
        )

    # ----------------------------------------------------------------------------- block path
    def _block_inputs(self, arrays: Mapping[str, np.ndarray], shape: tuple[int, ...]) -> tuple[list, tuple, int]:
        """Compiled parameter expressions of the block path, the grid shape and its point count."""
        coefficients = self._blocks.coefficients(self.symbol_values(arrays))
        return coefficients, shape, math.prod(shape)

    def _block_rates_per_transition(self, grid: Grid) -> np.ndarray:
        """Rates in the order of ``network.transitions`` (the groups' expansion), ``grid + (T,)``."""
        coefficients, shape, batch = self._block_inputs(grid.values, grid.shape)
        rates_in, rates_out, _ = self._blocks.rates(coefficients, shape)
        columns = []
        for group in self.network.groups:
            link = self._blocks.link_of(group)
            targets, sources = group.pattern
            if group.entering:
                columns.append(rates_in[link][:, targets, sources])
            else:
                columns.append(rates_out[link][:, sources, targets])
        rates = np.concatenate(columns, axis=1) if columns else np.zeros((batch, 0))
        if rates.shape[1] != len(self.network.transitions):
            raise ValueError("rates: some structurally non-zero amplitudes vanish exactly; use generator() instead")
        return rates.reshape(shape + (rates.shape[1],))

    def _block_chunk(self, values: Mapping[sympy.Symbol, np.ndarray], shape: tuple[int, ...], method: str):
        """Probabilities ``(n, batch)`` and currents ``{quantity: (channels, batch)}`` of one chunk
        on the block path, by ``method`` (see :meth:`steady_state`)."""
        blocks, n = self._blocks, len(self.states)
        coefficients = blocks.coefficients(values)
        batch = math.prod(shape)
        if blocks.flat is not None and method in ("auto", "gth"):
            return self._flat_chunk(coefficients, shape, batch)
        rates = blocks.rates(coefficients, shape)
        rates_in, rates_out, _ = rates
        if method == "lu":
            probabilities = self._dense_steady_state(blocks.generator(rates_in, rates_out, batch), np.arange(batch))
        elif method == "gth" or (method == "auto" and n <= GTH_MAX_STATES):
            generators = blocks.generator(rates_in, rates_out, batch)
            transfer = np.ascontiguousarray(np.moveaxis(generators, 0, -1))
            probabilities, failed = steady_state_gth(transfer)
            probabilities = probabilities.T
            if failed.any():
                probabilities[failed] = self._dense_steady_state(generators[failed], np.flatnonzero(failed))
        else:
            try:
                # kept between the chunks of a grid (fresh blocks cost page faults each time), not
                # for one point, where they would only hold memory after the solve
                work = self._workspace if batch > 1 else None
                levels = blocks.level_steady_state(coefficients, rates_in, rates_out, batch, work=work)
                probabilities = np.empty((batch, n))
                for members, p in zip(blocks.levels, levels):
                    probabilities[:, members] = p
            except np.linalg.LinAlgError:
                MemoryEstimate.of_arrays(f"the dense fallback solve of {batch} point(s)", 3 * batch * n * n).check()
                generators = blocks.generator(rates_in, rates_out, batch)
                probabilities = self._dense_steady_state(generators, np.arange(batch))
            if not np.all(np.isfinite(probabilities)):
                raise FloatingPointError("steady state not finite (the rates overflow or vanish at these parameters)")
            np.maximum(probabilities, 0.0, out=probabilities)
        currents = blocks.currents(coefficients, rates, probabilities, shape, conserve=True)
        return probabilities.T, currents

    def _flat_chunk(self, coefficients: list, shape: tuple[int, ...], batch: int):
        """:meth:`_block_chunk` of a small model by GTH on the flat layout (see :mod:`.flat`)."""
        blocks, n, work = self._blocks, len(self.states), self._workspace
        transitions = 2 * len(blocks.flat.upper)
        # the large arrays are reused buffers: fresh ones cost page faults on every chunk
        rates, delta = blocks.flat_rates(coefficients, shape, out=work.array("rates", (transitions, batch)))
        transfer = blocks.flat.transfer_matrix(rates, out=work.array("transfer", (n * n, batch)))
        probabilities, failed = steady_state_gth(transfer.reshape(n, n, batch), work=work)
        if failed.any():
            generators = blocks.generator(*blocks.rates(coefficients, shape)[:2], batch)[failed]
            probabilities[:, failed] = self._dense_steady_state(generators, np.flatnonzero(failed)).T
        flows = work.array("flows", (transitions, batch))
        return probabilities, blocks.flat_currents(
            coefficients, rates, delta, probabilities, shape, conserve=True, work=flows
        )

    def _block_currents_for(self, grid: Grid, populations: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """:meth:`currents_for` on the block path: the same rates, one current evaluation per time
        (no conservation correction: populations out of steady state change)."""
        coefficients, shape, batch = self._block_inputs(grid.values, grid.shape)
        rates = self._blocks.rates(coefficients, shape)
        times = populations.shape[-2]
        flat = populations.reshape(batch, times, len(self.states))
        per_time = [self._blocks.currents(coefficients, rates, flat[:, k], shape, conserve=False) for k in range(times)]
        channels = self.network.channels
        stacked = {q: np.stack([t[q] for t in per_time], axis=-1) for q in self._blocks.quantities}
        return {q: {c: a[i].reshape(grid.shape + (times,)) for i, c in enumerate(channels)} for q, a in stacked.items()}

    def _dense_steady_state(self, generators: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Steady states ``(points, n)`` of dense generators by the batched LU solve."""
        generators = generators.copy()
        generators[:, 0, :] = 1.0
        try:
            return solve_normalized(generators)
        except NonUniqueSteadyState as error:
            error.indices = [(int(positions[i[0]]),) for i in error.indices]
            raise

    # ----------------------------------------------------------------------------- evaluation
    def symbol_values(self, arrays: Mapping[str, np.ndarray]) -> dict[sympy.Symbol, np.ndarray]:
        """Parameter values by symbol, after the non-negativity checks, plus placeholder values.

        Parameters
        ----------
        arrays : mapping of str to numpy.ndarray
            Validated parameter values by name (``grid.values`` of :meth:`grid`).

        Returns
        -------
        dict of sympy.Symbol to numpy.ndarray
            What the compiled kernels (and :meth:`TransportBlocks.coefficients`) take.

        Raises
        ------
        ValueError
            If a checked expression (``nonnegative``) is negative.
        """
        values = self._parameters.by_symbol(arrays)
        for kernel, expr, what in self._checks:
            (result,) = kernel(values)
            result = np.asarray(result)
            if float(result) < 0 if result.ndim == 0 else (result < 0).any():
                raise ValueError(f"{what} is negative ({expr} = {float(result.min()):.6g}); it must be >= 0")
        if self._spectrum is not None:
            values.update(self._spectrum.evaluate(values))
        return values

    def _outputs(self, arrays: Mapping[str, np.ndarray]) -> list:
        return self._kernel(self.symbol_values(arrays))

    def _rates(self, outputs: list, shape: tuple[int, ...], out: np.ndarray | None = None) -> np.ndarray:
        """Rates in transition-major layout, ``(n_transitions,) + shape``; checked finite, >= 0."""
        transitions = self.network.transitions
        rates = np.empty((len(transitions),) + shape) if out is None else out
        for k in range(len(transitions)):
            rates[k] = outputs[k]
        if len(self._unproven) and rates.size:
            checked = rates[self._unproven].reshape(len(self._unproven), -1)
            bad = ~(checked >= 0) | (checked == np.inf)
            if bad.any():
                t = transitions[self._unproven[int(np.argmax(bad.any(axis=1)))]]
                raise ValueError(f"rate {t.source} -> {t.target} is negative or not finite for these parameters")
        return rates

    def _generator(self, rates: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Generators ``(batch, n, n)``, C-contiguous (what the batched LAPACK solve reads fastest)."""
        n = len(self.states)
        flat = np.matmul(rates.reshape(rates.shape[0], -1).T, self._incidence_t, out=out)
        return flat.reshape(-1, n, n)

    def _work_per_point(self, method: str = "auto") -> int:
        """Numbers held in work arrays per grid point of a chunk solved by ``method``."""
        if self._blocks is not None:
            dense = method in ("gth", "lu") or (method == "auto" and len(self.states) <= GTH_MAX_STATES)
            return self._blocks.work_per_point(dense=dense)
        return len(self.network.transitions) + len(self.states) ** 2

    def _chunk_size(self, points: int, progress: bool, method: str = "auto") -> int:
        """Grid points per chunk: work arrays of at most about 64 MB in all (a model whose one
        point needs more is solved point by point); with progress reports, also at most about
        1/50 of the grid (but not below 256 points, where the per-chunk overhead would start
        to show, unless a point is that large)."""
        per_point = self._work_per_point(method)
        size = min(max((1 << 23) // max(per_point, 1), 1), 1 << 16)
        floor = min(256, size)
        return max(floor, min(size, -(-points // 50))) if progress else size

    def _memory(self, points: int, chunk_size: int, method: str = "auto") -> MemoryEstimate:
        """What a solve of ``points`` grid points holds: the results and one chunk's work arrays."""
        n, channels = len(self.states), len(self.network.channels)
        outputs = points * (2 * n + 4 * channels)
        work = min(points, chunk_size) * self._work_per_point(method)
        return MemoryEstimate.of_arrays(f"a solve of {points} grid point(s) x {n} states", outputs + work)

    def evaluate(
        self,
        grid: Grid,
        *,
        progress: Callable[[int, int], None] | None = None,
        method: str = "auto",
        executor: Executor | None = None,
        approach: str = "pauli",
        principal_parts: bool = False,
    ) -> SteadyState:
        """Steady state on a validated grid (from :meth:`grid`); what :meth:`steady_state` and
        :meth:`sweep` run.

        Parameters
        ----------
        grid : Grid
            Validated parameter values.
        progress : callable, optional
            If given, ``progress(done, total)`` is called with the number of grid points solved
            so far after each chunk (for progress bars on long sweeps).
        method : {"auto", "gth", "levels", "lu"}, optional
            The steady-state method, as in :meth:`steady_state`.
        executor : concurrent.futures.Executor, optional
            Where to solve the chunks, as in :meth:`steady_state`.
        approach : {"pauli", "lindblad", "redfield", "1vn"}, optional
            The master equation, as in :meth:`steady_state`.
        principal_parts : bool, optional
            As in :meth:`steady_state`.

        Returns
        -------
        SteadyState
            Probabilities, currents and state values on the grid.

        Raises
        ------
        ValueError
            For an unknown method, ``"levels"`` on a network of scalar transitions, or a rate or
            checked expression that is negative.
        NonUniqueSteadyState
            As :meth:`steady_state`, with the grid index and parameter values of the first
            such point.
        GridTooLarge
            If the solve would need more memory than :data:`~symbolic_pme.numeric.memory.MEMORY_LIMIT`.
        WorkerLost
            If an executor lost the worker of a chunk more often than it may be retried.
        """
        _check_method(method)
        if approach != "pauli":
            if method != "auto":
                raise ValueError(
                    f"method: the coherent approaches have one steady-state method ('auto'), not {method!r}"
                )
            if executor is not None:
                raise ValueError(f"executor: the {approach!r} approach solves in this process only; give no executor")
            with blas_threads_for(math.prod(grid.shape), len(self.states)):
                return coherent_steady_state(
                    self, grid, approach=approach, principal_parts=principal_parts, progress=progress
                )
        if principal_parts:
            raise ValueError("principal parts: the Pauli rates have none; choose approach 'redfield' or '1vn'")
        if self._closed is not None:
            closed = self._closed.evaluate(grid, progress=progress, method=method, executor=executor)
            return self._open_populations(closed)
        if method == "levels" and self._blocks is None:
            raise ValueError(
                "method: 'levels' (block elimination down the charge chain) needs a network of rate groups; "
                "this one has scalar transitions: choose 'auto', 'gth' or 'lu'"
            )
        n, shape, channels = len(self.states), grid.shape, self.network.channels
        total = math.prod(shape)
        chunk_size = self._chunk_size(total, progress is not None, method)
        self._memory(total, chunk_size, method).check()
        symbol_values = self.symbol_values(grid.values)
        if self._blocks is not None:
            state_values = self.broadcast_state_values(
                self._blocks.state_values(self._blocks.coefficients(symbol_values)), shape
            )
            quantities = self._blocks.quantities
        else:
            values = self._value_kernel(symbol_values)
            state_values = {
                name: np.broadcast_to(stack_outputs(values[k * n : (k + 1) * n]), shape + (n,))
                for k, name in enumerate(self._value_names)
            }
            quantities = tuple(self._quantities)
        assembly = SteadyStateAssembly(grid, self.network.states, channels, quantities, state_values, progress=progress)
        chunks = row_chunks(symbol_values, shape, chunk_size)
        if executor is None:
            solved = ((r, s, lambda c=c, s=s: self._solve_chunk(c, s, method)) for r, c, s in chunks)
        else:
            solved = solve_chunks(self._recipe, grid, chunks, executor, method=method)
        # the BLAS threads are chosen for the whole grid, not per chunk: a grid of many points
        # cut into chunks of a few is still many points (see .threads)
        with blas_threads_for(total, n) if executor is None else nullcontext():
            for rows, chunk_shape, chunk_result in solved:
                try:
                    p, chunk_currents = chunk_result()
                except NonUniqueSteadyState as error:
                    raise located(error, grid, rows, chunk_shape) from None
                # (n, batch) to the chunk's grid shape + (n,); a transpose, not moveaxis (microseconds)
                assembly.probabilities[rows] = p.reshape((n,) + chunk_shape).transpose(
                    tuple(range(1, 1 + len(chunk_shape))) + (0,)
                )
                assembly.add_currents(rows, chunk_shape, chunk_currents)
        return assembly.result()

    def broadcast_state_values(self, computed: dict[str, np.ndarray], shape: tuple[int, ...]) -> dict[str, np.ndarray]:
        """The block path's state values broadcast to ``shape + (n,)`` (read-only views), kept
        while the same values (the blocks' memo of them) are broadcast to the same shape.

        Parameters
        ----------
        computed : dict of str to numpy.ndarray
            From :meth:`TransportBlocks.state_values`, ``(..., n)`` each.
        shape : tuple of int
            The grid's shape.

        Returns
        -------
        dict of str to numpy.ndarray
            The same names, ``shape + (n,)`` each.
        """
        kept = self._state_value_views
        if kept is None or kept[0] is not computed or kept[1] != shape:
            target, arrays = shape + (len(self.states),), list(computed.values())
            common = {a.shape for a in arrays}
            if len(common) == 1:  # one stack and one broadcast (one broadcast each cost 5 us)
                (given,) = common
                stacked = np.stack(arrays).reshape((len(arrays),) + (1,) * (len(target) - len(given)) + given)
                views = dict(zip(computed, np.broadcast_to(stacked, (len(arrays),) + target)))
            else:
                views = {name: np.broadcast_to(v, target) for name, v in computed.items()}
            kept = self._state_value_views = (computed, shape, views)
        return dict(kept[2])

    def _solve_chunk(
        self, chunk: Mapping[sympy.Symbol, np.ndarray], shape: tuple[int, ...], method: str
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Probabilities ``(n, batch)`` and currents ``{quantity: (channels, batch)}`` of one chunk of
        symbol values (from :meth:`symbol_values`), on either path: what a worker runs (with one
        BLAS thread for many points, see :mod:`.threads`)."""
        with blas_threads_for(math.prod(shape), len(self.states)):
            if self._blocks is not None:
                return self._block_chunk(chunk, shape, method)
            return self._steady_chunk(self._kernel(chunk), shape, method)

    def currents_for(self, grid: Grid, populations: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """Currents of every carried quantity per channel for given populations.

        The rates are those at the grid's parameter values (the same evaluation as in steady
        states).  An open network's sources inject at their rates (the outside's population
        is 1).

        Parameters
        ----------
        grid : Grid
            Validated parameter values (from :meth:`grid`).
        populations : numpy.ndarray
            The grid's shape plus one more axis before the states (e.g. time):
            ``grid.shape + (m, n)``.

        Returns
        -------
        dict of str to dict of str to numpy.ndarray
            ``{quantity: {channel: grid.shape + (m,)}}``, positive into the system.

        Raises
        ------
        ValueError
            If ``populations`` does not have the shape ``grid.shape + (m, n)``.
        """
        n, channels = len(self.states), self.network.channels
        if populations.shape[-1] != n or populations.shape[:-2] != grid.shape:
            raise ValueError(f"populations: expected shape {grid.shape} + (m, {n}), got {populations.shape}")
        if self._closed is not None:
            outside = np.ones(populations.shape[:-1] + (1,))
            return self._closed.currents_for(grid, np.concatenate([populations, outside], axis=-1))
        shape = grid.shape + populations.shape[-2:-1]
        if self._blocks is not None:
            return self._block_currents_for(grid, populations)
        outputs = [with_trailing_axis(o, len(grid.shape)) for o in self._outputs(grid.values)]
        rates = self._rates(outputs, shape)
        probabilities = np.moveaxis(populations, -1, 0).reshape(n, -1)
        totals = self._currents(outputs, rates.reshape(len(rates), -1), probabilities, shape)
        return {q: dict(zip(channels, t.reshape((len(channels),) + shape))) for q, t in totals.items()}

    def _steady_chunk(
        self, outputs: list, shape: tuple[int, ...], method: str
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Probabilities ``(n, batch)`` and currents ``{quantity: (channels, batch)}`` of one chunk
        on the scalar path, by ``method`` (``"auto"``, ``"gth"`` or ``"lu"``)."""
        n_transitions, batch = len(self.network.transitions), math.prod(shape)
        rates = self._rates(outputs, shape, out=self._workspace.array("rates", (n_transitions,) + shape))
        rates = rates.reshape(n_transitions, batch)
        probabilities = self._probabilities(rates, method)
        return probabilities, self._currents(outputs, rates, probabilities, shape)

    def _currents(
        self, outputs: list, rates: np.ndarray, probabilities: np.ndarray, shape: tuple[int, ...]
    ) -> dict[str, np.ndarray]:
        """Currents ``{quantity: (channels, batch)}`` from rates ``(n_transitions, batch)`` and
        probabilities ``(n, batch)`` (``batch`` = the points of ``shape``)."""
        n, channels = len(self.states), self.network.channels
        n_transitions, batch = rates.shape
        work = self._workspace
        # probability flow through each transition, (n_transitions, batch)
        flux = work.array("flux", (n_transitions, batch))
        np.take(probabilities, self._source, axis=0, out=flux, mode="clip")
        flux *= rates
        netflow = None
        currents = {}
        for quantity, (part, by_state) in self._quantities.items():
            if by_state:
                if netflow is None:
                    netflow = (self._netflow_matrix @ flux).reshape((len(channels), n) + shape)
                currents[quantity] = state_function_currents(outputs[part], netflow).reshape(len(channels), batch)
                continue
            carried = transition_major(outputs[part], shape)
            if carried[0].size == 1:  # the same at every grid point: fold into the channel sums
                currents[quantity] = (self._channel_matrix * carried.reshape(-1)) @ flux
            else:
                carried_flux = work.array("carried_flux", (n_transitions,) + shape)
                np.multiply(flux.reshape(carried_flux.shape), carried, out=carried_flux)
                currents[quantity] = self._channel_matrix @ carried_flux.reshape(n_transitions, batch)
        return currents

    def _probabilities(self, rates: np.ndarray, method: str) -> np.ndarray:
        """Steady states ``(n, batch)`` from rates ``(n_transitions, batch)``: GTH state reduction
        (points it cannot do go to the LU solve) for ``"gth"`` and, with ``"auto"``, for small
        networks; the batched LU solve otherwise."""
        n, batch = len(self.states), rates.shape[1]
        if method == "lu" or (method == "auto" and n > GTH_MAX_STATES):
            return self._lu_probabilities(rates, np.arange(batch)).T
        transfer = np.matmul(self._transfer, rates, out=self._workspace.array("transfer", (n * n, batch)))
        probabilities, failed = steady_state_gth(transfer.reshape(n, n, batch))
        if failed.any():
            positions = np.flatnonzero(failed)
            probabilities[:, positions] = self._lu_probabilities(rates[:, positions], positions).T
        return probabilities

    def _lu_probabilities(self, rates: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """Steady states ``(points, n)`` by the batched LU solve; ``positions`` numbers the points
        in the chunk (for the report of a non-unique steady state)."""
        buffer = self._workspace.array("generators", (rates.shape[1], len(self.states) ** 2))
        generators = self._generator(rates, out=buffer)
        generators[:, 0, :] = 1.0  # first row of W replaced by the normalization
        try:
            return solve_normalized(generators)
        except NonUniqueSteadyState as error:
            error.indices = [(int(positions[i[0]]),) for i in error.indices]
            raise


def _check_method(method: str) -> None:
    """ValueError naming the choices unless ``method`` is one of :data:`METHODS`."""
    if method not in METHODS:
        raise ValueError(f"method: unknown steady-state method {method!r}; choose from {', '.join(map(repr, METHODS))}")


def compile_network(
    network: RateNetwork,
    *,
    spectrum: Spectrum | None = None,
    defaults: Mapping[str, float] | None = None,
    nonnegative: Sequence[tuple[object, str]] = (),
) -> CompiledNetwork:
    """Compile a :class:`RateNetwork`, closed or open, for batched solves.

    Parameters
    ----------
    network : RateNetwork
        The network: rate groups (a transport model's) or scalar transitions, with or without
        sources and sinks.
    spectrum : Spectrum, optional
        The spectrum whose placeholder symbols (numeric eigenstates) scalar transitions contain,
        e.g. ``compile_network(model.network.expanded(), spectrum=model.spectrum)``: the
        per-transition path, for checking the block path on small models.
    defaults : mapping of str to float, optional
        Values of parameters that a solve does not set.
    nonnegative : sequence of (sympy.Expr or str, str), optional
        ``(expression, description)`` pairs (expressions as SymPy objects or strings) checked
        to be >= 0 at every grid point.

    Returns
    -------
    CompiledNetwork
        The compiled network.

    Examples
    --------
    >>> from symbolic_pme.networks.network import RateNetwork
    >>> net = compile_network(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): 1}), defaults={"k": 2.0})
    >>> net.parameters, net.steady_state().probabilities.round(6)
    (('k',), array([0.333333, 0.666667]))
    """
    checks = [(to_expr(expr, what), what) for expr, what in nonnegative]
    return CompiledNetwork(network, spectrum=spectrum, nonnegative=checks, defaults=defaults)
