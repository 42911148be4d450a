"""Batched numeric eigenstates for the blocks that hoppings mix.

Given a :class:`symbolic_pme.transport.spectrum.Spectrum`, this stage evaluates each mixed component's
Hamiltonian on the parameter grid (only along the axes of the parameters it contains), diagonalizes
it with one batched :func:`~.eigensystems.eigh` (``numpy.linalg.eigh``'s numbers; eigenvalues
ascending, as QmeQ), and computes every placeholder symbol: eigenenergies, many-body
creation-operator elements ``<b|d_m^+|a>`` and mode occupations ``<s|n_m|s>``.  Exact (1x1)
components are never diagonalized.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import sympy

from symbolic_pme.transport.spectrum import Spectrum

from . import eigensystems
from .kernel import ExpressionKernel, stack_outputs

__all__ = ["NumericSpectrum"]


class NumericSpectrum:
    """Evaluates the placeholder symbols of a :class:`Spectrum` on arrays of parameters.

    Parameters
    ----------
    spectrum : Spectrum
        The spectrum whose placeholders (eigenenergies, creation-operator elements, mode
        occupations) are evaluated.
    parameters : list of sympy.Symbol
        The parameter symbols, in the order the compiled kernels take them.
    """

    def __init__(self, spectrum: Spectrum, parameters: list[sympy.Symbol]):
        self.spectrum = spectrum
        self.placeholders = dict(spectrum.placeholders)
        space = spectrum.space
        self._kernels: dict[int, ExpressionKernel] = {}
        for c, component in enumerate(spectrum.components):
            if not component.exact:
                self._kernels[c] = ExpressionKernel(list(component.hamiltonian), parameters)
        # Fock-basis matrices of d_m^+ between the components that placeholders need
        self._creation_blocks: dict[tuple[int, int, int], np.ndarray] = {}
        self._occupation_vectors: dict[tuple[int, int], np.ndarray] = {}
        for placeholder in self.placeholders.values():
            if placeholder.kind == "creation":
                b, a = (spectrum.states[s].component for s in placeholder.states)
                key = (b, a, placeholder.mode)
                if key not in self._creation_blocks:
                    self._creation_blocks[key] = self._creation_block(b, a, placeholder.mode)
            elif placeholder.kind == "occupation":
                c = spectrum.states[placeholder.states[0]].component
                fock = spectrum.components[c].fock_states
                self._occupation_vectors[(c, placeholder.mode)] = np.array(
                    [space.occupation(f, placeholder.mode) for f in fock], dtype=float
                )

    def _creation_block(self, b: int, a: int, mode: int) -> np.ndarray:
        space, components = self.spectrum.space, self.spectrum.components
        fock_b, fock_a = components[b].fock_states, components[a].fock_states
        row = {f: i for i, f in enumerate(fock_b)}
        block = np.zeros((len(fock_b), len(fock_a)))
        for j, fa in enumerate(fock_a):
            result = space.apply([(mode, True)], fa)
            if result is not None and result[1] in row:
                block[row[result[1]], j] = result[0]
        return block

    def eigensystems(self, values: Mapping[sympy.Symbol, np.ndarray]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Eigensystems of the mixed components, eigenvalues ascending.

        Parameters
        ----------
        values : mapping of sympy.Symbol to numpy.ndarray
            Parameter values by symbol (arrays that broadcast).

        Returns
        -------
        dict of int to (numpy.ndarray, numpy.ndarray)
            ``{component: (energies (..., m), eigenvectors (..., m, m))}``, batched along the
            axes of the parameters the component's Hamiltonian contains.
        """
        result = {}
        for c, kernel in self._kernels.items():
            m = len(self.spectrum.components[c].fock_states)
            entries = stack_outputs(kernel(values))
            matrices = entries.reshape(entries.shape[:-1] + (m, m))
            if np.iscomplexobj(matrices) and not np.any(matrices.imag):
                matrices = matrices.real
            result[c] = eigensystems.eigh(matrices)
        return result

    def evaluate(self, values: Mapping[sympy.Symbol, np.ndarray]) -> dict[sympy.Symbol, np.ndarray]:
        """Every placeholder symbol's value.

        Parameters
        ----------
        values : mapping of sympy.Symbol to numpy.ndarray
            Parameter values by symbol (arrays that broadcast).

        Returns
        -------
        dict of sympy.Symbol to numpy.ndarray
            Each placeholder's value, broadcast over the parameters its block depends on.
        """
        systems = self.eigensystems(values)
        states = self.spectrum.states

        def vectors(c: int) -> np.ndarray:
            return systems[c][1] if c in systems else np.ones((1, 1))

        amplitude_blocks: dict[tuple[int, int, int], np.ndarray] = {}
        out: dict[sympy.Symbol, np.ndarray] = {}
        for symbol, placeholder in self.placeholders.items():
            if placeholder.kind == "energy":
                state = states[placeholder.states[0]]
                out[symbol] = systems[state.component][0][..., state.index]
            elif placeholder.kind == "creation":
                sb, sa = (states[s] for s in placeholder.states)
                key = (sb.component, sa.component, placeholder.mode)
                if key not in amplitude_blocks:
                    vb, va = vectors(sb.component), vectors(sa.component)
                    amplitude_blocks[key] = np.conj(np.swapaxes(vb, -1, -2)) @ self._creation_blocks[key] @ va
                out[symbol] = amplitude_blocks[key][..., sb.index, sa.index]
            else:
                state = states[placeholder.states[0]]
                weights = np.abs(vectors(state.component)[..., :, state.index]) ** 2
                out[symbol] = weights @ self._occupation_vectors[(state.component, placeholder.mode)]
        return out
