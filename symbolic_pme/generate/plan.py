"""What every target writes, read once from a model file: parameters, states, blocks and rates.

A :class:`SolverPlan` holds the exact objects a generated solver evaluates, as SymPy expressions
that the targets print:

* the parameters that enter the model, in file order, with their defaults;
* each *mixed* block of H (a component of a charge/S_z block that hoppings mix) as its exact
  entries; its eigenvalues and eigenvector elements are symbols (``w``, ``u``) that the target
  computes numerically (ascending eigenvalues, as ``numpy.linalg.eigh``);
* every placeholder of the rates in terms of those symbols: ``E_{N=1:0}`` is an eigenvalue,
  ``<b|d_m^+|a>`` the sum ``sum sign conj(U_b[f_b, k_b]) U_a[f_a, k_a])`` over the Fock pairs
  that ``d_m^+`` links (an exact state has the one-element eigenvector 1);
* the golden-rule rates of every transition in the form the package compiles them
  (:func:`symbolic_pme.numeric.kernel.stable_form`: the overflow-free Fermi functions, a
  non-negative prefactor fused into them), with the source, target, lead and direction;
* each state's energy and each lead's chemical potential and temperature.

Models of more than :data:`MAX_STATES` states are refused (:class:`GenerationError`).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbolic_pme.errors import GenerationError
from symbolic_pme.files.model_file import ModelFile
from symbolic_pme.numeric.kernel import stable_form

__all__ = ["MAX_STATES", "Block", "SolverPlan", "Transition", "solver_plan"]

#: Most states of a model the generated solvers cover: the package's small-model sizes (it solves
#: up to 16 states on its flat GTH path: spinless up to 4 orbitals, spinful up to 2).
MAX_STATES = 16


@dataclass(frozen=True)
class Block:
    """A mixed block of H: the numeric eigenstates of one component.

    Attributes
    ----------
    label:
        The sector's label (``"N=1"``, ``"N=1,Sz=1/2"``).
    states:
        Indices of its eigenstates among the model's states, in ascending energy.
    matrix:
        The exact Hamiltonian over the component's Fock states (``size x size``).
    eigenvalues:
        Symbols of the eigenvalues, ascending.
    eigenvectors:
        ``eigenvectors[i][k]``: symbol of element i of eigenvector k.
    real:
        True when every entry is real (real eigenvectors).
    """

    label: str
    states: tuple[int, ...]
    matrix: sympy.ImmutableMatrix
    eigenvalues: tuple[sympy.Symbol, ...]
    eigenvectors: tuple[tuple[sympy.Symbol, ...], ...]
    real: bool

    @property
    def size(self) -> int:
        """Number of Fock states (and eigenstates)."""
        return len(self.states)


@dataclass(frozen=True)
class Transition:
    """One golden-rule jump.

    Attributes
    ----------
    source, target:
        State indices.
    lead:
        Index of the lead.
    entering:
        True when an electron enters from the lead (charge +1 into the dot).
    rate:
        The rate as compiled (stable form), in parameters and placeholders.
    exact:
        The rate as the model states it (for comments).
    """

    source: int
    target: int
    lead: int
    entering: bool
    rate: sympy.Expr
    exact: sympy.Expr


@dataclass(frozen=True)
class SolverPlan:
    """Everything a generated solver evaluates (see the module docstring).

    Attributes
    ----------
    title:
        The model file's title.
    source:
        The model file's path, as given.
    parameters:
        ``{symbol: default}`` of the parameters that enter the model, in file order.
    states:
        State labels (the package's order and labels).
    energies:
        Each state's energy: an exact expression or an eigenvalue symbol of its block.
    leads:
        Lead names, in file order.
    chemical_potentials, temperatures:
        Per lead, the exact expressions.
    blocks:
        The mixed blocks.
    placeholders:
        ``{placeholder symbol: expression in the blocks' eigen-symbols}``.
    transitions:
        Every jump, in the package's order.
    orbitals, spin:
        The model's orbitals and whether it has spin.
    real:
        True when every Hamiltonian entry and every lead coupling is real (real amplitudes).
    """

    title: str
    source: str
    parameters: dict[sympy.Symbol, float]
    states: tuple[str, ...]
    energies: tuple[sympy.Expr, ...]
    leads: tuple[str, ...]
    chemical_potentials: tuple[sympy.Expr, ...]
    temperatures: tuple[sympy.Expr, ...]
    blocks: tuple[Block, ...]
    placeholders: dict[sympy.Symbol, sympy.Expr]
    transitions: tuple[Transition, ...]
    orbitals: tuple[str, ...]
    spin: bool
    real: bool


def solver_plan(model_file: ModelFile) -> SolverPlan:
    """The plan of a model file's generated solver.

    Parameters
    ----------
    model_file:
        The model, as read by :func:`symbolic_pme.files.model_file.load_model`.

    Returns
    -------
    SolverPlan

    Raises
    ------
    GenerationError
        When the model has more than :data:`MAX_STATES` states.
    """
    model = model_file.model
    spectrum = model.spectrum
    states = spectrum.states
    if len(states) > MAX_STATES:
        raise GenerationError(
            f"{model_file.path}: {len(states)} states; generated solvers cover models of up to {MAX_STATES} states "
            "(solve larger ones with symbolic_pme itself)"
        )
    network = model.network
    scalar = network.expanded().transitions if network.groups else network.transitions
    leads = tuple(lead.name for lead in model.leads)
    transitions = tuple(
        Transition(
            network.index(t.source),
            network.index(t.target),
            leads.index(t.channel),
            t.carries["charge"] > 0,
            stable_form(t.rate),
            t.rate,
        )
        for t in scalar
    )
    blocks, eigen = _blocks(model_file)
    placeholders = {}
    for symbol, placeholder in spectrum.placeholders.items():
        if placeholder.kind == "energy":
            placeholders[symbol] = eigen[placeholder.states[0]][0]
        elif placeholder.kind == "creation":
            placeholders[symbol] = _creation_element(spectrum, eigen, *placeholder.states, placeholder.mode)
    symbols = {s.name: s for s in model.parameters}
    return SolverPlan(
        title=model_file.title,
        source=str(model_file.path),
        parameters={symbols[name]: float(model_file.parameters[name]) for name in model_file.used_parameters},
        states=model.states,
        energies=tuple(spectrum.energy(i) if s.exact else eigen[i][0] for i, s in enumerate(states)),
        leads=leads,
        chemical_potentials=tuple(lead.mu for lead in model.leads),
        temperatures=tuple(lead.temperature for lead in model.leads),
        blocks=blocks,
        placeholders=placeholders,
        transitions=transitions,
        orbitals=model.space.orbitals,
        spin=model.space.spin,
        real=all(b.real for b in blocks) and all(t.is_real for lead in model.leads for t in lead.coupling.values()),
    )


def _blocks(model_file: ModelFile) -> tuple[tuple[Block, ...], dict[int, tuple[sympy.Symbol, list]]]:
    """The mixed blocks, and for every numeric state its eigenvalue symbol and eigenvector column
    ``[(fock state, symbol)]``."""
    spectrum = model_file.model.spectrum
    blocks = []
    eigen: dict[int, tuple[sympy.Symbol, list]] = {}
    for c, component in enumerate(spectrum.components):
        if component.exact:
            continue
        number = len(blocks)
        members = tuple(i for i, s in enumerate(spectrum.states) if s.component == c)
        matrix = sympy.ImmutableMatrix(component.hamiltonian)
        real = all(entry.is_real for entry in matrix)
        size = len(members)
        values = tuple(sympy.Symbol(f"w{number}_{k}", real=True) for k in range(size))
        vectors = tuple(
            tuple(
                sympy.Symbol(f"u{number}_{i}_{k}", **({"real": True} if real else {"complex": True}))
                for k in range(size)
            )
            for i in range(size)
        )
        first = spectrum.states[members[0]]
        label = f"N={first.charge}" + (f",Sz={first.sz}" if len(component.sector) > 1 else "")
        blocks.append(Block(label, members, matrix, values, vectors, real))
        for k, state in enumerate(members):
            column = [(fock, vectors[i][k]) for i, fock in enumerate(component.fock_states)]
            eigen[state] = (values[k], column)
    return tuple(blocks), eigen


def _creation_element(spectrum, eigen, b: int, a: int, mode: int) -> sympy.Expr:
    """``<b|d_mode^+|a>`` in the eigenvector symbols of the two states' blocks."""
    space = spectrum.space
    terms = []
    for fock_a, u_a in _column(spectrum, eigen, a):
        result = space.apply([(mode, True)], fock_a)
        if result is None:
            continue
        sign, fock_b = result
        for fock, u_b in _column(spectrum, eigen, b):
            if fock == fock_b:
                terms.append(sign * sympy.conjugate(u_b) * u_a)
    return sympy.Add(*terms)


def _column(spectrum, eigen, state: int) -> list:
    """``[(fock state, eigenvector element)]`` of a state (an exact state: its Fock state and 1)."""
    if state in eigen:
        return eigen[state][1]
    component = spectrum.components[spectrum.states[state].component]
    return [(component.fock_states[0], sympy.S.One)]
