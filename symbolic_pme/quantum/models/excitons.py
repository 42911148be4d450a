"""Exciton transport on N sites: the Haken-Strobl-Reineker model with traps and losses.

One excitation on sites with energies E_i and couplings V_ij,

    H = sum_i E_i |i><i| + sum_{i<j} (V_ij |i><j| + V_ij^* |j><i|),

plus, as Lindblad jumps (see :mod:`symbolic_pme.quantum.lindblad`):

* pure dephasing of every site at rate gamma (jump |i><i|): gamma is the decay rate of each
  coherence rho_ij (docs/conventions.md convention; for two sites the operator sqrt(gamma/2) sigma_z);
  or one rate gamma_i per site (the setting of Plenio and Huelga, New J. Phys. 10, 113019 (2008)):
  the jump |i><i| at rate gamma_i, so that rho_ij decays at (gamma_i + gamma_j)/2 from dephasing
  (their Lindblad terms ``gamma_j (2 A rho A^+ - {A^+ A, rho})`` have twice the rate: their
  gamma_j is half the gamma_j here);
* traps ``{site: kappa}``: the jump |sink><site| at rate kappa, channel ``"trap"``;
* losses ``{site: Gamma}`` (recombination): the jump |ground><site| at rate Gamma, channel ``"loss"``.

Traps and losses are transitions into two outside states, ``"sink"`` and ``"ground"``, so the
model stays one closed density matrix.  They also damp coherences: rho_ij decays at
Gamma_ij = (gamma_i + gamma_j)/2 + (kappa_i + kappa_j + Gamma_i + Gamma_j)/2, and the Pauli rate of
:func:`~symbolic_pme.quantum.reduction.adiabatic_elimination` (``second_order=True``) is
W_ij = 2|V_ij|^2 Gamma_ij / ((E_i - E_j)^2 + hbar^2 Gamma_ij^2) -- with the dephasing alone in
Gamma_ij it would be wrong when traps are fast.

Transfer efficiency (the probability that an excitation starting on a site ends in the trap) and
the mean trapping time come directly from :func:`~symbolic_pme.quantum.trapping.trapping` (one
linear solve of the Lindblad equation, or of its Pauli network).  As a steady-state quantity:
with ``reinjection=(site, rate)`` both outside states return the excitation to ``site`` (channel
``"injection"``).  Every return starts a new, independent attempt from the same state, so in the
steady state ``efficiency = I_trap / (I_trap + I_loss)`` exactly, whatever the reinjection rate
(the currents of quantity ``"excitation"``: -1 per trap or loss jump, +1 per reinjection).  The
same holds for the Lindblad model and its Pauli network.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from symbolic_pme.checks import label_pairs
from symbolic_pme.parsing import Value, to_expr
from symbolic_pme.quantum.lindblad import Jump, LindbladModel, decay, dephasing

__all__ = ["haken_strobl_reineker"]

SINK, GROUND = "sink", "ground"


def haken_strobl_reineker(
    site_energies: Mapping[str, Value],
    couplings: Mapping[tuple[str, str], Value],
    dephasing_rate: Value | Mapping[str, Value],
    *,
    traps: Mapping[str, Value] | None = None,
    losses: Mapping[str, Value] | None = None,
    reinjection: tuple[str, Value] | None = None,
    hbar: Value = 1,
) -> LindbladModel:
    """Build the Haken-Strobl-Reineker Lindblad model (see the module docstring).

    Parameters
    ----------
    site_energies : mapping of str to value
        ``{site: E_i}`` (energies; sites in this order).
    couplings : mapping of (str, str) to value
        ``{(i, j): V_ij}`` for i != j; the conjugate ``V_ji`` is added.  Complex values allowed.
    dephasing_rate : value or mapping of str to value
        gamma >= 0, the decay rate of every coherence rho_ij due to dephasing (jump |i><i| at
        rate gamma on every site; for two sites the Lindblad operator sqrt(gamma/2) sigma_z;
        ``docs/conventions.md``).  Or ``{site: gamma_i}``, one rate per site (sites left out
        are not dephased): the jump |i><i| at rate gamma_i, so that rho_ij decays at
        (gamma_i + gamma_j)/2 (see the module docstring for Plenio and Huelga's factor 2).
    traps, losses : mapping of str to value, optional
        ``{site: rate}``: jumps to ``"sink"`` (channel ``"trap"``) and to ``"ground"`` (channel
        ``"loss"``), carrying ``{"excitation": -1}``.  The outside states exist only when some
        trap or loss is given.
    reinjection : (str, value), optional
        ``(site, rate)``: jumps from the outside states back to ``site`` (channel
        ``"injection"``, carrying ``{"excitation": 1}``), which make the steady state unique;
        see the module docstring.
    hbar : value, optional
        1 by default; energies / hbar are angular frequencies, rates are per unit time.

    Returns
    -------
    LindbladModel
        The model over the sites, then ``"sink"`` and ``"ground"`` when present.

    Raises
    ------
    ValueError
        Naming the argument, for unknown sites (in the couplings, dephasing rates, traps,
        losses or reinjection), a site named ``"sink"`` or ``"ground"``, a coupling of a site to
        itself or given twice, negative rates, and reinjection without any trap or loss.

    Examples
    --------
    Two sites and a trap on B: the Pauli rate is damped by Gamma_AB = gamma + kappa/2.

    >>> from symbolic_pme.quantum import adiabatic_elimination
    >>> model = haken_strobl_reineker({"A": 0, "B": "D"}, {("A", "B"): "V"}, "gamma", traps={"B": "kappa"})
    >>> model.states
    ('A', 'B', 'sink')
    >>> adiabatic_elimination(model, second_order=True).transitions[0].rate
    4*V**2*(2*gamma + kappa)/(4*D**2 + 4*gamma**2 + 4*gamma*kappa + kappa**2)
    """
    sites = [str(s) for s in site_energies]
    traps, losses = dict(traps or {}), dict(losses or {})
    outside = ([SINK] if traps else []) + ([GROUND] if losses else [])
    clash = sorted(set(sites) & {SINK, GROUND})
    if clash:
        raise ValueError(f"site_energies: {clash[0]!r} is reserved for the outside states")
    states = sites + outside
    n = len(states)
    h = sympy.zeros(n, n)
    for k, site in enumerate(sites):
        h[k, k] = to_expr(site_energies[site], f"site energy of {site!r}")
    for i, j, v in label_pairs(couplings, sites, what="coupling", kind="site"):
        a, b = sites.index(i), sites.index(j)
        h[a, b], h[b, a] = v, sympy.conjugate(v)
    if isinstance(dephasing_rate, Mapping):
        jumps: list[Jump] = []
        for site, rate in dephasing_rate.items():
            if site not in sites:
                raise ValueError(f"dephasing_rate: unknown site {site!r}; sites: {', '.join(sites)}")
            jumps += dephasing(states, rate, dephased=[site])
    else:
        jumps = dephasing(states, dephasing_rate, dephased=sites)
    for name, rates, target, channel in (("traps", traps, SINK, "trap"), ("losses", losses, GROUND, "loss")):
        for site, rate in rates.items():
            if site not in sites:
                raise ValueError(f"{name}: unknown site {site!r}; sites: {', '.join(sites)}")
            jumps.append(decay(states, site, target, rate, channel=channel, carries={"excitation": -1}))
    if reinjection is not None:
        site, rate = reinjection
        if site not in sites:
            raise ValueError(f"reinjection: unknown site {site!r}; sites: {', '.join(sites)}")
        if not outside:
            raise ValueError("reinjection: needs a trap or a loss to return the excitation from")
        jumps += [decay(states, state, site, rate, channel="injection", carries={"excitation": 1}) for state in outside]
    return LindbladModel(states, h, jumps, hbar=hbar)
