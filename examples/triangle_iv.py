"""The main job: current through a triangular molecule under an STM tip against the tip bias.

Three molecules (orbitals a, b, c; each at most singly occupied, no Coulomb interaction) with
on-site energies 0, 0.1, 0.2 and hoppings 0.05 (a-b), 0.02 (b-c), 0.05 (c-a) lie on a substrate
(mu = 0, t = 0.1 to every molecule) under a tip (mu = V, t = 0.01, 0.01, 0.001); T = 0.1.
Units: hbar = e = k_B = 1, energies in one unit (say eV), currents are particle currents in the
unit of the rates, positive from the lead into the molecule.

Prints a table of the current and writes triangle_iv.png.  Run:  python examples/triangle_iv.py
"""

import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from numeric.plots import plot_curves, plot_probabilities
from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel

V = sp.Symbol("V", real=True)  # tip bias = chemical potential of the tip

molecule = Hamiltonian(
    FockSpace(["a", "b", "c"]),
    onsite={"a": 0.0, "b": 0.1, "c": 0.2},
    hopping={("a", "b"): 0.05, ("b", "c"): 0.02, ("c", "a"): 0.05},
)
substrate = Lead("substrate", mu=0, temperature=0.1, coupling={"a": 0.1, "b": 0.1, "c": 0.1})
tip = Lead("tip", mu=V, temperature=0.1, coupling={"a": 0.01, "b": 0.01, "c": 0.001})
model = TransportModel(molecule, [substrate, tip])

result = model.compile().sweep({"V": np.linspace(-1, 1, 201)})

print(f"{'V':>6} {'I_tip':>12} {'<N>':>7}   most probable state")
for k in range(0, 201, 20):
    p = result.probabilities[k]
    print(f"{result.axes['V'][k]:6.2f} {result.current['tip'][k]:12.4e} {result.expectation('charge')[k]:7.3f}   "
          f"{result.states[np.argmax(p)]} ({p.max():.2f})")

figure, (top, bottom) = plt.subplots(2, 1, figsize=(6, 7), sharex=True, layout="constrained")
plot_curves(result, ["tip"], ax=top).set_title("Triangle under an STM tip")
plot_probabilities(result, ax=bottom)
figure.savefig("triangle_iv.png", dpi=120)
print("wrote triangle_iv.png")
