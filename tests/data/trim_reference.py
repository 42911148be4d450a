"""Copy the parts of ../shared/reference/*.json that the tests use into this folder.

The shared files (QmeQ 1.1 reference data, ~1.2 MB) also hold Lindblad/Redfield/1vN results and
QmeQ internals; the tests need only the model parameters, the many-body states and the Pauli
points.  Run from the repository root:  python tests/data/trim_reference.py ../shared/reference
"""

import json
import sys
from pathlib import Path

PAULI = "Pauli|dband=10000.0|itype=3"
POINT_KEYS = ("x", "mulst", "prob_eigen", "current", "energy_current", "heat_current", "orbital_occupation")


def trim(source: Path, target: Path) -> None:
    data = json.loads(source.read_text())
    trimmed = {
        "source": f"{source.name} (QmeQ {data['qmeq_version']}), trimmed by tests/data/trim_reference.py",
        "note": data["note"],
        "params": data["params"],
        "states": [{k: s[k] for k in ("index", "charge", "energy", "fock_occupation_string")} for s in data["states"]],
        "points": [{k: p[k] for k in POINT_KEYS} for p in data["results"][PAULI]["points"]],
        "pauli_kernel_example": {k: data["pauli_kernel_example"][k] for k in ("mulst", "W", "Ea")},
    }
    if "analytic" in data:
        trimmed["analytic"] = data["analytic"]
    target.write_text(json.dumps(trimmed, indent=1) + "\n")


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference")
    for name in ("a_triangle_noU.json", "c_single_level.json"):
        trim(folder / name, Path(__file__).resolve().parent / name)
