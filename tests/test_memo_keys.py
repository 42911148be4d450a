"""The memos of the compiled model: kept values (eigensystems, rates, Boltzmann factors) are
reused only for equal inputs, so a call with other values recomputes what depends on them."""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from symbolic_pme import FockSpace, Hamiltonian, Lead, TransportModel
from symbolic_pme.files.model_file import load_model

ROOT = Path(__file__).resolve().parents[1]


def _gated_dot():
    """Five spinless orbitals (32 states: the block path) with a gate on orbital 0."""
    names = [f"o{i}" for i in range(5)]
    onsite = {name: 0.07 * i - 0.1 for i, name in enumerate(names)}
    onsite["o0"] = sp.Symbol("gate") + onsite["o0"]
    hopping = {(names[i], names[i + 1]): 0.04 for i in range(4)}
    dot = Hamiltonian(FockSpace(names), onsite=onsite, hopping=hopping, coulomb={("o0", "o1"): 0.3})
    v = sp.Symbol("V", real=True)
    leads = [
        Lead("L", mu=v / 2, temperature="T", coupling={name: 0.05 for name in names}),
        Lead("R", mu=-v / 2, temperature="T", coupling={"o4": 0.07}),
    ]
    return TransportModel(dot, leads)


@pytest.mark.parametrize("layout", ["flat", "blocks"])
def test_memos_follow_the_values_from_call_to_call(layout):
    """Alternating temperatures (and, on the block path, gates that move the energies) must
    each give what a freshly compiled model gives."""
    if layout == "flat":
        path = ROOT / "examples" / "triangle.toml"
        make, cases = (lambda: load_model(path).compile()), [{"T": t} for t in (0.1, 0.05, 0.1, 0.2, 0.2)]
    else:
        make = lambda: _gated_dot().compile()  # noqa: E731
        cases = [{"T": 0.1, "gate": g} for g in (0.0, 0.3, 0.0, -0.2, -0.2)] + [{"T": 0.05, "gate": 0.0}]
    kept = make()
    assert (kept._blocks.flat is not None) == (layout == "flat")
    biases = {"V": np.linspace(-1.0, 1.0, 21)}
    for values in cases:
        ours, fresh = kept.sweep(biases, **values), make().sweep(biases, **values)
        assert np.array_equal(ours.probabilities, fresh.probabilities)
        for lead, current in fresh.current.items():
            assert np.array_equal(ours.current[lead], current)


def test_coefficient_keys_are_the_bytes_of_each_entry_made_once():
    """A Coefficients list keys each entry by shape, dtype and bytes, like a plain list, and makes
    each entry's key once; keys differ where the values differ in any bit (-0.0 and 0.0 too)."""
    from symbolic_pme.numeric.blocks import Coefficients, coefficient_keys

    arrays = [np.asarray(0.0), np.asarray(-0.0), np.arange(3.0), np.asarray(1.0 + 0j), np.asarray(1.0)]
    kept = Coefficients(arrays)
    slots = (0, 2, 4, 2)
    assert coefficient_keys(kept, slots) == coefficient_keys(list(arrays), slots)
    first = kept.keys(slots)
    assert all(a is b for a, b in zip(first, kept.keys(slots)))  # the same key objects: made once
    keys = kept.keys(range(len(arrays)))
    assert len(set(keys)) == len(arrays)  # 0.0 / -0.0 and 1.0 / 1+0j are told apart
    assert isinstance(kept, list) and all(a is b for a, b in zip(kept, arrays, strict=True))


def test_coefficients_pickle_as_their_arrays():
    import pickle

    from symbolic_pme.numeric.blocks import Coefficients

    kept = Coefficients([np.asarray(0.5), np.arange(2.0)])
    kept.keys((0, 1))
    copy = pickle.loads(pickle.dumps(kept))
    assert type(copy) is Coefficients and copy.keys((0, 1)) == kept.keys((0, 1))
