"""Labelled results of a compiled steady-state solve."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from symbolic_pme.quantities import CHARGE, ENERGY, HEAT, OCCUPATION_PREFIX, SPIN

if TYPE_CHECKING:  # pragma: no cover
    import xarray

__all__ = ["SteadyState"]


@dataclass(frozen=True)
class SteadyState:
    """Steady state on a grid of parameter values.

    Units and signs as in ``docs/conventions.md``: hbar = e = k_B = 1, currents are particle
    currents positive from the channel into the system.

    Attributes
    ----------
    states : tuple of str
        State labels; the last axis of :attr:`probabilities` follows them.
    axes : dict of str to numpy.ndarray
        ``{parameter: values}`` of the sweep axes, in axis order (empty for one point or for
        plain broadcasting).
    shape : tuple of int
        Grid shape (``()`` for one point).
    probabilities : numpy.ndarray
        Array ``shape + (n_states,)`` (populations, not normalized, for an open network).
    currents : dict of str to dict of str to numpy.ndarray
        ``{quantity: {channel: array of shape}}``: flow of each carried quantity from each channel
        into the system, e.g. ``currents["charge"]["tip"]``.
    state_values : dict of str to numpy.ndarray
        ``{name: array shape + (n_states,)}``: per-state values such as ``"energy"``.
    parameters : dict of str to numpy.ndarray
        The parameter values used (arrays broadcastable to ``shape``).

    Examples
    --------
    >>> from symbolic_pme.networks.network import RateNetwork
    >>> from symbolic_pme.numeric import compile_network
    >>> net = compile_network(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): 1}))
    >>> result = net.sweep({"k": [1.0, 3.0]})
    >>> result.shape, result.states
    ((2,), ('a', 'b'))
    >>> result.probability("b").round(6)
    array([0.5 , 0.75])
    """

    states: tuple[str, ...]
    axes: dict[str, np.ndarray]
    shape: tuple[int, ...]
    probabilities: np.ndarray
    currents: dict[str, dict[str, np.ndarray]]
    state_values: dict[str, np.ndarray] = field(default_factory=dict)
    parameters: dict[str, np.ndarray] = field(default_factory=dict)

    def probability(self, state: str) -> np.ndarray:
        """Probability of one state over the grid.

        Parameters
        ----------
        state : str
            The state's label.

        Returns
        -------
        numpy.ndarray
            Array of :attr:`shape`.

        Raises
        ------
        ValueError
            For an unknown state.
        """
        if state not in self.states:
            raise ValueError(f"unknown state {state!r}; states: {', '.join(self.states)}")
        return self.probabilities[..., self.states.index(state)]

    def expectation(self, name: str) -> np.ndarray:
        """``sum_s P_s v_s`` of a state value.

        Parameters
        ----------
        name : str
            The state value, e.g. ``"charge"``, ``"energy"``, ``"n_a"``.

        Returns
        -------
        numpy.ndarray
            Array of :attr:`shape`.

        Raises
        ------
        ValueError
            For a state value the result does not hold.
        """
        if name not in self.state_values:
            raise ValueError(f"unknown state value {name!r}; known: {', '.join(self.state_values)}")
        return np.sum(self.probabilities * self.state_values[name], axis=-1)

    def to_xarray(self, *, title: str = "") -> xarray.Dataset:
        """The result as a labelled ``xarray.Dataset`` (needs the extra ``symbolic_pme[data]``).

        Sweep axes are coordinates; probabilities have a ``state`` dimension, currents a
        ``lead`` dimension; per-state values keep only the axes they vary along; attributes
        hold the title, the fixed parameter values and the conventions (``docs/conventions.md``).
        The layout is described in :mod:`symbolic_pme.numeric.datasets`.

        Parameters
        ----------
        title : str, optional
            The model's title, kept as the ``title`` attribute.

        Returns
        -------
        xarray.Dataset
            The labelled dataset.

        Raises
        ------
        ImportError
            If xarray is not installed; the message names the extra.

        Examples
        --------
        >>> from symbolic_pme.networks.network import RateNetwork
        >>> from symbolic_pme.numeric import compile_network
        >>> net = compile_network(RateNetwork.from_rates({("a", "b"): "k", ("b", "a"): 1}))
        >>> net.sweep({"k": [1.0, 3.0]}).to_xarray().probability.dims
        ('k', 'state')
        """
        from .datasets import to_xarray

        return to_xarray(self, title=title)

    def _quantity(self, quantity: str) -> dict[str, np.ndarray]:
        if quantity not in self.currents:
            raise ValueError(f"no {quantity!r} currents here; quantities: {', '.join(self.currents)}")
        return self.currents[quantity]

    # Transport names (hbar = e = k_B = 1; positive from the lead into the dot)
    @property
    def current(self) -> dict[str, np.ndarray]:
        """Particle current of each lead."""
        return self._quantity(CHARGE)

    @property
    def energy_current(self) -> dict[str, np.ndarray]:
        """Energy current of each lead."""
        return self._quantity(ENERGY)

    @property
    def heat_current(self) -> dict[str, np.ndarray]:
        """Heat current ``J - mu I`` of each lead."""
        return self._quantity(HEAT)

    @property
    def spin_current(self) -> dict[str, np.ndarray]:
        """S_z current of each lead (spinful models)."""
        return self._quantity(SPIN)

    @property
    def occupations(self) -> dict[str, np.ndarray]:
        """``{mode: <n_mode>}`` for every state value named ``n_<mode>``."""
        return {
            name[len(OCCUPATION_PREFIX) :]: self.expectation(name)
            for name in self.state_values
            if name.startswith(OCCUPATION_PREFIX)
        }

    @property
    def energies(self) -> np.ndarray:
        """Energies of the states, ``shape + (n_states,)``."""
        if ENERGY not in self.state_values:
            raise ValueError("these states carry no energies")
        return self.state_values[ENERGY]
